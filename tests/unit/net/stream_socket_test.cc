// TCP and TLS clients against servers this test runs on 127.0.0.1 (a blocking thread; the TLS server is
// in-process BoringSSL with a self-signed certificate made here).
#include "tern/net/stream_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/bytestring.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tern {
namespace {

std::unique_ptr<Runtime> MakeManual() {
  RuntimeOptions o;
  o.manual = true;
  return std::move(*Runtime::Create(o));
}

// A self-signed P-256 certificate for "localhost" and 127.0.0.1.
struct TestCert {
  TestCert() {
    bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
    EC_KEY_generate_key(ec.get());
    key.reset(EVP_PKEY_new());
    EVP_PKEY_assign_EC_KEY(key.get(), ec.release());
    cert.reset(X509_new());
    X509_set_version(cert.get(), X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const uint8_t*>("localhost"), -1,
                               -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert.get(), ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(cert.get(), key.get(), EVP_sha256());
    uint8_t* der = nullptr;
    const int der_len = i2d_X509(cert.get(), &der);
    SHA256(der, static_cast<size_t>(der_len), sha256.data());
    OPENSSL_free(der);
    bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert.get());
    const uint8_t* pem_data;
    size_t pem_len;
    BIO_mem_contents(bio.get(), &pem_data, &pem_len);
    pem.assign(reinterpret_cast<const char*>(pem_data), pem_len);
  }
  bssl::UniquePtr<EVP_PKEY> key;
  bssl::UniquePtr<X509> cert;
  std::array<uint8_t, 32> sha256{};
  std::string pem;
};

const TestCert& Cert() {
  static const TestCert* cert = new TestCert();
  return *cert;
}

// One-connection server on 127.0.0.1: echo (optionally over TLS), or hold (read nothing until released,
// then count bytes until EOF), or close right after accept.
class TestServer {
 public:
  enum class Mode { kEcho, kHold, kCloseAtOnce };
  TestServer(Mode mode, bool tls) : mode_(mode), tls_(tls) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
    listen(listen_fd_, 4);
    socklen_t len = sizeof(sin);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sin), &len);
    address_ = SocketAddress(IpAddress::LoopbackV4(), ntohs(sin.sin_port));
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestServer() {
    stop_.store(true);
    release_.store(true);
    thread_.join();
    close(listen_fd_);
  }
  const SocketAddress& address() const { return address_; }
  void Release() { release_.store(true); }
  // Valid after the server finished (join): call Finish() first.
  void Finish() {
    if (thread_.joinable()) {
      thread_.join();
      thread_ = std::thread([] {});
    }
  }
  const std::string& sni() const { return sni_; }
  uint64_t bytes_received() const { return bytes_; }
  bool handshake_ok() const { return handshake_ok_; }

 private:
  bool WaitReadable(int fd) {
    while (!stop_.load()) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }
  void Serve() {
    if (!WaitReadable(listen_fd_)) return;
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    if (mode_ == Mode::kCloseAtOnce) {
      close(fd);
      return;
    }
    bssl::UniquePtr<SSL_CTX> ctx;
    bssl::UniquePtr<SSL> ssl;
    if (tls_) {
      ctx.reset(SSL_CTX_new(TLS_method()));
      SSL_CTX_use_certificate(ctx.get(), Cert().cert.get());
      SSL_CTX_use_PrivateKey(ctx.get(), Cert().key.get());
      ssl.reset(SSL_new(ctx.get()));
      SSL_set_fd(ssl.get(), fd);
      if (SSL_accept(ssl.get()) != 1) {
        close(fd);
        return;
      }
      handshake_ok_ = true;
      if (const char* name = SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name)) sni_ = name;
    }
    if (mode_ == Mode::kHold) {
      while (!release_.load()) usleep(1000);
    }
    std::vector<uint8_t> buf(16384);
    while (true) {
      if (!tls_ || SSL_pending(ssl.get()) == 0) {
        if (!WaitReadable(fd)) break;
      }
      const int n = tls_ ? SSL_read(ssl.get(), buf.data(), static_cast<int>(buf.size()))
                         : static_cast<int>(read(fd, buf.data(), buf.size()));
      if (n <= 0) break;
      bytes_ += static_cast<uint64_t>(n);
      if (mode_ == Mode::kEcho) {
        const int w = tls_ ? SSL_write(ssl.get(), buf.data(), n) : static_cast<int>(write(fd, buf.data(), n));
        if (w != n) break;
      }
    }
    if (tls_) SSL_shutdown(ssl.get());
    close(fd);
  }

  Mode mode_;
  bool tls_;
  int listen_fd_ = -1;
  SocketAddress address_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> release_{false};
  std::string sni_;
  uint64_t bytes_ = 0;
  bool handshake_ok_ = false;
};

