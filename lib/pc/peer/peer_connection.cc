// The PeerConnection facade: a pc::Connection driven on one EventLoop with UDP sockets, and the
// DataChannel handles. Threading as documented in peer_connection.h / data_channel.h: everything below
// runs on the loop thread except the public entry points, which hop there (Post or RunSync).
#include "tern/peer_connection.h"

#include <atomic>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tern/base/log.h"
#include "tern/data_channel.h"
#include "tern/net/interfaces.h"
#include "tern/net/runtime.h"
#include "tern/net/sans_io_driver.h"
#include "tern/net/udp_socket.h"
#include "tern/pc/connection.h"

namespace tern {
namespace {

// Calls a callback that may replace or clear itself while it runs.
template <typename F, typename... A>
void Fire(F& callback, A&&... args) {
  if (!callback) return;
  F local = std::move(callback);
  local(std::forward<A>(args)...);
  if (!callback) callback = std::move(local);
}

std::atomic<size_t> g_next_loop{0};

}  // namespace

struct DataChannel::Impl {
  std::weak_ptr<PeerConnection::Impl> pc;
  EventLoop* loop = nullptr;
  pc::ChannelHandle handle = 0;
  // Fixed at creation.
  std::string label;
  DataChannelInit init;
  // Written on the loop thread, read anywhere.
  std::atomic<int32_t> id{-1};
  std::atomic<DataChannelState> state{DataChannelState::kConnecting};
  std::atomic<uint64_t> sctp_buffered{0};
  std::atomic<uint64_t> posted_bytes{0};  // sent from other threads, not yet handed to the connection
  std::atomic<uint64_t> threshold{0};
  std::atomic<uint64_t> max_message_size{0};
  // Loop thread only.
  absl::AnyInvocable<void()> on_open;
  absl::AnyInvocable<void(DataChannelMessage)> on_message;
  absl::AnyInvocable<void()> on_close;
  absl::AnyInvocable<void(absl::Status)> on_error;
  absl::AnyInvocable<void()> on_buffered_amount_low;
  // Loop thread only: buffered_amount() has been seen above the threshold since OnBufferedAmountLow
  // last fired (W3C: the event fires when bufferedAmount falls from above the threshold to at or
  // below it; bytes posted from other threads count, so the association's own queue alone cannot tell).
  bool above_low_threshold = false;

  uint64_t Buffered() const { return posted_bytes.load() + sctp_buffered.load(); }
  void NoteBuffered() {
    if (Buffered() > threshold.load()) above_low_threshold = true;
  }
};

struct PeerConnection::Impl : std::enable_shared_from_this<PeerConnection::Impl> {
  EventLoop* loop = nullptr;
  CryptoRandom random;
  std::unique_ptr<pc::Connection> conn;
  std::vector<std::unique_ptr<UdpSocket>> sockets;
  TransmitRouter router;
  TimerHandle timer;
  Timestamp armed_at;
  bool draining = false;
  bool redrain = false;
  bool closed = false;
  std::map<pc::ChannelHandle, std::shared_ptr<DataChannel::Impl>> channels;

  absl::AnyInvocable<void(IceCandidate)> on_local_candidate;
  absl::AnyInvocable<void(IceGatheringState)> on_gathering;
  absl::AnyInvocable<void(IceConnectionState)> on_ice_state;
  absl::AnyInvocable<void(PeerConnectionState)> on_state;
  absl::AnyInvocable<void(SignalingState)> on_signaling;
  absl::AnyInvocable<void(std::shared_ptr<DataChannel>)> on_data_channel;

  // Runs `f` on the loop thread (inline when already there) and returns its result.
  template <typename F>
  auto Run(F f) -> decltype(f()) {
    using R = decltype(f());
    if (loop->IsCurrent()) return f();
    std::optional<R> result;
    if (!loop->RunSync([&] { result.emplace(f()); })) {
      if constexpr (std::is_constructible_v<R, absl::Status>) {
        return R(absl::CancelledError("the PeerConnection's loop has stopped"));
      } else {
        return R{};
      }
    }
    return std::move(*result);
  }
  void RunVoid(absl::AnyInvocable<void()> f) {
    if (loop->IsCurrent()) {
      f();
    } else {
      loop->RunSync(std::move(f));
    }
  }

