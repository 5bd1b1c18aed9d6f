// SCTP association for WebRTC data channels on usrsctp without threads (association.h).
#include "tern/sctp/association.h"

#include <arpa/inet.h>
#include <usrsctp.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sctp/association_test_peer.h"
#include "sctp/crc32c.h"
#include "sctp/usrsctp_stack.h"
#include "tern/base/fifo.h"

// Supported by usrsctp 0.9.5 but missing from its installed header.
#ifndef SCTP_INTERLEAVING_SUPPORTED
#define SCTP_INTERLEAVING_SUPPORTED 0x00001206
#endif

namespace tern::sctp {
namespace {

constexpr Duration kBusyTick = Duration::Millis(10);
constexpr Duration kIdleTick = Duration::Seconds(1);
// An idle association with a wake handler that is not the stack's idle ticker (UsrsctpStack::
// TakeIdleTicker): the ticker's calls fire its timers; this slow tick only bounds how late they run
// after the ticker goes away (another idle association takes the role at its next tick).
constexpr Duration kIdleFallbackTick = Duration::Seconds(10);
// How long after receiving data we keep ticking fast, for the delayed SACK timer.
constexpr Duration kSackLinger = Duration::Millis(250);
constexpr size_t kReceiveChunk = 64 * 1024;
constexpr size_t kSctpCommonHeaderSize = 12;
constexpr int kMaxResetAttempts = 50;
constexpr size_t kMaxEarlyPackets = 8;
// For an AF_CONN address usrsctp builds packets up to the path MTU plus the 12-byte common header
// (measured on 0.9.5: it sizes chunks as if an IPv4 header were there, then adds none).
constexpr size_t kAfConnPacketExcess = 12;
// A DATA_CHANNEL_OPEN is at most 12 + 2 * 65535 bytes.
constexpr size_t kMaxDcepSize = kDataChannelOpenHeaderSize + 2 * 0xFFFF;

uint8_t* ReceiveBuffer() {
  thread_local std::unique_ptr<uint8_t[]> buffer(new uint8_t[kReceiveChunk]);
  return buffer.get();
}

std::string ErrnoText(int e) { return absl::StrCat(std::strerror(e), " (errno ", e, ")"); }

struct OutMessage {
  std::vector<uint8_t> data;  // on the wire (one zero byte for an empty message)
  uint32_t ppid = 0;
  size_t buffered = 0;  // counted in bufferedAmount
  bool dcep = false;    // DCEP control: always ordered and reliable
};

struct ChannelRecord {
  ChannelInfo info;
  std::deque<OutMessage> queue;
  bool open_pending = false;  // in-band, ours: DATA_CHANNEL_OPEN goes out once connected
  bool wait_ack = false;      // in-band, ours: send ordered until DATA_CHANNEL_ACK (RFC 8832 §6)
  bool reset_wanted = false;  // closing: reset the outgoing stream once the queue is empty
  bool reset_requested = false;
  int reset_attempts = 0;
  bool out_reset = false;                   // our outgoing stream is reset
  bool in_reset = false;                    // the peer's outgoing stream is reset
  std::vector<uint8_t> deprecated_partial;  // PPID 52/54 pieces
};

// A message arriving in pieces (recvv without MSG_EOR), per stream.
struct Reassembly {
  std::vector<uint8_t> data;
  bool dropping = false;
};

Event MakeEvent(Event::Type type, uint16_t channel = 0, absl::Status status = absl::OkStatus()) {
  Event e;
  e.type = type;
  e.channel = channel;
  e.status = std::move(status);
  return e;
}

ChannelType ChannelTypeFor(const ChannelOptions& o) {
  uint8_t t = 0;
  if (o.max_retransmits) {
    t = 0x01;
  } else if (o.max_packet_life_time_ms) {
    t = 0x02;
  }
  if (!o.ordered) t |= 0x80;
  return static_cast<ChannelType>(t);
}

}  // namespace

class Association::Impl final : public PacketSink {
 public:
  explicit Impl(const AssociationConfig& config) : config_(config) {}
  ~Impl() override;

  absl::Status Init();
  absl::Status Connect(Timestamp now);
  absl::Status HandleInput(ByteSpan packet, Timestamp now);
  void HandleTimeout(Timestamp now);
  std::optional<std::vector<uint8_t>> PollTransmit();
  std::optional<Event> PollEvent();
  std::optional<Timestamp> NextTimeout() const { return next_timeout_; }
  void SetWakeHandler(absl::AnyInvocable<void()> wake);

  absl::StatusOr<uint16_t> OpenChannel(const ChannelOptions& options);
  absl::Status Send(uint16_t channel, MessageKind kind, ByteSpan data);
  absl::Status CloseChannel(uint16_t channel);
  absl::Status SetBufferedAmountLowThreshold(uint16_t channel, size_t threshold);
  size_t BufferedAmount(uint16_t channel) const;
  std::optional<ChannelInfo> Channel(uint16_t channel) const;
  std::vector<uint16_t> ChannelIds() const;
  void Shutdown();
  void Abort();

  AssociationState state() const { return state_; }
  bool interleaving() const { return interleaving_; }
  size_t max_send_message_size() const;
  AssociationStats stats() const;

  void OnOutboundPacket(const uint8_t* data, size_t size) override;
  absl::Status SendRaw(uint16_t sid, uint32_t ppid, ByteSpan data);

 private:
  template <typename T>
  absl::Status SetOption(int level, int name, const T& value, const char* what) {
    if (usrsctp_setsockopt(sock_, level, name, &value, sizeof(value)) != 0) {
      return absl::InternalError(absl::StrCat("usrsctp_setsockopt(", what, "): ", ErrnoText(errno)));
    }
    return absl::OkStatus();
  }
  sockaddr_conn ConnAddress(uint16_t port) const;

  // After every entry point: read what the stack has for us, send what we have queued, request stream
  // resets, and pick the next timeout.
  void Process();
  void DrainSocket();
  void HandleNotification(const uint8_t* data, size_t size);
  void HandleData(uint16_t sid, uint32_t ppid, const uint8_t* data, size_t size, bool eor);
  void Deliver(uint16_t sid, uint32_t ppid, std::vector<uint8_t> data);
  void HandleDcep(uint16_t sid, const std::vector<uint8_t>& data);
  void OnConnected(uint16_t outbound, uint16_t inbound);
  void OnAssociationEnded(absl::Status why);
  void OnStreamReset(uint16_t sid, bool incoming);
  void MaybeFinishClose(uint16_t sid);
  void Flush();
  enum class SendResult { kSent, kWouldBlock, kFailed };
  SendResult SendOne(uint16_t sid, const ChannelRecord& ch, ByteSpan bytes, uint32_t ppid, bool dcep,
                     int* error);
  void PopFront(uint16_t sid, ChannelRecord& ch);
  void RequestResets();
  void UpdateNextTimeout();
  // Keeps UsrsctpStack's count of busy associations (which sets how finely it advances the shared
  // timers) in step with this association.
  void SetCountedBusy(bool busy);
  // Advances usrsctp's shared timers to `now` shifted onto the stack's time line (see time_offset_).
  void AdvanceStack(Timestamp now);
  void ChannelError(uint16_t sid, absl::Status status);
  uint16_t StreamLimit() const {
    return state_ == AssociationState::kConnected ? outbound_streams_ : config_.max_streams;
  }