struct Client {
  bool connected = false;
  bool closed = false;
  absl::Status close_status;
  int writable = 0;
  std::vector<uint8_t> data;
  StreamCallbacks Callbacks() {
    StreamCallbacks cb;
    cb.on_connected = [this] { connected = true; };
    cb.on_data = [this](ByteSpan b) { data.insert(data.end(), b.begin(), b.end()); };
    cb.on_closed = [this](absl::Status s) {
      closed = true;
      close_status = std::move(s);
    };
    cb.on_writable = [this] { ++writable; };
    return cb;
  }
};

std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 131 + (i >> 8));
  return v;
}

TEST(TcpClient, EchoesByteExact) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  TestServer server(TestServer::Mode::kEcho, false);
  ASSERT_TRUE(server.address().ip().IsLoopback());
  Client c;
  auto s = ConnectTcp(loop, server.address(), {}, c.Callbacks());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->protocol(), TransportProtocol::kTcp);
  const std::vector<uint8_t> msg = Pattern(200000);
  // Written before the connection completes: queued, then sent.
  ASSERT_TRUE((*s)->Write(ByteSpan(msg).first(1000)).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return c.connected; }, Duration::Seconds(5)));
  EXPECT_EQ((*s)->remote_address(), server.address());
  EXPECT_EQ((*s)->local_address().ip(), IpAddress::LoopbackV4());
  ASSERT_TRUE((*s)->Write(ByteSpan(msg).subspan(1000)).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return c.data.size() >= msg.size(); }, Duration::Seconds(5)));
  EXPECT_EQ(c.data, msg);
  (*s)->Close();
  EXPECT_FALSE((*s)->connected());
  EXPECT_EQ((*s)->Write(msg).code(), absl::StatusCode::kFailedPrecondition);
  loop.Poll(Duration::Millis(10));
  EXPECT_FALSE(c.closed);  // no callback after a local Close
}

TEST(TcpClient, PeerCloseReportsOk) {
  auto rt = MakeManual();
  TestServer server(TestServer::Mode::kCloseAtOnce, false);
  Client c;
  auto s = ConnectTcp(rt->loop(0), server.address(), {}, c.Callbacks());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(rt->loop(0).RunUntil([&] { return c.closed; }, Duration::Seconds(5)));
  EXPECT_TRUE(c.close_status.ok()) << c.close_status;
}

TEST(TcpClient, RefusedConnectionReportsUnavailable) {
  auto rt = MakeManual();
  // A bound, non-listening socket owns the port, so the connection is refused (RST).
  const int holder = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  socklen_t len = sizeof(sin);
  getsockname(holder, reinterpret_cast<sockaddr*>(&sin), &len);
  Client c;
  auto s =
      ConnectTcp(rt->loop(0), SocketAddress(IpAddress::LoopbackV4(), ntohs(sin.sin_port)), {}, c.Callbacks());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(rt->loop(0).RunUntil([&] { return c.closed; }, Duration::Seconds(5)));
  EXPECT_EQ(c.close_status.code(), absl::StatusCode::kUnavailable) << c.close_status;
  EXPECT_FALSE(c.connected);
  close(holder);
}

