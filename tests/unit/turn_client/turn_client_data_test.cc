// TurnClient data relaying: Send indications before a channel is bound, ChannelData after (RFC 8656
// §10-§12), ChannelData padding over UDP (optional) and TCP/TLS (required, §12.5), Data indications,
// channel numbering, and the bounded event queue.
#include <vector>

#include "gtest/gtest.h"
#include "tern/ice/turn_client.h"
#include "tern/stun/stun.h"
#include "unit/turn_client/turn_harness.h"

namespace tern::ice {
namespace {

using testing::TurnHarness;

const SocketAddress kPeer(IpAddress::V4(192, 0, 2, 50), 7000);

std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

TEST(TurnClientData, Rfc8656Section10SendIndicationUntilTheChannelIsBound) {
  TurnHarness h;
  h.AllocateOrDie();
  ASSERT_TRUE(h.client.BindChannel(kPeer, h.now()).ok());
  // While the ChannelBind is in flight, data goes as a Send indication right behind it.
  ASSERT_TRUE(h.client.SendTo(kPeer, AsBytes("early"), h.now()).ok());
  h.Pump();
  ASSERT_TRUE(h.client.BoundChannel(kPeer).has_value());
  ASSERT_TRUE(h.client.SendTo(kPeer, AsBytes("late!"), h.now()).ok());
  h.Pump();
  ASSERT_EQ(h.server.relayed.size(), 2u);
  EXPECT_EQ(h.server.relayed[0].payload, Bytes("early"));
  EXPECT_FALSE(h.server.relayed[0].via_channel);
  EXPECT_EQ(h.server.relayed[0].peer, kPeer);
  EXPECT_EQ(h.server.relayed[1].payload, Bytes("late!"));
  EXPECT_TRUE(h.server.relayed[1].via_channel);
  EXPECT_EQ(h.client.stats().send_indications_sent, 1u);
  EXPECT_EQ(h.client.stats().channel_data_sent, 1u);
  // Over UDP the ChannelData is not padded: 4 + 5 bytes.
  EXPECT_EQ(h.sent.back().payload.size(), 9u);
  EXPECT_EQ(h.sent.back().payload[0], 0x40);
  EXPECT_EQ(h.server.dropped_sends, 0);
}

TEST(TurnClientData, SendIndicationFormat) {
  TurnHarness h;
  h.AllocateOrDie();
  ASSERT_TRUE(h.client.CreatePermission(kPeer.ip(), h.now()).ok());
  h.Pump();
  ASSERT_TRUE(h.client.SendTo(kPeer, AsBytes("abc"), h.now()).ok());
  std::optional<Transmit> t = h.client.PollTransmit();
  ASSERT_TRUE(t.has_value());
  absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(t->payload);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->message_class(), stun::MessageClass::kIndication);
  EXPECT_EQ(m->method(), stun::method::kSend);
  EXPECT_EQ(*m->GetXorAddress(stun::attr::kXorPeerAddress), kPeer);
  EXPECT_EQ(AsString(*m->GetData()), "abc");
  EXPECT_FALSE(m->has_message_integrity()) << "indications carry no credentials";
  EXPECT_TRUE(m->VerifyFingerprint().ok());
}

TEST(TurnClientData, SendToWithoutPermissionCreatesOneFirst) {
  TurnHarness h;
  h.AllocateOrDie();
  size_t before = h.sent.size();
  ASSERT_TRUE(h.client.SendTo(kPeer, AsBytes("hi"), h.now()).ok());
  h.Pump();
  ASSERT_EQ(h.sent.size(), before + 2);
  absl::StatusOr<stun::MessageView> first = stun::MessageView::Parse(h.sent[before].payload);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->method(), stun::method::kCreatePermission) << "the permission goes first";
  ASSERT_EQ(h.server.relayed.size(), 1u);
  EXPECT_EQ(h.server.relayed[0].payload, Bytes("hi"));
  EXPECT_EQ(h.EventsOf<TurnPermissionCreated>().size(), 1u);
  EXPECT_TRUE(h.client.HasPermission(kPeer.ip()));
}

