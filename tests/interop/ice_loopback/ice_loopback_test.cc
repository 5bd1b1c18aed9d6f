// Two tern ICE agents on the real runtime (tern::Runtime, epoll, tern::UdpSocket on 127.0.0.1, one
// tern::SansIoDriver each) connect over loopback and carry application data byte-exact both ways:
//  - directly (host candidates), one agent controlling and the other controlled, and both configured
//    controlling (the role conflict of RFC 8445 §7.3.1.1 is resolved on real sockets);
//  - relay-only through a real coturn (REST credentials, `allow-loopback-peers`): each agent's
//    TurnClient allocates on the agent's own socket (ice::IceTurnMux), the relayed address becomes the
//    only candidate signaled, the selected pair is relay ↔ relay, and the data goes through coturn on
//    a channel once bound (RFC 8656 §11).
// Every gathered candidate is asserted to be on 127.0.0.1; every wait is bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <functional>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "interop/ice_loopback/loopback_ice_peer.h"
#include "interop/coturn/coturn_process.h"
#include "tern/base/random.h"
#include "tern/ice/turn_rest_credentials.h"
#include "tern/net/runtime.h"
#include "tern/net/udp_socket.h"
#include "tern/stun/stun.h"

namespace tern::ice::testing {
namespace {

constexpr Duration kWait = Duration::Seconds(10);

// Passes each side's credentials and (filtered) candidates to the other through posted tasks, as an
// asynchronous signaling channel would.
void Wire(EventLoop& loop, LoopbackIcePeer& from, LoopbackIcePeer& to,
          std::function<bool(const Candidate&)> filter, std::vector<std::string>* errors) {
  from.on_candidate = [&loop, &to, filter, errors](const Candidate& c) {
    if (filter && !filter(c)) return;
    loop.Post([&to, c, errors] {
      if (absl::Status s = to.AddRemoteCandidate(c); !s.ok()) errors->push_back(s.ToString());
    });
  };
  from.on_end_of_candidates = [&loop, &to] { loop.Post([&to] { to.SetRemoteEndOfCandidates(); }); };
}

// The peer's relayed address is signaled as a relay candidate, but when the peer's first check (sent
// from that address through coturn) wins the race against the trickled candidate, the agent learns
// it as peer-reflexive first (RFC 8445 §7.3.1.3). Either names the same address.
bool RelayOrLearned(CandidateType type) {
  return type == CandidateType::kRelay || type == CandidateType::kPeerReflexive;
}

void ExpectLoopbackOnly(const LoopbackIcePeer& peer, const std::string& name) {
  ASSERT_FALSE(peer.gathered().empty()) << name;
  for (const Candidate& c : peer.gathered()) {
    EXPECT_EQ(c.address.ip(), IpAddress::LoopbackV4()) << name << ": " << SerializeCandidate(c);
    if (c.related_address.is_set()) {
      EXPECT_TRUE(c.related_address.ip() == IpAddress::LoopbackV4() ||
                  c.related_address.ip().IsUnspecified())
          << name << ": " << SerializeCandidate(c);
    }
  }
  EXPECT_EQ(peer.socket_address().ip(), IpAddress::LoopbackV4()) << name;
}

std::vector<std::vector<uint8_t>> MakePayloads(Random& random, int count, uint8_t tag) {
  std::vector<std::vector<uint8_t>> out;
  for (int i = 0; i < count; ++i) {
    std::vector<uint8_t> p(static_cast<size_t>(1 + (i * 467) % 1200));
    random.Fill(p);
    out.push_back(std::move(p));
  }
  out[0] = {tag};
  out[1].assign(1200, tag);
  // A first byte in the STUN range (0..3, RFC 7983) without the magic cookie is still data.
  out[2][0] = 0x01;
  return out;
}

// Sends `count` payloads each way with at most `window` in flight per direction and checks that each
// side received exactly what the other sent, in order.
void ExchangeData(EventLoop& loop, Random& random, LoopbackIcePeer& a, LoopbackIcePeer& b, int count,
                  size_t window) {
  const std::vector<std::vector<uint8_t>> from_a = MakePayloads(random, count, 0xA1);
  const std::vector<std::vector<uint8_t>> from_b = MakePayloads(random, count, 0xB2);
  const size_t a_base = b.received().size();
  const size_t b_base = a.received().size();
  size_t a_next = 0, b_next = 0;
  std::string send_error;
  bool done = loop.RunUntil(
      [&] {
        while (a_next < from_a.size() && a_next < b.received().size() - a_base + window) {
          if (absl::Status s = a.Send(from_a[a_next]); !s.ok()) send_error = s.ToString();
          ++a_next;
        }
        while (b_next < from_b.size() && b_next < a.received().size() - b_base + window) {
          if (absl::Status s = b.Send(from_b[b_next]); !s.ok()) send_error = s.ToString();
          ++b_next;
        }
        return !send_error.empty() || (b.received().size() - a_base >= from_a.size() &&
                                       a.received().size() - b_base >= from_b.size());
      },
      kWait);
  ASSERT_TRUE(send_error.empty()) << send_error;
  ASSERT_TRUE(done) << "a received " << a.received().size() - b_base << " of " << from_b.size() << ", b received "
                    << b.received().size() - a_base << " of " << from_a.size();
  ASSERT_EQ(b.received().size() - a_base, from_a.size());
  ASSERT_EQ(a.received().size() - b_base, from_b.size());
  for (size_t i = 0; i < from_a.size(); ++i) EXPECT_EQ(b.received()[a_base + i], from_a[i]) << "a->b " << i;
  for (size_t i = 0; i < from_b.size(); ++i) EXPECT_EQ(a.received()[b_base + i], from_b[i]) << "b->a " << i;
}

class IceLoopback : public ::testing::Test {
 protected:
  void SetUp() override {
    RuntimeOptions options;
    options.manual = true;  // this thread is the loop thread
    absl::StatusOr<std::unique_ptr<Runtime>> runtime = Runtime::Create(options);
    ASSERT_TRUE(runtime.ok()) << runtime.status();
    runtime_ = std::move(*runtime);
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    runtime_.reset();
  }
  EventLoop& loop() { return runtime_->loop(0); }

