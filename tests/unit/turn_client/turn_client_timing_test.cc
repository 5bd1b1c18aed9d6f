// TurnClient timers on a ManualClock: STUN retransmissions over UDP and the single timeout over
// TCP/TLS (RFC 8489 §6.2.1-§6.2.2), allocation refresh before expiry (RFC 8656 §8), permission
// refresh before 5 minutes (§9) and channel refresh before 10 minutes (§11).
#include <vector>

#include "gtest/gtest.h"
#include "tern/ice/turn_client.h"
#include "tern/stun/stun.h"
#include "unit/turn_client/turn_harness.h"

namespace tern::ice {
namespace {

using testing::TurnHarness;

std::vector<Duration> Offsets(const std::vector<testing::SentTransmit>& sent, Timestamp start) {
  std::vector<Duration> out;
  for (const testing::SentTransmit& t : sent) out.push_back(t.at - start);
  return out;
}

TEST(TurnClientTiming, Rfc8489Section6_2_1RetransmissionsOverUdp) {
  TurnHarness h;
  h.deliver = false;  // the server never hears anything
  Timestamp start = h.now();
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  h.AdvanceTo(start + Duration::Seconds(60));
  // RTO 500 ms doubling, Rc = 7 transmissions, then Rm·RTO = 8 s: 39.5 s in all.
  std::vector<Duration> expected = {Duration::Millis(0),    Duration::Millis(500),  Duration::Millis(1500),
                                    Duration::Millis(3500), Duration::Millis(7500), Duration::Millis(15500),
                                    Duration::Millis(31500)};
  EXPECT_EQ(Offsets(h.sent, start), expected);
  for (const testing::SentTransmit& t : h.sent) EXPECT_EQ(t.payload, h.sent[0].payload);
  EXPECT_EQ(h.client.stats().retransmissions, 6u);
  std::vector<TurnAllocationFailed> failed = h.EventsOf<TurnAllocationFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(failed[0].error_code, 0);
  EXPECT_EQ(h.TimesOf<TurnAllocationFailed>()[0], start + Duration::Millis(39500));
  EXPECT_FALSE(h.client.NextTimeout().has_value());
}

TEST(TurnClientTiming, RetransmissionStopsWhenTheAnswerArrives) {
  TurnHarness h;
  h.deliver = false;
  Timestamp start = h.now();
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  h.AdvanceTo(start + Duration::Millis(1600));  // three transmissions lost
  EXPECT_EQ(h.sent.size(), 3u);
  h.deliver = true;
  h.AdvanceTo(start + Duration::Millis(3500));  // the fourth gets the 401, the answer follows
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocated);
  size_t sent = h.sent.size();
  h.AdvanceTo(start + Duration::Seconds(100));
  EXPECT_EQ(h.sent.size(), sent) << "nothing retransmitted after the success";
}

TEST(TurnClientTiming, Rfc8489Section6_2_2SingleTimeoutOverTcp) {
  for (TurnTransport transport : {TurnTransport::kTcp, TurnTransport::kTls}) {
    TurnClientConfig c = TurnHarness::DefaultConfig();
    c.transport = transport;
    TurnHarness h(c);
    h.deliver = false;
    Timestamp start = h.now();
    ASSERT_TRUE(h.client.Allocate(h.now()).ok());
    EXPECT_EQ(*h.client.NextTimeout(), start + Duration::Millis(39500));
    h.AdvanceTo(start + Duration::Seconds(60));
    EXPECT_EQ(h.sent.size(), 1u) << "no retransmissions over a reliable transport";
    ASSERT_EQ(h.EventsOf<TurnAllocationFailed>().size(), 1u);
    EXPECT_EQ(h.TimesOf<TurnAllocationFailed>()[0], start + Duration::Millis(39500));
  }
}

TEST(TurnClientTiming, Rfc8656Section8RefreshOneMinuteBeforeExpiry) {
  TurnHarness h;
  h.AllocateOrDie();
  Timestamp allocated = h.now();
  EXPECT_EQ(*h.client.NextTimeout(), allocated + Duration::Seconds(540));
  h.AdvanceTo(allocated + Duration::Seconds(539));
  EXPECT_TRUE(h.Requests(stun::method::kRefresh).empty());
  h.AdvanceTo(allocated + Duration::Seconds(1100));
  std::vector<testing::SentTransmit> refreshes = h.Requests(stun::method::kRefresh);
  ASSERT_EQ(refreshes.size(), 2u);
  EXPECT_EQ(refreshes[0].at, allocated + Duration::Seconds(540));
  EXPECT_EQ(refreshes[1].at, allocated + Duration::Seconds(1080));
  absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(refreshes[0].payload);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m->GetLifetime(), 600u);
  EXPECT_TRUE(m->has_message_integrity());
  EXPECT_EQ(h.EventsOf<TurnRefreshed>().size(), 2u);
  EXPECT_EQ(h.EventsOf<TurnRefreshed>()[0].lifetime, Duration::Seconds(600));
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocated);
  EXPECT_GT(h.server.allocation_expiry(), h.now());
}

