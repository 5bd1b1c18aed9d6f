// StreamListener: TCP and TLS accept on 127.0.0.1, driven by lib/net's own clients (ConnectTcp/ConnectTls)
// on the same loop; certificate reload, handshake timeout, connection limit, backpressure, bad
// credentials, and a threaded runtime (for TSan).
#include "tern/net/stream_listener.h"

#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tern/net/stream_socket.h"

namespace tern {
namespace {

// A fresh self-signed P-256 certificate for CN=`name` with its PEM, key PEM and DER SHA-256.
struct SelfSigned {
  explicit SelfSigned(const char* name) {
    bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
    EC_KEY_generate_key(ec.get());
    bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
    EVP_PKEY_assign_EC_KEY(key.get(), ec.release());
    bssl::UniquePtr<X509> cert(X509_new());
    X509_set_version(cert.get(), X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_NAME* subject = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const uint8_t*>(name), -1, -1, 0);
    X509_set_issuer_name(cert.get(), subject);
    X509_set_pubkey(cert.get(), key.get());
    X509_sign(cert.get(), key.get(), EVP_sha256());
    uint8_t* der = nullptr;
    const int der_len = i2d_X509(cert.get(), &der);
    SHA256(der, static_cast<size_t>(der_len), sha256.data());
    OPENSSL_free(der);
    auto to_pem = [](auto write) {
      bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
      write(bio.get());
      const uint8_t* data;
      size_t len;
      BIO_mem_contents(bio.get(), &data, &len);
      return std::string(reinterpret_cast<const char*>(data), len);
    };
    cert_pem = to_pem([&](BIO* b) { PEM_write_bio_X509(b, cert.get()); });
    key_pem = to_pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  }
  TlsServerCredentials Credentials() const {
    TlsServerCredentials c;
    c.certificate_chain_pem = cert_pem;
    c.private_key_pem = key_pem;
    return c;
  }
  std::string cert_pem;
  std::string key_pem;
  std::array<uint8_t, 32> sha256{};
};

std::unique_ptr<Runtime> Manual() {
  RuntimeOptions o;
  o.manual = true;
  return *Runtime::Create(o);
}

// Echoes everything every accepted stream sends; records what happened.
struct EchoServer {
  explicit EchoServer(EventLoop& loop) : loop(loop) {}
  StreamListener::AcceptCallback OnAccept() {
    return [this](std::unique_ptr<AcceptedStream> s) {
      AcceptedStream* raw = s.get();
      streams.push_back(std::move(s));
      StreamCallbacks cb;
      cb.on_connected = [this] { ++connected; };
      cb.on_data = [this, raw](ByteSpan b) {
        if (connected == 0) data_before_connected = true;
        EXPECT_TRUE(raw->Write(b).ok());
      };
      cb.on_closed = [this](absl::Status st) { closed.push_back(st); };
      raw->Start(std::move(cb));
    };
  }
  EventLoop& loop;
  std::vector<std::unique_ptr<AcceptedStream>> streams;
  int connected = 0;
  bool data_before_connected = false;
  std::vector<absl::Status> closed;
};

struct Client {
  std::unique_ptr<StreamSocket> socket;
  bool connected = false;
  std::string received;
  std::optional<absl::Status> closed;
  StreamCallbacks Callbacks() {
    StreamCallbacks cb;
    cb.on_connected = [this] { connected = true; };
    cb.on_data = [this](ByteSpan b) { received.append(reinterpret_cast<const char*>(b.data()), b.size()); };
    cb.on_closed = [this](absl::Status s) { closed = s; };
    return cb;
  }
};

ByteSpan Bytes(const std::string& s) { return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

StreamListenerOptions Loopback() {
  StreamListenerOptions o;
  o.bind = SocketAddress(IpAddress::LoopbackV4(), 0);
  return o;
}

TEST(StreamListener, TcpAcceptAndEcho) {
  auto rt = Manual();
  EventLoop& loop = rt->loop(0);
  EchoServer server(loop);
  auto listener = StreamListener::Listen(loop, Loopback(), server.OnAccept());
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_EQ((*listener)->protocol(), TransportProtocol::kTcp);
  const SocketAddress addr = (*listener)->local_address();
  EXPECT_EQ(addr.ip(), IpAddress::LoopbackV4());
  ASSERT_NE(addr.port(), 0);

  Client c;
  c.socket = *ConnectTcp(loop, addr, {}, c.Callbacks());
  ASSERT_TRUE(c.socket->Write(Bytes("hello, listener")).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return c.received.size() == 15; }, Duration::Seconds(5)));
  EXPECT_EQ(c.received, "hello, listener");
  EXPECT_EQ(server.connected, 1);
  EXPECT_FALSE(server.data_before_connected);
  ASSERT_EQ(server.streams.size(), 1u);
  EXPECT_EQ(server.streams[0]->remote_address(), c.socket->local_address());
  EXPECT_EQ(server.streams[0]->local_address(), addr);
  EXPECT_EQ(server.streams[0]->protocol(), TransportProtocol::kTcp);
  EXPECT_EQ((*listener)->stats().accepted, 1u);
  EXPECT_EQ((*listener)->stats().open, 1u);