  // Creates both peers, wires signaling (credentials first, synchronously), starts them.
  void StartPair(LoopbackIcePeerOptions a_options, LoopbackIcePeerOptions b_options,
                 std::function<bool(const Candidate&)> filter = nullptr) {
    a_ = std::make_unique<LoopbackIcePeer>(loop(), random_, std::move(a_options));
    b_ = std::make_unique<LoopbackIcePeer>(loop(), random_, std::move(b_options));
    Wire(loop(), *a_, *b_, filter, &signaling_errors_);
    Wire(loop(), *b_, *a_, filter, &signaling_errors_);
    ASSERT_TRUE(a_->Start().ok());
    ASSERT_TRUE(b_->Start().ok());
    ASSERT_TRUE(a_->SetRemoteCredentials(b_->agent().local_credentials()).ok());
    ASSERT_TRUE(b_->SetRemoteCredentials(a_->agent().local_credentials()).ok());
  }

  bool RunUntilConnected() {
    return loop().RunUntil([&] { return (a_->connected() && b_->connected()) || a_->failed() || b_->failed(); },
                           kWait) &&
           a_->connected() && b_->connected();
  }

  std::unique_ptr<Runtime> runtime_;
  CryptoRandom random_;
  std::unique_ptr<LoopbackIcePeer> a_;
  std::unique_ptr<LoopbackIcePeer> b_;
  std::vector<std::string> signaling_errors_;
};

TEST_F(IceLoopback, HostCandidatesConnectAndCarryDataBothWays) {
  StartPair({.role = IceRole::kControlling}, {.role = IceRole::kControlled});
  ASSERT_TRUE(RunUntilConnected()) << "a " << IceConnectionStateName(a_->state()) << ", b "
                                   << IceConnectionStateName(b_->state());
  EXPECT_TRUE(signaling_errors_.empty()) << signaling_errors_[0];
  ExpectLoopbackOnly(*a_, "a");
  ExpectLoopbackOnly(*b_, "b");

  // The selected pair is the two sockets, host ↔ host, the same on both sides.
  std::optional<IceCandidatePair> pa = a_->agent().selected_pair();
  std::optional<IceCandidatePair> pb = b_->agent().selected_pair();
  ASSERT_TRUE(pa.has_value() && pb.has_value());
  EXPECT_EQ(pa->local.type, CandidateType::kHost);
  EXPECT_EQ(pa->remote.type, CandidateType::kHost);
  EXPECT_EQ(pa->local_base, a_->socket_address());
  EXPECT_EQ(pa->remote.address, b_->socket_address());
  EXPECT_EQ(pb->local_base, b_->socket_address());
  EXPECT_EQ(pb->remote.address, a_->socket_address());
  EXPECT_EQ(a_->agent().role(), IceRole::kControlling);
  EXPECT_EQ(b_->agent().role(), IceRole::kControlled);
  EXPECT_EQ(a_->agent().stats().role_conflicts + b_->agent().stats().role_conflicts, 0u);

  ExchangeData(loop(), random_, *a_, *b_, 200, 16);
  EXPECT_TRUE(a_->errors().empty()) << a_->errors()[0];
  EXPECT_TRUE(b_->errors().empty()) << b_->errors()[0];
  // Nothing was dropped as unauthenticated or unparsable on a clean loopback.
  for (LoopbackIcePeer* p : {a_.get(), b_.get()}) {
    EXPECT_EQ(p->agent().stats().dropped_unauthenticated, 0u);
    EXPECT_EQ(p->agent().stats().dropped_bad_stun, 0u);
    EXPECT_EQ(p->agent().stats().dropped_unknown_local, 0u);
  }
}

TEST_F(IceLoopback, ControlledSideInitiatingDataWorksToo) {
  // The controlled agent is started first and sends first.
  StartPair({.role = IceRole::kControlled}, {.role = IceRole::kControlling});
  ASSERT_TRUE(RunUntilConnected());
  EXPECT_EQ(a_->agent().role(), IceRole::kControlled);
  ExchangeData(loop(), random_, *a_, *b_, 50, 8);
}

TEST_F(IceLoopback, RoleConflictResolvesOnRealSockets) {
  StartPair({.role = IceRole::kControlling}, {.role = IceRole::kControlling});
  ASSERT_TRUE(RunUntilConnected());
  EXPECT_NE(a_->agent().role(), b_->agent().role());
  EXPECT_GE(a_->agent().stats().role_conflicts + b_->agent().stats().role_conflicts, 1u);
  ExchangeData(loop(), random_, *a_, *b_, 20, 8);
}

TEST_F(IceLoopback, LiteServerAndFullClient) {
  StartPair({.role = IceRole::kControlling}, {.role = IceRole::kControlled, .mode = IceMode::kLite});
  a_->agent().SetRemoteLite(true);
  ASSERT_TRUE(RunUntilConnected());
  EXPECT_EQ(b_->agent().mode(), IceMode::kLite);
  ExchangeData(loop(), random_, *a_, *b_, 50, 8);
}

// A TURN "server" on 127.0.0.1 TCP that answers the first Allocate with bad framing: a truncated
// frame and then EOF, or bytes that are no STUN/ChannelData frame at all (no magic cookie), or a
// ChannelData frame for a channel never bound. Runs on its own thread; everything bounded by poll
// timeouts.
class HostileTcpTurnServer {
 public:
  enum class Mode { kTruncatedThenClose, kNotStun, kUnknownChannelThenClose };
  explicit HostileTcpTurnServer(Mode mode) : mode_(mode) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        listen(listen_fd_, 4) != 0 || getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~HostileTcpTurnServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) close(listen_fd_);
  }
  SocketAddress address() const { return SocketAddress(IpAddress::LoopbackV4(), port_); }
  bool requests_seen() const { return requests_seen_; }

