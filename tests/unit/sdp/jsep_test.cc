// JSEP (RFC 8829): offers and answers in both directions (tern with tern, and tern answering the
// Chrome, Firefox, Safari, Pion, aiortc and SFU samples), BUNDLE, DTLS roles (RFC 8842), codec,
// feedback, extension and simulcast negotiation, the W3C signalling states, renegotiation, rollback
// and the checks applied to remote descriptions.
#include "tern/sdp/jsep.h"

#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/sdp/sdp_test_util.h"

namespace tern::sdp {
namespace {

using testing::ReadSample;
using testing::StatusIs;

constexpr char kFingerprintA[] =
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
constexpr char kFingerprintB[] =
    "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF";

TransportSpec Transport(std::string ufrag, std::string pwd, const char* fingerprint) {
  TransportSpec t;
  t.ice_ufrag = std::move(ufrag);
  t.ice_pwd = std::move(pwd);
  t.fingerprints.push_back(Fingerprint{"sha-256", fingerprint});
  return t;
}
TransportSpec TransportA() { return Transport("aaaa", "aaaaaaaaaaaaaaaaaaaaaa", kFingerprintA); }
TransportSpec TransportB() { return Transport("bbbb", "bbbbbbbbbbbbbbbbbbbbbb", kFingerprintB); }

JsepOptions Options(std::string session_id) {
  JsepOptions o;
  o.session_id = std::move(session_id);
  return o;
}

MediaSpec Data() { return MediaSpec{}; }

CodecSpec Opus(uint8_t pt = 111) {
  return CodecSpec{pt, "opus", 48000, 2, "minptime=10;useinbandfec=1", {{"transport-cc", ""}}};
}
std::vector<RtcpFeedback> VideoFeedback() {
  return {{"goog-remb", ""}, {"transport-cc", ""}, {"ccm", "fir"}, {"nack", ""}, {"nack", "pli"}};
}
CodecSpec Vp8(uint8_t pt = 96) { return CodecSpec{pt, "VP8", 90000, std::nullopt, "", VideoFeedback()}; }
CodecSpec Rtx(uint8_t pt, uint8_t apt) {
  return CodecSpec{pt, "rtx", 90000, std::nullopt, "apt=" + std::to_string(apt), {}};
}
CodecSpec H264(uint8_t pt, std::string fmtp) { return CodecSpec{pt, "H264", 90000, std::nullopt, fmtp, VideoFeedback()}; }

MediaSpec Audio(Direction direction = Direction::kSendRecv) {
  MediaSpec s;
  s.kind = MediaKind::kAudio;
  s.direction = direction;
  s.codecs = {Opus()};
  s.header_extensions = {{1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"}, {4, "urn:ietf:params:rtp-hdrext:sdes:mid"}};
  s.msid = Msid{"stream", "audio-track"};
  s.cname = "tern-cname";
  s.ssrcs = {1111};
  return s;
}

MediaSpec Video(Direction direction = Direction::kSendRecv) {
  MediaSpec s;
  s.kind = MediaKind::kVideo;
  s.direction = direction;
  s.codecs = {Vp8(), Rtx(97, 96), H264(102, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"),
              Rtx(103, 102)};
  s.header_extensions = {{4, "urn:ietf:params:rtp-hdrext:sdes:mid"},
                         {3, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"},
                         {10, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"}};
  s.msid = Msid{"stream", "video-track"};
  s.cname = "tern-cname";
  s.ssrcs = {2222, 3333};
  s.ssrc_groups = {SsrcGroup{"FID", {2222, 3333}}};
  return s;
}

SessionDescription MustParse(const std::string& text) {
  absl::StatusOr<SessionDescription> d = Parse(text);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : SessionDescription{};
}

// A description after a trip through text, as the other side sees it.
SessionDescription OverTheWire(const SessionDescription& d) {
  SessionDescription back = MustParse(Serialize(d));
  EXPECT_EQ(back, d) << Serialize(d);
  return back;
}

// Runs one complete exchange: `offerer` creates and applies an offer, `answerer` applies it, creates
// and applies an answer, `offerer` applies the answer.
void Exchange(JsepSession& offerer, JsepSession& answerer) {
  absl::StatusOr<SessionDescription> offer = offerer.CreateOffer();
  ASSERT_TRUE(offer.ok()) << offer.status();
  ASSERT_TRUE(offerer.SetLocalDescription(SdpType::kOffer, *offer).ok());
  ASSERT_EQ(offerer.signaling_state(), SignalingState::kHaveLocalOffer);
  absl::Status s = answerer.SetRemoteDescription(SdpType::kOffer, OverTheWire(*offer));
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(answerer.signaling_state(), SignalingState::kHaveRemoteOffer);
  absl::StatusOr<SessionDescription> answer = answerer.CreateAnswer();
  ASSERT_TRUE(answer.ok()) << answer.status();
  s = answerer.SetLocalDescription(SdpType::kAnswer, *answer);
  ASSERT_TRUE(s.ok()) << s;
  s = offerer.SetRemoteDescription(SdpType::kAnswer, OverTheWire(*answer));
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(offerer.signaling_state(), SignalingState::kStable);
  ASSERT_EQ(answerer.signaling_state(), SignalingState::kStable);
}

std::vector<std::string> MidsOf(const SessionDescription& d) {
  std::vector<std::string> out;
  for (const MediaSection& m : d.media) out.push_back(m.mid.value_or("?"));
  return out;
}

// --- Offers -------------------------------------------------------------------------------------------

TEST(JsepOffer, DataChannelOnlyHasTheRfc8829Shape) {
  JsepSession a(Options("123"), TransportA());
  a.AddMedia(Data());
  absl::StatusOr<SessionDescription> offer = a.CreateOffer();
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(offer->origin.session_id, "123");
  EXPECT_EQ(offer->origin.session_version, 1u);
  ASSERT_NE(offer->FindGroup("BUNDLE"), nullptr);
  EXPECT_EQ(offer->FindGroup("BUNDLE")->mids, std::vector<std::string>{"0"});
  ASSERT_EQ(offer->media.size(), 1u);
  const MediaSection& m = offer->media[0];
  EXPECT_EQ(m.media, "application");
  EXPECT_EQ(m.port, 9);
  EXPECT_EQ(m.protocol, "UDP/DTLS/SCTP");
  EXPECT_EQ(m.formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_EQ(m.connections[0].address, "0.0.0.0");
  EXPECT_EQ(m.mid, "0");
  EXPECT_EQ(m.setup, SetupRole::kActPass);
  EXPECT_EQ(m.ice_ufrag, "aaaa");
  EXPECT_EQ(m.ice_options, std::vector<std::string>{"trickle"});
  EXPECT_EQ(m.sctp_port, 5000);
  EXPECT_EQ(m.max_message_size, 262144u);
  EXPECT_TRUE(ValidateDescription(*offer, SdpType::kOffer).ok());
  // Nothing was applied yet: mids are assigned by SetLocalDescription.
  EXPECT_TRUE(a.media()[0].mid.empty());
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
  EXPECT_EQ(a.media()[0].mid, "0");
}

TEST(JsepOffer, AudioVideoDataWithSimulcastAndCandidates) {
  TransportSpec t = TransportA();
  Candidate host;
  host.foundation = "1";
  host.priority = 2130706431;
  host.address = "127.0.0.1";
  host.port = 40000;
  Candidate low = host;
  low.foundation = "2";
  low.priority = 100;
  low.port = 40001;
  t.candidates = {low, host};
  t.end_of_candidates = true;
  JsepSession a(Options("1"), t);
  a.AddMedia(Audio());
  MediaSpec video = Video();
  video.send_layers = {{"q", false}, {"h", false}, {"f", true}};
  a.AddMedia(video);
  a.AddMedia(Data());
  absl::StatusOr<SessionDescription> offer = a.CreateOffer();
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(MidsOf(*offer), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(offer->FindGroup("BUNDLE")->mids, (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_EQ(offer->msid_semantics.size(), 1u);
  EXPECT_EQ(offer->msid_semantics[0].ids, std::vector<std::string>{"stream"});
  const MediaSection& audio = offer->media[0];
  EXPECT_EQ(audio.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(audio.formats, std::vector<std::string>{"111"});
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_EQ(audio.direction, Direction::kSendRecv);
  EXPECT_EQ(audio.msids[0], (Msid{"stream", "audio-track"}));
  EXPECT_EQ(audio.ssrcs[0], (SsrcAttribute{1111, "cname", "tern-cname"}));
  // The default address is the best component-1 candidate; candidates go in the first section only.
  EXPECT_EQ(audio.port, 40000);
  EXPECT_EQ(audio.connections[0].address, "127.0.0.1");
  EXPECT_EQ(audio.candidates.size(), 2u);
  EXPECT_TRUE(audio.end_of_candidates);
  EXPECT_TRUE(offer->media[1].candidates.empty());
  EXPECT_EQ(offer->media[1].port, 40000);
  const MediaSection& v = offer->media[1];
  EXPECT_EQ(v.formats, (std::vector<std::string>{"96", "97", "102", "103"}));
  EXPECT_EQ(v.FindFmtp(97)->parameters, "apt=96");
  ASSERT_EQ(v.rids.size(), 3u);
  EXPECT_EQ(v.rids[2].direction, RidDirection::kSend);
  ASSERT_TRUE(v.simulcast.has_value());
  EXPECT_EQ(v.simulcast->send.size(), 3u);
  EXPECT_TRUE(v.simulcast->send[2][0].paused);
  EXPECT_EQ(v.ssrc_groups[0], (SsrcGroup{"FID", {2222, 3333}}));
  EXPECT_TRUE(ValidateDescription(OverTheWire(*offer), SdpType::kOffer).ok());
}

TEST(JsepOffer, RejectsBadLocalInput) {
  JsepSession bad_ufrag(Options("1"), Transport("a", "aaaaaaaaaaaaaaaaaaaaaa", kFingerprintA));
  bad_ufrag.AddMedia(Data());
  EXPECT_THAT(bad_ufrag.CreateOffer().status(), StatusIs(absl::StatusCode::kInvalidArgument, "ice-ufrag"));
  TransportSpec no_fingerprint = TransportA();
  no_fingerprint.fingerprints.clear();
  JsepSession nf(Options("1"), no_fingerprint);
  EXPECT_THAT(nf.CreateOffer().status(), StatusIs(absl::StatusCode::kInvalidArgument, "no fingerprint"));
  JsepSession bad_id(Options("12x"), TransportA());
  EXPECT_THAT(bad_id.CreateOffer().status(), StatusIs(absl::StatusCode::kInvalidArgument, "session_id"));
  JsepSession two_data(Options("1"), TransportA());
  two_data.AddMedia(Data());
  two_data.AddMedia(Data());
  EXPECT_THAT(two_data.CreateOffer().status(), StatusIs(absl::StatusCode::kInvalidArgument, "more than one data"));
  JsepSession no_codecs(Options("1"), TransportA());
  MediaSpec audio = Audio();
  audio.codecs.clear();
  no_codecs.AddMedia(audio);
  EXPECT_THAT(no_codecs.CreateOffer().status(), StatusIs(absl::StatusCode::kInvalidArgument, "has no codecs"));
  JsepSession dup_pt(Options("1"), TransportA());
  MediaSpec video = Video();
  video.codecs[1].payload_type = 96;
  dup_pt.AddMedia(video);
  EXPECT_THAT(dup_pt.CreateOffer().status(), StatusIs(absl::StatusCode::kInvalidArgument, "used twice"));
}

// --- tern with tern -------------------------------------------------------------------------------------

TEST(JsepExchange, DataChannelBetweenTwoSessions) {
  JsepSession a(Options("1"), TransportA());
  JsepSession b(Options("2"), TransportB());
  a.AddMedia(Data());
  Exchange(a, b);
  ASSERT_TRUE(a.negotiated().has_value());
  ASSERT_TRUE(b.negotiated().has_value());
  const NegotiatedSession& na = *a.negotiated();
  const NegotiatedSession& nb = *b.negotiated();
  EXPECT_TRUE(na.local_is_offerer);
  EXPECT_FALSE(nb.local_is_offerer);
  // actpass offer, active answer (RFC 8842 §5.3, JSEP's choice): the answerer is the DTLS client.
  EXPECT_EQ(nb.local_setup, SetupRole::kActive);
  EXPECT_TRUE(nb.dtls_client());
  EXPECT_EQ(na.local_setup, SetupRole::kPassive);
  EXPECT_FALSE(na.dtls_client());
  EXPECT_EQ(na.remote_ice_ufrag, "bbbb");
  EXPECT_EQ(nb.remote_ice_ufrag, "aaaa");
  EXPECT_EQ(na.remote_ice_pwd, "bbbbbbbbbbbbbbbbbbbbbb");
  EXPECT_EQ(na.remote_fingerprints[0].value, kFingerprintB);
  EXPECT_EQ(nb.remote_fingerprints[0].value, kFingerprintA);
  EXPECT_EQ(na.remote_ice_options, std::vector<std::string>{"trickle"});
  EXPECT_EQ(na.bundle_mids, std::vector<std::string>{"0"});
  ASSERT_NE(na.data(), nullptr);
  EXPECT_EQ(na.data()->remote_sctp_port, 5000);
  EXPECT_EQ(na.data()->remote_max_message_size, 262144u);
  ASSERT_NE(nb.data(), nullptr);
  EXPECT_EQ(nb.data()->local_sctp_port, 5000);
  // The answerer created a data spec for the offered section.
  ASSERT_EQ(b.media().size(), 1u);
  EXPECT_EQ(b.media()[0].mid, "0");
  EXPECT_EQ(b.current_remote_description()->media.size(), 1u);
  EXPECT_FALSE(b.pending_remote_description().has_value());
}

TEST(JsepExchange, AudioVideoBothDirectionsAndDirectionNegotiation) {
  JsepSession a(Options("1"), TransportA());
  JsepSession b(Options("2"), TransportB());
  a.AddMedia(Audio(Direction::kSendOnly));
  a.AddMedia(Video(Direction::kSendRecv));
  b.AddMedia(Audio(Direction::kSendRecv));
  b.AddMedia(Video(Direction::kRecvOnly));
  Exchange(a, b);
  const NegotiatedSession& na = *a.negotiated();
  const NegotiatedSession& nb = *b.negotiated();
  ASSERT_EQ(na.media.size(), 2u);
  EXPECT_EQ(na.media[0].direction, Direction::kSendOnly);
  EXPECT_EQ(nb.media[0].direction, Direction::kRecvOnly);
  EXPECT_EQ(na.media[1].direction, Direction::kSendOnly);
  EXPECT_EQ(nb.media[1].direction, Direction::kRecvOnly);
  // The answer's codecs: VP8 with its rtx, H264 with its rtx, with the offer's payload types.
  std::vector<std::string> names;
  for (const CodecSpec& c : nb.media[1].codecs) names.push_back(c.name + "/" + std::to_string(c.payload_type));
  EXPECT_EQ(names, (std::vector<std::string>{"VP8/96", "rtx/97", "H264/102", "rtx/103"}));
  EXPECT_EQ(na.media[1].codecs, nb.media[1].codecs);
  EXPECT_EQ(nb.media[1].header_extensions.size(), 3u);
  // B's video is recvonly: it sends no msid/ssrc; A sees none, B sees A's.
  EXPECT_TRUE(na.media[1].remote_ssrcs.empty());
  EXPECT_EQ(nb.media[1].remote_msids[0], (Msid{"stream", "video-track"}));
  EXPECT_EQ(nb.media[1].remote_ssrc_groups[0], (SsrcGroup{"FID", {2222, 3333}}));
}

TEST(JsepExchange, SimulcastIsReversedInTheAnswer) {
  JsepSession a(Options("1"), TransportA());
  JsepSession b(Options("2"), TransportB());
  MediaSpec video = Video(Direction::kSendOnly);
  video.send_layers = {{"q", false}, {"h", false}, {"f", false}};
  a.AddMedia(video);
  b.AddMedia(Video(Direction::kRecvOnly));
  Exchange(a, b);
  const MediaSection& answer = b.current_local_description()->media[0];
  ASSERT_TRUE(answer.simulcast.has_value());
  EXPECT_TRUE(answer.simulcast->send.empty());
  EXPECT_EQ(answer.simulcast->recv.size(), 3u);
  ASSERT_EQ(answer.rids.size(), 3u);
  EXPECT_EQ(answer.rids[0], (Rid{"q", RidDirection::kRecv, {}, {}}));
  std::vector<SimulcastLayer> layers = {{"q", false}, {"h", false}, {"f", false}};
  EXPECT_EQ(a.negotiated()->media[0].send_layers, layers);
  EXPECT_EQ(b.negotiated()->media[0].receive_layers, layers);
  EXPECT_TRUE(b.negotiated()->media[0].send_layers.empty());
}

// --- tern answering browsers and other stacks ---------------------------------------------------------

TEST(JsepAnswer, ChromeDataChannelOffer) {
  JsepSession b(Options("2"), TransportB());
  SessionDescription offer = MustParse(ReadSample("chrome_datachannel_offer"));
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, offer).ok());
  absl::StatusOr<SessionDescription> answer = b.CreateAnswer();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->FindGroup("BUNDLE")->mids, std::vector<std::string>{"0"});
  EXPECT_TRUE(answer->extmap_allow_mixed);
  const MediaSection& m = answer->media[0];
  EXPECT_EQ(m.mid, "0");
  EXPECT_EQ(m.setup, SetupRole::kActive);
  EXPECT_EQ(m.protocol, "UDP/DTLS/SCTP");
  EXPECT_EQ(m.sctp_port, 5000);
  EXPECT_TRUE(ValidateDescription(*answer, SdpType::kAnswer).ok());
  EXPECT_TRUE(ValidateAnswerMatchesOffer(offer, *answer).ok());
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  EXPECT_EQ(b.negotiated()->remote_ice_ufrag, "Cm3M");
  EXPECT_EQ(b.negotiated()->remote_ice_pwd, "1gvmRrNuGbnDqnzuZ8xGNaYA");
  EXPECT_TRUE(b.negotiated()->dtls_client());
}

TEST(JsepAnswer, TernOfferAnsweredByChromeFirefoxPionAndAiortcSamples) {
  // Our offer's shape matches each sample answer (one data section, mid 0): the answers apply.
  for (const char* name : {"chrome_datachannel_answer", "firefox_datachannel_answer", "pion_datachannel_answer",
                           "aiortc_datachannel_answer"}) {
    SCOPED_TRACE(name);
    JsepSession a(Options("1"), TransportA());
    a.AddMedia(Data());
    absl::StatusOr<SessionDescription> offer = a.CreateOffer();
    ASSERT_TRUE(offer.ok());
    ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
    SessionDescription answer = MustParse(ReadSample(name));
    absl::Status s = a.SetRemoteDescription(SdpType::kAnswer, answer);
    ASSERT_TRUE(s.ok()) << s;
    const NegotiatedSession& n = *a.negotiated();
    EXPECT_EQ(n.local_setup, SetupRole::kPassive);  // every sample answers active
    EXPECT_FALSE(n.remote_ice_ufrag.empty());
    ASSERT_NE(n.data(), nullptr);
    EXPECT_EQ(n.data()->remote_sctp_port, 5000);
  }
  JsepSession a(Options("1"), TransportA());
  a.AddMedia(Data());
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *a.CreateOffer()).ok());
  ASSERT_TRUE(a.SetRemoteDescription(SdpType::kAnswer, MustParse(ReadSample("firefox_datachannel_answer"))).ok());
  EXPECT_EQ(a.negotiated()->remote_candidates.size(), 3u);
  EXPECT_TRUE(a.negotiated()->remote_end_of_candidates);
  EXPECT_EQ(a.negotiated()->data()->remote_max_message_size, 1073741823u);
  EXPECT_EQ(a.negotiated()->remote_fingerprints.size(), 1u);  // Firefox: session level
}

TEST(JsepAnswer, FirefoxAudioVideoSimulcastOffer) {
  JsepOptions options = Options("2");
  JsepSession b(options, TransportB());
  b.AddMedia(Audio(Direction::kRecvOnly));
  MediaSpec video = Video(Direction::kRecvOnly);
  video.codecs = {Vp8(100), Rtx(101, 100), H264(102, "packetization-mode=1;profile-level-id=42e01f"), Rtx(103, 102)};
  b.AddMedia(video);
  b.AddMedia(Data());
  SessionDescription offer = MustParse(ReadSample("firefox_av_simulcast_offer"));
  absl::Status s = b.SetRemoteDescription(SdpType::kOffer, offer);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(b.media()[0].mid, "0");
  EXPECT_EQ(b.media()[1].mid, "1");
  EXPECT_EQ(b.media()[2].mid, "2");
  absl::StatusOr<SessionDescription> answer = b.CreateAnswer();
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->media.size(), 3u);
  const MediaSection& audio = answer->media[0];
  EXPECT_EQ(audio.formats, std::vector<std::string>{"109"});  // opus, with Firefox's payload type
  EXPECT_EQ(audio.FindRtpMap(109)->channels, 2u);
  EXPECT_EQ(audio.FindFmtp(109)->parameters, "minptime=10;useinbandfec=1");  // our receive parameters
  EXPECT_EQ(audio.direction, Direction::kRecvOnly);
  EXPECT_TRUE(audio.msids.empty());
  // Extensions: only the ones we support, with the offer's ids.
  ASSERT_EQ(audio.extmaps.size(), 2u);
  EXPECT_EQ(audio.extmaps[0], (Extmap{1, std::nullopt, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", ""}));
  EXPECT_EQ(audio.extmaps[1].id, 3);
  const MediaSection& v = answer->media[1];
  // VP8 120 + rtx 124; H264 126 (packetization-mode=1) + rtx 127; H264 97 (mode 0) is refused.
  EXPECT_EQ(v.formats, (std::vector<std::string>{"120", "124", "126", "127"}));
  EXPECT_EQ(v.FindFmtp(124)->parameters, "apt=120");
  EXPECT_EQ(v.FindFmtp(127)->parameters, "apt=126");
  std::vector<RtcpFb> vp8_feedback;
  for (const RtcpFb& fb : v.rtcp_fbs) {
    if (fb.payload_type == 120) vp8_feedback.push_back(fb);
  }
  EXPECT_EQ(vp8_feedback.size(), 5u);
  EXPECT_EQ(v.extmaps.size(), 3u);  // mid 3, transport-cc 7, rtp-stream-id 8
  ASSERT_TRUE(v.simulcast.has_value());
  EXPECT_EQ(v.simulcast->recv.size(), 3u);
  ASSERT_EQ(v.rids.size(), 3u);
  EXPECT_EQ(v.rids[1], (Rid{"b", RidDirection::kRecv, {}, {}}));
  EXPECT_TRUE(v.rtcp_rsize);
  const MediaSection& data = answer->media[2];
  EXPECT_EQ(data.port, 9);
  EXPECT_EQ(data.sctp_port, 5000);
  EXPECT_EQ(answer->FindGroup("BUNDLE")->mids, (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  const NegotiatedSession& n = *b.negotiated();
  EXPECT_EQ(n.media[1].receive_layers.size(), 3u);
  EXPECT_EQ(n.media[1].direction, Direction::kRecvOnly);
  EXPECT_EQ(n.media[1].remote_ssrc_groups.size(), 3u);
  EXPECT_EQ(n.data()->remote_max_message_size, 1073741823u);
}

TEST(JsepAnswer, ChromeOfferWithoutLocalTracksUsesDefaultsRecvOnly) {
  JsepOptions options = Options("2");
  options.audio_codecs = {Opus(100)};
  options.video_codecs = {Vp8(100), Rtx(101, 100)};
  options.video_extensions = {{1, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"}};
  JsepSession b(options, TransportB());
  SessionDescription offer = MustParse(ReadSample("chrome_av_simulcast_offer"));
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, offer).ok());
  EXPECT_EQ(b.media().size(), 3u);  // two recvonly transceivers and the data channel
  absl::StatusOr<SessionDescription> answer = b.CreateAnswer();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->media[0].formats, std::vector<std::string>{"111"});
  EXPECT_EQ(answer->media[0].direction, Direction::kRecvOnly);
  EXPECT_EQ(answer->media[1].formats, (std::vector<std::string>{"96", "97"}));
  EXPECT_EQ(answer->media[1].extmaps, (std::vector<Extmap>{{10, std::nullopt, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", ""}}));
  EXPECT_EQ(answer->media[1].simulcast->recv.size(), 3u);
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  EXPECT_EQ(b.negotiated()->media[1].receive_layers.size(), 3u);
  // The Safari offer (H264 first) against VP8-only defaults still negotiates VP8.
  JsepSession c(options, TransportB());
  ASSERT_TRUE(c.SetRemoteDescription(SdpType::kOffer, MustParse(ReadSample("safari_av_offer"))).ok());
  absl::StatusOr<SessionDescription> safari_answer = c.CreateAnswer();
  ASSERT_TRUE(safari_answer.ok()) << safari_answer.status();
  EXPECT_EQ(safari_answer->media[1].formats, (std::vector<std::string>{"100", "101"}));
}

TEST(JsepAnswer, PionSfuReceivingSimulcastGetsOurSendLayers) {
  JsepSession b(Options("2"), TransportB());
  b.AddMedia(Audio());
  MediaSpec video = Video();
  video.send_layers = {{"f", false}, {"h", false}, {"q", false}};
  b.AddMedia(video);
  SessionDescription offer = MustParse(ReadSample("pion_av_simulcast_offer"));
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, offer).ok());
  absl::StatusOr<SessionDescription> answer = b.CreateAnswer();
  ASSERT_TRUE(answer.ok()) << answer.status();
  const MediaSection& v = answer->media[1];
  EXPECT_EQ(v.direction, Direction::kSendOnly);  // Pion only receives
  ASSERT_TRUE(v.simulcast.has_value());
  EXPECT_EQ(v.simulcast->send.size(), 3u);
  EXPECT_TRUE(v.simulcast->recv.empty());
  ASSERT_EQ(v.rids.size(), 3u);
  EXPECT_EQ(v.rids[0], (Rid{"f", RidDirection::kSend, {}, {}}));
  EXPECT_EQ(v.formats, (std::vector<std::string>{"96", "97"}));  // Pion's H264 is 42001f, ours 42e01f
  EXPECT_EQ(v.msids[0], (Msid{"stream", "video-track"}));
  EXPECT_EQ(answer->media[0].formats, std::vector<std::string>{"111"});
  EXPECT_EQ(answer->media[0].direction, Direction::kSendRecv);
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  std::vector<SimulcastLayer> layers = {{"f", false}, {"h", false}, {"q", false}};
  EXPECT_EQ(b.negotiated()->media[1].send_layers, layers);
  EXPECT_TRUE(b.negotiated()->media[1].receive_layers.empty());
  EXPECT_EQ(b.negotiated()->remote_candidates.size(), 2u);  // components 1 and 2
}

TEST(JsepAnswer, AiortcAudioVideoOffer) {
  JsepOptions options = Options("2");
  options.audio_codecs = {Opus()};
  options.video_codecs = Video().codecs;
  options.video_extensions = {{1, "urn:ietf:params:rtp-hdrext:sdes:mid"}};
  JsepSession b(options, TransportB());
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, MustParse(ReadSample("aiortc_av_offer"))).ok());
  absl::StatusOr<SessionDescription> answer = b.CreateAnswer();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->media[0].formats, std::vector<std::string>{"96"});  // aiortc's opus
  // VP8 + rtx, and the 42e01f H264 + rtx; aiortc's 42001f H264 is another profile.
  EXPECT_EQ(answer->media[1].formats, (std::vector<std::string>{"97", "98", "101", "102"}));
  EXPECT_EQ(answer->media[1].extmaps.size(), 1u);
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  const NegotiatedSession& n = *b.negotiated();
  EXPECT_EQ(n.remote_fingerprints.size(), 3u);
  EXPECT_EQ(n.remote_candidates.size(), 1u);
  EXPECT_EQ(n.media[1].remote_ssrc_groups[0].ssrcs, (std::vector<uint32_t>{2756184413u, 3129577164u}));
  EXPECT_EQ(n.media[1].direction, Direction::kRecvOnly);
}

TEST(JsepAnswer, AiortcLegacyOfferIsAnsweredInKind) {
  JsepSession b(Options("2"), TransportB());
  SessionDescription offer = MustParse(ReadSample("aiortc_datachannel_offer_legacy"));
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, offer).ok());
  absl::StatusOr<SessionDescription> answer = b.CreateAnswer();
  ASSERT_TRUE(answer.ok()) << answer.status();
  const MediaSection& m = answer->media[0];
  EXPECT_EQ(m.protocol, "DTLS/SCTP");
  EXPECT_EQ(m.formats, std::vector<std::string>{"5000"});
  EXPECT_EQ(m.sctpmap, (SctpMap{5000, "webrtc-datachannel", 65535u}));
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, OverTheWire(*answer)).ok());
  EXPECT_EQ(b.negotiated()->data()->remote_sctp_port, 5000);
  EXPECT_EQ(b.negotiated()->data()->remote_max_message_size, 65536u);
  EXPECT_EQ(b.negotiated()->remote_candidates.size(), 2u);
}

TEST(JsepAnswer, IceLiteSfuOffer) {
  JsepOptions options = Options("2");
  options.audio_codecs = {Opus()};
  options.video_codecs = {Vp8(101), Rtx(102, 101)};
  JsepSession b(options, TransportB());
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, MustParse(ReadSample("sfu_ice_lite_offer"))).ok());
  absl::StatusOr<SessionDescription> answer = b.CreateAnswer();
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  const NegotiatedSession& n = *b.negotiated();
  EXPECT_TRUE(n.remote_ice_lite);
  EXPECT_EQ(n.remote_ice_options, std::vector<std::string>{"renomination"});
  EXPECT_EQ(n.remote_candidates.size(), 1u);  // the same candidate in both sections, once
  EXPECT_EQ(n.media[0].direction, Direction::kRecvOnly);
  EXPECT_EQ(n.media[0].remote_ssrcs.size(), 2u);
  EXPECT_EQ(n.media[1].codecs.size(), 2u);
}

TEST(JsepAnswer, DtlsSetupRules) {
  auto answer_role = [](SetupRole offered, SetupRole preference) -> absl::StatusOr<SetupRole> {
    JsepOptions options = Options("2");
    options.answer_role = preference;
    SessionDescription offer = MustParse(ReadSample("chrome_datachannel_offer"));
    offer.media[0].setup = offered;
    absl::StatusOr<SessionDescription> answer = BuildAnswer(options, TransportB(), offer, {}, AnswerContext{});
    if (!answer.ok()) return answer.status();
    return *answer->media[0].setup;
  };
  EXPECT_EQ(*answer_role(SetupRole::kActPass, SetupRole::kActive), SetupRole::kActive);
  EXPECT_EQ(*answer_role(SetupRole::kActPass, SetupRole::kPassive), SetupRole::kPassive);
  EXPECT_EQ(*answer_role(SetupRole::kActive, SetupRole::kActive), SetupRole::kPassive);
  EXPECT_EQ(*answer_role(SetupRole::kPassive, SetupRole::kPassive), SetupRole::kActive);
  EXPECT_THAT(answer_role(SetupRole::kHoldConn, SetupRole::kActive).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "holdconn"));
  // A renegotiation keeps the role the first exchange chose (RFC 8842 §5.5).
  SessionDescription offer = MustParse(ReadSample("chrome_datachannel_offer"));
  AnswerContext keep;
  keep.current_role = SetupRole::kPassive;
  absl::StatusOr<SessionDescription> again = BuildAnswer(Options("2"), TransportB(), offer, {}, keep);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->media[0].setup, SetupRole::kPassive);
  // An answer that says actpass, or a role that conflicts with the offer's, is refused.
  JsepSession a(Options("1"), TransportA());
  a.AddMedia(Data());
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *a.CreateOffer()).ok());
  SessionDescription bad = MustParse(ReadSample("chrome_datachannel_answer"));
  bad.media[0].setup = SetupRole::kActPass;
  EXPECT_THAT(a.SetRemoteDescription(SdpType::kAnswer, bad),
              StatusIs(absl::StatusCode::kInvalidArgument, "not actpass"));
  EXPECT_EQ(a.signaling_state(), SignalingState::kHaveLocalOffer);
  SessionDescription active_offer = *a.pending_local_description();
  active_offer.media[0].setup = SetupRole::kActive;
  SessionDescription active_answer = MustParse(ReadSample("chrome_datachannel_answer"));
  EXPECT_THAT(Negotiate(active_offer, active_answer, true).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "conflicts"));
}