  void OnDatagram(const Datagram& d) {
    if (!conn) return;
    conn->HandleInput(d, loop->Now());
    Drain();
  }

  void Drain() {
    if (!conn) return;
    if (draining) {
      redrain = true;
      return;
    }
    draining = true;
    do {
      redrain = false;
      while (std::optional<Transmit> t = conn->PollTransmit()) (void)router.Route(std::move(*t));
      while (std::optional<pc::ConnectionEvent> e = conn->PollEvent()) {
        redrain = true;
        Dispatch(std::move(*e));
        if (!conn) break;
      }
    } while (redrain && conn);
    draining = false;
    if (!conn) return;
    for (auto& [h, ch] : channels) ch->sctp_buffered.store(conn->BufferedAmount(h), std::memory_order_relaxed);
    Rearm();
    FireBufferedAmountLow();
  }

  // OnBufferedAmountLow for every channel whose buffered_amount() was above its threshold and is now at
  // or below it. Callbacks may send (and so drain again) or close.
  void FireBufferedAmountLow() {
    std::vector<std::shared_ptr<DataChannel::Impl>> low;
    for (auto& [h, ch] : channels) {
      if (ch->above_low_threshold && ch->Buffered() <= ch->threshold.load()) {
        ch->above_low_threshold = false;
        low.push_back(ch);
      }
    }
    for (std::shared_ptr<DataChannel::Impl>& ch : low) Fire(ch->on_buffered_amount_low);
  }

  void Rearm() {
    std::optional<Timestamp> next = conn->NextTimeout();
    if (next && timer.valid() && *next == armed_at) return;
    loop->Cancel(timer);
    timer = TimerHandle();
    if (!next || next->is_infinite()) return;
    armed_at = *next;
    std::weak_ptr<Impl> weak = weak_from_this();
    timer = loop->RunAt(*next, [weak] {
      std::shared_ptr<Impl> self = weak.lock();
      if (!self || !self->conn) return;
      self->timer = TimerHandle();
      self->conn->HandleTimeout(self->loop->Now());
      self->Drain();
    });
  }

  std::shared_ptr<DataChannel::Impl> MakeChannel(pc::ChannelHandle handle) {
    std::optional<pc::DataChannelInfo> info = conn->DataChannel(handle);
    auto ch = std::make_shared<DataChannel::Impl>();
    ch->pc = weak_from_this();
    ch->loop = loop;
    ch->handle = handle;
    if (info) {
      ch->label = info->label;
      ch->init = info->init;
      if (info->init.id) ch->id.store(*info->init.id);
      ch->state.store(info->state);
    }
    ch->max_message_size.store(conn->max_send_message_size());
    channels[handle] = ch;
    return ch;
  }

