// An ICE candidate as it appears in SDP: the value of an "a=candidate:" attribute (RFC 8839 §5.1) with
// the RFC 6544 §4.5 tcptype and the extension attributes browsers add (generation, ufrag, network-id,
// network-cost). sdp has no dependency on lib/ice: lib/pc converts this value type to ice's own.
//
//   absl::StatusOr<Candidate> c = ParseCandidate("candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host");
//   std::string line = FormatCandidate(*c);   // "candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host"
#ifndef TERN_SDP_CANDIDATE_H_
#define TERN_SDP_CANDIDATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tern::sdp {

// An extension attribute this parser has no field for ("name value"), kept in order.
struct CandidateExtension {
  std::string name;
  std::string value;
  bool operator==(const CandidateExtension&) const = default;
};

// RFC 8839 §5.1:
//   candidate-attribute = "candidate" ":" foundation SP component-id SP transport SP priority SP
//                         connection-address SP port SP cand-type [SP rel-addr] [SP rel-port]
//                         *(SP cand-extension)
struct Candidate {
  std::string foundation;  // 1-32 ice-chars
  uint32_t component = 1;  // 1-256
  std::string transport = "udp";  // as written ("udp", "UDP", "tcp"); compare with EqualsIgnoreCase
  uint32_t priority = 0;
  std::string address;  // an IPv4/IPv6 literal or a host name (mDNS "<uuid>.local")
  uint16_t port = 0;
  std::string type = "host";  // "host", "srflx", "prflx", "relay" or another token
  std::optional<std::string> related_address;  // raddr
  std::optional<uint16_t> related_port;        // rport
  std::optional<std::string> tcp_type;         // RFC 6544: "active", "passive", "so"
  std::optional<uint32_t> generation;          // libwebrtc extensions
  std::optional<std::string> ufrag;
  std::optional<uint32_t> network_id;
  std::optional<uint32_t> network_cost;
  std::vector<CandidateExtension> extensions;  // any other extension, in order

  bool operator==(const Candidate&) const = default;
};

// Parses a candidate from its attribute value. Accepts "a=candidate:...", "candidate:..." (the W3C
// RTCIceCandidate.candidate form) or the bare value after "candidate:". Leading and trailing
// whitespace (including CR/LF) is ignored. Rejects, with a message saying what is wrong: missing
// fields, a non-numeric or out-of-range component, priority or port, a bad foundation, a type other
// than a token, "raddr" without "rport" and the other way round, an extension without a value, and a
// value (after the prefixes) longer than kMaxCandidateLength.
inline constexpr size_t kMaxCandidateLength = 1024;
absl::StatusOr<Candidate> ParseCandidate(std::string_view text);

// The attribute value without the "candidate:" prefix, fields in the RFC 8839 order, then tcptype,
// generation, ufrag, network-id, network-cost and the other extensions (the order libwebrtc uses).
std::string FormatCandidateValue(const Candidate& candidate);
// "candidate:" + FormatCandidateValue(candidate): the W3C RTCIceCandidate.candidate string.
std::string FormatCandidate(const Candidate& candidate);

}  // namespace tern::sdp

#endif  // TERN_SDP_CANDIDATE_H_
