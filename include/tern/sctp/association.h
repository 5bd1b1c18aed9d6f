// An SCTP association carrying WebRTC data channels (RFC 8831, DCEP RFC 8832, SDP RFC 8841), on usrsctp,
// sans-IO: SCTP packets go in and out as bytes (the DTLS layer below is the caller's business).
//
// Contract (DESIGN.md §Sans-IO cores). After Create + Connect and after every HandleInput,
// HandleTimeout, OpenChannel, Send, CloseChannel, Shutdown or Abort, the driver drains: PollTransmit until
// empty (each item is one SCTP packet to put into DTLS), PollEvent until empty, then calls
// HandleTimeout at NextTimeout().
//
// SCTP. Both sides send INIT whatever their role (simultaneous opens resolve as RFC 4960 §5.2 says;
// a peer that waits for INIT, as Pion's DTLS server does, works too); ports default to 5000
// (a=sctp-port). Streams: `max_streams` each way (min with the peer's). PR-SCTP
// (RFC 3758) for maxRetransmits / maxPacketLifeTime; stream reset (RFC 6525) to close channels;
// I-DATA message interleaving (RFC 8260) with a round-robin stream scheduler when both sides
// support it (Association::interleaving() tells), so one large message does not hold back other
// channels. Packets never exceed `mtu` bytes. Checksums (CRC32c) are generated and verified.
//
// Data channels (RFC 8831 §6). Stream ids follow the DTLS role (RFC 8832 §6): the DTLS client opens
// even ids, the server odd ones; negotiated channels take the id the application gives. A channel
// opened in-band is open (kChannelOpen) as soon as its DATA_CHANNEL_OPEN is queued; its messages stay
// ordered until the ACK arrives (RFC 8832 §6). Closing a channel sends its queued messages, then resets
// the outgoing stream; the peer resets its own in return; kChannelClosed comes when both directions
// are reset, on both sides, and the id may then be reused.
//
// Messages: text (PPID 51), binary (53), empty (one zero byte with 56/57); deprecated partial
// messages (52/54) are reassembled on receipt. A message may be at most the peer's max-message-size
// (RFC 8841 §6, default 65536 when the SDP has none; tern's own default advertised is 256 KiB):
// Send refuses a larger one with kInvalidArgument. An arriving message larger than our own
// `local_max_message_size` is dropped with a kChannelError event.
//
// bufferedAmount (W3C) is the bytes of a channel's messages waiting in this association's own
// per-channel queue, not yet taken by the SCTP stack; it drops as the stack's send buffer
// (`send_buffer_size`) drains. kBufferedAmountLow fires when it falls from above the channel's
// threshold to at or below it.
//
// Time and threads. usrsctp runs without threads of its own (usrsctp_init_nothreads). Its timers sit
// in one process-wide list that counts elapsed milliseconds; tern advances it to the largest `now` any
// association has been given (UsrsctpStackTime()). An association's clock is shifted onto that shared
// time line at its first call if it starts behind it (a test's fresh virtual clock), so clocks need
// not share an origin; they must all move forward together (the Runtime's steady clock; in a test, one
// virtual clock at a time). Because the list is shared, a timer of this association may fire
// while another association is being driven, possibly on another thread: its packets are queued here
// (under a small internal lock) and the wake handler, if set, is called on that thread.
// NextTimeout() asks for a wake-up every 10 ms while anything is in flight or being set up and every
// second when idle, so timers are serviced even with no wake handler. Idle associations that have a
// wake handler share that work: one of them (the process's idle ticker) ticks every second and moves
// the shared list for all; the others ask for a wake-up every 10 s only (their timers fire from the
// ticker's calls and reach them through the wake handler), so thousands of idle connections cost
// one wake-up per second, not thousands.
//
// usrsctp ALSO reads the wall clock (gettimeofday) itself: for RTT measurement and, on a T3-rtx
// expiry, to pick the chunks old enough to retransmit. So `now` must advance at the pace of real time
// (the Runtime's steady clock does). A virtual clock that runs ahead of real time stalls loss recovery
// (nothing is old enough to resend); tests that lose packets pace their virtual clock to real time.
//
// Threading rules: an Association is used from one thread at a time (its connection's loop thread).
// Different associations may be used concurrently from different threads; the process-wide usrsctp
// state is protected by usrsctp's own locks and tern's (see lib/sctp/usrsctp_stack.h). Randomness:
// usrsctp draws its verification tags and initial TSNs from its own generator; it cannot be injected.
//
// Memory: usrsctp allocates its per-stream state when the association comes up, about 100 bytes per
// stream and direction on top of ~11 KiB: ~37 KiB per association at the default 256 streams, ~115 KiB
// at 1024 (bench/sctp_bench.cc). The stream count also bounds the channel ids either side can use.
#ifndef TERN_SCTP_ASSOCIATION_H_
#define TERN_SCTP_ASSOCIATION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/time.h"
#include "tern/sctp/dcep.h"

