// The sans-IO TURN client: one allocation on one TURN server over UDP, TCP or TLS (RFC 8656 §7-§12),
// with long-term credentials (RFC 8489 §9.2) and STUN transactions (RFC 8489 §6.2).
//
// Contract (DESIGN.md): feed it what the server sent — HandleInput(datagram) over UDP, or
// HandleStreamBytes(bytes) over TCP/TLS in whatever chunks the stream delivered them — and time
// (HandleTimeout). After every call, drain PollTransmit() and PollEvent() until they return nothing,
// then ask NextTimeout() and call HandleTimeout at that time. The client never opens sockets: every
// Transmit goes to config.server (over UDP, one datagram each; over TCP/TLS, the owner writes the
// payloads to the stream in order — they are already framed).
//
// Flow: Allocate() sends an Allocate request without credentials; the server's 401 carries REALM and
// NONCE (and, from an RFC 8489 server, PASSWORD-ALGORITHMS under a nonce cookie); the client answers
// with an authenticated Allocate (USERNAME, REALM, NONCE, MESSAGE-INTEGRITY — or, when the nonce cookie
// announces the password-algorithms feature, PASSWORD-ALGORITHMS, PASSWORD-ALGORITHM (SHA-256 when
// offered) and MESSAGE-INTEGRITY-SHA256). A 438 (stale nonce) is retried once per request with the new
// NONCE. The allocation is refreshed before it expires (RFC 8656 §8), permissions every
// permission_refresh (§9, they live 5 min), channels every channel_refresh (§11, they live 10 min).
// Close() deallocates with a Refresh of LIFETIME 0.
//
// Sending to a peer (SendTo): ChannelData once a ChannelBind for that exact peer address has
// succeeded, a Send indication (XOR-PEER-ADDRESS + DATA) before that — including while the ChannelBind
// is in flight. Nothing is queued or reordered inside the client: each SendTo produces one Transmit at
// once. A peer without a permission gets one implicitly (CreatePermission is sent first, then the
// data as a Send indication; over UDP the data is lost if the server sees it before the permission).
//
// Security (RFC 8489 §9.2.5): responses are matched to an outstanding transaction id; once credentials
// are in use, success responses must carry a MESSAGE-INTEGRITY(-SHA256) that verifies with the
// long-term key, and any error response that carries one must verify too. A response that fails is
// dropped as never received (UDP: the retransmissions go on; TCP/TLS: the transaction fails at once).
// Error responses without any integrity are accepted (servers must send 400/401/438 that way, and
// some send other codes unauthenticated too); this leaves an on-path attacker who sees the
// transaction id able to fail a request, not to fake a success. Over TCP/TLS, the reassembly buffer
// never holds more than one frame (at most max_stream_frame_size bytes); a framing error or a frame
// longer than that fails the client — TurnAllocationFailed while allocating, TurnError after — and
// the owner must then close the connection (framing cannot recover).
#ifndef TERN_ICE_TURN_CLIENT_H_
#define TERN_ICE_TURN_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/datagram.h"
#include "tern/base/fifo.h"
#include "tern/base/ip_address.h"
#include "tern/base/random.h"
#include "tern/base/time.h"
#include "tern/stun/constants.h"
#include "tern/stun/credentials.h"

namespace tern::stun {
class MessageView;
class MessageBuilder;
}  // namespace tern::stun

namespace tern::ice {

enum class TurnTransport : uint8_t { kUdp, kTcp, kTls };
// Which relayed addresses to ask for (RFC 8656 §7.1, REQUESTED-/ADDITIONAL-ADDRESS-FAMILY).
enum class TurnAddressFamilies : uint8_t { kV4, kV6, kDual };
enum class TurnClientState : uint8_t {
  kNew,           // Allocate() not called yet
  kAllocating,    // Allocate transaction(s) in flight
  kAllocated,     // relayed addresses usable
  kDeallocating,  // Close() sent the Refresh with LIFETIME 0
  kClosed,        // deallocated (or closed before allocating)
  kFailed,        // the allocation failed or was lost; nothing more is sent
};
std::string_view TurnClientStateName(TurnClientState state);

struct TurnClientConfig {
  SocketAddress server;  // required
  // The owner's socket, copied into Transmit::local (unset: the runtime picks).
  SocketAddress local;
  TurnTransport transport = TurnTransport::kUdp;
  std::string username;  // long-term credentials (e.g. REST: "<expiry>:<user>")
  std::string password;
  // Normally learned from the 401; if set, used until the server names another one.
  std::string realm;
  TurnAddressFamilies families = TurnAddressFamilies::kV4;
  // LIFETIME asked for in Allocate and Refresh requests (RFC 8656 §7.1); zero: none (server default).
  Duration requested_lifetime = Duration::Seconds(600);
  std::string software;     // SOFTWARE attribute in Allocate requests; empty: none
  bool fingerprint = true;  // FINGERPRINT on everything the client sends