  const AssociationConfig config_;
  struct socket* sock_ = nullptr;
  uintptr_t id_ = 0;
  AssociationState state_ = AssociationState::kNew;
  bool interleaving_ = false;
  uint16_t outbound_streams_ = 0;
  uint16_t inbound_streams_ = 0;
  Timestamp last_now_;
  Timestamp last_receive_;
  // Set at the first call that carries a time: how far this association's clock is behind the stack's
  // shared time line (never negative). Zero when every clock is the same (the Runtime's); positive when
  // a test starts a fresh virtual clock after others have advanced the stack.
  std::optional<Duration> time_offset_;
  std::optional<Timestamp> next_timeout_;
  bool counted_busy_ = false;  // counted in UsrsctpStack::AddBusy

  std::map<uint16_t, ChannelRecord> channels_;
  std::unordered_map<uint16_t, Reassembly> reassembly_;
  std::vector<uint8_t> notification_;  // a notification arriving in pieces
  size_t queued_messages_ = 0;         // over all channel queues
  uint16_t round_robin_next_ = 0;
  Fifo<Event> events_;
  std::vector<std::vector<uint8_t>> early_input_;  // arrived before Connect
  AssociationStats stats_;  // receive side and drops; the send side lives under out_mutex_

  // Filled by conn_output, possibly from another thread.
  mutable std::mutex out_mutex_;
  Fifo<std::vector<uint8_t>> outbox_;
  uint64_t packets_sent_ = 0;
  uint64_t bytes_sent_ = 0;
  absl::AnyInvocable<void()> wake_;
};

// ---------------------------------------------------------------------------------------------------
// Set-up and tear-down.

sockaddr_conn Association::Impl::ConnAddress(uint16_t port) const {
  sockaddr_conn a;
  std::memset(&a, 0, sizeof(a));
  a.sconn_family = AF_CONN;
  a.sconn_port = htons(port);
  a.sconn_addr = reinterpret_cast<void*>(id_);
  return a;
}

absl::Status Association::Impl::Init() {
  UsrsctpStack& stack = UsrsctpStack::Get();
  id_ = stack.Register(this);
  sock_ = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, nullptr, nullptr, 0, nullptr);
  if (sock_ == nullptr) return absl::InternalError(absl::StrCat("usrsctp_socket: ", ErrnoText(errno)));
  if (usrsctp_set_non_blocking(sock_, 1) != 0) {
    return absl::InternalError(absl::StrCat("usrsctp_set_non_blocking: ", ErrnoText(errno)));
  }
  // Closing aborts (no lingering graceful shutdown after the object is gone).
  linger lg{1, 0};
  if (absl::Status s = SetOption(SOL_SOCKET, SO_LINGER, lg, "SO_LINGER"); !s.ok()) return s;
  int sndbuf = static_cast<int>(config_.send_buffer_size);
  int rcvbuf = static_cast<int>(config_.receive_buffer_size);
  if (absl::Status s = SetOption(SOL_SOCKET, SO_SNDBUF, sndbuf, "SO_SNDBUF"); !s.ok()) return s;
  if (absl::Status s = SetOption(SOL_SOCKET, SO_RCVBUF, rcvbuf, "SO_RCVBUF"); !s.ok()) return s;
  int on = 1;
  if (absl::Status s = SetOption(IPPROTO_SCTP, SCTP_NODELAY, on, "SCTP_NODELAY"); !s.ok()) return s;
  if (absl::Status s = SetOption(IPPROTO_SCTP, SCTP_RECVRCVINFO, on, "SCTP_RECVRCVINFO"); !s.ok()) return s;
  // Level 2: pieces of messages on different streams may interleave in recvv (required for I-DATA).
  int interleave = 2;
  if (absl::Status s =
          SetOption(IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, interleave, "SCTP_FRAGMENT_INTERLEAVE");
      !s.ok()) {
    return s;
  }
  sctp_assoc_value av;
  std::memset(&av, 0, sizeof(av));
  av.assoc_id = SCTP_FUTURE_ASSOC;
  av.assoc_value = config_.enable_interleaving ? 1 : 0;
  if (absl::Status s =
          SetOption(IPPROTO_SCTP, SCTP_INTERLEAVING_SUPPORTED, av, "SCTP_INTERLEAVING_SUPPORTED");
      !s.ok()) {
    return s;
  }
  av.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ;
  if (absl::Status s = SetOption(IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, av, "SCTP_ENABLE_STREAM_RESET");
      !s.ok()) {
    return s;
  }
  av.assoc_value = SCTP_SS_ROUND_ROBIN;
  if (absl::Status s = SetOption(IPPROTO_SCTP, SCTP_PLUGGABLE_SS, av, "SCTP_PLUGGABLE_SS"); !s.ok()) return s;
  sctp_initmsg init;
  std::memset(&init, 0, sizeof(init));
  init.sinit_num_ostreams = config_.max_streams;
  init.sinit_max_instreams = config_.max_streams;
  if (absl::Status s = SetOption(IPPROTO_SCTP, SCTP_INITMSG, init, "SCTP_INITMSG"); !s.ok()) return s;
  sctp_rtoinfo rto;
  std::memset(&rto, 0, sizeof(rto));
  rto.srto_assoc_id = SCTP_FUTURE_ASSOC;
  rto.srto_initial = static_cast<uint32_t>(config_.rto_initial.ms());
  rto.srto_min = static_cast<uint32_t>(config_.rto_min.ms());
  rto.srto_max = static_cast<uint32_t>(config_.rto_max.ms());
  if (absl::Status s = SetOption(IPPROTO_SCTP, SCTP_RTOINFO, rto, "SCTP_RTOINFO"); !s.ok()) return s;
  for (uint16_t type : {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_PARTIAL_DELIVERY_EVENT,
                        SCTP_SHUTDOWN_EVENT, SCTP_STREAM_CHANGE_EVENT}) {
    sctp_event ev;
    std::memset(&ev, 0, sizeof(ev));
    ev.se_assoc_id = SCTP_FUTURE_ASSOC;
    ev.se_type = type;
    ev.se_on = 1;
    if (absl::Status s = SetOption(IPPROTO_SCTP, SCTP_EVENT, ev, "SCTP_EVENT"); !s.ok()) return s;
  }
  sockaddr_conn local = ConnAddress(config_.local_port);
  if (usrsctp_bind(sock_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    return absl::InternalError(absl::StrCat("usrsctp_bind: ", ErrnoText(errno)));
  }
  return absl::OkStatus();
}

Association::Impl::~Impl() {
  SetCountedBusy(false);
  if (sock_ != nullptr) {
    DrivingScope scope(id_);
    usrsctp_close(sock_);  // SO_LINGER 0: ABORT
  }
  if (id_ != 0) UsrsctpStack::Get().Unregister(id_);
}

absl::Status Association::Impl::Connect(Timestamp now) {
  if (state_ != AssociationState::kNew) return absl::FailedPreconditionError("Connect: already called");
  DrivingScope scope(id_);
  AdvanceStack(now);
  if (now > last_now_) last_now_ = now;
  sockaddr_conn remote = ConnAddress(config_.remote_port);
  if (usrsctp_connect(sock_, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0 &&
      errno != EINPROGRESS) {
    return absl::InternalError(absl::StrCat("usrsctp_connect: ", ErrnoText(errno)));
  }
  state_ = AssociationState::kConnecting;
  // Fixed path MTU (the DTLS layer below has its own): no PMTU discovery, no heartbeat-driven probing.
  sctp_paddrparams params;
  std::memset(&params, 0, sizeof(params));
  std::memcpy(&params.spp_address, &remote, sizeof(remote));
  params.spp_flags = SPP_PMTUD_DISABLE;
  params.spp_pathmtu = static_cast<uint32_t>(config_.mtu - kAfConnPacketExcess);
  if (usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &params, sizeof(params)) != 0) {
    return absl::InternalError(absl::StrCat("usrsctp_setsockopt(SCTP_PEER_ADDR_PARAMS): ", ErrnoText(errno)));
  }
  for (std::vector<uint8_t>& packet : early_input_) {
    ++stats_.packets_received;
    stats_.bytes_received += packet.size();
    usrsctp_conninput(reinterpret_cast<void*>(id_), packet.data(), packet.size(), 0);
  }
  early_input_ = {};
  Process();
  return absl::OkStatus();
}

void Association::Impl::SetWakeHandler(absl::AnyInvocable<void()> wake) {
  std::lock_guard lock(out_mutex_);
  wake_ = std::move(wake);
}

void Association::Impl::OnOutboundPacket(const uint8_t* data, size_t size) {
  bool wake = false;
  {
    std::lock_guard lock(out_mutex_);
    outbox_.emplace_back(data, data + size);
    if (size >= kSctpCommonHeaderSize) WriteSctpChecksum(outbox_.back());  // usrsctp leaves it to us
    ++packets_sent_;
    bytes_sent_ += size;
    wake = wake_ && UsrsctpStack::DrivingId() != id_;
  }
  if (wake) wake_();
}

// ---------------------------------------------------------------------------------------------------
// The sans-IO contract.

absl::Status Association::Impl::HandleInput(ByteSpan packet, Timestamp now) {
  if (packet.size() < kSctpCommonHeaderSize + 4) {  // a common header and at least one chunk header
    ++stats_.packets_rejected;
    return absl::InvalidArgumentError(absl::StrCat("SCTP packet of ", packet.size(), " bytes is too short"));
  }
  if (packet.size() > 65535) {
    ++stats_.packets_rejected;
    return absl::InvalidArgumentError(absl::StrCat("SCTP packet of ", packet.size(), " bytes is too long"));
  }
  uint16_t src = LoadBigEndian16(packet.data());
  uint16_t dst = LoadBigEndian16(packet.data() + 2);
  if (src != config_.remote_port || dst != config_.local_port) {
    ++stats_.packets_rejected;
    return absl::InvalidArgumentError(absl::StrCat("SCTP packet for ports ", src, "->", dst, ", expected ",
                                                   config_.remote_port, "->", config_.local_port));
  }
  if (sock_ == nullptr) {
    ++stats_.packets_rejected;
    return absl::FailedPreconditionError("SCTP packet after Abort");
  }
  if (!VerifySctpChecksum(packet)) {  // usrsctp runs with the checksum offloaded to us
    ++stats_.packets_rejected;
    return absl::InvalidArgumentError("SCTP packet with a bad CRC32c checksum");
  }
  if (state_ == AssociationState::kNew) {
    // The peer's INIT can overtake our Connect (its DTLS finished first): keep a few packets for
    // Connect to replay rather than make the peer wait a T1-init timeout.
    if (early_input_.size() >= kMaxEarlyPackets) {
      ++stats_.packets_rejected;
      return absl::ResourceExhaustedError("SCTP packets before Connect: queue full");
    }
    early_input_.emplace_back(packet.begin(), packet.end());
    return absl::OkStatus();
  }
  ++stats_.packets_received;
  stats_.bytes_received += packet.size();
  DrivingScope scope(id_);
  AdvanceStack(now);
  if (now > last_now_) last_now_ = now;
  usrsctp_conninput(reinterpret_cast<void*>(id_), packet.data(), packet.size(), 0);
  Process();
  return absl::OkStatus();
}

void Association::Impl::AdvanceStack(Timestamp now) {
  UsrsctpStack& stack = UsrsctpStack::Get();
  if (!time_offset_) {
    Timestamp stack_time = stack.time();
    time_offset_ = stack_time > now ? stack_time - now : Duration::Zero();
  }
  stack.AdvanceTo(now + *time_offset_);
}

void Association::Impl::HandleTimeout(Timestamp now) {
  DrivingScope scope(id_);
  AdvanceStack(now);
  if (now > last_now_) last_now_ = now;
  Process();
}

std::optional<std::vector<uint8_t>> Association::Impl::PollTransmit() {
  std::lock_guard lock(out_mutex_);
  if (outbox_.empty()) return std::nullopt;
  std::vector<uint8_t> packet = std::move(outbox_.front());
  outbox_.pop_front();
  return packet;
}

std::optional<Event> Association::Impl::PollEvent() {
  if (events_.empty()) return std::nullopt;
  Event e = std::move(events_.front());
  events_.pop_front();
  return e;
}

void Association::Impl::Process() {
  if (sock_ == nullptr) return;
  DrivingScope scope(id_);
  DrainSocket();
  Flush();
  RequestResets();
  UpdateNextTimeout();
}

void Association::Impl::SetCountedBusy(bool busy) {
  if (busy == counted_busy_) return;
  counted_busy_ = busy;
  UsrsctpStack::Get().AddBusy(busy ? 1 : -1);
}

void Association::Impl::UpdateNextTimeout() {
  if (state_ == AssociationState::kClosed) {
    SetCountedBusy(false);
    next_timeout_ = std::nullopt;
    return;
  }
  bool busy = state_ != AssociationState::kConnected || queued_messages_ > 0 ||
              last_now_ - last_receive_ < kSackLinger;
  if (!busy) {
    for (const auto& [sid, ch] : channels_) {
      if (ch.reset_wanted && !ch.out_reset) {
        busy = true;
        break;
      }
    }
  }
  if (!busy) {
    sctp_status status;
    std::memset(&status, 0, sizeof(status));
    socklen_t len = sizeof(status);
    if (usrsctp_getsockopt(sock_, IPPROTO_SCTP, SCTP_STATUS, &status, &len) == 0) {
      busy = status.sstat_unackdata > 0 || status.sstat_penddata > 0;
    }
  }
  SetCountedBusy(busy);
  if (busy) {
    next_timeout_ = last_now_ + kBusyTick;
    return;
  }
  bool has_wake;
  {
    std::lock_guard lock(out_mutex_);
    has_wake = static_cast<bool>(wake_);
  }
  // Thousands of idle connections need not each wake every second to move usrsctp's shared timers.
  const bool ticker = !has_wake || UsrsctpStack::Get().TakeIdleTicker(id_);
  next_timeout_ = last_now_ + (ticker ? kIdleTick : kIdleFallbackTick);
}

// ---------------------------------------------------------------------------------------------------
// Receiving.

void Association::Impl::DrainSocket() {
  uint8_t* buffer = ReceiveBuffer();
  for (;;) {
    sockaddr_conn from;
    socklen_t from_len = sizeof(from);
    sctp_rcvinfo info;
    std::memset(&info, 0, sizeof(info));
    socklen_t info_len = sizeof(info);
    unsigned int info_type = SCTP_RECVV_NOINFO;
    int flags = 0;
    ssize_t n = usrsctp_recvv(sock_, buffer, kReceiveChunk, reinterpret_cast<sockaddr*>(&from), &from_len,
                              &info, &info_len, &info_type, &flags);
    if (n < 0) break;  // EWOULDBLOCK, or nothing connected
    if (n == 0 && flags == 0) break;
    bool eor = (flags & MSG_EOR) != 0;
    if (flags & MSG_NOTIFICATION) {
      if (notification_.size() + n > 64 * 1024) notification_.clear();  // nothing legitimate is this big
      notification_.insert(notification_.end(), buffer, buffer + n);
      if (eor) {
        std::vector<uint8_t> note = std::move(notification_);
        notification_.clear();
        HandleNotification(note.data(), note.size());
      }
      continue;
    }
    if (info_type != SCTP_RECVV_RCVINFO) {
      ++stats_.messages_dropped;
      continue;
    }
    last_receive_ = last_now_;
    HandleData(info.rcv_sid, ntohl(info.rcv_ppid), buffer, static_cast<size_t>(n), eor);
  }
}

void Association::Impl::HandleNotification(const uint8_t* data, size_t size) {
  uint16_t type;  // sn_header.sn_type, the first field of every notification
  if (size < 8) return;
  std::memcpy(&type, data, sizeof(type));
  switch (type) {
    case SCTP_ASSOC_CHANGE: {
      sctp_assoc_change change;
      if (size < sizeof(change)) return;
      std::memcpy(&change, data, sizeof(change));
      switch (change.sac_state) {
        case SCTP_COMM_UP: {
          for (size_t i = sizeof(change); i < size && i < change.sac_length; ++i) {
            if (data[i] == SCTP_ASSOC_SUPPORTS_INTERLEAVING) interleaving_ = true;
          }
          OnConnected(change.sac_outbound_streams, change.sac_inbound_streams);
          break;
        }
        case SCTP_COMM_LOST:
          OnAssociationEnded(absl::UnavailableError(absl::StrCat(
              "SCTP association lost (peer aborted or stopped responding), error ", change.sac_error)));
          break;
        case SCTP_SHUTDOWN_COMP:
          OnAssociationEnded(absl::OkStatus());
          break;
        case SCTP_CANT_STR_ASSOC:
          OnAssociationEnded(absl::UnavailableError("SCTP association could not be established"));
          break;
        default:
          break;  // SCTP_RESTART: streams and channels carry on
      }
      break;
    }
    case SCTP_STREAM_RESET_EVENT: {
      sctp_stream_reset_event reset;
      if (size < sizeof(reset)) return;
      std::memcpy(&reset, data, sizeof(reset));
      size_t length = std::min<size_t>(reset.strreset_length, size);
      size_t count = length > sizeof(reset) ? (length - sizeof(reset)) / 2 : 0;
      for (size_t i = 0; i < count; ++i) {
        uint16_t sid;
        std::memcpy(&sid, data + sizeof(reset) + 2 * i, 2);
        if (reset.strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
          auto it = channels_.find(sid);
          if (it != channels_.end() && (reset.strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN)) {
            it->second.reset_requested = false;  // ask again
          }
          continue;
        }
        if (reset.strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) OnStreamReset(sid, /*incoming=*/true);
        if (reset.strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN) OnStreamReset(sid, /*incoming=*/false);
      }
      break;
    }
    case SCTP_PARTIAL_DELIVERY_EVENT: {
      sctp_pdapi_event pd;
      if (size < sizeof(pd)) return;
      std::memcpy(&pd, data, sizeof(pd));
      if (pd.pdapi_indication == SCTP_PARTIAL_DELIVERY_ABORTED) reassembly_.erase(pd.pdapi_stream);
      break;
    }
    default:
      break;
  }
}

void Association::Impl::HandleData(uint16_t sid, uint32_t ppid, const uint8_t* data, size_t size, bool eor) {
  size_t limit = ppid == static_cast<uint32_t>(Ppid::kDcep) ? kMaxDcepSize : config_.local_max_message_size;
  auto it = reassembly_.find(sid);
  if (it == reassembly_.end()) {
    if (eor && size <= limit) {
      Deliver(sid, ppid, std::vector<uint8_t>(data, data + size));
      return;
    }
    it = reassembly_.emplace(sid, Reassembly()).first;
  }
  Reassembly& r = it->second;
  if (!r.dropping && r.data.size() + size > limit) {
    r.dropping = true;
    r.data = std::vector<uint8_t>();
    ++stats_.messages_dropped;
    ChannelError(sid, absl::ResourceExhaustedError(
                          absl::StrCat("incoming message larger than max-message-size ", limit, " dropped")));
  }
  if (!r.dropping) r.data.insert(r.data.end(), data, data + size);
  if (!eor) return;
  std::vector<uint8_t> message = std::move(r.data);
  bool dropped = r.dropping;
  reassembly_.erase(it);
  if (!dropped) Deliver(sid, ppid, std::move(message));
}

void Association::Impl::Deliver(uint16_t sid, uint32_t ppid, std::vector<uint8_t> data) {
  if (ppid == static_cast<uint32_t>(Ppid::kDcep)) {
    HandleDcep(sid, data);
    return;
  }
  auto it = channels_.find(sid);
  if (it == channels_.end() || it->second.info.state == ChannelState::kClosed ||
      it->second.info.state == ChannelState::kConnecting) {
    ++stats_.messages_dropped;
    return;
  }
  ChannelRecord& ch = it->second;
  MessageKind kind;
  switch (static_cast<Ppid>(ppid)) {
    case Ppid::kString:
      kind = MessageKind::kText;
      break;
    case Ppid::kBinary:
      kind = MessageKind::kBinary;
      break;
    case Ppid::kStringEmpty:
      kind = MessageKind::kText;
      data.clear();
      break;
    case Ppid::kBinaryEmpty:
      kind = MessageKind::kBinary;
      data.clear();
      break;
    case Ppid::kStringPartial:
    case Ppid::kBinaryPartial:
      if (ch.deprecated_partial.size() + data.size() > config_.local_max_message_size) {
        ch.deprecated_partial = std::vector<uint8_t>();
        ++stats_.messages_dropped;
        ChannelError(sid,
                     absl::ResourceExhaustedError("partial (PPID 52/54) message exceeds max-message-size"));
        return;
      }
      ch.deprecated_partial.insert(ch.deprecated_partial.end(), data.begin(), data.end());
      return;
    default:
      ++stats_.messages_dropped;
      ChannelError(sid,
                   absl::InvalidArgumentError(absl::StrCat("message with unknown PPID ", ppid, " dropped")));
      return;
  }
  if (!ch.deprecated_partial.empty()) {
    if (ch.deprecated_partial.size() + data.size() > config_.local_max_message_size) {
      ch.deprecated_partial = std::vector<uint8_t>();
      ++stats_.messages_dropped;
      ChannelError(sid,
                   absl::ResourceExhaustedError("partial (PPID 52/54) message exceeds max-message-size"));
      return;
    }
    std::vector<uint8_t> whole = std::move(ch.deprecated_partial);
    ch.deprecated_partial = std::vector<uint8_t>();
    whole.insert(whole.end(), data.begin(), data.end());
    data = std::move(whole);
  }
  ++ch.info.messages_received;
  ch.info.bytes_received += data.size();
  Event e;
  e.type = Event::Type::kMessage;
  e.channel = sid;
  e.kind = kind;
  e.data = std::move(data);
  events_.push_back(std::move(e));
}

void Association::Impl::HandleDcep(uint16_t sid, const std::vector<uint8_t>& data) {
  absl::StatusOr<uint8_t> type = PeekDcepMessageType(data);
  if (!type.ok()) {
    ++stats_.messages_dropped;
    ChannelError(sid, type.status());
    return;
  }
  if (*type == kDcepDataChannelAck) {
    absl::Status s = ParseDataChannelAck(data);
    auto it = channels_.find(sid);
    if (!s.ok() || it == channels_.end()) {
      ++stats_.messages_dropped;
      if (!s.ok()) ChannelError(sid, s);
      return;
    }
    it->second.wait_ack = false;
    return;
  }
  if (*type != kDcepDataChannelOpen) {
    ++stats_.messages_dropped;
    ChannelError(sid, absl::InvalidArgumentError(absl::StrCat("DCEP: unknown message type ", *type)));
    return;
  }
  absl::StatusOr<DataChannelOpen> open = ParseDataChannelOpen(data);
  if (!open.ok()) {
    ++stats_.messages_dropped;
    ChannelError(sid, open.status());
    return;
  }
  uint16_t our_parity = config_.role == Role::kClient ? 0 : 1;
  if (sid % 2 == our_parity) {
    ++stats_.messages_dropped;
    ChannelError(sid, absl::InvalidArgumentError(absl::StrCat("DATA_CHANNEL_OPEN on stream ", sid,
                                                              ", which has our parity (RFC 8832 §6)")));
    return;
  }
  if (channels_.contains(sid)) {
    ++stats_.messages_dropped;
    ChannelError(
        sid, absl::AlreadyExistsError(absl::StrCat("DATA_CHANNEL_OPEN on stream ", sid, " already in use")));
    return;
  }
  ChannelRecord ch;
  ch.info.id = sid;
  ch.info.remote = true;
  ch.info.state = ChannelState::kOpen;
  ChannelOptions& o = ch.info.options;
  o.label = std::move(open->label);
  o.protocol = std::move(open->protocol);
  o.ordered = !IsUnordered(open->channel_type);
  o.priority = open->priority;
  o.id = sid;
  uint16_t param = static_cast<uint16_t>(std::min<uint32_t>(open->reliability_parameter, 0xFFFF));
  switch (static_cast<uint8_t>(open->channel_type) & 0x7F) {
    case 0x01:
      o.max_retransmits = param;
      break;
    case 0x02:
      o.max_packet_life_time_ms = param;
      break;
    default:
      break;
  }
  OutMessage ack;
  ack.data = BuildDataChannelAck();
  ack.ppid = static_cast<uint32_t>(Ppid::kDcep);
  ack.dcep = true;
  ch.queue.push_back(std::move(ack));
  ++queued_messages_;
  channels_.emplace(sid, std::move(ch));
  Event e;
  e.type = Event::Type::kChannelOpen;
  e.channel = sid;
  e.remote = true;
  events_.push_back(std::move(e));
}

void Association::Impl::OnConnected(uint16_t outbound, uint16_t inbound) {
  if (state_ == AssociationState::kConnected || state_ == AssociationState::kClosed) return;
  state_ = AssociationState::kConnected;
  outbound_streams_ = outbound;
  inbound_streams_ = inbound;
  events_.push_back(MakeEvent(Event::Type::kConnected));
  std::vector<uint16_t> too_high;
  for (auto& [sid, ch] : channels_) {
    if (ch.info.state != ChannelState::kConnecting) continue;
    if (sid >= outbound_streams_) {
      too_high.push_back(sid);
      continue;
    }
    if (ch.open_pending) {
      absl::StatusOr<std::vector<uint8_t>> open = BuildDataChannelOpen(DataChannelOpen{
          .channel_type = ChannelTypeFor(ch.info.options),
          .priority = ch.info.options.priority,
          .reliability_parameter = ch.info.options.max_retransmits ? *ch.info.options.max_retransmits
                                   : ch.info.options.max_packet_life_time_ms
                                       ? *ch.info.options.max_packet_life_time_ms
                                       : 0u,
          .label = ch.info.options.label,
          .protocol = ch.info.options.protocol});
      OutMessage m;
      m.data = std::move(*open);  // validated by OpenChannel
      m.ppid = static_cast<uint32_t>(Ppid::kDcep);
      m.dcep = true;
      ch.queue.push_front(std::move(m));
      ++queued_messages_;
      ch.open_pending = false;
      ch.wait_ack = true;
    }
    ch.info.state = ChannelState::kOpen;
    events_.push_back(MakeEvent(Event::Type::kChannelOpen, sid));
  }
  for (uint16_t sid : too_high) {
    ChannelRecord& ch = channels_[sid];
    queued_messages_ -= ch.queue.size();
    channels_.erase(sid);
    ChannelError(
        sid, absl::ResourceExhaustedError(absl::StrCat("stream ", sid, " is beyond the ", outbound_streams_,
                                                       " streams the association negotiated")));
    events_.push_back(MakeEvent(Event::Type::kChannelClosed, sid));
  }
}

void Association::Impl::OnAssociationEnded(absl::Status why) {
  if (state_ == AssociationState::kClosed) return;
  state_ = AssociationState::kClosed;
  for (auto& [sid, ch] : channels_) {
    events_.push_back(MakeEvent(Event::Type::kChannelClosed, sid));
  }
  channels_.clear();
  reassembly_.clear();
  queued_messages_ = 0;
  events_.push_back(MakeEvent(Event::Type::kClosed, 0, std::move(why)));
}

void Association::Impl::OnStreamReset(uint16_t sid, bool incoming) {
  auto it = channels_.find(sid);
  if (it == channels_.end()) return;
  ChannelRecord& ch = it->second;
  if (incoming) {
    reassembly_.erase(sid);
    ch.in_reset = true;
    if (!ch.reset_wanted) {  // the peer closed: close our side too (RFC 8831 §6.7)
      ch.reset_wanted = true;
      ch.info.state = ChannelState::kClosing;
      events_.push_back(MakeEvent(Event::Type::kChannelClosing, sid));
    }
  } else {
    ch.out_reset = true;
  }
  MaybeFinishClose(sid);
}

void Association::Impl::MaybeFinishClose(uint16_t sid) {
  auto it = channels_.find(sid);
  if (it == channels_.end() || !it->second.out_reset || !it->second.in_reset) return;
  queued_messages_ -= it->second.queue.size();
  channels_.erase(it);
  reassembly_.erase(sid);
  events_.push_back(MakeEvent(Event::Type::kChannelClosed, sid));
}

void Association::Impl::ChannelError(uint16_t sid, absl::Status status) {
  events_.push_back(MakeEvent(Event::Type::kChannelError, sid, std::move(status)));
}

// ---------------------------------------------------------------------------------------------------
// Sending.

Association::Impl::SendResult Association::Impl::SendOne(uint16_t sid, const ChannelRecord& ch,
                                                         ByteSpan bytes, uint32_t ppid, bool dcep,
                                                         int* error) {
  sctp_sendv_spa spa;
  std::memset(&spa, 0, sizeof(spa));
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = sid;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  if (!dcep) {
    const ChannelOptions& o = ch.info.options;
    if (!o.ordered && !ch.wait_ack) spa.sendv_sndinfo.snd_flags |= SCTP_UNORDERED;
    if (o.max_retransmits) {
      spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
      spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
      spa.sendv_prinfo.pr_value = *o.max_retransmits;
    } else if (o.max_packet_life_time_ms) {
      spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
      spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
      spa.sendv_prinfo.pr_value = *o.max_packet_life_time_ms;
    }
  }
  ssize_t n =
      usrsctp_sendv(sock_, bytes.data(), bytes.size(), nullptr, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0);
  if (n >= 0) return SendResult::kSent;
  *error = errno;
  if (errno == EWOULDBLOCK || errno == EAGAIN) return SendResult::kWouldBlock;
  return SendResult::kFailed;
}

void Association::Impl::PopFront(uint16_t sid, ChannelRecord& ch) {
  const OutMessage& m = ch.queue.front();
  if (!m.dcep) {
    size_t before = ch.info.buffered_amount;
    ch.info.buffered_amount -= m.buffered;
    ++ch.info.messages_sent;
    ch.info.bytes_sent += m.buffered;
    size_t threshold = ch.info.buffered_amount_low_threshold;
    if (m.buffered > 0 && before > threshold && ch.info.buffered_amount <= threshold) {
      events_.push_back(MakeEvent(Event::Type::kBufferedAmountLow, sid));
    }
  }
  ch.queue.pop_front();
  --queued_messages_;
}

void Association::Impl::Flush() {
  if (state_ != AssociationState::kConnected) return;
  // Round robin, one message per channel per turn, so a channel with a long queue does not starve
  // the others (the stack's own scheduler is round robin too).
  while (queued_messages_ > 0) {
    bool progress = false;
    auto it = channels_.lower_bound(round_robin_next_);
    for (size_t visited = 0, n = channels_.size(); visited < n; ++visited, ++it) {
      if (it == channels_.end()) it = channels_.begin();
      ChannelRecord& ch = it->second;
      if (ch.queue.empty() || ch.out_reset) continue;
      int error = 0;
      const OutMessage& front = ch.queue.front();
      switch (SendOne(it->first, ch, front.data, front.ppid, front.dcep, &error)) {
        case SendResult::kSent:
          PopFront(it->first, ch);
          progress = true;
          break;
        case SendResult::kWouldBlock:
          round_robin_next_ = it->first;
          return;
        case SendResult::kFailed:
          ChannelError(it->first, absl::InternalError(absl::StrCat("usrsctp_sendv on stream ", it->first,
                                                                   ": ", ErrnoText(error))));
          PopFront(it->first, ch);
          progress = true;
          break;
      }
    }
    if (!progress) return;
  }
}

void Association::Impl::RequestResets() {
  if (state_ != AssociationState::kConnected) return;
  std::vector<uint16_t> sids;
  for (auto& [sid, ch] : channels_) {
    if (ch.reset_wanted && !ch.reset_requested && !ch.out_reset && ch.queue.empty()) sids.push_back(sid);
  }
  if (sids.empty()) return;
  std::vector<uint8_t> buffer(sizeof(sctp_reset_streams) + sids.size() * sizeof(uint16_t));
  sctp_reset_streams request;
  std::memset(&request, 0, sizeof(request));
  request.srs_assoc_id = SCTP_ALL_ASSOC;
  request.srs_flags = SCTP_STREAM_RESET_OUTGOING;
  request.srs_number_streams = static_cast<uint16_t>(sids.size());
  std::memcpy(buffer.data(), &request, sizeof(request));
  std::memcpy(buffer.data() + sizeof(request), sids.data(), sids.size() * sizeof(uint16_t));
  if (usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_RESET_STREAMS, buffer.data(),
                         static_cast<socklen_t>(buffer.size())) == 0) {
    for (uint16_t sid : sids) channels_[sid].reset_requested = true;
    return;
  }
  int error = errno;
  // EALREADY / EBUSY: another reset is outstanding; try again on a later turn.
  for (uint16_t sid : sids) {
    ChannelRecord& ch = channels_[sid];
    if (++ch.reset_attempts > kMaxResetAttempts || (error != EALREADY && error != EBUSY && error != EAGAIN)) {
      ChannelError(sid,
                   absl::InternalError(absl::StrCat("stream reset of ", sid, " failed: ", ErrnoText(error))));
      ch.out_reset = ch.in_reset = true;
      MaybeFinishClose(sid);
    }
  }
}

