// ice::IceTurnMux (lib/ice/ice_turn_mux.cc), deterministically: two relay-only agents, each with a
// TurnClient to its own FakeTurnServer (tests/unit/turn_client), connected through both relays by a
// tiny in-test network; the demultiplexing of one socket between the agent and the TURN client (the
// same server used for STUN); allocation failure; channels after selection; hostile input.
#include "tern/ice/ice_turn_mux.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/random.h"
#include "tern/stun/stun.h"
#include "unit/turn_client/fake_turn_server.h"

namespace tern::ice {
namespace {

using tern::testing::FakeTurnServer;
using tern::testing::FakeTurnServerConfig;

SocketAddress Addr(std::string_view s) { return *SocketAddress::Parse(s); }

// One side: host socket address, agent, TURN client, mux, its fake TURN server.
struct Side {
  Side(int index, IceRole role, bool relay_only, uint64_t seed)
      : random(seed),
        host(SocketAddress(IpAddress::V4(192, 0, 2, static_cast<uint8_t>(10 + index)), 5000)),
        server_address(SocketAddress(IpAddress::V4(198, 51, 100, static_cast<uint8_t>(1 + index)), 3478)),
        server(ServerConfig(index)) {
    IceAgentConfig config;
    config.role = role;
    if (!relay_only) config.host_addresses = {host};
    config.pending_relay_allocations = 1;
    agent = std::make_unique<IceAgent>(std::move(config), random);
    TurnClientConfig turn_config;
    turn_config.server = server_address;
    turn_config.local = host;
    turn_config.username = "alice";
    turn_config.password = "secret";
    turn = std::make_unique<TurnClient>(turn_config, random);
    mux = std::make_unique<IceTurnMux>(*agent);
  }

  static FakeTurnServerConfig ServerConfig(int index) {
    FakeTurnServerConfig c;
    c.relayed_v4 = SocketAddress(IpAddress::V4(198, 51, 100, static_cast<uint8_t>(101 + index)), 50000);
    c.mapped = SocketAddress(IpAddress::V4(203, 0, 113, static_cast<uint8_t>(1 + index)), 41000);
    return c;
  }

  SeededRandom random;
  SocketAddress host;
  SocketAddress server_address;
  FakeTurnServer server;
  std::unique_ptr<IceAgent> agent;
  std::unique_ptr<TurnClient> turn;
  std::unique_ptr<IceTurnMux> mux;
  size_t relayed_seen = 0;  // entries of server.relayed already delivered

  std::vector<IceEvent> ice_events;
  std::vector<TurnEvent> turn_events;
  std::vector<std::vector<uint8_t>> received;
  std::vector<Transmit> direct;  // transmits that were not for the TURN server

  template <typename T>
  int CountIce() const {
    int n = 0;
    for (const IceEvent& e : ice_events) n += std::holds_alternative<T>(e) ? 1 : 0;
    return n;
  }
  template <typename T>
  int CountTurn() const {
    int n = 0;
    for (const TurnEvent& e : turn_events) n += std::holds_alternative<T>(e) ? 1 : 0;
    return n;
  }
  bool connected() const {
    IceConnectionState s = agent->state();
    return (s == IceConnectionState::kConnected || s == IceConnectionState::kCompleted) &&
           agent->selected_pair().has_value();
  }
};

// Two sides and the network between them: each side reaches only its own TURN server; the servers
// relay to each other's relayed addresses.
class World {
 public:
  World(bool relay_only = true) {
    sides_.push_back(std::make_unique<Side>(0, IceRole::kControlling, relay_only, 1));
    sides_.push_back(std::make_unique<Side>(1, IceRole::kControlled, relay_only, 2));
  }
  Side& a() { return *sides_[0]; }
  Side& b() { return *sides_[1]; }
  Timestamp now() const { return now_; }

