// Relay-only policy (W3C iceTransportPolicy "relay"): a pc::Connection that may use only TURN relay
// candidates (RFC 8656, RFC 8445 §5.1.1.2) connects through tern's own TURN server core in the simulator
// to a peer with host candidates, and opens a data channel across the relay.
#include "gtest/gtest.h"
#include "pc_sim_harness.h"
#include "tern/ice/candidate.h"
#include "tern/turn/turn_server.h"

namespace tern::pc::testing {
namespace {

// The sans-IO TURN server as a simulated host's endpoint; relay sockets "bind" at once.
class SimTurnServer final : public sim::Endpoint {
 public:
  SimTurnServer(SocketAddress listen, IpAddress relay_ip) : random_(77) {
    turn::TurnServerConfig c;
    c.listening = {listen};
    c.relay_addresses = {{relay_ip, relay_ip}};
    c.users = {{"alice", "secret"}};
    c.peer_policy = {};  // the simulator's addresses are all "public"
    absl::StatusOr<std::unique_ptr<turn::TurnServer>> s = turn::TurnServer::Create(std::move(c), random_);
    EXPECT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
  }
  void HandleInput(sim::Datagram datagram, Timestamp now) override {
    Datagram d;
    d.local = datagram.destination;
    d.remote = datagram.source;
    d.payload = datagram.payload;
    server_->HandleInput(d, now);
    Events(now);
  }
  void HandleTimeout(Timestamp now) override {
    server_->HandleTimeout(now);
    Events(now);
  }
  std::optional<sim::Transmit> PollTransmit() override {
    std::optional<Transmit> t = server_->PollTransmit();
    if (!t) return std::nullopt;
    return sim::Transmit{t->local, t->remote, std::move(t->payload)};
  }
  std::optional<Timestamp> NextTimeout() const override { return server_->NextTimeout(); }
  int allocations = 0;

 private:
  void Events(Timestamp now) {
    while (std::optional<turn::TurnServerEvent> e = server_->PollEvent()) {
      if (auto* o = std::get_if<turn::RelayOpened>(&*e)) server_->HandleRelayBindResult(o->address, absl::OkStatus(), now);
      if (std::holds_alternative<turn::Allocated>(*e)) ++allocations;
    }
  }
  SeededRandom random_;
  std::unique_ptr<turn::TurnServer> server_;
};

TEST(ConnectionRelayTest, RelayOnlyPeerConnectsThroughTurnAndCarriesData) {
  sim::SimNetwork net(42, SimStartTime());
  const SocketAddress turn_address(IpAddress::V4(20, 0, 0, 3), 3478);
  SimTurnServer turn(turn_address, IpAddress::V4(20, 0, 0, 3));
  net.AddHost("turn", {.addresses = {turn_address.ip()}}, &turn);
  auto relay_only = [&](ConnectionConfig& c) {
    c.relay_only = true;
    c.turn_servers = {{turn_address, "alice", "secret", "turn:20.0.0.3:3478"}};
  };
  SimPeer a(net, "a", IpAddress::V4(20, 0, 0, 1), 5000, relay_only);
  // b gathers normally: tern's TURN server never relays to its own addresses, so relay <-> relay through
  // one server is refused by design (the own-address rule of lib/turn).
  SimPeer b(net, "b", IpAddress::V4(20, 0, 0, 2), 6000);
  ChannelHandle ch = *a.conn().CreateDataChannel("via-relay", {}, net.Now());
  Signal(net, a, b);
  ASSERT_TRUE(RunUntilConnected(net, a, b)) << "allocations " << turn.allocations << ", a candidates "
                                            << a.local_candidates.size() << ", a state "
                                            << PeerConnectionStateName(a.conn().connection_state()) << ", ice "
                                            << IceConnectionStateName(a.conn().ice_connection_state());
  ASSERT_TRUE(net.RunUntil([&] { return a.channels[ch].opened && b.FindChannel("via-relay"); }, net.Now() + Duration::Seconds(10)));
  EXPECT_EQ(turn.allocations, 1);
  // a signalled only relay candidates, and its selected pair starts at its relayed address.
  for (SimPeer* p : {&a}) {
    for (const IceCandidate& c : p->local_candidates) {
      if (c.is_end_of_candidates()) continue;
      absl::StatusOr<ice::Candidate> parsed = ice::ParseCandidate(c.candidate);
      ASSERT_TRUE(parsed.ok());
      EXPECT_EQ(parsed->type, ice::CandidateType::kRelay) << c.candidate;
    }
    Stats stats = p->conn().GetStats(net.Now());
    const CandidatePairStats* pair = stats.SelectedCandidatePair();
    ASSERT_NE(pair, nullptr);
    for (const IceCandidateStats& l : stats.local_candidates) {
      if (l.id == pair->local_candidate_id) EXPECT_EQ(l.candidate_type, "relay");
    }
  }
  ASSERT_TRUE(a.conn().Send(ch, false, ByteSpan(reinterpret_cast<const uint8_t*>("relayed"), 7), net.Now()).ok());
  a.Wake();
  ChannelHandle on_b = *b.FindChannel("via-relay");
  ASSERT_TRUE(net.RunUntil([&] { return b.channels[on_b].messages.size() == 1; }, net.Now() + Duration::Seconds(5)));
  EXPECT_EQ(b.channels[on_b].messages[0].size(), 7u);
}

}  // namespace
}  // namespace tern::pc::testing
