// ICE candidate model, priorities and the SDP candidate attribute (RFC 8445 §5.1, RFC 8839 §5.1,
// RFC 8421 §4, RFC 6544 §4).
#include "tern/ice/candidate.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tern/base/strings.h"

namespace tern::ice {

std::string_view CandidateTypeName(CandidateType type) {
  switch (type) {
    case CandidateType::kHost:
      return "host";
    case CandidateType::kServerReflexive:
      return "srflx";
    case CandidateType::kPeerReflexive:
      return "prflx";
    case CandidateType::kRelay:
      return "relay";
  }
  return "unknown";
}

std::string_view TcpTypeName(TcpType type) {
  switch (type) {
    case TcpType::kActive:
      return "active";
    case TcpType::kPassive:
      return "passive";
    case TcpType::kSimultaneousOpen:
      return "so";
    case TcpType::kNone:
      break;
  }
  return "";
}

uint32_t TypePreference(CandidateType type) {
  switch (type) {
    case CandidateType::kHost:
      return kTypePreferenceHost;
    case CandidateType::kPeerReflexive:
      return kTypePreferencePeerReflexive;
    case CandidateType::kServerReflexive:
      return kTypePreferenceServerReflexive;
    case CandidateType::kRelay:
      return kTypePreferenceRelay;
  }
  return 0;
}

uint32_t TcpLocalPreference(TcpType type, uint32_t other_preference) {
  uint32_t direction = 0;
  switch (type) {
    case TcpType::kActive:
      direction = 6;
      break;
    case TcpType::kPassive:
      direction = 4;
      break;
    case TcpType::kSimultaneousOpen:
      direction = 2;
      break;
    case TcpType::kNone:
      break;
  }
  return (direction << 13) + (other_preference & 0x1FFF);
}

std::vector<uint32_t> ComputeLocalPreferences(const std::vector<IpAddress>& addresses) {
  // Distinct addresses in caller order, split into (family, normal/deprioritized) queues.
  auto low = [](const IpAddress& ip) { return ip.IsLinkLocal() || ip.IsLoopback(); };
  std::vector<IpAddress> v6, v4, v6_low, v4_low;
  for (const IpAddress& ip : addresses) {
    auto& queue = ip.is_v6() ? (low(ip) ? v6_low : v6) : (low(ip) ? v4_low : v4);
    if (std::find(queue.begin(), queue.end(), ip) == queue.end()) queue.push_back(ip);
  }
  std::vector<IpAddress> ranked;
  auto interleave = [&ranked](const std::vector<IpAddress>& a, const std::vector<IpAddress>& b) {
    for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      if (i < a.size()) ranked.push_back(a[i]);
      if (i < b.size()) ranked.push_back(b[i]);
    }
  };
  interleave(v6, v4);
  interleave(v6_low, v4_low);
  std::vector<uint32_t> out;
  out.reserve(addresses.size());
  for (const IpAddress& ip : addresses) {
    size_t rank = std::find(ranked.begin(), ranked.end(), ip) - ranked.begin();
    int64_t pref = 65535 - 256 * static_cast<int64_t>(rank);
    out.push_back(static_cast<uint32_t>(std::max<int64_t>(pref, 256)));
  }
  return out;
}

bool Candidate::is_mdns() const {
  constexpr std::string_view kSuffix = ".local";
  if (hostname.size() <= kSuffix.size()) return false;
  std::string_view tail = std::string_view(hostname).substr(hostname.size() - kSuffix.size());
  for (size_t i = 0; i < kSuffix.size(); ++i) {
    char c = tail[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kSuffix[i]) return false;
  }
  return true;
}

bool IsIceChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

bool IsIceString(std::string_view s, size_t min_size, size_t max_size) {
  if (s.size() < min_size || s.size() > max_size) return false;
  return std::all_of(s.begin(), s.end(), IsIceChar);
}

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Decimal digits only (no sign, no spaces), at most max_digits, value <= max.
bool ParseDecimal(std::string_view s, size_t max_digits, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > max_digits) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