  // The client's close reaches the server as an orderly close.
  c.socket->Close();
  ASSERT_TRUE(loop.RunUntil([&] { return !server.closed.empty(); }, Duration::Seconds(5)));
  EXPECT_TRUE(server.closed[0].ok()) << server.closed[0];
  EXPECT_EQ((*listener)->stats().open, 0u);
  EXPECT_FALSE(server.streams[0]->Write(Bytes("x")).ok());
}

TEST(StreamListener, ManyClientsAndServerSideClose) {
  auto rt = Manual();
  EventLoop& loop = rt->loop(0);
  EchoServer server(loop);
  auto listener = StreamListener::Listen(loop, Loopback(), server.OnAccept());
  ASSERT_TRUE(listener.ok());
  std::vector<Client> clients(20);
  for (size_t i = 0; i < clients.size(); ++i) {
    clients[i].socket = *ConnectTcp(loop, (*listener)->local_address(), {}, clients[i].Callbacks());
    ASSERT_TRUE(clients[i].socket->Write(Bytes("msg" + std::to_string(i))).ok());
  }
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        for (size_t i = 0; i < clients.size(); ++i) {
          if (clients[i].received != "msg" + std::to_string(i)) return false;
        }
        return true;
      },
      Duration::Seconds(5)));
  EXPECT_EQ((*listener)->stats().open, 20u);
  // Destroying the server's streams closes the connections.
  server.streams.clear();
  EXPECT_EQ((*listener)->stats().open, 0u);
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        for (const Client& c : clients) {
          if (!c.closed.has_value()) return false;
        }
        return true;
      },
      Duration::Seconds(5)));
  EXPECT_TRUE(server.closed.empty());  // a local close reports nothing
}