size_t Association::Impl::max_send_message_size() const {
  if (config_.remote_max_message_size == 0) return config_.send_buffer_size;
  return std::min(config_.remote_max_message_size, config_.send_buffer_size);
}

absl::StatusOr<uint16_t> Association::Impl::OpenChannel(const ChannelOptions& options) {
  if (state_ == AssociationState::kClosed)
    return absl::FailedPreconditionError("OpenChannel: association closed");
  if (options.max_retransmits && options.max_packet_life_time_ms) {
    return absl::InvalidArgumentError("OpenChannel: maxRetransmits and maxPacketLifeTime are exclusive");
  }
  if (options.label.size() > 0xFFFF || options.protocol.size() > 0xFFFF) {
    return absl::InvalidArgumentError("OpenChannel: label or protocol longer than 65535 bytes");
  }
  if (options.negotiated && !options.id)
    return absl::InvalidArgumentError("OpenChannel: negotiated needs an id");
  if (!options.negotiated && options.id)
    return absl::InvalidArgumentError("OpenChannel: id without negotiated");
  uint16_t limit = StreamLimit();
  uint16_t sid;
  if (options.negotiated) {
    sid = *options.id;
    if (sid >= limit || sid == 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("OpenChannel: id ", sid, " is beyond the ", limit, " streams"));
    }
    if (channels_.contains(sid))
      return absl::AlreadyExistsError(absl::StrCat("OpenChannel: id ", sid, " in use"));
  } else {
    uint32_t candidate = config_.role == Role::kClient ? 0 : 1;
    while (candidate < limit && channels_.contains(static_cast<uint16_t>(candidate))) candidate += 2;
    if (candidate >= limit)
      return absl::ResourceExhaustedError("OpenChannel: no free stream id of our parity");
    sid = static_cast<uint16_t>(candidate);
  }
  ChannelRecord ch;
  ch.info.id = sid;
  ch.info.options = options;
  ch.info.options.id = sid;
  ch.info.state = ChannelState::kConnecting;
  ch.open_pending = !options.negotiated;
  channels_.emplace(sid, std::move(ch));
  if (state_ == AssociationState::kConnected) {
    // Reuse the on-connect path for this one channel.
    ChannelRecord& rec = channels_[sid];
    if (rec.open_pending) {
      absl::StatusOr<std::vector<uint8_t>> open = BuildDataChannelOpen(DataChannelOpen{
          .channel_type = ChannelTypeFor(options),
          .priority = options.priority,
          .reliability_parameter = options.max_retransmits           ? *options.max_retransmits
                                   : options.max_packet_life_time_ms ? *options.max_packet_life_time_ms
                                                                     : 0u,
          .label = options.label,
          .protocol = options.protocol});
      if (!open.ok()) {
        channels_.erase(sid);
        return open.status();
      }
      OutMessage m;
      m.data = std::move(*open);
      m.ppid = static_cast<uint32_t>(Ppid::kDcep);
      m.dcep = true;
      rec.queue.push_back(std::move(m));
      ++queued_messages_;
      rec.open_pending = false;
      rec.wait_ack = true;
    }
    rec.info.state = ChannelState::kOpen;
    events_.push_back(MakeEvent(Event::Type::kChannelOpen, sid));
    Process();
  }
  return sid;
}