// RFC 8839 §5.1 token / byte-string for extension names and values: visible ASCII and UTF-8, no
// spaces or control characters.
bool IsExtensionToken(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return false;
  }
  return true;
}

// An FQDN as RFC 8839 allows it in connection-address: letters, digits, '-', '.', at most 253 chars,
// labels of 1-63 characters.
bool IsHostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || ++label > 63) return false;
  }
  return label > 0 || s.size() > 1;  // a trailing dot is fine, a lone "." is not
}

std::vector<std::string_view> SplitFields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
    if (out.size() > 128) break;  // bounded work on absurd input; caught below
  }
  return out;
}

absl::Status Invalid(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("candidate: ", ToAbsl(what)));
}

}  // namespace

absl::StatusOr<Candidate> ParseCandidate(std::string_view s) {
  if (s.size() > 4096) return Invalid("attribute longer than 4096 bytes");
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  if (s.substr(0, 2) == "a=") s.remove_prefix(2);
  constexpr std::string_view kPrefix = "candidate:";
  if (s.size() < kPrefix.size() || !EqualsIgnoreCase(s.substr(0, kPrefix.size()), kPrefix))
    return Invalid("does not start with \"candidate:\"");
  s.remove_prefix(kPrefix.size());
  for (char c : s) {
    if (c == '\0' || c == '\r' || c == '\n') return Invalid("control character inside the attribute");
  }
  std::vector<std::string_view> f = SplitFields(s);
  if (f.size() > 128) return Invalid("too many fields");
  if (f.size() < 8) return Invalid("fewer than the 8 required fields");

  Candidate c;
  if (!IsIceString(f[0], 1, 32)) return Invalid("foundation is not 1-32 ice-chars");
  c.foundation = std::string(f[0]);
  uint64_t v = 0;
  if (!ParseDecimal(f[1], 3, 256, &v) || v == 0) return Invalid("component id not in 1..256");
  c.component = static_cast<uint32_t>(v);
  if (EqualsIgnoreCase(f[2], "udp")) {
    c.protocol = TransportProtocol::kUdp;
  } else if (EqualsIgnoreCase(f[2], "tcp")) {
    c.protocol = TransportProtocol::kTcp;
  } else {
    return Invalid("transport is neither UDP nor TCP");
  }
  if (!ParseDecimal(f[3], 10, 0xFFFFFFFFull, &v) || v == 0) return Invalid("priority not in 1..2^32-1");
  c.priority = static_cast<uint32_t>(v);
  uint64_t port = 0;
  if (!ParseDecimal(f[5], 5, 65535, &port)) return Invalid("port not in 0..65535");
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(f[4]);
  if (ip.ok()) {
    c.address = SocketAddress(*ip, static_cast<uint16_t>(port));
  } else if (IsHostname(f[4]) && f[4].find_first_not_of("0123456789.") != std::string_view::npos) {
    c.hostname = std::string(f[4]);
    c.address = SocketAddress(IpAddress(), static_cast<uint16_t>(port));
  } else {
    return Invalid("connection-address is neither an IP address nor a host name");
  }
  if (f[6] != "typ") return Invalid("\"typ\" missing after the port");
  if (f[7] == "host") {
    c.type = CandidateType::kHost;
  } else if (f[7] == "srflx") {
    c.type = CandidateType::kServerReflexive;
  } else if (f[7] == "prflx") {
    c.type = CandidateType::kPeerReflexive;
  } else if (f[7] == "relay") {
    c.type = CandidateType::kRelay;
  } else {
    return Invalid("unknown candidate type");
  }

  // Optional parts: name/value pairs. raddr and rport come first in the grammar; browsers always put
  // them there, but we accept them anywhere among the extensions (each at most once).
  if ((f.size() - 8) % 2 != 0) return Invalid("an extension name without a value");
  std::optional<IpAddress> raddr;
  std::optional<uint16_t> rport;
  bool saw_tcptype = false;
  for (size_t i = 8; i + 1 < f.size(); i += 2) {
    std::string_view name = f[i], value = f[i + 1];
    if (name == "raddr") {
      if (raddr) return Invalid("raddr repeated");
      absl::StatusOr<IpAddress> r = IpAddress::Parse(value);
      // Browsers hide the related address of mDNS candidates as 0.0.0.0; an FQDN raddr is not
      // something we can use, so treat it as absent.
      if (r.ok()) {
        raddr = *r;
      } else if (IsHostname(value)) {
        raddr = IpAddress();
      } else {
        return Invalid("raddr is not an address");
      }
    } else if (name == "rport") {
      if (rport) return Invalid("rport repeated");
      if (!ParseDecimal(value, 5, 65535, &v)) return Invalid("rport not in 0..65535");
      rport = static_cast<uint16_t>(v);
    } else if (name == "tcptype") {
      if (saw_tcptype) return Invalid("tcptype repeated");
      saw_tcptype = true;
      if (value == "active") {
        c.tcp_type = TcpType::kActive;
      } else if (value == "passive") {
        c.tcp_type = TcpType::kPassive;
      } else if (value == "so") {
        c.tcp_type = TcpType::kSimultaneousOpen;
      } else {
        return Invalid("tcptype is not active, passive or so");
      }
    } else if (name == "generation") {
      if (c.generation) return Invalid("generation repeated");
      if (!ParseDecimal(value, 10, 0xFFFFFFFFull, &v)) return Invalid("generation is not a number");
      c.generation = static_cast<uint32_t>(v);
    } else if (name == "ufrag") {
      if (!c.ufrag.empty()) return Invalid("ufrag repeated");
      if (!IsIceString(value, 1, 256)) return Invalid("ufrag is not ice-chars");
      c.ufrag = std::string(value);
    } else {
      if (!IsExtensionToken(name) || !IsExtensionToken(value)) return Invalid("bad extension");
      c.extensions.emplace_back(std::string(name), std::string(value));
    }
  }
  if (raddr.has_value() != rport.has_value()) return Invalid("raddr without rport or rport without raddr");
  if (raddr && raddr->is_set()) c.related_address = SocketAddress(*raddr, *rport);
  if (c.protocol == TransportProtocol::kTcp && c.tcp_type == TcpType::kNone)
    return Invalid("TCP candidate without tcptype");
  if (c.protocol == TransportProtocol::kUdp && c.tcp_type != TcpType::kNone)
    return Invalid("tcptype on a UDP candidate");
  return c;
}

