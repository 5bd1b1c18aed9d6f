// tern-turnserver runtime glue (see server.h).
#include "server.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "metrics.h"
#include "tern/base/log.h"
#include "tern/base/strings.h"
#include "tern/net/interfaces.h"

namespace tern::turnserver {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", ToAbsl(what), " file ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Unix seconds = (steady now + offset) for the core's REST-username expiry checks.
Duration UnixTimeOffset(const Clock& clock) {
  const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  return Duration::Micros(wall) - (clock.Now() - Timestamp::Zero());
}

}  // namespace

absl::StatusOr<turn::TurnServerConfig> MakeCoreConfig(const Config& c, const std::vector<SocketAddress>& listening) {
  if (c.no_auth) {
    return absl::InvalidArgumentError("no-auth is not supported: tern-turnserver always authenticates");
  }
  turn::TurnServerConfig t;
  t.realm = c.realm;
  t.software = "tern-turnserver";
  t.fingerprint = c.fingerprint;
  t.listening = listening;
  for (const IpAddress& ip : c.EffectiveRelayIps()) {
    turn::RelayAddressConfig r;
    r.private_ip = ip;
    for (const ExternalIp& e : c.external_ips) {
      // PUBLIC/PRIVATE applies to that private address; a bare PUBLIC to every relay of its family.
      if ((e.private_ip.is_set() && e.private_ip == ip) ||
          (!e.private_ip.is_set() && e.public_ip.family() == ip.family() && !r.public_ip.is_set())) {
        r.public_ip = e.public_ip;
      }
    }
    t.relay_addresses.push_back(r);
  }
  t.min_port = c.min_port;
  t.max_port = c.max_port;
  for (const StaticUser& u : c.users) t.users[u.name] = u.password;
  if (c.use_auth_secret) t.rest_secrets = c.static_auth_secrets;
  t.total_quota = c.total_quota;
  t.user_quota = c.user_quota;
  t.bandwidth_cap_bytes_per_second = c.max_bps;
  t.unauthenticated_rate = c.unauthenticated_rate;
  t.unauthenticated_burst = std::max(c.unauthenticated_burst, 1.0);
  for (const PeerIpRange& r : c.denied_peer_ips) {
    for (const IpPrefix& p : r.ToPrefixes()) t.peer_policy.denied_peer_ranges.push_back(p);
  }
  for (const PeerIpRange& r : c.allowed_peer_ips) {
    for (const IpPrefix& p : r.ToPrefixes()) t.peer_policy.allowed_peer_ranges.push_back(p);
  }
  if (c.allow_loopback_peers) {
    t.peer_policy.allowed_peer_ranges.push_back(*IpPrefix::Parse("127.0.0.0/8"));
    t.peer_policy.allowed_peer_ranges.push_back(*IpPrefix::Parse("::1/128"));
  }
  return t;
}

