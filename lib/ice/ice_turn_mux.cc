// See include/tern/ice/ice_turn_mux.h.
#include "tern/ice/ice_turn_mux.h"

#include <algorithm>
#include <utility>

namespace tern::ice {
namespace {

TransportProtocol ProtocolOf(TurnTransport transport) {
  switch (transport) {
    case TurnTransport::kUdp:
      return TransportProtocol::kUdp;
    case TurnTransport::kTcp:
      return TransportProtocol::kTcp;
    case TurnTransport::kTls:
      return TransportProtocol::kTls;
  }
  return TransportProtocol::kUdp;
}

// A pump round is bounded: the inner cores' queues are bounded, and every round either moves output
// or stops. This caps pathological ping-pong between the agent and a client (it cannot happen with
// well-behaved cores: relayed data fed to the agent yields at most a response).
constexpr int kMaxPumpRounds = 64;

}  // namespace

IceTurnMux::IceTurnMux(IceAgent& agent, Options options) : agent_(agent), options_(options) {}

absl::Status IceTurnMux::AddTurnClient(TurnClient* client) {
  if (client == nullptr) return absl::InvalidArgumentError("ice: null TURN client");
  for (const TurnClient* c : clients_) {
    if (c == client) return absl::AlreadyExistsError("ice: TURN client already added");
    if (c->config().server == client->config().server &&
        ProtocolOf(c->config().transport) == ProtocolOf(client->config().transport)) {
      return absl::AlreadyExistsError("ice: a TURN client for that server and transport was already added");
    }
  }
  clients_.push_back(client);
  return absl::OkStatus();
}

TurnClient* IceTurnMux::ClientForRelayed(const SocketAddress& relayed) const {
  for (const Relayed& r : relayed_) {
    if (r.address == relayed) return r.client;
  }
  return nullptr;
}

TurnClient* IceTurnMux::ClientForInput(const Datagram& d) const {
  for (TurnClient* c : clients_) {
    if (c->config().server != d.remote || ProtocolOf(c->config().transport) != d.protocol) continue;
    // The same server may also be the agent's STUN server: its Binding responses are the agent's.
    if (d.protocol == TransportProtocol::kUdp && IceAgent::IsStun(d.payload) && agent_.Owns(d)) return nullptr;
    return c;
  }
  return nullptr;
}

void IceTurnMux::HandleInput(const Datagram& datagram, Timestamp now) {
  last_now_ = std::max(last_now_, now);
  if (TurnClient* c = ClientForInput(datagram)) {
    ++stats_.to_turn;
    c->HandleInput(datagram, now);
  } else {
    ++stats_.to_agent;
    agent_.HandleInput(datagram, now);
  }
  Pump(now);
}

void IceTurnMux::HandleTimeout(Timestamp now) {
  last_now_ = std::max(last_now_, now);
  if (std::optional<Timestamp> t = agent_.NextTimeout(); t && *t <= now) agent_.HandleTimeout(now);
  for (TurnClient* c : clients_) {
    if (std::optional<Timestamp> t = c->NextTimeout(); t && *t <= now) c->HandleTimeout(now);
  }
  Pump(now);
}

std::optional<Timestamp> IceTurnMux::NextTimeout() const {
  std::optional<Timestamp> next = agent_.NextTimeout();
  for (const TurnClient* c : clients_) {
    std::optional<Timestamp> t = c->NextTimeout();
    if (t && (!next || *t < *next)) next = t;
  }
  // Output still waiting in the inner cores (after a direct call without Pump) is moved out by the
  // owner's next drain, which PollTransmit/PollEvent do themselves.
  return next;
}

absl::Status IceTurnMux::Send(ByteSpan payload, Timestamp now) {
  last_now_ = std::max(last_now_, now);
  absl::Status s = agent_.Send(payload, now);
  Pump(now);
  return s;
}

absl::Status IceTurnMux::Send(std::vector<uint8_t>&& payload, Timestamp now) {
  last_now_ = std::max(last_now_, now);
  absl::Status s = agent_.Send(std::move(payload), now);
  Pump(now);
  return s;
}

void IceTurnMux::Pump(Timestamp now) {
  last_now_ = std::max(last_now_, now);
  if (pumping_) return;  // an event handler re-entered: the running pump picks the output up
  pumping_ = true;
  for (int round = 0; round < kMaxPumpRounds; ++round) {
    bool progressed = false;
    PumpOnce(last_now_, &progressed);
    if (!progressed) break;
  }
  pumping_ = false;
}

void IceTurnMux::PumpOnce(Timestamp now, bool* progressed) {
  // TURN clients first: allocations become candidates, relayed data goes into the agent.
  for (TurnClient* c : clients_) {
    while (std::optional<TurnEvent> e = c->PollEvent()) {
      *progressed = true;
      if (TurnDataReceived* data = std::get_if<TurnDataReceived>(&*e)) {
        // Only for a relayed address this client owns in the agent: otherwise (an allocation the agent
        // refused, e.g. one naming a host address) the data would look like it arrived on that socket.
        if (ClientForRelayed(data->relayed) != c) {
          ++stats_.relayed_dropped;
          continue;
        }
        Datagram d;
        d.local = data->relayed;
        d.remote = data->peer;
        d.protocol = TransportProtocol::kUdp;
        d.payload = ByteSpan(data->payload.data(), data->payload.size());
        ++stats_.relayed_received;
        agent_.HandleInput(d, now);
        continue;
      }
      if (const TurnAllocated* allocated = std::get_if<TurnAllocated>(&*e)) {
        for (const SocketAddress& relayed : allocated->relayed) {
          if (!agent_.AddLocalRelayCandidate(relayed, c->config().server, now, allocated->mapped).ok()) {
            ++stats_.relay_candidate_errors;
          }
          // Route through this client only what the agent itself treats as a relayed address of this
          // server: a hostile or broken server naming one of the agent's host addresses (or another
          // client's relayed address) as XOR-RELAYED-ADDRESS must not divert that socket's traffic
          // into its allocation.
          if (ClientForRelayed(relayed) == nullptr && agent_.RouteOf(relayed) == c->config().server) {
            relayed_.push_back(Relayed{relayed, c});
          }
        }
        agent_.RelayAllocationDone(now);
      } else if (std::holds_alternative<TurnAllocationFailed>(*e)) {
        agent_.RelayAllocationDone(now);
      }
      events_.push_back(TurnClientEvent{c, std::move(*e)});
    }
  }
  // The agent: relayed transmits go through their client, the rest out.
  while (std::optional<Transmit> t = agent_.PollTransmit()) {
    *progressed = true;
    TurnClient* c = t->local.is_set() ? ClientForRelayed(t->local) : nullptr;
    if (c == nullptr) {
      transmits_.push_back(std::move(*t));
      continue;
    }
    if (c->SendTo(t->remote, ByteSpan(t->payload.data(), t->payload.size()), now).ok()) {
      ++stats_.relayed_sent;
    } else {
      ++stats_.relay_send_failures;
    }
  }
  while (std::optional<IceEvent> e = agent_.PollEvent()) {
    *progressed = true;
    if (const IceSelectedPairChanged* sel = std::get_if<IceSelectedPairChanged>(&*e);
        sel != nullptr && options_.bind_channels && sel->pair.local.type == CandidateType::kRelay) {
      if (TurnClient* c = ClientForRelayed(sel->pair.local_base);
          c != nullptr && !c->BoundChannel(sel->pair.remote.address).has_value()) {
        if (c->BindChannel(sel->pair.remote.address, now).ok()) ++stats_.channels_requested;
      }
    }
    events_.push_back(std::move(*e));
  }
  // Last, what the clients send to their servers (requests, Send indications, ChannelData).
  for (TurnClient* c : clients_) {
    while (std::optional<Transmit> t = c->PollTransmit()) {
      *progressed = true;
      transmits_.push_back(std::move(*t));
    }
  }
}

std::optional<Transmit> IceTurnMux::PollTransmit() {
  if (transmits_.empty()) Pump(last_now_);
  if (transmits_.empty()) return std::nullopt;
  Transmit t = std::move(transmits_.front());
  transmits_.pop_front();
  return t;
}

std::optional<IceTurnEvent> IceTurnMux::PollEvent() {
  if (events_.empty()) Pump(last_now_);
  if (events_.empty()) return std::nullopt;
  IceTurnEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace tern::ice
