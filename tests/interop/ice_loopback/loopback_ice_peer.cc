// See loopback_ice_peer.h.
#include "interop/ice_loopback/loopback_ice_peer.h"

#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"

namespace tern::ice::testing {

LoopbackIcePeer::LoopbackIcePeer(EventLoop& loop, Random& random, LoopbackIcePeerOptions options)
    : loop_(loop), random_(random), options_(std::move(options)) {}

LoopbackIcePeer::~LoopbackIcePeer() {
  // Drivers first (they cancel their timers), then the cores, then the socket.
  mux_driver_.reset();
  agent_driver_.reset();
  mux_.reset();
  turn_.reset();
  agent_.reset();
  stream_.reset();
  socket_.reset();
}

absl::Status LoopbackIcePeer::Start() {
  UdpSocketOptions socket_options;
  socket_options.bind = SocketAddress(IpAddress::LoopbackV4(), 0);
  absl::StatusOr<std::unique_ptr<UdpSocket>> socket =
      UdpSocket::Open(loop_, socket_options, random_, [this](const Datagram& d) {
        if (mux_driver_ != nullptr) {
          mux_driver_->HandleInput(d);
        } else if (agent_driver_ != nullptr) {
          agent_driver_->HandleInput(d);
        }
      });
  if (!socket.ok()) return socket.status();
  socket_ = std::move(*socket);

  IceAgentConfig config;
  config.role = options_.role;
  config.mode = options_.mode;
  if (options_.host_candidate) config.host_addresses.push_back(socket_->local_address());
  if (options_.turn_server.has_value()) config.pending_relay_allocations = 1;
  if (options_.configure) options_.configure(config);
  agent_ = std::make_unique<IceAgent>(std::move(config), random_);

  if (options_.turn_server.has_value()) {
    TurnClientConfig turn_config;
    turn_config.server = *options_.turn_server;
    turn_config.local = socket_->local_address();
    turn_config.transport = options_.turn_transport;
    turn_config.username = options_.turn_username;
    turn_config.password = options_.turn_password;
    turn_config.software = "tern ice loopback test";
    turn_ = std::make_unique<TurnClient>(std::move(turn_config), random_);
    mux_ = std::make_unique<IceTurnMux>(*agent_);
    if (absl::Status s = mux_->AddTurnClient(turn_.get()); !s.ok()) return s;
    mux_driver_ = std::make_unique<SansIoDriver<IceTurnMux>>(loop_, *mux_, [this](IceTurnEvent e) {
      if (IceEvent* ice = std::get_if<IceEvent>(&e)) {
        OnIceEvent(std::move(*ice));
      } else {
        OnTurnEvent(std::move(std::get<TurnClientEvent>(e).event));
      }
    });
    mux_driver_->AddSocket(socket_.get());
    if (options_.turn_transport != TurnTransport::kUdp) {
      StreamCallbacks callbacks;
      callbacks.on_data = [this](ByteSpan bytes) {
        if (mux_driver_ != nullptr && stream_ != nullptr) mux_driver_->HandleStreamInput(*stream_, bytes);
      };
      callbacks.on_closed = [this](absl::Status status) {
        if (turn_ == nullptr) return;
        if (turn_->state() != TurnClientState::kClosed) {
          errors_.push_back(absl::StrCat("TURN stream closed: ", status.ToString()));
        }
        turn_->HandleStreamClosed(now());
        Drain();
      };
      absl::StatusOr<std::unique_ptr<StreamSocket>> stream;
      if (options_.turn_transport == TurnTransport::kTcp) {
        TcpClientOptions tcp;
        tcp.bind = SocketAddress(IpAddress::LoopbackV4(), 0);
        stream = ConnectTcp(loop_, *options_.turn_server, tcp, std::move(callbacks));
      } else {
        TlsClientOptions tls;
        tls.tcp.bind = SocketAddress(IpAddress::LoopbackV4(), 0);
        tls.verify = TlsVerifyMode::kNone;  // the test's coturn has a self-signed certificate
        stream = ConnectTls(loop_, *options_.turn_server, tls, std::move(callbacks));
      }
      if (!stream.ok()) return stream.status();
      stream_ = std::move(*stream);
      mux_driver_->AddStream(stream_.get());
    }
  } else {
    agent_driver_ = std::make_unique<SansIoDriver<IceAgent>>(
        loop_, *agent_, [this](IceEvent e) { OnIceEvent(std::move(e)); });
    agent_driver_->AddSocket(socket_.get());
  }

  if (absl::Status s = agent_->Start(now()); !s.ok()) return s;
  for (const Candidate& c : early_candidates_) {
    if (absl::Status s = agent_->AddRemoteCandidate(c, now()); !s.ok()) errors_.push_back(s.ToString());
  }
  early_candidates_.clear();
  if (early_end_of_candidates_) agent_->SetRemoteEndOfCandidates(now());
  if (turn_ != nullptr) {
    if (absl::Status s = turn_->Allocate(now()); !s.ok()) return s;
    mux_->Pump(now());
  }
  Drain();
  return absl::OkStatus();
}

void LoopbackIcePeer::Drain() {
  if (mux_driver_ != nullptr) {
    mux_->Pump(now());
    mux_driver_->Drain();
  } else if (agent_driver_ != nullptr) {
    agent_driver_->Drain();
  }
}

SocketAddress LoopbackIcePeer::socket_address() const {
  return socket_ != nullptr ? socket_->local_address() : SocketAddress();
}

bool LoopbackIcePeer::connected() const {
  return (state_ == IceConnectionState::kConnected || state_ == IceConnectionState::kCompleted) &&
         agent_->selected_pair().has_value();
}

bool LoopbackIcePeer::turn_closed() const {
  return turn_ == nullptr || turn_->state() == TurnClientState::kClosed ||
         turn_->state() == TurnClientState::kFailed;
}

void LoopbackIcePeer::OnIceEvent(IceEvent event) {
  if (const auto* g = std::get_if<IceCandidateGathered>(&event)) {
    gathered_.push_back(g->candidate);
    if (on_candidate) on_candidate(g->candidate);
  } else if (std::holds_alternative<IceGatheringComplete>(event)) {
    // With TURN this comes after the relay candidate (config.pending_relay_allocations).
    if (!eoc_sent_) {
      eoc_sent_ = true;
      if (on_end_of_candidates) on_end_of_candidates();
    }
  } else if (const auto* s = std::get_if<IceStateChanged>(&event)) {
    state_ = s->state;
    if ((state_ == IceConnectionState::kConnected || state_ == IceConnectionState::kCompleted) &&
        !connected_at_.has_value()) {
      connected_at_ = now();
    }
  } else if (auto* data = std::get_if<IceDataReceived>(&event)) {
    if (!data->on_selected_pair) {
      errors_.push_back(absl::StrCat("data from ", data->remote.ToString(), " off the selected pair"));
    }
    received_.push_back(std::move(data->payload));
  } else if (const auto* dropped = std::get_if<IceCandidateDropped>(&event)) {
    errors_.push_back(absl::StrCat("candidate dropped: ", dropped->reason));
  }
}

void LoopbackIcePeer::OnTurnEvent(TurnEvent event) {
  if (const auto* failed = std::get_if<TurnAllocationFailed>(&event)) {
    errors_.push_back(absl::StrCat("TURN allocation failed: ", failed->status.ToString()));
  } else if (const auto* error = std::get_if<TurnError>(&event)) {
    errors_.push_back(absl::StrCat("TURN error: ", error->status.ToString()));
  }
  turn_events_.push_back(std::move(event));
}

absl::Status LoopbackIcePeer::SetRemoteCredentials(const IceCredentials& credentials) {
  if (agent_ == nullptr) return absl::FailedPreconditionError("Start() first");
  absl::Status s = agent_->SetRemoteCredentials(credentials, now());
  Drain();
  return s;
}

absl::Status LoopbackIcePeer::AddRemoteCandidate(const Candidate& candidate) {
  if (agent_ == nullptr) {  // signaling can arrive before Start(): applied by Start()
    early_candidates_.push_back(candidate);
    return absl::OkStatus();
  }
  absl::Status s = agent_->AddRemoteCandidate(candidate, now());
  Drain();
  return s;
}

void LoopbackIcePeer::SetRemoteEndOfCandidates() {
  if (agent_ == nullptr) {
    early_end_of_candidates_ = true;
    return;
  }
  agent_->SetRemoteEndOfCandidates(now());
  Drain();
}

absl::Status LoopbackIcePeer::Send(ByteSpan payload) {
  absl::Status s = agent_->Send(payload, now());
  Drain();
  return s;
}

void LoopbackIcePeer::Close() {
  agent_->Close();
  if (turn_ != nullptr) turn_->Close(now());
  Drain();
}

}  // namespace tern::ice::testing