 private:
  void Serve() {
    int conn = -1;
    while (!stop_ && conn < 0) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) == 1) conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    }
    if (conn < 0) return;
    uint8_t buffer[2048];
    while (!stop_) {
      pollfd p{conn, POLLIN, 0};
      if (poll(&p, 1, 20) != 1) continue;
      if (recv(conn, buffer, sizeof(buffer), 0) <= 0) break;
      requests_seen_ = true;
      std::vector<uint8_t> reply;
      switch (mode_) {
        case Mode::kTruncatedThenClose:
          // A 401 header announcing 96 bytes of attributes, then only 8 of them.
          reply = {0x01, 0x13, 0x00, 0x60, 0x21, 0x12, 0xA4, 0x42};
          reply.insert(reply.end(), buffer + 8, buffer + 20);  // the request's transaction id
          reply.insert(reply.end(), {0x00, 0x09, 0x00, 0x10, 0x00, 0x00, 0x04, 0x01});
          break;
        case Mode::kNotStun:
          reply.assign(64, 0x7E);
          break;
        case Mode::kUnknownChannelThenClose:
          reply = {0x40, 0x01, 0x00, 0x04, 'j', 'u', 'n', 'k'};
          break;
      }
      send(conn, reply.data(), reply.size(), MSG_NOSIGNAL);
      if (mode_ != Mode::kNotStun) break;  // EOF after the reply
    }
    close(conn);
  }

  Mode mode_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> requests_seen_{false};
};

