// Issue 6 §2 limits: allocation quotas (486), capacity (508), the per-source rate limit for
// unauthenticated requests, no amplification, bandwidth caps, and bounded memory under floods — every
// table stays under its configured cap, asserted. Also TCP/TLS framing: split, coalesced, truncated and
// oversized frames (RFC 8489 §6.2.2, RFC 8656 §12.5).
#include <cstring>

#include "gtest/gtest.h"
#include "unit/turn/turn_server_harness.h"

namespace tern::turn::testing {
namespace {

// A distinct source IP per i (11.0.0.0 upwards).
SocketAddress Client(uint32_t i) { return SocketAddress(IpAddress::V4(0x0B000000u + i), 20000); }

TEST(TurnQuota, UserQuotaGets486AndQuotaHitEvent) {
  TurnServerConfig config = DefaultConfig();
  config.user_quota = 2;
  ServerHarness h(config);
  for (uint16_t i = 0; i < 2; ++i) {
    RawClient c(h, SocketAddress(kClient.ip(), static_cast<uint16_t>(41000 + i)));
    ASSERT_TRUE(c.Allocate().is_success());
  }
  RawClient third(h, SocketAddress(kClient.ip(), 41002));
  Message m = third.Allocate();
  EXPECT_EQ(m.error_code(), 486);
  EXPECT_TRUE(m.view().has_message_integrity());  // authenticated error
  ASSERT_EQ(h.EventsOf<QuotaHit>().size(), 1u);
  EXPECT_EQ(h.EventsOf<QuotaHit>()[0].error_code, 486);
  EXPECT_EQ(h.EventsOf<QuotaHit>()[0].username, kUser);
  EXPECT_EQ(h.server->stats().quota_hits, 1u);
}

TEST(TurnQuota, TotalQuotaGets486AndFreesUpOnDeallocation) {
  TurnServerConfig config = DefaultConfig();
  config.total_quota = 3;
  config.users["bob"] = "builder";
  ServerHarness h(config);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (uint16_t i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<RawClient>(h, SocketAddress(kClient.ip(), static_cast<uint16_t>(41000 + i))));
    ASSERT_TRUE(clients.back()->Allocate().is_success());
  }
  RawClient bob(h, SocketAddress(kClient.ip(), 42000), "bob", "builder");
  EXPECT_EQ(bob.Allocate().error_code(), 486);
  ASSERT_TRUE(clients[0]->Refresh(0).is_success());
  EXPECT_TRUE(bob.Allocate().is_success());
}

TEST(TurnQuota, PortRangeExhaustionGets508) {
  TurnServerConfig config = DefaultConfig();
  config.min_port = 50000;
  config.max_port = 50003;
  ServerHarness h(config);
  for (uint16_t i = 0; i < 4; ++i) {
    RawClient c(h, SocketAddress(kClient.ip(), static_cast<uint16_t>(41000 + i)));
    ASSERT_TRUE(c.Allocate().is_success());
  }
  EXPECT_EQ(h.server->reserved_port_count(), 4u);
  RawClient c(h, SocketAddress(kClient.ip(), 41010));
  EXPECT_EQ(c.Allocate().error_code(), 508);
}

TEST(TurnQuota, PermissionAndChannelCapsGet508) {
  TurnServerConfig config = DefaultConfig();
  config.max_permissions_per_allocation = 3;
  config.max_channels_per_allocation = 2;
  ServerHarness h(config);
  RawClient c(h);
  ASSERT_TRUE(c.Allocate().is_success());
  auto peer = [](int i) { return SocketAddress(IpAddress::V4(93, 184, 216, static_cast<uint8_t>(i)), 5000); };
  ASSERT_TRUE(c.CreatePermission({peer(1), peer(2), peer(3)}).is_success());
  EXPECT_EQ(c.CreatePermission({peer(4)}).error_code(), 508);
  EXPECT_TRUE(c.CreatePermission({peer(1)}).is_success());  // refreshing an existing one is fine
  ASSERT_TRUE(c.ChannelBind(0x4000, peer(1)).is_success());
  ASSERT_TRUE(c.ChannelBind(0x4001, peer(2)).is_success());
  EXPECT_EQ(c.ChannelBind(0x4002, peer(3)).error_code(), 508);
}

TEST(TurnAmplification, UnauthenticatedResponsesStayWithinTheAllowance) {
  ServerHarness h;
  RawClient c(h);
  // A bare Binding request (20 bytes) and a minimal Allocate (28 bytes, what browsers send).
  for (uint16_t method : {stun::method::kBinding, stun::method::kAllocate}) {
    std::vector<uint8_t> req(64);
    SeededRandom random(5);
    stun::MessageBuilder b(req, {stun::MessageClass::kRequest, method}, stun::TransactionId::Generate(random));
    if (method == stun::method::kAllocate) b.AddRequestedTransport(stun::kProtocolUdp);
    auto wire = b.Finish();
    ASSERT_TRUE(wire.ok());
    std::vector<Transmit> out = h.FromClient(*wire);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_LE(out[0].payload.size(), wire->size() + h.server->config().amplification_allowance);
    std::optional<Message> m = ParseOne(out[0].payload);
    ASSERT_TRUE(m.has_value());
    EXPECT_FALSE(m->view().Has(stun::attr::kSoftware));
  }
}

TEST(TurnAmplification, ZeroAllowanceNeverAnswersLargerThanTheRequest) {
  TurnServerConfig config = DefaultConfig();
  config.amplification_allowance = 0;
  ServerHarness h(config);
  RawClient c(h);
  // A 28-byte Allocate cannot get its ~120-byte challenge: dropped and counted.
  std::vector<uint8_t> req(64);
  SeededRandom random(5);
  stun::MessageBuilder b(req, {stun::MessageClass::kRequest, stun::method::kAllocate},
                         stun::TransactionId::Generate(random));
  b.AddRequestedTransport(stun::kProtocolUdp);
  auto wire = b.Finish();
  ASSERT_TRUE(wire.ok());
  EXPECT_TRUE(h.FromClient(*wire).empty());
  EXPECT_EQ(h.server->stats().amplification_dropped, 1u);
  // A request padded to be larger than its answer is answered, and the answer is no larger.
  std::vector<uint8_t> big(512);
  stun::MessageBuilder b2(big, {stun::MessageClass::kRequest, stun::method::kAllocate},
                          stun::TransactionId::Generate(random));
  b2.AddRequestedTransport(stun::kProtocolUdp);
  b2.AddPadding(200);
  auto wire2 = b2.Finish();
  ASSERT_TRUE(wire2.ok());
  std::vector<Transmit> out = h.FromClient(*wire2);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LE(out[0].payload.size(), wire2->size());
  // Every unauthenticated answer to a random flood is no larger than its request.
  size_t in_bytes = 0, out_bytes = 0;
  for (int i = 0; i < 200; ++i) {
    RawClient x(h, Client(static_cast<uint32_t>(i)));
    std::vector<uint8_t> r = x.Build(i % 2 ? stun::method::kBinding : stun::method::kAllocate, RawClient::AddUdp, false);
    std::vector<Transmit> o = x.Send(r);
    for (const Transmit& t : o) {
      EXPECT_LE(t.payload.size(), r.size());
      out_bytes += t.payload.size();
    }
    in_bytes += r.size();
  }
  EXPECT_LE(out_bytes, in_bytes);
}

TEST(TurnRateLimit, UnauthenticatedRequestsPerSourceAreLimited) {
  TurnServerConfig config = DefaultConfig();
  config.unauthenticated_rate = 10;
  config.unauthenticated_burst = 20;
  ServerHarness h(config);
  RawClient c(h);
  int answered = 0;
  for (int i = 0; i < 100; ++i) answered += static_cast<int>(c.Send(c.Build(stun::method::kBinding, nullptr, false)).size());
  EXPECT_EQ(answered, 20);
  EXPECT_EQ(h.server->stats().rate_limited, 80u);
  // Another source is unaffected; the first recovers at 10/s.
  RawClient other(h, SocketAddress(IpAddress::V4(203, 0, 113, 6), 1));
  EXPECT_EQ(other.Send(other.Build(stun::method::kBinding, nullptr, false)).size(), 1u);
  h.Advance(Duration::Millis(500));
  answered = 0;
  for (int i = 0; i < 100; ++i) answered += static_cast<int>(c.Send(c.Build(stun::method::kBinding, nullptr, false)).size());
  EXPECT_EQ(answered, 5);
}

TEST(TurnRateLimit, AuthenticatedTrafficIsNotLimited) {
  TurnServerConfig config = DefaultConfig();
  config.unauthenticated_rate = 1;
  config.unauthenticated_burst = 1;
  ServerHarness h(config);
  RawClient c(h);
  ASSERT_TRUE(c.Allocate().is_success());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(c.CreatePermission({kPeer}).is_success()) << i;
}

TEST(TurnFlood, ManySourcesKeepTheRateLimitTableBounded) {
  TurnServerConfig config = DefaultConfig();
  config.max_rate_limit_entries = 1000;
  ServerHarness h(config);
  for (uint32_t i = 0; i < 20000; ++i) {
    RawClient x(h, Client(i));
    x.Send(x.Build(stun::method::kBinding, nullptr, false));
    ASSERT_LE(h.server->rate_limit_entry_count(), 1000u);
    if (i % 1000 == 999) h.Advance(Duration::Seconds(5));  // buckets refill and can be forgotten
  }
  EXPECT_LE(h.server->rate_limit_entry_count(), 1000u);
  EXPECT_GT(h.server->stats().binding_requests, 19000u);
}

TEST(TurnFlood, AllocationFloodStopsAtMaxAllocationsAndExpires) {
  TurnServerConfig config = DefaultConfig();
  config.max_allocations = 300;
  config.min_port = 10000;
  config.max_port = 60000;
  ServerHarness h(config);
  int refused = 0;
  for (uint32_t i = 0; i < 500; ++i) {
    RawClient c(h, Client(i));
    Message m = c.Allocate();
    if (m.error_code() == 508) ++refused;
    ASSERT_LE(h.server->allocation_count(), 300u);
  }
  EXPECT_EQ(h.server->allocation_count(), 300u);
  EXPECT_EQ(refused, 200);
  EXPECT_EQ(h.server->reserved_port_count(), 300u);
  h.Advance(Duration::Seconds(601));
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_EQ(h.server->reserved_port_count(), 0u);
  EXPECT_EQ(h.server->stats().permissions, 0u);
}

TEST(TurnFlood, ChallengesCostNoState) {
  ServerHarness h;
  for (uint32_t i = 0; i < 5000; ++i) {
    RawClient x(h, Client(i));
    x.Send(x.Build(stun::method::kAllocate, RawClient::AddUdp, false));
  }
  // Nonces are stateless: 5000 challenges leave no allocation and no per-client state but the rate
  // limiter's buckets (bounded by max_rate_limit_entries).
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_EQ(h.server->reserved_port_count(), 0u);
  EXPECT_LE(h.server->rate_limit_entry_count(), h.server->config().max_rate_limit_entries);
}

TEST(TurnFlood, QueuesAreBounded) {
  TurnServerConfig config = DefaultConfig();
  config.max_queued_transmits = 10;
  config.max_queued_events = 5;
  ServerHarness h(config);
  for (uint32_t i = 0; i < 50; ++i) {
    RawClient x(h, Client(i));
    Datagram d;
    d.local = kListen;
    d.remote = x.address();
    std::vector<uint8_t> req = x.Build(stun::method::kBinding, nullptr, false);
    d.payload = req;
    h.server->HandleInput(d, h.now);  // nobody polls
  }
  EXPECT_EQ(h.Drain().size(), 10u);
  EXPECT_EQ(h.server->stats().dropped_transmits, 40u);
}

TEST(TurnFlood, EssentialEventsAreNeverDropped) {
  TurnServerConfig config = DefaultConfig();
  config.max_queued_events = 2;
  ServerHarness h(config);
  // Feed requests and poll only transmits, so events pile up.
  auto exchange = [&](RawClient& c, const std::vector<uint8_t>& bytes) {
    Datagram d;
    d.local = kListen;
    d.remote = c.address();
    d.payload = bytes;
    h.server->HandleInput(d, h.now);
    std::optional<Transmit> t = h.server->PollTransmit();
    Message m;
    if (t.has_value()) m.bytes = t->payload;
    c.Learn(m);
    return m;
  };
  for (uint16_t i = 0; i < 6; ++i) {
    RawClient c(h, SocketAddress(kClient.ip(), static_cast<uint16_t>(41000 + i)));
    exchange(c, c.Build(stun::method::kAllocate, RawClient::AddUdp, false));
    ASSERT_TRUE(exchange(c, c.Build(stun::method::kAllocate, RawClient::AddUdp)).is_success());
  }
  for (uint16_t i = 0; i < 5; ++i) {
    RawClient bad(h, SocketAddress(kClient.ip(), static_cast<uint16_t>(42000 + i)), std::string(kUser), "wrong");
    exchange(bad, bad.Build(stun::method::kAllocate, RawClient::AddUdp, false));
    EXPECT_EQ(exchange(bad, bad.Build(stun::method::kAllocate, RawClient::AddUdp)).error_code(), 401);
  }
  h.DrainEvents();
  EXPECT_EQ(h.EventsOf<RelayOpened>().size(), 6u);
  EXPECT_EQ(h.EventsOf<Allocated>().size(), 6u);
  EXPECT_TRUE(h.EventsOf<AuthFailed>().empty());
  EXPECT_EQ(h.server->stats().dropped_events, 5u);
  EXPECT_EQ(h.server->stats().auth_failures, 5u);
}

TEST(TurnBandwidth, PerAllocationCapDropsTheExcess) {
  TurnServerConfig config = DefaultConfig();
  config.bandwidth_cap_bytes_per_second = 10000;
  ServerHarness h(config);
  RawClient c(h);
  ASSERT_TRUE(c.Allocate().is_success());
  ASSERT_TRUE(c.ChannelBind(0x4000, kPeer).is_success());
  std::vector<uint8_t> payload(1000, 0xAB);
  std::vector<uint8_t> cd = RawClient::ChannelData(0x4000, payload);
  int relayed = 0;
  for (int i = 0; i < 50; ++i) relayed += static_cast<int>(c.Send(cd).size());
  EXPECT_EQ(relayed, 10);  // one second's worth of burst
  h.Advance(Duration::Millis(500));
  relayed = 0;
  for (int i = 0; i < 50; ++i) relayed += static_cast<int>(c.Send(cd).size());
  EXPECT_EQ(relayed, 5);
  EXPECT_EQ(h.server->stats().bandwidth_dropped, 85u);
  // The other direction has its own bucket.
  int down = 0;
  for (int i = 0; i < 20; ++i) down += static_cast<int>(h.FromPeer(c.relayed[0], kPeer, payload).size());
  EXPECT_EQ(down, 10);
}

// --- TCP/TLS framing ------------------------------------------------------------------------------------

class TurnStream : public ::testing::Test {
 protected:
  std::vector<Transmit> Bytes(ByteSpan b) { return h.FromClient(b, kClient, TransportProtocol::kTcp); }
  FiveTuple tuple() const { return {kClient, kListen, TransportProtocol::kTcp}; }
  ServerHarness h;
};

TEST_F(TurnStream, RequestsSplitIntoSingleBytesAndCoalescedAreAnswered) {
  RawClient c(h);
  std::vector<uint8_t> r1 = c.Build(stun::method::kBinding, nullptr, false);
  std::vector<uint8_t> r2 = c.Build(stun::method::kAllocate, RawClient::AddUdp, false);
  std::vector<uint8_t> all = r1;
  all.insert(all.end(), r2.begin(), r2.end());
  // Byte by byte.
  std::vector<Transmit> out;
  for (uint8_t byte : all) {
    std::vector<Transmit> o = Bytes(ByteSpan(&byte, 1));
    out.insert(out.end(), o.begin(), o.end());
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].protocol, TransportProtocol::kTcp);
  EXPECT_EQ(out[0].remote, kClient);
  // Both at once.
  EXPECT_EQ(Bytes(all).size(), 2u);
  // One and a half, then the rest.
  EXPECT_EQ(Bytes(ByteSpan(all).first(r1.size() + 7)).size(), 1u);
  EXPECT_EQ(Bytes(ByteSpan(all).subspan(r1.size() + 7)).size(), 1u);
  EXPECT_EQ(h.server->stream_count(), 1u);
}

