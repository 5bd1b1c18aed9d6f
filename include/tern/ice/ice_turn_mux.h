// One ICE agent and the TURN clients that give it relay candidates, sharing the owner's sockets, as a
// single sans-IO core (DESIGN.md contract: HandleInput / HandleTimeout / PollTransmit / PollEvent /
// NextTimeout), so that one SansIoDriver can run all of them on one UDP socket (RFC 8445 §5.1.1.2:
// the relayed candidate's base is obtained from the host socket that talks to the TURN server).
//
// Demultiplexing of what arrives (RFC 7983 and RFC 8656 §12):
//  - from a TURN client's server, with that client's transport: the client's — except a UDP STUN
//    message the agent Owns() (a Binding response when the same server is also used for STUN), which
//    goes to the agent. Stream transports (TCP/TLS) always go to the client (they are byte chunks).
//  - anything else: the agent.
// What the clients produce:
//  - TurnAllocated: each relayed address becomes IceAgent::AddLocalRelayCandidate(relayed, server,
//    mapped), then IceAgent::RelayAllocationDone; the event is also passed up.
//  - TurnAllocationFailed: IceAgent::RelayAllocationDone (no candidate); passed up.
//  Set IceAgentConfig::pending_relay_allocations to the number of clients that will allocate, so the
//  agent's gathering completes only after their relay candidates.
//  - TurnDataReceived: fed to the agent as a Datagram with local = the relayed address and remote =
//    the peer (the agent's relay seam, see ice_agent.h); not passed up. Only relayed addresses the
//    agent accepted as that client's relay candidates are routed (both ways): a server naming one of
//    the agent's host addresses as XOR-RELAYED-ADDRESS cannot divert or inject host-socket traffic.
//  - every other TURN event is passed up as a TurnClientEvent.
// What the agent produces:
//  - a Transmit whose local is one of the relayed addresses goes out through that client's SendTo
//    (Send indication, or ChannelData once bound); other transmits pass through unchanged.
//  - when a pair with a local relay candidate is selected, a channel is bound to its remote address
//    (RFC 8656 §11: 4 bytes of overhead instead of 36) unless Options::bind_channels is false.
//  - its events are passed up unchanged.
//
// The agent and the clients are not owned and must outlive the mux. The owner may still call into
// them directly (AddRemoteCandidate, SetRemoteCredentials, Allocate, Close…); afterwards it calls
// Pump(now) (or just drains: PollTransmit/PollEvent pump with the time of the latest call).
// Relayed sends made from a drain without a time use that latest time.
//
// Nothing is queued beyond what the inner cores hold: one drain moves their output into the mux's
// queues, and each input produces a bounded amount.
#ifndef TERN_ICE_ICE_TURN_MUX_H_
#define TERN_ICE_ICE_TURN_MUX_H_

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "tern/base/datagram.h"
#include "tern/base/fifo.h"
#include "tern/base/ip_address.h"
#include "tern/base/time.h"
#include "tern/ice/ice_agent.h"
#include "tern/ice/turn_client.h"

namespace tern::ice {

// A TURN client's event, with the client it came from.
struct TurnClientEvent {
  const TurnClient* client = nullptr;
  TurnEvent event;
};
using IceTurnEvent = std::variant<IceEvent, TurnClientEvent>;

struct IceTurnMuxStats {
  uint64_t to_agent = 0;                // datagrams handed to the agent directly
  uint64_t to_turn = 0;                 // datagrams (or stream chunks) handed to a TURN client
  uint64_t relayed_sent = 0;            // agent transmits sent through a client's SendTo
  uint64_t relayed_received = 0;        // TurnDataReceived fed to the agent
  uint64_t relayed_dropped = 0;         // TurnDataReceived for an address not routed through its client
  uint64_t relay_send_failures = 0;     // SendTo refused (not allocated, permission failed, full)
  uint64_t relay_candidate_errors = 0;  // AddLocalRelayCandidate refused
  uint64_t channels_requested = 0;
};

class IceTurnMux {
 public:
  struct Options {
    bool bind_channels = true;
  };

  explicit IceTurnMux(IceAgent& agent) : IceTurnMux(agent, Options()) {}
  IceTurnMux(IceAgent& agent, Options options);
  IceTurnMux(const IceTurnMux&) = delete;
  IceTurnMux& operator=(const IceTurnMux&) = delete;

  // Adds a TURN client (not owned). Call it before the client's Allocate() output is drained (i.e.
  // before Pump). InvalidArgument for a null client; AlreadyExists when a client with the same server
  // and transport was added (the input demultiplexing could not tell them apart).
  absl::Status AddTurnClient(TurnClient* client);

  // Sans-IO contract.
  void HandleInput(const Datagram& datagram, Timestamp now);
  void HandleTimeout(Timestamp now);
  std::optional<Transmit> PollTransmit();
  std::optional<IceTurnEvent> PollEvent();
  std::optional<Timestamp> NextTimeout() const;

  // Moves the inner cores' output into the mux's queues (after a direct call on the agent or a client).
  void Pump(Timestamp now);
  // IceAgent::Send, then Pump(now).
  absl::Status Send(ByteSpan payload, Timestamp now);
  absl::Status Send(std::vector<uint8_t>&& payload, Timestamp now);

  IceAgent& agent() { return agent_; }
  // The client whose allocation owns `relayed`, if any.
  TurnClient* ClientForRelayed(const SocketAddress& relayed) const;
  const IceTurnMuxStats& stats() const { return stats_; }

 private:
  struct Relayed {
    SocketAddress address;
    TurnClient* client = nullptr;
  };
  TurnClient* ClientForInput(const Datagram& datagram) const;
  void PumpOnce(Timestamp now, bool* progressed);

  IceAgent& agent_;
  Options options_;
  std::vector<TurnClient*> clients_;
  std::vector<Relayed> relayed_;
  Fifo<Transmit> transmits_;
  Fifo<IceTurnEvent> events_;
  Timestamp last_now_;
  bool pumping_ = false;
  IceTurnMuxStats stats_;
};

}  // namespace tern::ice

#endif  // TERN_ICE_ICE_TURN_MUX_H_
