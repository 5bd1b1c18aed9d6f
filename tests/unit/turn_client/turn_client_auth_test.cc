// TurnClient allocation and long-term credentials against the fake server: the 401 challenge and
// the authenticated Allocate (RFC 8656 §7, RFC 8489 §9.2), PASSWORD-ALGORITHMS (RFC 8489 §9.2.4-5),
// stale nonces (438), error codes, dual allocations (RFC 8656 §7.1), deallocation and the API's
// preconditions.
#include <vector>

#include "gtest/gtest.h"
#include "tern/ice/turn_client.h"
#include "tern/stun/stun.h"
#include "unit/turn_client/turn_harness.h"

namespace tern::ice {
namespace {

using testing::FakeTurnServerConfig;
using testing::kServerAddress;
using testing::TurnHarness;
namespace attr = stun::attr;

stun::MessageView ParseOrDie(const std::vector<uint8_t>& bytes) {
  absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(bytes);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : stun::MessageView();
}

TEST(TurnClientAllocate, Rfc8656Section7ChallengeThenAuthenticatedAllocate) {
  TurnHarness h;
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  EXPECT_EQ(h.client.state(), TurnClientState::kAllocating);
  h.Pump();
  ASSERT_EQ(h.client.state(), TurnClientState::kAllocated);

  std::vector<testing::SentTransmit> allocates = h.Requests(stun::method::kAllocate);
  ASSERT_EQ(allocates.size(), 2u);
  // The first Allocate carries no credentials.
  stun::MessageView first = ParseOrDie(allocates[0].payload);
  EXPECT_FALSE(first.Has(attr::kUsername));
  EXPECT_FALSE(first.has_message_integrity());
  EXPECT_EQ(first.Find(attr::kRequestedTransport)->value[0], stun::kProtocolUdp);
  EXPECT_EQ(*first.GetLifetime(), 600u);
  EXPECT_EQ(*first.GetSoftware(), "tern-test");
  EXPECT_FALSE(first.Has(attr::kRequestedAddressFamily)) << "IPv4 is the default";
  EXPECT_TRUE(first.has_fingerprint());
  EXPECT_TRUE(first.VerifyFingerprint().ok());
  // The second answers the challenge with MESSAGE-INTEGRITY (SHA-1) over the MD5 long-term key.
  stun::MessageView second = ParseOrDie(allocates[1].payload);
  EXPECT_EQ(*second.GetUsername(), "alice");
  EXPECT_EQ(*second.GetRealm(), "example.org");
  EXPECT_EQ(*second.GetNonce(), h.server.nonce());
  EXPECT_TRUE(second.has_message_integrity());
  EXPECT_FALSE(second.has_message_integrity_sha256());
  EXPECT_FALSE(second.Has(attr::kPasswordAlgorithms));
  EXPECT_FALSE(second.Has(attr::kPasswordAlgorithm));
  EXPECT_TRUE(
      second.VerifyMessageIntegrity(stun::IntegrityKey::LongTerm("alice", "example.org", "secret")).ok());
  EXPECT_FALSE(second.transaction_id() == first.transaction_id());

  std::vector<TurnAllocated> allocated = h.EventsOf<TurnAllocated>();
  ASSERT_EQ(allocated.size(), 1u);
  ASSERT_EQ(allocated[0].relayed.size(), 1u);
  EXPECT_EQ(allocated[0].relayed[0], h.server.config().relayed_v4);
  EXPECT_EQ(allocated[0].mapped, h.server.config().mapped);
  EXPECT_EQ(allocated[0].lifetime, Duration::Seconds(600));
  EXPECT_EQ(allocated[0].address_family_error, 0);
  EXPECT_EQ(h.client.relayed_addresses(), allocated[0].relayed);
  EXPECT_EQ(h.client.mapped_address(), h.server.config().mapped);
  EXPECT_EQ(h.client.realm(), "example.org");
  EXPECT_EQ(h.client.stats().requests_sent, 2u);
  EXPECT_TRUE(h.server.allocated());
}

TEST(TurnClientAllocate, TransmitsGoToTheServerFromTheConfiguredSocket) {
  TurnHarness h;
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  std::optional<Transmit> t = h.client.PollTransmit();
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->remote, kServerAddress);
  EXPECT_EQ(t->local, testing::kClientAddress);
  EXPECT_EQ(t->protocol, TransportProtocol::kUdp);
  EXPECT_FALSE(h.client.PollTransmit().has_value()) << "one request at a time";
}

TEST(TurnClientAllocate, Rfc8489Section9_2_4PicksSha256AndEchoesPasswordAlgorithms) {
  FakeTurnServerConfig s;
  s.announce_password_algorithms = true;
  TurnHarness h(TurnHarness::DefaultConfig(), s);
  h.AllocateOrDie();
  std::vector<testing::SentTransmit> allocates = h.Requests(stun::method::kAllocate);
  ASSERT_EQ(allocates.size(), 2u);
  stun::MessageView second = ParseOrDie(allocates[1].payload);
  // PASSWORD-ALGORITHMS echoed verbatim: MD5 then SHA-256, as offered.
  std::optional<stun::Attribute> list = second.Find(attr::kPasswordAlgorithms);
  ASSERT_TRUE(list.has_value());
  absl::StatusOr<std::vector<stun::PasswordAlgorithmValue>> algorithms =
      stun::DecodePasswordAlgorithms(list->value);
  ASSERT_TRUE(algorithms.ok());
  ASSERT_EQ(algorithms->size(), 2u);
  EXPECT_EQ((*algorithms)[0].algorithm, 1);
  EXPECT_EQ((*algorithms)[1].algorithm, 2);
  absl::StatusOr<stun::PasswordAlgorithmValue> chosen =
      stun::DecodePasswordAlgorithm(second.Find(attr::kPasswordAlgorithm)->value);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->algorithm, static_cast<uint16_t>(stun::PasswordAlgorithm::kSha256));
  // MESSAGE-INTEGRITY-SHA256 with the SHA-256 long-term key.
  EXPECT_TRUE(second.has_message_integrity_sha256());
  EXPECT_FALSE(second.has_message_integrity());
  EXPECT_TRUE(second
                  .VerifyMessageIntegritySha256(stun::IntegrityKey::LongTerm(
                      "alice", "example.org", "secret", stun::PasswordAlgorithm::kSha256))
                  .ok());
  EXPECT_FALSE(
      second.VerifyMessageIntegritySha256(stun::IntegrityKey::LongTerm("alice", "example.org", "secret"))
          .ok());