  // STUN transactions (RFC 8489 §6.2.1): over UDP, retransmit at RTO, 2·RTO, … (Rc transmissions),
  // giving up Rm·RTO after the last one; over TCP/TLS one transmission and a single timeout.
  Duration rto = Duration::Millis(500);
  int max_transmissions = 7;      // Rc
  int last_wait_multiplier = 16;  // Rm
  Duration stream_transaction_timeout = Duration::Millis(39500);

  // The allocation is refreshed at lifetime − min(refresh_margin, lifetime / 4).
  Duration refresh_margin = Duration::Seconds(60);
  Duration permission_refresh = Duration::Seconds(240);  // < 5 min (RFC 8656 §9)
  Duration channel_refresh = Duration::Seconds(540);     // < 10 min (RFC 8656 §11)

  // Caps that bound memory against a hostile server or a slow owner.
  size_t max_permissions = 256;
  size_t max_stream_frame_size = 65536 + 20;  // bytes, one reassembled TCP/TLS frame
  size_t max_queued_events = 4096;            // data events beyond this are dropped (counted)
  size_t max_queued_transmits = 4096;         // SendTo returns ResourceExhausted beyond this
};

// The allocation exists (RFC 8656 §7.3).
struct TurnAllocated {
  std::vector<SocketAddress> relayed;  // one per family (two for a dual allocation)
  SocketAddress mapped;                // XOR-MAPPED-ADDRESS: the client as the server sees it
  Duration lifetime;
  // A dual allocation that got only one family: the ADDRESS-ERROR-CODE code (e.g. 440), else 0.
  int address_family_error = 0;
};
// The allocation could not be made. `error_code` is the STUN error code (0 when the failure is not a
// server error: a timeout, a bad response, a framing error).
struct TurnAllocationFailed {
  absl::Status status;
  int error_code = 0;
  std::optional<SocketAddress> alternate_server;  // with 300 Try Alternate
};
struct TurnRefreshed {
  Duration lifetime;
};
struct TurnPermissionCreated {
  IpAddress peer;
};
struct TurnPermissionFailed {
  IpAddress peer;
  absl::Status status;
  int error_code = 0;
};
struct TurnChannelBound {
  SocketAddress peer;
  uint16_t channel = 0;
};
struct TurnChannelBindFailed {
  SocketAddress peer;
  uint16_t channel = 0;
  absl::Status status;
  int error_code = 0;
};
// Data a peer sent to the relayed address.
struct TurnDataReceived {
  SocketAddress peer;
  SocketAddress relayed;  // the relayed address of the peer's family
  std::vector<uint8_t> payload;
  bool via_channel = false;  // ChannelData (true) or a Data indication (false)
};
// Close() finished. `acknowledged` is false when the server did not answer the deallocation.
struct TurnDeallocated {
  bool acknowledged = true;
};
// The allocation is lost (a refresh failed, it expired, the stream broke); the client is kFailed.
struct TurnError {
  absl::Status status;
  int error_code = 0;
};
using TurnEvent = std::variant<TurnAllocated, TurnAllocationFailed, TurnRefreshed, TurnPermissionCreated,
                               TurnPermissionFailed, TurnChannelBound, TurnChannelBindFailed,
                               TurnDataReceived, TurnDeallocated, TurnError>;

struct TurnClientStats {
  uint64_t requests_sent = 0;  // first transmissions
  uint64_t retransmissions = 0;
  uint64_t send_indications_sent = 0;
  uint64_t channel_data_sent = 0;
  uint64_t data_indications_received = 0;
  uint64_t channel_data_received = 0;
  uint64_t dropped_not_from_server = 0;
  uint64_t dropped_malformed = 0;  // unparsable STUN/ChannelData, bad FINGERPRINT
  uint64_t dropped_unknown_transaction = 0;
  uint64_t dropped_bad_integrity = 0;  // responses failing or lacking required integrity
  uint64_t dropped_unknown_channel = 0;
  uint64_t dropped_no_permission = 0;  // Data indications from peers without a permission
  uint64_t dropped_events = 0;         // data events over max_queued_events
  uint64_t stale_nonce_retries = 0;
};

class TurnClient {
 public:
  // `random` (transaction ids) must outlive the client.
  TurnClient(TurnClientConfig config, Random& random);
  ~TurnClient();
  TurnClient(const TurnClient&) = delete;
  TurnClient& operator=(const TurnClient&) = delete;

