// SimIceNode and FakeTurnRelay: see ice_sim_harness.h.
#include "unit/ice/ice_sim_harness.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tern/base/strings.h"
#include "tern/stun/stun.h"

namespace tern::ice::testing {

namespace {

// TERN_ICE_TRACE=1 prints every datagram the agents send and receive, and their events.
bool Tracing() {
  static const bool on = std::getenv("TERN_ICE_TRACE") != nullptr;
  return on;
}

std::string Summary(ByteSpan payload) {
  absl::StatusOr<stun::MessageView> m = stun::MessageView::Parse(payload);
  if (!m.ok()) return absl::StrCat("data(", payload.size(), ")");
  std::string out =
      absl::StrCat(ToAbsl(stun::MethodName(m->method())), " ", ToAbsl(stun::ClassName(m->message_class())));
  absl::StrAppend(&out, " tx=", m->transaction_id().bytes[0], ".", m->transaction_id().bytes[1]);
  if (m->Has(stun::attr::kUseCandidate)) out += " USE-CANDIDATE";
  if (absl::StatusOr<stun::ErrorCodeValue> e = m->GetErrorCode(); e.ok()) absl::StrAppend(&out, " ", e->code);
  if (absl::StatusOr<SocketAddress> x = m->GetXorMappedAddress(); x.ok())
    absl::StrAppend(&out, " mapped=", x->ToString());
  return out;
}

std::vector<uint8_t> Finish(stun::MessageBuilder& b, std::vector<uint8_t>& buffer) {
  absl::StatusOr<ByteSpan> wire = b.Finish({.fingerprint = true});
  if (!wire.ok()) return {};
  buffer.resize(wire->size());
  return std::move(buffer);
}

}  // namespace

// ----- FakeTurnRelay ----------------------------------------------------------------------------------

void FakeTurnRelay::HandleInput(sim::Datagram d, Timestamp now) {
  if (d.destination == listen_) {
    absl::StatusOr<stun::MessageView> msg = stun::MessageView::Parse(d.payload);
    if (!msg.ok()) return;
    auto it = std::find_if(allocations_.begin(), allocations_.end(),
                           [&](const Allocation& a) { return a.client == d.source; });
    if (msg->message_class() == stun::MessageClass::kRequest && msg->method() == stun::method::kAllocate) {
      if (it == allocations_.end()) {
        allocations_.push_back({d.source, SocketAddress(listen_.ip(), next_port_++)});
        it = allocations_.end() - 1;
      }
      std::vector<uint8_t> buffer(256);
      stun::MessageBuilder b(buffer, {stun::MessageClass::kSuccessResponse, stun::method::kAllocate},
                             msg->transaction_id());
      b.AddXorAddress(stun::attr::kXorRelayedAddress, it->relayed);
      b.AddXorAddress(stun::attr::kXorMappedAddress, d.source);
      b.AddU32(stun::attr::kLifetime, 600);
      out_.push_back({listen_, d.source, Finish(b, buffer)});
      return;
    }
    if (msg->message_class() == stun::MessageClass::kIndication && msg->method() == stun::method::kSend &&
        it != allocations_.end()) {
      absl::StatusOr<SocketAddress> peer = msg->GetXorAddress(stun::attr::kXorPeerAddress);
      absl::StatusOr<ByteSpan> data = msg->GetData();
      if (!peer.ok() || !data.ok()) return;
      ++relayed_;
      out_.push_back({it->relayed, *peer, std::vector<uint8_t>(data->begin(), data->end())});
    }
    return;
  }
  auto it = std::find_if(allocations_.begin(), allocations_.end(),
                         [&](const Allocation& a) { return a.relayed == d.destination; });
  if (it == allocations_.end()) return;
  std::vector<uint8_t> buffer(d.payload.size() + 128);
  stun::TransactionId id;
  id.bytes[0] = static_cast<uint8_t>(relayed_);
  stun::MessageBuilder b(buffer, {stun::MessageClass::kIndication, stun::method::kData}, id);
  b.AddXorAddress(stun::attr::kXorPeerAddress, d.source);
  b.Add(stun::attr::kData, d.payload);
  ++relayed_;
  out_.push_back({listen_, it->client, Finish(b, buffer)});
}

std::optional<sim::Transmit> FakeTurnRelay::PollTransmit() {
  if (out_.empty()) return std::nullopt;
  sim::Transmit t = std::move(out_.front());
  out_.pop_front();
  return t;
}

// ----- SimIceNode -------------------------------------------------------------------------------------

class SimIceNode::Port final : public sim::Endpoint {
 public:
  Port(SimIceNode* node, sim::SimHost* host) : node_(node), host_(host) {}
  sim::SimHost* host() const { return host_; }
  std::deque<sim::Transmit>& out() { return out_; }
  bool wake_scheduled = false;