// A TURN server that breaks the TCP framing must not take the agent down with it: the TURN client
// fails cleanly (bounded buffer), the allocation counts as done so gathering completes, and the agent
// still connects on its host candidate and carries data. The loop keeps running timers on time.
TEST_F(IceLoopback, BrokenTurnFramingOverTcpFailsTheAllocationNotTheAgent) {
  for (HostileTcpTurnServer::Mode mode :
       {HostileTcpTurnServer::Mode::kTruncatedThenClose, HostileTcpTurnServer::Mode::kNotStun,
        HostileTcpTurnServer::Mode::kUnknownChannelThenClose}) {
    SCOPED_TRACE(static_cast<int>(mode));
    HostileTcpTurnServer server(mode);
    ASSERT_NE(server.address().port(), 0);
    LoopbackIcePeerOptions with_turn{.role = IceRole::kControlling};
    with_turn.turn_server = server.address();
    with_turn.turn_transport = TurnTransport::kTcp;
    with_turn.turn_username = "user";
    with_turn.turn_password = "pass";
    StartPair(std::move(with_turn), {.role = IceRole::kControlled});
    ASSERT_TRUE(loop().RunUntil(
        [&] {
          TurnClientState s = a_->turn()->state();
          return s == TurnClientState::kFailed || s == TurnClientState::kAllocated;
        },
        kWait))
        << TurnClientStateName(a_->turn()->state());
    EXPECT_TRUE(server.requests_seen());
    EXPECT_EQ(a_->turn()->state(), TurnClientState::kFailed);
    EXPECT_LE(a_->turn()->stream_buffer_size(), a_->turn()->config().max_stream_frame_size);
    bool allocation_failed = false;
    for (const TurnEvent& e : a_->turn_events()) {
      allocation_failed |= std::holds_alternative<TurnAllocationFailed>(e) || std::holds_alternative<TurnError>(e);
    }
    EXPECT_TRUE(allocation_failed);
    // Gathering completed without a relay candidate, and the host path works.
    ASSERT_TRUE(RunUntilConnected());
    EXPECT_EQ(a_->agent().gathering_state(), IceGatheringState::kComplete);
    for (const Candidate& c : a_->gathered()) EXPECT_NE(c.type, CandidateType::kRelay);
    EXPECT_EQ(a_->agent().selected_pair()->local.type, CandidateType::kHost);
    ExchangeData(loop(), random_, *a_, *b_, 20, 8);
    // The loop is not stalled: a 20 ms timer fires within a bounded time.
    bool fired = false;
    const Timestamp armed = loop().Now();
    loop().RunAfter(Duration::Millis(20), [&] { fired = true; });
    ASSERT_TRUE(loop().RunUntil([&] { return fired; }, Duration::Seconds(2)));
    EXPECT_LT(loop().Now() - armed, Duration::Millis(500));
    a_.reset();
    b_.reset();
  }
}

