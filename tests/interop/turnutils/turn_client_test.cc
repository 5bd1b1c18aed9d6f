// tern's own TURN client (tern::ice::TurnClient) against tern-turnserver on 127.0.0.1 over UDP, TCP and
// TLS (a self-signed certificate made here): allocation with REST credentials, the Send-indication path,
// a channel, 200 datagrams of 1..1200 bytes through an echo peer and back byte-exact, deallocation. Policy
// (issue 6 §4): a peer on 127.0.0.1 or 10.0.0.1 is refused with 403 by the default policy; a second
// allocation over the user quota gets 486; expired REST credentials get 401. The metrics scrape shows the
// counters moved. The client side is driven by lib/net (a manual Runtime), the server is the real binary.
#include <signal.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <thread>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "coturn_process.h"
#include "gtest/gtest.h"
#include "server_process.h"
#include "tern/base/random.h"
#include "tern/ice/turn_client.h"
#include "tern/net/runtime.h"
#include "tern/net/stream_socket.h"
#include "tern/net/udp_socket.h"

namespace tern {
namespace {

using ice::TurnClient;
using ice::TurnClientConfig;
using ice::TurnClientState;
using ice::TurnTransport;
using testing::TernServerOptions;
using testing::TernTurnServerProcess;

constexpr Duration kWait = Duration::Seconds(10);

std::unique_ptr<Runtime> ManualRuntime() {
  RuntimeOptions o;
  o.manual = true;
  return *Runtime::Create(o);
}

// A UDP echo peer on 127.0.0.1 served by the test's loop.
class EchoPeer {
 public:
  EchoPeer(EventLoop& loop, Random& random) {
    UdpSocketOptions o;
    o.bind = SocketAddress(IpAddress::LoopbackV4(), 0);
    socket_ = *UdpSocket::Open(loop, o, random, [this](const Datagram& d) {
      senders_.push_back(d.remote);
      (void)socket_->Send(d.remote, d.payload);
    });
  }
  SocketAddress address() const { return socket_->local_address(); }
  const std::vector<SocketAddress>& senders() const { return senders_; }

 private:
  std::unique_ptr<UdpSocket> socket_;
  std::vector<SocketAddress> senders_;
};

// One TurnClient and its transport to the server, on the test's loop.
class Session {
 public:
  Session(EventLoop& loop, TurnTransport transport, const TernTurnServerProcess& server,
          const testing::RestCredentials& credentials)
      : loop_(loop), transport_(transport) {
    server_ = SocketAddress(IpAddress::LoopbackV4(),
                            transport == TurnTransport::kTls ? server.tls_port() : server.port());
    SocketAddress local;
    if (transport == TurnTransport::kUdp) {
      UdpSocketOptions o;
      o.bind = SocketAddress(IpAddress::LoopbackV4(), 0);
      udp_ = *UdpSocket::Open(loop, o, random_, [this](const Datagram& d) { client_->HandleInput(d, loop_.Now()); });
      local = udp_->local_address();
    } else {
      StreamCallbacks cb;
      cb.on_connected = [this] { connected_ = true; };
      cb.on_data = [this](ByteSpan b) { client_->HandleStreamBytes(b, loop_.Now()); };
      cb.on_closed = [this](absl::Status) {
        closed_ = true;
        client_->HandleStreamClosed(loop_.Now());
      };
      TcpClientOptions tcp;
      tcp.bind = SocketAddress(IpAddress::LoopbackV4(), 0);
      if (transport == TurnTransport::kTls) {
        TlsClientOptions tls;
        tls.tcp = tcp;
        tls.verify = TlsVerifyMode::kNone;  // the test's self-signed certificate
        tls.alpn = {"stun.turn"};
        stream_ = *ConnectTls(loop, server_, tls, std::move(cb));
      } else {
        stream_ = *ConnectTcp(loop, server_, tcp, std::move(cb));
      }
      loop.RunUntil([&] { return connected_ || closed_; }, kWait);
      local = stream_->local_address();
    }
    TurnClientConfig c;
    c.server = server_;
    c.local = local;
    c.transport = transport;
    c.username = credentials.username;
    c.password = credentials.password;
    c.software = "tern turnutils test";
    client_ = std::make_unique<TurnClient>(c, random_);
  }