TEST(TcpClient, RejectsBadArguments) {
  auto rt = MakeManual();
  Client c;
  EXPECT_EQ(ConnectTcp(rt->loop(0), SocketAddress(), {}, c.Callbacks()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ConnectTcp(rt->loop(0), SocketAddress(IpAddress::LoopbackV4(), 0), {}, c.Callbacks()).status().code(),
      absl::StatusCode::kInvalidArgument);
  TcpClientOptions o;
  o.bind = SocketAddress(IpAddress::LoopbackV6(), 0);
  EXPECT_EQ(
      ConnectTcp(rt->loop(0), SocketAddress(IpAddress::LoopbackV4(), 9), o, c.Callbacks()).status().code(),
      absl::StatusCode::kInvalidArgument);
}

// The bounded write queue refuses data once full, and on_writable fires when the peer drains it.
TEST(TcpClient, BackpressureAndOnWritable) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  TestServer server(TestServer::Mode::kHold, false);
  Client c;
  TcpClientOptions o;
  o.max_write_queue_bytes = 64 * 1024;
  auto s = ConnectTcp(loop, server.address(), o, c.Callbacks());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(loop.RunUntil([&] { return c.connected; }, Duration::Seconds(5)));
  const std::vector<uint8_t> chunk = Pattern(16 * 1024);
  uint64_t accepted = 0;
  absl::Status last;
  for (int i = 0; i < 8192; ++i) {  // at most 128 MiB: the kernel buffers fill long before
    last = (*s)->Write(chunk);
    if (!last.ok()) break;
    accepted += chunk.size();
    loop.Poll(Duration::Zero());
  }
  ASSERT_EQ(last.code(), absl::StatusCode::kResourceExhausted) << last;
  EXPECT_GT((*s)->queued_bytes(), 0u);
  EXPECT_LE((*s)->queued_bytes(), o.max_write_queue_bytes);
  EXPECT_EQ(c.writable, 0);
  server.Release();
  ASSERT_TRUE(loop.RunUntil([&] { return c.writable > 0; }, Duration::Seconds(10)));
  ASSERT_TRUE(loop.RunUntil([&] { return (*s)->queued_bytes() == 0; }, Duration::Seconds(10)));
  (*s)->Close();
  server.Finish();
  EXPECT_EQ(server.bytes_received(), accepted);
  EXPECT_FALSE(c.closed);
}

TEST(TcpClient, ConnectTimeout) {
  auto rt = MakeManual();
  // A listener whose accept queue is full drops further SYNs, so the connect hangs.
  const int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  ASSERT_EQ(listen(lfd, 0), 0);
  socklen_t len = sizeof(sin);
  getsockname(lfd, reinterpret_cast<sockaddr*>(&sin), &len);
  const SocketAddress target(IpAddress::LoopbackV4(), ntohs(sin.sin_port));
  std::vector<std::unique_ptr<StreamSocket>> fillers;
  std::vector<Client> filler_clients(4);
  for (Client& fc : filler_clients)
    fillers.push_back(std::move(*ConnectTcp(rt->loop(0), target, {}, fc.Callbacks())));
  rt->loop(0).Poll(Duration::Millis(50));
  Client c;
  TcpClientOptions o;
  o.connect_timeout = Duration::Millis(100);
  auto s = ConnectTcp(rt->loop(0), target, o, c.Callbacks());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(rt->loop(0).RunUntil([&] { return c.closed || c.connected; }, Duration::Seconds(5)));
  EXPECT_FALSE(c.connected);
  EXPECT_EQ(c.close_status.code(), absl::StatusCode::kDeadlineExceeded) << c.close_status;
  close(lfd);
}

TlsClientOptions TlsOptions(TlsVerifyMode mode, std::string name = "localhost") {
  TlsClientOptions o;
  o.verify = mode;
  o.server_name = std::move(name);
  o.ca_pem = Cert().pem;
  o.pinned_sha256 = Cert().sha256;
  return o;
}