TEST(TurnClientTiming, ShortLifetimeRefreshesAtThreeQuarters) {
  TurnClientConfig c = TurnHarness::DefaultConfig();
  c.requested_lifetime = Duration::Seconds(100);
  TurnHarness h(c);
  h.AllocateOrDie();
  Timestamp allocated = h.now();
  h.AdvanceTo(allocated + Duration::Seconds(80));
  std::vector<testing::SentTransmit> refreshes = h.Requests(stun::method::kRefresh);
  ASSERT_EQ(refreshes.size(), 1u);
  EXPECT_EQ(refreshes[0].at, allocated + Duration::Seconds(75));
}

TEST(TurnClientTiming, RefreshStaleNonceIsRetried) {
  TurnHarness h;
  h.AllocateOrDie();
  Timestamp allocated = h.now();
  h.server.stale_nonce_count = 1;
  h.AdvanceTo(allocated + Duration::Seconds(541));
  EXPECT_EQ(h.Requests(stun::method::kRefresh).size(), 2u);
  EXPECT_EQ(h.EventsOf<TurnRefreshed>().size(), 1u);
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocated);
}

TEST(TurnClientTiming, RefreshAllocationMismatchLosesTheAllocation) {
  TurnHarness h;
  h.AllocateOrDie();
  h.server.forget_allocation = true;
  h.Advance(Duration::Seconds(541));
  EXPECT_EQ(h.client.state(), TurnClientState::kFailed);
  std::vector<TurnError> errors = h.EventsOf<TurnError>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error_code, 437);
  EXPECT_FALSE(h.client.NextTimeout().has_value());
}

TEST(TurnClientTiming, AllocationExpiresWhenRefreshesGoUnanswered) {
  TurnClientConfig c = TurnHarness::DefaultConfig();
  c.requested_lifetime = Duration::Seconds(60);
  TurnHarness h(c);
  h.AllocateOrDie();
  Timestamp allocated = h.now();
  h.deliver = false;
  h.AdvanceTo(allocated + Duration::Seconds(120));
  // Refresh at 45 s, retransmitted, and the allocation is declared lost at its expiry (60 s),
  // before the transaction itself would time out (84.5 s).
  EXPECT_EQ(h.Requests(stun::method::kRefresh)[0].at, allocated + Duration::Seconds(45));
  std::vector<TurnError> errors = h.EventsOf<TurnError>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(h.TimesOf<TurnError>()[0], allocated + Duration::Seconds(60));
  EXPECT_EQ(h.client.state(), TurnClientState::kFailed);
}

TEST(TurnClientTiming, Rfc8656Section9PermissionsRefreshedEveryFourMinutes) {
  TurnHarness h;
  h.AllocateOrDie();
  IpAddress peer = IpAddress::V4(192, 0, 2, 50);
  Timestamp created = h.now();
  ASSERT_TRUE(h.client.CreatePermission(peer, h.now()).ok());
  ASSERT_TRUE(h.client.CreatePermission(peer, h.now()).ok());  // idempotent
  h.Pump();
  EXPECT_TRUE(h.client.HasPermission(peer));
  EXPECT_EQ(h.EventsOf<TurnPermissionCreated>().size(), 1u);
  h.AdvanceTo(created + Duration::Seconds(1000));
  std::vector<testing::SentTransmit> requests = h.Requests(stun::method::kCreatePermission);
  ASSERT_EQ(requests.size(), 5u);
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].at, created + Duration::Seconds(240) * static_cast<int64_t>(i)) << i;
  }
  EXPECT_EQ(h.EventsOf<TurnPermissionCreated>().size(), 1u) << "refreshes are silent";
  // The server's 5-minute permission never lapsed: the peer can still reach the client.
  EXPECT_TRUE(h.server.HasPermission(peer, h.now()));
  absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(requests[0].payload);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->GetXorAddress(stun::attr::kXorPeerAddress)->ip(), peer);
}

