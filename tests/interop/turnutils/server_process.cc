// Process helpers for tern-turnserver's system tests (see server_process.h).
#include "server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#ifndef TERN_TURNSERVER_BINARY
#error "TERN_TURNSERVER_BINARY must name the tern-turnserver executable"
#endif

namespace tern::testing {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

bool CanBind(int type, uint16_t port) {
  const int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a = Loopback(port);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

uint16_t PickFreePort() {
  static std::mt19937 rng(static_cast<unsigned>(getpid()) ^
                          static_cast<unsigned>(Clock::now().time_since_epoch().count()));
  for (int attempt = 0; attempt < 1000; ++attempt) {
    // Below the kernel's ephemeral range (32768-60999) so that client sockets never take them.
    const uint16_t port = static_cast<uint16_t>(28000 + rng() % 4700);
    if (CanBind(SOCK_DGRAM, port) && CanBind(SOCK_STREAM, port)) return port;
  }
  return 0;
}

bool WriteSelfSignedCertificate(const std::filesystem::path& cert_path, const std::filesystem::path& key_path) {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (!ec || EC_KEY_generate_key(ec.get()) != 1) return false;
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  EVP_PKEY_assign_EC_KEY(key.get(), ec.release());
  bssl::UniquePtr<X509> cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(getpid()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const uint8_t*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_nconf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  if (san == nullptr) return false;
  X509_add_ext(cert.get(), san, -1);
  X509_EXTENSION_free(san);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return false;
  FILE* c = fopen(cert_path.c_str(), "w");
  FILE* k = fopen(key_path.c_str(), "w");
  bool ok = c != nullptr && k != nullptr && PEM_write_X509(c, cert.get()) == 1 &&
            PEM_write_PrivateKey(k, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (c != nullptr) fclose(c);
  if (k != nullptr) fclose(k);
  return ok;
}

pid_t SpawnProcess(const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

std::optional<std::string> HttpGet(uint16_t port, const std::string& path, int* status_code) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in a = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return std::nullopt;
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return std::nullopt;
  }
  std::string response;
  char buf[16384];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) response.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t header_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 ", 0) != 0 || header_end == std::string::npos) return std::nullopt;
  const int code = std::atoi(response.c_str() + 9);
  if (status_code != nullptr) *status_code = code;
  if (code != 200) return std::nullopt;
  return response.substr(header_end + 4);
}

std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

std::unique_ptr<TernTurnServerProcess> TernTurnServerProcess::Start(const TernServerOptions& options,
                                                                    std::string* error) {
  std::unique_ptr<TernTurnServerProcess> p(new TernTurnServerProcess());
  p->options_ = options;
  char tmpl[] = "/tmp/tern-turnserver-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    *error = "mkdtemp failed";
    return nullptr;
  }
  p->dir_ = tmpl;
  p->port_ = PickFreePort();
  p->tls_port_ = PickFreePort();
  p->metrics_port_ = PickFreePort();
  // A relay range of 200 ports, all free now, below the ephemeral range and the ports above.
  static std::mt19937 rng(static_cast<unsigned>(getpid()) * 7919u);
  for (int attempt = 0; attempt < 100 && p->min_relay_port_ == 0; ++attempt) {
    const uint16_t base = static_cast<uint16_t>(10000 + rng() % 17800);
    bool free = true;
    for (uint16_t q = base; q < base + 200 && free; ++q) free = CanBind(SOCK_DGRAM, q);
    if (free) {
      p->min_relay_port_ = base;
      p->max_relay_port_ = static_cast<uint16_t>(base + 199);
    }
  }
  if (p->port_ == 0 || p->tls_port_ == 0 || p->metrics_port_ == 0 || p->min_relay_port_ == 0) {
    *error = "no free ports on 127.0.0.1";
    return nullptr;
  }
  std::ostringstream conf;
  conf << "# written by tern's turnutils system test\n"
       << "listening-port=" << p->port_ << "\n"
       << "tls-listening-port " << p->tls_port_ << "\n"
       << "listening-ip=127.0.0.1\n"
       << "relay-ip=127.0.0.1\n"
       << "min-port=" << p->min_relay_port_ << "\n"
       << "max-port=" << p->max_relay_port_ << "\n"
       << "fingerprint\n"
       << "use-auth-secret\n"
       << "static-auth-secret=\"" << options.secret << "\"\n"
       << "realm=" << options.realm << "\n"
       << "no-cli\n"
       << "no-tlsv1\n"
       << "no-tlsv1_1\n"
       << "prometheus-port=" << p->metrics_port_ << "\n"
       << "prometheus-address=127.0.0.1\n"
       << "pidfile=" << (p->dir_ / "turnserver.pid").string() << "\n"
       << "log-file=" << (p->dir_ / "turnserver.log").string() << "\n"
       << "simple-log\n";
  if (options.tls) {
    const auto cert = p->dir_ / "cert.pem";
    const auto key = p->dir_ / "key.pem";
    if (!WriteSelfSignedCertificate(cert, key)) {
      *error = "cannot write a self-signed certificate";
      return nullptr;
    }
    conf << "cert=" << cert.string() << "\npkey=" << key.string() << "\n";
  } else {
    conf << "no-tls\n";
  }
  for (const std::string& l : options.extra_lines) conf << l << "\n";
  std::ofstream(p->dir_ / "turnserver.conf") << conf.str();
  p->pid_ = SpawnProcess({TERN_TURNSERVER_BINARY, "-c", (p->dir_ / "turnserver.conf").string()},
                         (p->dir_ / "stdout.log").string());
  if (p->pid_ <= 0) {
    *error = "fork failed";
    return nullptr;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    if (!p->Running()) {
      *error = "tern-turnserver exited at start:\n" + p->Log();
      return nullptr;
    }
    if (HttpGet(p->metrics_port_, "/metrics").has_value()) return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *error = "tern-turnserver did not answer on its metrics port within 10 s:\n" + p->Log();
  return nullptr;
}

TernTurnServerProcess::~TernTurnServerProcess() {
  if (pid_ > 0) StopWith(SIGTERM);
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

int TernTurnServerProcess::StopWith(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (Clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return -1;
}

bool TernTurnServerProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string TernTurnServerProcess::Log() const {
  return ReadAll(dir_ / "stdout.log") + ReadAll(dir_ / "turnserver.log");
}

std::string TernTurnServerProcess::ScrapeMetrics() const { return HttpGet(metrics_port_, "/metrics").value_or(""); }

std::unique_ptr<TurnutilsPeer> TurnutilsPeer::Start(std::string* error) {
  std::unique_ptr<TurnutilsPeer> p(new TurnutilsPeer());
  p->port_ = PickFreePort();
  p->pid_ = SpawnProcess({"turnutils_peer", "-L", "127.0.0.1", "-p", std::to_string(p->port_)}, "/dev/null");
  // Ready once its UDP port is taken.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    if (!CanBind(SOCK_DGRAM, p->port_)) return p;
    int status = 0;
    if (waitpid(p->pid_, &status, WNOHANG) == p->pid_) {
      p->pid_ = -1;
      *error = "turnutils_peer exited at start (is Debian's coturn installed?)";
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  *error = "turnutils_peer did not bind its port";
  return nullptr;
}

TurnutilsPeer::~TurnutilsPeer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

}  // namespace tern::testing
