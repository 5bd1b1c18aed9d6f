// tern's sans-IO TURN client (tern::ice::TurnClient, RFC 8656) against a real coturn 4.6 on
// 127.0.0.1, over UDP, TCP and TLS: allocation with TURN REST credentials, permissions, the
// Send-indication path, channels, 200 datagrams of 1..1200 bytes relayed to a UDP echo peer and back
// byte-exact, and deallocation (checked by binding the relayed port ourselves afterwards: coturn
// holds it while the allocation lives). A second Allocate on a live 5-tuple gets 437. Also: expired REST
// credentials and a wrong secret fail with 401.
//
// This program is the driver: it owns the sockets (plain POSIX on 127.0.0.1, BoringSSL for TLS) and
// the steady clock; lib/ice sees neither. coturn is killed by pid on every path; every wait is
// bounded by 10 s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "coturn_process.h"
#include "gtest/gtest.h"
#include "tern/base/random.h"
#include "tern/ice/turn_client.h"

namespace tern {
namespace {

using ice::TurnClient;
using ice::TurnClientConfig;
using ice::TurnClientState;
using ice::TurnTransport;
using SteadyClock = std::chrono::steady_clock;
using testing::CoturnProcess;

constexpr auto kWait = std::chrono::seconds(10);

Timestamp SteadyNow() {
  return Timestamp::Micros(
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now().time_since_epoch()).count());
}

sockaddr_in ToSockaddr(const SocketAddress& a) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_addr.s_addr = htonl(a.ip().v4_host_order());
  s.sin_port = htons(a.port());
  return s;
}

SocketAddress FromSockaddr(const sockaddr_in& s) {
  return SocketAddress(IpAddress::V4(ntohl(s.sin_addr.s_addr)), ntohs(s.sin_port));
}

SocketAddress LocalAddressOf(int fd) {
  sockaddr_in s{};
  socklen_t len = sizeof(s);
  getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len);
  return FromSockaddr(s);
}