  bool connected() const { return transport_ == TurnTransport::kUdp || (connected_ && !closed_); }
  TurnClient& client() { return *client_; }
  SocketAddress local() const { return udp_ ? udp_->local_address() : stream_->local_address(); }
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

  void Flush() {
    while (std::optional<Transmit> t = client_->PollTransmit()) {
      EXPECT_EQ(t->remote, server_);
      if (udp_) {
        (void)udp_->Send(t->remote, t->payload);
      } else {
        (void)stream_->Write(t->payload);
      }
    }
    while (std::optional<ice::TurnEvent> e = client_->PollEvent()) events_.push_back(std::move(*e));
  }

  bool RunUntil(const std::function<bool()>& done) {
    return loop_.RunUntil(
        [&] {
          if (std::optional<Timestamp> next = client_->NextTimeout(); next && *next <= loop_.Now()) {
            client_->HandleTimeout(loop_.Now());
          }
          Flush();
          return done();
        },
        kWait);
  }

 private:
  EventLoop& loop_;
  TurnTransport transport_;
  SocketAddress server_;
  CryptoRandom random_;
  std::unique_ptr<UdpSocket> udp_;
  std::unique_ptr<StreamSocket> stream_;
  bool connected_ = false;
  bool closed_ = false;
  std::unique_ptr<TurnClient> client_;
  std::vector<ice::TurnEvent> events_;
};

double Metric(const TernTurnServerProcess& s, const std::string& key) {
  const auto m = testing::ParseMetrics(s.ScrapeMetrics());
  auto it = m.find(key);
  return it == m.end() ? -1 : it->second;
}

class TernClientAgainstTernServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    TernServerOptions relay;
    relay.tls = true;
    relay.extra_lines = {"allowed-peer-ip=127.0.0.1"};
    relay_ = TernTurnServerProcess::Start(relay, &error).release();
    if (relay_ == nullptr && error_ == nullptr) error_ = new std::string("relay server: " + error);
    // Default policy (no allow list) and a quota of one allocation per user.
    TernServerOptions strict;
    strict.extra_lines = {"user-quota=1", "total-quota=100"};
    strict_ = TernTurnServerProcess::Start(strict, &error).release();
    if (strict_ == nullptr && error_ == nullptr) error_ = new std::string("strict server: " + error);
  }
  static void TearDownTestSuite() {
    delete relay_;
    delete strict_;
    delete error_;
    relay_ = strict_ = nullptr;
    error_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(error_, nullptr) << *error_; }

  static testing::RestCredentials Credentials(const TernTurnServerProcess& s, std::string_view user,
                                              int64_t valid_for = 3600) {
    return testing::MakeRestCredentials(s.options().secret, user, static_cast<int64_t>(time(nullptr)) + valid_for);
  }

