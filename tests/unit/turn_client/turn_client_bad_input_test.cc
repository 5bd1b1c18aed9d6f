// TurnClient against a bad or hostile server: responses with wrong or missing integrity (RFC 8489
// §9.2.5), unknown transaction ids, datagrams from elsewhere, malformed messages, unknown channels,
// Data indications without a permission, and broken TCP/TLS framing — truncated, garbled, oversized
// — which must end in a clean failure with bounded memory, never a crash.
#include <vector>

#include "gtest/gtest.h"
#include "tern/ice/turn_client.h"
#include "tern/stun/stun.h"
#include "unit/turn_client/turn_harness.h"

namespace tern::ice {
namespace {

using testing::kServerAddress;
using testing::TurnHarness;

const SocketAddress kPeer(IpAddress::V4(192, 0, 2, 50), 7000);

TurnClientConfig Tcp() {
  TurnClientConfig c = TurnHarness::DefaultConfig();
  c.transport = TurnTransport::kTcp;
  return c;
}

TEST(TurnClientBadInput, WrongIntegrityOnUdpIsDroppedAndRetransmissionsContinue) {
  TurnHarness h;
  h.server.corrupt_integrity = true;
  Timestamp start = h.now();
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  h.Pump();
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocating) << "the bad success was ignored";
  EXPECT_EQ(h.client.stats().dropped_bad_integrity, 1u);
  ASSERT_TRUE(h.client.NextTimeout().has_value());
  h.AdvanceTo(start + Duration::Seconds(60));
  // Every retransmission was answered with a bad MAC; the transaction ends at 39.5 s saying so.
  EXPECT_EQ(h.Requests(stun::method::kAllocate).size(), 8u);
  std::vector<TurnAllocationFailed> failed = h.EventsOf<TurnAllocationFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].status.code(), absl::StatusCode::kUnauthenticated) << failed[0].status;
  EXPECT_NE(failed[0].status.message().find("integrity"), std::string::npos);
  EXPECT_TRUE(h.EventsOf<TurnAllocated>().empty());
}

TEST(TurnClientBadInput, WrongIntegrityOnTcpFailsTheTransactionAtOnce) {
  TurnHarness h(Tcp());
  h.server.corrupt_integrity = true;
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  h.Pump();
  EXPECT_EQ(h.client.state(), TurnClientState::kFailed);
  std::vector<TurnAllocationFailed> failed = h.EventsOf<TurnAllocationFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].status.code(), absl::StatusCode::kUnauthenticated);
}

TEST(TurnClientBadInput, ErrorResponseWithWrongIntegrityIsDropped) {
  TurnHarness h;
  h.server.fail_method[stun::method::kAllocate] = 486;
  h.server.corrupt_integrity = true;
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  h.Pump();
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocating) << "a forged 486 is not believed";
  EXPECT_EQ(h.client.stats().dropped_bad_integrity, 1u);
  // The genuine answer to a retransmission is.
  h.server.corrupt_integrity = false;
  h.Advance(Duration::Millis(500));
  std::vector<TurnAllocationFailed> failed = h.EventsOf<TurnAllocationFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error_code, 486);
}

TEST(TurnClientBadInput, UnauthenticatedSuccessAfterAuthIsRejected) {
  TurnHarness h;
  h.server.omit_integrity = true;
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  h.Pump();
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocating);
  EXPECT_EQ(h.client.stats().dropped_bad_integrity, 1u);
  // Once the server behaves, the retransmission gets through.
  h.server.omit_integrity = false;
  h.Advance(Duration::Millis(500));
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocated);
}

TEST(TurnClientBadInput, RefreshWithBadIntegrityIsNotBelieved) {
  TurnHarness h;
  h.AllocateOrDie();
  h.server.corrupt_integrity = true;
  h.Advance(Duration::Seconds(541));
  EXPECT_TRUE(h.EventsOf<TurnRefreshed>().empty());
  EXPECT_GE(h.client.stats().dropped_bad_integrity, 1u);
}

std::vector<uint8_t> SuccessWithId(const stun::TransactionId& id, uint16_t method) {
  std::vector<uint8_t> buffer(512);
  stun::MessageBuilder b(buffer, {stun::MessageClass::kSuccessResponse, method}, id);
  b.AddXorAddress(stun::attr::kXorRelayedAddress, SocketAddress(IpAddress::V4(1, 2, 3, 4), 5));
  b.AddU32(stun::attr::kLifetime, 600);
  absl::StatusOr<ByteSpan> wire = b.Finish({.fingerprint = true});
  buffer.resize(wire->size());
  return buffer;
}

