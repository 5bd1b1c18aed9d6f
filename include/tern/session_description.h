// The signalling values an application carries between peers, shaped like the W3C
// RTCSessionDescriptionInit and RTCIceCandidateInit: the SDP text (RFC 8866) with its JSEP type
// (RFC 8829 §4.1.8), and one trickled candidate (RFC 8838 §4, RFC 8839 §5.1).
#ifndef TERN_SESSION_DESCRIPTION_H_
#define TERN_SESSION_DESCRIPTION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tern {

enum class SdpType : uint8_t { kOffer, kPrAnswer, kAnswer, kRollback };

// "offer", "pranswer", "answer", "rollback" (the W3C RTCSdpType strings).
std::string_view SdpTypeName(SdpType type);
absl::StatusOr<SdpType> ParseSdpType(std::string_view name);

struct SessionDescription {
  SdpType type = SdpType::kOffer;
  std::string sdp;  // empty for a rollback
};

// A trickled candidate. `candidate` is the attribute without "a=" ("candidate:1 1 udp ..."); an empty
// `candidate` is the end-of-candidates indication (RFC 8838 §8.2).
struct IceCandidate {
  std::string candidate;
  std::string sdp_mid;
  int sdp_mline_index = 0;

  bool is_end_of_candidates() const { return candidate.empty(); }
};

}  // namespace tern

#endif  // TERN_SESSION_DESCRIPTION_H_