// Bad input on real sockets: while two agents are connected, 16 attacker sockets on 127.0.0.1 send
// 4800 datagrams at one of them — Binding requests for its ufrag with a wrong password, requests with
// an unknown ufrag, responses with unknown transaction ids, and random bytes. Every burst is read and
// dropped within the bound (the loop never stalls), nothing is allocated for it, the connection stays
// up, and data still goes through byte-exact afterwards.
TEST_F(IceLoopback, FloodFromUnknownAddressesIsDroppedWithoutStallingTheLoop) {
  StartPair({.role = IceRole::kControlling}, {.role = IceRole::kControlled});
  ASSERT_TRUE(RunUntilConnected());
  ExchangeData(loop(), random_, *a_, *b_, 10, 8);
  const size_t pairs = b_->agent().pair_count();
  const size_t remotes = b_->agent().remote_candidate_count();
  const IceAgentStats before = b_->agent().stats();
  const IceAgentStats peer_before = a_->agent().stats();

  std::vector<std::unique_ptr<UdpSocket>> attackers;
  for (int i = 0; i < 16; ++i) {
    UdpSocketOptions o;
    o.bind = SocketAddress(IpAddress::LoopbackV4(), 0);
    absl::StatusOr<std::unique_ptr<UdpSocket>> s = UdpSocket::Open(loop(), o, random_, [](const Datagram&) {});
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_EQ((*s)->local_address().ip(), IpAddress::LoopbackV4());
    attackers.push_back(std::move(*s));
  }
  const std::string target_ufrag = b_->agent().local_credentials().ufrag;
  auto forged = [&](int i) {
    std::vector<uint8_t> buffer(512);
    stun::TransactionId id;
    random_.Fill(std::span<uint8_t>(id.bytes));
    const bool request = i % 4 != 2;
    stun::MessageBuilder m(buffer,
                           {request ? stun::MessageClass::kRequest : stun::MessageClass::kSuccessResponse,
                            stun::method::kBinding},
                           id);
    if (request) {
      m.AddText(stun::attr::kUsername, (i % 4 == 0 ? target_ufrag : std::string("nobody")) + ":evil");
      m.AddU32(stun::attr::kPriority, 1862270975);
      m.AddU64(stun::attr::kIceControlling, random_.NextU64());
      if (i % 8 == 0) m.AddFlag(stun::attr::kUseCandidate);
    } else {
      m.AddXorAddress(stun::attr::kXorMappedAddress, SocketAddress(IpAddress::LoopbackV4(), 9));
    }
    stun::IntegrityKey wrong = stun::IntegrityKey::ShortTerm("not-the-password-0123456789");
    absl::StatusOr<ByteSpan> wire = m.Finish({.integrity = &wrong, .fingerprint = true});
    buffer.resize(wire.ok() ? wire->size() : 0);
    return buffer;
  };

  constexpr int kRounds = 50, kPerRound = 96;
  uint64_t sent = 0;
  for (int round = 0; round < kRounds; ++round) {
    const uint64_t received_before = b_->socket_stats().datagrams_received;
    for (int i = 0; i < kPerRound; ++i) {
      std::vector<uint8_t> p;
      if (i % 5 == 4) {
        p.resize(1 + random_.NextU64() % 300);
        random_.Fill(p);
      } else {
        p = forged(i);
      }
      ASSERT_FALSE(p.empty());
      ASSERT_TRUE(attackers[static_cast<size_t>(i) % attackers.size()]->Send(b_->socket_address(), p).ok());
      ++sent;
    }
    for (auto& s : attackers) s->Flush();
    // The whole burst is read within a bounded time (loopback drops nothing at this rate).
    ASSERT_TRUE(loop().RunUntil(
        [&] { return b_->socket_stats().datagrams_received >= received_before + kPerRound; }, kWait))
        << "round " << round << ": the loop did not read the burst";
  }
  const IceAgentStats& after = b_->agent().stats();
  const uint64_t dropped = (after.dropped_not_stun - before.dropped_not_stun) +
                           (after.dropped_bad_stun - before.dropped_bad_stun) +
                           (after.dropped_rate_limited - before.dropped_rate_limited) +
                           (after.dropped_unauthenticated - before.dropped_unauthenticated) +
                           (after.dropped_unknown_transaction - before.dropped_unknown_transaction);
  EXPECT_EQ(dropped, sent) << "every flooded datagram is dropped and counted";
  EXPECT_GT(after.dropped_rate_limited, before.dropped_rate_limited) << "the token bucket kicked in";
  // Only the real peer's checks (consent) were answered.
  const IceAgentStats& peer = a_->agent().stats();
  EXPECT_LE(after.responses_sent - before.responses_sent,
            (peer.consent_checks_sent - peer_before.consent_checks_sent) +
                (peer.checks_sent - peer_before.checks_sent) + (peer.retransmissions - peer_before.retransmissions))
      << "a forged check was answered";
  EXPECT_EQ(b_->agent().pair_count(), pairs);
  EXPECT_EQ(b_->agent().remote_candidate_count(), remotes);
  EXPECT_TRUE(b_->connected());
  EXPECT_EQ(b_->agent().selected_pair()->remote.address, a_->socket_address());
  ExchangeData(loop(), random_, *a_, *b_, 100, 16);
  attackers.clear();
}