absl::Status Association::Impl::Send(uint16_t channel, MessageKind kind, ByteSpan data) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return absl::NotFoundError(absl::StrCat("Send: no channel ", channel));
  ChannelRecord& ch = it->second;
  if (ch.info.state != ChannelState::kOpen) {
    return absl::FailedPreconditionError(absl::StrCat("Send: channel ", channel, " is not open"));
  }
  if (data.size() > max_send_message_size()) {
    return absl::InvalidArgumentError(absl::StrCat("Send: message of ", data.size(),
                                                   " bytes exceeds the max-message-size of ",
                                                   max_send_message_size()));
  }
  OutMessage m;
  if (data.empty()) {
    m.data.assign(1, 0);
    m.ppid = static_cast<uint32_t>(kind == MessageKind::kText ? Ppid::kStringEmpty : Ppid::kBinaryEmpty);
  } else {
    m.ppid = static_cast<uint32_t>(kind == MessageKind::kText ? Ppid::kString : Ppid::kBinary);
    m.buffered = data.size();
  }
  // Fast path: nothing queued anywhere, so the stack may take it straight from the caller's bytes.
  if (queued_messages_ == 0 && state_ == AssociationState::kConnected) {
    int error = 0;
    DrivingScope scope(id_);
    ByteSpan bytes = data.empty() ? ByteSpan(m.data) : data;
    switch (SendOne(channel, ch, bytes, m.ppid, /*dcep=*/false, &error)) {
      case SendResult::kSent:
        ++ch.info.messages_sent;
        ch.info.bytes_sent += m.buffered;
        Process();
        return absl::OkStatus();
      case SendResult::kFailed:
        return absl::InternalError(absl::StrCat("usrsctp_sendv on stream ", channel, ": ", ErrnoText(error)));
      case SendResult::kWouldBlock:
        break;
    }
  }
  if (!data.empty()) m.data.assign(data.begin(), data.end());
  ch.info.buffered_amount += m.buffered;
  ch.queue.push_back(std::move(m));
  ++queued_messages_;
  Process();
  return absl::OkStatus();
}

