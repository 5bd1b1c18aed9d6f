// The sans-IO TURN server core (RFC 8656; RFC 8489 §9.2 long-term credentials). See turn_server.h.
#include "tern/turn/turn_server.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tern/base/strings.h"
#include "tern/stun/attributes.h"
#include "tern/stun/channel_data.h"
#include "tern/stun/constants.h"
#include "tern/stun/credentials.h"
#include "tern/stun/message.h"
#include "tern/stun/message_builder.h"
#include "tern/turn/rest_credentials.h"

namespace tern::turn {

std::string FiveTuple::ToString() const {
  std::string_view proto = protocol == TransportProtocol::kUdp   ? "udp"
                           : protocol == TransportProtocol::kTcp ? "tcp"
                                                                 : "tls";
  return absl::StrCat(ToAbsl(proto), " ", client.ToString(), " -> ", server.ToString());
}

std::string_view DeallocationReasonName(DeallocationReason reason) {
  switch (reason) {
    case DeallocationReason::kClientRequest: return "client-request";
    case DeallocationReason::kExpired: return "expired";
    case DeallocationReason::kStreamClosed: return "stream-closed";
    case DeallocationReason::kRelayBindFailed: return "relay-bind-failed";
    case DeallocationReason::kShutdown: return "shutdown";
  }
  return "unknown";
}

namespace {

using stun::MessageClass;
namespace attr = stun::attr;
namespace error = stun::error;
namespace method = stun::method;

constexpr size_t kResponseBufferSize = 2048;
// How long an Allocate waits for the runtime's HandleRelayBindResult before it is dropped.
constexpr Duration kRelayBindTimeout = Duration::Seconds(10);
// The largest payload relayed in one message (a ChannelData length is 16 bits; a Data indication adds
// at most 64 bytes of STUN around it).
constexpr size_t kMaxRelayPayload = 65535 - 64;
constexpr size_t kMaxPooledBuffers = 256;
constexpr size_t kStreamBufferKeepCapacity = 4096;

// A FIFO on a ring buffer: unlike std::deque, cycling elements through it never allocates once it has
// grown to the high-water mark (the per-packet Transmit path).
template <typename T>
class RingQueue {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // A slot at the back to overwrite (it holds a moved-from T).
  T& emplace_back() {
    if (size_ == buf_.size()) Grow();
    T& slot = buf_[(head_ + size_) % buf_.size()];
    ++size_;
    return slot;
  }
  T pop_front() {
    T v = std::move(buf_[head_]);
    head_ = (head_ + 1) % buf_.size();
    --size_;
    return v;
  }

 private:
  void Grow() {
    std::vector<T> bigger(std::max<size_t>(16, buf_.size() * 2));
    for (size_t i = 0; i < size_; ++i) bigger[i] = std::move(buf_[(head_ + i) % buf_.size()]);
    buf_.swap(bigger);
    head_ = 0;
  }
  std::vector<T> buf_;
  size_t head_ = 0;
  size_t size_ = 0;
};

// A token bucket: `rate` tokens per second up to `burst`.
struct TokenBucket {
  double tokens = 0;
  Timestamp last;

  bool Take(double amount, double rate, double burst, Timestamp now) {
    if (now > last) {
      tokens = std::min(burst, tokens + rate * (now - last).seconds());
      last = now;
    }
    if (tokens < amount) return false;
    tokens -= amount;
    return true;
  }
  bool Full(double rate, double burst, Timestamp now) const {
    return tokens + rate * (now - last).seconds() >= burst;
  }
};

std::string Hex(ByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

constexpr std::array<stun::PasswordAlgorithm, 2> kOfferedAlgorithms = {stun::PasswordAlgorithm::kSha256,
                                                                      stun::PasswordAlgorithm::kMd5};

// The PASSWORD-ALGORITHMS value the server sends (to compare with the client's echo, RFC 8489 §9.2.4).
std::array<uint8_t, 8> OfferedAlgorithmsValue() {
  std::array<uint8_t, 8> v{};
  for (size_t i = 0; i < kOfferedAlgorithms.size(); ++i) {
    StoreBigEndian16(v.data() + 4 * i, static_cast<uint16_t>(kOfferedAlgorithms[i]));
  }
  return v;
}

}  // namespace

class TurnServer::Impl {
 public:
  Impl(TurnServerConfig config, Random& random, TurnServerHooks hooks);

  // --- State ---------------------------------------------------------------------------------------
  struct Channel {
    SocketAddress peer;
    Timestamp expires;
    bool active = true;  // false: expired, quarantined until `expires` (RFC 8656 §11)
  };
  struct RelaySlot {
    SocketAddress private_address;  // bound by the runtime; Transmit::local towards peers
    SocketAddress public_address;   // advertised in XOR-RELAYED-ADDRESS
    bool confirmed = false;
    bool bind_failed = false;
    int attempts = 1;
  };
  // What an Allocate success needs when it is sent later (after the runtime confirmed the binds).
  struct PendingAllocate {
    stun::TransactionId id;
    bool sha256 = false;
    stun::PasswordAlgorithm algorithm = stun::PasswordAlgorithm::kMd5;
    Duration lifetime;
    std::optional<uint64_t> reservation_token;
    IpFamily family_error = IpFamily::kUnspecified;  // a dual allocation missing this family (440)
    Timestamp deadline;
    bool even_port = false;  // EVEN-PORT: a retried bind picks an even port again
  };
  struct Allocation {
    FiveTuple five_tuple;
    std::string username;
    std::string password;
    std::optional<int64_t> rest_expiry;  // REST usernames: refused after this Unix time
    std::optional<stun::IntegrityKey> key_md5;
    std::optional<stun::IntegrityKey> key_sha256;
    stun::TransactionId allocate_id;
    std::vector<uint8_t> allocate_response;  // resent for a retransmitted Allocate (RFC 8656 §7.2)
    std::vector<RelaySlot> relays;           // one per family
    Timestamp expires;
    Timestamp timer_at = Timestamp::Infinite();
    bool announced = false;                  // Allocated emitted
    std::optional<PendingAllocate> pending;  // awaiting bind confirmation
    bool dont_fragment = false;
    absl::flat_hash_map<IpAddress, Timestamp> permissions;
    absl::flat_hash_map<uint16_t, Channel> channels;
    absl::flat_hash_map<SocketAddress, uint16_t> channel_by_peer;
    TokenBucket up;
    TokenBucket down;

    const RelaySlot* RelayFor(IpFamily family) const {
      for (const RelaySlot& r : relays) {
        if (r.private_address.family() == family) return &r;
      }
      return nullptr;
    }
  };
  struct Reservation {
    SocketAddress address;
    Timestamp expires;
  };
  struct Stream {
    std::vector<uint8_t> buffer;
  };
  // How to answer one request.
  struct Reply {
    FiveTuple five_tuple;
    stun::TransactionId id;
    uint16_t method = 0;
    size_t request_size = 0;
    std::optional<stun::IntegrityKey> key;  // set: authenticated
    bool sha256 = false;
  };

  // --- Input ---------------------------------------------------------------------------------------
  void HandleInput(const Datagram& d, Timestamp now);
  void HandlePeerDatagram(Allocation& a, const Datagram& d, Timestamp now);
  void HandleStreamBytes(const FiveTuple& ft, ByteSpan bytes, Timestamp now);
  void HandleClientFrame(const FiveTuple& ft, ByteSpan bytes, Timestamp now);
  void HandleChannelData(const FiveTuple& ft, ByteSpan bytes, Timestamp now);
  void HandleRequest(const FiveTuple& ft, const stun::MessageView& msg, Timestamp now);
  void HandleSendIndication(const FiveTuple& ft, const stun::MessageView& msg, Timestamp now);
  void HandleBinding(const Reply& r, const stun::MessageView& msg);
  void HandleAllocate(Reply& r, const stun::MessageView& msg, Allocation* a, std::string_view username,
                      const std::string& password, stun::PasswordAlgorithm algorithm, Timestamp now);
  void HandleRefresh(const Reply& r, const stun::MessageView& msg, Allocation* a, Timestamp now);
  void HandleCreatePermission(const Reply& r, const stun::MessageView& msg, Allocation* a, Timestamp now);
  void HandleChannelBind(const Reply& r, const stun::MessageView& msg, Allocation* a, Timestamp now);
  void HandleRelayBindResult(const SocketAddress& address, const absl::Status& status, Timestamp now);
  void HandleStreamClosed(const FiveTuple& ft, Timestamp now);
  void HandleIcmp(const SocketAddress& relayed, const SocketAddress& peer, uint8_t type, uint8_t code,
                  uint32_t error_data, Timestamp now);
  void HandleTimeout(Timestamp now);

  // --- Authentication (RFC 8489 §9.2.4) -------------------------------------------------------------
  // Returns true when the request is authenticated (r->key set; *password and *algorithm filled for a
  // new allocation); otherwise the answer (challenge or error) has been sent or the request dropped.
  bool Authenticate(Reply* r, const stun::MessageView& msg, Allocation* a, Timestamp now,
                    std::string* password, stun::PasswordAlgorithm* algorithm);
  std::string MakeNonce(const IpAddress& client, Timestamp now);
  enum class NonceCheck { kValid, kStale };
  NonceCheck CheckNonce(std::string_view nonce, const IpAddress& client, Timestamp now) const;
  void SendChallenge(const Reply& r, int code, Timestamp now);
  void AuthFailure(const Reply& r, std::string_view username, std::string reason, int code, Timestamp now);
  int64_t UnixSeconds(Timestamp now) const { return (now.us() + config_.unix_time_offset.us()) / 1000000; }