  void HandleInput(sim::Datagram d, Timestamp now) override { node_->OnInput(*this, d, now); }
  void HandleTimeout(Timestamp now) override { node_->OnTimeout(now); }
  std::optional<sim::Transmit> PollTransmit() override {
    node_->Pump(this);
    if (out_.empty()) return std::nullopt;
    sim::Transmit t = std::move(out_.front());
    out_.pop_front();
    return t;
  }
  std::optional<Timestamp> NextTimeout() const override { return node_->NextTimeout(); }

 private:
  SimIceNode* node_;
  sim::SimHost* host_;
  std::deque<sim::Transmit> out_;
};

SimIceNode::SimIceNode(sim::SimNetwork& net, std::string name, IceAgentConfig config)
    : net_(net), name_(std::move(name)), random_(net.ForkRandom(name_)) {
  if (!config.local_credentials) config.local_credentials = IceCredentials::Generate(random_);
  agent_ = std::make_unique<IceAgent>(std::move(config), random_);
}

SimIceNode::~SimIceNode() {
  for (auto& port : ports_) {
    if (port->host()->endpoint() == port.get()) net_.SetEndpoint(*port->host(), nullptr);
  }
}

void SimIceNode::AttachHost(sim::SimHost& host) {
  ports_.push_back(std::make_unique<Port>(this, &host));
  net_.SetEndpoint(host, ports_.back().get());
}

void SimIceNode::Connect(SimIceNode& a, SimIceNode& b, Duration delay) {
  a.peer_ = &b;
  b.peer_ = &a;
  a.delay_ = delay;
  b.delay_ = delay;
}

absl::Status SimIceNode::Start() {
  absl::Status s = agent_->Start(net_.Now());
  if (!s.ok()) return s;
  SignalCredentials();
  WakeAll();
  return absl::OkStatus();
}

absl::Status SimIceNode::Restart(std::optional<std::vector<SocketAddress>> host_addresses) {
  if (host_addresses) agent_->SetHostAddresses(std::move(*host_addresses));
  absl::Status s = agent_->RestartIce(net_.Now());
  if (!s.ok()) return s;
  gathering_done_ = false;
  eoc_sent_ = false;
  SignalCredentials();
  WakeAll();
  return absl::OkStatus();
}

void SimIceNode::WakeAll() {
  for (auto& port : ports_) {
    if (port->host()->endpoint() == port.get()) net_.Wake(*port->host());
  }
}

void SimIceNode::Signal(std::function<void(SimIceNode&)> action) {
  if (peer_ == nullptr) return;
  SimIceNode* peer = peer_;
  net_.Schedule(net_.Now() + delay_, [peer, action = std::move(action)] {
    action(*peer);
    peer->WakeAll();
  });
}

void SimIceNode::SignalCredentials() {
  IceCredentials creds = agent_->local_credentials();
  Signal([creds](SimIceNode& p) {
    IceCredentials before = p.agent_->local_credentials();
    (void)p.agent_->SetRemoteCredentials(creds, p.net_.Now());
    if (p.agent_->local_credentials() != before) {  // the peer restarted: so did we, answer
      p.gathering_done_ = false;
      p.eoc_sent_ = false;
      p.SignalCredentials();
    }
  });
}

void SimIceNode::MaybeSignalEndOfCandidates() {
  if (eoc_sent_ || !gathering_done_ || (relay_ && !relay_->done) || !held_.empty()) return;
  eoc_sent_ = true;
  Signal([](SimIceNode& p) { p.agent_->SetRemoteEndOfCandidates(p.net_.Now()); });
}

void SimIceNode::ReleaseHeld() {
  std::vector<Candidate> held = std::move(held_);
  held_.clear();
  hold_ = nullptr;
  for (Candidate& c : held) {
    Signal([c](SimIceNode& p) { (void)p.agent_->AddRemoteCandidate(c, p.net_.Now()); });
  }
  MaybeSignalEndOfCandidates();
}

void SimIceNode::SendData(std::string_view text) {
  (void)agent_->Send(AsBytes(text), net_.Now());
  WakeAll();
}

void SimIceNode::UseRelay(sim::SimHost& host, uint16_t port, SocketAddress server) {
  relay_ = RelayClient{};
  relay_->host = &host;
  relay_->client = SocketAddress(host.address(server.family()), port);
  relay_->server = server;
  SendAllocate(net_.Now());
  WakeAll();
}

void SimIceNode::SendAllocate(Timestamp now) {
  relay_->transaction = stun::TransactionId::Generate(random_);
  std::vector<uint8_t> buffer(128);
  stun::MessageBuilder b(buffer, {stun::MessageClass::kRequest, stun::method::kAllocate},
                         relay_->transaction);
  b.AddRequestedTransport(stun::kProtocolUdp);
  ++relay_->attempts;
  relay_->next = now + Duration::Millis(500) * (int64_t{1} << std::min(relay_->attempts - 1, 3));
  Push(relay_->client, relay_->server, Finish(b, buffer), nullptr);
}

void SimIceNode::OnRelayMessage(const sim::Datagram& d, Timestamp now) {
  absl::StatusOr<stun::MessageView> msg = stun::MessageView::Parse(d.payload);
  if (!msg.ok()) return;
  if (msg->method() == stun::method::kAllocate &&
      msg->message_class() == stun::MessageClass::kSuccessResponse &&
      msg->transaction_id() == relay_->transaction && !relay_->relayed) {
    absl::StatusOr<SocketAddress> relayed = msg->GetXorAddress(stun::attr::kXorRelayedAddress);
    absl::StatusOr<SocketAddress> mapped = msg->GetXorMappedAddress();
    if (!relayed.ok()) return;
    relay_->relayed = *relayed;
    relay_->done = true;
    (void)agent_->AddLocalRelayCandidate(*relayed, relay_->server, now,
                                         mapped.ok() ? *mapped : SocketAddress());
    MaybeSignalEndOfCandidates();
    return;
  }
  if (msg->method() == stun::method::kData && msg->message_class() == stun::MessageClass::kIndication &&
      relay_->relayed) {
    absl::StatusOr<SocketAddress> peer = msg->GetXorAddress(stun::attr::kXorPeerAddress);
    absl::StatusOr<ByteSpan> data = msg->GetData();
    if (!peer.ok() || !data.ok()) return;
    agent_->HandleInput(Datagram{*relay_->relayed, *peer, TransportProtocol::kUdp, *data}, now);
  }
}

void SimIceNode::OnInput(Port& port, const sim::Datagram& d, Timestamp now) {
  if (relay_ && d.destination == relay_->client && d.source == relay_->server) {
    OnRelayMessage(d, now);
    return;
  }
  if (blackholed_.count(d.source.ip()) > 0) return;
  if (Tracing())
    std::fprintf(stderr, "%10.3f %s <- %s on %s: %s\n", now.us() / 1e6, name_.c_str(),
                 d.source.ToString().c_str(), d.destination.ToString().c_str(), Summary(d.payload).c_str());
  agent_->HandleInput(Datagram{d.destination, d.source, TransportProtocol::kUdp, d.payload}, now);
}

void SimIceNode::OnTimeout(Timestamp now) {
  agent_->HandleTimeout(now);
  if (relay_ && !relay_->done && now >= relay_->next) {
    if (relay_->attempts >= 7) {
      relay_->done = true;
      MaybeSignalEndOfCandidates();
    } else {
      SendAllocate(now);
    }
  }
}

std::optional<Timestamp> SimIceNode::NextTimeout() const {
  std::optional<Timestamp> t = agent_->NextTimeout();
  if (relay_ && !relay_->done && (!t || relay_->next < *t)) t = relay_->next;
  return t;
}

void SimIceNode::Push(const SocketAddress& source, const SocketAddress& destination,
                      std::vector<uint8_t> payload, Port* draining) {
  for (auto& port : ports_) {
    if (!port->host()->HasAddress(source.ip())) continue;
    port->out().push_back({source, destination, std::move(payload)});
    if (port.get() != draining && !port->wake_scheduled) {
      port->wake_scheduled = true;
      Port* p = port.get();
      net_.Schedule(net_.Now(), [this, p] {
        p->wake_scheduled = false;
        if (p->host()->endpoint() == p) net_.Wake(*p->host());
      });
    }
    return;
  }
}

void SimIceNode::Pump(Port* draining) {
  while (std::optional<Transmit> t = agent_->PollTransmit()) {
    if (std::optional<SocketAddress> server = agent_->RouteOf(t->local)) {
      if (!relay_ || !relay_->relayed) continue;
      std::vector<uint8_t> buffer(t->payload.size() + 128);
      stun::MessageBuilder b(buffer, {stun::MessageClass::kIndication, stun::method::kSend},
                             stun::TransactionId::Generate(random_));
      b.AddXorAddress(stun::attr::kXorPeerAddress, t->remote);
      b.Add(stun::attr::kData, t->payload);
      Push(relay_->client, *server, Finish(b, buffer), draining);
      continue;
    }
    if (blackholed_.count(t->remote.ip()) > 0) continue;
    if (Tracing())
      std::fprintf(stderr, "%10.3f %s -> %s from %s: %s\n", net_.Now().us() / 1e6, name_.c_str(),
                   t->remote.ToString().c_str(), t->local.ToString().c_str(), Summary(t->payload).c_str());
    Push(t->local, t->remote, std::move(t->payload), draining);
  }
  while (std::optional<IceEvent> e = agent_->PollEvent()) HandleEvent(std::move(*e));
}

void SimIceNode::HandleEvent(IceEvent event) {
  Timestamp now = net_.Now();
  if (auto* g = std::get_if<IceCandidateGathered>(&event)) {
    Candidate c = g->candidate;
    c.ufrag = agent_->local_credentials().ufrag;
    if (hold_ && hold_(c)) {
      held_.push_back(c);
    } else {
      Signal([c](SimIceNode& p) { (void)p.agent_->AddRemoteCandidate(c, p.net_.Now()); });
    }
  } else if (std::holds_alternative<IceGatheringComplete>(event)) {
    gathering_done_ = true;
    MaybeSignalEndOfCandidates();
  } else if (auto* s = std::get_if<IceStateChanged>(&event)) {
    if (Tracing())
      std::fprintf(stderr, "%10.3f %s state %s\n", now.us() / 1e6, name_.c_str(),
                   std::string(IceConnectionStateName(s->state)).c_str());
    states_.push_back({now, s->state});
    if ((s->state == IceConnectionState::kConnected || s->state == IceConnectionState::kCompleted) &&
        !connected_at_)
      connected_at_ = now;
    if (s->state == IceConnectionState::kFailed && !failed_at_) failed_at_ = now;
    if (s->state == IceConnectionState::kDisconnected && !disconnected_at_) disconnected_at_ = now;
  } else if (auto* sel = std::get_if<IceSelectedPairChanged>(&event)) {
    if (Tracing())
      std::fprintf(stderr, "%10.3f %s selected %s %s -> %s %s\n", now.us() / 1e6, name_.c_str(),
                   std::string(CandidateTypeName(sel->pair.local.type)).c_str(),
                   sel->pair.local_base.ToString().c_str(),
                   std::string(CandidateTypeName(sel->pair.remote.type)).c_str(),
                   sel->pair.remote.address.ToString().c_str());
    ++selected_changes_;
  } else if (std::holds_alternative<IceRoleChanged>(event)) {
    ++role_changes_;
  } else if (auto* d = std::get_if<IceDataReceived>(&event)) {
    received_.emplace_back(AsString(d->payload));
  }
}

std::string SimIceNode::StateHistory() const {
  std::string out;
  for (const StateChange& s : states_) {
    absl::StrAppend(&out, out.empty() ? "" : " ", ToAbsl(IceConnectionStateName(s.state)), "@",
                    absl::StrFormat("%.3f", s.time.us() / 1e6));
  }
  return out;
}

}  // namespace tern::ice::testing
