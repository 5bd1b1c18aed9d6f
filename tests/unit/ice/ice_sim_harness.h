// Drives tern::ice::IceAgent inside the deterministic network simulator (tests/sim/sim_network.h):
// SimIceNode adapts one agent to one or more simulated hosts (its sockets), carries its candidates,
// credentials and end-of-candidates to a peer node over a delayed "signaling channel", and plays the
// TURN client for the agent's relay seam (IceAgent::RouteOf). FakeTurnRelay is a minimal sans-IO TURN
// relay (RFC 8656 Allocate, Send and Data indications, no authentication or permissions) so that
// scenarios can connect through a relay.
#ifndef TERN_TESTS_UNIT_ICE_ICE_SIM_HARNESS_H_
#define TERN_TESTS_UNIT_ICE_ICE_SIM_HARNESS_H_

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/sim_network.h"
#include "tern/base/random.h"
#include "tern/ice/ice_agent.h"
#include "tern/stun/constants.h"

namespace tern::ice::testing {

namespace sim = ::tern::testing;

class FakeTurnRelay final : public sim::Endpoint {
 public:
  explicit FakeTurnRelay(SocketAddress listen) : listen_(listen) {}

  size_t allocations() const { return allocations_.size(); }
  uint64_t relayed() const { return relayed_; }

  void HandleInput(sim::Datagram datagram, Timestamp now) override;
  void HandleTimeout(Timestamp now) override {}
  std::optional<sim::Transmit> PollTransmit() override;
  std::optional<Timestamp> NextTimeout() const override { return std::nullopt; }

 private:
  struct Allocation {
    SocketAddress client;   // as the relay sees it (after the client's NATs)
    SocketAddress relayed;  // on the relay's host
  };
  SocketAddress listen_;
  std::vector<Allocation> allocations_;
  std::deque<sim::Transmit> out_;
  uint16_t next_port_ = 49152;
  uint64_t relayed_ = 0;
};

struct StateChange {
  Timestamp time;
  IceConnectionState state;
};

class SimIceNode {
 public:
  SimIceNode(sim::SimNetwork& net, std::string name, IceAgentConfig config);
  ~SimIceNode();
  SimIceNode(const SimIceNode&) = delete;
  SimIceNode& operator=(const SimIceNode&) = delete;

  // The node's agent sends from and receives on this host's addresses.
  void AttachHost(sim::SimHost& host);
  // Both nodes must be attached. Exchanges credentials (after `delay`) and from then on trickles
  // candidates and end-of-candidates to each other with that delay.
  static void Connect(SimIceNode& a, SimIceNode& b, Duration delay = Duration::Millis(50));
  absl::Status Start();
  // Allocates a relayed address at `server` from host:port and gives it to the agent.
  void UseRelay(sim::SimHost& host, uint16_t port, SocketAddress server);
  // ICE restart (optionally with new host addresses), re-signaling credentials and candidates.
  absl::Status Restart(std::optional<std::vector<SocketAddress>> host_addresses = std::nullopt);

  // Candidates for which `hold` is true are not signaled until ReleaseHeld().
  void set_hold(std::function<bool(const Candidate&)> hold) { hold_ = std::move(hold); }
  void ReleaseHeld();
  // Drops direct (non-relayed) traffic to and from this IP in both directions, as if that path died.
  void Blackhole(const IpAddress& ip) { blackholed_.insert(ip); }

  void SendData(std::string_view text);
  // Drains the agent on every attached host (after changing it from outside the simulator).
  void WakeAll();

  IceAgent& agent() { return *agent_; }
  const std::string& name() const { return name_; }
  const std::vector<StateChange>& states() const { return states_; }
  std::optional<Timestamp> connected_at() const { return connected_at_; }
  std::optional<Timestamp> failed_at() const { return failed_at_; }
  std::optional<Timestamp> disconnected_at() const { return disconnected_at_; }
  bool connected() const {
    IceConnectionState s = agent_->state();
    return s == IceConnectionState::kConnected || s == IceConnectionState::kCompleted;
  }
  bool failed() const { return agent_->state() == IceConnectionState::kFailed; }
  const std::vector<std::string>& received() const { return received_; }
  int selected_changes() const { return selected_changes_; }
  int role_changes() const { return role_changes_; }
  bool relay_ready() const { return relay_ && relay_->relayed.has_value(); }
  std::string StateHistory() const;

 private:
  class Port;
  struct RelayClient {
    sim::SimHost* host = nullptr;
    SocketAddress client;
    SocketAddress server;
    stun::TransactionId transaction;
    int attempts = 0;
    Timestamp next;
    bool done = false;
    std::optional<SocketAddress> relayed;
  };

  void OnInput(Port& port, const sim::Datagram& d, Timestamp now);
  void OnTimeout(Timestamp now);
  std::optional<Timestamp> NextTimeout() const;
  void Pump(Port* draining);
  void HandleEvent(IceEvent event);
  void SendAllocate(Timestamp now);
  void OnRelayMessage(const sim::Datagram& d, Timestamp now);
  void Push(const SocketAddress& source, const SocketAddress& destination, std::vector<uint8_t> payload,
            Port* draining);
  void Signal(std::function<void(SimIceNode&)> action);
  void SignalCredentials();
  void MaybeSignalEndOfCandidates();

  sim::SimNetwork& net_;
  std::string name_;
  SeededRandom random_;
  std::unique_ptr<IceAgent> agent_;
  std::vector<std::unique_ptr<Port>> ports_;
  SimIceNode* peer_ = nullptr;
  Duration delay_ = Duration::Millis(50);
  std::optional<RelayClient> relay_;
  std::function<bool(const Candidate&)> hold_;
  std::vector<Candidate> held_;
  std::set<IpAddress> blackholed_;
  bool gathering_done_ = false;
  bool eoc_sent_ = false;
  std::vector<StateChange> states_;
  std::optional<Timestamp> connected_at_, failed_at_, disconnected_at_;
  std::vector<std::string> received_;
  int selected_changes_ = 0;
  int role_changes_ = 0;
};

}  // namespace tern::ice::testing

#endif  // TERN_TESTS_UNIT_ICE_ICE_SIM_HARNESS_H_