namespace tern::sctp {

// The DTLS role of this side; it picks the stream-id parity (RFC 8832 §6).
enum class Role {
  kClient,  // even stream ids
  kServer,  // odd stream ids
};

inline constexpr uint16_t kDefaultSctpPort = 5000;
// What tern advertises and accepts by default (a=max-message-size:262144).
inline constexpr size_t kDefaultMaxMessageSize = 256 * 1024;
// RFC 8841 §6.1: the value to assume when the peer's SDP has no max-message-size.
inline constexpr size_t kMaxMessageSizeWhenAbsent = 65536;

struct AssociationConfig {
  Role role = Role::kClient;
  uint16_t local_port = kDefaultSctpPort;
  uint16_t remote_port = kDefaultSctpPort;
  // The peer's a=max-message-size; 0 means "any size" (RFC 8841 §6), which tern caps at the send
  // buffer size.
  size_t remote_max_message_size = kDefaultMaxMessageSize;
  // The largest message we accept (what our SDP advertises).
  size_t local_max_message_size = kDefaultMaxMessageSize;
  // Streams offered in each direction (1..65535); the association uses the minimum of ours and the
  // peer's, and channel ids must be below it. Each stream costs usrsctp ~100 bytes of memory (see
  // Memory above), which is why the default is 256 (128 channels opened by each side, as Firefox
  // starts with) rather than RFC 8831 §6.2's suggested 65535 (~6.5 MiB per association).
  uint16_t max_streams = 256;
  // Largest SCTP packet handed to DTLS, in bytes (>= 576).
  size_t mtu = 1200;
  // usrsctp's per-association send and receive buffers. The send buffer must hold the largest
  // message; both bound the throughput (bytes in flight).
  size_t send_buffer_size = 1024 * 1024;
  size_t receive_buffer_size = 1024 * 1024;
  // Offer I-DATA (RFC 8260). Used only when the peer offers it too.
  bool enable_interleaving = true;
  // Retransmission timeout bounds (RFC 4960 §6.3.1).
  Duration rto_initial = Duration::Millis(1000);
  Duration rto_min = Duration::Millis(200);
  Duration rto_max = Duration::Seconds(10);
};

// W3C RTCDataChannelInit, in SCTP terms.
struct ChannelOptions {
  std::string label;
  std::string protocol;
  bool ordered = true;
  // At most one of the two (PR-SCTP, RFC 3758): retransmissions, or lifetime.
  std::optional<uint16_t> max_retransmits;
  std::optional<uint16_t> max_packet_life_time_ms;
  // Negotiated out of band: no DCEP, `id` is required and both sides must open it.
  bool negotiated = false;
  std::optional<uint16_t> id;
  uint16_t priority = kPriorityNormal;
};

enum class ChannelState { kConnecting, kOpen, kClosing, kClosed };

enum class MessageKind { kText, kBinary };

// A snapshot of one channel.
struct ChannelInfo {
  uint16_t id = 0;
  ChannelOptions options;  // for a channel the peer opened: what its DATA_CHANNEL_OPEN said
  bool remote = false;     // the peer opened it (DCEP)
  ChannelState state = ChannelState::kConnecting;
  size_t buffered_amount = 0;
  size_t buffered_amount_low_threshold = 0;
  uint64_t messages_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t messages_received = 0;
  uint64_t bytes_received = 0;
};

enum class AssociationState { kNew, kConnecting, kConnected, kClosed };

struct Event {
  enum class Type {
    kConnected,          // the association is up
    kClosed,             // the association ended; `status` says why (OK for a clean shutdown)
    kChannelOpen,        // `channel` is open; `remote` when the peer opened it (then see Channel())
    kChannelClosing,     // the peer started closing `channel` (W3C "closing"); kChannelClosed follows
    kChannelClosed,      // `channel` is closed on both sides (or with the association)
    kMessage,            // `channel`, `kind`, `data`
    kBufferedAmountLow,  // `channel`'s bufferedAmount fell to or below its threshold
    kChannelError,       // `channel`, `status`: a bad DCEP message, an oversized message dropped
  };
  Type type = Type::kConnected;
  uint16_t channel = 0;
  bool remote = false;
  MessageKind kind = MessageKind::kBinary;
  std::vector<uint8_t> data;
  absl::Status status;
};

struct AssociationStats {
  uint64_t packets_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t packets_received = 0;
  uint64_t bytes_received = 0;
  uint64_t packets_rejected = 0;  // refused by HandleInput before reaching the SCTP stack
  uint64_t messages_dropped = 0;  // arrived for no channel, oversized, or bad DCEP
  uint16_t outbound_streams = 0;  // negotiated, once connected
  uint16_t inbound_streams = 0;
};

class Association {
 public:
  // Validates the config and makes the usrsctp socket (initialising usrsctp on first use).
  static absl::StatusOr<std::unique_ptr<Association>> Create(const AssociationConfig& config);
  ~Association();
  Association(const Association&) = delete;
  Association& operator=(const Association&) = delete;