  void Start() {
    for (auto& s : sides_) {
      ASSERT_TRUE(s->mux->AddTurnClient(s->turn.get()).ok());
      ASSERT_TRUE(s->agent->Start(now_).ok());
      ASSERT_TRUE(s->turn->Allocate(now_).ok());
      s->mux->Pump(now_);
    }
    ASSERT_TRUE(a().agent->SetRemoteCredentials(b().agent->local_credentials(), now_).ok());
    ASSERT_TRUE(b().agent->SetRemoteCredentials(a().agent->local_credentials(), now_).ok());
  }

  // Runs until `done` or `limit` of simulated time.
  bool RunUntil(const std::function<bool()>& done, Duration limit) {
    const Timestamp end = now_ + limit;
    for (int guard = 0; guard < 1000000; ++guard) {
      bool progress = false;
      for (size_t i = 0; i < 2; ++i) progress |= Step(i);
      if (done()) return true;
      if (progress) continue;
      std::optional<Timestamp> next;
      for (auto& s : sides_) {
        std::optional<Timestamp> t = s->mux->NextTimeout();
        if (t && (!next || *t < *next)) next = t;
      }
      if (!next || *next > end) return done();
      now_ = std::max(now_, *next);
      for (auto& s : sides_) s->mux->HandleTimeout(now_);
    }
    ADD_FAILURE() << "livelock";
    return false;
  }

 private:
  // Moves side i's output into the network and its events into the test. True if anything moved.
  bool Step(size_t i) {
    Side& s = *sides_[i];
    Side& other = *sides_[1 - i];
    bool progress = false;
    s.mux->Pump(now_);
    while (std::optional<Transmit> t = s.mux->PollTransmit()) {
      progress = true;
      if (t->remote != s.server_address) {
        s.direct.push_back(std::move(*t));
        continue;
      }
      EXPECT_EQ(t->local, s.host);
      for (std::vector<uint8_t>& answer : s.server.Receive(t->payload, now_)) {
        s.mux->HandleInput(Datagram{s.host, s.server_address, TransportProtocol::kUdp, answer}, now_);
      }
      // What the server relayed goes to the other side's relayed address.
      for (; s.relayed_seen < s.server.relayed.size(); ++s.relayed_seen) {
        const FakeTurnServer::Relayed& r = s.server.relayed[s.relayed_seen];
        if (r.peer != other.server.config().relayed_v4) continue;
        std::optional<std::vector<uint8_t>> in = other.server.FromPeer(s.server.config().relayed_v4, r.payload, now_);
        if (in) other.mux->HandleInput(Datagram{other.host, other.server_address, TransportProtocol::kUdp, *in}, now_);
      }
    }
    while (std::optional<IceTurnEvent> e = s.mux->PollEvent()) {
      progress = true;
      if (TurnClientEvent* te = std::get_if<TurnClientEvent>(&*e)) {
        EXPECT_EQ(te->client, s.turn.get());
        s.turn_events.push_back(std::move(te->event));
        continue;
      }
      IceEvent& ie = std::get<IceEvent>(*e);
      if (const auto* g = std::get_if<IceCandidateGathered>(&ie)) {
        EXPECT_TRUE(other.agent->AddRemoteCandidate(g->candidate, now_).ok());
      } else if (std::holds_alternative<IceGatheringComplete>(ie)) {
        other.agent->SetRemoteEndOfCandidates(now_);
      } else if (auto* d = std::get_if<IceDataReceived>(&ie)) {
        s.received.push_back(d->payload);
      }
      s.ice_events.push_back(std::move(ie));
    }
    return progress;
  }