// ---- Relay-only through coturn --------------------------------------------------------------------

class IceThroughCoturn : public IceLoopback {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    coturn_ = tern::testing::CoturnProcess::Start(tern::testing::CoturnOptions(), &error).release();
    if (coturn_ == nullptr) start_error_ = new std::string(error);
  }
  static void TearDownTestSuite() {
    delete coturn_;  // kills turnserver by pid
    coturn_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(coturn_, nullptr) << (start_error_ != nullptr ? *start_error_ : "");
    ASSERT_TRUE(coturn_->Running()) << coturn_->Log();
    IceLoopback::SetUp();
  }

  LoopbackIcePeerOptions RelayOnly(IceRole role, std::string_view user,
                                   TurnTransport transport = TurnTransport::kUdp) {
    TurnRestCredentials credentials = MakeTurnRestCredentials(
        coturn_->options().secret, user, static_cast<int64_t>(time(nullptr)) + 3600);
    LoopbackIcePeerOptions o;
    o.role = role;
    o.host_candidate = false;
    o.turn_server = SocketAddress(IpAddress::LoopbackV4(),
                                  transport == TurnTransport::kTls ? coturn_->tls_port() : coturn_->port());
    o.turn_transport = transport;
    o.turn_username = credentials.username;
    o.turn_password = credentials.password;
    return o;
  }

  static tern::testing::CoturnProcess* coturn_;
  static std::string* start_error_;
};

tern::testing::CoturnProcess* IceThroughCoturn::coturn_ = nullptr;
std::string* IceThroughCoturn::start_error_ = nullptr;