TEST(StreamListener, TlsHandshakeEchoAlpnAndVersion) {
  auto rt = Manual();
  EventLoop& loop = rt->loop(0);
  SelfSigned cert("turn.test");
  EchoServer server(loop);
  StreamListenerOptions o = Loopback();
  o.tls = cert.Credentials();
  o.tls->alpn = {"stun.turn"};
  auto listener = StreamListener::Listen(loop, o, server.OnAccept());
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_EQ((*listener)->protocol(), TransportProtocol::kTls);

  TlsClientOptions co;
  co.verify = TlsVerifyMode::kPinnedCertificate;
  co.pinned_sha256 = cert.sha256;
  co.alpn = {"stun.turn"};
  Client c;
  c.socket = *ConnectTls(loop, (*listener)->local_address(), co, c.Callbacks());
  ASSERT_TRUE(c.socket->Write(Bytes("over tls")).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return c.received == "over tls" || c.closed.has_value(); },
                            Duration::Seconds(5)));
  ASSERT_FALSE(c.closed.has_value()) << *c.closed;
  ASSERT_EQ(server.streams.size(), 1u);
  EXPECT_EQ(server.streams[0]->protocol(), TransportProtocol::kTls);
  EXPECT_EQ(server.streams[0]->alpn_protocol(), "stun.turn");
  ASSERT_TRUE(server.streams[0]->tls_version().has_value());
  EXPECT_GE(static_cast<int>(*server.streams[0]->tls_version()), static_cast<int>(TlsVersion::kTls1_2));
  EXPECT_EQ((*listener)->stats().handshakes_ok, 1u);

  // A large write crosses several TLS records and arrives intact.
  std::string big(100000, 'z');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  c.received.clear();
  ASSERT_TRUE(c.socket->Write(Bytes(big)).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return c.received.size() == big.size(); }, Duration::Seconds(10)));
  EXPECT_EQ(c.received, big);
}

TEST(StreamListener, TlsAlpnMismatchIsRefused) {
  auto rt = Manual();
  EventLoop& loop = rt->loop(0);
  SelfSigned cert("turn.test");
  EchoServer server(loop);
  StreamListenerOptions o = Loopback();
  o.tls = cert.Credentials();
  o.tls->alpn = {"stun.turn"};
  auto listener = StreamListener::Listen(loop, o, server.OnAccept());
  ASSERT_TRUE(listener.ok());
  TlsClientOptions co;
  co.verify = TlsVerifyMode::kNone;
  co.alpn = {"h2"};
  Client c;
  c.socket = *ConnectTls(loop, (*listener)->local_address(), co, c.Callbacks());
  ASSERT_TRUE(loop.RunUntil([&] { return c.closed.has_value(); }, Duration::Seconds(5)));
  EXPECT_FALSE(c.connected);
  EXPECT_FALSE(c.closed->ok());
  ASSERT_TRUE(loop.RunUntil([&] { return (*listener)->stats().handshakes_failed == 1; }, Duration::Seconds(5)));
  EXPECT_EQ(server.connected, 0);
}

TEST(StreamListener, ReloadCredentialsAppliesToNewConnectionsOnly) {
  auto rt = Manual();
  EventLoop& loop = rt->loop(0);
  SelfSigned first("first");
  SelfSigned second("second");
  EchoServer server(loop);
  StreamListenerOptions o = Loopback();
  o.tls = first.Credentials();
  auto listener = StreamListener::Listen(loop, o, server.OnAccept());
  ASSERT_TRUE(listener.ok());
  auto connect_pinned = [&](const SelfSigned& pin, Client& c) {
    TlsClientOptions co;
    co.verify = TlsVerifyMode::kPinnedCertificate;
    co.pinned_sha256 = pin.sha256;
    c.socket = *ConnectTls(loop, (*listener)->local_address(), co, c.Callbacks());
    return loop.RunUntil([&] { return c.connected || c.closed.has_value(); }, Duration::Seconds(5));
  };
  Client old_conn;
  ASSERT_TRUE(connect_pinned(first, old_conn));
  ASSERT_TRUE(old_conn.connected);

  // Bad credentials are refused and the old ones stay.
  TlsServerCredentials mismatched = second.Credentials();
  mismatched.private_key_pem = first.key_pem;
  EXPECT_EQ((*listener)->ReloadCredentials(mismatched).code(), absl::StatusCode::kInvalidArgument);
  Client still_first;
  ASSERT_TRUE(connect_pinned(first, still_first));
  EXPECT_TRUE(still_first.connected);

  ASSERT_TRUE((*listener)->ReloadCredentials(second.Credentials()).ok());
  Client pinned_old;
  ASSERT_TRUE(connect_pinned(first, pinned_old));
  EXPECT_FALSE(pinned_old.connected);  // the server now presents the second certificate
  Client new_conn;
  ASSERT_TRUE(connect_pinned(second, new_conn));
  EXPECT_TRUE(new_conn.connected);

  // The connection made before the reload still works.
  ASSERT_TRUE(old_conn.socket->Write(Bytes("still here")).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return old_conn.received == "still here"; }, Duration::Seconds(5)));
}

