// Interop with the OpenSSL command line (Debian's `openssl`): tern's DTLS 1.2 client against
// `openssl s_server -dtls1_2`, and tern's server against `openssl s_client -dtls1_2`, over real UDP on
// 127.0.0.1. Checks that both ends negotiate the same use_srtp profile and export the same
// RFC 5764 §4.2 keying material (OpenSSL prints it with -keymatexport), that fingerprints computed by
// tern match `openssl x509 -fingerprint`, that application data and close_notify cross both ways, and
// that SRTP packets protected with tern's keys (tern::srtp native backend) unprotect with the keys
// OpenSSL exported (tern::srtp libsrtp2 backend), and back.
//
// This program is the driver: it owns the socket and the (steady) clock; lib/dtls sees neither.
// Every child process is killed by pid on every exit path; every wait is bounded.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/random.h"
#include "tern/dtls/dtls.h"
#include "tern/srtp/srtp_session.h"

#ifndef TERN_OPENSSL_BINARY
#define TERN_OPENSSL_BINARY "openssl"
#endif

namespace tern {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kTestTimeout = std::chrono::seconds(10);

Timestamp WallNow() {
  return Timestamp::Micros(
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now().time_since_epoch()).count());
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tern-dtls-interop-XXXXXX";
    char* dir = mkdtemp(tmpl);
    if (dir != nullptr) path_ = dir;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A child process with its stdin on a pipe we write and its stdout+stderr on a pipe we read.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(out[1], 2);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];
    fcntl(stdout_fd_, F_SETFL, fcntl(stdout_fd_, F_GETFL) | O_NONBLOCK);
  }
  ~ChildProcess() { Kill(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  int stdout_fd() const { return stdout_fd_; }
  const std::string& output() const { return output_; }

  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    CloseStdin();
    if (stdout_fd_ >= 0) close(stdout_fd_);
    stdout_fd_ = -1;
  }
  bool Write(std::string_view s) {
    return stdin_fd_ >= 0 && write(stdin_fd_, s.data(), s.size()) == static_cast<ssize_t>(s.size());
  }
  void CloseStdin() {
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = -1;
  }
  void ReadAvailable() {
    char buf[4096];
    while (stdout_fd_ >= 0) {
      const ssize_t n = read(stdout_fd_, buf, sizeof(buf));
      if (n <= 0) break;
      output_.append(buf, static_cast<size_t>(n));
    }
  }
  // Waits (bounded) for the child to exit on its own; returns its exit status or -1.
  int WaitExit(std::chrono::milliseconds limit) {
    const auto end = SteadyClock::now() + limit;
    while (pid_ > 0 && SteadyClock::now() < end) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        ReadAvailable();
        return status;
      }
      ReadAvailable();
      usleep(10000);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string output_;
};

// Runs a short command to completion (bounded) and returns its output; exit status in *status.
std::string RunCommand(const std::vector<std::string>& argv, int* status) {
  ChildProcess child(argv);
  child.CloseStdin();
  *status = child.WaitExit(std::chrono::seconds(30));
  return child.output();
}

class UdpSocket {
 public:
  UdpSocket() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      socklen_t len = sizeof(local_);
      getsockname(fd_, reinterpret_cast<sockaddr*>(&local_), &len);
    }
  }
  ~UdpSocket() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }
  uint16_t port() const { return ntohs(local_.sin_port); }
  bool bound_to_loopback() const { return local_.sin_addr.s_addr == htonl(INADDR_LOOPBACK); }

 private:
  int fd_ = -1;
  sockaddr_in local_{};
};

// A port that was free a moment ago (for the OpenSSL server to bind).
uint16_t FreeUdpPort() {
  UdpSocket s;
  return s.port();
}

std::vector<uint8_t> HexToBytes(std::string_view hex) {
  std::vector<uint8_t> out;
  auto v = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(v(hex[i]) << 4 | v(hex[i + 1])));
  return out;
}