TEST(TurnClientTiming, Rfc8656Section11ChannelsRefreshedEveryNineMinutes) {
  TurnHarness h;
  h.AllocateOrDie();
  SocketAddress peer(IpAddress::V4(192, 0, 2, 50), 7000);
  Timestamp bound = h.now();
  absl::StatusOr<uint16_t> channel = h.client.BindChannel(peer, h.now());
  ASSERT_TRUE(channel.ok());
  EXPECT_EQ(*channel, 0x4000);
  h.Pump();
  ASSERT_EQ(h.EventsOf<TurnChannelBound>().size(), 1u);
  EXPECT_EQ(h.EventsOf<TurnChannelBound>()[0].channel, 0x4000);
  EXPECT_EQ(h.EventsOf<TurnChannelBound>()[0].peer, peer);
  EXPECT_EQ(h.client.BoundChannel(peer), 0x4000);
  EXPECT_TRUE(h.client.HasPermission(peer.ip())) << "ChannelBind installs the permission";
  h.AdvanceTo(bound + Duration::Seconds(1200));
  std::vector<testing::SentTransmit> binds = h.Requests(stun::method::kChannelBind);
  ASSERT_EQ(binds.size(), 3u);
  EXPECT_EQ(binds[1].at, bound + Duration::Seconds(540));
  EXPECT_EQ(binds[2].at, bound + Duration::Seconds(1080));
  // The permission is kept alive in between (ChannelBind alone would leave 5-minute gaps).
  std::vector<testing::SentTransmit> permissions = h.Requests(stun::method::kCreatePermission);
  ASSERT_FALSE(permissions.empty());
  EXPECT_EQ(permissions[0].at, bound + Duration::Seconds(240));
  EXPECT_TRUE(h.server.ChannelOf(peer, h.now()).has_value());
  EXPECT_TRUE(h.server.HasPermission(peer.ip(), h.now()));
  EXPECT_EQ(h.EventsOf<TurnChannelBound>().size(), 1u) << "refreshes are silent";
}

TEST(TurnClientTiming, PermissionAndChannelNeverLapseOnTheServer) {
  TurnHarness h;
  h.AllocateOrDie();
  SocketAddress peer(IpAddress::V4(192, 0, 2, 50), 7000);
  ASSERT_TRUE(h.client.BindChannel(peer, h.now()).ok());
  h.Pump();
  Timestamp start = h.now();
  for (int second = 10; second <= 3600; second += 10) {
    h.AdvanceTo(start + Duration::Seconds(second));
    ASSERT_TRUE(h.server.HasPermission(peer.ip(), h.now())) << second;
    ASSERT_TRUE(h.server.ChannelOf(peer, h.now()).has_value()) << second;
    ASSERT_TRUE(h.server.allocated()) << second;
  }
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocated);
}

TEST(TurnClientTiming, PermissionRefreshFailureIsReported) {
  TurnHarness h;
  h.AllocateOrDie();
  IpAddress peer = IpAddress::V4(192, 0, 2, 50);
  ASSERT_TRUE(h.client.CreatePermission(peer, h.now()).ok());
  h.Pump();
  h.server.fail_method[stun::method::kCreatePermission] = 403;
  h.Advance(Duration::Seconds(241));
  std::vector<TurnPermissionFailed> failed = h.EventsOf<TurnPermissionFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].peer, peer);
  EXPECT_EQ(failed[0].error_code, 403);
  EXPECT_FALSE(h.client.HasPermission(peer));
  EXPECT_TRUE(absl::IsPermissionDenied(h.client.SendTo(SocketAddress(peer, 1), AsBytes("x"), h.now())));
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocated) << "the allocation itself is fine";
  // An explicit CreatePermission retries.
  h.server.fail_method.clear();
  ASSERT_TRUE(h.client.CreatePermission(peer, h.now()).ok());
  h.Pump();
  EXPECT_TRUE(h.client.HasPermission(peer));
}

TEST(TurnClientTiming, ChannelBindFailureIsReported) {
  TurnHarness h;
  h.AllocateOrDie();
  h.server.fail_method[stun::method::kChannelBind] = 400;
  SocketAddress peer(IpAddress::V4(192, 0, 2, 50), 7000);
  ASSERT_TRUE(h.client.BindChannel(peer, h.now()).ok());
  h.Pump();
  std::vector<TurnChannelBindFailed> failed = h.EventsOf<TurnChannelBindFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error_code, 400);
  EXPECT_EQ(failed[0].channel, 0x4000);
  EXPECT_FALSE(h.client.BoundChannel(peer).has_value());
  EXPECT_FALSE(h.client.HasPermission(peer.ip()));
}

}  // namespace
}  // namespace tern::ice
