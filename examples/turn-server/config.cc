// coturn-compatible configuration parsing for tern-turnserver (see config.h).
#include "config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tern/base/strings.h"

namespace tern::turnserver {
namespace {

// absl::StrCat for arguments that include std::string_view (Debian's Abseil has its own string_view).
template <typename T>
decltype(auto) ForCat(const T& v) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return ToAbsl(v);
  } else {
    return (v);
  }
}
template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(ForCat(args)...);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Strips one pair of matching quotes.
std::string_view Unquote(std::string_view s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

absl::Status BadValue(std::string_view where, std::string_view key, std::string_view value,
                      std::string_view expected) {
  return absl::InvalidArgumentError(
      Cat(where, ": bad value for ", key, ": '", value, "' (expected ", expected, ")"));
}

absl::Status ParseBool(std::string_view where, std::string_view key, std::string_view value, bool has_value,
                       bool* out) {
  if (!has_value || value.empty()) {
    *out = true;
    return absl::OkStatus();
  }
  const std::string v = Lower(value);
  if (v == "1" || v == "yes" || v == "true" || v == "on" || v == "y") {
    *out = true;
  } else if (v == "0" || v == "no" || v == "false" || v == "off" || v == "n") {
    *out = false;
  } else {
    return BadValue(where, key, value, "1/0, yes/no, true/false or on/off");
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status ParseUnsigned(std::string_view where, std::string_view key, std::string_view value, uint64_t min,
                           uint64_t max, T* out) {
  uint64_t v = 0;
  if (value.empty() || value.front() == '-' || value.front() == '+' ||
      !absl::SimpleAtoi(ToAbsl(value), &v) || v < min || v > max) {
    return BadValue(where, key, value, Cat("an integer from ", min, " to ", max));
  }
  *out = static_cast<T>(v);
  return absl::OkStatus();
}

absl::Status ParsePort(std::string_view where, std::string_view key, std::string_view value, uint16_t* out) {
  return ParseUnsigned(where, key, value, 1, 65535, out);
}

absl::Status ParseIp(std::string_view where, std::string_view key, std::string_view value, IpAddress* out) {
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(value);
  if (!ip.ok()) return BadValue(where, key, value, "an IPv4 or IPv6 address");
  *out = *ip;
  return absl::OkStatus();
}

absl::Status NeedValue(std::string_view where, std::string_view key, bool has_value, std::string_view value) {
  if (!has_value || value.empty()) {
    return absl::InvalidArgumentError(Cat(where, ": ", key, " needs a value"));
  }
  return absl::OkStatus();
}

// Keys coturn has that change nothing for us; accepted with a note so old configs start quietly.
constexpr std::string_view kAcceptedUnused[] = {
    "no-dtls",          "dtls-listening-port",     "server-name",
    "no-rfc5780",       "no-stun-backward-compatibility", "response-origin-only-with-rfc5780",
    "no-software-attribute", "mobility",           "no-stdout-log",
    "listening-device", "relay-threads",           "cli-ip",
    "cli-port",         "cli-password",            "secure-stun",
    "check-origin-consistency", "stale-nonce",     "fingerprint-sha256",
    "sha256",           "no-multicast-peers-v6",   "allow-encoding",
    "keep-address-family", "new-log-timestamp",    "log-binding",
    "web-admin",        "no-tlsv1_3",              "ec-curve-name",
    "alt-listening-port", "alt-tls-listening-port", "aux-server",
    "udp-self-balance", "proc-user",              "proc-group",
};

}  // namespace

absl::StatusOr<PeerIpRange> PeerIpRange::Parse(std::string_view text) {
  text = Trim(text);
  PeerIpRange r;
  if (const size_t slash = text.find('/'); slash != std::string_view::npos) {
    absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(text);
    if (!prefix.ok()) return absl::InvalidArgumentError(Cat("bad CIDR prefix '", text, "'"));
    const IpAddress base = prefix->address();
    const int len = prefix->length();
    std::span<const uint8_t> b = base.bytes();
    uint8_t hi[16] = {};
    std::copy(b.begin(), b.end(), hi);
    const int bits = static_cast<int>(b.size()) * 8;
    for (int i = len; i < bits; ++i) hi[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
    r.first = base;
    r.last = base.is_v4() ? IpAddress::V4(std::span<const uint8_t, 4>(hi, 4))
                          : IpAddress::V6(std::span<const uint8_t, 16>(hi, 16));
    return r;
  }
  // A '-' separates a range; IPv6 addresses never contain one.
  if (const size_t dash = text.find('-'); dash != std::string_view::npos) {
    absl::StatusOr<IpAddress> a = IpAddress::Parse(Trim(text.substr(0, dash)));
    absl::StatusOr<IpAddress> b = IpAddress::Parse(Trim(text.substr(dash + 1)));
    if (!a.ok() || !b.ok()) return absl::InvalidArgumentError(Cat("bad address range '", text, "'"));
    if (a->family() != b->family()) {
      return absl::InvalidArgumentError(Cat("address range '", text, "' mixes IPv4 and IPv6"));
    }
    if (*b < *a) return absl::InvalidArgumentError(Cat("address range '", text, "' is reversed"));
    r.first = *a;
    r.last = *b;
    return r;
  }
  absl::StatusOr<IpAddress> a = IpAddress::Parse(text);
  if (!a.ok()) return absl::InvalidArgumentError(Cat("bad address '", text, "'"));
  r.first = r.last = *a;
  return r;
}

bool PeerIpRange::Contains(const IpAddress& ip) const {
  const IpAddress x = ip.is_v6() && first.is_v4() ? ip.Unmapped() : ip;
  if (x.family() != first.family()) return false;
  return !(x < first) && !(last < x);
}

namespace {
using U128 = unsigned __int128;

U128 ToU128(const IpAddress& ip) {
  U128 v = 0;
  for (uint8_t b : ip.bytes()) v = (v << 8) | b;
  return v;
}

IpAddress FromU128(U128 v, bool v4) {
  if (v4) return IpAddress::V4(static_cast<uint32_t>(v));
  uint8_t b[16];
  for (int i = 15; i >= 0; --i) {
    b[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
  return IpAddress::V6(std::span<const uint8_t, 16>(b, 16));
}
}  // namespace

std::vector<IpPrefix> PeerIpRange::ToPrefixes() const {
  std::vector<IpPrefix> out;
  const bool v4 = first.is_v4();
  const int bits = v4 ? 32 : 128;
  U128 lo = ToU128(first);
  const U128 hi = ToU128(last);
  while (true) {
    // The largest block aligned at `lo` that ends at or before `hi`.
    int size_log = 0;
    while (size_log < bits) {
      const int next = size_log + 1;
      const U128 mask = next == 128 ? ~U128{0} : (U128{1} << next) - 1;
      if ((lo & mask) != 0 || hi - lo < mask) break;  // not aligned, or the block passes `hi`
      size_log = next;
    }
    out.emplace_back(FromU128(lo, v4), bits - size_log);
    const U128 end = size_log == 128 ? ~U128{0} : lo + ((U128{1} << size_log) - 1);
    if (end >= hi) break;
    lo = end + 1;
  }
  return out;
}

std::string PeerIpRange::ToString() const {
  if (first == last) return first.ToString();
  return Cat(first.ToString(), "-", last.ToString());
}

std::vector<IpAddress> Config::EffectiveRelayIps() const {
  if (!relay_ips.empty()) return relay_ips;
  std::vector<IpAddress> out;
  for (const IpAddress& ip : listening_ips) {
    if (!ip.IsUnspecified()) out.push_back(ip);
  }
  if (out.empty()) out.push_back(IpAddress::LoopbackV4());
  return out;
}

absl::Status Config::Validate() const {
  if (min_port > max_port) {
    return absl::InvalidArgumentError(
        Cat("min-port (", min_port, ") is greater than max-port (", max_port, ")"));
  }
  if (use_auth_secret && static_auth_secrets.empty()) {
    return absl::InvalidArgumentError("use-auth-secret needs static-auth-secret");
  }
  if (!no_auth && !use_auth_secret && users.empty()) {
    return absl::InvalidArgumentError(
        "no credentials: set use-auth-secret with static-auth-secret, or user=name:password "
        "(or no-auth for an open relay)");
  }
  if ((use_auth_secret || !users.empty()) && realm.empty()) {
    return absl::InvalidArgumentError("realm is required with long-term or REST-API credentials");
  }
  if (cert.empty() != pkey.empty()) {
    return absl::InvalidArgumentError("cert and pkey must be set together");
  }
  for (const ExternalIp& e : external_ips) {
    if (e.private_ip.is_set() && e.private_ip.family() != e.public_ip.family()) {
      return absl::InvalidArgumentError(Cat("external-ip ", e.public_ip.ToString(), "/",
                                                     e.private_ip.ToString(), " mixes IPv4 and IPv6"));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyOption(std::string_view raw_key, std::string_view value, bool has_value,
                         std::string_view where, Config* c) {
  while (!raw_key.empty() && raw_key.front() == '-') raw_key.remove_prefix(1);
  const std::string key = Lower(raw_key);
  value = Unquote(Trim(value));
  auto flag = [&](bool* out) { return ParseBool(where, key, value, has_value, out); };
  auto need = [&]() { return NeedValue(where, key, has_value, value); };

  if (key == "listening-port" || key == "port") return ParsePort(where, key, value, &c->listening_port);
  if (key == "tls-listening-port") return ParsePort(where, key, value, &c->tls_listening_port);
  if (key == "listening-ip" || key == "relay-ip") {
    if (absl::Status s = need(); !s.ok()) return s;
    IpAddress ip;
    if (absl::Status s = ParseIp(where, key, value, &ip); !s.ok()) return s;
    (key == "listening-ip" ? c->listening_ips : c->relay_ips).push_back(ip);
    return absl::OkStatus();
  }
  if (key == "external-ip") {
    if (absl::Status s = need(); !s.ok()) return s;
    ExternalIp e;
    const size_t slash = value.find('/');
    if (absl::Status s = ParseIp(where, key, Trim(value.substr(0, slash)), &e.public_ip); !s.ok()) {
      return BadValue(where, key, value, "PUBLIC or PUBLIC/PRIVATE addresses");
    }
    if (slash != std::string_view::npos &&
        !ParseIp(where, key, Trim(value.substr(slash + 1)), &e.private_ip).ok()) {
      return BadValue(where, key, value, "PUBLIC or PUBLIC/PRIVATE addresses");
    }
    c->external_ips.push_back(e);
    return absl::OkStatus();
  }
  if (key == "min-port") return ParsePort(where, key, value, &c->min_port);
  if (key == "max-port") return ParsePort(where, key, value, &c->max_port);
  if (key == "verbose" || key == "very-verbose") return flag(&c->verbose);
  if (key == "fingerprint") return flag(&c->fingerprint);
  if (key == "lt-cred-mech") return flag(&c->lt_cred_mech);
  if (key == "use-auth-secret") return flag(&c->use_auth_secret);
  if (key == "no-auth") return flag(&c->no_auth);
  if (key == "static-auth-secret") {
    if (absl::Status s = need(); !s.ok()) return s;
    c->static_auth_secrets.emplace_back(value);
    return absl::OkStatus();
  }
  if (key == "realm") {
    if (absl::Status s = need(); !s.ok()) return s;
    c->realm = std::string(value);
    return absl::OkStatus();
  }
  if (key == "user") {
    const size_t colon = value.find(':');
    if (!has_value || colon == std::string_view::npos || colon == 0 || colon + 1 == value.size()) {
      return BadValue(where, key, value, "name:password");
    }
    std::string_view password = value.substr(colon + 1);
    if (password.size() > 2 && (password.substr(0, 2) == "0x" || password.substr(0, 2) == "0X")) {
      return BadValue(where, key, value, "name:password (coturn's name:0xKEY hashed keys are not supported)");
    }
    c->users.push_back(StaticUser{std::string(value.substr(0, colon)), std::string(password)});
    return absl::OkStatus();
  }
  if (key == "cert" || key == "pkey" || key == "cipher-list" || key == "log-file" || key == "pidfile" ||
      key == "dh-file") {
    if (absl::Status s = need(); !s.ok()) return s;
    std::string* out = key == "cert"          ? &c->cert
                       : key == "pkey"        ? &c->pkey
                       : key == "cipher-list" ? &c->cipher_list
                       : key == "log-file"    ? &c->log_file
                       : key == "pidfile"     ? &c->pidfile
                                              : &c->dh_file;
    *out = std::string(value);
    if (key == "dh-file") {
      c->warnings.push_back(Cat(where, ": dh-file is accepted but not used (only ECDHE is offered)"));
    }
    if (key == "log-file" && value == "syslog") {
      return BadValue(where, key, value, "a file path or stdout (syslog is not supported)");
    }
    return absl::OkStatus();
  }
  if (key == "no-tlsv1") return flag(&c->no_tlsv1);
  if (key == "no-tlsv1_1") return flag(&c->no_tlsv1_1);
  if (key == "no-tlsv1_2") return flag(&c->no_tlsv1_2);
  if (key == "no-cli") return flag(&c->no_cli);
  if (key == "no-udp") return flag(&c->no_udp);
  if (key == "no-tcp") return flag(&c->no_tcp);
  if (key == "no-tls") return flag(&c->no_tls);
  if (key == "denied-peer-ip" || key == "allowed-peer-ip") {
    if (absl::Status s = need(); !s.ok()) return s;
    absl::StatusOr<PeerIpRange> r = PeerIpRange::Parse(value);
    if (!r.ok()) {
      return BadValue(where, key, value, Cat("an address, a range a-b or a CIDR prefix; ",
                                                      r.status().message()));
    }
    (key == "denied-peer-ip" ? c->denied_peer_ips : c->allowed_peer_ips).push_back(*r);
    return absl::OkStatus();
  }
  if (key == "no-loopback-peers") return flag(&c->no_loopback_peers);
  if (key == "allow-loopback-peers") return flag(&c->allow_loopback_peers);
  if (key == "no-multicast-peers") return flag(&c->no_multicast_peers);
  if (key == "total-quota") return ParseUnsigned(where, key, value, 0, 100000000, &c->total_quota);
  if (key == "user-quota") return ParseUnsigned(where, key, value, 0, 100000000, &c->user_quota);
  if (key == "max-bps") return ParseUnsigned(where, key, value, 0, uint64_t{1} << 40, &c->max_bps);
  if (key == "unauthenticated-rate" || key == "unauthenticated-burst") {
    uint32_t v = 0;
    if (absl::Status s = ParseUnsigned(where, key, value, 0, 10000000, &v); !s.ok()) return s;
    (key == "unauthenticated-rate" ? c->unauthenticated_rate : c->unauthenticated_burst) = v;
    return absl::OkStatus();
  }
  if (key == "simple-log") return flag(&c->simple_log);
  if (key == "prometheus") return flag(&c->prometheus);
  if (key == "prometheus-port") {
    if (absl::Status s = ParsePort(where, key, value, &c->prometheus_port); !s.ok()) return s;
    c->prometheus = true;
    return absl::OkStatus();
  }
  if (key == "prometheus-address") {
    if (absl::Status s = need(); !s.ok()) return s;
    return ParseIp(where, key, value, &c->prometheus_address);
  }
  if (key == "syslog") {
    c->warnings.push_back(Cat(where, ": syslog is not supported; logging to log-file or stdout"));
    return absl::OkStatus();
  }
  for (std::string_view k : kAcceptedUnused) {
    if (key == k) {
      c->warnings.push_back(Cat(where, ": ", key, " is accepted but has no effect in tern-turnserver"));
      return absl::OkStatus();
    }
  }
  if (key.empty()) return absl::InvalidArgumentError(Cat(where, ": empty option name"));
  c->warnings.push_back(Cat(where, ": unknown option '", key, "' ignored"));
  return absl::OkStatus();
}

absl::Status ApplyConfigText(std::string_view text, std::string_view source, Config* config) {
  int line_number = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_number;
    if (line.find('\0') != std::string_view::npos) {
      return absl::InvalidArgumentError(Cat(source, ":", line_number, ": NUL byte in line"));
    }
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    // Split key from value: the first '=' or the first whitespace, whichever comes first.
    size_t split = 0;
    while (split < line.size() && line[split] != '=' &&
           !std::isspace(static_cast<unsigned char>(line[split]))) {
      ++split;
    }
    std::string_view key = line.substr(0, split);
    std::string_view rest = Trim(line.substr(split));
    if (!rest.empty() && rest.front() == '=') rest = Trim(rest.substr(1));
    // Trailing comment: '#' after whitespace, outside quotes.
    if (!rest.empty() && rest.front() != '"' && rest.front() != '\'') {
      for (size_t i = 1; i < rest.size(); ++i) {
        if (rest[i] == '#' && std::isspace(static_cast<unsigned char>(rest[i - 1]))) {
          rest = Trim(rest.substr(0, i));
          break;
        }
      }
    } else if (rest.size() >= 2) {
      // Quoted value: anything after the closing quote must be a comment.
      const size_t close = rest.find(rest.front(), 1);
      if (close == std::string_view::npos) {
        return absl::InvalidArgumentError(
            Cat(source, ":", line_number, ": unterminated quote in value of ", key));
      }
      std::string_view tail = Trim(rest.substr(close + 1));
      if (!tail.empty() && tail.front() != '#') {
        return absl::InvalidArgumentError(
            Cat(source, ":", line_number, ": text after the quoted value of ", key));
      }
      rest = rest.substr(0, close + 1);
    } else if (rest.size() == 1) {
      return absl::InvalidArgumentError(
          Cat(source, ":", line_number, ": unterminated quote in value of ", key));
    }
    const std::string where = Cat(source, ":", line_number);
    if (absl::Status s = ApplyOption(key, rest, !rest.empty(), where, config); !s.ok()) return s;
  }
  return absl::OkStatus();
}

namespace {

// Keys that take a value (so `--key value` consumes the next argument); everything else is a flag.
bool TakesValue(std::string_view key) {
  static constexpr std::string_view kValued[] = {
      "listening-port", "port",        "tls-listening-port", "listening-ip",    "relay-ip",
      "external-ip",    "min-port",    "max-port",           "static-auth-secret", "realm",
      "user",           "cert",        "pkey",               "cipher-list",     "dh-file",
      "denied-peer-ip", "allowed-peer-ip", "total-quota",    "user-quota",      "max-bps",
      "log-file",       "pidfile",     "prometheus-port",    "prometheus-address", "conf-file",
      "server-name",    "dtls-listening-port", "listening-device", "relay-threads", "cli-ip",
      "cli-port",       "cli-password", "stale-nonce",       "alt-listening-port", "alt-tls-listening-port",
      "aux-server",     "proc-user",   "proc-group",         "ec-curve-name", "unauthenticated-rate",
      "unauthenticated-burst"};
  for (std::string_view k : kValued) {
    if (k == key) return true;
  }
  return false;
}

// coturn's short options that we honour, with their long names.
std::string_view ShortOption(char c) {
  switch (c) {
    case 'p': return "listening-port";
    case 'L': return "listening-ip";
    case 'E': return "relay-ip";
    case 'X': return "external-ip";
    case 'r': return "realm";
    case 'f': return "fingerprint";
    case 'a': return "lt-cred-mech";
    case 'u': return "user";
    case 'l': return "log-file";
    case 'q': return "user-quota";
    case 'Q': return "total-quota";
    case 'v': return "verbose";
    case 'V': return "verbose";
    case 'm': return "relay-threads";
    default: return {};
  }
}

}  // namespace

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv, CommandLine* command_line) {
  CommandLine cl;
  struct Pending {
    std::string key;
    std::string value;
    bool has_value;
    std::string where;
  };
  std::vector<Pending> overrides;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    const std::string where = Cat("command line '", arg, "'");
    if (arg == "-h" || arg == "--help") {
      cl.help = true;
      continue;
    }
    if (arg == "-n") {
      cl.no_config_file = true;
      continue;
    }
    if (arg == "--check-config") {
      cl.check_only = true;
      continue;
    }
    if (arg == "-c" || arg == "--conf-file" || arg == "--config") {
      if (i + 1 >= argc) return absl::InvalidArgumentError(Cat(arg, " needs a file name"));
      cl.config_file = argv[++i];
      continue;
    }
    if (arg.size() > 2 && arg.substr(0, 2) == "--") {
      std::string_view body = arg.substr(2);
      const size_t eq = body.find('=');
      std::string key = Lower(body.substr(0, eq));
      if (key == "conf-file" || key == "config") {
        if (eq == std::string_view::npos) return absl::InvalidArgumentError("--conf-file needs a file name");
        cl.config_file = std::string(body.substr(eq + 1));
        continue;
      }
      if (eq != std::string_view::npos) {
        overrides.push_back({key, std::string(body.substr(eq + 1)), true, where});
      } else if (TakesValue(key)) {
        if (i + 1 >= argc) return absl::InvalidArgumentError(Cat("--", key, " needs a value"));
        overrides.push_back({key, argv[++i], true, where});
      } else {
        overrides.push_back({key, "", false, where});
      }
      continue;
    }
    if (arg.size() == 2 && arg[0] == '-') {
      std::string_view key = ShortOption(arg[1]);
      if (key.empty()) return absl::InvalidArgumentError(Cat("unknown command-line option ", arg));
      if (TakesValue(key)) {
        if (i + 1 >= argc) return absl::InvalidArgumentError(Cat(arg, " needs a value"));
        overrides.push_back({std::string(key), argv[++i], true, where});
      } else {
        overrides.push_back({std::string(key), "", false, where});
      }
      continue;
    }
    return absl::InvalidArgumentError(Cat("unexpected command-line argument '", arg, "'"));
  }

  Config config;
  if (cl.config_file.has_value() && !cl.no_config_file && !cl.help) {
    std::ifstream in(*cl.config_file, std::ios::binary);
    if (!in) return absl::NotFoundError(Cat("cannot read config file ", *cl.config_file));
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    if (text.size() > (size_t{4} << 20)) {
      return absl::InvalidArgumentError(Cat("config file ", *cl.config_file, " is larger than 4 MiB"));
    }
    if (absl::Status s = ApplyConfigText(text, *cl.config_file, &config); !s.ok()) return s;
  }
  for (const Pending& p : overrides) {
    if (absl::Status s = ApplyOption(p.key, p.value, p.has_value, p.where, &config); !s.ok()) return s;
  }
  if (command_line != nullptr) *command_line = cl;
  return config;
}

std::string DescribeConfig(const Config& c) {
  std::string out;
  auto ips = [](const std::vector<IpAddress>& v) {
    std::string s;
    for (const IpAddress& ip : v) absl::StrAppend(&s, s.empty() ? "" : ",", ip.ToString());
    return s.empty() ? std::string("(none)") : s;
  };
  absl::StrAppend(&out, "listening: ", ips(c.listening_ips), " port ", c.listening_port,
                  c.no_udp ? " (no udp)" : "", c.no_tcp ? " (no tcp)" : "");
  if (!c.cert.empty() && !c.no_tls) absl::StrAppend(&out, ", tls port ", c.tls_listening_port);
  absl::StrAppend(&out, "\nrelay: ", ips(c.EffectiveRelayIps()), " ports ", c.min_port, "-", c.max_port);
  for (const ExternalIp& e : c.external_ips) {
    absl::StrAppend(&out, "\nexternal-ip: ", e.public_ip.ToString(),
                    e.private_ip.is_set() ? Cat("/", e.private_ip.ToString()) : "");
  }
  absl::StrAppend(&out, "\nauth: ",
                  c.use_auth_secret ? Cat("REST secret (", c.static_auth_secrets.size(), ")")
                  : c.no_auth       ? std::string("none")
                                    : Cat("long-term, ", c.users.size(), " user(s)"),
                  ", realm '", c.realm, "'", c.fingerprint ? ", fingerprint" : "");
  absl::StrAppend(&out, "\npeers: ", c.allowed_peer_ips.size(), " allowed range(s), ", c.denied_peer_ips.size(),
                  " denied range(s)", c.allow_loopback_peers ? ", loopback allowed" : "");
  absl::StrAppend(&out, "\nquotas: total ", c.total_quota, ", per user ", c.user_quota);
  if (c.prometheus) {
    absl::StrAppend(&out, "\nmetrics: http://", SocketAddress(c.prometheus_address, c.prometheus_port).ToString(),
                    "/metrics");
  }
  return out;
}

}  // namespace tern::turnserver
