// a=candidate values (RFC 8839 §5.1, RFC 6544 §4.5, libwebrtc's extension attributes).
#include "tern/sdp/candidate.h"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sdp/text.h"
#include "tern/base/strings.h"

namespace tern::sdp {
namespace {

// RFC 8839 §5.1: ice-char = ALPHA / DIGIT / "+" / "/".
bool IsIceChars(std::string_view s) {
  for (char c : s) {
    if (!IsAlnum(c) && c != '+' && c != '/') return false;
  }
  return true;
}

absl::Status Bad(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("bad ICE candidate: ", ToAbsl(what)));
}

}  // namespace

absl::StatusOr<Candidate> ParseCandidate(std::string_view text) {
  text = Trim(text);
  if (StartsWith(text, "a=")) text.remove_prefix(2);
  if (StartsWithIgnoreCase(text, "candidate:")) text.remove_prefix(10);
  if (text.size() > kMaxCandidateLength) return Bad("longer than 1024 characters");
  Fields f = SplitWhitespace(text);
  if (f.size() < 8) return Bad("fewer than 8 fields");
  Candidate c;
  if (f[0].empty() || f[0].size() > 32 || !IsIceChars(f[0])) return Bad("foundation is not 1-32 ice-chars");
  c.foundation = std::string(f[0]);
  std::optional<uint64_t> component = ParseDecimal(f[1]);
  if (!component || *component < 1 || *component > 256) return Bad("component id is not 1-256");
  c.component = static_cast<uint32_t>(*component);
  if (!IsToken(f[2])) return Bad("transport is not a token");
  c.transport = std::string(f[2]);
  std::optional<uint64_t> priority = ParseDecimal(f[3]);
  if (!priority || *priority > 0xFFFFFFFFu) return Bad("priority is not a 32-bit number");
  c.priority = static_cast<uint32_t>(*priority);
  if (!IsAddressText(f[4])) return Bad("connection address is not an address or host name");
  c.address = std::string(f[4]);
  std::optional<uint64_t> port = ParseDecimal(f[5]);
  if (!port || *port > 65535) return Bad("port is not 0-65535");
  c.port = static_cast<uint16_t>(*port);
  if (f[6] != "typ") return Bad("\"typ\" missing after the port");
  if (!IsToken(f[7])) return Bad("candidate type is not a token");
  c.type = std::string(f[7]);
  size_t i = 8;
  while (i < f.size()) {
    std::string_view name = f[i];
    if (i + 1 >= f.size()) return Bad(absl::StrCat("extension \"", ToAbsl(name), "\" has no value"));
    std::string_view value = f[i + 1];
    i += 2;
    if (!IsToken(name)) return Bad("extension name is not a token");
    auto number = [&](std::optional<uint32_t>& out) -> absl::Status {
      if (out) return Bad(absl::StrCat("repeated ", ToAbsl(name)));
      std::optional<uint64_t> v = ParseDecimal(value);
      if (!v || *v > 0xFFFFFFFFu) return Bad(absl::StrCat(ToAbsl(name), " is not a 32-bit number"));
      out = static_cast<uint32_t>(*v);
      return absl::OkStatus();
    };
    if (name == "raddr") {
      if (c.related_address) return Bad("repeated raddr");
      if (!IsAddressText(value)) return Bad("raddr is not an address");
      c.related_address = std::string(value);
    } else if (name == "rport") {
      if (c.related_port) return Bad("repeated rport");
      std::optional<uint64_t> v = ParseDecimal(value);
      if (!v || *v > 65535) return Bad("rport is not 0-65535");
      c.related_port = static_cast<uint16_t>(*v);
    } else if (name == "tcptype") {
      if (c.tcp_type) return Bad("repeated tcptype");
      if (!IsToken(value)) return Bad("tcptype is not a token");
      c.tcp_type = std::string(value);
    } else if (name == "generation") {
      if (absl::Status s = number(c.generation); !s.ok()) return s;
    } else if (name == "network-id") {
      if (absl::Status s = number(c.network_id); !s.ok()) return s;
    } else if (name == "network-cost") {
      if (absl::Status s = number(c.network_cost); !s.ok()) return s;
    } else if (name == "ufrag") {
      if (c.ufrag) return Bad("repeated ufrag");
      c.ufrag = std::string(value);
    } else {
      if (c.extensions.size() >= 32) return Bad("more than 32 extensions");
      c.extensions.push_back({std::string(name), std::string(value)});
    }
  }
  if (c.related_address.has_value() != c.related_port.has_value()) return Bad("raddr without rport or rport without raddr");
  return c;
}

std::string FormatCandidateValue(const Candidate& c) {
  std::string out = absl::StrCat(ToAbsl(c.foundation), " ", c.component, " ", ToAbsl(c.transport), " ", c.priority,
                                 " ", ToAbsl(c.address), " ", c.port, " typ ", ToAbsl(c.type));
  if (c.related_address) absl::StrAppend(&out, " raddr ", ToAbsl(*c.related_address));
  if (c.related_port) absl::StrAppend(&out, " rport ", *c.related_port);
  if (c.tcp_type) absl::StrAppend(&out, " tcptype ", ToAbsl(*c.tcp_type));
  if (c.generation) absl::StrAppend(&out, " generation ", *c.generation);
  if (c.ufrag) absl::StrAppend(&out, " ufrag ", ToAbsl(*c.ufrag));
  if (c.network_id) absl::StrAppend(&out, " network-id ", *c.network_id);
  if (c.network_cost) absl::StrAppend(&out, " network-cost ", *c.network_cost);
  for (const CandidateExtension& e : c.extensions) absl::StrAppend(&out, " ", ToAbsl(e.name), " ", ToAbsl(e.value));
  return out;
}

std::string FormatCandidate(const Candidate& c) { return "candidate:" + FormatCandidateValue(c); }

}  // namespace tern::sdp
