// Long-term credentials (RFC 8489 §9.2): nonces and 438, MESSAGE-INTEGRITY-SHA256 with PASSWORD-ALGORITHMS
// (§9.2.4, §14.11-§14.12), coturn REST secrets, 441 for another user on an allocation (437 for
// its Allocate), and Binding for anyone.
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "unit/turn/turn_server_harness.h"

namespace tern::turn::testing {
namespace {

constexpr int64_t kUnixNow = 1'800'000'000;  // the test's wall clock (Unix seconds)

TurnServerConfig RestConfig() {
  TurnServerConfig c = DefaultConfig();
  c.users.clear();
  c.rest_secrets = {"north", "south"};
  // Unix time = now + offset; the harness starts at Timestamp::Seconds(1000).
  c.unix_time_offset = Duration::Seconds(kUnixNow - 1000);
  return c;
}

TEST(TurnAuth, BindingIsAnsweredForAnyoneWithoutCredentials) {
  ServerHarness h;
  RawClient c(h);
  Message m = c.Request(stun::method::kBinding, nullptr, false);
  ASSERT_TRUE(m.is_success());
  EXPECT_EQ(*m.view().GetXorMappedAddress(), kClient);
  EXPECT_EQ(h.server->stats().binding_requests, 1u);
  EXPECT_EQ(h.server->allocation_count(), 0u);
}

TEST(TurnAuth, BindingWithChangeRequestGets420) {
  ServerHarness h;
  RawClient c(h);
  Message m = c.Request(
      stun::method::kBinding, [](stun::MessageBuilder& b) { b.AddChangeRequest({true, true}); }, false);
  EXPECT_EQ(m.error_code(), 420);
}

TEST(TurnAuth, WrongPasswordGets401AndAuthFailedEvent) {
  ServerHarness h;
  RawClient c(h, kClient, std::string(kUser), "not-the-password");
  Message m = c.Allocate();
  EXPECT_EQ(m.error_code(), 401);
  EXPECT_FALSE(m.view().has_message_integrity());
  ASSERT_EQ(h.EventsOf<AuthFailed>().size(), 1u);
  EXPECT_EQ(h.EventsOf<AuthFailed>()[0].username, kUser);
  EXPECT_EQ(h.server->stats().auth_failures, 1u);
  EXPECT_EQ(h.server->allocation_count(), 0u);
}

TEST(TurnAuth, UnknownUserGets401) {
  ServerHarness h;
  RawClient c(h, kClient, "mallory", "x");
  EXPECT_EQ(c.Allocate().error_code(), 401);
  ASSERT_EQ(h.EventsOf<AuthFailed>().size(), 1u);
  EXPECT_EQ(h.EventsOf<AuthFailed>()[0].reason, "unknown user");
}

TEST(TurnAuth, MissingNonceOrRealmWithIntegrityGets400) {
  ServerHarness h;
  RawClient c(h);
  auto key = stun::IntegrityKey::LongTerm(kUser, kRealm, kPassword);
  std::vector<uint8_t> buf(512);
  SeededRandom random(3);
  stun::MessageBuilder b(buf, {stun::MessageClass::kRequest, stun::method::kAllocate},
                         stun::TransactionId::Generate(random));
  b.AddRequestedTransport(stun::kProtocolUdp);
  b.AddText(stun::attr::kUsername, kUser);
  auto wire = b.Finish({.integrity = &key});
  ASSERT_TRUE(wire.ok());
  Message m = OnlyResponse(h.FromClient(*wire));
  EXPECT_EQ(m.error_code(), 400);
}

TEST(TurnAuth, Rfc8489Section9StaleNonceGets438WithAFreshNonce) {
  ServerHarness h;
  RawClient c(h);
  ASSERT_TRUE(c.Allocate().is_success());
  std::string old_nonce = c.nonce;
  h.Advance(Duration::Seconds(601));  // nonce_lifetime 600 s; the allocation (600 s) is gone too
  RawClient c2(h, SocketAddress(kClient.ip(), 40001));
  c2.realm = c.realm;
  c2.nonce = old_nonce;  // same client IP, but the nonce has expired
  c2.retry_stale = false;
  Message m = c2.Request(stun::method::kAllocate, RawClient::AddUdp);
  EXPECT_EQ(m.error_code(), 438);
  EXPECT_NE(c2.nonce, old_nonce);
  EXPECT_EQ(h.server->stats().stale_nonces, 1u);
  EXPECT_TRUE(c2.Request(stun::method::kAllocate, RawClient::AddUdp).is_success());
}

TEST(TurnAuth, NonceIsBoundToTheClientIp) {
  ServerHarness h;
  RawClient c(h);
  c.Request(stun::method::kAllocate, RawClient::AddUdp, false);
  RawClient other(h, SocketAddress(IpAddress::V4(203, 0, 113, 99), 40000));
  other.realm = c.realm;
  other.nonce = c.nonce;
  other.retry_stale = false;
  EXPECT_EQ(other.Request(stun::method::kAllocate, RawClient::AddUdp).error_code(), 438);
  // A forged nonce (one character changed) is refused the same way.
  RawClient forger(h);
  forger.realm = c.realm;
  forger.nonce = c.nonce;
  forger.retry_stale = false;
  forger.nonce.back() = forger.nonce.back() == '0' ? '1' : '0';
  EXPECT_EQ(forger.Request(stun::method::kAllocate, RawClient::AddUdp).error_code(), 438);
}

TEST(TurnAuth, Rfc8489PasswordAlgorithmsAndMessageIntegritySha256) {
  ServerHarness h;
  RawClient c(h);
  Message challenge = c.Request(stun::method::kAllocate, RawClient::AddUdp, false);
  ASSERT_EQ(challenge.error_code(), 401);
  // The nonce cookie announces the password-algorithms feature and the list is offered.
  auto features = stun::ParseNonceCookie(c.nonce);
  ASSERT_TRUE(features.has_value());
  EXPECT_TRUE(features->password_algorithms);
  auto list = stun::DecodePasswordAlgorithms(c.password_algorithms);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].algorithm, static_cast<uint16_t>(stun::PasswordAlgorithm::kSha256));

