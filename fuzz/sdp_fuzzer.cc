// libFuzzer harness for lib/sdp: the RFC 8866 parser and serializer, the RFC 8839 candidate parser and
// JSEP answering (RFC 8829). An input is one session description as text. Invariants:
//  - Parse never crashes; when it accepts x, Serialize(Parse(x)) parses to an equal model, and
//    serializing that model gives the same text again (a fixed point);
//  - every candidate of the model formats and parses back to itself, and the input's first line
//    parsed as a bare candidate does the same when accepted;
//  - when the model is a valid offer, tern's answer to it (BuildAnswer) is a valid answer that matches
//    the offer, survives a text round trip, negotiates (Negotiate), and JsepSession accepts the
//    offer/answer pair in have-remote-offer -> stable; its next offer (renegotiation) is valid, keeps
//    every mid in place, survives a text round trip, applies, and rolls back.
// Any broken invariant traps (fuzz_check.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "tern/sdp/candidate.h"
#include "tern/sdp/jsep.h"
#include "tern/sdp/session_description.h"

namespace tern::sdp {
namespace {

constexpr char kFingerprint[] =
    "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF";

JsepOptions Options() {
  JsepOptions o;
  o.session_id = "4242";
  o.audio_codecs = {CodecSpec{111, "opus", 48000, 2, "minptime=10;useinbandfec=1", {{"transport-cc", ""}}},
                    CodecSpec{0, "PCMU", 8000, std::nullopt, "", {}}};
  o.video_codecs = {CodecSpec{96, "VP8", 90000, std::nullopt, "", {{"nack", ""}, {"nack", "pli"}}},
                    CodecSpec{97, "rtx", 90000, std::nullopt, "apt=96", {}},
                    CodecSpec{102, "H264", 90000, std::nullopt, "packetization-mode=1;profile-level-id=42e01f", {}},
                    CodecSpec{103, "rtx", 90000, std::nullopt, "apt=102", {}}};
  o.video_extensions = {{4, "urn:ietf:params:rtp-hdrext:sdes:mid"},
                        {10, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"}};
  return o;
}

TransportSpec Transport() {
  TransportSpec t;
  t.ice_ufrag = "fuzz";
  t.ice_pwd = "fuzzfuzzfuzzfuzzfuzzfu";
  t.fingerprints = {Fingerprint{"sha-256", kFingerprint}};
  return t;
}

void CheckCandidate(const Candidate& c) {
  absl::StatusOr<Candidate> again = ParseCandidate(FormatCandidate(c));
  TERN_FUZZ_CHECK_OK(again.status());
  TERN_FUZZ_CHECK(*again == c);
  absl::StatusOr<Candidate> bare = ParseCandidate(FormatCandidateValue(c));
  TERN_FUZZ_CHECK_OK(bare.status());
  TERN_FUZZ_CHECK(*bare == c);
}

void CheckAnswer(const SessionDescription& offer) {
  if (!ValidateDescription(offer, SdpType::kOffer).ok()) return;
  JsepOptions options = Options();
  absl::StatusOr<SessionDescription> answer = BuildAnswer(options, Transport(), offer, {}, AnswerContext{});
  if (!answer.ok()) {
    // A valid offer is refused only for a=setup:holdconn on a bundle-only tag section (the sections
    // ValidateDescription checks cannot have it).
    TERN_FUZZ_CHECK(std::string_view(answer.status().message().data(), answer.status().message().size())
                        .find("holdconn") != std::string_view::npos);
    return;
  }
  TERN_FUZZ_CHECK_OK(ValidateDescription(*answer, SdpType::kAnswer));
  TERN_FUZZ_CHECK_OK(ValidateAnswerMatchesOffer(offer, *answer));
  absl::StatusOr<SessionDescription> wire = Parse(Serialize(*answer));
  TERN_FUZZ_CHECK_OK(wire.status());
  TERN_FUZZ_CHECK(*wire == *answer);
  absl::StatusOr<NegotiatedSession> n = Negotiate(offer, *answer, /*local_is_offerer=*/false);
  TERN_FUZZ_CHECK_OK(n.status());
  TERN_FUZZ_CHECK(n->media.size() == offer.media.size());
  TERN_FUZZ_CHECK(n->local_setup == SetupRole::kActive || n->local_setup == SetupRole::kPassive);

  JsepSession session(options, Transport());
  TERN_FUZZ_CHECK_OK(session.SetRemoteDescription(SdpType::kOffer, offer));
  TERN_FUZZ_CHECK(session.signaling_state() == SignalingState::kHaveRemoteOffer);
  absl::StatusOr<SessionDescription> created = session.CreateAnswer();
  TERN_FUZZ_CHECK_OK(created.status());
  TERN_FUZZ_CHECK_OK(session.SetLocalDescription(SdpType::kAnswer, *created));
  TERN_FUZZ_CHECK(session.signaling_state() == SignalingState::kStable);
  TERN_FUZZ_CHECK(session.negotiated().has_value());

  // Renegotiation from the answerer's side: a valid offer that keeps every mid in place.
  absl::StatusOr<SessionDescription> reoffer = session.CreateOffer();
  TERN_FUZZ_CHECK_OK(reoffer.status());
  TERN_FUZZ_CHECK_OK(ValidateDescription(*reoffer, SdpType::kOffer));
  TERN_FUZZ_CHECK(reoffer->media.size() == offer.media.size());
  for (size_t i = 0; i < offer.media.size(); ++i) TERN_FUZZ_CHECK(reoffer->media[i].mid == offer.media[i].mid);
  absl::StatusOr<SessionDescription> reoffer_wire = Parse(Serialize(*reoffer));
  TERN_FUZZ_CHECK_OK(reoffer_wire.status());
  TERN_FUZZ_CHECK(*reoffer_wire == *reoffer);
  TERN_FUZZ_CHECK_OK(session.SetLocalDescription(SdpType::kOffer, *reoffer));
  TERN_FUZZ_CHECK_OK(session.Rollback());
  TERN_FUZZ_CHECK(session.signaling_state() == SignalingState::kStable);
}

void TestOneInput(std::string_view text) {
  size_t eol = text.find('\n');
  absl::StatusOr<Candidate> candidate = ParseCandidate(text.substr(0, eol == std::string_view::npos ? text.size() : eol));
  if (candidate.ok()) CheckCandidate(*candidate);

  absl::StatusOr<SessionDescription> parsed = Parse(text);
  if (!parsed.ok()) {
    TERN_FUZZ_CHECK(!parsed.status().message().empty());
    return;
  }
  std::string once = Serialize(*parsed);
  absl::StatusOr<SessionDescription> again = Parse(once);
  TERN_FUZZ_CHECK_OK(again.status());
  TERN_FUZZ_CHECK(*again == *parsed);
  TERN_FUZZ_CHECK(Serialize(*again) == once);
  for (const MediaSection& m : parsed->media) {
    for (const Candidate& c : m.candidates) CheckCandidate(c);
  }
  (void)ValidateDescription(*parsed, SdpType::kAnswer);
  CheckAnswer(*parsed);
}

}  // namespace
}  // namespace tern::sdp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::sdp::TestOneInput(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