TEST(TurnClientBadInput, UnknownTransactionIdIsIgnored) {
  TurnHarness h;
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  h.client.PollTransmit();
  SeededRandom other(1234);
  h.Deliver(SuccessWithId(stun::TransactionId::Generate(other), stun::method::kAllocate));
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocating);
  EXPECT_EQ(h.client.stats().dropped_unknown_transaction, 1u);
  EXPECT_TRUE(h.events.empty());
}

TEST(TurnClientBadInput, ResponseOfTheWrongMethodIsIgnored) {
  TurnHarness h;
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  std::optional<Transmit> t = h.client.PollTransmit();
  absl::StatusOr<stun::MessageView> request = stun::MessageView::Parse(t->payload);
  ASSERT_TRUE(request.ok());
  h.Deliver(SuccessWithId(request->transaction_id(), stun::method::kRefresh));
  EXPECT_EQ(h.client.stats().dropped_unknown_transaction, 1u);
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocating);
}

TEST(TurnClientBadInput, DatagramsFromElsewhereAreIgnored) {
  TurnHarness h;
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  std::optional<Transmit> t = h.client.PollTransmit();
  absl::StatusOr<stun::MessageView> request = stun::MessageView::Parse(t->payload);
  ASSERT_TRUE(request.ok());
  std::vector<uint8_t> forged = SuccessWithId(request->transaction_id(), stun::method::kAllocate);
  Datagram d;
  d.remote = SocketAddress(IpAddress::V4(192, 0, 2, 66), 3478);
  d.payload = forged;
  h.client.HandleInput(d, h.now());
  EXPECT_EQ(h.client.stats().dropped_not_from_server, 1u);
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocating);
}

TEST(TurnClientBadInput, MalformedMessagesAreDropped) {
  TurnHarness h;
  h.AllocateOrDie();
  std::vector<std::vector<uint8_t>> junk = {
      {},
      {0x00},
      {0x01, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42},  // truncated header
      {0xFF, 0xFF, 0xFF, 0xFF},                          // not STUN, not ChannelData
      {0x40, 0x00, 0x00, 0x10, 0x01},                    // ChannelData shorter than its length
      {0x00, 0x11, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},  // request
  };
  for (const std::vector<uint8_t>& j : junk) h.Deliver(j);
  // A response whose FINGERPRINT is wrong.
  std::vector<uint8_t> bad_fp = SuccessWithId(stun::TransactionId(), stun::method::kAllocate);
  bad_fp.back() ^= 1;
  h.Deliver(bad_fp);
  EXPECT_EQ(h.client.stats().dropped_malformed, junk.size() + 1);
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocated);
  EXPECT_TRUE(h.EventsOf<TurnError>().empty());
}

TEST(TurnClientBadInput, ChannelDataOnAnUnknownChannelIsDropped) {
  TurnHarness h;
  h.AllocateOrDie();
  h.Deliver(std::vector<uint8_t>{0x40, 0x07, 0x00, 0x01, 'x'});
  EXPECT_EQ(h.client.stats().dropped_unknown_channel, 1u);
  EXPECT_TRUE(h.EventsOf<TurnDataReceived>().empty());
}

TEST(TurnClientBadInput, DataIndicationWithoutPermissionIsDropped) {
  TurnHarness h;
  h.AllocateOrDie();
  ASSERT_TRUE(h.client.CreatePermission(kPeer.ip(), h.now()).ok());
  h.Pump();
  std::optional<std::vector<uint8_t>> in = h.server.FromPeer(kPeer, AsBytes("x"), h.now());
  ASSERT_TRUE(in.has_value());
  // The same indication, as if from a peer the client never permitted.
  TurnHarness other;
  other.AllocateOrDie();
  other.Deliver(*in);
  EXPECT_EQ(other.client.stats().dropped_no_permission, 1u);
  EXPECT_TRUE(other.EventsOf<TurnDataReceived>().empty());
}

TEST(TurnClientBadInput, GarbledStreamFramingFailsCleanly) {
  TurnHarness h(Tcp());
  h.AllocateOrDie();
  std::vector<uint8_t> garbage = {0x80, 0x01, 0x02, 0x03, 0x04, 0x05};
  h.Deliver(garbage);
  EXPECT_EQ(h.client.state(), TurnClientState::kFailed);
  std::vector<TurnError> errors = h.EventsOf<TurnError>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(h.client.stream_buffer_size(), 0u);
  EXPECT_FALSE(h.client.NextTimeout().has_value());
  h.Deliver(garbage);  // further bytes are ignored
  EXPECT_EQ(h.EventsOf<TurnError>().size(), 1u);
}