// The hex after "Keying material: " in OpenSSL's output, or empty.
std::vector<uint8_t> ParseKeyingMaterial(const std::string& output) {
  const std::string tag = "Keying material: ";
  const size_t at = output.find(tag);
  if (at == std::string::npos) return {};
  size_t end = at + tag.size();
  while (end < output.size() && std::isxdigit(static_cast<unsigned char>(output[end]))) ++end;
  return HexToBytes(std::string_view(output).substr(at + tag.size(), end - at - tag.size()));
}

// "SRTP Extension negotiated, profile=NAME".
std::string ParseSrtpProfileName(const std::string& output) {
  const std::string tag = "SRTP Extension negotiated, profile=";
  const size_t at = output.find(tag);
  if (at == std::string::npos) return {};
  size_t end = at + tag.size();
  while (end < output.size() && output[end] != '\n' && output[end] != '\r') ++end;
  return output.substr(at + tag.size(), end - at - tag.size());
}

SrtpKeyingMaterial SplitKeyingMaterial(SrtpProfile profile, const std::vector<uint8_t>& block) {
  const SrtpProfileInfo info = GetSrtpProfileInfo(profile);
  SrtpKeyingMaterial km;
  km.profile = profile;
  size_t at = 0;
  auto take = [&](size_t n) {
    std::vector<uint8_t> v(block.begin() + at, block.begin() + at + n);
    at += n;
    return v;
  };
  km.client_key = take(info.key_size);
  km.server_key = take(info.key_size);
  km.client_salt = take(info.salt_size);
  km.server_salt = take(info.salt_size);
  return km;
}

std::vector<uint8_t> Concat(const SrtpKeyingMaterial& km) {
  std::vector<uint8_t> out;
  for (const auto* part : {&km.client_key, &km.server_key, &km.client_salt, &km.server_salt}) {
    out.insert(out.end(), part->begin(), part->end());
  }
  return out;
}

// `openssl x509 -fingerprint -sha256` of a PEM file, as a tern fingerprint.
DtlsFingerprint OpenSslFingerprint(const std::filesystem::path& cert) {
  int status = 0;
  std::string out = RunCommand(
      {TERN_OPENSSL_BINARY, "x509", "-in", cert.string(), "-noout", "-fingerprint", "-sha256"}, &status);
  EXPECT_EQ(status, 0) << out;
  const size_t eq = out.find('=');
  EXPECT_NE(eq, std::string::npos) << out;
  std::string hex = out.substr(eq + 1);
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  absl::StatusOr<DtlsFingerprint> fp = DtlsFingerprint::Parse("sha-256 " + hex);
  EXPECT_TRUE(fp.ok()) << fp.status() << " in " << out;
  return fp.ok() ? *fp : DtlsFingerprint{};
}

// Makes a self-signed certificate with `openssl req` and checks tern computes the same fingerprint.
struct OpenSslIdentity {
  std::filesystem::path cert, key;
  DtlsFingerprint fingerprint;  // as OpenSSL computed it
};

OpenSslIdentity MakeOpenSslIdentity(const std::filesystem::path& dir, const std::string& name, bool rsa) {
  OpenSslIdentity id;
  id.cert = dir / (name + ".crt");
  id.key = dir / (name + ".key");
  std::vector<std::string> argv = {TERN_OPENSSL_BINARY, "req", "-x509", "-newkey"};
  if (rsa) {
    argv.insert(argv.end(), {"rsa:2048"});
  } else {
    argv.insert(argv.end(), {"ec", "-pkeyopt", "ec_paramgen_curve:P-256"});
  }
  argv.insert(argv.end(), {"-keyout", id.key.string(), "-out", id.cert.string(), "-days", "30", "-nodes",
                           "-subj", "/CN=" + name});
  int status = 0;
  std::string out = RunCommand(argv, &status);
  EXPECT_EQ(status, 0) << out;
  id.fingerprint = OpenSslFingerprint(id.cert);
  absl::StatusOr<DtlsCertificate> loaded = DtlsCertificate::FromPem(ReadFile(id.cert), ReadFile(id.key));
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  if (loaded.ok()) {
    std::printf("fingerprint check (%s, %s): openssl x509 says %s, tern computes %s: %s\n", name.c_str(),
                rsa ? "RSA-2048" : "ECDSA P-256", id.fingerprint.ToSdp().c_str(),
                loaded->Fingerprint().ToSdp().c_str(),
                loaded->Fingerprint() == id.fingerprint ? "MATCH" : "MISMATCH");
    EXPECT_EQ(loaded->Fingerprint(), id.fingerprint);
    EXPECT_EQ(loaded->key_type(), rsa ? DtlsKeyType::kRsa2048 : DtlsKeyType::kEcdsaP256);
  }
  return id;
}

