// ICE candidates: the model, priorities (RFC 8445 §5.1.2, RFC 8421 §4 for multihomed/dual-stack local
// preference, RFC 6544 §4.2 for TCP), pair priority (RFC 8445 §6.1.2.3), and the SDP "candidate"
// attribute (RFC 8839 §5.1, RFC 6544 §4.5 tcptype) with the browser extensions kept as name/value pairs.
#ifndef TERN_ICE_CANDIDATE_H_
#define TERN_ICE_CANDIDATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tern/base/datagram.h"
#include "tern/base/ip_address.h"

namespace tern::ice {

enum class CandidateType : uint8_t { kHost, kServerReflexive, kPeerReflexive, kRelay };
// "host", "srflx", "prflx", "relay" (the SDP cand-type tokens).
std::string_view CandidateTypeName(CandidateType type);

// RFC 6544 §4.5: the direction of a TCP candidate; kNone for UDP.
enum class TcpType : uint8_t { kNone, kActive, kPassive, kSimultaneousOpen };
std::string_view TcpTypeName(TcpType type);  // "active", "passive", "so", "" for kNone

// RFC 8445 §5.1.2.2 recommended type preferences.
inline constexpr uint32_t kTypePreferenceHost = 126;
inline constexpr uint32_t kTypePreferencePeerReflexive = 110;
inline constexpr uint32_t kTypePreferenceServerReflexive = 100;
inline constexpr uint32_t kTypePreferenceRelay = 0;
uint32_t TypePreference(CandidateType type);

// The component of a WebRTC transport (RTP and RTCP are multiplexed, RFC 8843 BUNDLE).
inline constexpr uint32_t kRtpComponent = 1;

// RFC 8445 §5.1.2.1: (2^24) * type preference + (2^8) * local preference + (256 - component id).
// `component` must be 1..256.
constexpr uint32_t ComputeCandidatePriority(uint32_t type_preference, uint32_t local_preference,
                                            uint32_t component) {
  return (type_preference << 24) + ((local_preference & 0xFFFF) << 8) + (256 - component);
}
inline uint32_t ComputeCandidatePriority(CandidateType type, uint32_t local_preference,
                                         uint32_t component = kRtpComponent) {
  return ComputeCandidatePriority(TypePreference(type), local_preference, component);
}

// RFC 8445 §6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0), G the controlling agent's candidate
// priority and D the controlled agent's.
constexpr uint64_t ComputePairPriority(uint32_t controlling, uint32_t controlled) {
  uint64_t g = controlling, d = controlled;
  return ((g < d ? g : d) << 32) + 2 * (g > d ? g : d) + (g > d ? 1 : 0);
}

// RFC 6544 §4.2: local preference of a TCP candidate = 2^13 * direction-pref + other-pref, with the
// direction preferences for hosts not behind a NAT (active 6, passive 4, so 2). other_pref < 2^13.
uint32_t TcpLocalPreference(TcpType type, uint32_t other_preference);

// Local preferences of the host addresses an agent is given, RFC 8421 §4: addresses are ranked so that
// IPv6 and IPv4 alternate (v6 first), each family keeping the caller's order, with link-local and
// loopback addresses after all others. The address ranked r (from 0) gets 65535 - 256 * r (at least
// 256). Returns one preference per input address, in input order; duplicates share a preference.
std::vector<uint32_t> ComputeLocalPreferences(const std::vector<IpAddress>& addresses);

// One ICE candidate (RFC 8445 §5.1, RFC 8839 §5.1).
struct Candidate {
  std::string foundation;                                // 1-32 ice-chars
  uint32_t component = kRtpComponent;                    // 1..256
  TransportProtocol protocol = TransportProtocol::kUdp;  // kUdp or kTcp
  uint32_t priority = 0;  // 1..2^31-1 on the wire; computed by the agent for local ones
  // The transport address. When the candidate names a host instead of an IP (an mDNS "<uuid>.local"
  // name, RFC 8839 §5.1 FQDN), `hostname` is set and `address` has an unset IP but carries the port.
  SocketAddress address;
  std::string hostname;
  CandidateType type = CandidateType::kHost;
  SocketAddress related_address;  // raddr/rport; unset when absent
  TcpType tcp_type = TcpType::kNone;
  // Extensions the browsers add (RFC 8839 §5.1 cand-extension). Known ones parsed, the rest kept.
  std::optional<uint32_t> generation;
  std::string ufrag;
  std::vector<std::pair<std::string, std::string>> extensions;  // other name/value pairs, in order

  bool has_hostname() const { return !hostname.empty(); }
  bool is_mdns() const;  // the hostname ends in ".local"

  friend bool operator==(const Candidate&, const Candidate&) = default;
};

// Parses the value of an SDP candidate attribute: "candidate:<foundation> <component> <transport>
// <priority> <address> <port> typ <type> [raddr <a>] [rport <p>] *(<name> <value>)". A leading "a="
// and trailing CR/LF/spaces are tolerated, as are runs of spaces. Strict on the required fields
// (ranges, characters, "typ"); transport must be UDP or TCP (case-insensitive), a TCP candidate needs a
// tcptype; unknown extensions are kept. Never crashes; errors name the bad field.
absl::StatusOr<Candidate> ParseCandidate(std::string_view attribute);

// "candidate:…" (without "a="), fields in RFC 8839 order, then tcptype, generation, ufrag and the
// kept extensions. ParseCandidate(SerializeCandidate(c)) == c for every candidate it accepts.
std::string SerializeCandidate(const Candidate& candidate);

// RFC 8445 §5.3 ice-char: ALPHA / DIGIT / "+" / "/".
bool IsIceChar(char c);
bool IsIceString(std::string_view s, size_t min_size, size_t max_size);

// RFC 6544 framing of STUN (and media) over TCP: RFC 4571 §2, a 16-bit length before each message.
// Returns the size of the first complete frame (2 + length) at the start of `stream`, or 0 when the
// stream does not yet hold a whole frame.
size_t Rfc4571FrameSize(ByteSpan stream);
// Prepends the length; the payload must be at most 65535 bytes (longer is truncated to empty and
// returns an empty vector).
std::vector<uint8_t> Rfc4571Frame(ByteSpan payload);

}  // namespace tern::ice

#endif  // TERN_ICE_CANDIDATE_H_