TEST(TurnClientBadInput, StreamWithoutMagicCookieFails) {
  TurnHarness h(Tcp());
  h.AllocateOrDie();
  // A STUN-looking header (length 0) without the magic cookie, fed in pieces.
  std::vector<uint8_t> frame = {0x01, 0x01, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 1,  2,
                                3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
  h.Deliver(frame, 3);
  EXPECT_EQ(h.client.state(), TurnClientState::kFailed);
  ASSERT_EQ(h.EventsOf<TurnError>().size(), 1u);
}

TEST(TurnClientBadInput, StunLengthNotAMultipleOfFourFailsTheStream) {
  TurnHarness h(Tcp());
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  h.Deliver(std::vector<uint8_t>{0x01, 0x13, 0x00, 0x05});
  EXPECT_EQ(h.client.state(), TurnClientState::kFailed);
  ASSERT_EQ(h.EventsOf<TurnAllocationFailed>().size(), 1u);
  EXPECT_EQ(h.EventsOf<TurnAllocationFailed>()[0].status.code(), absl::StatusCode::kDataLoss);
}

TEST(TurnClientBadInput, OversizedFrameLengthFailsBeforeBuffering) {
  TurnClientConfig c = Tcp();
  c.max_stream_frame_size = 1024;
  TurnHarness h(c);
  h.AllocateOrDie();
  // A ChannelData header announcing 4000 bytes: refused from its 4 header bytes alone.
  h.Deliver(std::vector<uint8_t>{0x40, 0x00, 0x0F, 0xA0, 1, 2, 3}, 2);
  EXPECT_EQ(h.client.state(), TurnClientState::kFailed);
  std::vector<TurnError> errors = h.EventsOf<TurnError>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].status.message().find("exceeds"), std::string::npos) << errors[0].status;
  EXPECT_EQ(h.client.stream_buffer_size(), 0u);
}

TEST(TurnClientBadInput, LargestFramesStayWithinTheDefaultBound) {
  TurnHarness h(Tcp());
  h.AllocateOrDie();
  ASSERT_TRUE(h.client.BindChannel(kPeer, h.now()).ok());
  h.Pump();
  // A 65535-byte ChannelData (the largest there is) trickled in 1000-byte chunks.
  std::vector<uint8_t> frame(4 + 65536, 0xAB);
  frame[0] = 0x40;
  frame[1] = 0x00;
  frame[2] = 0xFF;
  frame[3] = 0xFF;
  frame[4 + 65535] = 0;
  size_t max_buffer = 0;
  for (size_t i = 0; i < frame.size(); i += 1000) {
    h.client.HandleStreamBytes(ByteSpan(frame).subspan(i, std::min<size_t>(1000, frame.size() - i)), h.now());
    max_buffer = std::max(max_buffer, h.client.stream_buffer_size());
  }
  h.DrainEvents();
  EXPECT_LE(max_buffer, 65536u + 20u);
  std::vector<TurnDataReceived> data = h.EventsOf<TurnDataReceived>();
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].payload.size(), 65535u);
  EXPECT_EQ(h.client.stream_buffer_size(), 0u);
}

TEST(TurnClientBadInput, TruncatedFrameThenStreamCloseFails) {
  TurnHarness h(Tcp());
  h.AllocateOrDie();
  ASSERT_TRUE(h.client.BindChannel(kPeer, h.now()).ok());
  h.Pump();
  h.Deliver(std::vector<uint8_t>{0x40, 0x00, 0x00, 0x10, 1, 2, 3});  // 16 announced, 3 sent
  EXPECT_EQ(h.client.stream_buffer_size(), 7u);
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocated) << "waiting for the rest";
  h.client.HandleStreamClosed(h.now());
  h.DrainEvents();
  EXPECT_EQ(h.client.state(), TurnClientState::kFailed);
  std::vector<TurnError> errors = h.EventsOf<TurnError>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(h.client.stream_buffer_size(), 0u);
}

TEST(TurnClientBadInput, StreamBytesOnUdpClientAreIgnored) {
  TurnHarness h;
  h.AllocateOrDie();
  h.client.HandleStreamBytes(std::vector<uint8_t>{0x80, 0, 0, 0}, h.now());
  h.client.HandleStreamClosed(h.now());
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocated);
}

TEST(TurnClientBadInput, InputBeforeAllocateAndAfterCloseIsIgnored) {
  TurnHarness h;
  SeededRandom other(5);
  h.Deliver(SuccessWithId(stun::TransactionId::Generate(other), stun::method::kAllocate));
  EXPECT_EQ(h.client.state(), TurnClientState::kNew);
  h.AllocateOrDie();
  h.client.Close(h.now());
  h.Pump();
  h.Deliver(SuccessWithId(stun::TransactionId::Generate(other), stun::method::kAllocate));
  EXPECT_EQ(h.client.state(), TurnClientState::kClosed);
}

}  // namespace
}  // namespace tern::ice