TEST(JsepAnswer, UnsupportedSectionsAreRejectedWithPortZero) {
  std::string offer_text = ReadSample("chrome_datachannel_offer");
  SessionDescription offer = MustParse(offer_text);
  MediaSection base = offer.media[0];
  auto add = [&](std::string mid, std::string media, std::string protocol, std::vector<std::string> formats) {
    MediaSection m = base;
    m.mid = mid;
    m.media = media;
    m.protocol = protocol;
    m.formats = formats;
    m.sctp_port.reset();
    m.max_message_size.reset();
    if (m.IsRtp()) {
      m.rtcp_mux = true;
      m.rtpmaps = {RtpMap{96, "VP8", 90000, std::nullopt}};
    }
    offer.media.push_back(m);
    offer.groups[0].mids.push_back(mid);
  };
  add("1", "message", "TCP/MSRP", {"*"});                              // not WebRTC
  add("2", "audio", "RTP/AVP", {"0"});                                 // plain RTP, no DTLS-SRTP
  add("3", "application", "UDP/DTLS/SCTP", {"webrtc-datachannel"});    // a second data channel
  add("4", "video", "UDP/TLS/RTP/SAVPF", {"96"});                      // no codec in common (no defaults)
  MediaSection outside = base;
  outside.mid = "5";
  outside.media = "video";
  outside.protocol = "UDP/TLS/RTP/SAVPF";
  outside.formats = {"96"};
  outside.rtcp_mux = true;
  outside.rtpmaps = {RtpMap{96, "VP8", 90000, std::nullopt}};
  offer.media.push_back(outside);  // not in the BUNDLE group
  ASSERT_TRUE(ValidateDescription(offer, SdpType::kOffer).ok()) << ValidateDescription(offer, SdpType::kOffer);
  JsepOptions options = Options("2");
  MediaSpec video = Video();
  video.mid = "5";
  absl::StatusOr<SessionDescription> answer = BuildAnswer(options, TransportB(), offer, std::vector<MediaSpec>{video}, {});
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->media.size(), 6u);
  EXPECT_EQ(answer->media[0].port, 9);
  for (size_t i = 1; i < 6; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(answer->media[i].port, 0);
    EXPECT_TRUE(answer->media[i].IsRejected());
    EXPECT_EQ(answer->media[i].mid, offer.media[i].mid);
    EXPECT_EQ(answer->media[i].media, offer.media[i].media);
    EXPECT_FALSE(answer->media[i].ice_ufrag.has_value());
  }
  EXPECT_EQ(answer->FindGroup("BUNDLE")->mids, std::vector<std::string>{"0"});
  EXPECT_TRUE(ValidateAnswerMatchesOffer(offer, *answer).ok());
  ASSERT_TRUE(ValidateDescription(*answer, SdpType::kAnswer).ok());
  absl::StatusOr<NegotiatedSession> n = Negotiate(offer, *answer, false);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_TRUE(n->media[3].rejected);
  EXPECT_FALSE(n->media[0].rejected);
}

