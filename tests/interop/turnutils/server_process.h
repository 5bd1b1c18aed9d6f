// Processes for tern-turnserver's system tests, all on 127.0.0.1: tern-turnserver itself (config written
// here, free ports picked here, started with `-c FILE`, ready once its /metrics endpoint answers, stopped
// by pid), coturn's `turnutils_peer` echo peer, a self-signed certificate for TLS, and a tiny HTTP client
// for the Prometheus endpoint.
#ifndef TERN_TESTS_INTEROP_TURNUTILS_SERVER_PROCESS_H_
#define TERN_TESTS_INTEROP_TURNUTILS_SERVER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tern::testing {

// A port free for both UDP and TCP on 127.0.0.1 right now.
uint16_t PickFreePort();

// Writes a fresh self-signed P-256 certificate and key (CN=localhost, SAN IP:127.0.0.1) as PEM files.
bool WriteSelfSignedCertificate(const std::filesystem::path& cert, const std::filesystem::path& key);

struct TernServerOptions {
  std::string secret = "tern-turnutils-secret";
  std::string realm = "tern.test";
  bool tls = false;
  // Extra config lines (policy, quotas), appended verbatim.
  std::vector<std::string> extra_lines;
};

class TernTurnServerProcess {
 public:
  // nullptr (with *error) when it does not answer within 10 s.
  static std::unique_ptr<TernTurnServerProcess> Start(const TernServerOptions& options, std::string* error);
  ~TernTurnServerProcess();
  TernTurnServerProcess(const TernTurnServerProcess&) = delete;
  TernTurnServerProcess& operator=(const TernTurnServerProcess&) = delete;

  uint16_t port() const { return port_; }
  uint16_t tls_port() const { return tls_port_; }
  uint16_t metrics_port() const { return metrics_port_; }
  uint16_t min_relay_port() const { return min_relay_port_; }
  uint16_t max_relay_port() const { return max_relay_port_; }
  pid_t pid() const { return pid_; }
  const TernServerOptions& options() const { return options_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::string Log() const;
  bool Running();
  // GET /metrics; empty on failure.
  std::string ScrapeMetrics() const;
  // Sends `signal` and waits (bounded) for the process to exit; returns its exit status or -1.
  int StopWith(int signal);

 private:
  TernTurnServerProcess() = default;

  TernServerOptions options_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
  uint16_t metrics_port_ = 0;
  uint16_t min_relay_port_ = 0;
  uint16_t max_relay_port_ = 0;
};

// turnutils_peer -L 127.0.0.1 -p PORT (an echo peer), killed by pid.
class TurnutilsPeer {
 public:
  static std::unique_ptr<TurnutilsPeer> Start(std::string* error);
  ~TurnutilsPeer();
  uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// Starts `argv` with stdout+stderr to `log_path`; the pid, or -1.
pid_t SpawnProcess(const std::vector<std::string>& argv, const std::string& log_path);

// Blocking HTTP/1.1 GET of `path` on 127.0.0.1:port (5 s limit); the body of a 200 answer, or nullopt.
std::optional<std::string> HttpGet(uint16_t port, const std::string& path, int* status_code = nullptr);

// Prometheus text -> {"name{labels}": value}.
std::map<std::string, double> ParseMetrics(const std::string& text);

}  // namespace tern::testing

#endif  // TERN_TESTS_INTEROP_TURNUTILS_SERVER_PROCESS_H_