  std::vector<std::unique_ptr<Side>> sides_;
  Timestamp now_ = Timestamp::Seconds(100);
};

TEST(IceTurnMux, RelayOnlyAgentsConnectThroughTwoTurnServers) {
  World w;
  w.Start();
  ASSERT_TRUE(w.RunUntil([&] { return w.a().connected() && w.b().connected(); }, Duration::Seconds(30)))
      << IceConnectionStateName(w.a().agent->state()) << " / " << IceConnectionStateName(w.b().agent->state());
  for (Side* s : {&w.a(), &w.b()}) {
    EXPECT_TRUE(s->direct.empty()) << "a relay-only agent sent directly to " << s->direct[0].remote.ToString();
    // The relay candidate is gathered, then gathering completes (pending_relay_allocations).
    ASSERT_EQ(s->CountIce<IceCandidateGathered>(), 1);
    ASSERT_EQ(s->CountIce<IceGatheringComplete>(), 1);
    size_t gathered_at = 0, complete_at = 0;
    for (size_t i = 0; i < s->ice_events.size(); ++i) {
      if (std::holds_alternative<IceCandidateGathered>(s->ice_events[i])) gathered_at = i;
      if (std::holds_alternative<IceGatheringComplete>(s->ice_events[i])) complete_at = i;
    }
    EXPECT_LT(gathered_at, complete_at);
    EXPECT_EQ(s->CountTurn<TurnAllocated>(), 1);
    std::optional<IceCandidatePair> p = s->agent->selected_pair();
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->local.type, CandidateType::kRelay);
    EXPECT_EQ(p->local_base, s->server.config().relayed_v4);
    EXPECT_EQ(p->local.related_address, s->server.config().mapped);
    EXPECT_EQ(s->mux->ClientForRelayed(s->server.config().relayed_v4), s->turn.get());
    EXPECT_EQ(s->agent->RouteOf(p->local_base), s->server_address);
  }
  EXPECT_EQ(w.a().agent->selected_pair()->remote.address, w.b().server.config().relayed_v4);

