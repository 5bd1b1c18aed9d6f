// One ICE endpoint on the real runtime for interop tests: a tern::UdpSocket bound to 127.0.0.1 (port
// chosen by the kernel), a tern::ice::IceAgent, and optionally a tern::ice::TurnClient on the same
// socket, driven by a tern::SansIoDriver on one EventLoop. Without TURN the driver runs the agent
// itself; with TURN it runs an ice::IceTurnMux over both.
//
// Signaling is the test's business: on_candidate / on_end_of_candidates hand out what the agent
// gathered; the test passes the other side's credentials and candidates in (then the peer drains).
// Everything here runs on the loop's thread.
#ifndef TERN_TESTS_INTEROP_ICE_LOOPBACK_LOOPBACK_ICE_PEER_H_
#define TERN_TESTS_INTEROP_ICE_LOOPBACK_LOOPBACK_ICE_PEER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tern/base/random.h"
#include "tern/ice/ice_agent.h"
#include "tern/ice/ice_turn_mux.h"
#include "tern/ice/turn_client.h"
#include "tern/net/runtime.h"
#include "tern/net/sans_io_driver.h"
#include "tern/net/stream_socket.h"
#include "tern/net/udp_socket.h"

namespace tern::ice::testing {

struct LoopbackIcePeerOptions {
  IceRole role = IceRole::kControlling;
  IceMode mode = IceMode::kFull;
  // false: the agent gets no host address (relay-only, like iceTransportPolicy "relay").
  bool host_candidate = true;
  // A TURN server to allocate a relayed address on, with its credentials. Over TCP/TLS the client
  // talks through a tern::StreamSocket (TLS: no certificate verification, the test's coturn is
  // self-signed); the agent's own traffic stays on the UDP socket.
  std::optional<SocketAddress> turn_server;
  TurnTransport turn_transport = TurnTransport::kUdp;
  std::string turn_username;
  std::string turn_password;
  // Optional overrides of the agent's configuration (applied after the defaults above).
  std::function<void(IceAgentConfig&)> configure;
};

class LoopbackIcePeer {
 public:
  LoopbackIcePeer(EventLoop& loop, Random& random, LoopbackIcePeerOptions options);
  ~LoopbackIcePeer();
  LoopbackIcePeer(const LoopbackIcePeer&) = delete;
  LoopbackIcePeer& operator=(const LoopbackIcePeer&) = delete;

  // Opens the socket on 127.0.0.1, starts the agent (gathering) and the TURN allocation.
  absl::Status Start();

  // Signaling out (set before Start): every gathered candidate, and the agent's end of gathering
  // (with TURN it waits for the allocation: IceAgentConfig::pending_relay_allocations).
  std::function<void(const Candidate&)> on_candidate;
  std::function<void()> on_end_of_candidates;

  // Signaling in. Candidates and end-of-candidates that arrive before Start() are kept and applied
  // by it; credentials need Start() first.
  absl::Status SetRemoteCredentials(const IceCredentials& credentials);
  absl::Status AddRemoteCandidate(const Candidate& candidate);
  void SetRemoteEndOfCandidates();

  // Application data on the selected pair.
  absl::Status Send(ByteSpan payload);
  // Closes the agent and deallocates (drive the loop until turn_closed()).
  void Close();

  IceAgent& agent() { return *agent_; }
  TurnClient* turn() { return turn_.get(); }
  IceTurnMux* mux() { return mux_.get(); }
  SocketAddress socket_address() const;
  const UdpSocket::Stats& socket_stats() const { return socket_->stats(); }
  Timestamp now() const { return loop_.Now(); }

  bool connected() const;
  bool failed() const { return state_ == IceConnectionState::kFailed; }
  IceConnectionState state() const { return state_; }
  std::optional<Timestamp> connected_at() const { return connected_at_; }
  const std::vector<Candidate>& gathered() const { return gathered_; }
  const std::vector<std::vector<uint8_t>>& received() const { return received_; }
  const std::vector<TurnEvent>& turn_events() const { return turn_events_; }
  bool turn_closed() const;
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  void OnIceEvent(IceEvent event);
  void OnTurnEvent(TurnEvent event);
  void Drain();

  EventLoop& loop_;
  Random& random_;
  LoopbackIcePeerOptions options_;
  std::unique_ptr<UdpSocket> socket_;
  std::unique_ptr<StreamSocket> stream_;  // TURN over TCP/TLS
  std::unique_ptr<IceAgent> agent_;
  std::unique_ptr<TurnClient> turn_;
  std::unique_ptr<IceTurnMux> mux_;
  std::unique_ptr<SansIoDriver<IceAgent>> agent_driver_;
  std::unique_ptr<SansIoDriver<IceTurnMux>> mux_driver_;

  IceConnectionState state_ = IceConnectionState::kNew;
  std::optional<Timestamp> connected_at_;
  bool eoc_sent_ = false;
  std::vector<Candidate> early_candidates_;
  bool early_end_of_candidates_ = false;
  std::vector<Candidate> gathered_;
  std::vector<std::vector<uint8_t>> received_;
  std::vector<TurnEvent> turn_events_;
  std::vector<std::string> errors_;
};

}  // namespace tern::ice::testing

#endif  // TERN_TESTS_INTEROP_ICE_LOOPBACK_LOOPBACK_ICE_PEER_H_
