// See coturn_process.h.
#include "coturn_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/base64.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace tern::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kStartTimeout = std::chrono::seconds(10);

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

// Whether `port` on 127.0.0.1 can be bound with `type` right now.
bool CanBind(int type, uint16_t port) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a = Loopback(port);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

bool PortsFree(uint16_t first, int count) {
  for (int i = 0; i < count; ++i) {
    uint16_t p = static_cast<uint16_t>(first + i);
    if (!CanBind(SOCK_DGRAM, p) || !CanBind(SOCK_STREAM, p)) return false;
  }
  return true;
}

bool TcpConnects(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a = Loopback(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

// A STUN Binding request over UDP answered within 200 ms.
bool UdpAnswers(uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in local = Loopback(0);
  bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local));
  uint8_t request[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42, 't', 'e',
                         'r',  'n',  '-',  'p',  'r',  'o',  'b',  'e',  '0', '1'};
  sockaddr_in server = Loopback(port);
  sendto(fd, request, sizeof(request), 0, reinterpret_cast<sockaddr*>(&server), sizeof(server));
  pollfd p{fd, POLLIN, 0};
  bool ok = poll(&p, 1, 200) == 1;
  close(fd);
  return ok;
}

std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t Spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Kills `pid` (SIGTERM, then SIGKILL after 3 s) and reaps it.
void KillAndReap(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  const auto end = SteadyClock::now() + std::chrono::seconds(3);
  while (SteadyClock::now() < end) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace

int RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds limit, std::string* output) {
  char tmpl[] = "/tmp/tern-coturn-cmd-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return -1;
  close(fd);
  pid_t pid = Spawn(argv, tmpl);
  int result = -1;
  const auto end = SteadyClock::now() + limit;
  while (pid > 0) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      result = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      break;
    }
    if (SteadyClock::now() >= end) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (output != nullptr) output->append(ReadWholeFile(tmpl));
  unlink(tmpl);
  return result;
}

RestCredentials MakeRestCredentials(std::string_view secret, std::string_view user,
                                    int64_t expiry_unix_seconds) {
  RestCredentials c;
  c.username = std::to_string(expiry_unix_seconds);
  if (!user.empty()) c.username += ":" + std::string(user);
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha1(), secret.data(), secret.size(), reinterpret_cast<const uint8_t*>(c.username.data()),
       c.username.size(), mac, &mac_size);
  size_t encoded_size = 0;
  EVP_EncodedLength(&encoded_size, mac_size);
  std::string encoded(encoded_size, '\0');
  size_t n = EVP_EncodeBlock(reinterpret_cast<uint8_t*>(encoded.data()), mac, mac_size);
  encoded.resize(n);
  c.password = encoded;
  return c;
}

std::unique_ptr<CoturnProcess> CoturnProcess::Start(const CoturnOptions& options, std::string* error) {
  std::unique_ptr<CoturnProcess> p(new CoturnProcess());
  p->options_ = options;
  char tmpl[] = "/tmp/tern-coturn-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    *error = "mkdtemp failed";
    return nullptr;
  }
  p->dir_ = tmpl;

  // A self-signed certificate for the TLS listener.
  std::string openssl_output;
  int rc = RunCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                       "-nodes", "-days", "2", "-subj", "/CN=tern-coturn-test", "-keyout",
                       (p->dir_ / "key.pem").string(), "-out", (p->dir_ / "cert.pem").string()},
                      std::chrono::seconds(10), &openssl_output);
  if (rc != 0) {
    *error = "openssl req failed: " + openssl_output;
    return nullptr;
  }

  // Free ports: listening (and the +1 coturn may use as an alternate), TLS (+1), and 16 relay
  // ports, all unused on 127.0.0.1 for both UDP and TCP.
  std::mt19937 rng(static_cast<uint32_t>(getpid()) ^
                   static_cast<uint32_t>(SteadyClock::now().time_since_epoch().count()));
  bool found = false;
  for (int attempt = 0; attempt < 200 && !found; ++attempt) {
    uint16_t base = static_cast<uint16_t>(20000 + rng() % 30000);
    if (PortsFree(base, 4) && PortsFree(static_cast<uint16_t>(base + 10), 16)) {
      p->port_ = base;
      p->tls_port_ = static_cast<uint16_t>(base + 2);
      p->min_relay_port_ = static_cast<uint16_t>(base + 10);
      p->max_relay_port_ = static_cast<uint16_t>(base + 25);
      found = true;
    }
  }
  if (!found) {
    *error = "no free ports";
    return nullptr;
  }

  std::filesystem::path config = p->dir_ / "turnserver.conf";
  {
    std::ofstream out(config);
    out << "listening-ip=127.0.0.1\n"
        << "relay-ip=127.0.0.1\n"
        << "listening-port=" << p->port_ << "\n"
        << "tls-listening-port=" << p->tls_port_ << "\n"
        << "min-port=" << p->min_relay_port_ << "\n"
        << "max-port=" << p->max_relay_port_ << "\n"
        << "fingerprint\n"
        << "use-auth-secret\n"
        << "static-auth-secret=" << options.secret << "\n"
        << "realm=" << options.realm << "\n"
        << "allow-loopback-peers\n"
        << "no-cli\n"
        << "no-dtls\n"
        << "cert=" << (p->dir_ / "cert.pem").string() << "\n"
        << "pkey=" << (p->dir_ / "key.pem").string() << "\n"
        << "pidfile=" << (p->dir_ / "turnserver.pid").string() << "\n"
        << "log-file=stdout\n"
        << "simple-log\n"
        << "verbose\n";
  }
  p->pid_ = Spawn({"turnserver", "-c", config.string()}, p->dir_ / "turnserver.log");
  if (p->pid_ <= 0) {
    *error = "fork failed";
    return nullptr;
  }
  const auto end = SteadyClock::now() + kStartTimeout;
  while (SteadyClock::now() < end) {
    if (!p->Running()) {
      *error = "turnserver exited: " + p->Log();
      return nullptr;
    }
    if (TcpConnects(p->port_) && TcpConnects(p->tls_port_) && UdpAnswers(p->port_)) return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *error = "turnserver did not start listening within 10 s: " + p->Log();
  return nullptr;
}

bool CoturnProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string CoturnProcess::Log() const { return ReadWholeFile(dir_ / "turnserver.log"); }

void CoturnProcess::Stop() {
  KillAndReap(pid_);
  pid_ = -1;
}

CoturnProcess::~CoturnProcess() {
  Stop();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace tern::testing