absl::Status Association::Impl::CloseChannel(uint16_t channel) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return absl::NotFoundError(absl::StrCat("CloseChannel: no channel ", channel));
  ChannelRecord& ch = it->second;
  if (ch.reset_wanted) return absl::OkStatus();
  if (ch.info.state == ChannelState::kConnecting) {
    // Never reached the peer: nothing to reset.
    queued_messages_ -= ch.queue.size();
    channels_.erase(it);
    events_.push_back(MakeEvent(Event::Type::kChannelClosed, channel));
    return absl::OkStatus();
  }
  ch.reset_wanted = true;
  ch.info.state = ChannelState::kClosing;
  Process();
  return absl::OkStatus();
}

absl::Status Association::Impl::SetBufferedAmountLowThreshold(uint16_t channel, size_t threshold) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return absl::NotFoundError(absl::StrCat("no channel ", channel));
  it->second.info.buffered_amount_low_threshold = threshold;
  return absl::OkStatus();
}

size_t Association::Impl::BufferedAmount(uint16_t channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? 0 : it->second.info.buffered_amount;
}

std::optional<ChannelInfo> Association::Impl::Channel(uint16_t channel) const {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return std::nullopt;
  return it->second.info;
}

std::vector<uint16_t> Association::Impl::ChannelIds() const {
  std::vector<uint16_t> ids;
  ids.reserve(channels_.size());
  for (const auto& [sid, ch] : channels_) ids.push_back(sid);
  return ids;
}