  void Relay(TurnTransport transport) {
    auto rt = ManualRuntime();
    EventLoop& loop = rt->loop(0);
    EchoPeer echo(loop, random_);
    ASSERT_EQ(echo.address().ip(), IpAddress::LoopbackV4());
    const double packets_before = Metric(*relay_, "tern_turn_relayed_packets_total{direction=\"client_to_peer\"}");
    Session s(loop, transport, *relay_, Credentials(*relay_, "tern"));
    ASSERT_TRUE(s.connected());
    ASSERT_EQ(s.local().ip(), IpAddress::LoopbackV4());
    TurnClient& c = s.client();
    ASSERT_TRUE(c.Allocate(loop.Now()).ok());
    ASSERT_TRUE(s.RunUntil([&] { return c.state() != TurnClientState::kAllocating; })) << relay_->Log();
    ASSERT_EQ(c.state(), TurnClientState::kAllocated) << relay_->Log();
    std::vector<ice::TurnAllocated> allocated = s.EventsOf<ice::TurnAllocated>();
    ASSERT_EQ(allocated.size(), 1u);
    ASSERT_EQ(allocated[0].relayed.size(), 1u);
    const SocketAddress relayed = allocated[0].relayed[0];
    EXPECT_EQ(relayed.ip(), IpAddress::LoopbackV4());
    EXPECT_GE(relayed.port(), relay_->min_relay_port());
    EXPECT_LE(relayed.port(), relay_->max_relay_port());
    EXPECT_EQ(allocated[0].mapped, s.local());
    EXPECT_EQ(c.realm(), relay_->options().realm);

    // Send indications (no channel yet).
    const SocketAddress peer = echo.address();
    std::vector<std::vector<uint8_t>> early;
    for (int i = 0; i < 10; ++i) {
      std::vector<uint8_t> p(static_cast<size_t>(1 + i * 97));
      random_.Fill(p);
      ASSERT_TRUE(c.SendTo(peer, p, loop.Now()).ok());
      early.push_back(std::move(p));
    }
    ASSERT_TRUE(s.RunUntil([&] { return s.EventsOf<ice::TurnDataReceived>().size() >= early.size(); }))
        << relay_->Log();
    std::vector<ice::TurnDataReceived> got = s.EventsOf<ice::TurnDataReceived>();
    for (size_t i = 0; i < early.size(); ++i) {
      EXPECT_EQ(got[i].payload, early[i]) << i;
      EXPECT_FALSE(got[i].via_channel);
      EXPECT_EQ(got[i].peer, peer);
    }
    ASSERT_FALSE(echo.senders().empty());
    EXPECT_EQ(echo.senders()[0], relayed) << "the peer sees the relayed address";

    // A channel, then 200 datagrams of 1..1200 bytes, at most 16 in flight.
    ASSERT_TRUE(c.BindChannel(peer, loop.Now()).ok());
    ASSERT_TRUE(s.RunUntil([&] { return s.Has<ice::TurnChannelBound>() || s.Has<ice::TurnChannelBindFailed>(); }));
    ASSERT_TRUE(s.Has<ice::TurnChannelBound>()) << relay_->Log();
    s.events().clear();
    std::vector<std::vector<uint8_t>> sent;
    for (int i = 0; i < 200; ++i) {
      std::vector<uint8_t> p(static_cast<size_t>(1 + (i * 613) % 1200));
      random_.Fill(p);
      sent.push_back(std::move(p));
    }
    sent[1].resize(1200);
    size_t next = 0;
    ASSERT_TRUE(s.RunUntil([&] {
      const size_t received = s.EventsOf<ice::TurnDataReceived>().size();
      while (next < sent.size() && next < received + 16) {
        if (!c.SendTo(peer, sent[next], loop.Now()).ok()) return false;
        ++next;
      }
      return received >= sent.size();
    })) << "received " << s.EventsOf<ice::TurnDataReceived>().size() << " of " << sent.size();
    std::vector<ice::TurnDataReceived> back = s.EventsOf<ice::TurnDataReceived>();
    ASSERT_EQ(back.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
      EXPECT_EQ(back[i].payload, sent[i]) << i;
      EXPECT_TRUE(back[i].via_channel) << i;
    }
    EXPECT_EQ(c.stats().dropped_malformed, 0u);

    c.Close(loop.Now());
    ASSERT_TRUE(s.RunUntil([&] { return c.state() == TurnClientState::kClosed; }));
    std::vector<ice::TurnDeallocated> done = s.EventsOf<ice::TurnDeallocated>();
    ASSERT_EQ(done.size(), 1u);
    EXPECT_TRUE(done[0].acknowledged);
    EXPECT_GE(Metric(*relay_, "tern_turn_relayed_packets_total{direction=\"client_to_peer\"}") - packets_before, 210);
  }