  // Later requests keep using the negotiated algorithm.
  ASSERT_TRUE(h.client.CreatePermission(IpAddress::V4(192, 0, 2, 50), h.now()).ok());
  h.Pump();
  EXPECT_EQ(h.EventsOf<TurnPermissionCreated>().size(), 1u);
  std::vector<testing::SentTransmit> permissions = h.Requests(stun::method::kCreatePermission);
  stun::MessageView permission = ParseOrDie(permissions.back().payload);
  EXPECT_TRUE(permission.has_message_integrity_sha256());
  EXPECT_TRUE(permission.Has(attr::kPasswordAlgorithm));
}

TEST(TurnClientAllocate, Md5OnlyOfferUsesMd5KeyWithSha256Integrity) {
  FakeTurnServerConfig s;
  s.announce_password_algorithms = true;
  s.offered = {stun::PasswordAlgorithm::kMd5};
  TurnHarness h(TurnHarness::DefaultConfig(), s);
  h.AllocateOrDie();
  std::vector<testing::SentTransmit> allocates = h.Requests(stun::method::kAllocate);
  stun::MessageView second = ParseOrDie(allocates[1].payload);
  absl::StatusOr<stun::PasswordAlgorithmValue> chosen =
      stun::DecodePasswordAlgorithm(second.Find(attr::kPasswordAlgorithm)->value);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->algorithm, static_cast<uint16_t>(stun::PasswordAlgorithm::kMd5));
  EXPECT_TRUE(
      second.VerifyMessageIntegritySha256(stun::IntegrityKey::LongTerm("alice", "example.org", "secret"))
          .ok());
}

TEST(TurnClientAllocate, Rfc8489Section9_2_5CookieWithoutPasswordAlgorithmsIsNotAnswered) {
  FakeTurnServerConfig s;
  s.announce_password_algorithms = true;
  s.omit_password_algorithms = true;  // a downgrade attempt
  TurnHarness h(TurnHarness::DefaultConfig(), s);
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  h.Pump();
  EXPECT_EQ(h.client.state(), TurnClientState::kFailed);
  EXPECT_EQ(h.Requests(stun::method::kAllocate).size(), 1u) << "no authenticated retry";
  std::vector<TurnAllocationFailed> failed = h.EventsOf<TurnAllocationFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error_code, 401);
  EXPECT_EQ(failed[0].status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(h.client.NextTimeout().has_value());
}