TEST_F(TurnStream, AllocationOverTcpRelaysPaddedChannelData) {
  RawClient c(h);
  auto send = [&](const std::vector<uint8_t>& req) {
    std::vector<Transmit> out = Bytes(req);
    EXPECT_EQ(out.size(), 1u);
    Message m;
    if (!out.empty()) m.bytes = out[0].payload;
    c.Learn(m);
    return m;
  };
  send(c.Build(stun::method::kAllocate, RawClient::AddUdp, false));
  Message alloc = send(c.Build(stun::method::kAllocate, RawClient::AddUdp));
  ASSERT_TRUE(alloc.is_success());
  SocketAddress relay = *alloc.view().GetXorAddress(stun::attr::kXorRelayedAddress);
  ASSERT_TRUE(send(c.Build(stun::method::kChannelBind, [](stun::MessageBuilder& b) {
                 b.AddChannelNumber(0x4000);
                 b.AddXorAddress(stun::attr::kXorPeerAddress, kPeer);
               })).is_success());
  // Client -> peer over the stream, padded ChannelData back to back with a Send indication.
  std::vector<uint8_t> stream = RawClient::ChannelData(0x4000, testing::Bytes("abcde"), true);
  EXPECT_EQ(stream.size(), 12u);
  std::vector<Transmit> out = Bytes(stream);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, testing::Bytes("abcde"));
  EXPECT_EQ(out[0].protocol, TransportProtocol::kUdp);
  // Peer -> client: padded to 4 over TCP.
  std::vector<Transmit> back = h.FromPeer(relay, kPeer, testing::Bytes("xyz"));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].protocol, TransportProtocol::kTcp);
  EXPECT_EQ(back[0].payload.size(), 8u);
  // Closing the connection ends the allocation.
  h.server->HandleStreamClosed(tuple(), h.now);
  h.DrainEvents();
  EXPECT_EQ(h.server->allocation_count(), 0u);
  EXPECT_EQ(h.server->stream_count(), 0u);
  ASSERT_EQ(h.EventsOf<Deallocated>().size(), 1u);
  EXPECT_EQ(h.EventsOf<Deallocated>()[0].reason, DeallocationReason::kStreamClosed);
}

