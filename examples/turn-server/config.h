// tern-turnserver's configuration: coturn's `turnserver.conf` format and command line (`-c FILE`,
// `--key=value`), so a coturn deployment can switch binaries without rewriting its config.
//
// File syntax (as coturn reads it): one option per line; `key=value`, `key value` or a bare `key` (a flag);
// `#` starts a comment (a whole line, or after whitespace at the end of a line); a value may be quoted with
// "..." or '...'; surrounding whitespace is ignored; an optional leading `--` on a key is accepted.
// Flags also take a value: 1/0, yes/no, true/false, on/off. Repeatable keys (listening-ip, relay-ip,
// external-ip, user, static-auth-secret, denied-peer-ip, allowed-peer-ip) add one entry per line.
//
// Errors: a key we do not know is a warning naming it (coturn has ~150 keys; an operator's file must still
// start); a bad value for a key we do know is an error (main exits with code 2).
#ifndef TERN_EXAMPLES_TURN_SERVER_CONFIG_H_
#define TERN_EXAMPLES_TURN_SERVER_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/ip_address.h"

namespace tern::turnserver {

// An inclusive address range: coturn's `a-b` ranges, a CIDR prefix, or one address.
struct PeerIpRange {
  IpAddress first;
  IpAddress last;
  // "10.0.0.1", "10.0.0.1-10.0.0.9", "10.0.0.0/8", "fe80::/10". Both ends of a range share a family and
  // first <= last.
  static absl::StatusOr<PeerIpRange> Parse(std::string_view text);
  bool Contains(const IpAddress& ip) const;
  // The smallest list of CIDR prefixes covering exactly this range (what lib/turn's PeerPolicy takes).
  std::vector<IpPrefix> ToPrefixes() const;
  std::string ToString() const;
  friend bool operator==(const PeerIpRange&, const PeerIpRange&) = default;
};

// coturn's external-ip: `PUBLIC` or `PUBLIC/PRIVATE` (the relay address PRIVATE is advertised as PUBLIC,
// for a server behind 1:1 NAT).
struct ExternalIp {
  IpAddress public_ip;
  IpAddress private_ip;  // unset: applies to every relay address of public_ip's family
  friend bool operator==(const ExternalIp&, const ExternalIp&) = default;
};

struct StaticUser {
  std::string name;
  std::string password;
  friend bool operator==(const StaticUser&, const StaticUser&) = default;
};

struct Config {
  // --- listeners ---
  uint16_t listening_port = 3478;      // UDP and TCP
  uint16_t tls_listening_port = 5349;  // TLS (needs cert and pkey)
  std::vector<IpAddress> listening_ips;  // empty: 0.0.0.0
  bool no_udp = false;
  bool no_tcp = false;
  bool no_tls = false;
  // --- relay ---
  std::vector<IpAddress> relay_ips;  // empty: the first listening IP (a wildcard listener needs relay-ip)
  std::vector<ExternalIp> external_ips;
  uint16_t min_port = 49152;
  uint16_t max_port = 65535;
  // --- STUN/TURN behaviour ---
  bool fingerprint = false;
  bool lt_cred_mech = false;
  bool use_auth_secret = false;
  std::vector<std::string> static_auth_secrets;
  std::string realm;
  std::vector<StaticUser> users;
  bool no_auth = false;
  // --- TLS ---
  std::string cert;
  std::string pkey;
  std::string cipher_list;
  std::string dh_file;  // accepted and ignored: we offer ECDHE only
  bool no_tlsv1 = false;
  bool no_tlsv1_1 = false;
  bool no_tlsv1_2 = false;
  // --- peer policy ---
  std::vector<PeerIpRange> denied_peer_ips;
  std::vector<PeerIpRange> allowed_peer_ips;
  bool no_loopback_peers = false;     // coturn's default already; kept for old configs
  bool allow_loopback_peers = false;  // coturn: opens 127/8 and ::1 as peers (tests only)
  bool no_multicast_peers = false;    // our default already (multicast is deny-listed)
  // --- quotas (0 = unlimited) ---
  uint32_t total_quota = 0;  // concurrent allocations in the whole server
  uint32_t user_quota = 0;   // concurrent allocations per username
  uint64_t max_bps = 0;      // bytes per second per allocation
  // Ours: the core's rate limit for requests without valid credentials, per source IP (token bucket).
  // `unauthenticated-rate=0` turns it off (benchmarks that open thousands of allocations from 127.0.0.1).
  double unauthenticated_rate = 50;
  double unauthenticated_burst = 100;
  // --- operations ---
  bool verbose = false;
  bool no_cli = false;  // we never have a CLI; accepted
  std::string log_file;  // empty or "stdout"/"-": stdout; "syslog" is not supported (error)
  bool simple_log = false;
  std::string pidfile;
  // Prometheus text endpoint (GET /metrics). coturn's `prometheus` flag turns it on at its default port
  // 9641; `prometheus-port` (ours and coturn's) sets the port; `prometheus-address` (ours) the address
  // (default 127.0.0.1, never 0.0.0.0 unless asked).
  bool prometheus = false;
  uint16_t prometheus_port = 9641;
  IpAddress prometheus_address = IpAddress::LoopbackV4();

  // Lines of notice produced while parsing: unknown keys, keys accepted but unused.
  std::vector<std::string> warnings;

  // The relay addresses to use: relay_ips, or the listening IPs, or 127.0.0.1 when nothing is set.
  std::vector<IpAddress> EffectiveRelayIps() const;
  // Checks the combination of options (port range, TLS files, auth).
  absl::Status Validate() const;
};

// Applies the options in `text` (a config file's contents) on top of `config`. `source` names the file in
// messages ("turnserver.conf:12: ..."). InvalidArgument for a bad value; unknown keys become warnings.
absl::Status ApplyConfigText(std::string_view text, std::string_view source, Config* config);

// Applies one option (key without leading dashes). `has_value` false means a bare flag.
absl::Status ApplyOption(std::string_view key, std::string_view value, bool has_value,
                         std::string_view where, Config* config);

// What the command line asked for.
struct CommandLine {
  std::optional<std::string> config_file;  // -c FILE / --conf-file=FILE
  bool no_config_file = false;             // -n
  bool help = false;                       // -h / --help
  bool check_only = false;                 // --check-config: parse, print, exit 0
};

// Parses argv: `-c FILE`, `-n`, `-h`, `-v`/`-V` (verbose), coturn's short options (`-p PORT`, `-L IP`,
// `-E IP`, `-X IP`, `-r REALM`, `-f`, `-a`, `-u USER:PASS`, `-l FILE`, `-q N`, `-Q N`, `-m N`), and long
// options `--key=value`, `--key value` or `--flag`. Options are applied after the config file (they
// override it), so the result is: defaults, then the file, then the command line.
absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv, CommandLine* command_line);

// A few lines describing the effective configuration (for --check-config and the start-up log).
std::string DescribeConfig(const Config& config);

}  // namespace tern::turnserver

#endif  // TERN_EXAMPLES_TURN_SERVER_CONFIG_H_