// A UDP socket bound to 127.0.0.1 (asserted by the tests through local()).
int BindUdpLoopback() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in a = ToSockaddr(SocketAddress(IpAddress::LoopbackV4(), 0));
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Whether a UDP socket can be bound to 127.0.0.1:port right now.
bool CanBindUdp(uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = ToSockaddr(SocketAddress(IpAddress::LoopbackV4(), port));
  bool ok = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

// The peer behind the relay: echoes every datagram back to its sender.
class EchoPeer {
 public:
  EchoPeer() : fd_(BindUdpLoopback()) {}
  ~EchoPeer() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }
  SocketAddress address() const { return LocalAddressOf(fd_); }
  uint64_t echoed() const { return echoed_; }
  const std::vector<SocketAddress>& senders() const { return senders_; }

  void Service() {
    uint8_t buffer[65536];
    for (;;) {
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      ssize_t n = recvfrom(fd_, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) return;
      SocketAddress sender = FromSockaddr(from);
      if (std::find(senders_.begin(), senders_.end(), sender) == senders_.end()) {
        senders_.push_back(sender);
      }
      sendto(fd_, buffer, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
      ++echoed_;
    }
  }

 private:
  int fd_;
  uint64_t echoed_ = 0;
  std::vector<SocketAddress> senders_;
};

// One TURN client and the socket it talks through. The event loop services the echo peer too.
class TurnSession {
 public:
  TurnSession(TurnTransport transport, const CoturnProcess& coturn,
              const testing::RestCredentials& credentials, int reuse_udp_fd = -1)
      : transport_(transport) {
    uint16_t port = transport == TurnTransport::kTls ? coturn.tls_port() : coturn.port();
    server_ = SocketAddress(IpAddress::LoopbackV4(), port);
    if (reuse_udp_fd >= 0) {
      fd_ = reuse_udp_fd;
      owns_fd_ = false;
    } else {
      Connect();
    }
    TurnClientConfig c;
    c.server = server_;
    c.local = fd_ >= 0 ? LocalAddressOf(fd_) : SocketAddress();
    c.transport = transport;
    c.username = credentials.username;
    c.password = credentials.password;
    c.software = "tern interop test";
    client_ = std::make_unique<TurnClient>(c, random_);
  }
  ~TurnSession() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (fd_ >= 0 && owns_fd_) close(fd_);
  }

  bool ok() const { return fd_ >= 0 && error_.empty(); }
  const std::string& error() const { return error_; }
  int fd() const { return fd_; }
  TurnClient& client() { return *client_; }
  SocketAddress local() const { return LocalAddressOf(fd_); }
  std::vector<ice::TurnEvent>& events() { return events_; }

  template <typename T>
  std::vector<T> EventsOf() const {
    std::vector<T> out;
    for (const ice::TurnEvent& e : events_) {
      if (const T* v = std::get_if<T>(&e)) out.push_back(*v);
    }
    return out;
  }
  template <typename T>
  bool Has() const {
    return !EventsOf<T>().empty();
  }

  // Runs the loop until `done` or 10 s; returns whether `done` became true.
  bool RunUntil(const std::function<bool()>& done, EchoPeer* echo) {
    const auto deadline = SteadyClock::now() + kWait;
    for (;;) {
      Flush();
      if (done()) return true;
      if (SteadyClock::now() >= deadline || !error_.empty()) return false;
      int timeout_ms = 20;
      if (std::optional<Timestamp> next = client_->NextTimeout()) {
        int64_t until = (*next - SteadyNow()).ms();
        timeout_ms = static_cast<int>(std::clamp<int64_t>(until, 0, 20));
      }
      if (ssl_ != nullptr && SSL_pending(ssl_) > 0) timeout_ms = 0;
      pollfd fds[2] = {{fd_, POLLIN, 0}, {echo != nullptr ? echo->fd() : -1, POLLIN, 0}};
      poll(fds, 2, timeout_ms);
      if (echo != nullptr) echo->Service();
      if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 ||
          (ssl_ != nullptr && SSL_pending(ssl_) > 0)) {
        Read();
      }
      if (std::optional<Timestamp> next = client_->NextTimeout(); next && *next <= SteadyNow()) {
        client_->HandleTimeout(SteadyNow());
      }
    }
  }

  // Writes every pending transmit and collects events.
  void Flush() {
    while (std::optional<Transmit> t = client_->PollTransmit()) {
      if (t->remote != server_) {
        error_ = "transmit to " + t->remote.ToString() + " instead of the server";
        continue;
      }
      if (transport_ == TurnTransport::kUdp) {
        sockaddr_in to = ToSockaddr(server_);
        sendto(fd_, t->payload.data(), t->payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
      } else {
        WriteAll(t->payload);
      }
    }
    while (std::optional<ice::TurnEvent> e = client_->PollEvent()) events_.push_back(std::move(*e));
  }

 private:
  void Connect() {
    if (transport_ == TurnTransport::kUdp) {
      fd_ = BindUdpLoopback();
      return;
    }
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in local = ToSockaddr(SocketAddress(IpAddress::LoopbackV4(), 0));
    sockaddr_in to = ToSockaddr(server_);
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
        connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
      error_ = "TCP connect failed";
      return;
    }
    if (transport_ != TurnTransport::kTls) return;
    ctx_ = SSL_CTX_new(TLS_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);  // coturn's certificate is self-signed
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) error_ = "TLS handshake failed";
  }

  void WriteAll(const std::vector<uint8_t>& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ssl_ != nullptr ? SSL_write(ssl_, bytes.data() + off, static_cast<int>(bytes.size() - off))
                                  : send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) {
        error_ = "stream write failed";
        return;
      }
      off += static_cast<size_t>(n);
    }
  }

  void Read() {
    uint8_t buffer[65536];
    if (transport_ == TurnTransport::kUdp) {
      for (;;) {
        sockaddr_in from{};
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(fd_, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) return;
        Datagram d;
        d.local = LocalAddressOf(fd_);
        d.remote = FromSockaddr(from);
        d.payload = ByteSpan(buffer, static_cast<size_t>(n));
        client_->HandleInput(d, SteadyNow());
      }
    }
    ssize_t n =
        ssl_ != nullptr ? SSL_read(ssl_, buffer, sizeof(buffer)) : recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      client_->HandleStreamClosed(SteadyNow());
      error_ = "stream closed";
      return;
    }
    client_->HandleStreamBytes(ByteSpan(buffer, static_cast<size_t>(n)), SteadyNow());
  }

  TurnTransport transport_;
  SocketAddress server_;
  int fd_ = -1;
  bool owns_fd_ = true;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string error_;
  CryptoRandom random_;
  std::unique_ptr<TurnClient> client_;
  std::vector<ice::TurnEvent> events_;
};

class CoturnInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    coturn_ = CoturnProcess::Start(testing::CoturnOptions(), &error).release();
    if (coturn_ == nullptr) start_error_ = new std::string(error);
  }
  static void TearDownTestSuite() {
    delete coturn_;
    coturn_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(coturn_, nullptr) << (start_error_ != nullptr ? *start_error_ : "");
    ASSERT_TRUE(coturn_->Running()) << coturn_->Log();
  }

  static testing::RestCredentials Credentials(int64_t valid_for_seconds = 3600,
                                              std::string_view secret = "") {
    return testing::MakeRestCredentials(secret.empty() ? coturn_->options().secret : secret, "tern",
                                        static_cast<int64_t>(time(nullptr)) + valid_for_seconds);
  }

  // Allocation, then the Send-indication path, a channel, 200 datagrams both ways, deallocation.
  void RelayThroughCoturn(TurnTransport transport) {
    EchoPeer echo;
    ASSERT_EQ(echo.address().ip(), IpAddress::LoopbackV4());
    TurnSession s(transport, *coturn_, Credentials());
    ASSERT_TRUE(s.ok()) << s.error();
    ASSERT_EQ(s.local().ip(), IpAddress::LoopbackV4());
    TurnClient& c = s.client();

    ASSERT_TRUE(c.Allocate(SteadyNow()).ok());
    ASSERT_TRUE(s.RunUntil([&] { return c.state() != TurnClientState::kAllocating; }, &echo))
        << coturn_->Log();
    ASSERT_EQ(c.state(), TurnClientState::kAllocated) << coturn_->Log();
    std::vector<ice::TurnAllocated> allocated = s.EventsOf<ice::TurnAllocated>();
    ASSERT_EQ(allocated.size(), 1u);
    ASSERT_EQ(allocated[0].relayed.size(), 1u);
    const SocketAddress relayed = allocated[0].relayed[0];
    EXPECT_EQ(relayed.ip(), IpAddress::LoopbackV4());
    EXPECT_GE(relayed.port(), coturn_->min_relay_port());
    EXPECT_LE(relayed.port(), coturn_->max_relay_port());
    EXPECT_EQ(allocated[0].mapped, s.local()) << "XOR-MAPPED-ADDRESS is our socket";
    EXPECT_GT(allocated[0].lifetime, Duration::Zero());
    EXPECT_EQ(c.realm(), coturn_->options().realm);

    // The Send-indication path: no channel yet; SendTo creates the permission first.
    const SocketAddress peer = echo.address();
    Random& rng = random_;
    std::vector<std::vector<uint8_t>> early;
    for (int i = 0; i < 10; ++i) {
      std::vector<uint8_t> p(static_cast<size_t>(1 + i * 97));
      rng.Fill(p);
      ASSERT_TRUE(c.SendTo(peer, p, SteadyNow()).ok());
      early.push_back(std::move(p));
    }
    ASSERT_TRUE(s.RunUntil([&] { return s.EventsOf<ice::TurnDataReceived>().size() >= 10; }, &echo))
        << "Send indications were not relayed; echoed " << echo.echoed() << "\n"
        << coturn_->Log();
    EXPECT_TRUE(s.Has<ice::TurnPermissionCreated>());
    std::vector<ice::TurnDataReceived> got = s.EventsOf<ice::TurnDataReceived>();
    for (size_t i = 0; i < early.size(); ++i) {
      EXPECT_EQ(got[i].payload, early[i]) << i;
      EXPECT_FALSE(got[i].via_channel) << "coturn answers with Data indications without a channel";
      EXPECT_EQ(got[i].peer, peer);
      EXPECT_EQ(got[i].relayed, relayed);
    }
    ASSERT_EQ(echo.senders().size(), 1u);
    EXPECT_EQ(echo.senders()[0], relayed) << "the peer sees the relayed address";

    // A channel, then 200 datagrams of 1..1200 bytes with at most 16 in flight.
    absl::StatusOr<uint16_t> channel = c.BindChannel(peer, SteadyNow());
    ASSERT_TRUE(channel.ok());
    ASSERT_TRUE(s.RunUntil(
        [&] { return s.Has<ice::TurnChannelBound>() || s.Has<ice::TurnChannelBindFailed>(); }, &echo));
    ASSERT_TRUE(s.Has<ice::TurnChannelBound>()) << coturn_->Log();
    EXPECT_EQ(c.BoundChannel(peer), *channel);
    s.events().clear();

    constexpr int kCount = 200;
    std::vector<std::vector<uint8_t>> sent;
    for (int i = 0; i < kCount; ++i) {
      std::vector<uint8_t> p(static_cast<size_t>(1 + (i * 613) % 1200));
      rng.Fill(p);
      sent.push_back(std::move(p));
    }
    sent[0].resize(1);
    sent[1].resize(1200);
    size_t next = 0;
    ASSERT_TRUE(s.RunUntil(
        [&] {
          size_t received = s.EventsOf<ice::TurnDataReceived>().size();
          while (next < sent.size() && next < received + 16) {
            if (!c.SendTo(peer, sent[next], SteadyNow()).ok()) return false;
            ++next;
          }
          s.Flush();
          return received >= sent.size();
        },
        &echo))
        << "received " << s.EventsOf<ice::TurnDataReceived>().size() << " of " << kCount;
    std::vector<ice::TurnDataReceived> back = s.EventsOf<ice::TurnDataReceived>();
    ASSERT_EQ(back.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
      EXPECT_EQ(back[i].payload, sent[i]) << i;
      EXPECT_TRUE(back[i].via_channel) << i;
      EXPECT_EQ(back[i].peer, peer);
    }
    EXPECT_EQ(c.stats().channel_data_sent, static_cast<uint64_t>(kCount));
    EXPECT_EQ(c.stats().dropped_malformed, 0u);
    EXPECT_EQ(c.stats().dropped_bad_integrity, 0u);

    // Deallocation, acknowledged by an authenticated success.
    EXPECT_FALSE(CanBindUdp(relayed.port())) << "coturn holds the relayed port";
    c.Close(SteadyNow());
    ASSERT_TRUE(s.RunUntil([&] { return c.state() == TurnClientState::kClosed; }, &echo));
    std::vector<ice::TurnDeallocated> done = s.EventsOf<ice::TurnDeallocated>();
    ASSERT_EQ(done.size(), 1u);
    EXPECT_TRUE(done[0].acknowledged);

    // The allocation is really gone: coturn closed the relayed socket, so its port can be bound
    // again (it could not while the allocation lived, checked above).
    const auto deadline = SteadyClock::now() + kWait;
    while (!CanBindUdp(relayed.port()) && SteadyClock::now() < deadline) usleep(20000);
    EXPECT_TRUE(CanBindUdp(relayed.port())) << coturn_->Log();
  }

  static CoturnProcess* coturn_;
  static std::string* start_error_;
  CryptoRandom random_;
};