void Association::Impl::Shutdown() {
  if (state_ == AssociationState::kClosed || state_ == AssociationState::kNew) {
    if (state_ == AssociationState::kNew) OnAssociationEnded(absl::OkStatus());
    return;
  }
  DrivingScope scope(id_);
  usrsctp_shutdown(sock_, SHUT_WR);
  Process();
}

void Association::Impl::Abort() {
  if (sock_ != nullptr) {
    DrivingScope scope(id_);
    usrsctp_close(sock_);  // SO_LINGER 0: sends ABORT through conn_output into the outbox
    sock_ = nullptr;
  }
  OnAssociationEnded(absl::CancelledError("SCTP association aborted locally"));
  next_timeout_ = std::nullopt;
}

AssociationStats Association::Impl::stats() const {
  AssociationStats s = stats_;
  s.outbound_streams = outbound_streams_;
  s.inbound_streams = inbound_streams_;
  std::lock_guard lock(out_mutex_);
  s.packets_sent = packets_sent_;
  s.bytes_sent = bytes_sent_;
  return s;
}

absl::Status Association::Impl::SendRaw(uint16_t sid, uint32_t ppid, ByteSpan data) {
  if (state_ != AssociationState::kConnected) return absl::FailedPreconditionError("SendRaw: not connected");
  DrivingScope scope(id_);
  ChannelRecord none;
  int error = 0;
  if (SendOne(sid, none, data, ppid, /*dcep=*/true, &error) != SendResult::kSent) {
    return absl::InternalError(absl::StrCat("SendRaw: ", ErrnoText(error)));
  }
  Process();
  return absl::OkStatus();
}

