// Two in-memory endpoints: the DTLS 1.2 handshake (RFC 6347), use_srtp negotiation and the
// RFC 5764 §4.2 key export for every profile, application data, close_notify (RFC 5246 §7.2.1).
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tern/dtls/dtls.h"
#include "unit/dtls/dtls_test_util.h"

namespace tern {
namespace {

using ::tern::testing::Datagram;
using ::tern::testing::DtlsPair;
using ::tern::testing::TestCertificate;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Datagram Bytes(std::string_view s) { return Datagram(s.begin(), s.end()); }

bool AllZero(const std::vector<uint8_t>& v) {
  for (uint8_t b : v) {
    if (b != 0) return false;
  }
  return true;
}

// (profile, which side restricts): the client offers only `profile`, or the server accepts only it.
class DtlsSrtpProfileTest : public ::testing::TestWithParam<std::tuple<SrtpProfile, bool>> {};

TEST_P(DtlsSrtpProfileTest, Rfc5764Section4_2KeyingMaterialAgrees) {
  const auto [profile, server_only] = GetParam();
  DtlsConfig client, server;
  if (server_only) {
    server.srtp_profiles = {profile};  // client offers the default list
  } else {
    client.srtp_profiles = {profile};  // server has the default list
  }
  DtlsPair pair(client, server);
  ASSERT_TRUE(pair.Handshake());
  ASSERT_EQ(pair.client().state(), DtlsState::kConnected);
  ASSERT_EQ(pair.server().state(), DtlsState::kConnected);

  const auto* c = DtlsPair::Find<DtlsConnected>(pair.client_events());
  const auto* s = DtlsPair::Find<DtlsConnected>(pair.server_events());
  ASSERT_NE(c, nullptr);
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(c->srtp.has_value());
  ASSERT_TRUE(s->srtp.has_value());
  EXPECT_EQ(c->srtp->profile, profile);
  EXPECT_EQ(s->srtp->profile, profile);

  const SrtpProfileInfo info = GetSrtpProfileInfo(profile);
  EXPECT_EQ(c->srtp->client_key.size(), info.key_size);
  EXPECT_EQ(c->srtp->server_key.size(), info.key_size);
  EXPECT_EQ(c->srtp->client_salt.size(), info.salt_size);
  EXPECT_EQ(c->srtp->server_salt.size(), info.salt_size);
  // Both ends export the same block: the client's client_write_key is the server's client_write_key.
  EXPECT_EQ(c->srtp->client_key, s->srtp->client_key);
  EXPECT_EQ(c->srtp->server_key, s->srtp->server_key);
  EXPECT_EQ(c->srtp->client_salt, s->srtp->client_salt);
  EXPECT_EQ(c->srtp->server_salt, s->srtp->server_salt);
  EXPECT_NE(c->srtp->client_key, c->srtp->server_key);
  EXPECT_NE(c->srtp->client_salt, c->srtp->server_salt);
  EXPECT_FALSE(AllZero(c->srtp->client_key));
  EXPECT_FALSE(AllZero(c->srtp->server_salt));

  // Each side saw the other's certificate and the fingerprint it matched.
  EXPECT_EQ(c->peer_fingerprint, TestCertificate(DtlsKeyType::kEcdsaP256, 1).Fingerprint());
  EXPECT_EQ(s->peer_fingerprint, TestCertificate(DtlsKeyType::kEcdsaP256, 0).Fingerprint());
  const ByteSpan server_der = TestCertificate(DtlsKeyType::kEcdsaP256, 1).der();
  EXPECT_EQ(c->peer_certificate_der, std::vector<uint8_t>(server_der.begin(), server_der.end()));
  EXPECT_EQ(pair.client().CipherSuiteName(), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(pair.server().CipherSuiteName(), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
}

INSTANTIATE_TEST_SUITE_P(
    AllProfiles, DtlsSrtpProfileTest,
    ::testing::Combine(::testing::Values(SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAeadAes256Gcm,
                                         SrtpProfile::kAes128CmSha1_80, SrtpProfile::kAes128CmSha1_32),
                       ::testing::Bool()),
    [](const auto& info) {
      std::string name(GetSrtpProfileInfo(std::get<0>(info.param)).name);
      for (char& ch : name) {
        if (ch == '_') ch = 'x';
      }
      return name + (std::get<1>(info.param) ? "_ServerOnly" : "_ClientOnly");
    });

TEST(DtlsHandshake, DefaultsNegotiateAes128GcmFirst) {
  DtlsPair pair;
  ASSERT_TRUE(pair.Handshake());
  const auto* c = DtlsPair::Find<DtlsConnected>(pair.client_events());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->srtp.has_value());
  EXPECT_EQ(c->srtp->profile, SrtpProfile::kAeadAes128Gcm);
  EXPECT_EQ(pair.client().state(), DtlsState::kConnected);
  EXPECT_EQ(pair.client().retransmissions(), 0u);
  EXPECT_FALSE(pair.client().NextTimeout().has_value());
  EXPECT_FALSE(pair.server().NextTimeout().has_value());
  // Exactly one Connected per side, and nothing else.
  EXPECT_EQ(pair.client_events().size(), 1u);
  EXPECT_EQ(pair.server_events().size(), 1u);
}

TEST(DtlsHandshake, Rfc5764Section4_1_1ServerPreferenceWins) {
  DtlsConfig client, server;
  client.srtp_profiles = {SrtpProfile::kAes128CmSha1_32, SrtpProfile::kAes128CmSha1_80,
                          SrtpProfile::kAeadAes256Gcm};
  server.srtp_profiles = {SrtpProfile::kAeadAes256Gcm, SrtpProfile::kAes128CmSha1_80};
  DtlsPair pair(client, server);
  ASSERT_TRUE(pair.Handshake());
  const auto* c = DtlsPair::Find<DtlsConnected>(pair.client_events());
  ASSERT_TRUE(c && c->srtp);
  EXPECT_EQ(c->srtp->profile, SrtpProfile::kAeadAes256Gcm);
}

TEST(DtlsHandshake, Rfc5764Section4_1_3NoCommonProfileConnectsWithoutSrtp) {
  DtlsConfig client, server;
  client.srtp_profiles = {SrtpProfile::kAeadAes128Gcm};
  server.srtp_profiles = {SrtpProfile::kAes128CmSha1_80};
  DtlsPair pair(client, server);
  ASSERT_TRUE(pair.Handshake());
  const auto* c = DtlsPair::Find<DtlsConnected>(pair.client_events());
  const auto* s = DtlsPair::Find<DtlsConnected>(pair.server_events());
  ASSERT_NE(c, nullptr);
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(c->srtp.has_value());
  EXPECT_FALSE(s->srtp.has_value());
}

TEST(DtlsHandshake, DataChannelOnlyWithoutUseSrtp) {
  DtlsConfig client, server;
  client.srtp_profiles.clear();
  DtlsPair pair(client, server);
  ASSERT_TRUE(pair.Handshake());
  const auto* s = DtlsPair::Find<DtlsConnected>(pair.server_events());
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(s->srtp.has_value());
}

TEST(DtlsHandshake, KeyingMaterialDiffersBetweenHandshakes) {
  DtlsPair a, b;
  ASSERT_TRUE(a.Handshake());
  ASSERT_TRUE(b.Handshake());
  const auto* ka = DtlsPair::Find<DtlsConnected>(a.client_events());
  const auto* kb = DtlsPair::Find<DtlsConnected>(b.client_events());
  ASSERT_TRUE(ka && kb && ka->srtp && kb->srtp);
  EXPECT_NE(ka->srtp->client_key, kb->srtp->client_key);
}

TEST(DtlsHandshake, ApplicationDataBothWays) {
  DtlsPair pair;
  ASSERT_TRUE(pair.Handshake());
  ASSERT_TRUE(pair.client().Send(AsBytes("hello from the client"), pair.now()).ok());
  ASSERT_TRUE(pair.server().Send(AsBytes("hello from the server"), pair.now()).ok());
  ASSERT_TRUE(pair.client().Send(AsBytes("second"), pair.now()).ok());
  pair.Pump();
  EXPECT_THAT(DtlsPair::Received(pair.server_events()),
              ElementsAre(Bytes("hello from the client"), Bytes("second")));
  EXPECT_THAT(DtlsPair::Received(pair.client_events()), ElementsAre(Bytes("hello from the server")));
  // Application data is encrypted on the wire.
  const Datagram& wire = pair.client_sent().back();
  EXPECT_EQ(wire[0], 23);  // application_data record
  EXPECT_EQ(std::string(wire.begin(), wire.end()).find("second"), std::string::npos);
}

TEST(DtlsHandshake, LargestApplicationRecordFitsTheMtu) {
  DtlsPair pair;
  ASSERT_TRUE(pair.Handshake());
  const size_t max = pair.client().MaxApplicationDataSize();
  // 1200 - (13 header + 8 explicit nonce + 16 tag) for AES-GCM.
  EXPECT_EQ(max, 1200u - 37u);
  std::vector<uint8_t> big(max, 0xAB);
  ASSERT_TRUE(pair.client().Send(big, pair.now()).ok());
  std::optional<Datagram> d = pair.client().PollTransmit();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->size(), 1200u);
  pair.server().HandleInput(*d, pair.now());
  pair.Pump();
  EXPECT_THAT(DtlsPair::Received(pair.server_events()), ElementsAre(big));

  big.push_back(0);
  absl::Status too_big = pair.client().Send(big, pair.now());
  EXPECT_EQ(too_big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_big.message(), HasSubstr("exceeds"));
  EXPECT_FALSE(pair.client().PollTransmit().has_value());
  EXPECT_EQ(pair.client().state(), DtlsState::kConnected);
  EXPECT_TRUE(pair.client().Send({}, pair.now()).ok());
  EXPECT_FALSE(pair.client().PollTransmit().has_value());
}

TEST(DtlsHandshake, SendBeforeConnectedIsRefused) {
  DtlsPair pair;
  EXPECT_EQ(pair.client().Send(AsBytes("early"), pair.now()).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pair.client().MaxApplicationDataSize(), 0u);
  EXPECT_TRUE(pair.client().CipherSuiteName().empty());
  pair.client().Start(pair.now());
  EXPECT_EQ(pair.client().state(), DtlsState::kConnecting);
  EXPECT_EQ(pair.client().Send(AsBytes("early"), pair.now()).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(DtlsHandshake, InputBeforeStartIsIgnored) {
  DtlsPair pair;
  pair.client().Start(pair.now());
  std::optional<Datagram> hello = pair.client().PollTransmit();
  ASSERT_TRUE(hello.has_value());
  pair.server().HandleInput(*hello, pair.now());  // server not started
  EXPECT_FALSE(pair.server().PollTransmit().has_value());
  EXPECT_EQ(pair.server().datagrams_dropped(), 1u);
  EXPECT_EQ(pair.server().state(), DtlsState::kNew);
}

TEST(DtlsClose, ClientCloseNotifyReachesServer) {
  DtlsPair pair;
  ASSERT_TRUE(pair.Handshake());
  pair.client().Close(pair.now());
  EXPECT_EQ(pair.client().state(), DtlsState::kClosed);
  const size_t before = pair.client_sent().size();
  pair.Pump();
  ASSERT_EQ(pair.client_sent().size(), before + 1);
  EXPECT_EQ(pair.client_sent().back()[0], 21);  // alert record (close_notify)
  EXPECT_NE(DtlsPair::Find<DtlsClosed>(pair.server_events()), nullptr);
  EXPECT_EQ(pair.server().state(), DtlsState::kClosed);
  // The server answered with its own close_notify, which the closed client drops.
  EXPECT_EQ(pair.server_sent().back()[0], 21);
  EXPECT_EQ(pair.client().datagrams_dropped(), 1u);
  EXPECT_EQ(DtlsPair::Find<DtlsClosed>(pair.client_events()), nullptr);  // local close: no event
  EXPECT_EQ(pair.server().Send(AsBytes("late"), pair.now()).code(), absl::StatusCode::kFailedPrecondition);
  pair.client().Close(pair.now());  // idempotent
  EXPECT_EQ(pair.client().state(), DtlsState::kClosed);
}

TEST(DtlsClose, ServerCloseNotifyReachesClient) {
  DtlsPair pair;
  ASSERT_TRUE(pair.Handshake());
  ASSERT_TRUE(pair.server().Send(AsBytes("last words"), pair.now()).ok());
  pair.server().Close(pair.now());
  pair.Pump();
  EXPECT_THAT(DtlsPair::Received(pair.client_events()), ElementsAre(Bytes("last words")));
  EXPECT_NE(DtlsPair::Find<DtlsClosed>(pair.client_events()), nullptr);
  EXPECT_EQ(pair.client().state(), DtlsState::kClosed);
  EXPECT_EQ(pair.server().state(), DtlsState::kClosed);
}

TEST(DtlsClose, CloseDuringHandshakeStops) {
  DtlsPair pair;
  pair.client().Start(pair.now());
  ASSERT_TRUE(pair.client().NextTimeout().has_value());
  pair.client().Close(pair.now());
  EXPECT_EQ(pair.client().state(), DtlsState::kClosed);
  EXPECT_FALSE(pair.client().NextTimeout().has_value());
}

TEST(DtlsFingerprints, OtherHashFunctionsAndSeveralCandidates) {
  for (FingerprintHash hash : {FingerprintHash::kSha1, FingerprintHash::kSha224, FingerprintHash::kSha384,
                               FingerprintHash::kSha512}) {
    DtlsConfig client, server;
    // The client knows a stale fingerprint and the right one, in another hash function.
    client.remote_fingerprints = {TestCertificate(DtlsKeyType::kEcdsaP256, 2).Fingerprint(),
                                  TestCertificate(DtlsKeyType::kEcdsaP256, 1).Fingerprint(hash)};
    DtlsPair pair(client, server);
    ASSERT_TRUE(pair.Handshake()) << FingerprintHashName(hash);
    const auto* c = DtlsPair::Find<DtlsConnected>(pair.client_events());
    ASSERT_NE(c, nullptr) << FingerprintHashName(hash);
    EXPECT_EQ(c->peer_fingerprint.hash, hash);
    EXPECT_EQ(c->peer_fingerprint, TestCertificate(DtlsKeyType::kEcdsaP256, 1).Fingerprint(hash));
  }
}

TEST(DtlsFingerprints, LateRemoteFingerprintResumesTheHandshake) {
  // The offerer's DTLS server can see the ClientHello before the answer (and its fingerprint) arrives.
  DtlsConfig client, server;
  client.remote_fingerprints = {TestCertificate(DtlsKeyType::kEcdsaP256, 1).Fingerprint()};
  DtlsPair pair(client, server, /*exchange_fingerprints=*/false);
  pair.Start();
  pair.RunUntil([] { return false; }, Duration::Millis(10));
  EXPECT_EQ(pair.server().state(), DtlsState::kConnecting);
  EXPECT_EQ(pair.client().state(), DtlsState::kConnecting);
  EXPECT_EQ(pair.server().SetRemoteFingerprints({}, pair.now()).code(), absl::StatusCode::kInvalidArgument);
  DtlsFingerprint bad = TestCertificate(DtlsKeyType::kEcdsaP256, 0).Fingerprint();
  bad.digest.pop_back();
  EXPECT_EQ(pair.server().SetRemoteFingerprints({bad}, pair.now()).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(
      pair.server()
          .SetRemoteFingerprints({TestCertificate(DtlsKeyType::kEcdsaP256, 0).Fingerprint()}, pair.now())
          .ok());
  ASSERT_TRUE(pair.RunUntil([&] {
    return pair.client().state() == DtlsState::kConnected && pair.server().state() == DtlsState::kConnected;
  }));
}

TEST(DtlsHandshake, RsaPeerCertificatesAccepted) {
  // RSA-2048 server (ECDHE-RSA suite) with an ECDSA client, and the other way round.
  for (bool rsa_server : {true, false}) {
    DtlsConfig client, server;
    (rsa_server ? server : client).certificate = TestCertificate(DtlsKeyType::kRsa2048, 0);
    DtlsPair pair(client, server);
    ASSERT_TRUE(pair.Handshake());
    ASSERT_EQ(pair.client().state(), DtlsState::kConnected) << rsa_server;
    ASSERT_EQ(pair.server().state(), DtlsState::kConnected) << rsa_server;
    EXPECT_EQ(pair.client().CipherSuiteName(), rsa_server ? "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
                                                          : "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    const auto* c = DtlsPair::Find<DtlsConnected>(pair.client_events());
    const auto* s = DtlsPair::Find<DtlsConnected>(pair.server_events());
    ASSERT_TRUE(c && s && c->srtp && s->srtp);
    EXPECT_EQ(c->srtp->server_key, s->srtp->server_key);
  }
}

TEST(DtlsConfigTest, CreateRefusesBadConfigs) {
  DtlsConfig config;
  EXPECT_EQ(DtlsEndpoint::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config.certificate = TestCertificate(DtlsKeyType::kEcdsaP256, 0);
  config.mtu = 255;
  EXPECT_EQ(DtlsEndpoint::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config.mtu = 16385;
  EXPECT_EQ(DtlsEndpoint::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config.mtu = 1200;
  config.initial_retransmit_timeout = Duration::Zero();
  EXPECT_EQ(DtlsEndpoint::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config.initial_retransmit_timeout = Duration::Millis(50);
  absl::StatusOr<DtlsEndpoint> ok = DtlsEndpoint::Create(config);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->state(), DtlsState::kNew);
  EXPECT_EQ(ok->role(), DtlsRole::kClient);
  EXPECT_EQ(ok->mtu(), 1200u);
  // A moved-from endpoint's successor keeps working.
  DtlsEndpoint moved = *std::move(ok);
  moved.Start(Timestamp::Seconds(5));
  EXPECT_TRUE(moved.PollTransmit().has_value());
  EXPECT_EQ(moved.NextTimeout(), Timestamp::Seconds(5) + Duration::Millis(50));
}

}  // namespace
}  // namespace tern