  static TernTurnServerProcess* relay_;
  static TernTurnServerProcess* strict_;
  static std::string* error_;
  CryptoRandom random_;
};

TernTurnServerProcess* TernClientAgainstTernServer::relay_ = nullptr;
TernTurnServerProcess* TernClientAgainstTernServer::strict_ = nullptr;
std::string* TernClientAgainstTernServer::error_ = nullptr;

TEST_F(TernClientAgainstTernServer, RelayOverUdp) { Relay(TurnTransport::kUdp); }
TEST_F(TernClientAgainstTernServer, RelayOverTcp) { Relay(TurnTransport::kTcp); }
TEST_F(TernClientAgainstTernServer, RelayOverTls) { Relay(TurnTransport::kTls); }

TEST_F(TernClientAgainstTernServer, DefaultPolicyRefusesLoopbackAndPrivatePeersWith403) {
  auto rt = ManualRuntime();
  EventLoop& loop = rt->loop(0);
  const double denied_before = Metric(*strict_, "tern_turn_denied_peers_total");
  Session s(loop, TurnTransport::kUdp, *strict_, Credentials(*strict_, "policy"));
  TurnClient& c = s.client();
  ASSERT_TRUE(c.Allocate(loop.Now()).ok());
  ASSERT_TRUE(s.RunUntil([&] { return c.state() != TurnClientState::kAllocating; }));
  ASSERT_EQ(c.state(), TurnClientState::kAllocated) << strict_->Log();
  // CreatePermission sends nothing to the peer itself: no packet ever leaves for 10.0.0.1.
  for (const char* peer : {"127.0.0.1", "10.0.0.1"}) {
    s.events().clear();
    ASSERT_TRUE(c.CreatePermission(*IpAddress::Parse(peer), loop.Now()).ok());
    ASSERT_TRUE(s.RunUntil([&] { return s.Has<ice::TurnPermissionFailed>() || s.Has<ice::TurnPermissionCreated>(); }));
    std::vector<ice::TurnPermissionFailed> failed = s.EventsOf<ice::TurnPermissionFailed>();
    ASSERT_EQ(failed.size(), 1u) << peer;
    EXPECT_EQ(failed[0].error_code, 403) << peer << ": " << failed[0].status;
  }
  EXPECT_GE(Metric(*strict_, "tern_turn_denied_peers_total") - denied_before, 2);
  c.Close(loop.Now());
  ASSERT_TRUE(s.RunUntil([&] { return c.state() == TurnClientState::kClosed; }));
}

TEST_F(TernClientAgainstTernServer, UserQuotaExceededIs486) {
  auto rt = ManualRuntime();
  EventLoop& loop = rt->loop(0);
  const double quota_before = Metric(*strict_, "tern_turn_quota_hits_total");
  const testing::RestCredentials creds = Credentials(*strict_, "quota");
  Session first(loop, TurnTransport::kUdp, *strict_, creds);
  ASSERT_TRUE(first.client().Allocate(loop.Now()).ok());
  ASSERT_TRUE(first.RunUntil([&] { return first.client().state() != TurnClientState::kAllocating; }));
  ASSERT_EQ(first.client().state(), TurnClientState::kAllocated) << strict_->Log();
  Session second(loop, TurnTransport::kUdp, *strict_, creds);
  ASSERT_TRUE(second.client().Allocate(loop.Now()).ok());
  ASSERT_TRUE(second.RunUntil([&] { return second.client().state() != TurnClientState::kAllocating; }));
  std::vector<ice::TurnAllocationFailed> failed = second.EventsOf<ice::TurnAllocationFailed>();
  ASSERT_EQ(failed.size(), 1u) << strict_->Log();
  EXPECT_EQ(failed[0].error_code, 486) << failed[0].status;
  EXPECT_GE(Metric(*strict_, "tern_turn_quota_hits_total") - quota_before, 1);
  // Once the first allocation is gone, the same user may allocate again.
  first.client().Close(loop.Now());
  ASSERT_TRUE(first.RunUntil([&] { return first.client().state() == TurnClientState::kClosed; }));
  Session third(loop, TurnTransport::kUdp, *strict_, creds);
  ASSERT_TRUE(third.client().Allocate(loop.Now()).ok());
  ASSERT_TRUE(third.RunUntil([&] { return third.client().state() != TurnClientState::kAllocating; }));
  EXPECT_EQ(third.client().state(), TurnClientState::kAllocated) << strict_->Log();
  third.client().Close(loop.Now());
  ASSERT_TRUE(third.RunUntil([&] { return third.client().state() == TurnClientState::kClosed; }));
}