CoturnProcess* CoturnInterop::coturn_ = nullptr;
std::string* CoturnInterop::start_error_ = nullptr;

TEST_F(CoturnInterop, RelayOverUdp) { RelayThroughCoturn(TurnTransport::kUdp); }
TEST_F(CoturnInterop, RelayOverTcp) { RelayThroughCoturn(TurnTransport::kTcp); }
TEST_F(CoturnInterop, RelayOverTls) { RelayThroughCoturn(TurnTransport::kTls); }

TEST_F(CoturnInterop, AllocationMismatchOnSameFiveTuple) {
  EchoPeer echo;
  TurnSession first(TurnTransport::kUdp, *coturn_, Credentials());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first.client().Allocate(SteadyNow()).ok());
  ASSERT_TRUE(first.RunUntil([&] { return first.client().state() != TurnClientState::kAllocating; }, &echo));
  ASSERT_EQ(first.client().state(), TurnClientState::kAllocated);
  TurnSession second(TurnTransport::kUdp, *coturn_, Credentials(), first.fd());
  ASSERT_TRUE(second.client().Allocate(SteadyNow()).ok());
  ASSERT_TRUE(
      second.RunUntil([&] { return second.client().state() != TurnClientState::kAllocating; }, &echo));
  std::vector<ice::TurnAllocationFailed> failed = second.EventsOf<ice::TurnAllocationFailed>();
  ASSERT_EQ(failed.size(), 1u) << coturn_->Log();
  EXPECT_EQ(failed[0].error_code, 437) << failed[0].status;
  first.client().Close(SteadyNow());
  ASSERT_TRUE(first.RunUntil([&] { return first.client().state() == TurnClientState::kClosed; }, &echo));
}

