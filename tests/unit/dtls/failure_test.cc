// Failing cleanly: fingerprint mismatch (RFC 8827 §6.5), wrong roles (RFC 8842 §5), garbage,
// oversize and corrupted records (RFC 6347 §4.1.2.7: invalid records are silently discarded).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tern/base/random.h"
#include "tern/dtls/dtls.h"
#include "unit/dtls/dtls_test_util.h"

namespace tern {
namespace {

using ::tern::testing::Datagram;
using ::tern::testing::Direction;
using ::tern::testing::DtlsPair;
using ::tern::testing::TestCertificate;
using ::testing::AllOf;
using ::testing::HasSubstr;

bool BothConnected(DtlsPair& pair) {
  return pair.client().state() == DtlsState::kConnected && pair.server().state() == DtlsState::kConnected;
}

int CountFailed(const std::vector<DtlsEvent>& events) {
  int n = 0;
  for (const DtlsEvent& e : events) n += std::holds_alternative<DtlsFailed>(e) ? 1 : 0;
  return n;
}

TEST(DtlsFingerprintMismatch, ClientRejectsServerCertificate) {
  DtlsConfig client;
  client.remote_fingerprints = {TestCertificate(DtlsKeyType::kEcdsaP256, 2).Fingerprint()};  // stale
  DtlsPair pair(client, DtlsConfig{});
  ASSERT_TRUE(pair.Handshake());
  EXPECT_EQ(pair.client().state(), DtlsState::kFailed);
  EXPECT_EQ(pair.server().state(), DtlsState::kFailed);
  const auto* c = DtlsPair::Find<DtlsFailed>(pair.client_events());
  const auto* s = DtlsPair::Find<DtlsFailed>(pair.server_events());
  ASSERT_NE(c, nullptr);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(c->status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(c->status.message(),
              AllOf(HasSubstr("fingerprint mismatch"),
                    HasSubstr(TestCertificate(DtlsKeyType::kEcdsaP256, 1).Fingerprint().ToSdp()),
                    HasSubstr(TestCertificate(DtlsKeyType::kEcdsaP256, 2).Fingerprint().ToSdp())));
  // The server learns it from the bad_certificate alert.
  EXPECT_EQ(s->status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(s->status.message(), HasSubstr("BAD_CERTIFICATE"));
  EXPECT_EQ(DtlsPair::Find<DtlsConnected>(pair.client_events()), nullptr);
  EXPECT_EQ(DtlsPair::Find<DtlsConnected>(pair.server_events()), nullptr);
  EXPECT_EQ(CountFailed(pair.client_events()), 1);
  EXPECT_EQ(CountFailed(pair.server_events()), 1);
  EXPECT_FALSE(pair.client().NextTimeout().has_value());
  EXPECT_FALSE(pair.server().NextTimeout().has_value());
  EXPECT_EQ(pair.client().Send(AsBytes("x"), pair.now()).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(DtlsFingerprintMismatch, ServerRejectsClientCertificate) {
  DtlsConfig server;
  DtlsFingerprint wrong = TestCertificate(DtlsKeyType::kEcdsaP256, 0).Fingerprint();
  wrong.digest[5] ^= 0x01;  // one bit off
  server.remote_fingerprints = {wrong};
  DtlsPair pair(DtlsConfig{}, server);
  ASSERT_TRUE(pair.Handshake());
  const auto* c = DtlsPair::Find<DtlsFailed>(pair.client_events());
  const auto* s = DtlsPair::Find<DtlsFailed>(pair.server_events());
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(s->status.message(), HasSubstr("fingerprint mismatch"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(c->status.message(), HasSubstr("BAD_CERTIFICATE"));
  EXPECT_EQ(DtlsPair::Find<DtlsConnected>(pair.client_events()), nullptr);
}

TEST(DtlsFingerprintMismatch, SameDigestUnderAnotherHashNameDoesNotMatch) {
  DtlsConfig client;
  DtlsFingerprint fp = TestCertificate(DtlsKeyType::kEcdsaP256, 1).Fingerprint(FingerprintHash::kSha256);
  fp.hash = FingerprintHash::kSha1;  // a sha-256 digest labelled sha-1: wrong length, never matches
  client.remote_fingerprints = {fp};
  DtlsPair pair(client, DtlsConfig{});
  ASSERT_TRUE(pair.Handshake());
  EXPECT_EQ(pair.client().state(), DtlsState::kFailed);
}

TEST(DtlsRoles, TwoClientsFailCleanly) {
  DtlsConfig a, b;
  a.role = DtlsRole::kClient;
  b.role = DtlsRole::kClient;
  a.certificate = TestCertificate(DtlsKeyType::kEcdsaP256, 0);
  b.certificate = TestCertificate(DtlsKeyType::kEcdsaP256, 1);
  a.remote_fingerprints = {b.certificate.Fingerprint()};
  b.remote_fingerprints = {a.certificate.Fingerprint()};
  DtlsEndpoint x = *DtlsEndpoint::Create(a);
  DtlsEndpoint y = *DtlsEndpoint::Create(b);
  const Timestamp now = Timestamp::Seconds(1);
  x.Start(now);
  y.Start(now);
  std::optional<Datagram> hx = x.PollTransmit();
  std::optional<Datagram> hy = y.PollTransmit();
  ASSERT_TRUE(hx && hy);
  x.HandleInput(*hy, now);  // a ClientHello where a ServerHello belongs
  y.HandleInput(*hx, now);
  for (DtlsEndpoint* e : {&x, &y}) {
    EXPECT_EQ(e->state(), DtlsState::kFailed);
    std::optional<DtlsEvent> ev = e->PollEvent();
    ASSERT_TRUE(ev.has_value());
    const auto* failed = std::get_if<DtlsFailed>(&*ev);
    ASSERT_NE(failed, nullptr);
    EXPECT_EQ(failed->status.code(), absl::StatusCode::kAborted);
    EXPECT_THAT(failed->status.message(), HasSubstr("UNEXPECTED_MESSAGE"));
    EXPECT_FALSE(e->NextTimeout().has_value());
  }
}

TEST(DtlsRoles, TwoServersWaitForever) {
  DtlsConfig a, b;
  a.role = b.role = DtlsRole::kServer;
  a.certificate = TestCertificate(DtlsKeyType::kEcdsaP256, 0);
  b.certificate = TestCertificate(DtlsKeyType::kEcdsaP256, 1);
  DtlsEndpoint x = *DtlsEndpoint::Create(a);
  DtlsEndpoint y = *DtlsEndpoint::Create(b);
  x.Start(Timestamp::Seconds(1));
  y.Start(Timestamp::Seconds(1));
  EXPECT_FALSE(x.PollTransmit().has_value());
  EXPECT_FALSE(y.PollTransmit().has_value());
  EXPECT_FALSE(x.NextTimeout().has_value());
  EXPECT_FALSE(y.NextTimeout().has_value());
  EXPECT_EQ(x.state(), DtlsState::kConnecting);
}

// Datagrams that are not DTLS at all, or whose record header is broken, are dropped before any
// handshake state changes (RFC 6347 §4.1.2.7); the real handshake then completes.
TEST(DtlsGarbage, NoiseBeforeTheHandshakeIsIgnored) {
  const std::vector<Datagram> noise = {
      Datagram{0x00, 0x01, 0x00, 0x00},                                       // STUN-looking
      Datagram(100, 0xFF),                                                    // not a record type
      Datagram{22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0},                    // truncated record header
      Datagram{22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 1, 2, 3},  // length past the end
      Datagram{23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4},     // epoch 1 app data
      Datagram{22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1},              // TLS, not DTLS, version
  };
  for (size_t i = 0; i < noise.size(); ++i) {
    DtlsPair pair;
    pair.server().Start(pair.now());
    pair.server().HandleInput(noise[i], pair.now());
    EXPECT_EQ(pair.server().state(), DtlsState::kConnecting) << i;
    ASSERT_TRUE(pair.Handshake()) << i;
    EXPECT_TRUE(BothConnected(pair)) << i;
  }
}

TEST(DtlsGarbage, RandomDatagramsEndConnectedOrFailedNeverStuck) {
  SeededRandom random(7);
  for (int round = 0; round < 200; ++round) {
    DtlsPair pair;
    pair.server().Start(pair.now());
    Datagram d(1 + random.Uniform(300));
    random.Fill(d);
    if (round % 2 == 0) d[0] = 22;  // handshake content type
    if (round % 4 == 0 && d.size() > 3) {
      d[1] = 0xFE;
      d[2] = 0xFD;
    }
    pair.server().HandleInput(d, pair.now());
    ASSERT_TRUE(pair.Handshake()) << round;
    // A garbage "handshake" may make the server fail (decode_error); then both sides know it.
    if (pair.server().state() == DtlsState::kFailed) {
      EXPECT_NE(DtlsPair::Find<DtlsFailed>(pair.server_events()), nullptr);
    } else {
      EXPECT_TRUE(BothConnected(pair)) << round;
    }
  }
}

TEST(DtlsGarbage, TruncatedClientHelloThenTheRealOne) {
  DtlsPair pair;
  pair.client().Start(pair.now());
  Datagram hello = *pair.client().PollTransmit();
  pair.server().Start(pair.now());
  for (size_t cut : {size_t{1}, size_t{13}, size_t{20}, hello.size() / 2, hello.size() - 1}) {
    Datagram part(hello.begin(), hello.begin() + cut);
    pair.server().HandleInput(part, pair.now());
    EXPECT_EQ(pair.server().state(), DtlsState::kConnecting) << cut;
    EXPECT_FALSE(pair.server().PollTransmit().has_value()) << cut;
  }
  pair.server().HandleInput(hello, pair.now());
  ASSERT_TRUE(pair.RunUntil([&] { return BothConnected(pair); }));
}

TEST(DtlsGarbage, OversizeAndEmptyDatagramsAreDropped) {
  DtlsPair pair;
  ASSERT_TRUE(pair.Handshake());
  pair.server().HandleInput(Datagram(20000, 23), pair.now());
  pair.server().HandleInput(Datagram{}, pair.now());
  EXPECT_EQ(pair.server().datagrams_dropped(), 2u);
  EXPECT_EQ(pair.server().state(), DtlsState::kConnected);
}

TEST(DtlsGarbage, CorruptedApplicationRecordsAreDroppedAndTheAssociationLives) {
  DtlsPair pair;
  ASSERT_TRUE(pair.Handshake());
  ASSERT_TRUE(pair.client().Send(AsBytes("authentic"), pair.now()).ok());
  const Datagram record = *pair.client().PollTransmit();
  std::vector<Datagram> bad;
  for (size_t i = 0; i < record.size(); ++i) {
    Datagram flipped = record;
    flipped[i] ^= 0x40;
    bad.push_back(flipped);
  }
  bad.emplace_back(record.begin(), record.end() - 1);  // truncated
  Datagram doubled = record;
  doubled.insert(doubled.end(), record.begin(), record.end());  // same record twice: a replay
  for (const Datagram& d : bad) pair.server().HandleInput(d, pair.now());
  pair.Pump();
  EXPECT_EQ(pair.server().state(), DtlsState::kConnected);
  EXPECT_TRUE(DtlsPair::Received(pair.server_events()).empty());
  pair.server().HandleInput(doubled, pair.now());
  pair.Pump();
  EXPECT_EQ(DtlsPair::Received(pair.server_events()).size(), 1u);  // once, not twice
  pair.server().HandleInput(record, pair.now());                   // replayed again
  pair.Pump();
  EXPECT_EQ(DtlsPair::Received(pair.server_events()).size(), 1u);
  ASSERT_TRUE(pair.server().Send(AsBytes("still here"), pair.now()).ok());
  pair.Pump();
  EXPECT_EQ(DtlsPair::Received(pair.client_events()).size(), 1u);
}

TEST(DtlsGarbage, UnencryptedAlertAfterTheHandshakeIsDropped) {
  DtlsPair pair;
  ASSERT_TRUE(pair.Handshake());
  // An unencrypted fatal alert in epoch 0 after the handshake is not authentic: dropped.
  pair.client().HandleInput(Datagram{21, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 2, 40}, pair.now());
  EXPECT_EQ(pair.client().state(), DtlsState::kConnected);
}

TEST(DtlsGarbage, InputAfterFailureIsDropped) {
  DtlsConfig client;
  client.remote_fingerprints = {TestCertificate(DtlsKeyType::kEcdsaP256, 2).Fingerprint()};
  DtlsPair pair(client, DtlsConfig{});
  ASSERT_TRUE(pair.Handshake());
  ASSERT_EQ(pair.client().state(), DtlsState::kFailed);
  const uint64_t before = pair.client().datagrams_dropped();
  pair.client().HandleInput(pair.server_sent().front(), pair.now());
  pair.client().HandleTimeout(pair.now() + Duration::Seconds(10));
  EXPECT_EQ(pair.client().datagrams_dropped(), before + 1);
  EXPECT_FALSE(pair.client().PollTransmit().has_value());
  EXPECT_FALSE(pair.client().PollEvent().has_value());
  pair.client().Close(pair.now());
  EXPECT_EQ(pair.client().state(), DtlsState::kFailed);
}

}  // namespace
}  // namespace tern