  // Starts the allocation. InvalidArgument for a bad config (unset server, credentials too long);
  // FailedPrecondition unless the state is kNew.
  absl::Status Allocate(Timestamp now);

  // Installs (and keeps refreshing) a permission for `peer` (RFC 8656 §9). Idempotent: an existing
  // permission is left alone (a failed one is retried). FailedPrecondition unless allocated;
  // ResourceExhausted beyond max_permissions; InvalidArgument for a peer of a family with no relayed
  // address.
  absl::Status CreatePermission(const IpAddress& peer, Timestamp now);
  // Binds a channel to `peer` (RFC 8656 §11) and keeps refreshing it (which refreshes the peer's
  // permission too). Returns the channel number (0x4000 upwards, allocated in order; the same number
  // for a peer already bound or binding). ResourceExhausted when all 4096 numbers are used.
  absl::StatusOr<uint16_t> BindChannel(const SocketAddress& peer, Timestamp now);
  // Relays `payload` to `peer` (see the header comment for ChannelData vs Send indication).
  // FailedPrecondition unless allocated; InvalidArgument when the payload is too large for one
  // message (over 65000 bytes) or the peer's family has no relayed address; PermissionDenied when the
  // peer's permission failed (call CreatePermission to retry); ResourceExhausted when
  // max_queued_transmits transmits are waiting.
  absl::Status SendTo(const SocketAddress& peer, ByteSpan payload, Timestamp now);

  // Deallocates (Refresh with LIFETIME 0) and ends with TurnDeallocated; before the allocation exists
  // it just stops (TurnDeallocated at once). Does nothing once closed or failed.
  void Close(Timestamp now);

  // Sans-IO contract. Over TCP/TLS, HandleInput(d) is HandleStreamBytes(d.payload). Datagrams from
  // anywhere but config.server are dropped.
  void HandleInput(const Datagram& datagram, Timestamp now);
  void HandleStreamBytes(ByteSpan bytes, Timestamp now);
  // The TCP/TLS connection ended (EOF or error): fails the client unless it was closed already.
  void HandleStreamClosed(Timestamp now);
  void HandleTimeout(Timestamp now);
  std::optional<Transmit> PollTransmit();
  std::optional<TurnEvent> PollEvent();
  std::optional<Timestamp> NextTimeout() const;

  TurnClientState state() const { return state_; }
  const std::vector<SocketAddress>& relayed_addresses() const { return relayed_; }
  const SocketAddress& mapped_address() const { return mapped_; }
  const std::string& realm() const { return realm_; }
  // The channel bound (success received) for `peer`, if any.
  std::optional<uint16_t> BoundChannel(const SocketAddress& peer) const;
  bool HasPermission(const IpAddress& peer) const;  // installed (success received)
  const TurnClientStats& stats() const { return stats_; }
  const TurnClientConfig& config() const { return config_; }
  // Bytes held for an incomplete TCP/TLS frame (never above config.max_stream_frame_size).
  size_t stream_buffer_size() const { return stream_buffer_.size(); }

 private:
  enum class RequestKind : uint8_t { kAllocate, kRefresh, kDeallocate, kPermission, kChannelBind };
  struct Transaction {
    RequestKind kind = RequestKind::kAllocate;
    std::vector<uint8_t> wire;
    int transmissions = 0;
    Timestamp next_action;  // next retransmission, or the timeout
    Duration rto;
    bool authenticated = false;      // sent with credentials
    bool stale_retried = false;      // a 438 was already retried once
    bool integrity_dropped = false;  // a response was dropped for bad/missing integrity
    IpAddress peer_ip;               // kPermission
    SocketAddress peer;              // kChannelBind
    uint16_t channel = 0;            // kChannelBind
  };
  struct Permission {
    enum class State : uint8_t { kPending, kInstalled, kFailed } state = State::kPending;
    Timestamp refresh_at = Timestamp::Infinite();
    bool in_flight = false;
  };
  struct Channel {
    uint16_t number = 0;
    bool bound = false;
    bool in_flight = false;
    Timestamp refresh_at = Timestamp::Infinite();
  };