TEST(TurnClientData, ReceivesDataIndicationsAndChannelData) {
  TurnHarness h;
  h.AllocateOrDie();
  ASSERT_TRUE(h.client.CreatePermission(kPeer.ip(), h.now()).ok());
  h.Pump();
  std::optional<std::vector<uint8_t>> indication = h.server.FromPeer(kPeer, AsBytes("one"), h.now());
  ASSERT_TRUE(indication.has_value());
  h.Deliver(*indication);
  ASSERT_TRUE(h.client.BindChannel(kPeer, h.now()).ok());
  h.Pump();
  std::optional<std::vector<uint8_t>> channel_data = h.server.FromPeer(kPeer, AsBytes("two"), h.now());
  ASSERT_TRUE(channel_data.has_value());
  EXPECT_EQ((*channel_data)[0], 0x40);
  h.Deliver(*channel_data);
  std::vector<TurnDataReceived> data = h.EventsOf<TurnDataReceived>();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].peer, kPeer);
  EXPECT_EQ(data[0].payload, Bytes("one"));
  EXPECT_FALSE(data[0].via_channel);
  EXPECT_EQ(data[0].relayed, h.server.config().relayed_v4);
  EXPECT_EQ(data[1].peer, kPeer);
  EXPECT_EQ(data[1].payload, Bytes("two"));
  EXPECT_TRUE(data[1].via_channel);
  EXPECT_EQ(h.client.stats().data_indications_received, 1u);
  EXPECT_EQ(h.client.stats().channel_data_received, 1u);
}

TEST(TurnClientData, Rfc8656Section12_5UdpChannelDataPaddingIsOptional) {
  TurnHarness h;
  h.AllocateOrDie();
  ASSERT_TRUE(h.client.BindChannel(kPeer, h.now()).ok());
  h.Pump();
  std::vector<uint8_t> unpadded = {0x40, 0x00, 0x00, 0x03, 'a', 'b', 'c'};
  std::vector<uint8_t> padded = {0x40, 0x00, 0x00, 0x03, 'x', 'y', 'z', 0x00};
  h.Deliver(unpadded);
  h.Deliver(padded);
  std::vector<TurnDataReceived> data = h.EventsOf<TurnDataReceived>();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].payload, Bytes("abc"));
  EXPECT_EQ(data[1].payload, Bytes("xyz"));
}

TEST(TurnClientData, Rfc8656Section12_5TcpChannelDataIsPaddedBothWays) {
  for (TurnTransport transport : {TurnTransport::kTcp, TurnTransport::kTls}) {
    TurnClientConfig c = TurnHarness::DefaultConfig();
    c.transport = transport;
    TurnHarness h(c);
    h.AllocateOrDie();
    ASSERT_TRUE(h.client.BindChannel(kPeer, h.now()).ok());
    h.Pump();
    ASSERT_TRUE(h.client.SendTo(kPeer, AsBytes("12345"), h.now()).ok());
    std::optional<Transmit> t = h.client.PollTransmit();
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->protocol,
              transport == TurnTransport::kTcp ? TransportProtocol::kTcp : TransportProtocol::kTls);
    EXPECT_EQ(t->payload.size(), 12u) << "4 + 5 padded to 8";
    // Several padded frames arriving in one chunk, and the same split into 1-byte chunks.
    std::vector<uint8_t> stream;
    for (std::string_view s : {"a", "bb", "ccc", "dddd", "eeeee"}) {
      std::optional<std::vector<uint8_t>> f = h.server.FromPeer(kPeer, AsBytes(s), h.now());
      ASSERT_TRUE(f.has_value());
      EXPECT_EQ(f->size() % 4, 0u);
      stream.insert(stream.end(), f->begin(), f->end());
    }
    h.Deliver(stream);
    h.Deliver(stream, 1);
    h.Deliver(stream, 7);
    std::vector<TurnDataReceived> data = h.EventsOf<TurnDataReceived>();
    ASSERT_EQ(data.size(), 15u);
    for (size_t i = 0; i < data.size(); ++i) {
      EXPECT_EQ(data[i].payload.size(), i % 5 + 1) << i;
      EXPECT_TRUE(data[i].via_channel);
    }
    EXPECT_EQ(h.client.stream_buffer_size(), 0u);
  }
}