absl::StatusOr<TlsServerCredentials> LoadTlsCredentials(const Config& c) {
  TlsServerCredentials creds;
  absl::StatusOr<std::string> cert = ReadFile(c.cert, "cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(c.pkey, "pkey");
  if (!key.ok()) return key.status();
  creds.certificate_chain_pem = *std::move(cert);
  creds.private_key_pem = *std::move(key);
  creds.cipher_list = c.cipher_list;
  // coturn's defaults accept TLS 1.0+; no-tlsv1 / no-tlsv1_1 / no-tlsv1_2 raise the floor.
  creds.min_version = c.no_tlsv1_2 ? TlsVersion::kTls1_3
                      : c.no_tlsv1_1 ? TlsVersion::kTls1_2
                      : c.no_tlsv1   ? TlsVersion::kTls1_1
                                     : TlsVersion::kTls1_0;
  return creds;
}

RelayServer::RelayServer(EventLoop& loop, Config config) : loop_(loop), config_(std::move(config)) {}

RelayServer::~RelayServer() { Stop(); }

absl::Status RelayServer::Start() {
  started_at_ = loop_.Now();
  // Listening addresses: the configured ones, or (like coturn) every address of every interface.
  std::vector<IpAddress> ips;
  for (const IpAddress& ip : config_.listening_ips) ips.push_back(ip);
  if (ips.empty()) {
    InterfaceFilter filter;
    filter.include_loopback = true;
    absl::StatusOr<std::vector<NetworkInterface>> ifs = EnumerateInterfaces(filter);
    if (!ifs.ok()) return ifs.status();
    for (const NetworkInterface& i : *ifs) ips.push_back(i.address);
    if (ips.empty()) return absl::FailedPreconditionError("no interface address to listen on");
  }
  std::vector<SocketAddress> listening;
  for (const IpAddress& ip : ips) {
    if (ip.IsUnspecified()) {
      return absl::InvalidArgumentError(
          "listening-ip must name an address (omit it to listen on every interface address)");
    }
    const SocketAddress addr(ip, config_.listening_port);
    if (!config_.no_udp) {
      UdpSocketOptions o;
      o.bind = addr;
      o.recv_buffer_size = 4 << 20;
      o.send_buffer_size = 4 << 20;
      absl::StatusOr<std::unique_ptr<UdpSocket>> s =
          UdpSocket::Open(loop_, o, random_, [this](const Datagram& d) { OnDatagram(d); });
      if (!s.ok()) return absl::Status(s.status().code(), absl::StrCat("UDP listener: ", s.status().message()));
      udp_by_address_[(*s)->local_address()] = s->get();
      udp_listeners_.push_back(*std::move(s));
    }
    if (!config_.no_tcp) {
      StreamListenerOptions o;
      o.bind = addr;
      absl::StatusOr<std::unique_ptr<StreamListener>> l = StreamListener::Listen(
          loop_, o, [this](std::unique_ptr<AcceptedStream> s) { OnAccept(std::move(s)); });
      if (!l.ok()) return absl::Status(l.status().code(), absl::StrCat("TCP listener: ", l.status().message()));
      stream_listeners_.push_back(*std::move(l));
    }
    listening.push_back(addr);
    if (!config_.cert.empty() && !config_.no_tls) {
      absl::StatusOr<TlsServerCredentials> creds = LoadTlsCredentials(config_);
      if (!creds.ok()) return creds.status();
      StreamListenerOptions o;
      o.bind = SocketAddress(ip, config_.tls_listening_port);
      o.tls = *std::move(creds);
      absl::StatusOr<std::unique_ptr<StreamListener>> l = StreamListener::Listen(
          loop_, o, [this](std::unique_ptr<AcceptedStream> s) { OnAccept(std::move(s)); });
      if (!l.ok()) return absl::Status(l.status().code(), absl::StrCat("TLS listener: ", l.status().message()));
      stream_listeners_.push_back(*std::move(l));
      listening.push_back(o.bind);
    }
  }
  absl::StatusOr<turn::TurnServerConfig> core_config = MakeCoreConfig(config_, listening);
  if (!core_config.ok()) return core_config.status();
  core_config->unix_time_offset = UnixTimeOffset(loop_.clock());
  absl::StatusOr<std::unique_ptr<turn::TurnServer>> core = turn::TurnServer::Create(*std::move(core_config), random_);
  if (!core.ok()) return core.status();
  core_ = *std::move(core);
  if (config_.prometheus) {
    absl::StatusOr<std::unique_ptr<MetricsEndpoint>> m = MetricsEndpoint::Start(
        loop_, SocketAddress(config_.prometheus_address, config_.prometheus_port), [this] { return MetricsText(); });
    if (!m.ok()) return m.status();
    metrics_ = *std::move(m);
  }
  return absl::OkStatus();
}

std::vector<std::string> RelayServer::ListeningDescription() const {
  std::vector<std::string> out;
  for (const auto& u : udp_listeners_) out.push_back("udp " + u->local_address().ToString());
  for (const auto& l : stream_listeners_) {
    out.push_back(absl::StrCat(l->protocol() == TransportProtocol::kTls ? "tls " : "tcp ",
                               l->local_address().ToString()));
  }
  if (metrics_ != nullptr) out.push_back("metrics http://" + metrics_->local_address().ToString() + "/metrics");
  return out;
}

absl::Status RelayServer::ReloadTls() {
  if (config_.cert.empty()) return absl::FailedPreconditionError("no cert configured");
  absl::StatusOr<TlsServerCredentials> creds = LoadTlsCredentials(config_);
  if (!creds.ok()) return creds.status();
  for (const auto& l : stream_listeners_) {
    if (l->protocol() != TransportProtocol::kTls) continue;
    if (absl::Status s = l->ReloadCredentials(*creds); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void RelayServer::Stop() {
  if (core_ != nullptr) {
    core_->Shutdown(loop_.Now());
    Drain();
  }
  loop_.Cancel(timer_);
  loop_.Cancel(reaper_);
  metrics_.reset();
  streams_.clear();
  stream_listeners_.clear();
  udp_by_address_.clear();
  relays_.clear();
  udp_listeners_.clear();
  dead_udp_.clear();
  dead_streams_.clear();
  core_.reset();
}

void RelayServer::OnDatagram(const Datagram& d) {
  core_->HandleInput(d, loop_.Now());
  Drain();
}

void RelayServer::OnAccept(std::unique_ptr<AcceptedStream> stream) {
  if (core_ == nullptr) return;
  const StreamKey key{stream->remote_address(), stream->local_address(), stream->protocol()};
  AcceptedStream* raw = stream.get();
  StreamCallbacks cb;
  cb.on_data = [this, raw](ByteSpan bytes) {
    Datagram d;
    d.local = raw->local_address();
    d.remote = raw->remote_address();
    d.protocol = raw->protocol();
    d.payload = bytes;
    core_->HandleInput(d, loop_.Now());
    Drain();
  };
  cb.on_closed = [this, key](absl::Status status) {
    if (!status.ok()) TERN_LOG(kVerbose) << "stream " << key.client.ToString() << " closed: " << status;
    core_->HandleStreamClosed(turn::FiveTuple{key.client, key.server, key.protocol}, loop_.Now());
    DropStream(key);
    Drain();
  };
  raw->Start(std::move(cb));
  streams_[key] = std::move(stream);
}

void RelayServer::Drain() {
  if (draining_) {
    redrain_ = true;
    return;
  }
  draining_ = true;
  do {
    redrain_ = false;
    while (std::optional<Transmit> t = core_->PollTransmit()) Route(*std::move(t));
    while (std::optional<turn::TurnServerEvent> e = core_->PollEvent()) {
      OnEvent(*std::move(e));
      redrain_ = true;
    }
  } while (redrain_);
  draining_ = false;
  ArmTimer();
}

void RelayServer::Route(Transmit t) {
  if (t.protocol == TransportProtocol::kUdp) {
    auto it = udp_by_address_.find(t.local);
    if (it == udp_by_address_.end()) {
      ++glue_.unroutable_transmits;
    } else if (!it->second->Send(t.remote, t.payload).ok()) {
      ++glue_.udp_send_errors;
    }
  } else {
    auto it = streams_.find(StreamKey{t.remote, t.local, t.protocol});
    if (it == streams_.end()) {
      ++glue_.unroutable_transmits;
    } else if (!it->second->Write(t.payload).ok()) {
      // A slow client: the whole frame is dropped (framing stays intact), like loss on UDP.
      ++glue_.stream_write_drops;
    }
  }
  core_->RecycleBuffer(std::move(t.payload));
}

void RelayServer::OnEvent(turn::TurnServerEvent e) {
  std::visit(
      [this](auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, turn::RelayOpened>) {
          OpenRelay(ev.address);
        } else if constexpr (std::is_same_v<T, turn::RelayClosed>) {
          CloseRelay(ev.address);
        } else if constexpr (std::is_same_v<T, turn::Allocated>) {
          TERN_LOG(kVerbose) << "allocation " << ev.five_tuple.ToString() << " user '" << ev.username << "'";
        } else if constexpr (std::is_same_v<T, turn::Deallocated>) {
          TERN_LOG(kVerbose) << "deallocation " << ev.five_tuple.ToString() << " ("
                             << turn::DeallocationReasonName(ev.reason) << ")";
        } else if constexpr (std::is_same_v<T, turn::AuthFailed>) {
          TERN_LOG(kInfo) << "auth failed " << ev.five_tuple.ToString() << " user '" << ev.username
                          << "': " << ev.reason;
        } else if constexpr (std::is_same_v<T, turn::PeerDenied>) {
          TERN_LOG(kInfo) << "peer denied " << ev.peer.ToString() << " for " << ev.five_tuple.ToString();
        } else if constexpr (std::is_same_v<T, turn::QuotaHit>) {
          TERN_LOG(kInfo) << "quota " << ev.error_code << " for user '" << ev.username << "' "
                          << ev.five_tuple.ToString();
        } else if constexpr (std::is_same_v<T, turn::CloseStream>) {
          TERN_LOG(kVerbose) << "closing " << ev.five_tuple.ToString() << ": " << ev.status;
          DropStream(StreamKey{ev.five_tuple.client, ev.five_tuple.server, ev.five_tuple.protocol});
        }
      },
      e);
}

void RelayServer::OpenRelay(const SocketAddress& address) {
  UdpSocketOptions o;
  o.bind = address;
  // A relay socket sees one peer's traffic: room for a burst while the loop is descheduled (the kernel
  // charges the buffer only when used), and no GRO/GSO (segments to or from one peer rarely coalesce).
  o.recv_buffer_size = 1 << 20;
  o.gro = false;
  o.gso = false;
  absl::StatusOr<std::unique_ptr<UdpSocket>> s =
      UdpSocket::Open(loop_, o, random_, [this](const Datagram& d) { OnDatagram(d); });
  if (!s.ok()) {
    ++glue_.relay_bind_errors;
    core_->HandleRelayBindResult(address, s.status(), loop_.Now());
    return;
  }
  udp_by_address_[address] = s->get();
  relays_[address] = *std::move(s);
  glue_.relay_sockets = relays_.size();
  core_->HandleRelayBindResult(address, absl::OkStatus(), loop_.Now());
}

void RelayServer::CloseRelay(const SocketAddress& address) {
  auto it = relays_.find(address);
  if (it == relays_.end()) return;
  udp_by_address_.erase(address);
  Bury(std::move(it->second));
  relays_.erase(it);
  glue_.relay_sockets = relays_.size();
}

void RelayServer::DropStream(const StreamKey& key) {
  auto it = streams_.find(key);
  if (it == streams_.end()) return;
  it->second->Close();
  Bury(std::move(it->second));
  streams_.erase(it);
}

void RelayServer::Bury(std::unique_ptr<UdpSocket> s) {
  dead_udp_.push_back(std::move(s));
  if (!reaper_.valid()) {
    reaper_ = loop_.RunAfter(Duration::Zero(), [this] {
      reaper_ = TimerHandle();
      dead_udp_.clear();
      dead_streams_.clear();
    });
  }
}

void RelayServer::Bury(std::unique_ptr<AcceptedStream> s) {
  dead_streams_.push_back(std::move(s));
  if (!reaper_.valid()) {
    reaper_ = loop_.RunAfter(Duration::Zero(), [this] {
      reaper_ = TimerHandle();
      dead_udp_.clear();
      dead_streams_.clear();
    });
  }
}

void RelayServer::ArmTimer() {
  if (core_ == nullptr) return;
  const Timestamp next = core_->NextTimeout().value_or(Timestamp::Infinite());
  if (next == timer_at_ && timer_.valid()) return;
  loop_.Cancel(timer_);
  timer_ = TimerHandle();
  timer_at_ = next;
  if (next.is_infinite()) return;
  timer_ = loop_.RunAt(next, [this] {
    timer_ = TimerHandle();
    timer_at_ = Timestamp::Infinite();
    core_->HandleTimeout(loop_.Now());
    Drain();
  });
}

std::string RelayServer::MetricsText() const {
  MetricsWriter w;
  const turn::TurnServerStats& s = core_->stats();
  w.Gauge("tern_turn_allocations", "Current allocations.", s.allocations);
  w.Counter("tern_turn_allocations_total", "Allocations created.", s.allocations_total);
  w.Gauge("tern_turn_permissions", "Current permissions.", s.permissions);
  w.Gauge("tern_turn_channels", "Current channel bindings.", s.channels);
  w.Gauge("tern_turn_streams", "TCP/TLS client connections tracked by the core.", s.streams);
  w.Counter("tern_turn_requests_total", "STUN requests received.", s.requests);
  w.Counter("tern_turn_binding_requests_total", "STUN Binding requests received.", s.binding_requests);
  w.Counter("tern_turn_relayed_packets_total", "Packets relayed.", s.packets_client_to_peer,
            "direction=\"client_to_peer\"");
  w.Counter("tern_turn_relayed_packets_total", "", s.packets_peer_to_client, "direction=\"peer_to_client\"");
  w.Counter("tern_turn_relayed_bytes_total", "Payload bytes relayed.", s.bytes_client_to_peer,
            "direction=\"client_to_peer\"");
  w.Counter("tern_turn_relayed_bytes_total", "", s.bytes_peer_to_client, "direction=\"peer_to_client\"");
  w.Counter("tern_turn_auth_failures_total", "Requests that failed authentication.", s.auth_failures);
  w.Counter("tern_turn_stale_nonces_total", "438 Stale Nonce answers.", s.stale_nonces);
  w.Counter("tern_turn_denied_peers_total", "Peers refused by the address policy.", s.denied_peers);
  w.Counter("tern_turn_quota_hits_total", "Allocations refused by quota or capacity.", s.quota_hits);
  w.Counter("tern_turn_relay_bind_failures_total", "Relay ports that could not be bound.",
            s.relay_bind_failures);
  w.Counter("tern_turn_rate_limited_total", "Unauthenticated requests dropped by the rate limit.",
            s.rate_limited);
  w.Counter("tern_turn_dropped_total", "Packets dropped by the core.", s.dropped_malformed, "reason=\"malformed\"");
  w.Counter("tern_turn_dropped_total", "", s.dropped_no_allocation, "reason=\"no_allocation\"");
  w.Counter("tern_turn_dropped_total", "", s.dropped_no_permission, "reason=\"no_permission\"");
  w.Counter("tern_turn_dropped_total", "", s.bandwidth_dropped, "reason=\"bandwidth\"");
  w.Counter("tern_turn_dropped_total", "", s.amplification_dropped, "reason=\"amplification\"");
  w.Counter("tern_turn_dropped_total", "", s.dropped_transmits, "reason=\"transmit_queue\"");
  w.Counter("tern_turn_dropped_total", "", glue_.stream_write_drops, "reason=\"stream_write_queue\"");
  w.Counter("tern_turn_dropped_total", "", glue_.unroutable_transmits, "reason=\"unroutable\"");
  w.Gauge("tern_turn_relay_sockets", "Relay UDP sockets open.", glue_.relay_sockets);
  uint64_t udp_rx = 0, udp_tx = 0, udp_errs = 0;
  for (const auto& u : udp_listeners_) {
    udp_rx += u->stats().datagrams_received;
    udp_tx += u->stats().datagrams_sent;
    udp_errs += u->stats().send_errors;
  }
  for (const auto& [addr, u] : relays_) {
    udp_rx += u->stats().datagrams_received;
    udp_tx += u->stats().datagrams_sent;
    udp_errs += u->stats().send_errors;
  }
  w.Counter("tern_turn_udp_datagrams_total", "UDP datagrams on open sockets.", udp_rx, "direction=\"rx\"");
  w.Counter("tern_turn_udp_datagrams_total", "", udp_tx, "direction=\"tx\"");
  w.Counter("tern_turn_udp_send_errors_total", "UDP datagrams that failed to send (open sockets).", udp_errs);
  uint64_t accepted = 0, open = 0, tls_failed = 0;
  for (const auto& l : stream_listeners_) {
    accepted += l->stats().accepted;
    open += l->stats().open;
    tls_failed += l->stats().handshakes_failed;
  }
  w.Counter("tern_turn_stream_connections_total", "TCP/TLS connections accepted.", accepted);
  w.Gauge("tern_turn_stream_connections", "TCP/TLS connections open.", open);
  w.Counter("tern_turn_tls_handshake_failures_total", "TLS handshakes that failed or timed out.", tls_failed);
  w.Gauge("tern_turn_uptime_seconds", "Seconds since start.",
          static_cast<uint64_t>((loop_.Now() - started_at_).us() / 1000000));
  return w.Take();
}

}  // namespace tern::turnserver