// The first PEM certificate in `output`, as DER.
std::vector<uint8_t> FirstPemCertificate(const std::string& output) {
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(output.data(), static_cast<int>(output.size())));
  bssl::UniquePtr<X509> x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!x) return {};
  uint8_t* der = nullptr;
  const int len = i2d_X509(x.get(), &der);
  std::vector<uint8_t> out(der, der + std::max(len, 0));
  OPENSSL_free(der);
  return out;
}

// Moves datagrams between a tern endpoint and the socket, and collects the child's output, until
// `done` or the deadline. A server endpoint learns its peer's address from the first datagram.
class Driver {
 public:
  Driver(DtlsEndpoint& endpoint, UdpSocket& socket, ChildProcess& child)
      : endpoint_(endpoint), socket_(socket), child_(child) {}

  void set_peer(uint16_t port) {
    peer_.sin_family = AF_INET;
    peer_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    peer_.sin_port = htons(port);
    peer_known_ = true;
  }
  std::vector<DtlsEvent>& events() { return events_; }
  size_t largest_datagram_sent() const { return largest_sent_; }

  bool RunUntil(const std::function<bool()>& done, SteadyClock::time_point deadline) {
    for (;;) {
      Flush();
      child_.ReadAvailable();
      if (done()) return true;
      const auto now = SteadyClock::now();
      if (now >= deadline) return false;
      int wait_ms =
          static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
      wait_ms = std::min(wait_ms, 50);
      if (std::optional<Timestamp> t = endpoint_.NextTimeout()) {
        wait_ms = std::clamp<int>(static_cast<int>((*t - WallNow()).ms()), 0, wait_ms);
      }
      pollfd fds[2] = {{socket_.fd(), POLLIN, 0}, {child_.stdout_fd(), POLLIN, 0}};
      poll(fds, child_.stdout_fd() >= 0 ? 2 : 1, wait_ms);
      Receive();
      if (std::optional<Timestamp> t = endpoint_.NextTimeout(); t.has_value() && WallNow() >= *t) {
        endpoint_.HandleTimeout(WallNow());
      }
    }
  }