  // --- Output --------------------------------------------------------------------------------------
  std::vector<uint8_t> TakeBuffer(size_t size);
  void Recycle(std::vector<uint8_t> buffer);
  void Send(TransportProtocol protocol, const SocketAddress& local, const SocketAddress& remote,
            std::vector<uint8_t> payload);
  void SendToClient(const FiveTuple& ft, std::vector<uint8_t> payload) {
    Send(ft.protocol, ft.server, ft.client, std::move(payload));
  }
  // Builds and sends a response; `add` adds the method's attributes.
  template <typename F>
  void Respond(const Reply& r, MessageClass cls, F&& add);
  void RespondError(const Reply& r, int code) {
    Respond(r, MessageClass::kErrorResponse, [&](stun::MessageBuilder& b) { b.AddErrorCode(code); });
  }
  bool AllowUnauthenticated(const IpAddress& source, Timestamp now);
  void Emit(TurnServerEvent event);

  // --- Allocations ---------------------------------------------------------------------------------
  Duration DesiredLifetime(const stun::MessageView& msg) const;
  std::optional<uint16_t> PickPort(const IpAddress& ip, bool even, bool reserve_next);
  const RelayAddressConfig* PickRelayIp(IpFamily family);
  std::vector<uint8_t> BuildAllocateSuccess(const Allocation& a, const PendingAllocate& p);
  void FinishPendingAllocate(Allocation& a);
  void DestroyAllocation(Allocation* a, DeallocationReason reason);
  void Schedule(Allocation* a, Timestamp t);
  void Unschedule(Allocation* a);
  void RunAllocationTimer(Allocation* a, Timestamp now);
  bool RelayAllowed(Allocation& a, bool upstream, size_t bytes, Timestamp now);
  void InstallPermission(Allocation& a, const IpAddress& ip, Timestamp now);
  const stun::IntegrityKey& KeyFor(Allocation& a, stun::PasswordAlgorithm algorithm);

  // --- Policy --------------------------------------------------------------------------------------
  bool IsPeerAllowed(const IpAddress& peer) const;
  bool IsOwnAddress(const SocketAddress& peer) const;
  bool PeerAllowed(const FiveTuple& ft, std::string_view username, const IpAddress& peer);
  bool IsListening(const SocketAddress& local) const;
  bool IsRelayIpPort(const SocketAddress& local) const;
  void DenyPeer(const FiveTuple& ft, std::string_view username, const IpAddress& peer);

  void CloseStream(const FiveTuple& ft, absl::Status status);

  TurnServerConfig config_;
  // The channel numbers clients may bind and send ChannelData on (config_.rfc5766_channel_numbers).
  stun::ChannelNumberRange channel_range_;
  Random& random_;
  TurnServerHooks hooks_;
  TurnServerStats stats_;
  stun::IntegrityKey nonce_key_;
  std::array<uint8_t, 8> offered_algorithms_ = OfferedAlgorithmsValue();

  absl::flat_hash_map<FiveTuple, std::unique_ptr<Allocation>> allocations_;
  absl::flat_hash_map<SocketAddress, Allocation*> by_relay_;
  absl::flat_hash_set<SocketAddress> ports_in_use_;  // private relay addresses allocated or reserved
  absl::flat_hash_map<std::string, size_t> per_user_;
  absl::flat_hash_map<uint64_t, Reservation> reservations_;
  std::deque<std::pair<Timestamp, uint64_t>> reservation_order_;
  std::set<std::pair<Timestamp, Allocation*>> timers_;
  absl::flat_hash_map<IpAddress, TokenBucket> buckets_;
  Timestamp last_bucket_sweep_ = Timestamp::Zero();
  absl::flat_hash_map<FiveTuple, Stream> streams_;
  size_t stream_bytes_ = 0;
  absl::flat_hash_set<IpAddress> own_ips_;
  absl::flat_hash_set<uint16_t> listening_ports_;
  bool wildcard_listening_ = false;
  size_t relay_rr_ = 0;