  // A channel is bound for the selected pair's remote (RFC 8656 §11), then data goes on it.
  const SocketAddress b_relayed = w.b().server.config().relayed_v4;
  ASSERT_TRUE(w.RunUntil([&] { return w.a().turn->BoundChannel(b_relayed).has_value(); }, Duration::Seconds(5)));
  EXPECT_GE(w.a().mux->stats().channels_requested, 1u);
  for (int i = 0; i < 20; ++i) {
    std::vector<uint8_t> p(static_cast<size_t>(1 + i * 50), static_cast<uint8_t>(0x80 + i));
    ASSERT_TRUE(w.a().mux->Send(p, w.now()).ok());
    ASSERT_TRUE(w.b().mux->Send(p, w.now()).ok());
  }
  ASSERT_TRUE(
      w.RunUntil([&] { return w.a().received.size() >= 20 && w.b().received.size() >= 20; }, Duration::Seconds(5)));
  for (int i = 0; i < 20; ++i) {
    std::vector<uint8_t> p(static_cast<size_t>(1 + i * 50), static_cast<uint8_t>(0x80 + i));
    EXPECT_EQ(w.a().received[i], p);
    EXPECT_EQ(w.b().received[i], p);
  }
  EXPECT_TRUE(w.a().server.relayed.back().via_channel);
  EXPECT_EQ(w.a().mux->stats().relay_send_failures, 0u);
  EXPECT_GT(w.a().mux->stats().relayed_received, 20u);  // data and checks
  EXPECT_EQ(w.a().mux->stats().relay_candidate_errors, 0u);
}

TEST(IceTurnMux, FailedAllocationCompletesGatheringAndIsPassedUp) {
  World w(/*relay_only=*/false);
  w.a().server.fail_method[stun::method::kAllocate] = 403;
  w.b().server.fail_method[stun::method::kAllocate] = 403;
  w.Start();
  // Host candidates only; their direct transmits go nowhere in this world, so just check gathering.
  ASSERT_TRUE(w.RunUntil([&] { return w.a().CountIce<IceGatheringComplete>() == 1; }, Duration::Seconds(5)));
  EXPECT_EQ(w.a().CountTurn<TurnAllocationFailed>(), 1);
  EXPECT_EQ(w.a().CountIce<IceCandidateGathered>(), 1);  // the host candidate only
  EXPECT_EQ(w.a().agent->gathering_state(), IceGatheringState::kComplete);
}

TEST(IceTurnMux, BindingResponseFromTheTurnServerAddressGoesToTheAgent) {
  // The TURN server doubles as the STUN server (as coturn does): the agent's srflx Binding response
  // comes from the server's address and must not be swallowed by the TURN client.
  SeededRandom random(7);
  const SocketAddress host = Addr("192.0.2.10:5000"), server = Addr("198.51.100.1:3478");
  IceAgentConfig config;
  config.host_addresses = {host};
  config.stun_servers = {server};
  IceAgent agent(config, random);
  TurnClientConfig turn_config;
  turn_config.server = server;
  turn_config.local = host;
  turn_config.username = "alice";
  turn_config.password = "secret";
  TurnClient turn(turn_config, random);
  IceTurnMux mux(agent);
  ASSERT_TRUE(mux.AddTurnClient(&turn).ok());
  ASSERT_TRUE(agent.Start(Timestamp::Seconds(1)).ok());
  mux.Pump(Timestamp::Seconds(1));
  std::optional<Transmit> binding = mux.PollTransmit();
  ASSERT_TRUE(binding.has_value());
  EXPECT_EQ(binding->remote, server);
  absl::StatusOr<stun::MessageView> request = stun::MessageView::Parse(binding->payload);
  ASSERT_TRUE(request.ok());
  ASSERT_EQ(request->method(), stun::method::kBinding);

  std::vector<uint8_t> buffer(128);
  stun::MessageBuilder b(buffer, {stun::MessageClass::kSuccessResponse, stun::method::kBinding},
                         request->transaction_id());
  b.AddXorAddress(stun::attr::kXorMappedAddress, Addr("203.0.113.50:61000"));
  buffer.resize(b.Finish({.fingerprint = true})->size());
  mux.HandleInput(Datagram{host, server, TransportProtocol::kUdp, buffer}, Timestamp::Seconds(1));
  EXPECT_EQ(mux.stats().to_agent, 1u);
  EXPECT_EQ(mux.stats().to_turn, 0u);
  EXPECT_EQ(turn.stats().dropped_unknown_transaction, 0u);
  bool srflx = false;
  while (std::optional<IceTurnEvent> e = mux.PollEvent()) {
    if (const IceEvent* ie = std::get_if<IceEvent>(&*e)) {
      if (const auto* g = std::get_if<IceCandidateGathered>(ie)) {
        srflx |= g->candidate.type == CandidateType::kServerReflexive;
      }
    }
  }
  EXPECT_TRUE(srflx);

  // A STUN message from the server that the agent does not own (an unknown transaction) is the
  // TURN client's, which drops it.
  std::vector<uint8_t> stray(128);
  stun::TransactionId id{};
  id.bytes[0] = 0x5A;
  stun::MessageBuilder sb(stray, {stun::MessageClass::kSuccessResponse, stun::method::kAllocate}, id);
  stray.resize(sb.Finish({.fingerprint = true})->size());
  mux.HandleInput(Datagram{host, server, TransportProtocol::kUdp, stray}, Timestamp::Seconds(1));
  EXPECT_EQ(mux.stats().to_turn, 1u);
}

TEST(IceTurnMux, AddTurnClientValidates) {
  SeededRandom random(3);
  IceAgentConfig config;
  config.host_addresses = {Addr("192.0.2.10:5000")};
  IceAgent agent(config, random);
  IceTurnMux mux(agent);
  EXPECT_EQ(mux.AddTurnClient(nullptr).code(), absl::StatusCode::kInvalidArgument);
  TurnClientConfig c;
  c.server = Addr("198.51.100.1:3478");
  TurnClient udp(c, random), udp_again(c, random);
  c.transport = TurnTransport::kTcp;
  TurnClient tcp(c, random);
  EXPECT_TRUE(mux.AddTurnClient(&udp).ok());
  EXPECT_EQ(mux.AddTurnClient(&udp).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(mux.AddTurnClient(&udp_again).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(mux.AddTurnClient(&tcp).ok());  // same address, other transport: distinguishable
}

TEST(IceTurnMux, HostileInputNeverCrashesOrGrows) {
  World w;
  w.Start();
  ASSERT_TRUE(w.RunUntil([&] { return w.a().connected() && w.b().connected(); }, Duration::Seconds(30)));
  Side& a = w.a();
  SeededRandom junk(11);
  const size_t pairs = a.agent->pair_count(), remotes = a.agent->remote_candidate_count();
  for (int i = 0; i < 5000; ++i) {
    std::vector<uint8_t> p(static_cast<size_t>(junk.NextU64() % 200));
    junk.Fill(p);
    if (i % 3 == 0 && p.size() >= 8) {  // look like STUN / ChannelData now and then
      p[0] = static_cast<uint8_t>(i % 2 == 0 ? 0x00 : 0x40);
      p[4] = 0x21, p[5] = 0x12, p[6] = 0xA4, p[7] = 0x42;
    }
    // From the TURN server (the client parses it), from unknown peers (the agent), and on a socket
    // that is not ours.
    SocketAddress from = i % 2 == 0 ? a.server_address
                                    : SocketAddress(IpAddress::V4(198, 18, 0, static_cast<uint8_t>(i % 250)),
                                                    static_cast<uint16_t>(1000 + i));
    a.mux->HandleInput(Datagram{a.host, from, TransportProtocol::kUdp, p}, w.now());
    while (a.mux->PollTransmit()) {
    }
    while (a.mux->PollEvent()) {
    }
  }
  EXPECT_EQ(a.agent->pair_count(), pairs);
  EXPECT_EQ(a.agent->remote_candidate_count(), remotes);
  EXPECT_EQ(a.turn->state(), TurnClientState::kAllocated);
  // Still connected and carrying data.
  ASSERT_TRUE(w.b().mux->Send(std::vector<uint8_t>{0x99, 0x98}, w.now()).ok());
  const size_t before = a.received.size();
  ASSERT_TRUE(w.RunUntil([&] { return a.received.size() > before; }, Duration::Seconds(5)));
  EXPECT_EQ(a.received.back(), (std::vector<uint8_t>{0x99, 0x98}));
}

// Regression (fuzz/corpus/ice_turn_mux/regress-relayed-is-host): a TURN server whose Allocate success
// names the agent's own host address as XOR-RELAYED-ADDRESS used to make the mux route every transmit
// from that host socket (connectivity checks, STUN requests) through the TURN client as Send
// indications, although the agent had refused the relay candidate.
TEST(IceTurnMux, RelayedAddressEqualToAHostAddressIsNotRouted) {
  SeededRandom random(5);
  const SocketAddress host = Addr("192.0.2.10:5000"), server = Addr("198.51.100.1:3478"),
                      peer = Addr("203.0.113.7:7000");
  IceAgentConfig config;
  config.host_addresses = {host};
  config.pending_relay_allocations = 1;
  IceAgent agent(config, random);
  TurnClientConfig turn_config;
  turn_config.server = server;
  turn_config.local = host;
  turn_config.username = "alice";
  turn_config.password = "secret";
  TurnClient turn(turn_config, random);
  IceTurnMux mux(agent);
  ASSERT_TRUE(mux.AddTurnClient(&turn).ok());
  const Timestamp now = Timestamp::Seconds(1);
  ASSERT_TRUE(agent.Start(now).ok());
  ASSERT_TRUE(agent.SetRemoteCredentials({"peerUfrag", "peerPasswordPeerPassword"}, now).ok());
  ASSERT_TRUE(turn.Allocate(now).ok());
  mux.Pump(now);

  // Answers the client's latest Allocate request.
  auto answer = [&](bool success) {
    std::optional<stun::TransactionId> id;
    while (std::optional<Transmit> t = mux.PollTransmit()) {
      absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(t->payload);
      if (t->remote == server && m.ok() && m->method() == stun::method::kAllocate) id = m->transaction_id();
    }
    ASSERT_TRUE(id.has_value());
    std::vector<uint8_t> buffer(256);
    stun::MessageBuilder b(buffer,
                           {success ? stun::MessageClass::kSuccessResponse : stun::MessageClass::kErrorResponse,
                            stun::method::kAllocate},
                           *id);
    stun::IntegrityKey key = stun::IntegrityKey::LongTerm("alice", "realm", "secret", stun::PasswordAlgorithm::kMd5);
    stun::FinishOptions options;
    options.fingerprint = true;
    if (success) {
      b.AddXorAddress(stun::attr::kXorRelayedAddress, host);  // the agent's own host address
      b.AddXorAddress(stun::attr::kXorMappedAddress, host);
      b.AddU32(stun::attr::kLifetime, 600);
      options.integrity = &key;
    } else {
      b.AddErrorCode(401);
      b.AddText(stun::attr::kRealm, "realm");
      b.AddText(stun::attr::kNonce, "nonce");
    }
    absl::StatusOr<ByteSpan> wire = b.Finish(options);
    ASSERT_TRUE(wire.ok());
    mux.HandleInput(Datagram{host, server, TransportProtocol::kUdp, *wire}, now);
  };
  answer(false);
  answer(true);
  ASSERT_EQ(turn.state(), TurnClientState::kAllocated);
  EXPECT_EQ(mux.stats().relay_candidate_errors, 1u);  // the agent refused it
  EXPECT_EQ(mux.ClientForRelayed(host), nullptr);

  // A check to a host peer leaves straight from the host socket, not wrapped for the TURN server.
  Candidate c;
  c.foundation = "1";
  c.priority = 1000;
  c.address = peer;
  ASSERT_TRUE(agent.AddRemoteCandidate(c, now).ok());
  bool direct_check = false;
  for (Timestamp t = now; t < now + Duration::Seconds(2); t += Duration::Millis(10)) {
    mux.HandleTimeout(t);
    while (std::optional<Transmit> out = mux.PollTransmit()) {
      EXPECT_NE(out->remote, server) << "host traffic diverted into the allocation";
      direct_check |= out->remote == peer && out->local == host;
    }
  }
  EXPECT_TRUE(direct_check);
  EXPECT_EQ(mux.stats().relayed_sent, 0u);

  // Nor is what that server relays "from" a peer fed to the agent as if it had arrived on the host
  // socket.
  ASSERT_TRUE(turn.CreatePermission(peer.ip(), now).ok());
  mux.Pump(now);
  std::optional<stun::TransactionId> permission;
  while (std::optional<Transmit> t = mux.PollTransmit()) {
    absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(t->payload);
    if (t->remote == server && m.ok() && m->method() == stun::method::kCreatePermission) {
      permission = m->transaction_id();
    }
  }
  ASSERT_TRUE(permission.has_value());
  std::vector<uint8_t> ok(128);
  stun::MessageBuilder okb(ok, {stun::MessageClass::kSuccessResponse, stun::method::kCreatePermission},
                           *permission);
  stun::IntegrityKey key = stun::IntegrityKey::LongTerm("alice", "realm", "secret", stun::PasswordAlgorithm::kMd5);
  absl::StatusOr<ByteSpan> ok_wire = okb.Finish({.integrity = &key, .fingerprint = true});
  ASSERT_TRUE(ok_wire.ok());
  mux.HandleInput(Datagram{host, server, TransportProtocol::kUdp, *ok_wire}, now);
  ASSERT_TRUE(turn.HasPermission(peer.ip()));
  std::vector<uint8_t> data(128);
  stun::TransactionId id{};
  id.bytes[3] = 0x33;
  stun::MessageBuilder db(data, {stun::MessageClass::kIndication, stun::method::kData}, id);
  db.AddXorAddress(stun::attr::kXorPeerAddress, peer);
  const uint8_t app[] = {0x17, 0xFE, 0xFD, 0x00};
  db.Add(stun::attr::kData, app);
  absl::StatusOr<ByteSpan> data_wire = db.Finish({.fingerprint = true});
  ASSERT_TRUE(data_wire.ok());
  mux.HandleInput(Datagram{host, server, TransportProtocol::kUdp, *data_wire}, now);
  EXPECT_EQ(turn.stats().data_indications_received, 1u);
  EXPECT_EQ(mux.stats().relayed_received, 0u);
  EXPECT_EQ(mux.stats().relayed_dropped, 1u);
}

}  // namespace
}  // namespace tern::ice
