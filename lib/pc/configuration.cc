// Configuration and ICE server URL parsing (RFC 7064 §3.1, RFC 7065 §3.1).
#include "tern/configuration.h"

#include <charconv>
#include <string>

#include "absl/strings/str_cat.h"

namespace tern {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// RFC 3986 reg-name characters we accept in a host (unreserved, minus percent-encoding).
bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::optional<IpAddress> IceServerUrl::ip() const {
  absl::StatusOr<IpAddress> parsed = IpAddress::Parse(host);
  if (!parsed.ok()) return std::nullopt;
  return *parsed;
}

absl::StatusOr<IceServerUrl> IceServerUrl::Parse(std::string_view url) {
  auto error = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("ICE server URL \"", std::string(url.substr(0, 200)),
                                                   "\": ", std::string(why)));
  };
  if (url.size() > 1024) return error("longer than 1024 characters");
  IceServerUrl out;
  size_t colon = url.find(':');
  if (colon == std::string_view::npos) return error("no scheme (expected stun:, stuns:, turn: or turns:)");
  std::string scheme;
  for (char c : url.substr(0, colon)) scheme.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  if (scheme == "stun") {
    out.scheme = Scheme::kStun;
    out.port = 3478;
  } else if (scheme == "stuns") {
    out.scheme = Scheme::kStuns;
    out.port = 5349;
    out.transport = Transport::kTcp;
  } else if (scheme == "turn") {
    out.scheme = Scheme::kTurn;
    out.port = 3478;
  } else if (scheme == "turns") {
    out.scheme = Scheme::kTurns;
    out.port = 5349;
    out.transport = Transport::kTcp;
  } else {
    return error(absl::StrCat("unknown scheme \"", scheme, "\" (expected stun, stuns, turn or turns)"));
  }
  std::string_view rest = url.substr(colon + 1);
  if (StartsWith(rest, "//")) return error("\"//\" after the scheme is not allowed (RFC 7064 §3.1)");
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view host;
  std::string_view port_text;
  if (StartsWith(rest, "[")) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return error("unterminated \"[\" in the host");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return error("unexpected characters after \"]\"");
      port_text = after.substr(1);
      if (port_text.empty()) return error("empty port");
    }
    absl::StatusOr<IpAddress> v6 = IpAddress::Parse(host);
    if (!v6.ok() || !v6->is_v6()) return error("the bracketed host is not an IPv6 address");
  } else {
    size_t c = rest.find(':');
    host = rest.substr(0, c);
    if (c != std::string_view::npos) {
      port_text = rest.substr(c + 1);
      if (port_text.empty()) return error("empty port");
    }
    for (char ch : host) {
      if (!IsHostChar(ch)) return error(absl::StrCat("invalid character '", std::string(1, ch), "' in the host"));
    }
  }
  if (host.empty()) return error("empty host");
  out.host = std::string(host);
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 || value > 65535) {
      return error(absl::StrCat("bad port \"", std::string(port_text), "\" (1-65535)"));
    }
    out.port = static_cast<uint16_t>(value);
  }
  if (!query.empty()) {
    if (!out.is_turn()) return error("a query is only allowed on turn: and turns: URLs (RFC 7065 §3.1)");
    if (!StartsWith(query, "transport=")) {
      return error(absl::StrCat("unknown query \"", std::string(query), "\" (only transport=udp|tcp)"));
    }
    std::string_view t = query.substr(10);
    if (t == "udp" || t == "UDP") {
      out.transport = Transport::kUdp;
    } else if (t == "tcp" || t == "TCP") {
      out.transport = Transport::kTcp;
    } else {
      return error(absl::StrCat("unknown transport \"", std::string(t), "\" (udp or tcp)"));
    }
  }
  return out;
}

std::string IceServerUrl::ToString() const {
  const char* scheme_name = scheme == Scheme::kStun    ? "stun"
                                 : scheme == Scheme::kStuns ? "stuns"
                                 : scheme == Scheme::kTurn  ? "turn"
                                                            : "turns";
  bool v6 = host.find(':') != std::string::npos;
  std::string out = absl::StrCat(scheme_name, ":", v6 ? "[" : "", host, v6 ? "]" : "", ":", port);
  if (is_turn()) absl::StrAppend(&out, "?transport=", transport == Transport::kUdp ? "udp" : "tcp");
  return out;
}

absl::Status Configuration::Validate() const {
  bool any_turn = false;
  for (size_t i = 0; i < ice_servers.size(); ++i) {
    const IceServer& server = ice_servers[i];
    if (server.urls.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("ice_servers[", i, "] has no urls"));
    }
    for (const std::string& url : server.urls) {
      absl::StatusOr<IceServerUrl> parsed = IceServerUrl::Parse(url);
      if (!parsed.ok()) return parsed.status();
      if (parsed->is_turn()) {
        any_turn = true;
        if (server.username.empty() || server.credential.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("ice_servers[", i, "]: ", url, " needs a username and a credential"));
        }
        if (server.username.size() > 509 || server.credential.size() > 763) {
          return absl::InvalidArgumentError(absl::StrCat("ice_servers[", i, "]: username or credential too long"));
        }
      }
    }
  }
  if (ice_transport_policy == IceTransportPolicy::kRelay && !any_turn) {
    return absl::InvalidArgumentError("ice_transport_policy is relay but no turn:/turns: server is configured");
  }
  if ((port_range_min == 0) != (port_range_max == 0) || port_range_min > port_range_max) {
    return absl::InvalidArgumentError(absl::StrCat("bad port range ", port_range_min, "-", port_range_max,
                                                   " (both 0, or 1 <= min <= max)"));
  }
  for (const IpAddress& ip : bind_addresses) {
    if (!ip.is_set() || ip.IsUnspecified()) {
      return absl::InvalidArgumentError(
          "bind_addresses must name concrete addresses (leave the list empty for every interface)");
    }
  }
  if (max_message_size == 0) return absl::InvalidArgumentError("max_message_size must be > 0");
  if (sctp_port == 0) return absl::InvalidArgumentError("sctp_port must be > 0");
  if (sctp_max_streams == 0) return absl::InvalidArgumentError("sctp_max_streams must be > 0");
  if (ice_lite && ice_transport_policy == IceTransportPolicy::kRelay) {
    return absl::InvalidArgumentError("an ICE-lite agent cannot use relay-only policy");
  }
  if (certificate.has_value() && certificate->empty()) {
    return absl::InvalidArgumentError("certificate is set but empty");
  }
  return absl::OkStatus();
}

}  // namespace tern