TEST(TurnClientAllocate, StaleNonceIsRetriedOnceWithTheNewNonce) {
  TurnHarness h;
  h.server.stale_nonce_count = 1;
  h.AllocateOrDie();
  std::vector<testing::SentTransmit> allocates = h.Requests(stun::method::kAllocate);
  ASSERT_EQ(allocates.size(), 3u);
  stun::MessageView second = ParseOrDie(allocates[1].payload);
  stun::MessageView third = ParseOrDie(allocates[2].payload);
  EXPECT_EQ(*second.GetNonce(), "nonce1");
  EXPECT_EQ(*third.GetNonce(), "nonce2");
  EXPECT_EQ(h.client.stats().stale_nonce_retries, 1u);
}

TEST(TurnClientAllocate, SecondStaleNonceForTheSameRequestFails) {
  TurnHarness h;
  h.server.stale_nonce_count = 2;
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  h.Pump();
  EXPECT_EQ(h.client.state(), TurnClientState::kFailed);
  EXPECT_EQ(h.Requests(stun::method::kAllocate).size(), 3u);
  std::vector<TurnAllocationFailed> failed = h.EventsOf<TurnAllocationFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error_code, 438);
  EXPECT_EQ(failed[0].status.code(), absl::StatusCode::kUnauthenticated);
}

TEST(TurnClientAllocate, WrongPasswordFailsWith401AfterOneAuthenticatedTry) {
  TurnClientConfig c = TurnHarness::DefaultConfig();
  c.password = "wrong";
  TurnHarness h(c);
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  h.Pump();
  EXPECT_EQ(h.client.state(), TurnClientState::kFailed);
  EXPECT_EQ(h.Requests(stun::method::kAllocate).size(), 2u);
  std::vector<TurnAllocationFailed> failed = h.EventsOf<TurnAllocationFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error_code, 401);
  EXPECT_EQ(failed[0].status.code(), absl::StatusCode::kUnauthenticated);
}

TEST(TurnClientAllocate, ErrorResponsesFailWithTheirCode) {
  struct Case {
    int code;
    absl::StatusCode status;
  };
  for (Case c :
       {Case{437, absl::StatusCode::kFailedPrecondition}, Case{486, absl::StatusCode::kResourceExhausted},
        Case{403, absl::StatusCode::kPermissionDenied}, Case{508, absl::StatusCode::kResourceExhausted},
        Case{442, absl::StatusCode::kInvalidArgument}, Case{500, absl::StatusCode::kUnavailable},
        Case{599, absl::StatusCode::kUnknown}}) {
    for (bool with_integrity : {true, false}) {
      TurnHarness h;
      h.server.fail_method[stun::method::kAllocate] = c.code;
      h.server.errors_with_integrity = with_integrity;
      ASSERT_TRUE(h.client.Allocate(h.now()).ok());
      h.Pump();
      EXPECT_EQ(h.client.state(), TurnClientState::kFailed) << c.code;
      std::vector<TurnAllocationFailed> failed = h.EventsOf<TurnAllocationFailed>();
      ASSERT_EQ(failed.size(), 1u) << c.code;
      EXPECT_EQ(failed[0].error_code, c.code);
      EXPECT_EQ(failed[0].status.code(), c.status) << failed[0].status;
      EXPECT_NE(failed[0].status.message().find(std::to_string(c.code)), std::string::npos);
      EXPECT_FALSE(h.client.NextTimeout().has_value());
      EXPECT_FALSE(h.client.SendTo(SocketAddress(IpAddress::V4(192, 0, 2, 1), 9), {}, h.now()).ok());
    }
  }
}

TEST(TurnClientAllocate, TryAlternateReportsTheAlternateServer) {
  TurnHarness h;
  h.server.fail_method[stun::method::kAllocate] = 300;
  SocketAddress alternate(IpAddress::V4(192, 0, 2, 99), 3478);
  h.server.alternate_server = alternate;
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  h.Pump();
  std::vector<TurnAllocationFailed> failed = h.EventsOf<TurnAllocationFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error_code, 300);
  ASSERT_TRUE(failed[0].alternate_server.has_value());
  EXPECT_EQ(*failed[0].alternate_server, alternate);
}