TEST_F(CoturnInterop, ExpiredRestCredentialsFailWith401) {
  for (TurnTransport transport : {TurnTransport::kUdp, TurnTransport::kTcp}) {
    TurnSession s(transport, *coturn_, Credentials(-3600));
    ASSERT_TRUE(s.ok()) << s.error();
    ASSERT_TRUE(s.client().Allocate(SteadyNow()).ok());
    ASSERT_TRUE(s.RunUntil([&] { return s.client().state() != TurnClientState::kAllocating; }, nullptr));
    std::vector<ice::TurnAllocationFailed> failed = s.EventsOf<ice::TurnAllocationFailed>();
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].error_code, 401) << failed[0].status;
    EXPECT_EQ(failed[0].status.code(), absl::StatusCode::kUnauthenticated);
  }
}

TEST_F(CoturnInterop, WrongSecretFailsWith401) {
  for (TurnTransport transport : {TurnTransport::kUdp, TurnTransport::kTls}) {
    TurnSession s(transport, *coturn_, Credentials(3600, "not-the-secret"));
    ASSERT_TRUE(s.ok()) << s.error();
    ASSERT_TRUE(s.client().Allocate(SteadyNow()).ok());
    ASSERT_TRUE(s.RunUntil([&] { return s.client().state() != TurnClientState::kAllocating; }, nullptr));
    std::vector<ice::TurnAllocationFailed> failed = s.EventsOf<ice::TurnAllocationFailed>();
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].error_code, 401) << failed[0].status;
  }
}

TEST_F(CoturnInterop, RefreshAndPermissionRefreshAreAccepted) {
  // Refresh and CreatePermission again on a live allocation (what the timers do, minutes apart).
  EchoPeer echo;
  TurnSession s(TurnTransport::kUdp, *coturn_, Credentials());
  ASSERT_TRUE(s.ok());
  TurnClient& c = s.client();
  ASSERT_TRUE(c.Allocate(SteadyNow()).ok());
  ASSERT_TRUE(s.RunUntil([&] { return c.state() != TurnClientState::kAllocating; }, &echo));
  ASSERT_EQ(c.state(), TurnClientState::kAllocated);
  // Drive the timers by lying about the time: the client is sans-IO, so "10 minutes later" is an
  // argument. coturn sees the requests right away.
  Timestamp later = SteadyNow() + Duration::Seconds(541);
  ASSERT_TRUE(c.CreatePermission(echo.address().ip(), SteadyNow()).ok());
  ASSERT_TRUE(s.RunUntil([&] { return s.Has<ice::TurnPermissionCreated>(); }, &echo));
  c.HandleTimeout(later);
  ASSERT_TRUE(s.RunUntil([&] { return s.Has<ice::TurnRefreshed>() || s.Has<ice::TurnError>(); }, &echo));
  ASSERT_TRUE(s.Has<ice::TurnRefreshed>()) << coturn_->Log();
  EXPECT_EQ(c.state(), TurnClientState::kAllocated);
  c.Close(SteadyNow());
  ASSERT_TRUE(s.RunUntil([&] { return c.state() == TurnClientState::kClosed; }, &echo));
}

}  // namespace
}  // namespace tern