std::string SerializeCandidate(const Candidate& c) {
  std::string out = "candidate:";
  out += c.foundation;
  absl::StrAppend(&out, " ", c.component, " ", c.protocol == TransportProtocol::kTcp ? "tcp" : "udp", " ",
                  c.priority, " ");
  out += c.has_hostname() ? c.hostname : c.address.ip().ToString();
  absl::StrAppend(&out, " ", c.address.port(), " typ ", ToAbsl(CandidateTypeName(c.type)));
  if (c.related_address.is_set()) {
    absl::StrAppend(&out, " raddr ", c.related_address.ip().ToString(), " rport ", c.related_address.port());
  }
  if (c.tcp_type != TcpType::kNone) absl::StrAppend(&out, " tcptype ", ToAbsl(TcpTypeName(c.tcp_type)));
  if (c.generation) absl::StrAppend(&out, " generation ", *c.generation);
  if (!c.ufrag.empty()) absl::StrAppend(&out, " ufrag ", c.ufrag);
  for (const auto& [name, value] : c.extensions) absl::StrAppend(&out, " ", name, " ", value);
  return out;
}

size_t Rfc4571FrameSize(ByteSpan stream) {
  if (stream.size() < 2) return 0;
  size_t size = 2 + LoadBigEndian16(stream.data());
  return stream.size() >= size ? size : 0;
}

std::vector<uint8_t> Rfc4571Frame(ByteSpan payload) {
  if (payload.size() > 0xFFFF) return {};
  std::vector<uint8_t> out(2 + payload.size());
  StoreBigEndian16(out.data(), static_cast<uint16_t>(payload.size()));
  if (!payload.empty()) std::copy(payload.begin(), payload.end(), out.begin() + 2);
  return out;
}

}  // namespace tern::ice