TEST(TurnClientAllocate, Rfc8656Section7_1DualAllocation) {
  TurnClientConfig c = TurnHarness::DefaultConfig();
  c.families = TurnAddressFamilies::kDual;
  FakeTurnServerConfig s;
  s.relayed_v6 = SocketAddress(*IpAddress::Parse("2001:db8::7"), 50001);
  TurnHarness h(c, s);
  h.AllocateOrDie();
  std::vector<testing::SentTransmit> allocates = h.Requests(stun::method::kAllocate);
  stun::MessageView request = ParseOrDie(allocates[1].payload);
  EXPECT_FALSE(request.Has(attr::kRequestedAddressFamily));
  ASSERT_TRUE(request.Has(attr::kAdditionalAddressFamily));
  EXPECT_EQ(*stun::DecodeAddressFamily(request.Find(attr::kAdditionalAddressFamily)->value), IpFamily::kV6);
  std::vector<TurnAllocated> allocated = h.EventsOf<TurnAllocated>();
  ASSERT_EQ(allocated.size(), 1u);
  ASSERT_EQ(allocated[0].relayed.size(), 2u);
  EXPECT_EQ(allocated[0].relayed[0], s.relayed_v4);
  EXPECT_EQ(allocated[0].relayed[1], s.relayed_v6);

  // A v6 peer's data arrives on the v6 relayed address.
  SocketAddress peer6(*IpAddress::Parse("2001:db8::99"), 7000);
  ASSERT_TRUE(h.client.SendTo(peer6, AsBytes("hello"), h.now()).ok());
  h.Pump();
  ASSERT_EQ(h.server.relayed.size(), 1u);
  std::optional<std::vector<uint8_t>> in = h.server.FromPeer(peer6, AsBytes("back"), h.now());
  ASSERT_TRUE(in.has_value());
  h.Deliver(*in);
  std::vector<TurnDataReceived> data = h.EventsOf<TurnDataReceived>();
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].relayed, s.relayed_v6);
  EXPECT_EQ(data[0].peer, peer6);
}

TEST(TurnClientAllocate, DualAllocationWithOnlyIpv4ReportsTheAddressError) {
  TurnClientConfig c = TurnHarness::DefaultConfig();
  c.families = TurnAddressFamilies::kDual;
  TurnHarness h(c);  // the server has no IPv6 relay
  h.AllocateOrDie();
  std::vector<TurnAllocated> allocated = h.EventsOf<TurnAllocated>();
  ASSERT_EQ(allocated.size(), 1u);
  EXPECT_EQ(allocated[0].relayed.size(), 1u);
  EXPECT_EQ(allocated[0].address_family_error, 440);
  EXPECT_TRUE(absl::IsInvalidArgument(
      h.client.SendTo(SocketAddress(*IpAddress::Parse("2001:db8::1"), 1), AsBytes("x"), h.now())));
}

TEST(TurnClientAllocate, Ipv6OnlyAllocationAsksForIpv6) {
  TurnClientConfig c = TurnHarness::DefaultConfig();
  c.families = TurnAddressFamilies::kV6;
  FakeTurnServerConfig s;
  s.relayed_v6 = SocketAddress(*IpAddress::Parse("2001:db8::7"), 50001);
  TurnHarness h(c, s);
  h.AllocateOrDie();
  std::vector<testing::SentTransmit> allocates = h.Requests(stun::method::kAllocate);
  stun::MessageView request = ParseOrDie(allocates[1].payload);
  EXPECT_EQ(*stun::DecodeAddressFamily(request.Find(attr::kRequestedAddressFamily)->value), IpFamily::kV6);
  ASSERT_EQ(h.client.relayed_addresses().size(), 1u);
  EXPECT_EQ(h.client.relayed_addresses()[0], s.relayed_v6);
}

TEST(TurnClientDeallocate, Rfc8656Section8CloseSendsRefreshWithLifetimeZero) {
  TurnHarness h;
  h.AllocateOrDie();
  h.client.Close(h.now());
  EXPECT_EQ(h.client.state(), TurnClientState::kDeallocating);
  h.Pump();
  EXPECT_EQ(h.client.state(), TurnClientState::kClosed);
  std::vector<testing::SentTransmit> refreshes = h.Requests(stun::method::kRefresh);
  ASSERT_EQ(refreshes.size(), 1u);
  stun::MessageView r = ParseOrDie(refreshes[0].payload);
  EXPECT_EQ(*r.GetLifetime(), 0u);
  EXPECT_TRUE(r.has_message_integrity());
  std::vector<TurnDeallocated> done = h.EventsOf<TurnDeallocated>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].acknowledged);
  EXPECT_FALSE(h.server.allocated());
  EXPECT_FALSE(h.client.NextTimeout().has_value());
  h.client.Close(h.now());  // idempotent
  EXPECT_EQ(h.EventsOf<TurnDeallocated>().size(), 1u);
}