TEST_F(IceThroughCoturn, RelayOnlyAgentsConnectThroughCoturnAndCarryData) {
  int non_relay_signaled = 0;
  StartPair(RelayOnly(IceRole::kControlling, "alice"), RelayOnly(IceRole::kControlled, "bob"),
            [&](const Candidate& c) {
              if (c.type == CandidateType::kRelay) return true;
              ++non_relay_signaled;
              return false;
            });
  ASSERT_TRUE(RunUntilConnected()) << "a " << IceConnectionStateName(a_->state()) << ", b "
                                   << IceConnectionStateName(b_->state()) << "\n"
                                   << (a_->errors().empty() ? "" : a_->errors()[0]) << "\n"
                                   << coturn_->Log();
  EXPECT_TRUE(signaling_errors_.empty()) << signaling_errors_[0];
  EXPECT_EQ(non_relay_signaled, 0) << "relay-only agents gathered other candidates";
  ExpectLoopbackOnly(*a_, "a");
  ExpectLoopbackOnly(*b_, "b");

  // Each side allocated one relayed address on coturn's relay range, from its own socket.
  SocketAddress relayed[2];
  int i = 0;
  for (LoopbackIcePeer* p : {a_.get(), b_.get()}) {
    ASSERT_NE(p->turn(), nullptr);
    ASSERT_EQ(p->turn()->state(), TurnClientState::kAllocated);
    ASSERT_EQ(p->turn()->relayed_addresses().size(), 1u);
    relayed[i] = p->turn()->relayed_addresses()[0];
    EXPECT_EQ(relayed[i].ip(), IpAddress::LoopbackV4());
    EXPECT_GE(relayed[i].port(), coturn_->min_relay_port());
    EXPECT_LE(relayed[i].port(), coturn_->max_relay_port());
    EXPECT_EQ(p->turn()->mapped_address(), p->socket_address()) << "XOR-MAPPED-ADDRESS is our socket";
    ASSERT_EQ(p->gathered().size(), 1u);
    EXPECT_EQ(p->gathered()[0].type, CandidateType::kRelay);
    EXPECT_EQ(p->gathered()[0].address, relayed[i]);
    ++i;
  }

  // The selected pair is relay ↔ relay, both ways through coturn.
  std::optional<IceCandidatePair> pa = a_->agent().selected_pair();
  std::optional<IceCandidatePair> pb = b_->agent().selected_pair();
  ASSERT_TRUE(pa.has_value() && pb.has_value());
  EXPECT_EQ(pa->local.type, CandidateType::kRelay);
  EXPECT_TRUE(RelayOrLearned(pa->remote.type)) << CandidateTypeName(pa->remote.type);
  EXPECT_EQ(pa->local_base, relayed[0]);
  EXPECT_EQ(pa->remote.address, relayed[1]);
  EXPECT_EQ(pb->local.type, CandidateType::kRelay);
  EXPECT_TRUE(RelayOrLearned(pb->remote.type)) << CandidateTypeName(pb->remote.type);
  EXPECT_EQ(pb->local_base, relayed[1]);
  EXPECT_EQ(pb->remote.address, relayed[0]);
  EXPECT_EQ(a_->agent().RouteOf(relayed[0]), SocketAddress(IpAddress::LoopbackV4(), coturn_->port()));

  // Data before and after the channels are bound: first through Send/Data indications (or a channel
  // already bound), then on ChannelData.
  ExchangeData(loop(), random_, *a_, *b_, 50, 8);
  ASSERT_TRUE(loop().RunUntil(
      [&] {
        return a_->turn()->BoundChannel(relayed[1]).has_value() && b_->turn()->BoundChannel(relayed[0]).has_value();
      },
      kWait))
      << coturn_->Log();
  const uint64_t a_channel_before = a_->turn()->stats().channel_data_sent;
  ExchangeData(loop(), random_, *a_, *b_, 200, 16);
  EXPECT_GE(a_->turn()->stats().channel_data_sent - a_channel_before, 200u) << "data went on the channel";
  EXPECT_GE(b_->turn()->stats().channel_data_received, 200u);
  for (LoopbackIcePeer* p : {a_.get(), b_.get()}) {
    EXPECT_TRUE(p->errors().empty()) << p->errors()[0];
    EXPECT_GE(p->mux()->stats().relayed_sent, 250u);
    EXPECT_GE(p->mux()->stats().relayed_received, 250u);
    EXPECT_EQ(p->mux()->stats().relay_send_failures, 0u);
    EXPECT_EQ(p->mux()->stats().relay_candidate_errors, 0u);
    EXPECT_EQ(p->turn()->stats().dropped_bad_integrity, 0u);
    EXPECT_EQ(p->turn()->stats().dropped_malformed, 0u);
  }

  // Deallocation on close.
  a_->Close();
  b_->Close();
  ASSERT_TRUE(loop().RunUntil([&] { return a_->turn_closed() && b_->turn_closed(); }, kWait));
  EXPECT_EQ(a_->turn()->state(), TurnClientState::kClosed);
  EXPECT_EQ(b_->turn()->state(), TurnClientState::kClosed);
}