void ExpectTlsEcho(const TlsClientOptions& o, const char* expected_sni) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  TestServer server(TestServer::Mode::kEcho, true);
  Client c;
  auto s = ConnectTls(loop, server.address(), o, c.Callbacks());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->protocol(), TransportProtocol::kTls);
  const std::vector<uint8_t> msg = Pattern(100000);
  ASSERT_TRUE((*s)->Write(ByteSpan(msg).first(10)).ok());  // before the handshake: queued
  ASSERT_TRUE(loop.RunUntil([&] { return c.connected || c.closed; }, Duration::Seconds(5)));
  ASSERT_TRUE(c.connected) << c.close_status;
  ASSERT_TRUE((*s)->Write(ByteSpan(msg).subspan(10)).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return c.data.size() >= msg.size(); }, Duration::Seconds(5)));
  EXPECT_EQ(c.data, msg);
  (*s)->Close();
  server.Finish();
  EXPECT_EQ(server.sni(), expected_sni);
}

TEST(TlsClient, VerifyNoneEchoesAndSendsSni) { ExpectTlsEcho(TlsOptions(TlsVerifyMode::kNone), "localhost"); }
TEST(TlsClient, PinnedCertificateAccepted) {
  ExpectTlsEcho(TlsOptions(TlsVerifyMode::kPinnedCertificate), "localhost");
}
TEST(TlsClient, CaBundleAndHostName) { ExpectTlsEcho(TlsOptions(TlsVerifyMode::kCaBundle), "localhost"); }
TEST(TlsClient, CaBundleAndIpAddressSendsNoSni) {
  ExpectTlsEcho(TlsOptions(TlsVerifyMode::kCaBundle, "127.0.0.1"), "");
}

void ExpectTlsFailure(const TlsClientOptions& o, absl::StatusCode code, bool tls_server = true) {
  auto rt = MakeManual();
  TestServer server(TestServer::Mode::kEcho, tls_server);
  Client c;
  auto s = ConnectTls(rt->loop(0), server.address(), o, c.Callbacks());
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE(rt->loop(0).RunUntil([&] { return c.closed || c.connected; }, Duration::Seconds(5)));
  EXPECT_FALSE(c.connected);
  EXPECT_EQ(c.close_status.code(), code) << c.close_status;
}

TEST(TlsClient, WrongPinRejected) {
  TlsClientOptions o = TlsOptions(TlsVerifyMode::kPinnedCertificate);
  o.pinned_sha256[0] ^= 1;
  ExpectTlsFailure(o, absl::StatusCode::kUnauthenticated);
}

TEST(TlsClient, WrongHostNameRejected) {
  ExpectTlsFailure(TlsOptions(TlsVerifyMode::kCaBundle, "example.com"), absl::StatusCode::kUnauthenticated);
}

TEST(TlsClient, UntrustedCaRejected) {
  TlsClientOptions o = TlsOptions(TlsVerifyMode::kCaBundle);
  TestCert other;  // a different self-signed certificate as the only trust anchor
  o.ca_pem = other.pem;
  ExpectTlsFailure(o, absl::StatusCode::kUnauthenticated);
}

TEST(TlsClient, NonTlsServerFailsHandshake) {
  ExpectTlsFailure(TlsOptions(TlsVerifyMode::kNone), absl::StatusCode::kUnavailable, /*tls_server=*/false);
}

TEST(TlsClient, RejectsBadOptions) {
  auto rt = MakeManual();
  Client c;
  const SocketAddress to(IpAddress::LoopbackV4(), 9);
  EXPECT_EQ(
      ConnectTls(rt->loop(0), to, TlsOptions(TlsVerifyMode::kCaBundle, ""), c.Callbacks()).status().code(),
      absl::StatusCode::kInvalidArgument);
  TlsClientOptions o = TlsOptions(TlsVerifyMode::kCaBundle);
  o.ca_pem = "not a certificate";
  EXPECT_EQ(ConnectTls(rt->loop(0), to, o, c.Callbacks()).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = TlsOptions(TlsVerifyMode::kNone);
  o.alpn = {""};
  EXPECT_EQ(ConnectTls(rt->loop(0), to, o, c.Callbacks()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tern