absl::Status AssociationTestPeer::SendRaw(Association& association, uint16_t sid, uint32_t ppid,
                                          ByteSpan data) {
  return association.impl_->SendRaw(sid, ppid, data);
}

// ---------------------------------------------------------------------------------------------------
// The public class.

absl::StatusOr<std::unique_ptr<Association>> Association::Create(const AssociationConfig& config) {
  if (config.mtu < 576 || config.mtu > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("SCTP mtu ", config.mtu, " outside [576, 65535]"));
  }
  if (config.max_streams == 0) return absl::InvalidArgumentError("SCTP max_streams must be at least 1");
  if (config.send_buffer_size < 64 * 1024 || config.send_buffer_size > (1u << 30) ||
      config.receive_buffer_size < 64 * 1024 || config.receive_buffer_size > (1u << 30)) {
    return absl::InvalidArgumentError("SCTP buffer sizes must be in [64 KiB, 1 GiB]");
  }
  if (config.local_max_message_size == 0)
    return absl::InvalidArgumentError("local_max_message_size must be > 0");
  if (config.rto_min.us() <= 0 || config.rto_min > config.rto_initial ||
      config.rto_initial > config.rto_max) {
    return absl::InvalidArgumentError("SCTP RTO bounds must satisfy 0 < min <= initial <= max");
  }
  auto impl = std::make_unique<Impl>(config);
  if (absl::Status s = impl->Init(); !s.ok()) return s;
  return std::unique_ptr<Association>(new Association(std::move(impl)));
}