TEST(TurnClientDeallocate, AllocationMismatchMeansAlreadyGone) {
  TurnHarness h;
  h.AllocateOrDie();
  h.server.forget_allocation = true;
  h.client.Close(h.now());
  h.Pump();
  EXPECT_EQ(h.client.state(), TurnClientState::kClosed);
  ASSERT_EQ(h.EventsOf<TurnDeallocated>().size(), 1u);
  EXPECT_TRUE(h.EventsOf<TurnDeallocated>()[0].acknowledged);
}

TEST(TurnClientDeallocate, UnansweredDeallocationEndsAfterTheTransactionTimeout) {
  TurnHarness h;
  h.AllocateOrDie();
  h.deliver = false;
  Timestamp closed_at = h.now();
  h.client.Close(h.now());
  h.AdvanceTo(closed_at + Duration::Seconds(60));
  std::vector<TurnDeallocated> done = h.EventsOf<TurnDeallocated>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_FALSE(done[0].acknowledged);
  EXPECT_EQ(h.TimesOf<TurnDeallocated>()[0], closed_at + Duration::Millis(39500));
}

TEST(TurnClientDeallocate, CloseBeforeAllocatingStops) {
  TurnHarness h;
  h.client.Close(h.now());
  EXPECT_EQ(h.client.state(), TurnClientState::kClosed);
  EXPECT_FALSE(h.client.PollTransmit().has_value());
  EXPECT_TRUE(absl::IsFailedPrecondition(h.client.Allocate(h.now())));

  TurnHarness h2;
  ASSERT_TRUE(h2.client.Allocate(h2.now()).ok());
  h2.client.Close(h2.now());
  h2.DrainEvents();
  EXPECT_EQ(h2.client.state(), TurnClientState::kClosed);
  ASSERT_EQ(h2.EventsOf<TurnDeallocated>().size(), 1u);
  EXPECT_FALSE(h2.EventsOf<TurnDeallocated>()[0].acknowledged);
  EXPECT_FALSE(h2.client.NextTimeout().has_value());
}

TEST(TurnClientApi, PreconditionsAndConfigValidation) {
  TurnHarness h;
  SocketAddress peer(IpAddress::V4(192, 0, 2, 1), 9);
  EXPECT_TRUE(absl::IsFailedPrecondition(h.client.SendTo(peer, AsBytes("x"), h.now())));
  EXPECT_TRUE(absl::IsFailedPrecondition(h.client.CreatePermission(peer.ip(), h.now())));
  EXPECT_TRUE(absl::IsFailedPrecondition(h.client.BindChannel(peer, h.now()).status()));
  ASSERT_TRUE(h.client.Allocate(h.now()).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(h.client.Allocate(h.now())));
  EXPECT_TRUE(absl::IsFailedPrecondition(h.client.SendTo(peer, AsBytes("x"), h.now())));
  h.Pump();
  std::vector<uint8_t> big(65001);
  EXPECT_TRUE(absl::IsInvalidArgument(h.client.SendTo(peer, big, h.now())));
  EXPECT_TRUE(absl::IsInvalidArgument(h.client.SendTo(SocketAddress(), AsBytes("x"), h.now())));
  EXPECT_TRUE(absl::IsInvalidArgument(h.client.BindChannel(SocketAddress(peer.ip(), 0), h.now()).status()));

  SeededRandom random(1);
  TurnClient unset({}, random);
  EXPECT_TRUE(absl::IsInvalidArgument(unset.Allocate(Timestamp::Seconds(1))));
  TurnClientConfig long_name = TurnHarness::DefaultConfig();
  long_name.username = std::string(513, 'u');
  TurnClient too_long(long_name, random);
  EXPECT_TRUE(absl::IsInvalidArgument(too_long.Allocate(Timestamp::Seconds(1))));
  TurnClientConfig bad_timing = TurnHarness::DefaultConfig();
  bad_timing.max_transmissions = 0;
  TurnClient bad(bad_timing, random);
  EXPECT_TRUE(absl::IsInvalidArgument(bad.Allocate(Timestamp::Seconds(1))));
  EXPECT_EQ(TurnClientStateName(TurnClientState::kAllocated), "allocated");
}

}  // namespace
}  // namespace tern::ice