TEST(StreamListener, TlsHandshakeTimeoutClosesSlowClient) {
  auto rt = Manual();
  EventLoop& loop = rt->loop(0);
  SelfSigned cert("slow");
  EchoServer server(loop);
  StreamListenerOptions o = Loopback();
  o.tls = cert.Credentials();
  o.tls_handshake_timeout = Duration::Millis(100);
  auto listener = StreamListener::Listen(loop, o, server.OnAccept());
  ASSERT_TRUE(listener.ok());
  // A plain TCP client that never sends a ClientHello.
  Client c;
  c.socket = *ConnectTcp(loop, (*listener)->local_address(), {}, c.Callbacks());
  ASSERT_TRUE(loop.RunUntil([&] { return !server.closed.empty(); }, Duration::Seconds(5)));
  EXPECT_EQ(server.closed[0].code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ((*listener)->stats().handshakes_failed, 1u);
  ASSERT_TRUE(loop.RunUntil([&] { return c.closed.has_value(); }, Duration::Seconds(5)));
}

TEST(StreamListener, ConnectionLimit) {
  auto rt = Manual();
  EventLoop& loop = rt->loop(0);
  EchoServer server(loop);
  StreamListenerOptions o = Loopback();
  o.max_connections = 2;
  auto listener = StreamListener::Listen(loop, o, server.OnAccept());
  ASSERT_TRUE(listener.ok());
  std::vector<Client> clients(3);
  for (Client& c : clients) {
    c.socket = *ConnectTcp(loop, (*listener)->local_address(), {}, c.Callbacks());
    ASSERT_TRUE(loop.RunUntil([&] { return (*listener)->stats().accepted + (*listener)->stats().refused_limit ==
                                           static_cast<uint64_t>(&c - clients.data() + 1); },
                              Duration::Seconds(5)));
  }
  EXPECT_EQ((*listener)->stats().accepted, 2u);
  EXPECT_EQ((*listener)->stats().refused_limit, 1u);
  ASSERT_TRUE(loop.RunUntil([&] { return clients[2].closed.has_value(); }, Duration::Seconds(5)));
  // After one closes, a new connection is accepted again.
  server.streams.erase(server.streams.begin());
  Client again;
  again.socket = *ConnectTcp(loop, (*listener)->local_address(), {}, again.Callbacks());
  ASSERT_TRUE(again.socket->Write(Bytes("ok")).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return again.received == "ok"; }, Duration::Seconds(5)));
}

TEST(StreamListener, WriteQueueBackpressure) {
  auto rt = Manual();
  EventLoop& loop = rt->loop(0);
  StreamListenerOptions o = Loopback();
  o.max_write_queue_bytes = 64 * 1024;
  std::unique_ptr<AcceptedStream> accepted;
  bool writable = false;
  auto listener = StreamListener::Listen(loop, o, [&](std::unique_ptr<AcceptedStream> s) {
    accepted = std::move(s);
    StreamCallbacks cb;
    cb.on_writable = [&] { writable = true; };
    accepted->Start(std::move(cb));
  });
  ASSERT_TRUE(listener.ok());
  // A raw client socket with a tiny receive buffer that reads nothing for now.
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons((*listener)->local_address().port());
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  ASSERT_TRUE(loop.RunUntil([&] { return accepted != nullptr && accepted->connected(); }, Duration::Seconds(5)));
  std::vector<uint8_t> chunk(16 * 1024, 0x5a);
  absl::Status last;
  size_t written = 0;
  for (int i = 0; i < 1000 && last.ok(); ++i) {
    last = accepted->Write(chunk);
    if (last.ok()) written += chunk.size();
    loop.Poll(Duration::Zero());
  }
  EXPECT_EQ(last.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_LE(accepted->queued_bytes(), o.max_write_queue_bytes);
  // Drain on the client side; on_writable fires and everything arrives.
  size_t got = 0;
  std::vector<uint8_t> buf(65536);
  ASSERT_TRUE(loop.RunUntil(
      [&] {
        ssize_t n;
        while ((n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT)) > 0) got += static_cast<size_t>(n);
        return writable && got == written;
      },
      Duration::Seconds(10)));
  close(fd);
}