Association::Association(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Association::~Association() = default;

absl::Status Association::Connect(Timestamp now) { return impl_->Connect(now); }
absl::Status Association::HandleInput(ByteSpan packet, Timestamp now) {
  return impl_->HandleInput(packet, now);
}
void Association::HandleTimeout(Timestamp now) { impl_->HandleTimeout(now); }
std::optional<std::vector<uint8_t>> Association::PollTransmit() { return impl_->PollTransmit(); }
std::optional<Event> Association::PollEvent() { return impl_->PollEvent(); }
std::optional<Timestamp> Association::NextTimeout() const { return impl_->NextTimeout(); }
void Association::SetWakeHandler(absl::AnyInvocable<void()> wake) { impl_->SetWakeHandler(std::move(wake)); }
absl::StatusOr<uint16_t> Association::OpenChannel(const ChannelOptions& options) {
  return impl_->OpenChannel(options);
}
absl::Status Association::Send(uint16_t channel, MessageKind kind, ByteSpan data) {
  return impl_->Send(channel, kind, data);
}
absl::Status Association::CloseChannel(uint16_t channel) { return impl_->CloseChannel(channel); }
absl::Status Association::SetBufferedAmountLowThreshold(uint16_t channel, size_t threshold) {
  return impl_->SetBufferedAmountLowThreshold(channel, threshold);
}
size_t Association::BufferedAmount(uint16_t channel) const { return impl_->BufferedAmount(channel); }
std::optional<ChannelInfo> Association::Channel(uint16_t channel) const { return impl_->Channel(channel); }
std::vector<uint16_t> Association::ChannelIds() const { return impl_->ChannelIds(); }
void Association::Shutdown() { impl_->Shutdown(); }
void Association::Abort() { impl_->Abort(); }
AssociationState Association::state() const { return impl_->state(); }
bool Association::interleaving() const { return impl_->interleaving(); }
size_t Association::max_send_message_size() const { return impl_->max_send_message_size(); }
AssociationStats Association::stats() const { return impl_->stats(); }

Timestamp UsrsctpStackTime() { return UsrsctpStack::Get().time(); }
size_t LiveAssociations() { return UsrsctpStack::Get().live(); }

}  // namespace tern::sctp