TEST(TurnClientData, StreamAllocationFedOneByteAtATime) {
  TurnClientConfig c = TurnHarness::DefaultConfig();
  c.transport = TurnTransport::kTcp;
  TurnHarness h(c);
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  for (int round = 0; round < 4; ++round) {
    while (std::optional<Transmit> t = h.client.PollTransmit()) {
      for (const std::vector<uint8_t>& answer : h.server.Receive(t->payload, h.now())) {
        h.Deliver(answer, 1);
      }
    }
  }
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocated);
  EXPECT_EQ(h.client.stream_buffer_size(), 0u);
}

TEST(TurnClientData, ChannelNumbersAreSequential) {
  TurnHarness h;
  h.AllocateOrDie();
  for (int i = 0; i < 5; ++i) {
    SocketAddress peer(IpAddress::V4(192, 0, 2, static_cast<uint8_t>(10 + i)), 1000);
    absl::StatusOr<uint16_t> n = h.client.BindChannel(peer, h.now());
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 0x4000 + i);
    EXPECT_EQ(*h.client.BindChannel(peer, h.now()), *n) << "same peer, same channel";
  }
  h.Pump();
  EXPECT_EQ(h.EventsOf<TurnChannelBound>().size(), 5u);
}

TEST(TurnClientData, ChannelNumbersRunOut) {
  TurnClientConfig c = TurnHarness::DefaultConfig();
  c.max_permissions = 5000;
  TurnHarness h(c);
  h.AllocateOrDie();
  h.deliver = false;
  for (int i = 0; i < 4096; ++i) {
    SocketAddress peer(IpAddress::V4(10, 1, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)), 1000);
    ASSERT_TRUE(h.client.BindChannel(peer, h.now()).ok()) << i;
  }
  EXPECT_TRUE(absl::IsResourceExhausted(
      h.client.BindChannel(SocketAddress(IpAddress::V4(10, 2, 0, 0), 1), h.now()).status()));
}

TEST(TurnClientData, PermissionsAreCapped) {
  TurnClientConfig c = TurnHarness::DefaultConfig();
  c.max_permissions = 3;
  TurnHarness h(c);
  h.AllocateOrDie();
  for (uint8_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(h.client.CreatePermission(IpAddress::V4(192, 0, 2, i), h.now()).ok());
  }
  EXPECT_TRUE(absl::IsResourceExhausted(h.client.CreatePermission(IpAddress::V4(192, 0, 2, 9), h.now())));
  EXPECT_TRUE(absl::IsResourceExhausted(
      h.client.SendTo(SocketAddress(IpAddress::V4(192, 0, 2, 9), 1), AsBytes("x"), h.now())));
}

TEST(TurnClientData, EventQueueIsBounded) {
  TurnClientConfig c = TurnHarness::DefaultConfig();
  c.max_queued_events = 10;
  TurnHarness h(c);
  h.AllocateOrDie();
  ASSERT_TRUE(h.client.CreatePermission(kPeer.ip(), h.now()).ok());
  h.Pump();
  std::optional<std::vector<uint8_t>> in = h.server.FromPeer(kPeer, AsBytes("x"), h.now());
  ASSERT_TRUE(in.has_value());
  Datagram d;
  d.remote = testing::kServerAddress;
  d.payload = *in;
  for (int i = 0; i < 50; ++i) h.client.HandleInput(d, h.now());  // the owner does not drain
  EXPECT_EQ(h.client.stats().dropped_events, 40u);
  h.DrainEvents();
  EXPECT_EQ(h.EventsOf<TurnDataReceived>().size(), 10u);
}

TEST(TurnClientData, TransmitQueueIsBounded) {
  TurnClientConfig c = TurnHarness::DefaultConfig();
  c.max_queued_transmits = 8;
  TurnHarness h(c);
  h.AllocateOrDie();
  ASSERT_TRUE(h.client.CreatePermission(kPeer.ip(), h.now()).ok());
  h.Pump();
  int ok = 0;
  absl::Status last;
  for (int i = 0; i < 20; ++i) {
    last = h.client.SendTo(kPeer, AsBytes("x"), h.now());
    if (last.ok()) ++ok;
  }
  EXPECT_EQ(ok, 8);
  EXPECT_TRUE(absl::IsResourceExhausted(last));
}

}  // namespace
}  // namespace tern::ice