  c.use_sha256 = true;
  Message m = c.Request(stun::method::kAllocate, RawClient::AddUdp);
  ASSERT_TRUE(m.is_success()) << m.error_code();
  stun::MessageView v = m.view();
  EXPECT_TRUE(v.has_message_integrity_sha256());
  auto key = stun::IntegrityKey::LongTerm(kUser, kRealm, kPassword, stun::PasswordAlgorithm::kSha256);
  EXPECT_TRUE(v.VerifyMessageIntegritySha256(key).ok());
  // Later requests on the allocation keep working with SHA-256.
  EXPECT_TRUE(c.CreatePermission({kPeer}).is_success());
}

TEST(TurnAuth, TamperedPasswordAlgorithmsGets400) {
  ServerHarness h;
  RawClient c(h);
  c.Request(stun::method::kAllocate, RawClient::AddUdp, false);
  c.use_sha256 = true;
  std::swap(c.password_algorithms[0], c.password_algorithms[4]);  // reorder the echoed list
  std::swap(c.password_algorithms[1], c.password_algorithms[5]);
  EXPECT_EQ(c.Request(stun::method::kAllocate, RawClient::AddUdp).error_code(), 400);
}

TEST(TurnAuth, WithoutPasswordAlgorithmsOfferMd5Only) {
  TurnServerConfig config = DefaultConfig();
  config.offer_password_algorithms = false;
  ServerHarness h(config);
  RawClient c(h);
  Message challenge = c.Request(stun::method::kAllocate, RawClient::AddUdp, false);
  EXPECT_FALSE(challenge.view().Has(stun::attr::kPasswordAlgorithms));
  EXPECT_FALSE(stun::ParseNonceCookie(c.nonce).has_value());
  EXPECT_TRUE(c.Request(stun::method::kAllocate, RawClient::AddUdp).is_success());
}

// Alice's allocation, and bob (a valid user) on the same 5-tuple.
class TurnAuthTwoUsers : public ::testing::Test {
 protected:
  static TurnServerConfig Config() {
    TurnServerConfig config = DefaultConfig();
    config.users["bob"] = "builder";
    return config;
  }
  TurnAuthTwoUsers() : h(Config()), alice(h), bob(h, kClient, "bob", "builder") {}
  void SetUp() override {
    ASSERT_TRUE(alice.Allocate().is_success());
    bob.realm = alice.realm;
    bob.nonce = alice.nonce;
  }

  ServerHarness h;
  RawClient alice;
  RawClient bob;
};

// RFC 8656 §5: the requests on an allocation use the credentials that created it.
TEST_F(TurnAuthTwoUsers, AnotherUserOnTheAllocationGets441) {
  EXPECT_EQ(bob.Refresh(600).error_code(), 441);
  EXPECT_EQ(bob.ChannelBind(0x4000, kPeer).error_code(), 441);
  EXPECT_EQ(bob.CreatePermission({kPeer}).error_code(), 441);
  EXPECT_TRUE(alice.Refresh(600).is_success());
}

// RFC 8656 §7.2: an Allocate on a 5-tuple that has an allocation is 437 once it is authenticated, also
// from another (valid) user, as coturn answers it (turnutils_uclient, which reuses local ports across its
// sessions, meets this).
TEST_F(TurnAuthTwoUsers, Rfc8656Section7AnotherUsersAllocateGets437) {
  Message m = bob.Allocate();
  EXPECT_EQ(m.error_code(), 437);
  // Authenticated: signed with bob's key, not alice's.
  stun::IntegrityKey bob_key = stun::IntegrityKey::LongTerm("bob", kRealm, "builder");
  EXPECT_TRUE(m.view().VerifyIntegrity(bob_key).ok());
  EXPECT_EQ(h.server->allocation_count(), 1u);
  EXPECT_TRUE(h.EventsOf<AuthFailed>().empty());
  // Bob with a wrong password is not authenticated: 401, as on a fresh 5-tuple.
  RawClient mallory(h, kClient, "bob", "guess");
  mallory.realm = alice.realm;
  mallory.nonce = alice.nonce;
  EXPECT_EQ(mallory.Allocate().error_code(), 401);
  // Alice's allocation is untouched.
  EXPECT_TRUE(alice.Refresh(600).is_success());
}