  // Starts the handshake (call once DTLS is connected).
  absl::Status Connect(Timestamp now);

  // One SCTP packet that came out of DTLS. kInvalidArgument for what cannot be an SCTP packet for
  // this association (too short, too long, wrong ports, bad CRC32c); the stack drops what fails its
  // verification tag silently. Before Connect, up to 8 packets are kept and replayed by Connect (the
  // peer's INIT may arrive first); more are kResourceExhausted.
  absl::Status HandleInput(ByteSpan packet, Timestamp now);
  void HandleTimeout(Timestamp now);
  // One SCTP packet to put into DTLS.
  std::optional<std::vector<uint8_t>> PollTransmit();
  std::optional<Event> PollEvent();
  std::optional<Timestamp> NextTimeout() const;

  // Called, on whatever thread, when packets were queued while another association was being driven
  // (a shared-timer expiry). It must only schedule a drain of this association (post to its loop);
  // it must not call into any Association. Set before Connect.
  void SetWakeHandler(absl::AnyInvocable<void()> wake);

  // Opens a channel; returns its stream id. kInvalidArgument for bad options (both reliability limits,
  // negotiated without id, id without negotiated, label/protocol too long); kAlreadyExists for an id
  // in use; kResourceExhausted when no id of our parity is free.
  absl::StatusOr<uint16_t> OpenChannel(const ChannelOptions& options);
  // Queues one message. kNotFound for an unknown channel; kFailedPrecondition when it is not open;
  // kInvalidArgument when larger than the peer's max-message-size.
  absl::Status Send(uint16_t channel, MessageKind kind, ByteSpan data);
  // Starts the closing procedure (RFC 8831 §6.7). kNotFound for an unknown channel.
  absl::Status CloseChannel(uint16_t channel);
  absl::Status SetBufferedAmountLowThreshold(uint16_t channel, size_t threshold);
  size_t BufferedAmount(uint16_t channel) const;  // 0 for an unknown channel
  std::optional<ChannelInfo> Channel(uint16_t channel) const;
  std::vector<uint16_t> ChannelIds() const;

  // Graceful SHUTDOWN (RFC 4960 §9.2); kClosed follows once the peer confirms.
  void Shutdown();
  // Immediate ABORT (RFC 4960 §9.1): queues the ABORT packet (drain PollTransmit to send it), ends the
  // association now (kChannelClosed for every channel, then kClosed with kCancelled). Destroying an
  // Association without Shutdown or Abort also aborts, but its ABORT packet is lost with it.
  void Abort();

  AssociationState state() const;
  // True once connected when both sides support I-DATA (RFC 8260).
  bool interleaving() const;
  // The largest message Send accepts.
  size_t max_send_message_size() const;
  AssociationStats stats() const;

  class Impl;

 private:
  friend class AssociationTestPeer;  // lib/sctp/association_test_peer.h, for tests of the receive side
  explicit Association(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The largest `now` any Association in this process has been given, shifted as described above (the
// position of usrsctp's shared timer list), or Timestamp::Zero() before any.
Timestamp UsrsctpStackTime();

// Live associations in the process (created and not yet destroyed).
size_t LiveAssociations();

}  // namespace tern::sctp

#endif  // TERN_SCTP_ASSOCIATION_H_