TEST(JsepAnswer, SessionGivesSpecsOnlyToUsableSectionsAndOneDataChannel) {
  SessionDescription offer = MustParse(ReadSample("chrome_datachannel_offer"));
  MediaSection second = offer.media[0];
  second.mid = "1";
  offer.media.push_back(second);  // a second data channel section
  MediaSection plain = offer.media[0];
  plain.mid = "2";
  plain.media = "audio";
  plain.protocol = "RTP/AVP";  // no DTLS-SRTP
  plain.formats = {"0"};
  plain.sctp_port.reset();
  plain.max_message_size.reset();
  plain.rtcp_mux = true;
  offer.media.push_back(plain);
  offer.groups[0].mids = {"0", "1", "2"};
  JsepSession b(Options("2"), TransportB());
  b.AddMedia(Audio());  // must not be tied to the plain RTP section
  absl::Status s = b.SetRemoteDescription(SdpType::kOffer, offer);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(b.media().size(), 2u);
  EXPECT_TRUE(b.media()[0].mid.empty());
  EXPECT_EQ(b.media()[1].kind, MediaKind::kData);
  EXPECT_EQ(b.media()[1].mid, "0");
  absl::StatusOr<SessionDescription> answer = b.CreateAnswer();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_FALSE(answer->media[0].IsRejected());
  EXPECT_TRUE(answer->media[1].IsRejected());
  EXPECT_TRUE(answer->media[2].IsRejected());
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  // The next offer keeps the three sections and adds the audio spec as a fourth.
  absl::StatusOr<SessionDescription> reoffer = b.CreateOffer();
  ASSERT_TRUE(reoffer.ok()) << reoffer.status();
  EXPECT_EQ(MidsOf(*reoffer), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(reoffer->media[3].media, "audio");
  EXPECT_EQ(reoffer->FindGroup("BUNDLE")->mids, (std::vector<std::string>{"0", "3"}));
}

TEST(JsepAnswer, WithoutBundleOnlyOneSectionGetsTheTransport) {
  SessionDescription offer = MustParse(ReadSample("safari_av_offer"));
  offer.groups.clear();
  JsepOptions options = Options("2");
  options.audio_codecs = {Opus()};
  options.video_codecs = {Vp8(100)};
  absl::StatusOr<SessionDescription> answer = BuildAnswer(options, TransportB(), offer, {}, {});
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_FALSE(answer->media[0].IsRejected());
  EXPECT_TRUE(answer->media[1].IsRejected());
  EXPECT_EQ(answer->FindGroup("BUNDLE"), nullptr);
  // An answer that accepts two sections without BUNDLE cannot be used with one transport.
  SessionDescription two = *answer;
  two.media[1] = two.media[0];
  two.media[1].mid = "1";
  two.media[1].media = "video";
  EXPECT_THAT(Negotiate(offer, two, false).status(), StatusIs(absl::StatusCode::kInvalidArgument, "without BUNDLE"));
}

TEST(JsepAnswer, CodecMatchingRules) {
  auto answer_formats = [](std::vector<CodecSpec> offered, std::vector<CodecSpec> local) {
    SessionDescription offer = MustParse(ReadSample("chrome_datachannel_offer"));
    MediaSection& m = offer.media[0];
    m.media = "video";
    m.protocol = "UDP/TLS/RTP/SAVPF";
    m.formats.clear();
    m.rtcp_mux = true;
    m.sctp_port.reset();
    m.max_message_size.reset();
    for (const CodecSpec& c : offered) {
      m.formats.push_back(std::to_string(c.payload_type));
      m.rtpmaps.push_back(RtpMap{c.payload_type, c.name, c.clock_rate, c.channels});
      if (!c.fmtp.empty()) m.fmtps.push_back(Fmtp{c.payload_type, c.fmtp});
    }
    MediaSpec spec;
    spec.kind = MediaKind::kVideo;
    spec.mid = "0";
    spec.codecs = local;
    absl::StatusOr<SessionDescription> answer = BuildAnswer(Options("2"), TransportB(), offer, std::vector<MediaSpec>{spec}, {});
    EXPECT_TRUE(answer.ok()) << answer.status();
    if (!answer.ok()) return std::vector<std::string>{"error"};
    if (answer->media[0].IsRejected()) return std::vector<std::string>{"rejected"};
    return answer->media[0].formats;
  };
  using V = std::vector<std::string>;
  // H.264: the profile and packetization mode must match; the level may differ.
  EXPECT_EQ(answer_formats({H264(100, "packetization-mode=1;profile-level-id=42e01f")},
                           {H264(96, "packetization-mode=1;profile-level-id=42e034")}),
            V{"100"});
  EXPECT_EQ(answer_formats({H264(100, "packetization-mode=1;profile-level-id=640c1f")},
                           {H264(96, "packetization-mode=1;profile-level-id=42e01f")}),
            V{"rejected"});
  EXPECT_EQ(answer_formats({H264(100, "profile-level-id=42e01f")},
                           {H264(96, "packetization-mode=1;profile-level-id=42e01f")}),
            V{"rejected"});
  // VP9 profile-id (default 0).
  CodecSpec vp9_0{98, "VP9", 90000, std::nullopt, "profile-id=0", {}};
  CodecSpec vp9_2{100, "VP9", 90000, std::nullopt, "profile-id=2", {}};
  CodecSpec vp9_default{101, "vp9", 90000, std::nullopt, "", {}};
  EXPECT_EQ(answer_formats({vp9_2, vp9_default}, {vp9_0}), V{"101"});
  // rtx only with its codec; a lone rtx or red is not a codec.
  EXPECT_EQ(answer_formats({Vp8(96), Rtx(97, 96), Rtx(99, 98)}, {Vp8(100), Rtx(101, 100)}), (V{"96", "97"}));
  EXPECT_EQ(answer_formats({Rtx(97, 96)}, {Vp8(100), Rtx(101, 100)}), V{"rejected"});
  EXPECT_EQ(answer_formats({Vp8(96), Rtx(97, 96)}, {Vp8(100)}), V{"96"});
  // Clock rate and channels.
  EXPECT_EQ(answer_formats({CodecSpec{96, "VP8", 48000, std::nullopt, "", {}}}, {Vp8()}), V{"rejected"});
}

// --- Renegotiation -------------------------------------------------------------------------------------

TEST(JsepRenegotiation, AddingTracksAndChannelsLaterKeepsMidsAndOrder) {
  JsepOptions b_options = Options("2");
  b_options.audio_codecs = {Opus(100)};  // B's defaults use another payload type for opus
  JsepSession a(Options("1"), TransportA());
  JsepSession b(b_options, TransportB());
  a.AddMedia(Data());
  Exchange(a, b);
  // A adds audio: the data section stays first with mid 0.
  a.AddMedia(Audio());
  Exchange(a, b);
  EXPECT_EQ(MidsOf(*a.current_local_description()), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(a.current_local_description()->origin.session_version, 2u);
  EXPECT_EQ(a.current_local_description()->origin.session_id, "1");
  EXPECT_EQ(b.current_local_description()->media[1].formats, std::vector<std::string>{"111"});
  EXPECT_EQ(b.negotiated()->media[1].direction, Direction::kRecvOnly);
  EXPECT_EQ(a.negotiated()->media[1].direction, Direction::kSendOnly);
  EXPECT_EQ(b.media().size(), 2u);
  // Now B offers, adding video: mids 0 and 1 keep their place; B's audio keeps payload type 111.
  b.AddMedia(Video());
  Exchange(b, a);
  const SessionDescription& offer = *b.current_local_description();
  EXPECT_EQ(MidsOf(offer), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(offer.media[0].media, "application");
  EXPECT_EQ(offer.media[1].formats, std::vector<std::string>{"111"});
  EXPECT_EQ(offer.media[2].media, "video");
  // A had no video spec and no video defaults: it rejects the section, the rest stays.
  EXPECT_TRUE(a.current_local_description()->media[2].IsRejected());
  EXPECT_TRUE(a.negotiated()->media[2].rejected);
  EXPECT_EQ(a.negotiated()->bundle_mids, (std::vector<std::string>{"0", "1"}));
  // The DTLS roles stay as the first exchange chose, though B is now the offerer.
  EXPECT_EQ(b.negotiated()->local_setup, SetupRole::kActive);
  EXPECT_EQ(a.negotiated()->local_setup, SetupRole::kPassive);
  // A adds a video track and offers: the rejected section stays rejected, video gets a new mid.
  a.AddMedia(Video());
  absl::StatusOr<SessionDescription> again = a.CreateOffer();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(MidsOf(*again), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_TRUE(again->media[2].IsRejected());
  EXPECT_FALSE(again->media[3].IsRejected());
  EXPECT_EQ(again->FindGroup("BUNDLE")->mids, (std::vector<std::string>{"0", "1", "3"}));
}

TEST(JsepRenegotiation, ReofferKeepsNegotiatedPayloadTypesAndIdsWithoutCollisions) {
  // A offers VP8 as 102 (rtx 103) and the transport-cc extension as id 3.
  MediaSpec a_video = Video(Direction::kSendOnly);
  a_video.codecs = {Vp8(102), CodecSpec{103, "rtx", 90000, std::nullopt, "apt=102;rtx-time=3000", {}}};
  a_video.header_extensions = {{3, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"}};
  // B has VP8 as 96 (rtx 97) and H264 as 102 (rtx 103), mid as id 3 and transport-cc as id 5.
  MediaSpec b_video = Video(Direction::kRecvOnly);
  b_video.codecs = {Vp8(96), CodecSpec{97, "rtx", 90000, std::nullopt, "apt=96;rtx-time=3000", {}},
                    H264(102, "packetization-mode=1;profile-level-id=42e01f"), Rtx(103, 102)};
  b_video.header_extensions = {{3, "urn:ietf:params:rtp-hdrext:sdes:mid"},
                               {5, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"}};
  JsepSession a(Options("1"), TransportA());
  JsepSession b(Options("2"), TransportB());
  a.AddMedia(a_video);
  b.AddMedia(b_video);
  Exchange(a, b);
  EXPECT_EQ(b.current_local_description()->media[0].formats, (std::vector<std::string>{"102", "103"}));
  // B re-offers: VP8 and its rtx keep 102/103, H264 moves to a free payload type (96) with its rtx
  // (97), rtx fmtp follows (other parameters kept); transport-cc keeps id 3, mid moves to id 1.
  absl::StatusOr<SessionDescription> offer = b.CreateOffer();
  ASSERT_TRUE(offer.ok()) << offer.status();
  const MediaSection& m = offer->media[0];
  EXPECT_EQ(m.formats, (std::vector<std::string>{"102", "103", "96", "97"}));
  EXPECT_EQ(m.FindFmtp(103)->parameters, "apt=102;rtx-time=3000");
  EXPECT_EQ(m.FindFmtp(97)->parameters, "apt=96");
  EXPECT_EQ(m.FindRtpMap(96)->encoding, "H264");
  ASSERT_EQ(m.extmaps.size(), 2u);
  EXPECT_EQ(m.extmaps[0], (Extmap{1, std::nullopt, "urn:ietf:params:rtp-hdrext:sdes:mid", ""}));
  EXPECT_EQ(m.extmaps[1].id, 3);
  EXPECT_TRUE(ValidateDescription(*offer, SdpType::kOffer).ok());
  Exchange(b, a);
  EXPECT_EQ(a.negotiated()->media[0].codecs[0].payload_type, 102);
}

TEST(JsepRenegotiation, StoppedSpecIsOfferedWithPortZero) {
  JsepSession a(Options("1"), TransportA());
  JsepSession b(Options("2"), TransportB());
  a.AddMedia(Data());
  a.AddMedia(Audio());
  b.AddMedia(Audio());
  Exchange(a, b);
  a.media()[1].stopped = true;
  Exchange(a, b);
  EXPECT_TRUE(a.current_local_description()->media[1].IsRejected());
  EXPECT_TRUE(b.current_local_description()->media[1].IsRejected());
  EXPECT_TRUE(a.negotiated()->media[1].rejected);
  EXPECT_FALSE(a.negotiated()->media[0].rejected);
}

TEST(JsepRenegotiation, RemoteOfferMustKeepExistingSections) {
  JsepSession a(Options("1"), TransportA());
  JsepSession b(Options("2"), TransportB());
  a.AddMedia(Data());
  Exchange(a, b);
  SessionDescription offer = *a.current_local_description();
  offer.media[0].mid = "changed";
  offer.groups[0].mids = {"changed"};
  EXPECT_THAT(b.SetRemoteDescription(SdpType::kOffer, offer),
              StatusIs(absl::StatusCode::kInvalidArgument, "changes m= section 0"));
  offer.media.clear();
  offer.groups.clear();
  EXPECT_THAT(b.SetRemoteDescription(SdpType::kOffer, offer),
              StatusIs(absl::StatusCode::kInvalidArgument, "fewer m= sections"));
  EXPECT_EQ(b.signaling_state(), SignalingState::kStable);
}

// --- Rollback and states --------------------------------------------------------------------------------

TEST(JsepRollback, LocalOfferRollsBackToStable) {
  JsepSession a(Options("1"), TransportA());
  a.AddMedia(Data());
  absl::StatusOr<SessionDescription> offer = a.CreateOffer();
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
  EXPECT_EQ(a.media()[0].mid, "0");
  ASSERT_TRUE(a.Rollback().ok());
  EXPECT_EQ(a.signaling_state(), SignalingState::kStable);
  EXPECT_FALSE(a.pending_local_description().has_value());
  EXPECT_TRUE(a.media()[0].mid.empty());
  // And the session works afterwards.
  JsepSession b(Options("2"), TransportB());
  Exchange(a, b);
  EXPECT_EQ(a.media()[0].mid, "0");
}

TEST(JsepRollback, RemoteOfferRollbackRemovesCreatedSpecs) {
  JsepSession a(Options("1"), TransportA());
  JsepSession b(Options("2"), TransportB());
  a.AddMedia(Data());
  Exchange(a, b);
  ASSERT_EQ(b.media().size(), 1u);
  // A renegotiates with audio; B (with audio defaults) applies, then rolls back (glare handling).
  JsepOptions b2_options = Options("2");
  b2_options.audio_codecs = {Opus()};
  JsepSession b2(b2_options, TransportB());
  a.AddMedia(Audio());
  absl::StatusOr<SessionDescription> first = JsepSession(Options("1"), TransportA()).CreateOffer();
  ASSERT_TRUE(first.ok());
  absl::StatusOr<SessionDescription> offer = a.CreateOffer();
  ASSERT_TRUE(offer.ok());
  ASSERT_TRUE(b2.SetRemoteDescription(SdpType::kOffer, *offer).ok());
  EXPECT_EQ(b2.media().size(), 2u);
  EXPECT_EQ(b2.signaling_state(), SignalingState::kHaveRemoteOffer);
  ASSERT_TRUE(b2.SetRemoteDescription(SdpType::kRollback, SessionDescription{}).ok());
  EXPECT_EQ(b2.signaling_state(), SignalingState::kStable);
  EXPECT_TRUE(b2.media().empty());
  EXPECT_FALSE(b2.pending_remote_description().has_value());
  // A local spec that the offer claimed gets its empty mid back.
  JsepSession b3(Options("2"), TransportB());
  b3.AddMedia(Audio());
  ASSERT_TRUE(b3.SetRemoteDescription(SdpType::kOffer, *offer).ok());
  EXPECT_EQ(b3.media()[0].mid, "1");
  ASSERT_TRUE(b3.Rollback().ok());
  EXPECT_TRUE(b3.media()[0].mid.empty());
  EXPECT_EQ(b3.media().size(), 1u);
}

TEST(JsepStates, ProvisionalAnswersBothWays) {
  JsepSession a(Options("1"), TransportA());
  JsepSession b(Options("2"), TransportB());
  a.AddMedia(Data());
  absl::StatusOr<SessionDescription> offer = a.CreateOffer();
  ASSERT_TRUE(a.SetLocalDescription(SdpType::kOffer, *offer).ok());
  ASSERT_TRUE(b.SetRemoteDescription(SdpType::kOffer, *offer).ok());
  absl::StatusOr<SessionDescription> pranswer = b.CreateAnswer();
  ASSERT_TRUE(pranswer.ok());
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kPranswer, *pranswer).ok());
  EXPECT_EQ(b.signaling_state(), SignalingState::kHaveLocalPranswer);
  EXPECT_TRUE(b.negotiated().has_value());
  EXPECT_TRUE(b.pending_local_description().has_value());
  ASSERT_TRUE(a.SetRemoteDescription(SdpType::kPranswer, *pranswer).ok());
  EXPECT_EQ(a.signaling_state(), SignalingState::kHaveRemotePranswer);
  EXPECT_TRUE(a.negotiated().has_value());
  // Rollback is not allowed from the pranswer states.
  EXPECT_THAT(a.Rollback(), StatusIs(absl::StatusCode::kFailedPrecondition, "have-remote-pranswer"));
  EXPECT_THAT(b.Rollback(), StatusIs(absl::StatusCode::kFailedPrecondition, "have-local-pranswer"));
  absl::StatusOr<SessionDescription> answer = b.CreateAnswer();
  ASSERT_TRUE(answer.ok());
  ASSERT_TRUE(b.SetLocalDescription(SdpType::kAnswer, *answer).ok());
  ASSERT_TRUE(a.SetRemoteDescription(SdpType::kAnswer, *answer).ok());
  EXPECT_EQ(a.signaling_state(), SignalingState::kStable);
  EXPECT_EQ(b.signaling_state(), SignalingState::kStable);
  EXPECT_TRUE(a.current_remote_description().has_value());
}

TEST(JsepStates, InvalidTransitionsChangeNothing) {
  JsepSession a(Options("1"), TransportA());
  a.AddMedia(Data());
  SessionDescription answer = MustParse(ReadSample("chrome_datachannel_answer"));
  SessionDescription offer = MustParse(ReadSample("chrome_datachannel_offer"));
  auto precondition = [](const absl::Status& s, const char* text) {
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, text));
  };
  precondition(a.SetRemoteDescription(SdpType::kAnswer, answer), "in signaling state stable");
  precondition(a.SetLocalDescription(SdpType::kAnswer, answer), "in signaling state stable");
  precondition(a.SetRemoteDescription(SdpType::kPranswer, answer), "stable");
  precondition(a.CreateAnswer().status(), "CreateAnswer is not allowed in signaling state stable");
  precondition(a.Rollback(), "rollback is not allowed in signaling state stable");
  EXPECT_EQ(a.signaling_state(), SignalingState::kStable);
  // A remote offer that fails the checks is refused and leaves no trace.
  SessionDescription no_fingerprint = offer;
  no_fingerprint.media[0].fingerprints.clear();
  EXPECT_THAT(a.SetRemoteDescription(SdpType::kOffer, no_fingerprint),
              StatusIs(absl::StatusCode::kInvalidArgument, "has no a=fingerprint"));
  EXPECT_EQ(a.signaling_state(), SignalingState::kStable);
  EXPECT_FALSE(a.pending_remote_description().has_value());
  EXPECT_TRUE(a.media()[0].mid.empty());
  // have-remote-offer: no local offer, no remote answer.
  ASSERT_TRUE(a.SetRemoteDescription(SdpType::kOffer, offer).ok());
  precondition(a.CreateOffer().status(), "have-remote-offer");
  absl::StatusOr<SessionDescription> own = JsepSession(Options("1"), TransportA()).CreateOffer();
  ASSERT_TRUE(own.ok());
  precondition(a.SetLocalDescription(SdpType::kOffer, *own), "have-remote-offer");
  precondition(a.SetRemoteDescription(SdpType::kAnswer, answer), "have-remote-offer");
  EXPECT_EQ(a.signaling_state(), SignalingState::kHaveRemoteOffer);
  // A replacement remote offer is allowed.
  ASSERT_TRUE(a.SetRemoteDescription(SdpType::kOffer, offer).ok());
  // A bad answer leaves the state and the pending offer as they were.
  SessionDescription wrong = answer;
  wrong.media[0].mid = "9";
  wrong.groups[0].mids = {"9"};
  EXPECT_THAT(a.SetLocalDescription(SdpType::kAnswer, wrong),
              StatusIs(absl::StatusCode::kInvalidArgument, "different mid"));
  EXPECT_EQ(a.signaling_state(), SignalingState::kHaveRemoteOffer);
  EXPECT_EQ(*a.pending_remote_description(), offer);
  a.Close();
  EXPECT_EQ(a.signaling_state(), SignalingState::kClosed);
  precondition(a.SetRemoteDescription(SdpType::kOffer, offer), "closed");
  precondition(a.SetLocalDescription(SdpType::kRollback, {}), "closed");
  precondition(a.CreateOffer().status(), "closed");
}

// --- Checks on remote descriptions ----------------------------------------------------------------------

TEST(JsepValidate, IceCredentialsRfc8839) {
  EXPECT_TRUE(ValidateIceCredentials("abcd", "0123456789012345678901").ok());
  EXPECT_TRUE(ValidateIceCredentials("a+/b", std::string(256, 'p')).ok());
  EXPECT_THAT(ValidateIceCredentials("abc", "0123456789012345678901"),
              StatusIs(absl::StatusCode::kInvalidArgument, "ice-ufrag \"abc\" is not 4-256"));
  EXPECT_THAT(ValidateIceCredentials(std::string(257, 'u'), "0123456789012345678901"),
              StatusIs(absl::StatusCode::kInvalidArgument, "ice-ufrag"));
  EXPECT_THAT(ValidateIceCredentials("ab-d", "0123456789012345678901"),
              StatusIs(absl::StatusCode::kInvalidArgument, "ice-ufrag"));
  EXPECT_THAT(ValidateIceCredentials("abcd", "012345678901234567890"),
              StatusIs(absl::StatusCode::kInvalidArgument, "ice-pwd is not 22-256 ice-chars (RFC 8839 §5.4); it has 21"));
  EXPECT_THAT(ValidateIceCredentials("abcd", "0123456789012345678901_"),
              StatusIs(absl::StatusCode::kInvalidArgument, "ice-pwd"));
}

TEST(JsepValidate, FingerprintsRfc8122) {
  EXPECT_TRUE(ValidateFingerprint({"sha-256", kFingerprintA}).ok());
  EXPECT_TRUE(ValidateFingerprint({"SHA-256", "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99"}).ok());
  EXPECT_TRUE(ValidateFingerprint({"sha-1", "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33"}).ok());
  EXPECT_THAT(ValidateFingerprint({"sha-3", kFingerprintA}), StatusIs(absl::StatusCode::kInvalidArgument, "not known"));
  EXPECT_THAT(ValidateFingerprint({"sha-384", kFingerprintA}),
              StatusIs(absl::StatusCode::kInvalidArgument, "is not 48 colon-separated hex bytes"));
  EXPECT_THAT(ValidateFingerprint({"sha-1", "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:3G"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "hex bytes"));
  EXPECT_THAT(ValidateFingerprint({"sha-1", "0011:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "hex bytes"));
}

TEST(JsepValidate, RemoteDescriptionRules) {
  const SessionDescription good = MustParse(ReadSample("chrome_av_simulcast_offer"));
  ASSERT_TRUE(ValidateDescription(good, SdpType::kOffer).ok());
  struct Case {
    const char* what;
    std::function<void(SessionDescription&)> mutate;
    const char* error;
  };
  std::vector<Case> cases = {
      {"no mid", [](SessionDescription& d) { d.media[1].mid.reset(); }, "m= section 1 has no a=mid"},
      {"duplicate mid", [](SessionDescription& d) { d.media[1].mid = "0"; }, "a=mid \"0\" is used twice"},
      {"bundle names a missing mid", [](SessionDescription& d) { d.groups[0].mids.push_back("7"); },
       "BUNDLE group names mid \"7\", which no m= section has"},
      {"bundle names a rejected section", [](SessionDescription& d) { d.media[2].port = 0; },
       "whose m= section is rejected"},
      {"mid in two groups", [](SessionDescription& d) { d.groups.push_back(Group{"BUNDLE", {"1"}}); },
       "more than one BUNDLE group"},
      {"no ufrag", [](SessionDescription& d) { d.media[1].ice_ufrag.reset(); }, "has no a=ice-ufrag/a=ice-pwd"},
      {"short ufrag", [](SessionDescription& d) { d.media[1].ice_ufrag = "abc"; }, "m= section \"1\": ice-ufrag"},
      {"short pwd", [](SessionDescription& d) { d.media[0].ice_pwd = "short"; }, "ice-pwd is not 22-256"},
      {"no fingerprint", [](SessionDescription& d) { d.media[2].fingerprints.clear(); }, "has no a=fingerprint"},
      {"bad fingerprint", [](SessionDescription& d) { d.media[2].fingerprints[0].value = "AB:CD"; },
       "is not 32 colon-separated hex bytes"},
      {"holdconn", [](SessionDescription& d) { d.media[0].setup = SetupRole::kHoldConn; }, "holdconn"},
      {"no rtcp-mux", [](SessionDescription& d) { d.media[1].rtcp_mux = false; }, "has no a=rtcp-mux"},
      {"dynamic pt without rtpmap", [](SessionDescription& d) { d.media[1].formats.push_back("120"); },
       "dynamic payload type 120 has no a=rtpmap"},
  };
  for (Case& c : cases) {
    SessionDescription d = good;
    c.mutate(d);
    EXPECT_THAT(ValidateDescription(d, SdpType::kOffer), StatusIs(absl::StatusCode::kInvalidArgument, c.error))
        << c.what;
  }
  // Session-level credentials and fingerprints (Firefox) count for every section.
  SessionDescription session_level = good;
  for (MediaSection& m : session_level.media) {
    m.ice_ufrag.reset();
    m.ice_pwd.reset();
    m.fingerprints.clear();
  }
  session_level.ice_ufrag = "abcd";
  session_level.ice_pwd = "0123456789012345678901";
  session_level.fingerprints = {Fingerprint{"sha-256", kFingerprintA}};
  EXPECT_TRUE(ValidateDescription(session_level, SdpType::kOffer).ok());
  // A rejected section needs nothing; a rollback is not checked.
  SessionDescription rejected = good;
  rejected.groups[0].mids = {"0", "1"};
  rejected.media[2].port = 0;
  rejected.media[2].ice_ufrag.reset();
  EXPECT_TRUE(ValidateDescription(rejected, SdpType::kOffer).ok());
  EXPECT_TRUE(ValidateDescription(SessionDescription{}, SdpType::kRollback).ok());
  // Answers may not say actpass.
  EXPECT_THAT(ValidateDescription(good, SdpType::kAnswer), StatusIs(absl::StatusCode::kInvalidArgument, "not actpass"));
}

TEST(JsepValidate, AnswerMustMatchOffer) {
  const SessionDescription offer = MustParse(ReadSample("chrome_datachannel_offer"));
  const SessionDescription answer = MustParse(ReadSample("chrome_datachannel_answer"));
  ASSERT_TRUE(ValidateAnswerMatchesOffer(offer, answer).ok());
  SessionDescription more = answer;
  more.media.push_back(answer.media[0]);
  EXPECT_THAT(ValidateAnswerMatchesOffer(offer, more), StatusIs(absl::StatusCode::kInvalidArgument, "has 2 m= sections"));
  SessionDescription kind = answer;
  kind.media[0].media = "audio";
  EXPECT_THAT(ValidateAnswerMatchesOffer(offer, kind), StatusIs(absl::StatusCode::kInvalidArgument, "is audio"));
  SessionDescription rejected_offer = offer;
  rejected_offer.media[0].port = 0;
  EXPECT_THAT(ValidateAnswerMatchesOffer(rejected_offer, answer),
              StatusIs(absl::StatusCode::kInvalidArgument, "which the offer rejected"));
  SessionDescription unbundled_offer = offer;
  unbundled_offer.groups.clear();
  EXPECT_THAT(ValidateAnswerMatchesOffer(unbundled_offer, answer),
              StatusIs(absl::StatusCode::kInvalidArgument, "which the offer did not bundle"));
}

TEST(JsepNames, W3cStrings) {
  EXPECT_EQ(ToString(SignalingState::kHaveLocalPranswer), "have-local-pranswer");
  EXPECT_EQ(ToString(SignalingState::kHaveRemoteOffer), "have-remote-offer");
  EXPECT_EQ(ToString(SdpType::kPranswer), "pranswer");
  EXPECT_EQ(ParseSdpType("rollback"), SdpType::kRollback);
  EXPECT_EQ(ParseSdpType("Offer"), std::nullopt);
  EXPECT_EQ(ToString(MediaKind::kData), "application");
}

}  // namespace
}  // namespace tern::sdp