// RFC 5766 channel numbers over TCP (RFC 8656 §12.5 framing): a first byte 0x40-0x7F starts a padded
// ChannelData frame, whether the frame arrives whole, byte by byte or back to back with STUN.
TEST_F(TurnStream, Rfc5766ChannelDataIsFramedAndRelayed) {
  RawClient c(h);
  c.protocol = TransportProtocol::kTcp;
  ASSERT_TRUE(c.Allocate().is_success());
  const SocketAddress relay = c.relayed.at(0);
  ASSERT_TRUE(c.ChannelBind(0x7647, kPeer).is_success());

  std::vector<uint8_t> frame = RawClient::ChannelData(0x7647, testing::Bytes("abcde"), true);
  ASSERT_EQ(frame.size(), 12u);
  std::vector<Transmit> out = Bytes(frame);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, testing::Bytes("abcde"));
  // Byte by byte: held until the padded frame is complete.
  size_t relayed = 0;
  for (uint8_t byte : frame) relayed += Bytes(ByteSpan(&byte, 1)).size();
  EXPECT_EQ(relayed, 1u);
  // Back to back with a Binding request.
  std::vector<uint8_t> both = RawClient::ChannelData(0x7647, testing::Bytes("xy"), true);
  std::vector<uint8_t> binding = c.Build(stun::method::kBinding, nullptr, false);
  both.insert(both.end(), binding.begin(), binding.end());
  out = Bytes(both);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].payload, testing::Bytes("xy"));
  EXPECT_TRUE(stun::LooksLikeStun(out[1].payload));

  // Peer -> client: padded ChannelData on 0x7647.
  std::vector<Transmit> back = h.FromPeer(relay, kPeer, testing::Bytes("xyz"));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].protocol, TransportProtocol::kTcp);
  auto cd =
      stun::ParseChannelData(back[0].payload, stun::Framing::kStream, stun::ChannelNumberRange::kRfc5766);
  ASSERT_TRUE(cd.ok()) << cd.status();
  EXPECT_EQ(cd->channel, 0x7647);
  EXPECT_EQ(cd->frame_size, 8u);
  EXPECT_TRUE(h.EventsOf<CloseStream>().empty());
  EXPECT_EQ(h.server->stream_count(), 1u);
}

