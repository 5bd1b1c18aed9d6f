// The SDP parser and serializer (RFC 8866) on samples in the exact style Chrome, Firefox, Safari,
// Pion, aiortc and an ICE-lite SFU emit: typed fields, round trips, tolerance, and every rejection.
#include "tern/sdp/session_description.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/sdp/sdp_test_util.h"

namespace tern::sdp {
namespace {

using testing::ReadSample;
using testing::SampleNames;
using testing::StatusIs;
using testing::WithLf;

SessionDescription MustParse(const std::string& text) {
  absl::StatusOr<SessionDescription> d = Parse(text);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : SessionDescription{};
}

TEST(SdpParse, EverySampleRoundTrips) {
  for (const std::string& name : SampleNames()) {
    SCOPED_TRACE(name);
    std::string text = ReadSample(name);
    absl::StatusOr<SessionDescription> d = Parse(text);
    ASSERT_TRUE(d.ok()) << d.status();
    std::string once = Serialize(*d);
    absl::StatusOr<SessionDescription> again = Parse(once);
    ASSERT_TRUE(again.ok()) << again.status() << "\n" << once;
    EXPECT_EQ(*again, *d);
    EXPECT_EQ(Serialize(*again), once);
    // LF line ends parse to the same model.
    absl::StatusOr<SessionDescription> lf = Parse(WithLf(text));
    ASSERT_TRUE(lf.ok()) << lf.status();
    EXPECT_EQ(*lf, *d);
  }
}

TEST(SdpParse, SerializedSamplesKeepEveryLine) {
  // Canonical order may move lines, but no line is lost or invented: the multisets of lines match
  // (Chrome's "a=msid-semantic: WMS" comes back without the space).
  for (const std::string& name : SampleNames()) {
    SCOPED_TRACE(name);
    std::string text = ReadSample(name);
    for (size_t at; (at = text.find("msid-semantic: ")) != std::string::npos;) text.erase(at + 14, 1);
    // Pion ends some rtcp-fb lines with a space; trailing whitespace is not kept.
    for (size_t at; (at = text.find(" \r\n")) != std::string::npos;) text.erase(at, 1);
    std::string out = Serialize(MustParse(text));
    auto lines = [](const std::string& s) {
      std::vector<std::string> v;
      size_t start = 0;
      while (start < s.size()) {
        size_t end = s.find("\r\n", start);
        v.push_back(s.substr(start, end - start));
        start = end + 2;
      }
      std::sort(v.begin(), v.end());
      return v;
    };
    EXPECT_EQ(lines(out), lines(text));
    EXPECT_EQ(out.size(), text.size());
  }
}

TEST(SdpParse, ChromeDataChannelOffer) {
  SessionDescription d = MustParse(ReadSample("chrome_datachannel_offer"));
  EXPECT_EQ(d.origin.username, "-");
  EXPECT_EQ(d.origin.session_id, "4215775240449105457");
  EXPECT_EQ(d.origin.session_version, 2u);
  EXPECT_EQ(d.origin.address, "127.0.0.1");
  EXPECT_EQ(d.session_name, "-");
  ASSERT_EQ(d.timings.size(), 1u);
  EXPECT_EQ(d.timings[0].start, 0u);
  ASSERT_EQ(d.groups.size(), 1u);
  EXPECT_EQ(d.groups[0], (Group{"BUNDLE", {"0"}}));
  EXPECT_TRUE(d.extmap_allow_mixed);
  ASSERT_EQ(d.msid_semantics.size(), 1u);  // "a=msid-semantic: WMS" (note the space)
  EXPECT_EQ(d.msid_semantics[0], (MsidSemantic{"WMS", {}}));
  ASSERT_EQ(d.media.size(), 1u);
  const MediaSection& m = d.media[0];
  EXPECT_EQ(m.media, "application");
  EXPECT_EQ(m.port, 9);
  EXPECT_EQ(m.protocol, "UDP/DTLS/SCTP");
  EXPECT_TRUE(m.IsSctp());
  EXPECT_FALSE(m.IsRtp());
  EXPECT_EQ(m.formats, std::vector<std::string>{"webrtc-datachannel"});
  ASSERT_EQ(m.connections.size(), 1u);
  EXPECT_EQ(m.connections[0], (ConnectionData{"IN", "IP4", "0.0.0.0"}));
  EXPECT_EQ(m.ice_ufrag, "Cm3M");
  EXPECT_EQ(m.ice_pwd, "1gvmRrNuGbnDqnzuZ8xGNaYA");
  EXPECT_EQ(m.ice_options, std::vector<std::string>{"trickle"});
  ASSERT_EQ(m.fingerprints.size(), 1u);
  EXPECT_EQ(m.fingerprints[0].algorithm, "sha-256");
  EXPECT_EQ(m.fingerprints[0].value.size(), 95u);
  EXPECT_EQ(m.setup, SetupRole::kActPass);
  EXPECT_EQ(m.mid, "0");
  EXPECT_EQ(m.sctp_port, 5000);
  EXPECT_EQ(m.max_message_size, 262144u);
  EXPECT_FALSE(m.direction.has_value());
  EXPECT_EQ(m.EffectiveDirection(), Direction::kSendRecv);
  EXPECT_TRUE(m.other_attributes.empty());
  EXPECT_TRUE(d.other_attributes.empty());
}

TEST(SdpParse, ChromeAudioVideoSimulcastOffer) {
  SessionDescription d = MustParse(ReadSample("chrome_av_simulcast_offer"));
  ASSERT_EQ(d.media.size(), 3u);
  EXPECT_EQ(d.msid_semantics[0], (MsidSemantic{"WMS", {"6e4c1e9b-2cf6-4d3e-9d2a-1f0f3c9e2b11"}}));
  const MediaSection& audio = d.media[0];
  EXPECT_TRUE(audio.IsRtp());
  EXPECT_EQ(audio.formats.size(), 8u);
  ASSERT_TRUE(audio.rtcp.has_value());
  EXPECT_EQ(audio.rtcp->port, 9);
  EXPECT_EQ(audio.rtcp->connection, (ConnectionData{"IN", "IP4", "0.0.0.0"}));
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_TRUE(audio.rtcp_rsize);
  EXPECT_EQ(audio.direction, Direction::kSendRecv);
  ASSERT_EQ(audio.rtpmaps.size(), 8u);
  EXPECT_EQ(audio.rtpmaps[0], (RtpMap{111, "opus", 48000, 2}));
  EXPECT_EQ(audio.rtpmaps[2], (RtpMap{9, "G722", 8000, std::nullopt}));
  ASSERT_NE(audio.FindFmtp(111), nullptr);
  EXPECT_EQ(audio.FindFmtp(111)->parameters, "minptime=10;useinbandfec=1");
  EXPECT_EQ(audio.FindFmtp(63)->parameters, "111/111");
  ASSERT_EQ(audio.rtcp_fbs.size(), 1u);
  EXPECT_EQ(audio.rtcp_fbs[0], (RtcpFb{111, "transport-cc", ""}));
  ASSERT_EQ(audio.extmaps.size(), 4u);
  EXPECT_EQ(audio.extmaps[3], (Extmap{4, std::nullopt, "urn:ietf:params:rtp-hdrext:sdes:mid", ""}));
  ASSERT_EQ(audio.msids.size(), 1u);
  EXPECT_EQ(audio.msids[0].stream_id, "6e4c1e9b-2cf6-4d3e-9d2a-1f0f3c9e2b11");
  EXPECT_EQ(audio.msids[0].track_id, "0c7d2a51-5f0e-4a4b-8c39-2a6f5a7d9e01");
  ASSERT_EQ(audio.ssrcs.size(), 2u);
  EXPECT_EQ(audio.ssrcs[0], (SsrcAttribute{3735928559u, "cname", "Yq8cRDd3V9Jp+Q2a"}));
  EXPECT_EQ(audio.ssrcs[1].attribute, "msid");
  EXPECT_EQ(audio.ssrcs[1].value,
            "6e4c1e9b-2cf6-4d3e-9d2a-1f0f3c9e2b11 0c7d2a51-5f0e-4a4b-8c39-2a6f5a7d9e01");

  const MediaSection& video = d.media[1];
  EXPECT_EQ(video.rtpmaps.size(), 10u);
  EXPECT_EQ(video.rtcp_fbs.size(), 20u);
  EXPECT_EQ(video.rtcp_fbs[2], (RtcpFb{96, "ccm", "fir"}));
  EXPECT_EQ(video.FindFmtp(102)->parameters,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f");
  ASSERT_EQ(video.rids.size(), 3u);
  EXPECT_EQ(video.rids[0].id, "q");
  EXPECT_EQ(video.rids[0].direction, RidDirection::kSend);
  ASSERT_TRUE(video.simulcast.has_value());
  ASSERT_EQ(video.simulcast->send.size(), 3u);
  EXPECT_EQ(video.simulcast->send[2], (SimulcastStream{{"f", false}}));
  EXPECT_TRUE(video.simulcast->recv.empty());
  EXPECT_EQ(d.media[2].mid, "2");
}

TEST(SdpParse, FirefoxAudioVideoSimulcastOffer) {
  SessionDescription d = MustParse(ReadSample("firefox_av_simulcast_offer"));
  EXPECT_EQ(d.origin.username, "mozilla...THIS_IS_SDPARTA-115.3.0");
  EXPECT_EQ(d.origin.session_version, 0u);
  ASSERT_EQ(d.fingerprints.size(), 1u);  // session level, as Firefox puts it
  EXPECT_EQ(d.ice_options, std::vector<std::string>{"trickle"});
  EXPECT_EQ(d.msid_semantics[0], (MsidSemantic{"WMS", {"*"}}));
  const MediaSection& audio = d.media[0];
  EXPECT_EQ(audio.extmaps[1], (Extmap{2, Direction::kRecvOnly, "urn:ietf:params:rtp-hdrext:csrc-audio-level", ""}));
  EXPECT_EQ(audio.FindRtpMap(9)->channels, 1u);
  EXPECT_EQ(audio.msids[0].stream_id, "{3b8d4c3e-6f9a-4f1e-8a2d-7c5b9e0f1a23}");
  // Firefox writes fmtp before rtpmap; the model keeps codec attributes in m= line order.
  const MediaSection& video = d.media[1];
  EXPECT_EQ(video.rtpmaps.front().payload_type, 120);
  EXPECT_EQ(video.rtpmaps.back().payload_type, 98);
  EXPECT_EQ(video.fmtps.front().payload_type, 120);
  EXPECT_EQ(video.rtcp_fbs.front().payload_type, 120);
  EXPECT_EQ(video.rtcp_fbs.back().payload_type, 97);
  ASSERT_EQ(video.ssrc_groups.size(), 3u);
  EXPECT_EQ(video.ssrc_groups[1], (SsrcGroup{"FID", {2812893540u, 3372616120u}}));
  EXPECT_EQ(video.ssrcs.size(), 6u);
  ASSERT_TRUE(video.simulcast.has_value());
  EXPECT_EQ(video.simulcast->send.size(), 3u);
  EXPECT_EQ(d.media[2].direction, Direction::kSendRecv);
  EXPECT_EQ(d.media[2].max_message_size, 1073741823u);
}

TEST(SdpParse, SafariOffer) {
  SessionDescription d = MustParse(ReadSample("safari_av_offer"));
  const MediaSection& video = d.media[1];
  EXPECT_EQ(video.rtpmaps[0], (RtpMap{96, "H264", 90000, std::nullopt}));
  ASSERT_EQ(video.ssrc_groups.size(), 1u);
  EXPECT_EQ(video.ssrc_groups[0].semantics, "FID");
  EXPECT_EQ(video.ssrcs.size(), 4u);
  EXPECT_EQ(video.FindRtpMap(104)->encoding, "ulpfec");
}

TEST(SdpParse, PionOfferWithCandidates) {
  SessionDescription d = MustParse(ReadSample("pion_datachannel_offer"));
  EXPECT_EQ(d.origin.session_version, 1605617004u);
  EXPECT_EQ(d.msid_semantics[0].semantic, "WMS*");  // Pion writes no space
  const MediaSection& m = d.media[0];
  ASSERT_EQ(m.candidates.size(), 3u);
  EXPECT_EQ(m.candidates[1].component, 2u);
  EXPECT_EQ(m.candidates[2].address, "172.17.0.1");
  EXPECT_TRUE(m.end_of_candidates);
  EXPECT_EQ(m.direction, Direction::kSendRecv);
  EXPECT_EQ(m.ice_ufrag, "pOfRQGuxVgXmFtrz");
}

TEST(SdpParse, PionAndAiortcAudioVideoOffers) {
  SessionDescription pion = MustParse(ReadSample("pion_av_simulcast_offer"));
  const MediaSection& video = pion.media[1];
  // "a=rtcp-fb:96 nack " (Pion's trailing space) is plain nack.
  EXPECT_EQ(video.rtcp_fbs[2], (RtcpFb{96, "nack", ""}));
  EXPECT_EQ(video.direction, Direction::kRecvOnly);
  ASSERT_EQ(video.rids.size(), 3u);
  EXPECT_EQ(video.rids[0].direction, RidDirection::kRecv);
  EXPECT_EQ(video.simulcast->recv.size(), 3u);
  EXPECT_EQ(pion.media[0].ssrcs.size(), 4u);  // cname, msid, mslabel, label
  EXPECT_EQ(pion.media[0].ssrcs[2].attribute, "mslabel");
  SessionDescription aiortc = MustParse(ReadSample("aiortc_av_offer"));
  EXPECT_EQ(aiortc.media[0].fingerprints.size(), 3u);
  EXPECT_EQ(aiortc.media[0].fingerprints[2].algorithm, "sha-512");
  EXPECT_EQ(aiortc.media[1].ssrc_groups[0].semantics, "FID");
  EXPECT_EQ(aiortc.media[0].port, 51820);
  EXPECT_EQ(aiortc.media[1].candidates.size(), 0u);
}

TEST(SdpParse, AiortcLegacySctpmapOffer) {
  SessionDescription d = MustParse(ReadSample("aiortc_datachannel_offer_legacy"));
  const MediaSection& m = d.media[0];
  EXPECT_EQ(m.port, 49877);
  EXPECT_EQ(m.protocol, "DTLS/SCTP");
  EXPECT_TRUE(m.IsSctp());
  EXPECT_EQ(m.formats, std::vector<std::string>{"5000"});
  EXPECT_EQ(m.sctpmap, (SctpMap{5000, "webrtc-datachannel", 65535u}));
  EXPECT_EQ(m.max_message_size, 65536u);
  EXPECT_EQ(m.candidates[1].type, "srflx");
  EXPECT_EQ(m.candidates[1].related_address, "127.0.0.1");
  EXPECT_EQ(m.connections[0].address, "127.0.0.1");
  SessionDescription answer = MustParse(ReadSample("aiortc_datachannel_answer"));
  EXPECT_EQ(answer.media[0].fingerprints.size(), 2u);
  EXPECT_EQ(answer.media[0].setup, SetupRole::kActive);
}

TEST(SdpParse, FirefoxAnswerCandidates) {
  SessionDescription d = MustParse(ReadSample("firefox_datachannel_answer"));
  const MediaSection& m = d.media[0];
  ASSERT_EQ(m.candidates.size(), 3u);
  EXPECT_EQ(m.candidates[1].tcp_type, "active");
  EXPECT_EQ(m.candidates[2].related_port, 45221);
  EXPECT_TRUE(m.end_of_candidates);
  EXPECT_EQ(m.setup, SetupRole::kActive);
}

TEST(SdpParse, IceLiteSfuOffer) {
  SessionDescription d = MustParse(ReadSample("sfu_ice_lite_offer"));
  EXPECT_TRUE(d.ice_lite);
  EXPECT_EQ(d.media[0].port, 7882);
  EXPECT_EQ(d.media[0].ice_options, std::vector<std::string>{"renomination"});
  EXPECT_EQ(d.media[0].direction, Direction::kSendOnly);
  EXPECT_EQ(d.media[1].ssrc_groups[0], (SsrcGroup{"FID", {5515413u, 9051244u}}));
}

TEST(SdpParse, ToleratesWhitespaceBlankLinesAndIndentation) {
  std::string text =
      "v=0  \r\n"
      "o=- 1 2 IN IP4 0.0.0.0\t\r\n"
      "\r\n"
      "   s=-\n"
      "t=0 0\n"
      "a=group:BUNDLE 0  \n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel   \n"
      "a=mid:0\r\n"
      "a=sctp-port: 5000\r\n"
      "\n\n";
  SessionDescription d = MustParse(text);
  EXPECT_EQ(d.groups[0].mids, std::vector<std::string>{"0"});
  EXPECT_EQ(d.media[0].formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_EQ(d.media[0].sctp_port, 5000);
  // No final newline at all.
  SessionDescription e = MustParse("v=0\no=- 1 2 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=audio 0 RTP/AVP 0");
  EXPECT_TRUE(e.media[0].IsRejected());
}

TEST(SdpParse, EmptySessionNameAndLongIceOptionsRoundTrip) {
  // "s= " is RFC 8866's form for no name; the model keeps it empty and writes it back the same way.
  SessionDescription d = MustParse("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns= \r\nt=0 0\r\n");
  EXPECT_EQ(d.session_name, "");
  EXPECT_EQ(Serialize(d), "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns= \r\nt=0 0\r\n");
  // ice-options lines are merged, but never into a line the parser would refuse.
  std::string text = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
  for (int i = 0; i < 3; ++i) text += "a=ice-options:" + std::string(3000, static_cast<char>('a' + i)) + "\r\n";
  text += "a=ice-options:trickle renomination\r\n";
  SessionDescription long_options = MustParse(text);
  EXPECT_EQ(long_options.ice_options.size(), 5u);
  std::string out = Serialize(long_options);
  absl::StatusOr<SessionDescription> back = Parse(out);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, long_options);
  EXPECT_EQ(Serialize(*back), out);
}

TEST(SdpParse, UnknownAttributesKeptInOrderAtBothLevels) {
  std::string text =
      "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "a=x-session-flag\r\n"
      "a=tool:tern\r\n"
      "a=x-empty:\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
      "a=ptime:20\r\n"
      "a=mid:a\r\n"
      "a=maxptime:60\r\n"
      "a=label:1\r\n";
  SessionDescription d = MustParse(text);
  ASSERT_EQ(d.other_attributes.size(), 3u);
  EXPECT_EQ(d.other_attributes[0], (Attribute{"x-session-flag", std::nullopt}));
  EXPECT_EQ(d.other_attributes[1], (Attribute{"tool", "tern"}));
  EXPECT_EQ(d.other_attributes[2], (Attribute{"x-empty", ""}));
  ASSERT_EQ(d.media[0].other_attributes.size(), 3u);
  EXPECT_EQ(d.media[0].other_attributes[0], (Attribute{"ptime", "20"}));
  EXPECT_EQ(d.media[0].other_attributes[1], (Attribute{"maxptime", "60"}));
  EXPECT_EQ(d.media[0].other_attributes[2], (Attribute{"label", "1"}));
  std::string out = Serialize(d);
  EXPECT_NE(out.find("a=x-session-flag\r\na=tool:tern\r\na=x-empty:\r\nm=audio"), std::string::npos) << out;
  EXPECT_NE(out.find("a=mid:a\r\na=ptime:20\r\na=maxptime:60\r\na=label:1\r\n"), std::string::npos) << out;
}

TEST(SdpParse, AllSessionLineTypes) {
  std::string text =
      "v=0\r\no=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\ns=SDP Seminar\r\n"
      "i=A Seminar on the session description protocol\r\nu=http://www.example.com/seminars/sdp.pdf\r\n"
      "e=j.doe@example.com (Jane Doe)\r\np=+1 617 555-6011\r\nc=IN IP4 224.2.17.12/127\r\nb=CT:128\r\n"
      "t=2873397496 2873404696\r\nr=604800 3600 0 90000\r\nt=0 0\r\nz=2882844526 -1h 2898848070 0\r\n"
      "k=prompt\r\na=recvonly\r\n"
      "m=audio 49170 RTP/AVP 0\r\ni=audio\r\nc=IN IP4 224.2.17.12/127\r\nb=AS:64\r\nk=prompt\r\n"
      "m=video 51372/2 RTP/AVP 99\r\na=rtpmap:99 h263-1998/90000\r\n";
  SessionDescription d = MustParse(text);
  EXPECT_EQ(d.session_name, "SDP Seminar");
  EXPECT_EQ(d.info, "A Seminar on the session description protocol");
  EXPECT_EQ(d.emails.size(), 1u);
  EXPECT_EQ(d.phones[0], "+1 617 555-6011");
  EXPECT_EQ(d.connection->address, "224.2.17.12/127");
  EXPECT_EQ(d.bandwidths[0], (Bandwidth{"CT", 128}));
  ASSERT_EQ(d.timings.size(), 2u);
  EXPECT_EQ(d.timings[0].repeats, std::vector<std::string>{"604800 3600 0 90000"});
  EXPECT_EQ(d.zone, "2882844526 -1h 2898848070 0");
  EXPECT_EQ(d.direction, Direction::kRecvOnly);
  EXPECT_EQ(d.media[0].title, "audio");
  EXPECT_EQ(d.media[0].bandwidths[0], (Bandwidth{"AS", 64}));
  EXPECT_EQ(d.media[1].port_count, 2u);
  // This one is already in canonical order: Serialize gives it back byte for byte.
  EXPECT_EQ(Serialize(d), text);
}

TEST(SdpSerialize, CanonicalOrderOfABuiltModel) {
  SessionDescription d;
  d.origin.session_id = "42";
  d.origin.session_version = 3;
  d.groups.push_back(Group{"BUNDLE", {"0"}});
  d.msid_semantics.push_back(MsidSemantic{"WMS", {}});
  MediaSection m;
  m.media = "application";
  m.protocol = "UDP/DTLS/SCTP";
  m.formats = {"webrtc-datachannel"};
  m.connections.push_back(ConnectionData{});
  m.mid = "0";
  m.ice_ufrag = "abcd";
  m.ice_pwd = "0123456789abcdefghijkl";
  m.ice_options = {"trickle", "renomination"};
  m.fingerprints.push_back(Fingerprint{"sha-256", "AB:CD"});
  m.setup = SetupRole::kActPass;
  m.sctp_port = 5000;
  m.max_message_size = 262144;
  Candidate c;
  c.foundation = "1";
  c.priority = 2130706431;
  c.address = "127.0.0.1";
  c.port = 5000;
  m.candidates.push_back(c);
  m.end_of_candidates = true;
  d.media.push_back(m);
  EXPECT_EQ(Serialize(d),
            "v=0\r\n"
            "o=- 42 3 IN IP4 0.0.0.0\r\n"
            "s=-\r\n"
            "t=0 0\r\n"
            "a=group:BUNDLE 0\r\n"
            "a=msid-semantic:WMS\r\n"
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
            "c=IN IP4 0.0.0.0\r\n"
            "a=ice-ufrag:abcd\r\n"
            "a=ice-pwd:0123456789abcdefghijkl\r\n"
            "a=ice-options:trickle renomination\r\n"
            "a=fingerprint:sha-256 AB:CD\r\n"
            "a=setup:actpass\r\n"
            "a=mid:0\r\n"
            "a=sctp-port:5000\r\n"
            "a=max-message-size:262144\r\n"
            "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
            "a=end-of-candidates\r\n");
  absl::StatusOr<SessionDescription> back = Parse(Serialize(d));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, d);
}

TEST(SdpParse, RidRestrictionsAndSimulcastForms) {
  std::string text =
      "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
      "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 VP8/90000\r\n"
      "a=rid:hi send pt=96,97;max-width=1280;max-height=720\r\n"
      "a=rid:lo recv depend\r\n"
      "a=simulcast:recv 1,~2;3 send hi\r\n"
      "a=rtcp-fb:* nack\r\n";
  SessionDescription d = MustParse(text);
  const MediaSection& m = d.media[0];
  ASSERT_EQ(m.rids.size(), 2u);
  EXPECT_EQ(m.rids[0].payload_types, (std::vector<uint8_t>{96, 97}));
  EXPECT_EQ(m.rids[0].restrictions,
            (std::vector<RidRestriction>{{"max-width", "1280"}, {"max-height", "720"}}));
  EXPECT_EQ(m.rids[1].direction, RidDirection::kRecv);
  EXPECT_EQ(m.rids[1].restrictions, (std::vector<RidRestriction>{{"depend", ""}}));
  ASSERT_TRUE(m.simulcast.has_value());
  EXPECT_EQ(m.simulcast->recv.size(), 2u);
  EXPECT_EQ(m.simulcast->recv[0], (SimulcastStream{{"1", false}, {"2", true}}));
  EXPECT_EQ(m.simulcast->send[0], (SimulcastStream{{"hi", false}}));
  EXPECT_FALSE(m.rtcp_fbs[0].payload_type.has_value());
  std::string out = Serialize(d);
  EXPECT_NE(out.find("a=rid:hi send pt=96,97;max-width=1280;max-height=720\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("a=simulcast:send hi recv 1,~2;3\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("a=rtcp-fb:* nack\r\na=rtpmap:96"), std::string::npos) << out;
  // The pre-RFC draft form Firefox once sent.
  SessionDescription legacy = MustParse(
      "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
      "a=simulcast: send rid=a;b\r\n");
  EXPECT_EQ(legacy.media[0].simulcast->send.size(), 2u);
}

// --- Rejections ---------------------------------------------------------------------------------------

constexpr char kHead[] = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";  // 4 lines

void ExpectRejected(const std::string& text, const std::string& error) {
  absl::StatusOr<SessionDescription> d = Parse(text);
  EXPECT_THAT(d.status(), StatusIs(absl::StatusCode::kInvalidArgument, error)) << text;
}

TEST(SdpReject, MissingOrMisplacedRequiredLines) {
  ExpectRejected("", "no v= line");
  ExpectRejected("\r\n\r\n", "no v= line");
  ExpectRejected("o=- 1 2 IN IP4 0.0.0.0\r\nv=0\r\n", "line 1: the first line is not v=");
  ExpectRejected("v=1\r\n", "line 1: v= is not 0");
  ExpectRejected("v=0\r\ns=-\r\nt=0 0\r\n", "line 4: no o= line");
  ExpectRejected("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\nt=0 0\r\n", "no s= line");
  ExpectRejected("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\n", "no t= line");
  ExpectRejected("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n", "line 4: m= before t=");
  ExpectRejected("v=0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n", "line 4: m= before o=");
  ExpectRejected(std::string(kHead) + "v=0\r\n", "line 5: repeated v= line");
  ExpectRejected(std::string(kHead) + "o=- 1 2 IN IP4 0.0.0.0\r\n", "line 5: repeated o= line");
  ExpectRejected(std::string(kHead) + "s=x\r\n", "line 5: repeated s= line");
  ExpectRejected("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nr=1 2 3\r\n", "line 4: r= line before any t= line");
  ExpectRejected(std::string(kHead) + "m=audio 9 RTP/AVP 0\r\nt=0 0\r\n", "line 6: t= line inside a media section");
}

TEST(SdpReject, MalformedLines) {
  ExpectRejected(std::string(kHead) + "x=1\r\n", "line 5: unknown line type 'x='");
  ExpectRejected(std::string(kHead) + "A=foo\r\n", "line 5: line is not <type>=<value>");
  ExpectRejected(std::string(kHead) + "a\r\n", "line 5: line is not <type>=<value>");
  ExpectRejected(std::string(kHead) + "a=fo o\r\n", "line 5: attribute name is not a token");
  ExpectRejected(std::string(kHead) + "a=\r\n", "line 5: attribute name is not a token");
  ExpectRejected(std::string(kHead) + "a=tool:a\x01" "b\r\n", "line 5: control character");
  ExpectRejected(std::string(kHead) + std::string("a=tool:a\0b\r\n", 12), "line 5: control character");
  // A CR that Trim removes at the start of a line does not hide a NUL later on it (found by the fuzzer).
  ExpectRejected(std::string(kHead) + std::string("\ra=tool:a\0b\r\n", 13), "line 5: control character");
  ExpectRejected(std::string(kHead) + "a=tool:a\rb\r\n", "line 5: control character");
  ExpectRejected("v=0\r\no=- 1 2 IN IP4\r\ns=-\r\nt=0 0\r\n", "line 2: o= needs 6 fields");
  ExpectRejected("v=0\r\no=- x 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "line 2: o= sess-id");
  ExpectRejected("v=0\r\no=- 1 -2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "line 2: o= sess-version");
  ExpectRejected("v=0\r\no=- 1 99999999999999999999999 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "o= sess-version");
  ExpectRejected("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0\r\n", "line 4: t= needs 2 fields");
  ExpectRejected("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=now 0\r\n", "line 4: t= times are not numbers");
  ExpectRejected(std::string(kHead) + "c=IN IP4\r\n", "line 5: c= needs 3 fields");
  ExpectRejected(std::string(kHead) + "c=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n", "line 6: repeated c= line");
  ExpectRejected(std::string(kHead) + "b=AS\r\n", "line 5: b= needs");
  ExpectRejected(std::string(kHead) + "b=AS:lots\r\n", "line 5: b= bandwidth is not a number");
}

TEST(SdpReject, BadMediaLines) {
  std::string h = kHead;
  ExpectRejected(h + "m=audio 9 RTP/AVP\r\n", "line 5: m= needs");
  ExpectRejected(h + "m=audio 70000 RTP/AVP 0\r\n", "line 5: m= port 70000 is over 65535");
  ExpectRejected(h + "m=audio nine RTP/AVP 0\r\n", "line 5: m= port \"nine\" is not a number");
  ExpectRejected(h + "m=audio -1 RTP/AVP 0\r\n", "is not a number");
  ExpectRejected(h + "m=audio 9/0 RTP/AVP 0\r\n", "m= port count");
  ExpectRejected(h + "m=audio 9 UDP/TLS/RTP/SAVPF 111 opus\r\n", "line 5: m= payload type \"opus\" is not a number 0-127");
  ExpectRejected(h + "m=audio 9 UDP/TLS/RTP/SAVPF 128\r\n", "m= payload type \"128\" is not a number 0-127");
  ExpectRejected(h + "m=audio 9 UDP/TLS/RTP/SAVPF 0 0\r\n", "m= format 0 is repeated");
  ExpectRejected(h + "m=audio 9 RTP//AVP 0\r\n", "m= proto");
  std::string many = h + "m=video 9 RTP/AVP";
  for (int i = 0; i < 128; ++i) many += " " + std::to_string(i);
  EXPECT_TRUE(Parse(many + "\r\n").ok());
  std::string too_many = h + "m=application 9 UDP/DTLS/SCTP";
  for (int i = 0; i < 129; ++i) too_many += " f" + std::to_string(i);
  ExpectRejected(too_many + "\r\n", "line 5: m= line has more than 128 formats");
}

TEST(SdpReject, LimitsAgainstAbsurdInput) {
  ExpectRejected(std::string(kMaxSdpSize + 1, 'a'), "over the limit of 262144");
  ExpectRejected(std::string(kHead) + "a=tool:" + std::string(kMaxLineLength, 'x') + "\r\n",
                 "line 5: line is longer than 4096");
  std::string sections = kHead;
  for (size_t i = 0; i <= kMaxMediaSections; ++i) sections += "m=audio 0 RTP/AVP 0\r\n";
  ExpectRejected(sections, "line 261: more than 256 media sections");
  std::string attributes = std::string(kHead) + "m=audio 9 RTP/AVP 0\r\n";
  for (size_t i = 0; i <= kMaxAttributesPerLevel; ++i) attributes += "a=x\r\n";
  ExpectRejected(attributes, "more than 1024 attributes in one section");
  std::string media = std::string(kHead) + "m=video 9 RTP/AVP 96\r\na=ssrc-group:SIM";
  for (size_t i = 0; i <= kMaxListItems; ++i) media += " " + std::to_string(i + 1);
  ExpectRejected(media + "\r\n", "line 6: a=ssrc-group has too many ssrcs");
}

TEST(SdpReject, BadTypedAttributes) {
  std::string h = std::string(kHead) + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n";  // attributes start at line 6
  struct Case {
    const char* line;
    const char* error;
  } cases[] = {
      {"a=mid:0\r\na=mid:1", "line 7: repeated a=mid"},
      {"a=mid", "line 6: a=mid needs a value"},
      {"a=ice-ufrag:a\r\na=ice-ufrag:b", "line 7: repeated a=ice-ufrag"},
      {"a=ice-pwd:" , "a=ice-pwd needs a value"},
      {"a=setup:client", "line 6: a=setup is not actpass"},
      {"a=setup:active\r\na=setup:passive", "repeated a=setup"},
      {"a=sendonly\r\na=recvonly", "line 7: conflicting direction attributes"},
      {"a=sendrecv:yes", "a=sendrecv takes no value"},
      {"a=rtcp-mux:1", "a=rtcp-mux takes no value"},
      {"a=fingerprint:sha-256", "a=fingerprint needs <hash-func> <fingerprint>"},
      {"a=extmap:0 urn:x", "a=extmap id is not 1-255"},
      {"a=extmap:256 urn:x", "a=extmap id is not 1-255"},
      {"a=extmap:1/sideways urn:x", "a=extmap direction"},
      {"a=extmap:1", "a=extmap needs"},
      {"a=extmap:1 urn:x\r\na=extmap:1 urn:y", "line 7: a=extmap id 1 is repeated"},
      {"a=rtpmap:96 VP8", "a=rtpmap needs <encoding>/<clock rate>"},
      {"a=rtpmap:x VP8/90000", "a=rtpmap payload type is not a number 0-127"},
      {"a=rtpmap:96 VP8/0", "a=rtpmap clock rate is not a positive number"},
      {"a=rtpmap:96 opus/48000/0", "a=rtpmap channels is not 1-255"},
      {"a=rtpmap:96 VP8/90000\r\na=rtpmap:96 VP9/90000", "repeated a=rtpmap for payload type 96"},
      {"a=fmtp:abc x=1", "a=fmtp payload type"},
      {"a=fmtp:96 a=1\r\na=fmtp:96 b=2", "repeated a=fmtp for payload type 96"},
      {"a=rtcp-fb:96", "a=rtcp-fb needs"},
      {"a=rtcp-fb:200 nack", "a=rtcp-fb payload type is not * or a number"},
      {"a=ssrc:abc cname:x", "a=ssrc id is not a 32-bit number"},
      {"a=ssrc:4294967296 cname:x", "a=ssrc id is not a 32-bit number"},
      {"a=ssrc:1", "a=ssrc needs"},
      {"a=ssrc-group:FID 1 x", "a=ssrc-group ssrc is not a 32-bit number"},
      {"a=rid:a sideways", "a=rid direction is not send or recv"},
      {"a=rid:a.b send", "a=rid id"},
      {"a=rid:a send pt=x", "a=rid pt= value"},
      {"a=rid:a send pt=96;pt=97", "two pt="},
      {"a=rid:a send max-width=", "empty value"},
      {"a=rid:a send\r\na=rid:a send", "repeated a=rid id"},
      {"a=simulcast:send", "a=simulcast needs"},
      {"a=simulcast:send a recv b send c", "a=simulcast needs"},
      {"a=simulcast:send a send b", "repeated"},
      {"a=simulcast:both a", "a=simulcast direction"},
      {"a=simulcast:send a;;b", "a=simulcast rid"},
      {"a=simulcast:send a\r\na=simulcast:recv b", "repeated a=simulcast"},
      {"a=simulcast:send a;b;a", "line 6: a=simulcast names rid a twice"},
      {"a=simulcast:send a,a", "names rid a twice"},
      {"a=simulcast:send a recv a", "names rid a twice"},
      {"a=msid:a b c", "a=msid needs"},
      {"a=rtcp:99999", "a=rtcp port"},
      {"a=rtcp:9 IN IP4", "a=rtcp needs"},
      {"a=sctp-port:65536", "a=sctp-port is not 0-65535"},
      {"a=sctp-port:5000\r\na=sctp-port:5000", "repeated a=sctp-port"},
      {"a=max-message-size:-1", "a=max-message-size is not a 64-bit number"},
      {"a=sctpmap:5000", "a=sctpmap needs"},
      {"a=candidate:1 1 udp 1 10.0.0.1 99999 typ host", "line 6: bad ICE candidate: port is not 0-65535"},
      {"a=candidate", "a=candidate needs a value"},
      {"a=end-of-candidates:now", "takes no value"},
      {"a=ice-options:trickle x y\x7f", "control character"},
  };
  for (const Case& c : cases) {
    ExpectRejected(h + c.line + "\r\n", c.error);
  }
  ExpectRejected(std::string(kHead) + "a=group", "line 5: a=group needs");
  ExpectRejected(std::string(kHead) + "a=ice-lite:yes", "line 5: a=ice-lite takes no value");
  ExpectRejected(std::string(kHead) + "a=msid-semantic:", "a=msid-semantic needs a value");
}

TEST(SdpParse, NonRtpSectionsKeepRtpmapAsUnknown) {
  SessionDescription d = MustParse(std::string(kHead) +
                                   "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                                   "a=fmtp:webrtc-datachannel max-message-size=100000\r\n");
  EXPECT_TRUE(d.media[0].fmtps.empty());
  ASSERT_EQ(d.media[0].other_attributes.size(), 1u);
  EXPECT_EQ(d.media[0].other_attributes[0].value, "webrtc-datachannel max-message-size=100000");
}

TEST(SdpDirection, ReverseAndCombine) {
  EXPECT_EQ(Reverse(Direction::kSendOnly), Direction::kRecvOnly);
  EXPECT_EQ(Reverse(Direction::kRecvOnly), Direction::kSendOnly);
  EXPECT_EQ(Reverse(Direction::kSendRecv), Direction::kSendRecv);
  EXPECT_EQ(Reverse(Direction::kInactive), Direction::kInactive);
  EXPECT_EQ(MakeDirection(true, false), Direction::kSendOnly);
  EXPECT_EQ(ParseDirection("recvonly"), Direction::kRecvOnly);
  EXPECT_EQ(ParseDirection("RECVONLY"), std::nullopt);
  EXPECT_EQ(ParseSetupRole("holdconn"), SetupRole::kHoldConn);
  EXPECT_EQ(ToString(SetupRole::kActPass), "actpass");
}

}  // namespace
}  // namespace tern::sdp
