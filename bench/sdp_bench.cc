// Micro-benchmarks of lib/sdp on what a server does per peer connection: parse a Chrome offer
// (audio + video with simulcast + data channel, 3.6 KB, as in tests/unit/sdp/samples/), serialize it,
// both in turn, parse Chrome's data-channel-only offer, and build tern's answer to the full offer
// (BuildAnswer: codec/extension/simulcast negotiation). Every input is checked once outside the timed
// loop and the program aborts when something fails. bench/RESULTS.md has the figures and the Pion
// (pion/sdp v3) equivalent measured in the same run.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/sdp/jsep.h"
#include "tern/sdp/session_description.h"

#include "allocation_counter.h"

namespace tern::sdp {
namespace {

using ::tern::bench::AllocationCounter;

[[noreturn]] void Die(std::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "sdp_bench: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               status.ToString().c_str());
  std::abort();
}

// The samples with CRLF line ends, as browsers send them.
std::string Crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

const std::string& ChromeOffer() {
  static const std::string* text = new std::string(Crlf(R"sdp(v=0
o=- 8403615332048243445 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1 2
a=extmap-allow-mixed
a=msid-semantic: WMS 6e4c1e9b-2cf6-4d3e-9d2a-1f0f3c9e2b11
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:9VnT
a=ice-pwd:q5lIvIx1T4Ka0oQZg8nYBxw5
a=ice-options:trickle
a=fingerprint:sha-256 68:F7:00:F5:B0:2B:3D:C6:66:F4:5B:DE:AA:2C:CA:ED:CD:2B:51:57:41:0E:4D:EE:4A:F2:B3:4F:43:0A:07:34
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:6e4c1e9b-2cf6-4d3e-9d2a-1f0f3c9e2b11 0c7d2a51-5f0e-4a4b-8c39-2a6f5a7d9e01
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3735928559 cname:Yq8cRDd3V9Jp+Q2a
a=ssrc:3735928559 msid:6e4c1e9b-2cf6-4d3e-9d2a-1f0f3c9e2b11 0c7d2a51-5f0e-4a4b-8c39-2a6f5a7d9e01
m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 45 46 98 99 108 109
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:9VnT
a=ice-pwd:q5lIvIx1T4Ka0oQZg8nYBxw5
a=ice-options:trickle
a=fingerprint:sha-256 68:F7:00:F5:B0:2B:3D:C6:66:F4:5B:DE:AA:2C:CA:ED:CD:2B:51:57:41:0E:4D:EE:4A:F2:B3:4F:43:0A:07:34
a=setup:actpass
a=mid:1
a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:13 urn:3gpp:video-orientation
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
a=sendrecv
a=msid:6e4c1e9b-2cf6-4d3e-9d2a-1f0f3c9e2b11 5b1c0e2d-9a8f-4c7e-b6d5-3e2f1a0b9c87
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:102 H264/90000
a=rtcp-fb:102 goog-remb
a=rtcp-fb:102 transport-cc
a=rtcp-fb:102 ccm fir
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=rtpmap:45 AV1/90000
a=rtcp-fb:45 goog-remb
a=rtcp-fb:45 transport-cc
a=rtcp-fb:45 ccm fir
a=rtcp-fb:45 nack
a=rtcp-fb:45 nack pli
a=fmtp:45 level-idx=5;profile=0;tier=0
a=rtpmap:46 rtx/90000
a=fmtp:46 apt=45
a=rtpmap:98 VP9/90000
a=rtcp-fb:98 goog-remb
a=rtcp-fb:98 transport-cc
a=rtcp-fb:98 ccm fir
a=rtcp-fb:98 nack
a=rtcp-fb:98 nack pli
a=fmtp:98 profile-id=0
a=rtpmap:99 rtx/90000
a=fmtp:99 apt=98
a=rtpmap:108 red/90000
a=rtpmap:109 rtx/90000
a=fmtp:109 apt=108
a=rid:q send
a=rid:h send
a=rid:f send
a=simulcast:send q;h;f
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:9VnT
a=ice-pwd:q5lIvIx1T4Ka0oQZg8nYBxw5
a=ice-options:trickle
a=fingerprint:sha-256 68:F7:00:F5:B0:2B:3D:C6:66:F4:5B:DE:AA:2C:CA:ED:CD:2B:51:57:41:0E:4D:EE:4A:F2:B3:4F:43:0A:07:34
a=setup:actpass
a=mid:2
a=sctp-port:5000
a=max-message-size:262144
)sdp"));
  return *text;
}

const std::string& ChromeDataChannelOffer() {
  static const std::string* text = new std::string(Crlf(R"sdp(v=0
o=- 4215775240449105457 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=extmap-allow-mixed
a=msid-semantic: WMS
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:Cm3M
a=ice-pwd:1gvmRrNuGbnDqnzuZ8xGNaYA
a=ice-options:trickle
a=fingerprint:sha-256 7C:29:99:FD:AF:E5:93:25:3C:D6:54:AF:4D:FA:D7:14:27:A0:AE:B3:FE:E9:23:2F:8A:F2:21:1F:9E:E4:91:C5
a=setup:actpass
a=mid:0
a=sctp-port:5000
a=max-message-size:262144
)sdp"));
  return *text;
}

SessionDescription MustParse(const std::string& text) {
  absl::StatusOr<SessionDescription> d = Parse(text);
  if (!d.ok()) Die("Parse", d.status());
  return *std::move(d);
}

void BM_ParseChromeOffer(benchmark::State& state) {
  const std::string& text = ChromeOffer();
  MustParse(text);
  AllocationCounter allocations;
  for (auto _ : state) {
    absl::StatusOr<SessionDescription> d = Parse(text);
    benchmark::DoNotOptimize(d);
  }
  allocations.Report(state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseChromeOffer);

void BM_SerializeChromeOffer(benchmark::State& state) {
  const SessionDescription d = MustParse(ChromeOffer());
  AllocationCounter allocations;
  for (auto _ : state) {
    std::string text = Serialize(d);
    benchmark::DoNotOptimize(text);
  }
  allocations.Report(state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * ChromeOffer().size()));
}
BENCHMARK(BM_SerializeChromeOffer);

void BM_ParseSerializeChromeOffer(benchmark::State& state) {
  const std::string& text = ChromeOffer();
  if (MustParse(Serialize(MustParse(text))) != MustParse(text)) Die("round trip", absl::InternalError("differs"));
  AllocationCounter allocations;
  for (auto _ : state) {
    absl::StatusOr<SessionDescription> d = Parse(text);
    std::string out = Serialize(*d);
    benchmark::DoNotOptimize(out);
  }
  allocations.Report(state);
}
BENCHMARK(BM_ParseSerializeChromeOffer);

void BM_ParseChromeDataChannelOffer(benchmark::State& state) {
  const std::string& text = ChromeDataChannelOffer();
  MustParse(text);
  AllocationCounter allocations;
  for (auto _ : state) {
    absl::StatusOr<SessionDescription> d = Parse(text);
    benchmark::DoNotOptimize(d);
  }
  allocations.Report(state);
}
BENCHMARK(BM_ParseChromeDataChannelOffer);

void BM_AnswerChromeOffer(benchmark::State& state) {
  const SessionDescription offer = MustParse(ChromeOffer());
  JsepOptions options;
  options.session_id = "4242";
  options.audio_codecs = {CodecSpec{111, "opus", 48000, 2, "minptime=10;useinbandfec=1", {{"transport-cc", ""}}}};
  options.video_codecs = {CodecSpec{96, "VP8", 90000, std::nullopt, "", {{"nack", ""}, {"nack", "pli"}}},
                          CodecSpec{97, "rtx", 90000, std::nullopt, "apt=96", {}}};
  options.video_extensions = {{4, "urn:ietf:params:rtp-hdrext:sdes:mid"},
                              {10, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"}};
  TransportSpec transport;
  transport.ice_ufrag = "bnch";
  transport.ice_pwd = "benchbenchbenchbenchbe";
  transport.fingerprints = {Fingerprint{
      "sha-256", "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF"}};
  absl::StatusOr<SessionDescription> check = BuildAnswer(options, transport, offer, {}, AnswerContext{});
  if (!check.ok()) Die("BuildAnswer", check.status());
  if (check->media[1].IsRejected()) Die("BuildAnswer", absl::InternalError("video rejected"));
  AllocationCounter allocations;
  for (auto _ : state) {
    absl::StatusOr<SessionDescription> answer = BuildAnswer(options, transport, offer, {}, AnswerContext{});
    benchmark::DoNotOptimize(answer);
  }
  allocations.Report(state);
}
BENCHMARK(BM_AnswerChromeOffer);

}  // namespace
}  // namespace tern::sdp

BENCHMARK_MAIN();