  RingQueue<Transmit> transmits_;
  std::deque<TurnServerEvent> events_;
  std::vector<std::vector<uint8_t>> pool_;
};

TurnServer::Impl::Impl(TurnServerConfig config, Random& random, TurnServerHooks hooks)
    : config_(std::move(config)),
      channel_range_(config_.rfc5766_channel_numbers ? stun::ChannelNumberRange::kRfc5766
                                                     : stun::ChannelNumberRange::kRfc8656),
      random_(random),
      hooks_(std::move(hooks)),
      nonce_key_([&random] {
        std::array<uint8_t, 32> k{};
        random.Fill(k);
        return stun::IntegrityKey::FromBytes(k);
      }()) {
  for (const SocketAddress& l : config_.listening) {
    listening_ports_.insert(l.port());
    if (l.ip().IsUnspecified()) {
      wildcard_listening_ = true;
    } else {
      own_ips_.insert(l.ip().Unmapped());
    }
  }
  for (const RelayAddressConfig& r : config_.relay_addresses) {
    own_ips_.insert(r.private_ip.Unmapped());
    if (r.public_ip.is_set()) own_ips_.insert(r.public_ip.Unmapped());
  }
}

// ===================================================================================================
// Output
// ===================================================================================================

std::vector<uint8_t> TurnServer::Impl::TakeBuffer(size_t size) {
  std::vector<uint8_t> b;
  if (!pool_.empty()) {
    b = std::move(pool_.back());
    pool_.pop_back();
  }
  b.resize(size);
  return b;
}

void TurnServer::Impl::Recycle(std::vector<uint8_t> buffer) {
  if (pool_.size() < kMaxPooledBuffers && buffer.capacity() > 0 && buffer.capacity() <= 70000) {
    pool_.push_back(std::move(buffer));
  }
}

void TurnServer::Impl::Send(TransportProtocol protocol, const SocketAddress& local, const SocketAddress& remote,
                            std::vector<uint8_t> payload) {
  if (transmits_.size() >= config_.max_queued_transmits) {
    ++stats_.dropped_transmits;
    Recycle(std::move(payload));
    return;
  }
  Transmit& t = transmits_.emplace_back();
  t.local = local;
  t.remote = remote;
  t.protocol = protocol;
  t.payload = std::move(payload);
}

void TurnServer::Impl::Emit(TurnServerEvent event) {
  // The runtime must see every relay socket open/close, allocation start/end and stream close (they are
  // bounded by the allocation and stream caps); only the informational events (AuthFailed, PeerDenied,
  // QuotaHit) can be dropped when nobody drains the queue.
  bool essential = !std::holds_alternative<AuthFailed>(event) && !std::holds_alternative<PeerDenied>(event) &&
                   !std::holds_alternative<QuotaHit>(event);
  if (!essential && events_.size() >= config_.max_queued_events) {
    ++stats_.dropped_events;
    return;
  }
  events_.push_back(std::move(event));
}

bool TurnServer::Impl::AllowUnauthenticated(const IpAddress& source, Timestamp now) {
  if (config_.unauthenticated_rate <= 0) return true;
  auto it = buckets_.find(source);
  if (it == buckets_.end()) {
    if (buckets_.size() >= config_.max_rate_limit_entries) {
      // Forget sources whose bucket has refilled (they are indistinguishable from new ones); at most
      // once a second, so a flood of new sources costs one sweep per second, not one per packet.
      if (now - last_bucket_sweep_ >= Duration::Seconds(1)) {
        last_bucket_sweep_ = now;
        absl::erase_if(buckets_, [&](const auto& kv) {
          return kv.second.Full(config_.unauthenticated_rate, config_.unauthenticated_burst, now);
        });
      }
      if (buckets_.size() >= config_.max_rate_limit_entries) {
        ++stats_.rate_limited;
        return false;
      }
    }
    it = buckets_.emplace(source, TokenBucket{config_.unauthenticated_burst, now}).first;
  }
  if (!it->second.Take(1, config_.unauthenticated_rate, config_.unauthenticated_burst, now)) {
    ++stats_.rate_limited;
    return false;
  }
  return true;
}

template <typename F>
void TurnServer::Impl::Respond(const Reply& r, MessageClass cls, F&& add) {
  std::vector<uint8_t> buf = TakeBuffer(kResponseBufferSize);
  stun::MessageBuilder b(buf, stun::MessageType{cls, r.method}, r.id);
  add(b);
  stun::FinishOptions options;
  if (r.key.has_value()) {
    if (!config_.software.empty()) b.AddText(attr::kSoftware, config_.software);
    if (r.sha256) {
      options.integrity_sha256 = &*r.key;
    } else {
      options.integrity = &*r.key;
    }
  }
  options.fingerprint = config_.fingerprint;
  absl::StatusOr<ByteSpan> wire = b.Finish(options);
  if (!wire.ok()) {
    // Only a server bug (an attribute the builder refuses) gets here; never send half a message.
    ++stats_.dropped_malformed;
    Recycle(std::move(buf));
    return;
  }
  buf.resize(wire->size());
  if (!r.key.has_value() && buf.size() > r.request_size + config_.amplification_allowance) {
    ++stats_.amplification_dropped;
    Recycle(std::move(buf));
    return;
  }
  SendToClient(r.five_tuple, std::move(buf));
}

// ===================================================================================================
// Policy
// ===================================================================================================

bool TurnServer::Impl::IsPeerAllowed(const IpAddress& peer) const {
  if (!peer.is_set() || peer.Unmapped().IsUnspecified()) return false;
  for (const IpPrefix& p : config_.peer_policy.allowed_peer_ranges) {
    if (p.Contains(peer)) return true;
  }
  for (const IpPrefix& p : config_.peer_policy.denied_peer_ranges) {
    if (p.Contains(peer)) return false;
  }
  return true;
}

bool TurnServer::Impl::IsOwnAddress(const SocketAddress& peer) const {
  IpAddress ip = peer.ip().Unmapped();
  if (ip.IsUnspecified()) return true;
  bool own_ip = own_ips_.contains(ip) || (wildcard_listening_ && ip.IsLoopback());
  if (!own_ip) return false;
  return listening_ports_.contains(peer.port()) ||
         (peer.port() >= config_.min_port && peer.port() <= config_.max_port);
}

bool TurnServer::Impl::PeerAllowed(const FiveTuple& ft, std::string_view username, const IpAddress& peer) {
  if (!peer.is_set() || peer.Unmapped().IsUnspecified()) return false;
  bool allowed = IsPeerAllowed(peer);
  if (hooks_.permission_check) allowed = hooks_.permission_check(ft, username, peer, allowed);
  return allowed;
}

void TurnServer::Impl::DenyPeer(const FiveTuple& ft, std::string_view username, const IpAddress& peer) {
  ++stats_.denied_peers;
  Emit(PeerDenied{ft, std::string(username), peer});
}

bool TurnServer::Impl::IsListening(const SocketAddress& local) const {
  if (config_.listening.empty()) return true;
  for (const SocketAddress& l : config_.listening) {
    if (l.port() != local.port()) continue;
    if (l.ip() == local.ip()) return true;
    if (l.ip().IsUnspecified() && (l.family() == local.family() || l.ip().is_v6())) return true;
  }
  return false;
}

bool TurnServer::Impl::IsRelayIpPort(const SocketAddress& local) const {
  if (local.port() < config_.min_port || local.port() > config_.max_port) return false;
  for (const RelayAddressConfig& r : config_.relay_addresses) {
    if (r.private_ip == local.ip()) return true;
  }
  return false;
}

// ===================================================================================================
// Input dispatch
// ===================================================================================================

void TurnServer::Impl::HandleInput(const Datagram& d, Timestamp now) {
  // Peer traffic arrives on a relayed address (UDP only: no RFC 6062 TCP relay).
  if (d.protocol == TransportProtocol::kUdp) {
    auto relay = by_relay_.find(d.local);
    if (relay != by_relay_.end()) {
      HandlePeerDatagram(*relay->second, d, now);
      return;
    }
    if (IsRelayIpPort(d.local) && !IsListening(d.local)) {
      ++stats_.dropped_no_allocation;  // a relay port just closed, or only reserved
      return;
    }
  }
  if (!IsListening(d.local)) {
    ++stats_.dropped_no_allocation;
    return;
  }
  FiveTuple ft{d.remote, d.local, d.protocol};
  if (d.protocol != TransportProtocol::kUdp) {
    HandleStreamBytes(ft, d.payload, now);
    return;
  }
  HandleClientFrame(ft, d.payload, now);
}

void TurnServer::Impl::HandleClientFrame(const FiveTuple& ft, ByteSpan bytes, Timestamp now) {
  // The first byte tells ChannelData (0x40-0x7F, or 0x40-0x4F with RFC 8656 numbers only) from STUN.
  if (stun::LooksLikeChannelData(bytes, channel_range_)) {
    HandleChannelData(ft, bytes, now);
    return;
  }
  absl::StatusOr<stun::MessageView> msg = stun::MessageView::Parse(bytes);
  if (!msg.ok()) {
    ++stats_.dropped_malformed;
    return;
  }
  if (msg->has_fingerprint() && !msg->VerifyFingerprint().ok()) {
    ++stats_.dropped_malformed;
    return;
  }
  switch (msg->message_class()) {
    case MessageClass::kRequest:
      ++stats_.requests;
      HandleRequest(ft, *msg, now);
      return;
    case MessageClass::kIndication:
      if (msg->method() == method::kSend) {
        HandleSendIndication(ft, *msg, now);
      } else {
        ++stats_.dropped_malformed;
      }
      return;
    default:
      ++stats_.dropped_malformed;  // a server expects no responses
      return;
  }
}

void TurnServer::Impl::HandleStreamBytes(const FiveTuple& ft, ByteSpan in, Timestamp now) {
  auto it = streams_.find(ft);
  if (it == streams_.end()) {
    if (in.empty()) return;
    if (streams_.size() >= config_.max_streams) {
      ++stats_.stream_errors;
      Emit(turn::CloseStream{ft, absl::ResourceExhaustedError("too many TCP/TLS connections")});
      return;
    }
    it = streams_.emplace(ft, Stream{}).first;
    stats_.streams = streams_.size();
  }
  std::vector<uint8_t>& buf = it->second.buffer;
  const size_t max_frame = config_.max_stream_frame_size;
  while (!in.empty()) {
    if (buf.empty()) {
      absl::StatusOr<size_t> size = stun::StreamFrameSize(in, channel_range_);
      if (!size.ok()) {
        CloseStream(ft, size.status());
        return;
      }
      if (*size == 0) {
        // Not enough to tell the size, or an incomplete frame: keep it (bounded) for the next chunk.
        if (in.size() >= 4) {
          // The header is there: the declared size tells whether the frame can ever fit.
          size_t declared =
              stun::LooksLikeChannelData(in, channel_range_)
                  ? stun::kChannelDataHeaderSize + ((LoadBigEndian16(in.data() + 2) + 3) & ~size_t{3})
                  : stun::kHeaderSize + LoadBigEndian16(in.data() + 2);
          if (declared > max_frame) {
            CloseStream(ft, absl::InvalidArgumentError(absl::StrCat("stream frame of ", declared,
                                                                    " bytes exceeds the limit")));
            return;
          }
        }
        if (stream_bytes_ + in.size() > config_.max_total_stream_buffer) {
          CloseStream(ft, absl::ResourceExhaustedError("stream reassembly memory exhausted"));
          return;
        }
        buf.assign(in.begin(), in.end());
        stream_bytes_ += buf.size();
        return;
      }
      if (*size > max_frame) {
        CloseStream(ft, absl::InvalidArgumentError(absl::StrCat("stream frame of ", *size,
                                                                " bytes exceeds the limit")));
        return;
      }
      HandleClientFrame(ft, in.first(*size), now);
      in = in.subspan(*size);
      continue;
    }
    // Complete the frame held in `buf`.
    size_t before = buf.size();
    size_t want;
    if (buf.size() < 4) {
      want = 4 - buf.size();
    } else {
      size_t declared =
          stun::LooksLikeChannelData(buf, channel_range_)
              ? stun::kChannelDataHeaderSize + ((LoadBigEndian16(buf.data() + 2) + 3) & ~size_t{3})
              : stun::kHeaderSize + LoadBigEndian16(buf.data() + 2);
      if (declared > max_frame) {
        CloseStream(ft, absl::InvalidArgumentError(absl::StrCat("stream frame of ", declared,
                                                                " bytes exceeds the limit")));
        return;
      }
      want = declared - buf.size();
    }
    size_t take = std::min(want, in.size());
    if (stream_bytes_ + take > config_.max_total_stream_buffer) {
      CloseStream(ft, absl::ResourceExhaustedError("stream reassembly memory exhausted"));
      return;
    }
    buf.insert(buf.end(), in.begin(), in.begin() + static_cast<ptrdiff_t>(take));
    stream_bytes_ += take;
    in = in.subspan(take);
    absl::StatusOr<size_t> size = stun::StreamFrameSize(buf, channel_range_);
    if (!size.ok()) {
      CloseStream(ft, size.status());
      return;
    }
    if (*size == 0) {
      if (buf.size() == before) return;  // nothing more to add (cannot happen: want > 0)
      continue;
    }
    HandleClientFrame(ft, ByteSpan(buf.data(), *size), now);
    // HandleClientFrame never touches streams_, so `buf` is still valid.
    stream_bytes_ -= buf.size();
    buf.clear();
    if (buf.capacity() > kStreamBufferKeepCapacity) std::vector<uint8_t>().swap(buf);
  }
}

void TurnServer::Impl::CloseStream(const FiveTuple& ft, absl::Status status) {
  ++stats_.stream_errors;
  auto it = streams_.find(ft);
  if (it != streams_.end()) {
    stream_bytes_ -= it->second.buffer.size();
    streams_.erase(it);
    stats_.streams = streams_.size();
  }
  auto a = allocations_.find(ft);
  if (a != allocations_.end()) DestroyAllocation(a->second.get(), DeallocationReason::kStreamClosed);
  Emit(turn::CloseStream{ft, std::move(status)});
}

void TurnServer::Impl::HandleStreamClosed(const FiveTuple& ft, Timestamp now) {
  auto it = streams_.find(ft);
  if (it != streams_.end()) {
    stream_bytes_ -= it->second.buffer.size();
    streams_.erase(it);
    stats_.streams = streams_.size();
  }
  auto a = allocations_.find(ft);
  if (a != allocations_.end()) DestroyAllocation(a->second.get(), DeallocationReason::kStreamClosed);
}

// ===================================================================================================
// Data path
// ===================================================================================================

bool TurnServer::Impl::RelayAllowed(Allocation& a, bool upstream, size_t bytes, Timestamp now) {
  if (config_.bandwidth_cap_bytes_per_second == 0) return true;
  double rate = static_cast<double>(config_.bandwidth_cap_bytes_per_second);
  TokenBucket& bucket = upstream ? a.up : a.down;
  if (!bucket.Take(static_cast<double>(bytes), rate, rate, now)) {
    ++stats_.bandwidth_dropped;
    return false;
  }
  return true;
}

void TurnServer::Impl::HandleChannelData(const FiveTuple& ft, ByteSpan bytes, Timestamp now) {
  auto it = allocations_.find(ft);
  if (it == allocations_.end() || it->second->pending.has_value()) {
    ++stats_.dropped_no_allocation;
    return;
  }
  Allocation& a = *it->second;
  absl::StatusOr<stun::ChannelDataView> cd = stun::ParseChannelData(
      bytes, ft.protocol == TransportProtocol::kUdp ? stun::Framing::kDatagram : stun::Framing::kStream,
      channel_range_);
  if (!cd.ok()) {
    ++stats_.dropped_malformed;
    return;
  }
  auto ch = a.channels.find(cd->channel);
  if (ch == a.channels.end() || !ch->second.active || ch->second.expires <= now) {
    ++stats_.dropped_no_permission;
    return;
  }
  const SocketAddress& peer = ch->second.peer;
  auto perm = a.permissions.find(peer.ip());
  if (perm == a.permissions.end() || perm->second <= now) {
    ++stats_.dropped_no_permission;
    return;
  }
  const RelaySlot* slot = a.RelayFor(peer.family());
  if (slot == nullptr) {
    ++stats_.dropped_no_permission;
    return;
  }
  if (!RelayAllowed(a, true, cd->payload.size(), now)) return;
  std::vector<uint8_t> out = TakeBuffer(cd->payload.size());
  if (!cd->payload.empty()) std::memcpy(out.data(), cd->payload.data(), cd->payload.size());
  ++stats_.packets_client_to_peer;
  stats_.bytes_client_to_peer += cd->payload.size();
  Send(TransportProtocol::kUdp, slot->private_address, peer, std::move(out));
}

void TurnServer::Impl::HandleSendIndication(const FiveTuple& ft, const stun::MessageView& msg, Timestamp now) {
  auto it = allocations_.find(ft);
  if (it == allocations_.end() || it->second->pending.has_value()) {
    ++stats_.dropped_no_allocation;
    return;
  }
  Allocation& a = *it->second;
  absl::StatusOr<SocketAddress> peer = msg.GetXorAddress(attr::kXorPeerAddress);
  absl::StatusOr<ByteSpan> data = msg.GetData();
  if (!peer.ok() || !data.ok()) {
    ++stats_.dropped_malformed;
    return;
  }
  const RelaySlot* slot = a.RelayFor(peer->family());
  auto perm = a.permissions.find(peer->ip());
  if (slot == nullptr || perm == a.permissions.end() || perm->second <= now) {
    ++stats_.dropped_no_permission;
    return;
  }
  if (IsOwnAddress(*peer)) {
    DenyPeer(ft, a.username, peer->ip());
    return;
  }
  if (!RelayAllowed(a, true, data->size(), now)) return;
  std::vector<uint8_t> out = TakeBuffer(data->size());
  if (!data->empty()) std::memcpy(out.data(), data->data(), data->size());
  ++stats_.packets_client_to_peer;
  stats_.bytes_client_to_peer += data->size();
  Send(TransportProtocol::kUdp, slot->private_address, *peer, std::move(out));
}

void TurnServer::Impl::HandlePeerDatagram(Allocation& a, const Datagram& d, Timestamp now) {
  if (a.pending.has_value()) {
    ++stats_.dropped_no_allocation;
    return;
  }
  auto perm = a.permissions.find(d.remote.ip());
  if (perm == a.permissions.end() || perm->second <= now) {
    ++stats_.dropped_no_permission;
    return;
  }
  size_t n = d.payload.size();
  if (n > kMaxRelayPayload) {
    ++stats_.dropped_malformed;
    return;
  }
  if (!RelayAllowed(a, false, n, now)) return;
  const FiveTuple& ft = a.five_tuple;
  auto ch = a.channel_by_peer.find(d.remote);
  if (ch != a.channel_by_peer.end()) {
    auto c = a.channels.find(ch->second);
    if (c != a.channels.end() && c->second.active && c->second.expires > now) {
      bool stream = ft.protocol != TransportProtocol::kUdp;
      size_t size = stun::kChannelDataHeaderSize + (stream ? ((n + 3) & ~size_t{3}) : n);
      std::vector<uint8_t> out = TakeBuffer(size);
      StoreBigEndian16(out.data(), ch->second);
      StoreBigEndian16(out.data() + 2, static_cast<uint16_t>(n));
      if (n > 0) std::memcpy(out.data() + 4, d.payload.data(), n);
      for (size_t i = 4 + n; i < size; ++i) out[i] = 0;
      ++stats_.packets_peer_to_client;
      stats_.bytes_peer_to_client += n;
      SendToClient(ft, std::move(out));
      return;
    }
  }
  // RFC 8656 §10.3: a Data indication with XOR-PEER-ADDRESS and DATA.
  std::vector<uint8_t> out = TakeBuffer(n + 96);
  stun::TransactionId id = stun::TransactionId::Generate(random_);
  stun::MessageBuilder b(out, stun::MessageType{MessageClass::kIndication, method::kData}, id);
  b.AddXorAddress(attr::kXorPeerAddress, d.remote);
  b.Add(attr::kData, d.payload);
  stun::FinishOptions options;
  options.fingerprint = config_.fingerprint;
  absl::StatusOr<ByteSpan> wire = b.Finish(options);
  if (!wire.ok()) {
    ++stats_.dropped_malformed;
    Recycle(std::move(out));
    return;
  }
  out.resize(wire->size());
  ++stats_.packets_peer_to_client;
  stats_.bytes_peer_to_client += n;
  SendToClient(ft, std::move(out));
}

void TurnServer::Impl::HandleIcmp(const SocketAddress& relayed, const SocketAddress& peer, uint8_t type,
                                  uint8_t code, uint32_t error_data, Timestamp now) {
  auto it = by_relay_.find(relayed);
  if (it == by_relay_.end() || it->second->pending.has_value()) return;
  Allocation& a = *it->second;
  bool forwarded = relayed.ip().is_v4() ? (type == 3 || type == 11) : (type >= 1 && type <= 3);
  auto perm = a.permissions.find(peer.ip());
  if (!forwarded || peer.family() != relayed.family() || perm == a.permissions.end() || perm->second <= now) {
    return;
  }
  std::vector<uint8_t> out = TakeBuffer(128);
  stun::TransactionId id = stun::TransactionId::Generate(random_);
  stun::MessageBuilder b(out, stun::MessageType{MessageClass::kIndication, method::kData}, id);
  b.AddXorAddress(attr::kXorPeerAddress, peer);
  b.AddIcmp(stun::IcmpValue{type, code, error_data});
  stun::FinishOptions options;
  options.fingerprint = config_.fingerprint;
  absl::StatusOr<ByteSpan> wire = b.Finish(options);
  if (!wire.ok()) {
    Recycle(std::move(out));
    return;
  }
  out.resize(wire->size());
  SendToClient(a.five_tuple, std::move(out));
}

// ===================================================================================================
// Requests
// ===================================================================================================

void TurnServer::Impl::HandleRequest(const FiveTuple& ft, const stun::MessageView& msg, Timestamp now) {
  Reply r;
  r.five_tuple = ft;
  r.id = msg.transaction_id();
  r.method = msg.method();
  r.request_size = msg.bytes().size();

  if (msg.method() == method::kBinding) {
    ++stats_.binding_requests;
    if (!AllowUnauthenticated(ft.client.ip(), now)) return;
    HandleBinding(r, msg);
    return;
  }
  if (msg.method() != method::kAllocate && msg.method() != method::kRefresh &&
      msg.method() != method::kCreatePermission && msg.method() != method::kChannelBind) {
    // Unknown methods, and RFC 6062 Connect/ConnectionBind (TCP relay is not implemented).
    if (!AllowUnauthenticated(ft.client.ip(), now)) return;
    RespondError(r, error::kBadRequest);
    return;
  }

  auto it = allocations_.find(ft);
  Allocation* a = it == allocations_.end() ? nullptr : it->second.get();
  // Requests on an allocation must use the credentials that created it (RFC 8656 §5; 441 otherwise). An
  // Allocate on a 5-tuple in use is the exception: it is authenticated on its own credentials and then
  // answered 437 Allocation Mismatch (§7.2) whoever sends it, as coturn does.
  Allocation* credentials_of = a;
  if (a != nullptr && msg.method() == method::kAllocate) {
    absl::StatusOr<std::string_view> requester = msg.GetUsername();
    if (requester.ok() && *requester != a->username) credentials_of = nullptr;
  }
  std::string password;
  stun::PasswordAlgorithm algorithm = stun::PasswordAlgorithm::kMd5;
  if (!Authenticate(&r, msg, credentials_of, now, &password, &algorithm)) return;

  // RFC 8489 §6.3.1: unknown comprehension-required attributes, after authentication.
  std::vector<uint16_t> unknown;
  msg.CollectUnknownRequired(&unknown);
  if (!unknown.empty()) {
    Respond(r, MessageClass::kErrorResponse, [&](stun::MessageBuilder& b) {
      b.AddErrorCode(error::kUnknownAttribute);
      b.AddUnknownAttributes(unknown);
    });
    return;
  }
  std::string_view username = *msg.GetUsername();
  switch (msg.method()) {
    case method::kAllocate:
      HandleAllocate(r, msg, a, username, password, algorithm, now);
      return;
    case method::kRefresh:
      HandleRefresh(r, msg, a, now);
      return;
    case method::kCreatePermission:
      HandleCreatePermission(r, msg, a, now);
      return;
    case method::kChannelBind:
      HandleChannelBind(r, msg, a, now);
      return;
  }
}

void TurnServer::Impl::HandleBinding(const Reply& r, const stun::MessageView& msg) {
  std::vector<uint16_t> unknown;
  msg.CollectUnknownRequired(&unknown);
  // RFC 5780 CHANGE-REQUEST is known to the codec but not served here (one address, one port).
  if (msg.Has(attr::kChangeRequest)) unknown.push_back(attr::kChangeRequest);
  if (!unknown.empty()) {
    Respond(r, MessageClass::kErrorResponse, [&](stun::MessageBuilder& b) {
      b.AddErrorCode(error::kUnknownAttribute);
      b.AddUnknownAttributes(unknown);
    });
    return;
  }
  Respond(r, MessageClass::kSuccessResponse,
          [&](stun::MessageBuilder& b) { b.AddXorAddress(attr::kXorMappedAddress, r.five_tuple.client); });
}

// --- Authentication ---------------------------------------------------------------------------------

// NONCE = [cookie] + 8 hex digits of the expiry (server seconds) + 16 hex digits of
// HMAC-SHA1(nonce key, [cookie] expiry client-ip). Stateless, so a flood of challenges costs no memory.
std::string TurnServer::Impl::MakeNonce(const IpAddress& client, Timestamp now) {
  std::string prefix;
  if (config_.offer_password_algorithms) {
    prefix = stun::MakeNonceWithCookie(stun::SecurityFeatures{.password_algorithms = true}, "");
  }
  uint32_t expiry = static_cast<uint32_t>((now + config_.nonce_lifetime).us() / 1000000);
  absl::StrAppend(&prefix, absl::StrFormat("%08x", expiry));
  uint8_t mac[20];
  const IpAddress ip = client.Unmapped();  // bytes() points into it: keep it alive
  const ByteSpan parts[] = {AsBytes(prefix), ip.bytes()};
  nonce_key_.HmacSha1(parts, mac);
  absl::StrAppend(&prefix, Hex(ByteSpan(mac, 8)));
  return prefix;
}

TurnServer::Impl::NonceCheck TurnServer::Impl::CheckNonce(std::string_view nonce, const IpAddress& client,
                                                          Timestamp now) const {
  if (nonce.size() < 24) return NonceCheck::kStale;
  std::string_view signed_part = nonce.substr(0, nonce.size() - 16);
  std::string_view mac_hex = nonce.substr(nonce.size() - 16);
  uint8_t mac[20];
  const IpAddress ip = client.Unmapped();
  const ByteSpan parts[] = {AsBytes(signed_part), ip.bytes()};
  nonce_key_.HmacSha1(parts, mac);
  if (Hex(ByteSpan(mac, 8)) != mac_hex) return NonceCheck::kStale;
  std::string_view expiry_hex = signed_part.substr(signed_part.size() - 8);
  uint64_t expiry = 0;
  for (char c : expiry_hex) {
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (v < 0) return NonceCheck::kStale;
    expiry = expiry * 16 + static_cast<uint64_t>(v);
  }
  if (static_cast<int64_t>(expiry) * 1000000 <= now.us()) return NonceCheck::kStale;
  return NonceCheck::kValid;
}

void TurnServer::Impl::SendChallenge(const Reply& r, int code, Timestamp now) {
  Reply unauth = r;
  unauth.key.reset();
  std::string nonce = MakeNonce(r.five_tuple.client.ip(), now);
  Respond(unauth, MessageClass::kErrorResponse, [&](stun::MessageBuilder& b) {
    b.AddErrorCode(code);
    b.AddText(attr::kRealm, config_.realm);
    b.AddText(attr::kNonce, nonce);
    if (config_.offer_password_algorithms) b.AddPasswordAlgorithms(kOfferedAlgorithms);
  });
}

void TurnServer::Impl::AuthFailure(const Reply& r, std::string_view username, std::string reason, int code,
                                   Timestamp now) {
  ++stats_.auth_failures;
  Emit(AuthFailed{r.five_tuple, std::string(username), std::move(reason)});
  if (code == error::kUnauthenticated) {
    SendChallenge(r, code, now);
  } else {
    Reply unauth = r;
    unauth.key.reset();
    RespondError(unauth, code);
  }
}

bool TurnServer::Impl::Authenticate(Reply* r, const stun::MessageView& msg, Allocation* a, Timestamp now,
                                    std::string* password, stun::PasswordAlgorithm* algorithm) {
  const IpAddress& source = r->five_tuple.client.ip();
  if (!msg.has_message_integrity() && !msg.has_message_integrity_sha256()) {
    if (!AllowUnauthenticated(source, now)) return false;
    SendChallenge(*r, error::kUnauthenticated, now);
    return false;
  }
  absl::StatusOr<std::string_view> username = msg.GetUsername();
  absl::StatusOr<std::string_view> realm = msg.GetRealm();
  absl::StatusOr<std::string_view> nonce = msg.GetNonce();
  if (!username.ok() || !realm.ok() || !nonce.ok()) {
    if (!AllowUnauthenticated(source, now)) return false;
    RespondError(*r, error::kBadRequest);
    return false;
  }
  if (CheckNonce(*nonce, source, now) != NonceCheck::kValid) {
    if (!AllowUnauthenticated(source, now)) return false;
    ++stats_.stale_nonces;
    SendChallenge(*r, error::kStaleNonce, now);
    return false;
  }
  // RFC 8489 §9.2.4: under a nonce cookie announcing password algorithms, a request that uses them must
  // echo the server's PASSWORD-ALGORITHMS verbatim and pick one of them in PASSWORD-ALGORITHM.
  *algorithm = stun::PasswordAlgorithm::kMd5;
  std::optional<stun::SecurityFeatures> features = stun::ParseNonceCookie(*nonce);
  std::optional<stun::Attribute> algorithms = msg.Find(attr::kPasswordAlgorithms);
  std::optional<stun::Attribute> chosen = msg.Find(attr::kPasswordAlgorithm);
  if (features.has_value() && features->password_algorithms && (algorithms || chosen)) {
    bool ok = algorithms.has_value() && chosen.has_value() &&
              std::equal(algorithms->value.begin(), algorithms->value.end(), offered_algorithms_.begin(),
                         offered_algorithms_.end());
    if (ok) {
      absl::StatusOr<stun::PasswordAlgorithmValue> v = stun::DecodePasswordAlgorithm(chosen->value);
      ok = v.ok() && (v->algorithm == static_cast<uint16_t>(stun::PasswordAlgorithm::kMd5) ||
                      v->algorithm == static_cast<uint16_t>(stun::PasswordAlgorithm::kSha256));
      if (ok) *algorithm = static_cast<stun::PasswordAlgorithm>(v->algorithm);
    }
    if (!ok) {
      if (!AllowUnauthenticated(source, now)) return false;
      RespondError(*r, error::kBadRequest);
      return false;
    }
  }
  auto fail = [&](std::string reason, int code) {
    if (!AllowUnauthenticated(source, now)) {
      ++stats_.auth_failures;
      return false;
    }
    AuthFailure(*r, *username, std::move(reason), code, now);
    return false;
  };
  if (*realm != config_.realm) return fail("wrong realm", error::kUnauthenticated);

  if (a != nullptr) {
    // RFC 8656 §5: every request on an allocation uses the credentials that created it.
    if (*username != a->username) return fail("username differs from the allocation's", error::kWrongCredentials);
    if (a->rest_expiry.has_value() && *a->rest_expiry < UnixSeconds(now)) {
      return fail("REST username expired", error::kUnauthenticated);
    }
    const stun::IntegrityKey& key = KeyFor(*a, *algorithm);
    if (!msg.VerifyIntegrity(key).ok()) return fail("bad MESSAGE-INTEGRITY", error::kUnauthenticated);
    r->key = key;
    r->sha256 = msg.has_message_integrity_sha256();
    *password = a->password;
    return true;
  }

  // Candidate passwords: the hook, else the static user, else one per REST secret.
  std::vector<std::string> candidates;
  std::string reason = "unknown user";
  if (hooks_.password_lookup) {
    std::optional<std::string> p = hooks_.password_lookup(*username, *realm, r->five_tuple);
    if (p.has_value()) candidates.push_back(std::move(*p));
  } else if (auto u = config_.users.find(std::string(*username)); u != config_.users.end()) {
    candidates.push_back(u->second);
  } else if (!config_.rest_secrets.empty()) {
    std::optional<int64_t> expiry = RestUsernameExpiry(*username);
    if (expiry.has_value() && *expiry < UnixSeconds(now)) {
      reason = "REST username expired";
    } else if (expiry.has_value()) {
      for (const std::string& secret : config_.rest_secrets) {
        candidates.push_back(RestPassword(secret, *username));
      }
    }
  }
  if (candidates.empty()) return fail(std::move(reason), error::kUnauthenticated);
  for (std::string& candidate : candidates) {
    stun::IntegrityKey key = stun::IntegrityKey::LongTerm(*username, *realm, candidate, *algorithm);
    if (msg.VerifyIntegrity(key).ok()) {
      r->key = std::move(key);
      r->sha256 = msg.has_message_integrity_sha256();
      *password = std::move(candidate);
      return true;
    }
  }
  return fail("bad MESSAGE-INTEGRITY", error::kUnauthenticated);
}

const stun::IntegrityKey& TurnServer::Impl::KeyFor(Allocation& a, stun::PasswordAlgorithm algorithm) {
  std::optional<stun::IntegrityKey>& slot =
      algorithm == stun::PasswordAlgorithm::kSha256 ? a.key_sha256 : a.key_md5;
  if (!slot.has_value()) slot = stun::IntegrityKey::LongTerm(a.username, config_.realm, a.password, algorithm);
  return *slot;
}

// --- Allocate ---------------------------------------------------------------------------------------

Duration TurnServer::Impl::DesiredLifetime(const stun::MessageView& msg) const {
  absl::StatusOr<uint32_t> requested = msg.GetLifetime();
  if (!requested.ok()) return config_.default_lifetime;
  Duration d = std::min(Duration::Seconds(*requested), config_.max_lifetime);
  return std::max(d, config_.default_lifetime);
}

const RelayAddressConfig* TurnServer::Impl::PickRelayIp(IpFamily family) {
  size_t n = config_.relay_addresses.size();
  for (size_t i = 0; i < n; ++i) {
    const RelayAddressConfig& r = config_.relay_addresses[(relay_rr_ + i) % n];
    if (r.private_ip.family() == family) {
      relay_rr_ = (relay_rr_ + i + 1) % n;
      return &r;
    }
  }
  return nullptr;
}

std::optional<uint16_t> TurnServer::Impl::PickPort(const IpAddress& ip, bool even, bool reserve_next) {
  const uint32_t lo = config_.min_port, hi = config_.max_port;
  const uint32_t span = hi - lo + 1;
  auto usable = [&](uint32_t port) {
    if (port < lo || port > hi) return false;
    if (even && (port & 1) != 0) return false;
    if (ports_in_use_.contains(SocketAddress(ip, static_cast<uint16_t>(port)))) return false;
    if (reserve_next &&
        (port + 1 > hi || ports_in_use_.contains(SocketAddress(ip, static_cast<uint16_t>(port + 1))))) {
      return false;
    }
    return true;
  };
  // Random probes first (ports unpredictable, RFC 8656 §7.2), then one linear pass from a random start.
  for (int i = 0; i < 32; ++i) {
    uint32_t port = lo + static_cast<uint32_t>(random_.Uniform(span));
    if (even) port &= ~1u;
    if (usable(port)) return static_cast<uint16_t>(port);
  }
  uint32_t start = static_cast<uint32_t>(random_.Uniform(span));
  for (uint32_t i = 0; i < span; ++i) {
    uint32_t port = lo + (start + i) % span;
    if (usable(port)) return static_cast<uint16_t>(port);
  }
  return std::nullopt;
}

void TurnServer::Impl::HandleAllocate(Reply& r, const stun::MessageView& msg, Allocation* existing,
                                      std::string_view username, const std::string& password,
                                      stun::PasswordAlgorithm algorithm, Timestamp now) {
  const FiveTuple& ft = r.five_tuple;
  if (existing != nullptr) {
    // RFC 8656 §7.2: a retransmission of the request that created the allocation gets the same answer;
    // anything else on a 5-tuple in use (another transaction, or another user) is 437.
    if (existing->allocate_id == msg.transaction_id() && existing->username == username) {
      if (!existing->pending.has_value() && !existing->allocate_response.empty()) {
        std::vector<uint8_t> copy = TakeBuffer(existing->allocate_response.size());
        std::memcpy(copy.data(), existing->allocate_response.data(), copy.size());
        SendToClient(ft, std::move(copy));
      }
      return;
    }
    RespondError(r, error::kAllocationMismatch);
    return;
  }
  if (hooks_.alternate_server) {
    if (std::optional<SocketAddress> alt = hooks_.alternate_server(ft)) {
      Respond(r, MessageClass::kErrorResponse, [&](stun::MessageBuilder& b) {
        b.AddErrorCode(error::kTryAlternate);
        b.AddAddress(attr::kAlternateServer, *alt);
      });
      return;
    }
  }
  std::optional<stun::Attribute> transport = msg.Find(attr::kRequestedTransport);
  if (!transport.has_value()) {
    RespondError(r, error::kBadRequest);
    return;
  }
  absl::StatusOr<uint8_t> protocol = stun::DecodeRequestedTransport(transport->value);
  if (!protocol.ok()) {
    RespondError(r, error::kBadRequest);
    return;
  }
  if (*protocol != stun::kProtocolUdp) {
    RespondError(r, error::kUnsupportedTransportProtocol);  // RFC 6062 TCP relay: not implemented
    return;
  }
  if (msg.Has(attr::kDontFragment) && !config_.dont_fragment_supported) {
    const uint16_t df[] = {attr::kDontFragment};
    Respond(r, MessageClass::kErrorResponse, [&](stun::MessageBuilder& b) {
      b.AddErrorCode(error::kUnknownAttribute);
      b.AddUnknownAttributes(df);
    });
    return;
  }
  std::optional<stun::Attribute> token_attr = msg.Find(attr::kReservationToken);
  std::optional<stun::Attribute> even_attr = msg.Find(attr::kEvenPort);
  std::optional<stun::Attribute> requested_family = msg.Find(attr::kRequestedAddressFamily);
  std::optional<stun::Attribute> additional_family = msg.Find(attr::kAdditionalAddressFamily);
  // RFC 8656 §7.2: RESERVATION-TOKEN excludes EVEN-PORT and REQUESTED-ADDRESS-FAMILY; the two family
  // attributes exclude each other; ADDITIONAL-ADDRESS-FAMILY can only ask for IPv6.
  if ((token_attr && (even_attr || requested_family)) || (requested_family && additional_family)) {
    RespondError(r, error::kBadRequest);
    return;
  }
  std::vector<IpFamily> families;
  if (additional_family) {
    absl::StatusOr<IpFamily> f = stun::DecodeAddressFamily(additional_family->value);
    if (!f.ok() || *f != IpFamily::kV6) {
      RespondError(r, error::kBadRequest);
      return;
    }
    families = {IpFamily::kV4, IpFamily::kV6};
  } else if (requested_family) {
    absl::StatusOr<IpFamily> f = stun::DecodeAddressFamily(requested_family->value);
    if (!f.ok()) {
      RespondError(r, error::kAddressFamilyNotSupported);
      return;
    }
    families = {*f};
  } else {
    families = {IpFamily::kV4};
  }
  bool even = false, reserve = false;
  if (even_attr) {
    absl::StatusOr<bool> rbit = stun::DecodeEvenPort(even_attr->value);
    if (!rbit.ok()) {
      RespondError(r, error::kBadRequest);
      return;
    }
    even = true;
    reserve = *rbit;
  }
  std::optional<uint64_t> token;
  if (token_attr) {
    absl::StatusOr<uint64_t> t = stun::DecodeU64(token_attr->value);
    if (!t.ok()) {
      RespondError(r, error::kBadRequest);
      return;
    }
    token = *t;
  }

  // Quotas (coturn user-quota / total-quota) and the hard capacity.
  auto quota = [&](int code) {
    ++stats_.quota_hits;
    Emit(QuotaHit{ft, std::string(username), code});
    RespondError(r, code);
  };
  if (config_.user_quota != 0) {
    auto u = per_user_.find(std::string(username));
    if (u != per_user_.end() && u->second >= config_.user_quota) return quota(error::kAllocationQuotaReached);
  }
  if (config_.total_quota != 0 && allocations_.size() >= config_.total_quota) {
    return quota(error::kAllocationQuotaReached);
  }
  if (allocations_.size() >= config_.max_allocations) return quota(error::kInsufficientCapacity);

  // Relayed addresses.
  std::vector<RelaySlot> relays;
  IpFamily family_error = IpFamily::kUnspecified;
  std::optional<uint64_t> new_token;
  auto release = [&] {
    for (const RelaySlot& s : relays) ports_in_use_.erase(s.private_address);
  };
  if (token.has_value()) {
    auto res = reservations_.find(*token);
    if (res == reservations_.end() || res->second.expires <= now) {
      RespondError(r, error::kInsufficientCapacity);
      return;
    }
    SocketAddress addr = res->second.address;
    reservations_.erase(res);  // the port stays in ports_in_use_, now for this allocation
    RelaySlot s;
    s.private_address = addr;
    s.public_address = addr;
    for (const RelayAddressConfig& c : config_.relay_addresses) {
      if (c.private_ip == addr.ip() && c.public_ip.is_set()) s.public_address = SocketAddress(c.public_ip, addr.port());
    }
    relays.push_back(s);
  } else {
    for (size_t i = 0; i < families.size(); ++i) {
      const RelayAddressConfig* ip = PickRelayIp(families[i]);
      if (ip == nullptr) {
        if (families.size() == 2 && i == 1) {
          family_error = families[i];  // dual-stack: IPv4 only, with ADDRESS-ERROR-CODE 440
          continue;
        }
        release();
        RespondError(r, error::kAddressFamilyNotSupported);
        return;
      }
      bool reserve_here = reserve && i == 0;
      std::optional<uint16_t> port = PickPort(ip->private_ip, even, reserve_here);
      if (!port.has_value()) {
        release();
        return quota(error::kInsufficientCapacity);
      }
      RelaySlot s;
      s.private_address = SocketAddress(ip->private_ip, *port);
      s.public_address = SocketAddress(ip->public_ip.is_set() ? ip->public_ip : ip->private_ip, *port);
      ports_in_use_.insert(s.private_address);
      if (reserve_here) {
        // RFC 8656 §7.2, §18.9: hold port + 1 for a later Allocate with this RESERVATION-TOKEN.
        uint64_t t = random_.NextU64();
        SocketAddress next(ip->private_ip, static_cast<uint16_t>(*port + 1));
        ports_in_use_.insert(next);
        reservations_[t] = Reservation{next, now + config_.reservation_lifetime};
        reservation_order_.emplace_back(now + config_.reservation_lifetime, t);
        new_token = t;
      }
      relays.push_back(s);
    }
  }

  auto owned = std::make_unique<Allocation>();
  Allocation* a = owned.get();
  a->five_tuple = ft;
  a->username = std::string(username);
  a->password = password;
  if (config_.users.find(a->username) == config_.users.end() && !config_.rest_secrets.empty() &&
      !hooks_.password_lookup) {
    a->rest_expiry = RestUsernameExpiry(a->username);
  }
  if (algorithm == stun::PasswordAlgorithm::kSha256) {
    a->key_sha256 = *r.key;
  } else {
    a->key_md5 = *r.key;
  }
  a->allocate_id = msg.transaction_id();
  a->relays = std::move(relays);
  Duration lifetime = DesiredLifetime(msg);
  a->expires = now + lifetime;
  a->dont_fragment = msg.Has(attr::kDontFragment);
  double cap = static_cast<double>(config_.bandwidth_cap_bytes_per_second);
  a->up = TokenBucket{cap, now};
  a->down = TokenBucket{cap, now};
  PendingAllocate p;
  p.id = msg.transaction_id();
  p.sha256 = r.sha256;
  p.algorithm = algorithm;
  p.lifetime = lifetime;
  p.reservation_token = new_token;
  p.family_error = family_error;
  p.deadline = now + kRelayBindTimeout;
  p.even_port = even;

  allocations_.emplace(ft, std::move(owned));
  for (const RelaySlot& s : a->relays) by_relay_[s.private_address] = a;
  ++per_user_[a->username];
  ++stats_.allocations_total;
  stats_.allocations = allocations_.size();
  for (const RelaySlot& s : a->relays) Emit(RelayOpened{s.private_address});
  if (config_.confirm_relay_binds) {
    a->pending = p;
    Schedule(a, std::min(p.deadline, a->expires));
  } else {
    for (RelaySlot& s : a->relays) s.confirmed = true;
    a->pending = p;
    FinishPendingAllocate(*a);
    Schedule(a, a->expires);
  }
}

std::vector<uint8_t> TurnServer::Impl::BuildAllocateSuccess(const Allocation& a, const PendingAllocate& p) {
  Reply r;
  r.five_tuple = a.five_tuple;
  r.id = p.id;
  r.method = method::kAllocate;
  r.sha256 = p.sha256;
  r.key = p.algorithm == stun::PasswordAlgorithm::kSha256 ? a.key_sha256 : a.key_md5;
  std::vector<uint8_t> buf(kResponseBufferSize);
  stun::MessageBuilder b(buf, stun::MessageType{MessageClass::kSuccessResponse, method::kAllocate}, p.id);
  for (const RelaySlot& s : a.relays) b.AddXorAddress(attr::kXorRelayedAddress, s.public_address);
  b.AddU32(attr::kLifetime, static_cast<uint32_t>(p.lifetime.us() / 1000000));
  b.AddXorAddress(attr::kXorMappedAddress, a.five_tuple.client);
  if (p.reservation_token.has_value()) b.AddU64(attr::kReservationToken, *p.reservation_token);
  if (p.family_error != IpFamily::kUnspecified) {
    b.AddAddressErrorCode(p.family_error, error::kAddressFamilyNotSupported,
                          stun::DefaultReasonPhrase(error::kAddressFamilyNotSupported));
  }
  if (!config_.software.empty()) b.AddText(attr::kSoftware, config_.software);
  stun::FinishOptions options;
  if (r.sha256) {
    options.integrity_sha256 = &*r.key;
  } else {
    options.integrity = &*r.key;
  }
  options.fingerprint = config_.fingerprint;
  absl::StatusOr<ByteSpan> wire = b.Finish(options);
  if (!wire.ok()) return {};
  // Kept for the allocation's lifetime (retransmitted Allocates): exactly its size, not the 2 KB buffer.
  return std::vector<uint8_t>(wire->begin(), wire->end());
}

void TurnServer::Impl::FinishPendingAllocate(Allocation& a) {
  PendingAllocate p = *a.pending;
  a.pending.reset();
  a.allocate_response = BuildAllocateSuccess(a, p);
  if (!a.allocate_response.empty()) {
    std::vector<uint8_t> copy = TakeBuffer(a.allocate_response.size());
    std::memcpy(copy.data(), a.allocate_response.data(), copy.size());
    SendToClient(a.five_tuple, std::move(copy));
  }
  a.announced = true;
  Allocated ev;
  ev.five_tuple = a.five_tuple;
  ev.username = a.username;
  for (const RelaySlot& s : a.relays) ev.relayed.push_back(s.public_address);
  ev.lifetime = p.lifetime;
  Emit(std::move(ev));
}

void TurnServer::Impl::HandleRelayBindResult(const SocketAddress& address, const absl::Status& status,
                                             Timestamp now) {
  auto it = by_relay_.find(address);
  if (it == by_relay_.end()) return;
  Allocation* a = it->second;
  RelaySlot* slot = nullptr;
  for (RelaySlot& s : a->relays) {
    if (s.private_address == address) slot = &s;
  }
  if (slot == nullptr) return;
  if (status.ok()) {
    slot->confirmed = true;
    if (a->pending.has_value() &&
        std::all_of(a->relays.begin(), a->relays.end(), [](const RelaySlot& s) { return s.confirmed; })) {
      FinishPendingAllocate(*a);
      Unschedule(a);
      RunAllocationTimer(a, now);
    }
    return;
  }
  ++stats_.relay_bind_failures;
  slot->bind_failed = true;
  if (!a->pending.has_value()) {
    DestroyAllocation(a, DeallocationReason::kRelayBindFailed);
    return;
  }
  // Still answering the Allocate: try another port on the same IP.
  by_relay_.erase(slot->private_address);
  ports_in_use_.erase(slot->private_address);
  std::optional<uint16_t> port;
  if (slot->attempts < config_.max_relay_bind_attempts) {
    port = PickPort(slot->private_address.ip(), a->pending->even_port, false);
  }
  if (!port.has_value()) {
    Reply r;
    r.five_tuple = a->five_tuple;
    r.id = a->pending->id;
    r.method = method::kAllocate;
    r.sha256 = a->pending->sha256;
    r.key = a->pending->algorithm == stun::PasswordAlgorithm::kSha256 ? a->key_sha256 : a->key_md5;
    ++stats_.quota_hits;
    Emit(QuotaHit{a->five_tuple, a->username, error::kInsufficientCapacity});
    RespondError(r, error::kInsufficientCapacity);
    DestroyAllocation(a, DeallocationReason::kRelayBindFailed);
    return;
  }
  ++slot->attempts;
  slot->bind_failed = false;
  slot->private_address = SocketAddress(slot->private_address.ip(), *port);
  slot->public_address = SocketAddress(slot->public_address.ip(), *port);
  ports_in_use_.insert(slot->private_address);
  by_relay_[slot->private_address] = a;
  Emit(RelayOpened{slot->private_address});
}

void TurnServer::Impl::DestroyAllocation(Allocation* a, DeallocationReason reason) {
  Unschedule(a);
  for (const RelaySlot& s : a->relays) {
    auto it = by_relay_.find(s.private_address);
    if (it != by_relay_.end() && it->second == a) by_relay_.erase(it);
    ports_in_use_.erase(s.private_address);
    if (!s.bind_failed) Emit(RelayClosed{s.private_address});
  }
  auto u = per_user_.find(a->username);
  if (u != per_user_.end() && --u->second == 0) per_user_.erase(u);
  stats_.permissions -= a->permissions.size();
  stats_.channels -= a->channels.size();
  if (a->announced) Emit(Deallocated{a->five_tuple, a->username, reason});
  FiveTuple key = a->five_tuple;
  allocations_.erase(key);  // destroys *a
  stats_.allocations = allocations_.size();
}

// --- Timers -------------------------------------------------------------------------------------------

void TurnServer::Impl::Schedule(Allocation* a, Timestamp t) {
  if (t >= a->timer_at) return;
  Unschedule(a);
  a->timer_at = t;
  timers_.emplace(t, a);
}

void TurnServer::Impl::Unschedule(Allocation* a) {
  if (a->timer_at.is_infinite()) return;
  timers_.erase({a->timer_at, a});
  a->timer_at = Timestamp::Infinite();
}

void TurnServer::Impl::RunAllocationTimer(Allocation* a, Timestamp now) {
  if (a->pending.has_value() && a->pending->deadline <= now) {
    // The runtime never confirmed the relay sockets: give up silently (the client will retransmit).
    ++stats_.relay_bind_failures;
    DestroyAllocation(a, DeallocationReason::kRelayBindFailed);
    return;
  }
  if (a->expires <= now) {
    DestroyAllocation(a, DeallocationReason::kExpired);
    return;
  }
  Timestamp next = a->expires;
  if (a->pending.has_value()) next = std::min(next, a->pending->deadline);
  for (auto it = a->permissions.begin(); it != a->permissions.end();) {
    if (it->second <= now) {
      a->permissions.erase(it++);
      --stats_.permissions;
    } else {
      next = std::min(next, it->second);
      ++it;
    }
  }
  for (auto it = a->channels.begin(); it != a->channels.end();) {
    Channel& c = it->second;
    if (c.expires <= now && c.active) {
      c.active = false;  // RFC 8656 §11: neither the number nor the peer may be rebound elsewhere yet
      c.expires = c.expires + config_.channel_quarantine;
    }
    if (c.expires <= now) {
      a->channel_by_peer.erase(c.peer);
      a->channels.erase(it++);
      --stats_.channels;
    } else {
      next = std::min(next, c.expires);
      ++it;
    }
  }
  Schedule(a, next);
}

void TurnServer::Impl::HandleTimeout(Timestamp now) {
  while (!timers_.empty() && timers_.begin()->first <= now) {
    Allocation* a = timers_.begin()->second;
    timers_.erase(timers_.begin());
    a->timer_at = Timestamp::Infinite();
    RunAllocationTimer(a, now);
  }
  while (!reservation_order_.empty() && reservation_order_.front().first <= now) {
    uint64_t t = reservation_order_.front().second;
    reservation_order_.pop_front();
    auto it = reservations_.find(t);
    if (it != reservations_.end() && it->second.expires <= now) {
      ports_in_use_.erase(it->second.address);
      reservations_.erase(it);
    }
  }
}

// --- Refresh, CreatePermission, ChannelBind ---------------------------------------------------------

void TurnServer::Impl::HandleRefresh(const Reply& r, const stun::MessageView& msg, Allocation* a, Timestamp now) {
  if (a == nullptr || a->pending.has_value()) {
    RespondError(r, error::kAllocationMismatch);
    return;
  }
  if (std::optional<stun::Attribute> f = msg.Find(attr::kRequestedAddressFamily)) {
    absl::StatusOr<IpFamily> family = stun::DecodeAddressFamily(f->value);
    if (!family.ok() || a->RelayFor(*family) == nullptr) {
      RespondError(r, error::kPeerAddressFamilyMismatch);
      return;
    }
  }
  absl::StatusOr<uint32_t> requested = msg.GetLifetime();
  if (requested.ok() && *requested == 0) {
    DestroyAllocation(a, DeallocationReason::kClientRequest);
    Respond(r, MessageClass::kSuccessResponse, [](stun::MessageBuilder& b) { b.AddU32(attr::kLifetime, 0); });
    return;
  }
  Duration lifetime = DesiredLifetime(msg);
  a->expires = now + lifetime;
  // A longer lifetime leaves the timer at the old expiry (it re-arms itself when it fires early).
  Schedule(a, a->expires);
  Respond(r, MessageClass::kSuccessResponse, [&](stun::MessageBuilder& b) {
    b.AddU32(attr::kLifetime, static_cast<uint32_t>(lifetime.us() / 1000000));
  });
}

void TurnServer::Impl::InstallPermission(Allocation& a, const IpAddress& ip, Timestamp now) {
  auto [it, inserted] = a.permissions.try_emplace(ip, now + config_.permission_lifetime);
  if (inserted) {
    ++stats_.permissions;
  } else {
    it->second = now + config_.permission_lifetime;
  }
  Schedule(&a, now + config_.permission_lifetime);
}

void TurnServer::Impl::HandleCreatePermission(const Reply& r, const stun::MessageView& msg, Allocation* a,
                                              Timestamp now) {
  if (a == nullptr || a->pending.has_value()) {
    RespondError(r, error::kAllocationMismatch);
    return;
  }
  std::vector<IpAddress> peers;
  for (const stun::Attribute& at : msg) {
    if (at.type != attr::kXorPeerAddress) continue;
    absl::StatusOr<SocketAddress> peer = stun::DecodeXorAddress(at.value, msg.transaction_id());
    if (!peer.ok()) {
      RespondError(r, error::kBadRequest);
      return;
    }
    peers.push_back(peer->ip());
  }
  if (peers.empty()) {
    RespondError(r, error::kBadRequest);
    return;
  }
  size_t added = 0;
  for (const IpAddress& ip : peers) {
    if (a->RelayFor(ip.family()) == nullptr) {
      RespondError(r, error::kPeerAddressFamilyMismatch);
      return;
    }
    if (!PeerAllowed(a->five_tuple, a->username, ip)) {
      DenyPeer(a->five_tuple, a->username, ip);
      RespondError(r, error::kForbidden);
      return;
    }
    if (!a->permissions.contains(ip)) ++added;
  }
  if (a->permissions.size() + added > config_.max_permissions_per_allocation) {
    ++stats_.quota_hits;
    Emit(QuotaHit{a->five_tuple, a->username, error::kInsufficientCapacity});
    RespondError(r, error::kInsufficientCapacity);
    return;
  }
  for (const IpAddress& ip : peers) InstallPermission(*a, ip, now);
  Respond(r, MessageClass::kSuccessResponse, [](stun::MessageBuilder&) {});
}

void TurnServer::Impl::HandleChannelBind(const Reply& r, const stun::MessageView& msg, Allocation* a,
                                         Timestamp now) {
  if (a == nullptr || a->pending.has_value()) {
    RespondError(r, error::kAllocationMismatch);
    return;
  }
  absl::StatusOr<uint16_t> number = msg.GetChannelNumber(channel_range_);
  absl::StatusOr<SocketAddress> peer = msg.GetXorAddress(attr::kXorPeerAddress);
  if (!number.ok() || !peer.ok()) {
    RespondError(r, error::kBadRequest);
    return;
  }
  if (a->RelayFor(peer->family()) == nullptr) {
    RespondError(r, error::kPeerAddressFamilyMismatch);
    return;
  }
  if (!PeerAllowed(a->five_tuple, a->username, peer->ip()) || IsOwnAddress(*peer)) {
    DenyPeer(a->five_tuple, a->username, peer->ip());
    RespondError(r, error::kForbidden);
    return;
  }
  // RFC 8656 §11.2: a number bound (or quarantined) for another peer, or a peer bound to another
  // number, is a 400.
  auto existing = a->channels.find(*number);
  if (existing != a->channels.end() && existing->second.peer != *peer) {
    RespondError(r, error::kBadRequest);
    return;
  }
  auto by_peer = a->channel_by_peer.find(*peer);
  if (by_peer != a->channel_by_peer.end() && by_peer->second != *number) {
    RespondError(r, error::kBadRequest);
    return;
  }
  bool new_channel = existing == a->channels.end();
  bool new_permission = !a->permissions.contains(peer->ip());
  if ((new_channel && a->channels.size() >= config_.max_channels_per_allocation) ||
      (new_permission && a->permissions.size() >= config_.max_permissions_per_allocation)) {
    ++stats_.quota_hits;
    Emit(QuotaHit{a->five_tuple, a->username, error::kInsufficientCapacity});
    RespondError(r, error::kInsufficientCapacity);
    return;
  }
  Channel& c = a->channels[*number];
  c.peer = *peer;
  c.expires = now + config_.channel_lifetime;
  c.active = true;
  if (new_channel) {
    ++stats_.channels;
    a->channel_by_peer[*peer] = *number;
  }
  Schedule(a, c.expires);
  InstallPermission(*a, peer->ip(), now);
  Respond(r, MessageClass::kSuccessResponse, [](stun::MessageBuilder&) {});
}

// ===================================================================================================
// TurnServer
// ===================================================================================================

namespace {

absl::Status ValidateConfig(const TurnServerConfig& c) {
  if (c.realm.empty() || c.realm.size() > stun::kMaxRealmSize || !stun::IsValidUtf8(c.realm)) {
    return absl::InvalidArgumentError("realm must be 1..763 bytes of UTF-8");
  }
  if (c.software.size() > stun::kMaxSoftwareSize || !stun::IsValidUtf8(c.software)) {
    return absl::InvalidArgumentError("software must be at most 763 bytes of UTF-8");
  }
  if (c.relay_addresses.empty()) return absl::InvalidArgumentError("no relay address configured");
  for (const RelayAddressConfig& r : c.relay_addresses) {
    if (!r.private_ip.is_set() || r.private_ip.IsUnspecified()) {
      return absl::InvalidArgumentError("a relay address needs a specific private IP (not a wildcard)");
    }
    if (r.public_ip.is_set() && r.public_ip.family() != r.private_ip.family()) {
      return absl::InvalidArgumentError(
          absl::StrCat("relay address ", r.public_ip.ToString(), "/", r.private_ip.ToString(),
                       ": public and private IPs of different families"));
    }
  }
  for (const SocketAddress& l : c.listening) {
    if (!l.is_set() || l.port() == 0) return absl::InvalidArgumentError("a listening address needs an IP and a port");
  }
  if (c.min_port == 0 || c.min_port > c.max_port) {
    return absl::InvalidArgumentError(absl::StrCat("bad relay port range ", c.min_port, "-", c.max_port));
  }
  if (c.default_lifetime <= Duration::Zero() || c.max_lifetime < c.default_lifetime ||
      c.permission_lifetime <= Duration::Zero() || c.channel_lifetime <= Duration::Zero() ||
      c.nonce_lifetime <= Duration::Zero() || c.channel_quarantine < Duration::Zero() ||
      c.reservation_lifetime <= Duration::Zero()) {
    return absl::InvalidArgumentError("lifetimes must be positive and default_lifetime <= max_lifetime");
  }
  if (c.max_lifetime > Duration::Seconds(0xFFFFFFFFll)) return absl::InvalidArgumentError("max_lifetime too long");
  if (c.max_stream_frame_size < 24 || c.max_stream_frame_size > 65536 + 20) {
    return absl::InvalidArgumentError("max_stream_frame_size must be 24..65556");
  }
  if (c.max_relay_bind_attempts < 1) return absl::InvalidArgumentError("max_relay_bind_attempts must be >= 1");
  if (c.unauthenticated_rate < 0 || (c.unauthenticated_rate > 0 && c.unauthenticated_burst < 1)) {
    return absl::InvalidArgumentError("unauthenticated rate limit: rate >= 0 and burst >= 1");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TurnServer>> TurnServer::Create(TurnServerConfig config, Random& random,
                                                               TurnServerHooks hooks) {
  if (absl::Status s = ValidateConfig(config); !s.ok()) return s;
  return std::unique_ptr<TurnServer>(
      new TurnServer(std::make_unique<Impl>(std::move(config), random, std::move(hooks))));
}

TurnServer::TurnServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TurnServer::~TurnServer() = default;

void TurnServer::HandleInput(const Datagram& datagram, Timestamp now) { impl_->HandleInput(datagram, now); }
void TurnServer::HandleStreamClosed(const FiveTuple& five_tuple, Timestamp now) {
  impl_->HandleStreamClosed(five_tuple, now);
}
void TurnServer::HandleRelayBindResult(const SocketAddress& address, const absl::Status& status, Timestamp now) {
  impl_->HandleRelayBindResult(address, status, now);
}
void TurnServer::HandleIcmp(const SocketAddress& relayed, const SocketAddress& peer, uint8_t type, uint8_t code,
                            uint32_t error_data, Timestamp now) {
  impl_->HandleIcmp(relayed, peer, type, code, error_data, now);
}
void TurnServer::HandleTimeout(Timestamp now) { impl_->HandleTimeout(now); }

std::optional<Transmit> TurnServer::PollTransmit() {
  if (impl_->transmits_.empty()) return std::nullopt;
  return impl_->transmits_.pop_front();
}

std::optional<TurnServerEvent> TurnServer::PollEvent() {
  if (impl_->events_.empty()) return std::nullopt;
  TurnServerEvent e = std::move(impl_->events_.front());
  impl_->events_.pop_front();
  return e;
}

std::optional<Timestamp> TurnServer::NextTimeout() const {
  std::optional<Timestamp> next;
  if (!impl_->timers_.empty()) next = impl_->timers_.begin()->first;
  if (!impl_->reservation_order_.empty()) {
    Timestamp t = impl_->reservation_order_.front().first;
    if (!next.has_value() || t < *next) next = t;
  }
  return next;
}

void TurnServer::RecycleBuffer(std::vector<uint8_t> buffer) { impl_->Recycle(std::move(buffer)); }

void TurnServer::Shutdown(Timestamp now) {
  while (!impl_->allocations_.empty()) {
    impl_->DestroyAllocation(impl_->allocations_.begin()->second.get(), DeallocationReason::kShutdown);
  }
}

void TurnServer::SetUsers(std::map<std::string, std::string> users) { impl_->config_.users = std::move(users); }
void TurnServer::SetRestSecrets(std::vector<std::string> secrets) {
  impl_->config_.rest_secrets = std::move(secrets);
}
const TurnServerStats& TurnServer::stats() const { return impl_->stats_; }
const TurnServerConfig& TurnServer::config() const { return impl_->config_; }
size_t TurnServer::allocation_count() const { return impl_->allocations_.size(); }
size_t TurnServer::rate_limit_entry_count() const { return impl_->buckets_.size(); }
size_t TurnServer::stream_count() const { return impl_->streams_.size(); }
size_t TurnServer::reserved_port_count() const { return impl_->ports_in_use_.size(); }
bool TurnServer::HasAllocation(const FiveTuple& five_tuple) const {
  return impl_->allocations_.contains(five_tuple);
}
bool TurnServer::IsPeerAllowed(const IpAddress& peer) const { return impl_->IsPeerAllowed(peer); }
bool TurnServer::IsOwnAddress(const SocketAddress& peer) const { return impl_->IsOwnAddress(peer); }

}  // namespace tern::turn