 private:
  void Flush() {
    while (peer_known_) {
      std::optional<std::vector<uint8_t>> d = endpoint_.PollTransmit();
      if (!d.has_value()) break;
      largest_sent_ = std::max(largest_sent_, d->size());
      sendto(socket_.fd(), d->data(), d->size(), 0, reinterpret_cast<sockaddr*>(&peer_), sizeof(peer_));
    }
    while (std::optional<DtlsEvent> e = endpoint_.PollEvent()) events_.push_back(std::move(*e));
  }
  void Receive() {
    std::vector<uint8_t> buf(65536);
    for (;;) {
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      const ssize_t n =
          recvfrom(socket_.fd(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) return;
      if (from.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) continue;  // loopback only
      if (!peer_known_) {
        peer_ = from;
        peer_known_ = true;
      }
      if (ClassifyPacket(ByteSpan(buf.data(), static_cast<size_t>(n))) != PacketKind::kDtls) continue;
      endpoint_.HandleInput(ByteSpan(buf.data(), static_cast<size_t>(n)), WallNow());
      Flush();
    }
  }

  DtlsEndpoint& endpoint_;
  UdpSocket& socket_;
  ChildProcess& child_;
  sockaddr_in peer_{};
  bool peer_known_ = false;
  std::vector<DtlsEvent> events_;
  size_t largest_sent_ = 0;
};

template <typename T>
const T* FindEvent(const std::vector<DtlsEvent>& events) {
  for (const DtlsEvent& e : events) {
    if (const T* t = std::get_if<T>(&e)) return t;
  }
  return nullptr;
}

std::string ReceivedText(const std::vector<DtlsEvent>& events) {
  std::string s;
  for (const DtlsEvent& e : events) {
    if (const auto* d = std::get_if<DtlsApplicationData>(&e)) s.append(d->data.begin(), d->data.end());
  }
  return s;
}

// SRTP both ways: what tern protects with its own exported keys (native backend) unprotects with the
// keys OpenSSL exported (libsrtp2 backend), and the reverse; a tampered packet is refused.
void CheckSrtpInterop(const SrtpKeyingMaterial& tern_km, const SrtpKeyingMaterial& openssl_km,
                      srtp::DtlsSrtpRole tern_role) {
  const srtp::DtlsSrtpRole openssl_role =
      tern_role == srtp::DtlsSrtpRole::kClient ? srtp::DtlsSrtpRole::kServer : srtp::DtlsSrtpRole::kClient;
  absl::StatusOr<srtp::SrtpSessionPair> ours =
      srtp::CreateDtlsSrtpSessions(srtp::SrtpBackend::kNative, tern_km, tern_role);
  absl::StatusOr<srtp::SrtpSessionPair> theirs =
      srtp::CreateDtlsSrtpSessions(srtp::SrtpBackend::kLibSrtp, openssl_km, openssl_role);
  ASSERT_TRUE(ours.ok()) << ours.status();
  ASSERT_TRUE(theirs.ok()) << theirs.status();

  // RTP: V=2, PT=111, seq 0x1234, timestamp, SSRC, 20-byte payload.
  const std::vector<uint8_t> rtp = {0x80, 111, 0x12, 0x34, 0xDE, 0xCA, 0xFB, 0xAD, 0xCA, 0xFE, 0xBA,
                                    0xBE, 'o', 'p',  'u',  's',  ' ',  'f',  'r',  'a',  'm',  'e',
                                    ' ',  'f', 'r',  'o',  'm',  ' ',  't',  'e',  'r',  'n'};
  for (bool tern_sends : {true, false}) {
    srtp::SrtpSession& sender = tern_sends ? *ours->outbound : *theirs->outbound;
    srtp::SrtpSession& receiver = tern_sends ? *theirs->inbound : *ours->inbound;
    std::vector<uint8_t> buf = rtp;
    buf.resize(rtp.size() + srtp::SrtpOverhead(tern_km.profile));
    absl::StatusOr<size_t> protected_size = sender.ProtectRtp(buf, rtp.size());
    ASSERT_TRUE(protected_size.ok()) << protected_size.status();
    buf.resize(*protected_size);
    EXPECT_NE(std::vector<uint8_t>(buf.begin() + 12, buf.begin() + 20),
              std::vector<uint8_t>(rtp.begin() + 12, rtp.begin() + 20));  // encrypted

    std::vector<uint8_t> tampered = buf;
    tampered[15] ^= 1;
    EXPECT_EQ(receiver.UnprotectRtp(tampered).status().code(), absl::StatusCode::kUnauthenticated);

    absl::StatusOr<size_t> plain = receiver.UnprotectRtp(buf);
    ASSERT_TRUE(plain.ok()) << plain.status()
                            << (tern_sends ? " (tern -> openssl keys)" : " (openssl keys -> tern)");
    buf.resize(*plain);
    EXPECT_EQ(buf, rtp);
    std::printf("SRTP %s: %s-protected packet unprotected with %s keys\n",
                std::string(GetSrtpProfileInfo(tern_km.profile).name).c_str(),
                tern_sends ? "tern" : "OpenSSL-key", tern_sends ? "OpenSSL's exported" : "tern's exported");
  }
}

DtlsCertificate MakeTernCertificate() {
  CryptoRandom random;
  absl::StatusOr<DtlsCertificate> cert = DtlsCertificate::Generate(random);
  EXPECT_TRUE(cert.ok()) << cert.status();
  return *cert;
}

class OpenSslServerTest : public ::testing::TestWithParam<bool /*rsa server key*/> {};

TEST_P(OpenSslServerTest, TernClientAgainstOpenSslServer) {
  const bool rsa = GetParam();
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const OpenSslIdentity server_id = MakeOpenSslIdentity(dir.path(), "openssl-server", rsa);

  UdpSocket socket;
  ASSERT_GE(socket.fd(), 0);
  ASSERT_TRUE(socket.bound_to_loopback());
  const uint16_t port = FreeUdpPort();
  ChildProcess server({TERN_OPENSSL_BINARY, "s_server", "-dtls1_2", "-accept",
                       "127.0.0.1:" + std::to_string(port), "-naccept", "1", "-mtu", "1200", "-cert",
                       server_id.cert.string(), "-key", server_id.key.string(), "-use_srtp",
                       "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", "-keymatexport", "EXTRACTOR-dtls_srtp",
                       "-keymatexportlen", "60"});
  ASSERT_TRUE(server.started());
  const auto deadline = SteadyClock::now() + kTestTimeout;
  while (server.output().find("ACCEPT") == std::string::npos && SteadyClock::now() < deadline) {
    server.ReadAvailable();
    usleep(5000);
  }
  ASSERT_NE(server.output().find("ACCEPT"), std::string::npos) << server.output();

  DtlsConfig config;
  config.role = DtlsRole::kClient;
  config.certificate = MakeTernCertificate();
  config.remote_fingerprints = {server_id.fingerprint};  // from `openssl x509 -fingerprint`
  absl::StatusOr<DtlsEndpoint> endpoint = DtlsEndpoint::Create(config);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  Driver driver(*endpoint, socket, server);
  driver.set_peer(port);
  endpoint->Start(WallNow());

  ASSERT_TRUE(driver.RunUntil(
      [&] {
        return endpoint->state() != DtlsState::kConnecting &&
               server.output().find("Keying material: ") != std::string::npos;
      },
      deadline))
      << "state " << static_cast<int>(endpoint->state()) << "\n"
      << server.output();
  ASSERT_EQ(endpoint->state(), DtlsState::kConnected);
  const auto* connected = FindEvent<DtlsConnected>(driver.events());
  ASSERT_NE(connected, nullptr);
  ASSERT_TRUE(connected->srtp.has_value());
  EXPECT_EQ(connected->srtp->profile, SrtpProfile::kAeadAes128Gcm);  // the server's first choice
  EXPECT_EQ(ParseSrtpProfileName(server.output()), "SRTP_AEAD_AES_128_GCM");
  EXPECT_EQ(connected->peer_fingerprint, server_id.fingerprint);
  EXPECT_EQ(endpoint->CipherSuiteName(),
            rsa ? "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" : "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  EXPECT_LE(driver.largest_datagram_sent(), 1200u);

  // Same exporter output: OpenSSL's 60 bytes start with tern's 56 (the TLS PRF output is a stream).
  const std::vector<uint8_t> openssl_block = ParseKeyingMaterial(server.output());
  ASSERT_EQ(openssl_block.size(), 60u) << server.output();
  const std::vector<uint8_t> tern_block = Concat(*connected->srtp);
  ASSERT_EQ(tern_block.size(), 56u);
  EXPECT_EQ(tern_block, std::vector<uint8_t>(openssl_block.begin(), openssl_block.begin() + 56));
  std::printf("keying material: tern and openssl s_server agree on %zu bytes\n", tern_block.size());
  CheckSrtpInterop(*connected->srtp, SplitKeyingMaterial(SrtpProfile::kAeadAes128Gcm, openssl_block),
                   srtp::DtlsSrtpRole::kClient);

  // Application data both ways: s_server prints what it gets and sends what it reads on stdin.
  ASSERT_TRUE(endpoint->Send(AsBytes("hello openssl from tern\n"), WallNow()).ok());
  ASSERT_TRUE(server.Write("hello tern from openssl\n"));
  EXPECT_TRUE(driver.RunUntil(
      [&] {
        return server.output().find("hello openssl from tern") != std::string::npos &&
               ReceivedText(driver.events()).find("hello tern from openssl\n") != std::string::npos;
      },
      deadline))
      << server.output();

  // close_notify: s_server reports the closed connection and (-naccept 1) exits.
  endpoint->Close(WallNow());
  driver.RunUntil([&] { return server.output().find("CONNECTION CLOSED") != std::string::npos; }, deadline);
  EXPECT_NE(server.output().find("CONNECTION CLOSED"), std::string::npos) << server.output();
  server.Kill();
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, OpenSslServerTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "RsaServer" : "EcdsaServer"; });

TEST(OpenSslClientTest, TernServerAgainstOpenSslClient) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const OpenSslIdentity client_id = MakeOpenSslIdentity(dir.path(), "openssl-client", false);