TEST(StreamListener, BadCredentialsAndAddresses) {
  auto rt = Manual();
  EventLoop& loop = rt->loop(0);
  SelfSigned cert("x");
  StreamListenerOptions o = Loopback();
  o.tls = cert.Credentials();
  o.tls->certificate_chain_pem = "not a certificate";
  EXPECT_EQ(StreamListener::Listen(loop, o, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  o.tls = cert.Credentials();
  o.tls->private_key_pem = SelfSigned("y").key_pem;
  EXPECT_EQ(StreamListener::Listen(loop, o, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  o.tls = cert.Credentials();
  o.tls->cipher_list = "NO-SUCH-CIPHER";
  EXPECT_EQ(StreamListener::Listen(loop, o, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  // Names BoringSSL lacks are skipped when something else matches (existing coturn cipher lists).
  o.tls->cipher_list = "NO-SUCH-CIPHER:ECDHE-ECDSA-AES128-GCM-SHA256";
  EXPECT_TRUE(StreamListener::Listen(loop, o, nullptr).ok());
  StreamListenerOptions unset;
  EXPECT_FALSE(StreamListener::Listen(loop, unset, nullptr).ok());
  // The port is taken.
  auto first = StreamListener::Listen(loop, Loopback(), nullptr);
  ASSERT_TRUE(first.ok());
  StreamListenerOptions same = Loopback();
  same.bind = (*first)->local_address();
  same.reuse_address = false;
  EXPECT_FALSE(StreamListener::Listen(loop, same, nullptr).ok());
  auto tcp = StreamListener::Listen(loop, Loopback(), nullptr);
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ((*tcp)->ReloadCredentials(cert.Credentials()).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(StreamListener, ThreadedRuntime) {
  RuntimeOptions opts;
  opts.num_loops = 1;
  auto rt = *Runtime::Create(opts);
  EventLoop& loop = rt->loop(0);
  SelfSigned cert("threaded");
  std::unique_ptr<StreamListener> listener;
  std::unique_ptr<EchoServer> server;
  std::vector<std::unique_ptr<Client>> clients;
  ASSERT_TRUE(loop.RunSync([&] {
    server = std::make_unique<EchoServer>(loop);
    StreamListenerOptions o = Loopback();
    o.tls = cert.Credentials();
    listener = *StreamListener::Listen(loop, o, server->OnAccept());
    for (int i = 0; i < 4; ++i) {
      auto c = std::make_unique<Client>();
      TlsClientOptions co;
      co.verify = TlsVerifyMode::kNone;
      c->socket = *ConnectTls(loop, listener->local_address(), co, c->Callbacks());
      EXPECT_TRUE(c->socket->Write(Bytes("ping" + std::to_string(i))).ok());
      clients.push_back(std::move(c));
    }
  }));
  bool done = false;
  for (int i = 0; i < 500 && !done; ++i) {
    usleep(10000);
    loop.RunSync([&] {
      done = true;
      for (size_t k = 0; k < clients.size(); ++k) done &= clients[k]->received == "ping" + std::to_string(k);
    });
  }
  EXPECT_TRUE(done);
  loop.RunSync([&] {
    clients.clear();
    server.reset();
    listener.reset();
  });
}

}  // namespace
}  // namespace tern