TEST(TurnAuth, CoturnRestSecretCredentials) {
  ServerHarness h(RestConfig());
  std::string username = absl::StrCat(kUnixNow + 3600, ":alice");
  RawClient c(h, kClient, username, RestPassword("south", username));
  Message m = c.Allocate();
  ASSERT_TRUE(m.is_success()) << m.error_code();
  ASSERT_EQ(h.EventsOf<Allocated>().size(), 1u);
  EXPECT_EQ(h.EventsOf<Allocated>()[0].username, username);
  // A username without the ":user" part works too.
  std::string bare = absl::StrCat(kUnixNow + 60);
  RawClient c2(h, SocketAddress(kClient.ip(), 40001), bare, RestPassword("north", bare));
  EXPECT_TRUE(c2.Allocate().is_success());
}

TEST(TurnAuth, ExpiredRestUsernameGets401) {
  ServerHarness h(RestConfig());
  std::string username = absl::StrCat(kUnixNow - 1, ":alice");
  RawClient c(h, kClient, username, RestPassword("north", username));
  EXPECT_EQ(c.Allocate().error_code(), 401);
  ASSERT_EQ(h.EventsOf<AuthFailed>().size(), 1u);
  EXPECT_EQ(h.EventsOf<AuthFailed>()[0].reason, "REST username expired");
  EXPECT_EQ(h.server->allocation_count(), 0u);
}

TEST(TurnAuth, RestUsernameExpiringDuringTheAllocationIsRefusedOnRefresh) {
  ServerHarness h(RestConfig());
  std::string username = absl::StrCat(kUnixNow + 100, ":alice");
  RawClient c(h, kClient, username, RestPassword("north", username));
  ASSERT_TRUE(c.Allocate().is_success());
  h.Advance(Duration::Seconds(200));
  EXPECT_EQ(c.Refresh(600).error_code(), 401);
}

TEST(TurnAuth, RestPasswordFromAnotherSecretOrNonNumericUsernameGets401) {
  ServerHarness h(RestConfig());
  std::string username = absl::StrCat(kUnixNow + 3600, ":alice");
  RawClient wrong(h, kClient, username, RestPassword("east", username));
  EXPECT_EQ(wrong.Allocate().error_code(), 401);
  RawClient word(h, SocketAddress(kClient.ip(), 40001), "alice", RestPassword("north", "alice"));
  EXPECT_EQ(word.Allocate().error_code(), 401);
}

TEST(TurnAuth, RestUsernameParsing) {
  EXPECT_EQ(RestUsernameExpiry("1700000000:bob"), 1700000000);
  EXPECT_EQ(RestUsernameExpiry("1700000000"), 1700000000);
  EXPECT_EQ(RestUsernameExpiry("bob:1700000000"), std::nullopt);
  EXPECT_EQ(RestUsernameExpiry(":bob"), std::nullopt);
  EXPECT_EQ(RestUsernameExpiry(""), std::nullopt);
  EXPECT_EQ(RestUsernameExpiry("12345678901234567890123"), std::nullopt);
  // draft-uberti-behave-turn-rest-00 / coturn: base64(HMAC-SHA1(secret, username)), 28 characters.
  EXPECT_EQ(RestPassword("north", "1700000000:bob").size(), 28u);
  EXPECT_NE(RestPassword("north", "1700000000:bob"), RestPassword("south", "1700000000:bob"));
}

TEST(TurnAuth, PasswordLookupHookReplacesTheDefaults) {
  TurnServerHooks hooks;
  int calls = 0;
  hooks.password_lookup = [&](std::string_view user, std::string_view realm,
                              const FiveTuple&) -> std::optional<std::string> {
    ++calls;
    EXPECT_EQ(realm, kRealm);
    if (user == "carol") return std::string("hook-pass");
    return std::nullopt;
  };
  ServerHarness h(DefaultConfig(), std::move(hooks));
  RawClient carol(h, kClient, "carol", "hook-pass");
  EXPECT_TRUE(carol.Allocate().is_success());
  RawClient alice(h, SocketAddress(kClient.ip(), 40001));  // a static user, but the hook does not know her
  EXPECT_EQ(alice.Allocate().error_code(), 401);
  EXPECT_EQ(calls, 2);
}

TEST(TurnAuth, WrongRealmGets401) {
  ServerHarness h;
  RawClient c(h);
  c.Request(stun::method::kAllocate, RawClient::AddUdp, false);
  c.realm = "other.example";
  EXPECT_EQ(c.Request(stun::method::kAllocate, RawClient::AddUdp).error_code(), 401);
}

TEST(TurnAuth, UnknownMethodGets400) {
  ServerHarness h;
  RawClient c(h);
  EXPECT_EQ(c.Request(0x0F0, nullptr, false).error_code(), 400);
  EXPECT_EQ(c.Request(stun::method::kConnect, nullptr, false).error_code(), 400);
}

}  // namespace
}  // namespace tern::turn::testing