  UdpSocket socket;
  ASSERT_GE(socket.fd(), 0);
  ASSERT_TRUE(socket.bound_to_loopback());

  DtlsConfig config;
  config.role = DtlsRole::kServer;
  config.certificate = MakeTernCertificate();
  config.remote_fingerprints = {client_id.fingerprint};
  // Our preference picks AES_CM_128_HMAC_SHA1_80 from what OpenSSL offers: its 60-byte export is
  // exactly the RFC 5764 block.
  config.srtp_profiles = {SrtpProfile::kAes128CmSha1_80, SrtpProfile::kAeadAes128Gcm};
  absl::StatusOr<DtlsEndpoint> endpoint = DtlsEndpoint::Create(config);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  endpoint->Start(WallNow());

  ChildProcess client({TERN_OPENSSL_BINARY, "s_client", "-dtls1_2", "-connect",
                       "127.0.0.1:" + std::to_string(socket.port()), "-mtu", "1200", "-cert",
                       client_id.cert.string(), "-key", client_id.key.string(), "-use_srtp",
                       "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", "-keymatexport", "EXTRACTOR-dtls_srtp",
                       "-keymatexportlen", "60"});
  ASSERT_TRUE(client.started());
  const auto deadline = SteadyClock::now() + kTestTimeout;
  Driver driver(*endpoint, socket, client);