// With RFC 8656 numbers only, a stream whose next byte is 0x50-0x7F cannot be framed: it is closed.
TEST_F(TurnStream, Rfc5766ChannelDataClosesTheConnectionWhenOnlyRfc8656NumbersAreAccepted) {
  TurnServerConfig config = DefaultConfig();
  config.rfc5766_channel_numbers = false;
  ServerHarness strict(config);
  std::vector<uint8_t> frame = RawClient::ChannelData(0x7647, testing::Bytes("abcd"), true);
  EXPECT_TRUE(strict.FromClient(frame, kClient, TransportProtocol::kTcp).empty());
  ASSERT_EQ(strict.EventsOf<CloseStream>().size(), 1u);
  EXPECT_EQ(strict.server->stream_count(), 0u);
  // The default server keeps the connection (no allocation: the frame is dropped).
  EXPECT_TRUE(Bytes(frame).empty());
  EXPECT_TRUE(h.EventsOf<CloseStream>().empty());
  EXPECT_EQ(h.server->stream_count(), 1u);
  // 0x80 and above is neither STUN nor ChannelData for either.
  const uint8_t rtp[] = {0x80, 0x00, 0x00, 0x04, 1, 2, 3, 4};
  EXPECT_TRUE(Bytes(rtp).empty());
  EXPECT_EQ(h.EventsOf<CloseStream>().size(), 1u);
}