TEST_F(TernClientAgainstTernServer, ExpiredRestCredentialsAre401) {
  auto rt = ManualRuntime();
  EventLoop& loop = rt->loop(0);
  const double failures_before = Metric(*strict_, "tern_turn_auth_failures_total");
  for (TurnTransport t : {TurnTransport::kUdp, TurnTransport::kTcp}) {
    Session s(loop, t, *strict_, Credentials(*strict_, "old", -3600));
    ASSERT_TRUE(s.connected());
    ASSERT_TRUE(s.client().Allocate(loop.Now()).ok());
    ASSERT_TRUE(s.RunUntil([&] { return s.client().state() != TurnClientState::kAllocating; }));
    std::vector<ice::TurnAllocationFailed> failed = s.EventsOf<ice::TurnAllocationFailed>();
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].error_code, 401) << failed[0].status;
  }
  EXPECT_GE(Metric(*strict_, "tern_turn_auth_failures_total") - failures_before, 2);
}

TEST_F(TernClientAgainstTernServer, TlsCertificateReloadOnSigusr2) {
  // New certificate files, SIGUSR2, and a new TLS connection still allocates (with the new certificate:
  // the old files are gone, so the server must have re-read them).
  ASSERT_TRUE(testing::WriteSelfSignedCertificate(relay_->dir() / "cert.pem", relay_->dir() / "key.pem"));
  ASSERT_EQ(kill(relay_->pid(), SIGUSR2), 0);
  bool reloaded = false;
  for (int i = 0; i < 250 && !reloaded; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    reloaded = relay_->Log().find("SIGUSR2: TLS certificate reloaded") != std::string::npos;
  }
  ASSERT_TRUE(reloaded) << relay_->Log();
  auto rt = ManualRuntime();
  EventLoop& loop = rt->loop(0);
  Session s(loop, TurnTransport::kTls, *relay_, Credentials(*relay_, "after-reload"));
  ASSERT_TRUE(s.connected());
  ASSERT_TRUE(s.client().Allocate(loop.Now()).ok());
  ASSERT_TRUE(s.RunUntil([&] { return s.client().state() != TurnClientState::kAllocating; }));
  EXPECT_EQ(s.client().state(), TurnClientState::kAllocated) << relay_->Log();
  s.client().Close(loop.Now());
  ASSERT_TRUE(s.RunUntil([&] { return s.client().state() == TurnClientState::kClosed; }));
}

TEST_F(TernClientAgainstTernServer, MetricsEndpoint) {
  int status = 0;
  EXPECT_FALSE(testing::HttpGet(relay_->metrics_port(), "/nope", &status).has_value());
  EXPECT_EQ(status, 404);
  const std::string text = relay_->ScrapeMetrics();
  EXPECT_NE(text.find("# TYPE tern_turn_allocations gauge"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE tern_turn_relayed_packets_total counter"), std::string::npos) << text;
  for (const char* name : {"tern_turn_allocations", "tern_turn_auth_failures_total", "tern_turn_denied_peers_total",
                           "tern_turn_quota_hits_total", "tern_turn_relayed_bytes_total{direction=\"client_to_peer\"}"}) {
    EXPECT_GE(Metric(*relay_, name), 0) << name << "\n" << text;
  }
}

}  // namespace
}  // namespace tern