  static std::string_view RequestName(RequestKind kind);
  static uint16_t MethodOf(RequestKind kind);
  absl::Status ValidateConfig() const;
  bool stream() const { return config_.transport != TurnTransport::kUdp; }
  TransportProtocol protocol() const;

  // Requests.
  void StartRequest(RequestKind kind, Timestamp now, const IpAddress& peer_ip = {},
                    const SocketAddress& peer = {}, uint16_t channel = 0, bool stale_retried = false);
  absl::StatusOr<std::vector<uint8_t>> BuildRequest(RequestKind kind, const stun::TransactionId& id,
                                                    const IpAddress& peer_ip, const SocketAddress& peer,
                                                    uint16_t channel, bool* authenticated) const;
  void Send(std::vector<uint8_t> bytes);
  void TransactionFailed(const Transaction& t, absl::Status status, int error_code, Timestamp now,
                         std::optional<SocketAddress> alternate = std::nullopt);

  // Input.
  void HandleMessage(ByteSpan bytes, stun::MessageView* scratch, Timestamp now);
  void HandleChannelData(ByteSpan bytes, Timestamp now);
  void HandleResponse(const stun::MessageView& msg, Timestamp now);
  void HandleDataIndication(const stun::MessageView& msg, Timestamp now);
  void HandleSuccess(const Transaction& t, const stun::MessageView& msg, Timestamp now);
  void HandleError(const Transaction& t, const stun::MessageView& msg, int code, Timestamp now);
  // Learns REALM/NONCE (and PASSWORD-ALGORITHMS) from a 401/438. Returns false (with *status) when
  // the challenge cannot be answered.
  bool LearnChallenge(const stun::MessageView& msg, absl::Status* status);
  void HandleFrame(ByteSpan frame, Timestamp now);
  void FailStream(absl::Status status, Timestamp now);

  // State changes.
  // Enters kFailed and drops every timer, transaction and buffer (the caller emits the event).
  void Fail();
  void ScheduleRefresh(Duration lifetime, Timestamp now);
  void PushEvent(TurnEvent event);
  void FinishDeallocation(bool acknowledged);
  SocketAddress RelayedFor(IpFamily family) const;

  TurnClientConfig config_;
  Random& random_;
  TurnClientState state_ = TurnClientState::kNew;

  // Credentials learned from the server.
  std::string realm_;
  std::string nonce_;
  bool have_challenge_ = false;
  bool use_password_algorithms_ = false;            // echo PASSWORD-ALGORITHMS / PASSWORD-ALGORITHM
  std::vector<uint8_t> password_algorithms_value_;  // the server's PASSWORD-ALGORITHMS, verbatim
  stun::PasswordAlgorithm password_algorithm_ = stun::PasswordAlgorithm::kMd5;
  bool use_sha256_integrity_ = false;
  std::optional<stun::IntegrityKey> key_;
  std::string key_realm_;  // the realm and algorithm key_ was computed for
  stun::PasswordAlgorithm key_algorithm_ = stun::PasswordAlgorithm::kMd5;

  // The allocation.
  std::vector<SocketAddress> relayed_;
  SocketAddress mapped_;
  Timestamp refresh_at_ = Timestamp::Infinite();
  Timestamp expires_at_ = Timestamp::Infinite();
  bool refresh_in_flight_ = false;

  struct TransactionIdLess {
    bool operator()(const stun::TransactionId& a, const stun::TransactionId& b) const {
      return a.bytes < b.bytes;
    }
  };
  std::map<stun::TransactionId, Transaction, TransactionIdLess> transactions_;
  std::map<IpAddress, Permission> permissions_;
  std::map<SocketAddress, Channel> channels_;
  std::map<uint16_t, SocketAddress> channel_peers_;
  uint16_t next_channel_ = 0x4000;

  std::vector<uint8_t> stream_buffer_;

  Fifo<Transmit> transmits_;
  Fifo<TurnEvent> events_;
  TurnClientStats stats_;
};

}  // namespace tern::ice

#endif  // TERN_ICE_TURN_CLIENT_H_
