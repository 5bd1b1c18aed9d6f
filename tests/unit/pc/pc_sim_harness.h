// Runs pc::Connection cores inside the deterministic network simulator (tests/sim/sim_network.h):
// SimPeer adapts one Connection to one simulated host and records what it reports; Signal() carries
// descriptions and trickled candidates between two peers over a delayed, in-order signalling channel.
#ifndef TERN_TESTS_UNIT_PC_PC_SIM_HARNESS_H_
#define TERN_TESTS_UNIT_PC_PC_SIM_HARNESS_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/sim_network.h"
#include "tern/base/random.h"
#include "tern/pc/connection.h"

namespace tern::pc::testing {

namespace sim = ::tern::testing;

// A SimNetwork start time usable by SCTP: every association in a process shares usrsctp's one time
// line, which must only move forward (tern/sctp/association.h).
Timestamp SimStartTime();

struct ChannelRecord {
  bool opened = false;
  bool remote = false;
  bool closing = false;  // ChannelClosingEvent seen (the peer started the close)
  bool closed = false;
  std::vector<std::vector<uint8_t>> messages;
  std::vector<bool> binary;
  uint64_t bytes = 0;
  std::vector<absl::Status> errors;
  int buffered_low = 0;
};

class SimPeer final : public sim::Endpoint {
 public:
  // A host named `name` at `ip` (public network) with one "socket" on `port`.
  SimPeer(sim::SimNetwork& net, std::string name, IpAddress ip, uint16_t port,
          std::function<void(ConnectionConfig&)> tweak = nullptr);
  ~SimPeer() override;

  Connection& conn() { return *conn_; }
  sim::SimHost& host() { return *host_; }
  const std::string& name() const { return name_; }
  SocketAddress address() const { return address_; }

  // After a direct call on the connection: drain its events and let the simulator drain transmits.
  void Wake();

  // Everything the connection reported.
  std::vector<IceCandidate> local_candidates;
  std::vector<PeerConnectionState> states;
  std::vector<IceConnectionState> ice_states;
  std::vector<SignalingState> signaling_states;
  std::map<ChannelHandle, ChannelRecord> channels;
  // Called for every event after it was recorded (tests add echo servers, senders...).
  std::function<void(const ConnectionEvent&)> on_event;
  // Called with every local candidate (Signal() installs the trickle).
  std::function<void(const IceCandidate&)> on_candidate;

  bool connected() const { return conn_->connection_state() == PeerConnectionState::kConnected; }
  // The handle of the first channel opened with this label, if any.
  std::optional<ChannelHandle> FindChannel(const std::string& label) const;

  // sim::Endpoint.
  void HandleInput(sim::Datagram datagram, Timestamp now) override;
  void HandleTimeout(Timestamp now) override;
  std::optional<sim::Transmit> PollTransmit() override;
  std::optional<Timestamp> NextTimeout() const override;

 private:
  void DrainEvents();

  sim::SimNetwork& net_;
  std::string name_;
  SocketAddress address_;
  sim::SimHost* host_ = nullptr;
  SeededRandom random_;
  std::unique_ptr<Connection> conn_;
  bool draining_ = false;
};

// One offer/answer exchange from `offerer` to `answerer` over a signalling channel with `delay`, with
// every later local candidate of either side trickled the same way (in order with the descriptions).
// Runs asynchronously inside the simulator: run it (sim.RunUntil) to let it happen.
void Signal(sim::SimNetwork& net, SimPeer& offerer, SimPeer& answerer, Duration delay = Duration::Millis(20));

// Runs until both peers are connected; false on timeout.
bool RunUntilConnected(sim::SimNetwork& net, SimPeer& a, SimPeer& b, Duration timeout = Duration::Seconds(30));

}  // namespace tern::pc::testing

#endif  // TERN_TESTS_UNIT_PC_PC_SIM_HARNESS_H_
