// The JSEP side of pc::Connection against what real stacks send (the SDP samples of tests/unit/sdp):
// our offer's data section (RFC 8841: sctp-port, max-message-size; RFC 8842: setup actpass; RFC 8122
// fingerprint; RFC 8843 BUNDLE), and our answers to Chrome, Firefox, Pion, aiortc and an ICE-lite SFU.
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tern/base/random.h"
#include "tern/pc/connection.h"
#include "tern/sdp/session_description.h"

namespace tern::pc {
namespace {

std::string Sample(const std::string& name) {
  std::ifstream in(std::string(TERN_SDP_SAMPLES_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ConnectionSdpTest : public ::testing::Test {
 protected:
  ConnectionSdpTest() : random_(3) {
    ConnectionConfig c;
    c.host_addresses = {SocketAddress(IpAddress::LoopbackV4(), 40000)};
    certificate_ = *DtlsCertificate::Generate(random_);
    c.certificate = certificate_;
    c.max_message_size = 100000;
    conn_ = *Connection::Create(std::move(c), random_);
  }

  sdp::SessionDescription Answer(const std::string& offer_sdp) {
    absl::Status s = conn_->SetRemoteDescription({SdpType::kOffer, offer_sdp}, now_);
    EXPECT_TRUE(s.ok()) << s;
    absl::StatusOr<SessionDescription> answer = conn_->CreateAnswer(now_);
    EXPECT_TRUE(answer.ok()) << answer.status();
    if (!answer.ok()) return {};
    EXPECT_EQ(answer->type, SdpType::kAnswer);
    s = conn_->SetLocalDescription(*answer, now_);
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_EQ(conn_->signaling_state(), SignalingState::kStable);
    absl::StatusOr<sdp::SessionDescription> parsed = sdp::Parse(answer->sdp);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return parsed.ok() ? *parsed : sdp::SessionDescription{};
  }

  static const sdp::MediaSection* DataSection(const sdp::SessionDescription& d) {
    for (const sdp::MediaSection& m : d.media) {
      if (m.media == "application" && !m.IsRejected()) return &m;
    }
    return nullptr;
  }

  SeededRandom random_;
  DtlsCertificate certificate_;
  std::unique_ptr<Connection> conn_;
  Timestamp now_ = Timestamp::Seconds(10);
};

TEST_F(ConnectionSdpTest, OfferHasOneBundledDataSection) {
  absl::StatusOr<SessionDescription> offer = conn_->CreateOffer(now_);
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(offer->type, SdpType::kOffer);
  absl::StatusOr<sdp::SessionDescription> d = sdp::Parse(offer->sdp);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->media.size(), 1u);
  const sdp::MediaSection& m = d->media[0];
  EXPECT_EQ(m.media, "application");
  EXPECT_TRUE(m.IsSctp());
  EXPECT_EQ(m.sctp_port, std::optional<uint16_t>(5000));
  EXPECT_EQ(m.max_message_size, std::optional<uint64_t>(100000));
  ASSERT_TRUE(m.mid.has_value());
  const sdp::Group* bundle = d->FindGroup("BUNDLE");
  ASSERT_NE(bundle, nullptr);
  EXPECT_EQ(bundle->mids, std::vector<std::string>{*m.mid});
  std::optional<sdp::SetupRole> setup = m.setup ? m.setup : d->setup;
  EXPECT_EQ(setup, std::optional<sdp::SetupRole>(sdp::SetupRole::kActPass));
  std::vector<sdp::Fingerprint> fps = m.fingerprints.empty() ? d->fingerprints : m.fingerprints;
  ASSERT_EQ(fps.size(), 1u);
  EXPECT_EQ(fps[0].algorithm, "sha-256");
  EXPECT_EQ(fps[0].value, certificate_.Fingerprint().DigestHex());
  EXPECT_TRUE(m.ice_ufrag.has_value() || d->ice_ufrag.has_value());
  // No candidates before gathering; trickle is announced.
  EXPECT_TRUE(m.candidates.empty());
  // After SetLocalDescription the host candidate is gathered and shows in local_description().
  ASSERT_TRUE(conn_->SetLocalDescription(*offer, now_).ok());
  std::optional<SessionDescription> local = conn_->local_description();
  ASSERT_TRUE(local.has_value());
  EXPECT_NE(local->sdp.find("a=candidate:"), std::string::npos);
  EXPECT_NE(local->sdp.find("127.0.0.1 40000 typ host"), std::string::npos);
  EXPECT_EQ(conn_->ice_gathering_state(), IceGatheringState::kComplete);
  EXPECT_NE(local->sdp.find("a=end-of-candidates"), std::string::npos);
}

TEST_F(ConnectionSdpTest, AnswersChromeDataChannelOfferAsDtlsClient) {
  sdp::SessionDescription answer = Answer(Sample("chrome_datachannel_offer.sdp"));
  const sdp::MediaSection* m = DataSection(answer);
  ASSERT_NE(m, nullptr);
  std::optional<sdp::SetupRole> setup = m->setup ? m->setup : answer.setup;
  EXPECT_EQ(setup, std::optional<sdp::SetupRole>(sdp::SetupRole::kActive));  // RFC 8842 §5.3
  EXPECT_EQ(m->max_message_size, std::optional<uint64_t>(100000));
  Stats stats = conn_->GetStats(now_);
  EXPECT_EQ(stats.transports[0].ice_role, "controlled");
  EXPECT_EQ(stats.transports[0].dtls_role, "client");
}

TEST_F(ConnectionSdpTest, RejectsMediaSectionsOfABrowserOfferAndKeepsData) {
  sdp::SessionDescription answer = Answer(Sample("chrome_av_simulcast_offer.sdp"));
  ASSERT_NE(DataSection(answer), nullptr);
  for (const sdp::MediaSection& m : answer.media) {
    if (m.media == "audio" || m.media == "video") EXPECT_EQ(m.port, 0) << m.media;
  }
}

TEST_F(ConnectionSdpTest, AnswersFirefoxPionAndAiortc) {
  for (const char* name : {"firefox_datachannel_offer.sdp", "pion_datachannel_offer.sdp",
                           "aiortc_datachannel_offer_legacy.sdp"}) {
    SCOPED_TRACE(name);
    ConnectionConfig c;
    c.host_addresses = {SocketAddress(IpAddress::LoopbackV4(), 40001)};
    c.certificate = certificate_;
    conn_ = *Connection::Create(std::move(c), random_);
    sdp::SessionDescription answer = Answer(Sample(name));
    EXPECT_NE(DataSection(answer), nullptr);
  }
}

TEST_F(ConnectionSdpTest, IceLiteOffererMakesUsControlling) {
  sdp::SessionDescription answer = Answer(Sample("sfu_ice_lite_offer.sdp"));
  EXPECT_FALSE(answer.ice_lite);
  EXPECT_EQ(conn_->GetStats(now_).transports[0].ice_role, "controlling");  // RFC 8445 §6.1.1
}

TEST_F(ConnectionSdpTest, RefusesDescriptionsWithoutCredentialsOrFingerprint) {
  std::string offer = Sample("chrome_datachannel_offer.sdp");
  std::string no_fp;
  std::istringstream in(offer);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("a=fingerprint", 0) != 0) no_fp += line + "\n";
  }
  absl::Status s = conn_->SetRemoteDescription({SdpType::kOffer, no_fp}, now_);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(conn_->signaling_state(), SignalingState::kStable);
  EXPECT_FALSE(conn_->SetRemoteDescription({SdpType::kOffer, ""}, now_).ok());
  EXPECT_FALSE(conn_->CreateAnswer(now_).ok());  // not in have-remote-offer
}

}  // namespace
}  // namespace tern::pc