  void Dispatch(pc::ConnectionEvent e) {
    if (closed) return;
    std::visit(
        [&](auto&& ev) {
          using E = std::decay_t<decltype(ev)>;
          if constexpr (std::is_same_v<E, pc::LocalCandidateEvent>) {
            Fire(on_local_candidate, std::move(ev.candidate));
          } else if constexpr (std::is_same_v<E, pc::SignalingStateEvent>) {
            Fire(on_signaling, ev.state);
          } else if constexpr (std::is_same_v<E, pc::IceGatheringStateEvent>) {
            Fire(on_gathering, ev.state);
          } else if constexpr (std::is_same_v<E, pc::IceConnectionStateEvent>) {
            Fire(on_ice_state, ev.state);
          } else if constexpr (std::is_same_v<E, pc::ConnectionStateEvent>) {
            Fire(on_state, ev.state);
          } else if constexpr (std::is_same_v<E, pc::ChannelOpenEvent>) {
            std::shared_ptr<DataChannel::Impl> ch;
            if (auto it = channels.find(ev.channel); it != channels.end()) {
              ch = it->second;
            } else {
              ch = MakeChannel(ev.channel);
            }
            if (std::optional<pc::DataChannelInfo> info = conn->DataChannel(ev.channel); info && info->init.id) {
              ch->id.store(*info->init.id);
            }
            ch->max_message_size.store(conn->max_send_message_size());
            ch->state.store(DataChannelState::kOpen);
            if (ev.remote) {
              Fire(on_data_channel, std::make_shared<DataChannel>(ch));
            } else {
              Fire(ch->on_open);
            }
          } else if constexpr (std::is_same_v<E, pc::ChannelMessageEvent>) {
            if (auto it = channels.find(ev.channel); it != channels.end()) {
              std::shared_ptr<DataChannel::Impl> ch = it->second;
              Fire(ch->on_message, DataChannelMessage{ev.binary, std::move(ev.data)});
            }
          } else if constexpr (std::is_same_v<E, pc::ChannelClosingEvent>) {
            if (auto it = channels.find(ev.channel); it != channels.end()) {
              DataChannelState open = DataChannelState::kOpen;
              it->second->state.compare_exchange_strong(open, DataChannelState::kClosing);
            }
          } else if constexpr (std::is_same_v<E, pc::ChannelClosedEvent>) {
            if (auto it = channels.find(ev.channel); it != channels.end()) {
              std::shared_ptr<DataChannel::Impl> ch = it->second;
              channels.erase(it);
              ch->state.store(DataChannelState::kClosed);
              ch->sctp_buffered.store(0);
              Fire(ch->on_close);
            }
          } else if constexpr (std::is_same_v<E, pc::ChannelBufferedAmountLowEvent>) {
            // Nothing here: Drain refreshes every channel's buffered amount after the events and
            // FireBufferedAmountLow fires OnBufferedAmountLow once buffered_amount() (posted bytes
            // included) is at or below the threshold.
          } else if constexpr (std::is_same_v<E, pc::ChannelErrorEvent>) {
            if (auto it = channels.find(ev.channel); it != channels.end()) {
              std::shared_ptr<DataChannel::Impl> ch = it->second;
              Fire(ch->on_error, ev.status);
            }
          }
        },
        e);
  }

  void CloseOnLoop() {
    if (closed || !conn) return;
    conn->Close(loop->Now());
    // Send the close_notify and the rest, but run no callback any more.
    closed = true;
    for (auto& [h, ch] : channels) {
      ch->state.store(DataChannelState::kClosed);
      ch->sctp_buffered.store(0);
    }
    channels.clear();
    Drain();
  }