  ASSERT_TRUE(driver.RunUntil(
      [&] {
        return endpoint->state() != DtlsState::kConnecting &&
               client.output().find("Keying material: ") != std::string::npos;
      },
      deadline))
      << "state " << static_cast<int>(endpoint->state()) << "\n"
      << client.output();
  ASSERT_EQ(endpoint->state(), DtlsState::kConnected);
  const auto* connected = FindEvent<DtlsConnected>(driver.events());
  ASSERT_NE(connected, nullptr);
  ASSERT_TRUE(connected->srtp.has_value());
  EXPECT_EQ(connected->srtp->profile, SrtpProfile::kAes128CmSha1_80);
  EXPECT_EQ(ParseSrtpProfileName(client.output()), "SRTP_AES128_CM_SHA1_80");
  EXPECT_EQ(connected->peer_fingerprint, client_id.fingerprint);
  EXPECT_LE(driver.largest_datagram_sent(), 1200u);

  // OpenSSL saw our certificate: the one it printed is ours, byte for byte.
  EXPECT_EQ(FirstPemCertificate(client.output()),
            std::vector<uint8_t>(config.certificate.der().begin(), config.certificate.der().end()));

  const std::vector<uint8_t> openssl_block = ParseKeyingMaterial(client.output());
  ASSERT_EQ(openssl_block.size(), 60u) << client.output();
  EXPECT_EQ(Concat(*connected->srtp), openssl_block);
  std::printf("keying material: tern and openssl s_client agree on %zu bytes\n", openssl_block.size());
  CheckSrtpInterop(*connected->srtp, SplitKeyingMaterial(SrtpProfile::kAes128CmSha1_80, openssl_block),
                   srtp::DtlsSrtpRole::kServer);

  ASSERT_TRUE(endpoint->Send(AsBytes("hello s_client\n"), WallNow()).ok());
  ASSERT_TRUE(client.Write("hello tern server\n"));
  EXPECT_TRUE(driver.RunUntil(
      [&] {
        return client.output().find("hello s_client") != std::string::npos &&
               ReceivedText(driver.events()).find("hello tern server\n") != std::string::npos;
      },
      deadline))
      << client.output();

  // EOF on s_client's stdin makes it shut down with close_notify.
  client.CloseStdin();
  EXPECT_TRUE(driver.RunUntil([&] { return FindEvent<DtlsClosed>(driver.events()) != nullptr; }, deadline))
      << client.output();
  EXPECT_EQ(endpoint->state(), DtlsState::kClosed);
  client.Kill();
}

}  // namespace
}  // namespace tern
