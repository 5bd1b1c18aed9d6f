// The sans-IO TURN client (RFC 8656 §7-§12, RFC 8489 §6.2 and §9.2).
#include "tern/ice/turn_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tern/base/strings.h"
#include "tern/stun/stun.h"

namespace tern::ice {
namespace {

using stun::MessageClass;

// The largest payload SendTo accepts: it fits both a ChannelData message (65535) and a Send
// indication (STUN length 65535, minus the header-side attributes).
constexpr size_t kMaxPayload = 65000;
// Requests are small: the longest carries USERNAME (512), REALM and NONCE (763 each), SOFTWARE (763)
// and a few fixed attributes.
constexpr size_t kRequestBufferSize = 4096;

// An absl::Status for a STUN error response to `what`.
absl::Status StatusForError(std::string_view what, int code, std::string_view reason) {
  std::string message = absl::StrCat(ToAbsl(what), " failed: ", code, " ", ToAbsl(reason));
  switch (code) {
    case stun::error::kUnauthenticated:
    case stun::error::kWrongCredentials:
    case stun::error::kStaleNonce:
      return absl::UnauthenticatedError(message);
    case stun::error::kForbidden:
      return absl::PermissionDeniedError(message);
    case stun::error::kAllocationMismatch:
      return absl::FailedPreconditionError(message);
    case stun::error::kAllocationQuotaReached:
    case stun::error::kInsufficientCapacity:
      return absl::ResourceExhaustedError(message);
    case stun::error::kAddressFamilyNotSupported:
    case stun::error::kPeerAddressFamilyMismatch:
    case stun::error::kUnsupportedTransportProtocol:
    case stun::error::kBadRequest:
    case stun::error::kUnknownAttribute:
      return absl::InvalidArgumentError(message);
    case stun::error::kServerError:
      return absl::UnavailableError(message);
    default:
      return absl::UnknownError(message);
  }
}

// The size of the frame that starts `stream` from its first 4 bytes (RFC 8489 §6.2.2, RFC 8656
// §12.5): 0 when fewer than 4 bytes are there, an error when the bytes cannot start a frame or the
// frame exceeds `max_size`.
absl::StatusOr<size_t> FrameSizeFromHeader(ByteSpan stream, size_t max_size) {
  if (stream.size() < 4) return 0;
  size_t size = 0;
  if ((stream[0] & 0xC0) == 0) {
    size_t length = LoadBigEndian16(stream.data() + 2);
    if ((length & 3) != 0) {
      return absl::DataLossError(
          absl::StrCat("TURN stream: STUN length ", length, " is not a multiple of 4"));
    }
    size = stun::kHeaderSize + length;
  } else if ((stream[0] & 0xF0) == 0x40) {
    size_t length = LoadBigEndian16(stream.data() + 2);
    size = stun::kChannelDataHeaderSize + ((length + 3) & ~size_t{3});
  } else {
    return absl::DataLossError(
        absl::StrCat("TURN stream: a frame cannot start with byte ", static_cast<int>(stream[0])));
  }
  if (size > max_size) {
    return absl::DataLossError(
        absl::StrCat("TURN stream: a frame of ", size, " bytes exceeds the limit of ", max_size));
  }
  return size;
}

}  // namespace

std::string_view TurnClientStateName(TurnClientState state) {
  switch (state) {
    case TurnClientState::kNew:
      return "new";
    case TurnClientState::kAllocating:
      return "allocating";
    case TurnClientState::kAllocated:
      return "allocated";
    case TurnClientState::kDeallocating:
      return "deallocating";
    case TurnClientState::kClosed:
      return "closed";
    case TurnClientState::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string_view TurnClient::RequestName(RequestKind kind) {
  switch (kind) {
    case RequestKind::kAllocate:
      return "Allocate";
    case RequestKind::kRefresh:
      return "Refresh";
    case RequestKind::kDeallocate:
      return "Refresh (deallocation)";
    case RequestKind::kPermission:
      return "CreatePermission";
    case RequestKind::kChannelBind:
      return "ChannelBind";
  }
  return "request";
}

uint16_t TurnClient::MethodOf(RequestKind kind) {
  switch (kind) {
    case RequestKind::kAllocate:
      return stun::method::kAllocate;
    case RequestKind::kRefresh:
    case RequestKind::kDeallocate:
      return stun::method::kRefresh;
    case RequestKind::kPermission:
      return stun::method::kCreatePermission;
    case RequestKind::kChannelBind:
      return stun::method::kChannelBind;
  }
  return 0;
}

TurnClient::TurnClient(TurnClientConfig config, Random& random)
    : config_(std::move(config)), random_(random), realm_(config_.realm) {}

TurnClient::~TurnClient() = default;

TransportProtocol TurnClient::protocol() const {
  switch (config_.transport) {
    case TurnTransport::kUdp:
      return TransportProtocol::kUdp;
    case TurnTransport::kTcp:
      return TransportProtocol::kTcp;
    case TurnTransport::kTls:
      return TransportProtocol::kTls;
  }
  return TransportProtocol::kUdp;
}

absl::Status TurnClient::ValidateConfig() const {
  if (!config_.server.is_set() || config_.server.port() == 0) {
    return absl::InvalidArgumentError("TurnClientConfig: server address unset");
  }
  if (config_.username.size() > stun::kMaxUsernameSize || !stun::IsValidUtf8(config_.username)) {
    return absl::InvalidArgumentError("TurnClientConfig: username too long or not UTF-8");
  }
  if (config_.realm.size() > stun::kMaxRealmSize || !stun::IsValidUtf8(config_.realm)) {
    return absl::InvalidArgumentError("TurnClientConfig: realm too long or not UTF-8");
  }
  if (config_.software.size() > stun::kMaxSoftwareSize || !stun::IsValidUtf8(config_.software)) {
    return absl::InvalidArgumentError("TurnClientConfig: software too long or not UTF-8");
  }
  if (config_.requested_lifetime < Duration::Zero() ||
      config_.requested_lifetime.us() / 1000000 > 0xFFFFFFFFll) {
    return absl::InvalidArgumentError("TurnClientConfig: requested_lifetime out of range");
  }
  if (config_.rto <= Duration::Zero() || config_.max_transmissions < 1 || config_.last_wait_multiplier < 1 ||
      config_.stream_transaction_timeout <= Duration::Zero()) {
    return absl::InvalidArgumentError("TurnClientConfig: bad transaction timing");
  }
  if (config_.permission_refresh <= Duration::Zero() || config_.channel_refresh <= Duration::Zero() ||
      config_.refresh_margin < Duration::Zero()) {
    return absl::InvalidArgumentError("TurnClientConfig: bad refresh timing");
  }
  if (config_.max_stream_frame_size < stun::kHeaderSize) {
    return absl::InvalidArgumentError("TurnClientConfig: max_stream_frame_size below 20 bytes");
  }
  return absl::OkStatus();
}

absl::Status TurnClient::Allocate(Timestamp now) {
  if (state_ != TurnClientState::kNew) {
    return absl::FailedPreconditionError(
        absl::StrCat("TurnClient::Allocate in state ", ToAbsl(TurnClientStateName(state_))));
  }
  if (absl::Status s = ValidateConfig(); !s.ok()) return s;
  state_ = TurnClientState::kAllocating;
  StartRequest(RequestKind::kAllocate, now);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------------
// Requests

absl::StatusOr<std::vector<uint8_t>> TurnClient::BuildRequest(RequestKind kind, const stun::TransactionId& id,
                                                              const IpAddress& peer_ip,
                                                              const SocketAddress& peer, uint16_t channel,
                                                              bool* authenticated) const {
  std::vector<uint8_t> buffer(kRequestBufferSize);
  stun::MessageBuilder b(buffer, {MessageClass::kRequest, MethodOf(kind)}, id);
  const uint32_t lifetime = static_cast<uint32_t>(config_.requested_lifetime.us() / 1000000);
  switch (kind) {
    case RequestKind::kAllocate:
      b.AddRequestedTransport(stun::kProtocolUdp);
      if (lifetime != 0) b.AddU32(stun::attr::kLifetime, lifetime);
      if (config_.families == TurnAddressFamilies::kV6) {
        b.AddAddressFamily(stun::attr::kRequestedAddressFamily, IpFamily::kV6);
      } else if (config_.families == TurnAddressFamilies::kDual) {
        b.AddAddressFamily(stun::attr::kAdditionalAddressFamily, IpFamily::kV6);
      }
      if (!config_.software.empty()) b.AddText(stun::attr::kSoftware, config_.software);
      break;
    case RequestKind::kRefresh:
      if (lifetime != 0) b.AddU32(stun::attr::kLifetime, lifetime);
      break;
    case RequestKind::kDeallocate:
      b.AddU32(stun::attr::kLifetime, 0);
      break;
    case RequestKind::kPermission:
      // The port is ignored by the server (RFC 8656 §9.1).
      b.AddXorAddress(stun::attr::kXorPeerAddress, SocketAddress(peer_ip, 0));
      break;
    case RequestKind::kChannelBind:
      b.AddChannelNumber(channel);
      b.AddXorAddress(stun::attr::kXorPeerAddress, peer);
      break;
  }
  stun::FinishOptions options;
  options.fingerprint = config_.fingerprint;
  *authenticated = false;
  if (have_challenge_ && key_.has_value()) {
    b.AddText(stun::attr::kUsername, config_.username);
    b.AddText(stun::attr::kRealm, realm_);
    b.AddText(stun::attr::kNonce, nonce_);
    if (use_password_algorithms_) {
      // RFC 8489 §9.2.4: echo the server's list verbatim and name the chosen algorithm.
      b.Add(stun::attr::kPasswordAlgorithms, password_algorithms_value_);
      b.AddPasswordAlgorithm(password_algorithm_);
    }
    if (use_sha256_integrity_) {
      options.integrity_sha256 = &*key_;
    } else {
      options.integrity = &*key_;
    }
    *authenticated = true;
  }
  absl::StatusOr<ByteSpan> wire = b.Finish(options);
  if (!wire.ok()) return wire.status();
  buffer.resize(wire->size());
  return buffer;
}

void TurnClient::StartRequest(RequestKind kind, Timestamp now, const IpAddress& peer_ip,
                              const SocketAddress& peer, uint16_t channel, bool stale_retried) {
  Transaction t;
  t.kind = kind;
  t.peer_ip = peer_ip;
  t.peer = peer;
  t.channel = channel;
  t.stale_retried = stale_retried;
  stun::TransactionId id = stun::TransactionId::Generate(random_);
  while (transactions_.count(id) != 0) id = stun::TransactionId::Generate(random_);
  absl::StatusOr<std::vector<uint8_t>> wire =
      BuildRequest(kind, id, peer_ip, peer, channel, &t.authenticated);
  if (!wire.ok()) {
    // Only a server-supplied REALM/NONCE can make a request unbuildable (config is validated).
    TransactionFailed(t, wire.status(), 0, now);
    return;
  }
  t.wire = std::move(*wire);
  t.transmissions = 1;
  t.rto = config_.rto;
  if (stream()) {
    t.next_action = now + config_.stream_transaction_timeout;
  } else if (config_.max_transmissions == 1) {
    t.next_action = now + config_.rto * config_.last_wait_multiplier;
  } else {
    t.next_action = now + config_.rto;
  }
  ++stats_.requests_sent;
  Send(t.wire);
  transactions_.emplace(id, std::move(t));
}

void TurnClient::Send(std::vector<uint8_t> bytes) {
  Transmit out;
  out.local = config_.local;
  out.remote = config_.server;
  out.protocol = protocol();
  out.payload = std::move(bytes);
  transmits_.push_back(std::move(out));
}

void TurnClient::TransactionFailed(const Transaction& t, absl::Status status, int error_code, Timestamp now,
                                   std::optional<SocketAddress> alternate) {
  switch (t.kind) {
    case RequestKind::kAllocate:
      if (state_ == TurnClientState::kAllocating) {
        Fail();
        PushEvent(TurnAllocationFailed{std::move(status), error_code, alternate});
      }
      break;
    case RequestKind::kRefresh:
      refresh_in_flight_ = false;
      if (state_ == TurnClientState::kAllocated) {
        Fail();
        PushEvent(TurnError{std::move(status), error_code});
      }
      break;
    case RequestKind::kDeallocate:
      if (state_ == TurnClientState::kDeallocating) FinishDeallocation(false);
      break;
    case RequestKind::kPermission: {
      auto it = permissions_.find(t.peer_ip);
      if (it != permissions_.end()) {
        it->second.in_flight = false;
        it->second.state = Permission::State::kFailed;
        it->second.refresh_at = Timestamp::Infinite();
      }
      PushEvent(TurnPermissionFailed{t.peer_ip, std::move(status), error_code});
      break;
    }
    case RequestKind::kChannelBind: {
      auto it = channels_.find(t.peer);
      if (it != channels_.end() && it->second.number == t.channel) {
        channel_peers_.erase(t.channel);
        channels_.erase(it);
      }
      // A permission entry that only this ChannelBind would have installed goes too.
      auto p = permissions_.find(t.peer.ip());
      if (p != permissions_.end() && p->second.state == Permission::State::kPending && !p->second.in_flight) {
        permissions_.erase(p);
      }
      PushEvent(TurnChannelBindFailed{t.peer, t.channel, std::move(status), error_code});
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Permissions, channels, data

SocketAddress TurnClient::RelayedFor(IpFamily family) const {
  for (const SocketAddress& a : relayed_) {
    if (a.family() == family) return a;
  }
  return SocketAddress();
}

absl::Status TurnClient::CreatePermission(const IpAddress& peer, Timestamp now) {
  if (state_ != TurnClientState::kAllocated) {
    return absl::FailedPreconditionError("TurnClient::CreatePermission: no allocation");
  }
  if (!peer.is_set() || !RelayedFor(peer.family()).is_set()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TurnClient::CreatePermission: no relayed address for peer ", peer.ToString()));
  }
  auto it = permissions_.find(peer);
  if (it != permissions_.end()) {
    Permission& p = it->second;
    if (p.state == Permission::State::kFailed) {
      p.state = Permission::State::kPending;
      p.in_flight = true;
      StartRequest(RequestKind::kPermission, now, peer);
    }
    return absl::OkStatus();
  }
  if (permissions_.size() >= config_.max_permissions) {
    return absl::ResourceExhaustedError("TurnClient: max_permissions reached");
  }
  Permission& p = permissions_[peer];
  p.in_flight = true;
  StartRequest(RequestKind::kPermission, now, peer);
  return absl::OkStatus();
}

absl::StatusOr<uint16_t> TurnClient::BindChannel(const SocketAddress& peer, Timestamp now) {
  if (state_ != TurnClientState::kAllocated) {
    return absl::FailedPreconditionError("TurnClient::BindChannel: no allocation");
  }
  if (!peer.is_set() || peer.port() == 0 || !RelayedFor(peer.family()).is_set()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TurnClient::BindChannel: cannot bind peer ", peer.ToString()));
  }
  auto it = channels_.find(peer);
  if (it != channels_.end()) return it->second.number;
  if (next_channel_ > stun::kMaxChannelNumber) {
    return absl::ResourceExhaustedError("TurnClient: all channel numbers are used");
  }
  auto p = permissions_.find(peer.ip());
  if (p == permissions_.end()) {
    if (permissions_.size() >= config_.max_permissions) {
      return absl::ResourceExhaustedError("TurnClient: max_permissions reached");
    }
    // Installed by the ChannelBind itself (RFC 8656 §11.2); refreshed once it succeeds.
    permissions_[peer.ip()];
  }
  uint16_t number = next_channel_++;
  Channel& c = channels_[peer];
  c.number = number;
  c.in_flight = true;
  channel_peers_[number] = peer;
  StartRequest(RequestKind::kChannelBind, now, {}, peer, number);
  return number;
}

absl::Status TurnClient::SendTo(const SocketAddress& peer, ByteSpan payload, Timestamp now) {
  if (state_ != TurnClientState::kAllocated) {
    return absl::FailedPreconditionError("TurnClient::SendTo: no allocation");
  }
  if (payload.size() > kMaxPayload) {
    return absl::InvalidArgumentError(
        absl::StrCat("TurnClient::SendTo: payload of ", payload.size(), " bytes is too large"));
  }
  if (!peer.is_set() || !RelayedFor(peer.family()).is_set()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TurnClient::SendTo: no relayed address for peer ", peer.ToString()));
  }
  if (transmits_.size() >= config_.max_queued_transmits) {
    return absl::ResourceExhaustedError("TurnClient::SendTo: transmit queue full");
  }
  auto ch = channels_.find(peer);
  if (ch != channels_.end() && ch->second.bound) {
    std::vector<uint8_t> out(stun::kChannelDataHeaderSize + payload.size() + 3);
    absl::StatusOr<size_t> n = stun::WriteChannelData(
        out, ch->second.number, payload, stream() ? stun::Framing::kStream : stun::Framing::kDatagram);
    if (!n.ok()) return n.status();
    out.resize(*n);
    ++stats_.channel_data_sent;
    Send(std::move(out));
    return absl::OkStatus();
  }
  auto p = permissions_.find(peer.ip());
  if (p == permissions_.end()) {
    if (absl::Status s = CreatePermission(peer.ip(), now); !s.ok()) return s;
  } else if (p->second.state == Permission::State::kFailed) {
    return absl::PermissionDeniedError(
        absl::StrCat("TurnClient::SendTo: the permission for ", peer.ip().ToString(), " failed"));
  }
  // Send indication (RFC 8656 §10.1): XOR-PEER-ADDRESS and DATA, no credentials.
  std::vector<uint8_t> out(payload.size() + 96);
  stun::MessageBuilder b(out, {MessageClass::kIndication, stun::method::kSend},
                         stun::TransactionId::Generate(random_));
  b.AddXorAddress(stun::attr::kXorPeerAddress, peer);
  b.Add(stun::attr::kData, payload);
  stun::FinishOptions options;
  options.fingerprint = config_.fingerprint;
  absl::StatusOr<ByteSpan> wire = b.Finish(options);
  if (!wire.ok()) return wire.status();
  out.resize(wire->size());
  ++stats_.send_indications_sent;
  Send(std::move(out));
  return absl::OkStatus();
}

std::optional<uint16_t> TurnClient::BoundChannel(const SocketAddress& peer) const {
  auto it = channels_.find(peer);
  if (it == channels_.end() || !it->second.bound) return std::nullopt;
  return it->second.number;
}

bool TurnClient::HasPermission(const IpAddress& peer) const {
  auto it = permissions_.find(peer);
  return it != permissions_.end() && it->second.state == Permission::State::kInstalled;
}

// ---------------------------------------------------------------------------------------------------
// Closing and failing

void TurnClient::Close(Timestamp now) {
  switch (state_) {
    case TurnClientState::kNew:
      FinishDeallocation(true);
      break;
    case TurnClientState::kAllocating:
      // The server may hold an allocation from a request we no longer follow; it times out there.
      FinishDeallocation(false);
      break;
    case TurnClientState::kAllocated:
      transactions_.clear();
      permissions_.clear();
      channels_.clear();
      channel_peers_.clear();
      refresh_in_flight_ = false;
      refresh_at_ = Timestamp::Infinite();
      expires_at_ = Timestamp::Infinite();
      state_ = TurnClientState::kDeallocating;
      StartRequest(RequestKind::kDeallocate, now);
      break;
    case TurnClientState::kDeallocating:
    case TurnClientState::kClosed:
    case TurnClientState::kFailed:
      break;
  }
}

void TurnClient::FinishDeallocation(bool acknowledged) {
  state_ = TurnClientState::kClosed;
  transactions_.clear();
  permissions_.clear();
  channels_.clear();
  channel_peers_.clear();
  stream_buffer_.clear();
  refresh_at_ = expires_at_ = Timestamp::Infinite();
  PushEvent(TurnDeallocated{acknowledged});
}

void TurnClient::Fail() {
  state_ = TurnClientState::kFailed;
  transactions_.clear();
  permissions_.clear();
  channels_.clear();
  channel_peers_.clear();
  stream_buffer_.clear();
  refresh_in_flight_ = false;
  refresh_at_ = expires_at_ = Timestamp::Infinite();
}

void TurnClient::FailStream(absl::Status status, Timestamp now) {
  switch (state_) {
    case TurnClientState::kAllocating:
      Fail();
      PushEvent(TurnAllocationFailed{std::move(status), 0, std::nullopt});
      break;
    case TurnClientState::kAllocated:
      Fail();
      PushEvent(TurnError{std::move(status), 0});
      break;
    case TurnClientState::kDeallocating:
      FinishDeallocation(false);
      break;
    default:
      break;
  }
}

void TurnClient::PushEvent(TurnEvent event) {
  if (std::holds_alternative<TurnDataReceived>(event) && events_.size() >= config_.max_queued_events) {
    ++stats_.dropped_events;
    return;
  }
  events_.push_back(std::move(event));
}

void TurnClient::ScheduleRefresh(Duration lifetime, Timestamp now) {
  expires_at_ = now + lifetime;
  Duration margin = std::min(config_.refresh_margin, lifetime / 4);
  refresh_at_ = now + lifetime - margin;
}

// ---------------------------------------------------------------------------------------------------
// Input

void TurnClient::HandleInput(const Datagram& datagram, Timestamp now) {
  if (stream()) {
    HandleStreamBytes(datagram.payload, now);
    return;
  }
  if (state_ != TurnClientState::kAllocating && state_ != TurnClientState::kAllocated &&
      state_ != TurnClientState::kDeallocating) {
    return;
  }
  if (datagram.remote != config_.server) {
    ++stats_.dropped_not_from_server;
    return;
  }
  HandleFrame(datagram.payload, now);
}

void TurnClient::HandleStreamBytes(ByteSpan bytes, Timestamp now) {
  if (!stream()) {
    ++stats_.dropped_malformed;
    return;
  }
  while (!bytes.empty()) {
    if (state_ != TurnClientState::kAllocating && state_ != TurnClientState::kAllocated &&
        state_ != TurnClientState::kDeallocating) {
      stream_buffer_.clear();
      return;
    }
    if (stream_buffer_.empty()) {
      // Fast path: whole frames straight from the caller's bytes, without copying.
      absl::StatusOr<size_t> size = FrameSizeFromHeader(bytes, config_.max_stream_frame_size);
      if (!size.ok()) {
        FailStream(size.status(), now);
        return;
      }
      if (*size != 0 && bytes.size() >= *size) {
        ByteSpan frame = bytes.first(*size);
        bytes = bytes.subspan(*size);
        HandleFrame(frame, now);
        continue;
      }
      // An incomplete frame: fewer than 4 bytes, or fewer than its (checked) size.
      stream_buffer_.assign(bytes.begin(), bytes.end());
      return;
    }
    if (stream_buffer_.size() < 4) {
      size_t take = std::min(4 - stream_buffer_.size(), bytes.size());
      stream_buffer_.insert(stream_buffer_.end(), bytes.begin(), bytes.begin() + take);
      bytes = bytes.subspan(take);
      if (stream_buffer_.size() < 4) return;
    }
    absl::StatusOr<size_t> size = FrameSizeFromHeader(stream_buffer_, config_.max_stream_frame_size);
    if (!size.ok()) {
      FailStream(size.status(), now);
      return;
    }
    size_t take = std::min(*size - stream_buffer_.size(), bytes.size());
    stream_buffer_.insert(stream_buffer_.end(), bytes.begin(), bytes.begin() + take);
    bytes = bytes.subspan(take);
    if (stream_buffer_.size() == *size) {
      std::vector<uint8_t> frame;
      frame.swap(stream_buffer_);
      HandleFrame(frame, now);
    }
  }
}

void TurnClient::HandleStreamClosed(Timestamp now) {
  if (!stream()) return;
  FailStream(absl::UnavailableError("TURN stream closed"), now);
}

void TurnClient::HandleFrame(ByteSpan frame, Timestamp now) {
  if (frame.empty()) {
    ++stats_.dropped_malformed;
    return;
  }
  if (stream()) {
    // Checks what the header alone could not (the magic cookie).
    absl::StatusOr<size_t> size = stun::StreamFrameSize(frame);
    if (!size.ok() || *size != frame.size()) {
      FailStream(size.ok() ? absl::DataLossError("TURN stream: inconsistent frame size")
                           : absl::DataLossError(size.status().message()),
                 now);
      return;
    }
  }
  if (stun::LooksLikeChannelData(frame)) {
    HandleChannelData(frame, now);
    return;
  }
  if ((frame[0] & 0xC0) != 0) {
    ++stats_.dropped_malformed;
    return;
  }
  absl::StatusOr<stun::MessageView> msg = stun::MessageView::Parse(frame);
  if (!msg.ok() || (msg->has_fingerprint() && !msg->VerifyFingerprint().ok())) {
    ++stats_.dropped_malformed;
    return;
  }
  switch (msg->message_class()) {
    case MessageClass::kSuccessResponse:
    case MessageClass::kErrorResponse:
      HandleResponse(*msg, now);
      break;
    case MessageClass::kIndication:
      if (msg->method() == stun::method::kData) {
        HandleDataIndication(*msg, now);
      } else {
        ++stats_.dropped_malformed;
      }
      break;
    case MessageClass::kRequest:
      ++stats_.dropped_malformed;  // a TURN client answers no requests
      break;
  }
}

void TurnClient::HandleChannelData(ByteSpan bytes, Timestamp now) {
  absl::StatusOr<stun::ChannelDataView> cd =
      stun::ParseChannelData(bytes, stream() ? stun::Framing::kStream : stun::Framing::kDatagram);
  if (!cd.ok()) {
    ++stats_.dropped_malformed;
    return;
  }
  auto it = channel_peers_.find(cd->channel);
  if (it == channel_peers_.end()) {
    ++stats_.dropped_unknown_channel;
    return;
  }
  ++stats_.channel_data_received;
  TurnDataReceived data;
  data.peer = it->second;
  data.relayed = RelayedFor(it->second.family());
  data.payload.assign(cd->payload.begin(), cd->payload.end());
  data.via_channel = true;
  PushEvent(std::move(data));
}

void TurnClient::HandleDataIndication(const stun::MessageView& msg, Timestamp now) {
  absl::StatusOr<SocketAddress> peer = msg.GetXorAddress(stun::attr::kXorPeerAddress);
  absl::StatusOr<ByteSpan> payload = msg.GetData();
  if (!peer.ok() || !payload.ok()) {
    ++stats_.dropped_malformed;
    return;
  }
  auto p = permissions_.find(peer->ip());
  if (p == permissions_.end() || p->second.state == Permission::State::kFailed) {
    ++stats_.dropped_no_permission;
    return;
  }
  ++stats_.data_indications_received;
  TurnDataReceived data;
  data.peer = *peer;
  data.relayed = RelayedFor(peer->family());
  data.payload.assign(payload->begin(), payload->end());
  data.via_channel = false;
  PushEvent(std::move(data));
}

void TurnClient::HandleResponse(const stun::MessageView& msg, Timestamp now) {
  auto it = transactions_.find(msg.transaction_id());
  if (it == transactions_.end() || msg.method() != MethodOf(it->second.kind)) {
    ++stats_.dropped_unknown_transaction;
    return;
  }
  Transaction& t = it->second;
  const bool success = msg.message_class() == MessageClass::kSuccessResponse;
  int code = 0;
  if (!success) {
    absl::StatusOr<stun::ErrorCodeValue> ec = msg.GetErrorCode();
    if (!ec.ok()) {
      ++stats_.dropped_malformed;
      return;
    }
    code = ec->code;
  }
  // RFC 8489 §9.2.5: integrity. Responses to authenticated requests must verify when they carry
  // integrity, and a success must carry it.
  if (t.authenticated && key_.has_value()) {
    const bool has_integrity = msg.has_message_integrity() || msg.has_message_integrity_sha256();
    bool ok = has_integrity ? msg.VerifyIntegrity(*key_).ok() : !success;
    if (!ok) {
      ++stats_.dropped_bad_integrity;
      t.integrity_dropped = true;
      if (stream()) {
        // Over a reliable transport the transaction ends at once (§9.2.5).
        Transaction done = std::move(t);
        transactions_.erase(it);
        TransactionFailed(done,
                          absl::UnauthenticatedError(absl::StrCat(ToAbsl(RequestName(done.kind)),
                                                                  " response failed the integrity check")),
                          0, now);
      }
      return;
    }
  } else if (success && have_challenge_) {
    // Credentials are in use: an unauthenticated success (to a request sent before the challenge)
    // is not trusted.
    ++stats_.dropped_bad_integrity;
    return;
  }
  Transaction done = std::move(t);
  transactions_.erase(it);
  if (success) {
    if (done.authenticated) {
      absl::StatusOr<std::string_view> nonce = msg.GetNonce();
      if (nonce.ok()) nonce_ = std::string(*nonce);
    }
    HandleSuccess(done, msg, now);
  } else {
    HandleError(done, msg, code, now);
  }
}

bool TurnClient::LearnChallenge(const stun::MessageView& msg, absl::Status* status) {
  absl::StatusOr<std::string_view> nonce = msg.GetNonce();
  if (!nonce.ok()) {
    *status = absl::UnauthenticatedError("TURN challenge without a valid NONCE");
    return false;
  }
  absl::StatusOr<std::string_view> realm = msg.GetRealm();
  if (realm.ok()) {
    realm_ = std::string(*realm);
  } else if (realm_.empty()) {
    *status = absl::UnauthenticatedError("TURN challenge without a valid REALM");
    return false;
  }
  nonce_ = std::string(*nonce);

  // RFC 8489 §9.2.5: PASSWORD-ALGORITHMS counts only under a nonce cookie that announces it, and a
  // cookie that announces it without the attribute is a downgrade the client must not follow.
  std::optional<stun::SecurityFeatures> features = stun::ParseNonceCookie(nonce_);
  if (features.has_value() && features->password_algorithms) {
    std::optional<stun::Attribute> algorithms = msg.Find(stun::attr::kPasswordAlgorithms);
    if (!algorithms.has_value()) {
      if (!use_password_algorithms_) {
        *status = absl::UnauthenticatedError(
            "TURN challenge: the nonce cookie announces PASSWORD-ALGORITHMS but the attribute is "
            "missing");
        return false;
      }
      // A 438 may leave it out; keep what the first challenge negotiated.
    } else {
      absl::StatusOr<std::vector<stun::PasswordAlgorithmValue>> list =
          stun::DecodePasswordAlgorithms(algorithms->value);
      if (!list.ok()) {
        *status = absl::UnauthenticatedError(list.status().message());
        return false;
      }
      bool md5 = false, sha256 = false;
      for (const stun::PasswordAlgorithmValue& a : *list) {
        if (a.algorithm == static_cast<uint16_t>(stun::PasswordAlgorithm::kSha256)) sha256 = true;
        if (a.algorithm == static_cast<uint16_t>(stun::PasswordAlgorithm::kMd5)) md5 = true;
      }
      if (!sha256 && !md5) {
        *status = absl::UnauthenticatedError("TURN challenge: no supported password algorithm");
        return false;
      }
      password_algorithm_ = sha256 ? stun::PasswordAlgorithm::kSha256 : stun::PasswordAlgorithm::kMd5;
      password_algorithms_value_.assign(algorithms->value.begin(), algorithms->value.end());
      use_password_algorithms_ = true;
    }
    use_sha256_integrity_ = true;
  } else {
    use_password_algorithms_ = false;
    use_sha256_integrity_ = false;
    password_algorithm_ = stun::PasswordAlgorithm::kMd5;
    password_algorithms_value_.clear();
  }
  // The long-term key is computed once per realm and algorithm, not per request.
  if (!key_.has_value() || key_realm_ != realm_ || key_algorithm_ != password_algorithm_) {
    key_ = stun::IntegrityKey::LongTerm(config_.username, realm_, config_.password, password_algorithm_);
    key_realm_ = realm_;
    key_algorithm_ = password_algorithm_;
  }
  have_challenge_ = true;
  return true;
}

void TurnClient::HandleError(const Transaction& t, const stun::MessageView& msg, int code, Timestamp now) {
  std::string_view what = RequestName(t.kind);
  absl::StatusOr<stun::ErrorCodeValue> ec = msg.GetErrorCode();
  std::string_view reason = ec.ok() ? ec->reason : std::string_view();
  bool retry = false;
  if (code == stun::error::kUnauthenticated) {
    // The first (unauthenticated) Allocate is answered with the challenge; a 401 to a request that
    // carried credentials means they are wrong (RFC 8489 §9.2.5).
    retry = !t.authenticated && !config_.username.empty();
  } else if (code == stun::error::kStaleNonce) {
    retry = !t.stale_retried && !config_.username.empty();
  }
  if (retry) {
    absl::Status status;
    if (!LearnChallenge(msg, &status)) {
      TransactionFailed(t, std::move(status), code, now);
      return;
    }
    if (code == stun::error::kStaleNonce) ++stats_.stale_nonce_retries;
    StartRequest(t.kind, now, t.peer_ip, t.peer, t.channel,
                 t.stale_retried || code == stun::error::kStaleNonce);
    return;
  }
  if (t.kind == RequestKind::kDeallocate && code == stun::error::kAllocationMismatch) {
    // Already gone: that is what we asked for.
    if (state_ == TurnClientState::kDeallocating) FinishDeallocation(true);
    return;
  }
  std::optional<SocketAddress> alternate;
  if (code == stun::error::kTryAlternate) {
    absl::StatusOr<SocketAddress> a = msg.GetAddress(stun::attr::kAlternateServer);
    if (a.ok()) alternate = *a;
  }
  TransactionFailed(t, StatusForError(what, code, reason), code, now, alternate);
}

void TurnClient::HandleSuccess(const Transaction& t, const stun::MessageView& msg, Timestamp now) {
  switch (t.kind) {
    case RequestKind::kAllocate: {
      if (state_ != TurnClientState::kAllocating) return;
      std::vector<SocketAddress> relayed;
      int address_error = 0;
      for (const stun::Attribute& a : msg) {
        if (a.type == stun::attr::kXorRelayedAddress) {
          absl::StatusOr<SocketAddress> r = stun::DecodeXorAddress(a.value, msg.transaction_id());
          if (r.ok() && relayed.size() < 2) relayed.push_back(*r);
        } else if (a.type == stun::attr::kAddressErrorCode) {
          absl::StatusOr<stun::AddressErrorCodeValue> e = stun::DecodeAddressErrorCode(a.value);
          if (e.ok()) address_error = e->code;
        }
      }
      absl::StatusOr<uint32_t> lifetime = msg.GetLifetime();
      if (relayed.empty() || !lifetime.ok() || *lifetime == 0) {
        TransactionFailed(t,
                          absl::DataLossError("Allocate success response without "
                                              "XOR-RELAYED-ADDRESS or a non-zero LIFETIME"),
                          0, now);
        return;
      }
      absl::StatusOr<SocketAddress> mapped = msg.GetXorMappedAddress();
      relayed_ = relayed;
      mapped_ = mapped.ok() ? *mapped : SocketAddress();
      state_ = TurnClientState::kAllocated;
      Duration life = Duration::Seconds(*lifetime);
      ScheduleRefresh(life, now);
      PushEvent(TurnAllocated{std::move(relayed), mapped_, life, address_error});
      return;
    }
    case RequestKind::kRefresh: {
      refresh_in_flight_ = false;
      if (state_ != TurnClientState::kAllocated) return;
      absl::StatusOr<uint32_t> lifetime = msg.GetLifetime();
      if (!lifetime.ok() || *lifetime == 0) {
        Fail();
        PushEvent(TurnError{absl::DataLossError("Refresh success without a non-zero LIFETIME"), 0});
        return;
      }
      Duration life = Duration::Seconds(*lifetime);
      ScheduleRefresh(life, now);
      PushEvent(TurnRefreshed{life});
      return;
    }
    case RequestKind::kDeallocate:
      if (state_ == TurnClientState::kDeallocating) FinishDeallocation(true);
      return;
    case RequestKind::kPermission: {
      auto it = permissions_.find(t.peer_ip);
      if (it == permissions_.end()) return;
      Permission& p = it->second;
      bool was_installed = p.state == Permission::State::kInstalled;
      p.state = Permission::State::kInstalled;
      p.in_flight = false;
      p.refresh_at = now + config_.permission_refresh;
      if (!was_installed) PushEvent(TurnPermissionCreated{t.peer_ip});
      return;
    }
    case RequestKind::kChannelBind: {
      auto it = channels_.find(t.peer);
      if (it == channels_.end() || it->second.number != t.channel) return;
      Channel& c = it->second;
      bool was_bound = c.bound;
      c.bound = true;
      c.in_flight = false;
      c.refresh_at = now + config_.channel_refresh;
      // A ChannelBind installs or refreshes the peer's permission too (RFC 8656 §11.2).
      auto p = permissions_.find(t.peer.ip());
      if (p != permissions_.end()) {
        p->second.state = Permission::State::kInstalled;
        if (!p->second.in_flight) p->second.refresh_at = now + config_.permission_refresh;
      }
      if (!was_bound) PushEvent(TurnChannelBound{t.peer, t.channel});
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Time

void TurnClient::HandleTimeout(Timestamp now) {
  // Retransmissions and transaction timeouts.
  std::vector<stun::TransactionId> due;
  for (const auto& [id, t] : transactions_) {
    if (t.next_action <= now) due.push_back(id);
  }
  for (const stun::TransactionId& id : due) {
    auto it = transactions_.find(id);
    if (it == transactions_.end()) continue;  // ended by an earlier timeout (e.g. Fail)
    Transaction& t = it->second;
    if (!stream() && t.transmissions < config_.max_transmissions) {
      ++t.transmissions;
      ++stats_.retransmissions;
      t.rto = t.rto * 2;
      t.next_action = t.transmissions == config_.max_transmissions
                          ? now + config_.rto * config_.last_wait_multiplier
                          : now + t.rto;
      Send(t.wire);
      continue;
    }
    Transaction done = std::move(t);
    transactions_.erase(it);
    std::string_view what = RequestName(done.kind);
    absl::Status status = done.integrity_dropped
                              ? absl::UnauthenticatedError(
                                    absl::StrCat(ToAbsl(what), ": every response failed the integrity check"))
                              : absl::DeadlineExceededError(absl::StrCat(ToAbsl(what), " timed out"));
    TransactionFailed(done, std::move(status), 0, now);
  }

  if (state_ != TurnClientState::kAllocated) return;
  if (now >= expires_at_) {
    absl::Status status = absl::DeadlineExceededError("TURN allocation expired before a refresh");
    Fail();
    PushEvent(TurnError{std::move(status), 0});
    return;
  }
  if (!refresh_in_flight_ && now >= refresh_at_) {
    refresh_in_flight_ = true;
    refresh_at_ = Timestamp::Infinite();
    StartRequest(RequestKind::kRefresh, now);
    if (state_ != TurnClientState::kAllocated) return;
  }
  for (auto& [ip, p] : permissions_) {
    if (p.state == Permission::State::kInstalled && !p.in_flight && now >= p.refresh_at) {
      p.in_flight = true;
      p.refresh_at = Timestamp::Infinite();
      StartRequest(RequestKind::kPermission, now, ip);
    }
  }
  for (auto& [peer, c] : channels_) {
    if (c.bound && !c.in_flight && now >= c.refresh_at) {
      c.in_flight = true;
      c.refresh_at = Timestamp::Infinite();
      StartRequest(RequestKind::kChannelBind, now, {}, peer, c.number);
    }
  }
}

std::optional<Timestamp> TurnClient::NextTimeout() const {
  Timestamp next = Timestamp::Infinite();
  for (const auto& [id, t] : transactions_) next = std::min(next, t.next_action);
  if (state_ == TurnClientState::kAllocated) {
    next = std::min(next, expires_at_);
    if (!refresh_in_flight_) next = std::min(next, refresh_at_);
    for (const auto& [ip, p] : permissions_) {
      if (p.state == Permission::State::kInstalled && !p.in_flight) next = std::min(next, p.refresh_at);
    }
    for (const auto& [peer, c] : channels_) {
      if (c.bound && !c.in_flight) next = std::min(next, c.refresh_at);
    }
  }
  if (next.is_infinite()) return std::nullopt;
  return next;
}

std::optional<Transmit> TurnClient::PollTransmit() {
  if (transmits_.empty()) return std::nullopt;
  Transmit t = std::move(transmits_.front());
  transmits_.pop_front();
  return t;
}

std::optional<TurnEvent> TurnClient::PollEvent() {
  if (events_.empty()) return std::nullopt;
  TurnEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace tern::ice