  void DestroyOnLoop() {
    CloseOnLoop();
    loop->Cancel(timer);
    timer = TimerHandle();
    for (auto& s : sockets) router.RemoveSocket(s.get());
    sockets.clear();
    conn.reset();
  }
};

// --- DataChannel ----------------------------------------------------------------------------------

DataChannel::DataChannel(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataChannel::~DataChannel() = default;

const std::string& DataChannel::label() const { return impl_->label; }
const std::string& DataChannel::protocol() const { return impl_->init.protocol; }
bool DataChannel::ordered() const { return impl_->init.ordered; }
std::optional<uint16_t> DataChannel::max_retransmits() const { return impl_->init.max_retransmits; }
std::optional<uint16_t> DataChannel::max_packet_life_time_ms() const { return impl_->init.max_packet_life_time_ms; }
bool DataChannel::negotiated() const { return impl_->init.negotiated; }
std::optional<uint16_t> DataChannel::id() const {
  int32_t id = impl_->id.load();
  if (id < 0) return std::nullopt;
  return static_cast<uint16_t>(id);
}
DataChannelState DataChannel::ready_state() const { return impl_->state.load(); }

namespace {

absl::Status SendOnChannel(const std::shared_ptr<DataChannel::Impl>& ch, bool binary, ByteSpan data) {
  DataChannelState state = ch->state.load();
  if (state != DataChannelState::kOpen) {
    return absl::FailedPreconditionError(
        absl::StrCat("DataChannel::Send: the channel is ", std::string(DataChannelStateName(state))));
  }
  uint64_t max = ch->max_message_size.load();
  if (max != 0 && data.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("DataChannel::Send: ", data.size(), " bytes is over the peer's max-message-size ", max));
  }
  std::shared_ptr<PeerConnection::Impl> pc = ch->pc.lock();
  if (!pc) return absl::FailedPreconditionError("DataChannel::Send: the PeerConnection is gone");
  if (ch->loop->IsCurrent()) {
    if (!pc->conn) return absl::FailedPreconditionError("DataChannel::Send: the PeerConnection is closed");
    absl::Status s = pc->conn->Send(ch->handle, binary, data, ch->loop->Now());
    ch->sctp_buffered.store(pc->conn->BufferedAmount(ch->handle));
    ch->NoteBuffered();
    pc->Drain();
    return s;
  }
  // Another thread: copy and post. Errors found on the loop go to OnError.
  ch->posted_bytes.fetch_add(data.size());
  std::vector<uint8_t> copy(data.begin(), data.end());
  std::weak_ptr<PeerConnection::Impl> weak = ch->pc;
  ch->loop->Post([weak, ch, binary, copy = std::move(copy)] {
    ch->NoteBuffered();  // this message's bytes still count as posted
    ch->posted_bytes.fetch_sub(copy.size());
    std::shared_ptr<PeerConnection::Impl> pc = weak.lock();
    if (!pc || !pc->conn || pc->closed) return;
    absl::Status s = pc->conn->Send(ch->handle, binary, copy, ch->loop->Now());
    ch->sctp_buffered.store(pc->conn->BufferedAmount(ch->handle));
    if (!s.ok()) Fire(ch->on_error, s);
    pc->Drain();
  });
  return absl::OkStatus();
}

}  // namespace

absl::Status DataChannel::Send(std::string_view text) {
  return SendOnChannel(impl_, false, ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}
absl::Status DataChannel::Send(std::span<const uint8_t> binary) {
  return SendOnChannel(impl_, true, ByteSpan(binary.data(), binary.size()));
}

uint64_t DataChannel::buffered_amount() const {
  return impl_->posted_bytes.load() + impl_->sctp_buffered.load();
}
uint64_t DataChannel::buffered_amount_low_threshold() const { return impl_->threshold.load(); }

namespace {

// Runs `f` on the channel's loop, inline when already there; nothing when the loop is gone.
void OnChannelLoop(const std::shared_ptr<DataChannel::Impl>& ch, absl::AnyInvocable<void()> f) {
  if (ch->loop->IsCurrent()) {
    f();
  } else {
    ch->loop->RunSync(std::move(f));
  }
}

}  // namespace

void DataChannel::SetBufferedAmountLowThreshold(uint64_t bytes) {
  impl_->threshold.store(bytes);
  std::shared_ptr<Impl> ch = impl_;
  OnChannelLoop(ch, [ch, bytes] {
    std::shared_ptr<PeerConnection::Impl> pc = ch->pc.lock();
    if (pc && pc->conn) (void)pc->conn->SetBufferedAmountLowThreshold(ch->handle, bytes);
  });
}

void DataChannel::Close() {
  std::shared_ptr<Impl> ch = impl_;
  OnChannelLoop(ch, [ch] {
    std::shared_ptr<PeerConnection::Impl> pc = ch->pc.lock();
    if (!pc || !pc->conn || pc->closed) return;
    DataChannelState s = ch->state.load();
    if (s == DataChannelState::kClosed || s == DataChannelState::kClosing) return;
    ch->state.store(DataChannelState::kClosing);
    (void)pc->conn->CloseDataChannel(ch->handle, ch->loop->Now());
    pc->Drain();
  });
}

void DataChannel::OnOpen(absl::AnyInvocable<void()> callback) {
  std::shared_ptr<Impl> ch = impl_;
  OnChannelLoop(ch, [ch, cb = std::move(callback)]() mutable {
    ch->on_open = std::move(cb);
    if (ch->state.load() == DataChannelState::kOpen) Fire(ch->on_open);
  });
}
void DataChannel::OnMessage(absl::AnyInvocable<void(DataChannelMessage)> callback) {
  std::shared_ptr<Impl> ch = impl_;
  OnChannelLoop(ch, [ch, cb = std::move(callback)]() mutable { ch->on_message = std::move(cb); });
}
void DataChannel::OnClose(absl::AnyInvocable<void()> callback) {
  std::shared_ptr<Impl> ch = impl_;
  OnChannelLoop(ch, [ch, cb = std::move(callback)]() mutable { ch->on_close = std::move(cb); });
}
void DataChannel::OnError(absl::AnyInvocable<void(absl::Status)> callback) {
  std::shared_ptr<Impl> ch = impl_;
  OnChannelLoop(ch, [ch, cb = std::move(callback)]() mutable { ch->on_error = std::move(cb); });
}
void DataChannel::OnBufferedAmountLow(absl::AnyInvocable<void()> callback) {
  std::shared_ptr<Impl> ch = impl_;
  OnChannelLoop(ch, [ch, cb = std::move(callback)]() mutable { ch->on_buffered_amount_low = std::move(cb); });
}

// --- PeerConnection -------------------------------------------------------------------------------

namespace {

absl::StatusOr<SocketAddress> ResolveServer(const IceServerUrl& url) {
  std::optional<IpAddress> ip = url.ip();
  if (!ip && (url.host == "localhost")) ip = IpAddress::LoopbackV4();
  if (!ip) {
    return absl::UnimplementedError(absl::StrCat("ICE server ", url.ToString(),
                                                 ": DNS names are not resolved yet; use an IP address"));
  }
  return SocketAddress(*ip, url.port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PeerConnection>> PeerConnection::Create(Runtime& runtime, Configuration config) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  pc::ConnectionConfig cc;
  cc.relay_only = config.ice_transport_policy == IceTransportPolicy::kRelay;
  cc.ice_lite = config.ice_lite;
  cc.max_message_size = config.max_message_size;
  cc.sctp_port = config.sctp_port;
  cc.sctp_max_streams = config.sctp_max_streams;
  for (const IceServer& server : config.ice_servers) {
    for (const std::string& u : server.urls) {
      absl::StatusOr<IceServerUrl> url = IceServerUrl::Parse(u);
      if (!url.ok()) return url.status();
      if (url->scheme == IceServerUrl::Scheme::kStuns) continue;  // STUN over TLS: not used (as browsers)
      absl::StatusOr<SocketAddress> address = ResolveServer(*url);
      if (!address.ok()) return address.status();
      if (url->is_turn()) {
        if (url->is_tls() || url->transport != IceServerUrl::Transport::kUdp) {
          return absl::UnimplementedError(absl::StrCat(
              "ICE server ", url->ToString(), ": TURN over TCP/TLS is not supported by PeerConnection yet"));
        }
        cc.turn_servers.push_back(pc::TurnServerConfig{*address, server.username, server.credential, u});
      } else {
        cc.stun_servers.push_back(*address);
      }
    }
  }
  std::vector<IpAddress> binds = config.bind_addresses;
  if (binds.empty()) {
    InterfaceFilter filter;
    absl::StatusOr<std::vector<NetworkInterface>> interfaces = EnumerateInterfaces(filter);
    if (interfaces.ok()) {
      for (const NetworkInterface& i : *interfaces) binds.push_back(i.address);
    }
    if (binds.empty()) binds.push_back(IpAddress::LoopbackV4());
  }

  auto impl = std::make_shared<Impl>();
  impl->loop = &runtime.loop(g_next_loop.fetch_add(1) % runtime.num_loops());
  if (config.certificate) {
    cc.certificate = *config.certificate;
  } else {
    absl::StatusOr<DtlsCertificate> cert = DtlsCertificate::Generate(impl->random);
    if (!cert.ok()) return cert.status();
    cc.certificate = *cert;
  }
  absl::Status status = impl->Run([&]() -> absl::Status {
    std::weak_ptr<Impl> weak = impl;
    for (const IpAddress& ip : binds) {
      UdpSocketOptions o;
      o.bind = SocketAddress(ip, 0);
      o.min_port = config.port_range_min;
      o.max_port = config.port_range_max;
      o.recv_buffer_size = 1 << 21;
      o.send_buffer_size = 1 << 21;
      Impl* raw = impl.get();
      absl::StatusOr<std::unique_ptr<UdpSocket>> socket =
          UdpSocket::Open(*impl->loop, o, impl->random, [raw](const Datagram& d) { raw->OnDatagram(d); });
      if (!socket.ok()) return socket.status();
      cc.host_addresses.push_back((*socket)->local_address());
      impl->router.AddSocket(socket->get());
      impl->sockets.push_back(std::move(*socket));
    }
    absl::StatusOr<std::unique_ptr<pc::Connection>> conn = pc::Connection::Create(std::move(cc), impl->random);
    if (!conn.ok()) return conn.status();
    impl->conn = std::move(*conn);
    EventLoop* loop = impl->loop;
    impl->conn->SetWakeHandler([weak, loop] {
      loop->Post([weak] {
        if (std::shared_ptr<Impl> self = weak.lock()) self->Drain();
      });
    });
    impl->Drain();
    return absl::OkStatus();
  });
  if (!status.ok()) {
    impl->RunVoid([&] { impl->DestroyOnLoop(); });
    return status;
  }
  return std::unique_ptr<PeerConnection>(new PeerConnection(std::move(impl)));
}

PeerConnection::PeerConnection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

PeerConnection::~PeerConnection() {
  std::shared_ptr<Impl> impl = impl_;
  impl->RunVoid([impl] { impl->DestroyOnLoop(); });
}

absl::StatusOr<SessionDescription> PeerConnection::CreateOffer() {
  return impl_->Run([&]() -> absl::StatusOr<SessionDescription> {
    if (!impl_->conn || impl_->closed) return absl::FailedPreconditionError("CreateOffer: closed");
    auto r = impl_->conn->CreateOffer(impl_->loop->Now());
    impl_->Drain();
    return r;
  });
}

absl::StatusOr<SessionDescription> PeerConnection::CreateAnswer() {
  return impl_->Run([&]() -> absl::StatusOr<SessionDescription> {
    if (!impl_->conn || impl_->closed) return absl::FailedPreconditionError("CreateAnswer: closed");
    auto r = impl_->conn->CreateAnswer(impl_->loop->Now());
    impl_->Drain();
    return r;
  });
}

absl::Status PeerConnection::SetLocalDescription(const SessionDescription& description) {
  return impl_->Run([&]() -> absl::Status {
    if (!impl_->conn || impl_->closed) return absl::FailedPreconditionError("SetLocalDescription: closed");
    absl::Status s = impl_->conn->SetLocalDescription(description, impl_->loop->Now());
    impl_->Drain();
    return s;
  });
}

absl::Status PeerConnection::SetRemoteDescription(const SessionDescription& description) {
  return impl_->Run([&]() -> absl::Status {
    if (!impl_->conn || impl_->closed) return absl::FailedPreconditionError("SetRemoteDescription: closed");
    absl::Status s = impl_->conn->SetRemoteDescription(description, impl_->loop->Now());
    impl_->Drain();
    return s;
  });
}

absl::Status PeerConnection::AddIceCandidate(const IceCandidate& candidate) {
  return impl_->Run([&]() -> absl::Status {
    if (!impl_->conn || impl_->closed) return absl::FailedPreconditionError("AddIceCandidate: closed");
    absl::Status s = impl_->conn->AddRemoteCandidate(candidate, impl_->loop->Now());
    impl_->Drain();
    return s;
  });
}

std::optional<SessionDescription> PeerConnection::local_description() const {
  return impl_->Run([&]() -> std::optional<SessionDescription> {
    return impl_->conn ? impl_->conn->local_description() : std::nullopt;
  });
}

std::optional<SessionDescription> PeerConnection::remote_description() const {
  return impl_->Run([&]() -> std::optional<SessionDescription> {
    return impl_->conn ? impl_->conn->remote_description() : std::nullopt;
  });
}

SignalingState PeerConnection::signaling_state() const {
  return impl_->Run([&] {
    return impl_->conn && !impl_->closed ? impl_->conn->signaling_state() : SignalingState::kClosed;
  });
}
IceGatheringState PeerConnection::ice_gathering_state() const {
  return impl_->Run([&] { return impl_->conn ? impl_->conn->ice_gathering_state() : IceGatheringState::kNew; });
}
IceConnectionState PeerConnection::ice_connection_state() const {
  return impl_->Run([&] {
    return impl_->conn && !impl_->closed ? impl_->conn->ice_connection_state() : IceConnectionState::kClosed;
  });
}
PeerConnectionState PeerConnection::connection_state() const {
  return impl_->Run([&] {
    return impl_->conn && !impl_->closed ? impl_->conn->connection_state() : PeerConnectionState::kClosed;
  });
}

absl::StatusOr<std::shared_ptr<DataChannel>> PeerConnection::CreateDataChannel(std::string label,
                                                                               DataChannelInit init) {
  return impl_->Run([&]() -> absl::StatusOr<std::shared_ptr<DataChannel>> {
    if (!impl_->conn || impl_->closed) return absl::FailedPreconditionError("CreateDataChannel: closed");
    absl::StatusOr<pc::ChannelHandle> handle =
        impl_->conn->CreateDataChannel(std::move(label), init, impl_->loop->Now());
    if (!handle.ok()) return handle.status();
    std::shared_ptr<DataChannel::Impl> ch = impl_->MakeChannel(*handle);
    // Opened with the association: the open event may already be queued; Drain delivers it.
    auto channel = std::make_shared<DataChannel>(ch);
    impl_->Drain();
    return channel;
  });
}

absl::StatusOr<Stats> PeerConnection::GetStats() const {
  return impl_->Run([&]() -> absl::StatusOr<Stats> {
    if (!impl_->conn) return absl::FailedPreconditionError("GetStats: closed");
    return impl_->conn->GetStats(impl_->loop->Now());
  });
}

absl::Status PeerConnection::RestartIce() {
  return impl_->Run([&]() -> absl::Status {
    if (!impl_->conn || impl_->closed) return absl::FailedPreconditionError("RestartIce: closed");
    absl::Status s = impl_->conn->RestartIce(impl_->loop->Now());
    impl_->Drain();
    return s;
  });
}

void PeerConnection::Close() {
  impl_->RunVoid([this] { impl_->CloseOnLoop(); });
}

void PeerConnection::OnLocalCandidate(absl::AnyInvocable<void(IceCandidate)> callback) {
  impl_->RunVoid([&] { impl_->on_local_candidate = std::move(callback); });
}
void PeerConnection::OnIceGatheringStateChange(absl::AnyInvocable<void(IceGatheringState)> callback) {
  impl_->RunVoid([&] { impl_->on_gathering = std::move(callback); });
}
void PeerConnection::OnIceConnectionStateChange(absl::AnyInvocable<void(IceConnectionState)> callback) {
  impl_->RunVoid([&] { impl_->on_ice_state = std::move(callback); });
}
void PeerConnection::OnConnectionStateChange(absl::AnyInvocable<void(PeerConnectionState)> callback) {
  impl_->RunVoid([&] { impl_->on_state = std::move(callback); });
}
void PeerConnection::OnSignalingStateChange(absl::AnyInvocable<void(SignalingState)> callback) {
  impl_->RunVoid([&] { impl_->on_signaling = std::move(callback); });
}
void PeerConnection::OnDataChannel(absl::AnyInvocable<void(std::shared_ptr<DataChannel>)> callback) {
  impl_->RunVoid([&] { impl_->on_data_channel = std::move(callback); });
}

}  // namespace tern