TEST_F(IceThroughCoturn, ControlledSideRelayOnlyWithTernControlledFirst) {
  // The controlled agent starts (and allocates) first; signaling only relay candidates again.
  StartPair(RelayOnly(IceRole::kControlled, "carol"), RelayOnly(IceRole::kControlling, "dave"),
            [](const Candidate& c) { return c.type == CandidateType::kRelay; });
  ASSERT_TRUE(RunUntilConnected()) << coturn_->Log();
  EXPECT_EQ(a_->agent().selected_pair()->local.type, CandidateType::kRelay);
  EXPECT_EQ(b_->agent().selected_pair()->local.type, CandidateType::kRelay);
  ExchangeData(loop(), random_, *a_, *b_, 50, 8);
  a_->Close();
  b_->Close();
  ASSERT_TRUE(loop().RunUntil([&] { return a_->turn_closed() && b_->turn_closed(); }, kWait));
}

TEST_F(IceThroughCoturn, RelayOnlyWithTurnOverTcpAndTls) {
  // a reaches coturn over TCP, b over TLS (RFC 8656 §3.1); the relayed addresses are UDP as always,
  // and the mux feeds the stream's bytes to the TURN client in whatever chunks they arrive.
  StartPair(RelayOnly(IceRole::kControlling, "erin", TurnTransport::kTcp),
            RelayOnly(IceRole::kControlled, "frank", TurnTransport::kTls),
            [](const Candidate& c) { return c.type == CandidateType::kRelay; });
  ASSERT_TRUE(RunUntilConnected()) << "a " << IceConnectionStateName(a_->state()) << ", b "
                                   << IceConnectionStateName(b_->state()) << "\n"
                                   << (a_->errors().empty() ? "" : a_->errors()[0]) << "\n"
                                   << (b_->errors().empty() ? "" : b_->errors()[0]) << "\n"
                                   << coturn_->Log();
  ExpectLoopbackOnly(*a_, "a");
  ExpectLoopbackOnly(*b_, "b");
  for (LoopbackIcePeer* p : {a_.get(), b_.get()}) {
    ASSERT_EQ(p->turn()->state(), TurnClientState::kAllocated);
    std::optional<IceCandidatePair> pair = p->agent().selected_pair();
    ASSERT_TRUE(pair.has_value());
    EXPECT_EQ(pair->local.type, CandidateType::kRelay);
    EXPECT_TRUE(RelayOrLearned(pair->remote.type)) << CandidateTypeName(pair->remote.type);
    EXPECT_EQ(pair->local_base, p->turn()->relayed_addresses()[0]);
  }
  EXPECT_EQ(a_->turn()->config().transport, TurnTransport::kTcp);
  EXPECT_EQ(b_->turn()->config().transport, TurnTransport::kTls);
  ExchangeData(loop(), random_, *a_, *b_, 200, 16);
  for (LoopbackIcePeer* p : {a_.get(), b_.get()}) {
    EXPECT_TRUE(p->errors().empty()) << p->errors()[0];
    EXPECT_EQ(p->turn()->stats().dropped_malformed, 0u);
    EXPECT_LE(p->turn()->stream_buffer_size(), p->turn()->config().max_stream_frame_size);
  }
  a_->Close();
  b_->Close();
  ASSERT_TRUE(loop().RunUntil([&] { return a_->turn_closed() && b_->turn_closed(); }, kWait));
  EXPECT_EQ(a_->turn()->state(), TurnClientState::kClosed);
  EXPECT_EQ(b_->turn()->state(), TurnClientState::kClosed);
}

}  // namespace
}  // namespace tern::ice::testing
