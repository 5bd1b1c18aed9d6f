// Runs a real coturn (Debian `turnserver` 4.6) on 127.0.0.1 for interop tests: writes its config
// (REST `use-auth-secret` credentials, loopback relays, UDP + TCP on one port and TLS on another with
// a self-signed certificate made by `openssl req`), starts `turnserver -c FILE`, waits (bounded) until
// it accepts connections, and kills it by pid when the object goes away. Also: the TURN REST API
// credentials coturn checks, computed with BoringSSL.
#ifndef TERN_TESTS_INTEROP_COTURN_COTURN_PROCESS_H_
#define TERN_TESTS_INTEROP_COTURN_COTURN_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tern::testing {

struct CoturnOptions {
  std::string secret = "tern-interop-secret";
  std::string realm = "tern.test";
};

class CoturnProcess {
 public:
  // Returns nullptr (with *error) when coturn cannot be started within 10 s.
  static std::unique_ptr<CoturnProcess> Start(const CoturnOptions& options, std::string* error);
  ~CoturnProcess();
  CoturnProcess(const CoturnProcess&) = delete;
  CoturnProcess& operator=(const CoturnProcess&) = delete;

  uint16_t port() const { return port_; }          // UDP and TCP
  uint16_t tls_port() const { return tls_port_; }  // TLS
  uint16_t min_relay_port() const { return min_relay_port_; }
  uint16_t max_relay_port() const { return max_relay_port_; }
  pid_t pid() const { return pid_; }
  const CoturnOptions& options() const { return options_; }
  // What coturn logged so far (its stdout and stderr).
  std::string Log() const;
  bool Running();

 private:
  CoturnProcess() = default;
  void Stop();

  CoturnOptions options_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
  uint16_t min_relay_port_ = 0;
  uint16_t max_relay_port_ = 0;
};

// TURN REST API credentials (coturn `use-auth-secret`): username "<expiry>:<user>", password
// base64(HMAC-SHA1(secret, username)).
struct RestCredentials {
  std::string username;
  std::string password;
};
RestCredentials MakeRestCredentials(std::string_view secret, std::string_view user,
                                    int64_t expiry_unix_seconds);

// Runs a short command to completion (at most `limit`); returns its exit status (or -1 on timeout,
// after killing it) and appends its output to *output.
int RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds limit, std::string* output);

}  // namespace tern::testing

#endif  // TERN_TESTS_INTEROP_COTURN_COTURN_PROCESS_H_