TEST_F(TurnStream, GarbageClosesTheConnection) {
  const uint8_t junk[] = {0xFF, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_TRUE(Bytes(junk).empty());
  ASSERT_EQ(h.EventsOf<CloseStream>().size(), 1u);
  EXPECT_EQ(h.EventsOf<CloseStream>()[0].five_tuple, tuple());
  EXPECT_EQ(h.server->stream_count(), 0u);
  EXPECT_EQ(h.server->stats().stream_errors, 1u);
}

TEST_F(TurnStream, OversizedFrameClosesTheConnectionBeforeBuffering) {
  TurnServerConfig config = DefaultConfig();
  config.max_stream_frame_size = 1024;
  ServerHarness small(config);
  // A STUN header announcing a 60000-byte body.
  uint8_t header[20] = {0x00, 0x01, 0xEA, 0x60, 0x21, 0x12, 0xA4, 0x42};
  small.FromClient(header, kClient, TransportProtocol::kTcp);
  ASSERT_EQ(small.EventsOf<CloseStream>().size(), 1u);
  EXPECT_EQ(small.server->stream_count(), 0u);
  // The same announced in two pieces (the length arrives in the second).
  ServerHarness small2(config);
  small2.FromClient(ByteSpan(header, 3), kClient, TransportProtocol::kTcp);
  EXPECT_EQ(small2.server->stream_count(), 1u);
  small2.FromClient(ByteSpan(header + 3, 17), kClient, TransportProtocol::kTcp);
  EXPECT_EQ(small2.EventsOf<CloseStream>().size(), 1u);
  EXPECT_EQ(small2.server->stream_count(), 0u);
}

TEST_F(TurnStream, TruncatedFrameIsHeldThenCompleted) {
  RawClient c(h);
  std::vector<uint8_t> req = c.Build(stun::method::kBinding, nullptr, false);
  EXPECT_TRUE(Bytes(ByteSpan(req).first(req.size() - 1)).empty());
  EXPECT_TRUE(h.EventsOf<CloseStream>().empty());
  EXPECT_EQ(Bytes(ByteSpan(req).last(1)).size(), 1u);
}

TEST_F(TurnStream, ManySlowConnectionsStayUnderTheMemoryCap) {
  TurnServerConfig config = DefaultConfig();
  config.max_streams = 100;
  config.max_total_stream_buffer = 100 * 1000;
  ServerHarness many(config);
  // Each connection sends the first 1000 bytes of a 4000-byte frame and stalls.
  std::vector<uint8_t> partial(1000, 0);
  partial[0] = 0x00;
  partial[1] = 0x01;
  StoreBigEndian16(partial.data() + 2, 3980);
  StoreBigEndian32(partial.data() + 4, stun::kMagicCookie);
  for (uint32_t i = 0; i < 300; ++i) {
    many.FromClient(partial, Client(i), TransportProtocol::kTcp);
    ASSERT_LE(many.server->stream_count(), 100u);
  }
  EXPECT_EQ(many.server->stream_count(), 100u);
  EXPECT_EQ(many.EventsOf<CloseStream>().size(), 200u);
  // And the buffered total cap bites before the count when frames are larger.
  config.max_streams = 1000;
  config.max_total_stream_buffer = 10 * 1000;
  ServerHarness capped(config);
  for (uint32_t i = 0; i < 50; ++i) capped.FromClient(partial, Client(i), TransportProtocol::kTcp);
  EXPECT_EQ(capped.EventsOf<CloseStream>().size(), 40u);
}

}  // namespace
}  // namespace tern::turn::testing
