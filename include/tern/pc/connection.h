// pc::Connection: everything one WebRTC peer connection does, as one sans-IO core (DESIGN.md). It
// composes, for one BUNDLEd transport (RFC 8843):
//   ICE (ice::IceAgent, plus ice::TurnClient allocations for turn: servers through ice::IceTurnMux;
//   relay-only policy keeps only relay candidates)  ->  the RFC 7983 first-byte demultiplexer  ->
//   DTLS 1.2 (DtlsEndpoint; client or server from a=setup, RFC 8842 §5)  ->  the SCTP association
//   (sctp::Association; sctp-port and max-message-size from the SDP, RFC 8841)  ->  data channels
//   (RFC 8831, DCEP RFC 8832).
// DTLS-SRTP keys are exported when use_srtp is negotiated and SRTP sessions are made from them
// (RFC 5764 §4.2); media (RTP/RTCP, first byte 128-191) is counted and dropped until tracks exist.
// Signalling is JSEP (RFC 8829) through sdp::JsepSession: CreateOffer/CreateAnswer,
// Set{Local,Remote}Description (with rollback), AddRemoteCandidate (trickle, RFC 8838), and the W3C
// states (signaling, ICE gathering, ICE connection, peer connection).
//
// Contract (DESIGN.md):
//   THE DRAIN RULE: after Create and after every call that takes `now` (HandleInput, HandleTimeout,
//   the JSEP calls, AddRemoteCandidate, CreateDataChannel, Send, CloseDataChannel, Close), call
//   PollTransmit() until it returns nullopt (send each as is: Transmit::local is the socket to send
//   from), then PollEvent() until nullopt, then arrange HandleTimeout(NextTimeout()).
// The connection never touches a socket or a clock; randomness comes from the injected Random (but
// BoringSSL and usrsctp draw some of their own, see their headers). Every sctp::Association in a
// process must be driven from one forward-moving time line (see tern/sctp/association.h).
//
// Datagrams that are not ours — garbage, an unknown first byte, DTLS records that do not verify, SCTP
// packets that do not parse — are counted (stats().datagrams_dropped) and dropped; they never change
// the connection's state. Not thread-safe: one thread at a time (the facade keeps it on one loop).
#ifndef TERN_PC_CONNECTION_H_
#define TERN_PC_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/datagram.h"
#include "tern/base/ip_address.h"
#include "tern/base/random.h"
#include "tern/base/time.h"
#include "tern/data_channel.h"
#include "tern/dtls/certificate.h"
#include "tern/pc/states.h"
#include "tern/session_description.h"
#include "tern/stats.h"

namespace tern::pc {

// One TURN server to allocate a relay candidate on (RFC 8656). UDP only for now.
struct TurnServerConfig {
  SocketAddress server;
  std::string username;
  std::string password;
  std::string url;  // for stats
};

struct ConnectionConfig {
  // The UDP sockets the owner has bound (concrete addresses): one host candidate each.
  std::vector<SocketAddress> host_addresses;
  std::vector<SocketAddress> stun_servers;
  std::vector<TurnServerConfig> turn_servers;  // allocated from the first host address of its family
  bool relay_only = false;  // W3C iceTransportPolicy "relay"
  bool ice_lite = false;
  DtlsCertificate certificate;  // required
  uint64_t max_message_size = 256 * 1024;  // what we accept (a=max-message-size)
  uint16_t sctp_port = 5000;
  size_t mtu = 1200;  // largest UDP payload we send
  // ICE liveness (RFC 7675): consent is lost after `consent_timeout` without an answer.
  Duration consent_timeout = Duration::Seconds(30);
  Duration disconnected_timeout = Duration::Seconds(5);
  // SCTP send/receive buffers (bytes in flight bound throughput).
  size_t sctp_buffer_size = 1024 * 1024;
  // SCTP streams offered each way (sctp::AssociationConfig::max_streams): data channel ids stay below
  // min(ours, the peer's). About 100 bytes of memory per stream.
  uint16_t sctp_max_streams = 256;
};

// A data channel as the connection knows it. `handle` names it for its whole life (the SCTP stream id
// may not be known yet when it is created: it depends on the DTLS role).
using ChannelHandle = uint32_t;

struct DataChannelInfo {
  ChannelHandle handle = 0;
  std::string label;
  DataChannelInit init;  // id: the stream id once known
  bool remote = false;   // opened by the peer
  DataChannelState state = DataChannelState::kConnecting;
  uint64_t messages_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t messages_received = 0;
  uint64_t bytes_received = 0;
};

// Events. A trickled local candidate; an empty candidate string is end-of-candidates.
struct LocalCandidateEvent {
  IceCandidate candidate;
};
struct SignalingStateEvent {
  SignalingState state;
};
struct IceGatheringStateEvent {
  IceGatheringState state;
};
struct IceConnectionStateEvent {
  IceConnectionState state;
};
struct ConnectionStateEvent {
  PeerConnectionState state;
};
// A channel is open: one we created, or (remote) one the peer opened with DCEP.
struct ChannelOpenEvent {
  ChannelHandle channel = 0;
  bool remote = false;
};
struct ChannelMessageEvent {
  ChannelHandle channel = 0;
  bool binary = false;
  std::vector<uint8_t> data;
};
// The peer started closing an open channel (it reset its outgoing stream): W3C readyState "closing";
// ChannelClosedEvent follows once our side is reset too.
struct ChannelClosingEvent {
  ChannelHandle channel = 0;
};
struct ChannelClosedEvent {
  ChannelHandle channel = 0;
};
struct ChannelBufferedAmountLowEvent {
  ChannelHandle channel = 0;
};
struct ChannelErrorEvent {
  ChannelHandle channel = 0;
  absl::Status status;
};
using ConnectionEvent =
    std::variant<LocalCandidateEvent, SignalingStateEvent, IceGatheringStateEvent, IceConnectionStateEvent,
                 ConnectionStateEvent, ChannelOpenEvent, ChannelMessageEvent, ChannelClosingEvent,
                 ChannelClosedEvent, ChannelBufferedAmountLowEvent, ChannelErrorEvent>;

struct ConnectionStats {
  uint64_t datagrams_received = 0;
  uint64_t datagrams_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t datagrams_dropped = 0;  // not STUN/DTLS/known, or refused by the layer it went to
  uint64_t rtp_dropped = 0;        // media before tracks exist
  uint64_t sctp_rejected = 0;      // DTLS application data the association refused
};

class Connection {
 public:
  // InvalidArgument for an empty certificate, no host address, an MTU outside 576..16384, or a zero
  // max_message_size. `random` must outlive the connection.
  static absl::StatusOr<std::unique_ptr<Connection>> Create(ConnectionConfig config, Random& random);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // --- JSEP (see peer_connection.h for the semantics) ---
  absl::StatusOr<SessionDescription> CreateOffer(Timestamp now);
  absl::StatusOr<SessionDescription> CreateAnswer(Timestamp now);
  absl::Status SetLocalDescription(const SessionDescription& description, Timestamp now);
  absl::Status SetRemoteDescription(const SessionDescription& description, Timestamp now);
  absl::Status AddRemoteCandidate(const IceCandidate& candidate, Timestamp now);
  // With the local candidates gathered so far (and a=end-of-candidates once complete).
  std::optional<SessionDescription> local_description() const;
  std::optional<SessionDescription> remote_description() const;

  SignalingState signaling_state() const;
  IceGatheringState ice_gathering_state() const;
  IceConnectionState ice_connection_state() const;
  PeerConnectionState connection_state() const;

  // --- Data channels ---
  absl::StatusOr<ChannelHandle> CreateDataChannel(std::string label, const DataChannelInit& init, Timestamp now);
  // FailedPrecondition unless open; InvalidArgument over the peer's max-message-size; NotFound for an
  // unknown handle.
  absl::Status Send(ChannelHandle channel, bool binary, ByteSpan data, Timestamp now);
  absl::Status CloseDataChannel(ChannelHandle channel, Timestamp now);
  absl::Status SetBufferedAmountLowThreshold(ChannelHandle channel, uint64_t threshold);
  uint64_t BufferedAmount(ChannelHandle channel) const;
  std::optional<DataChannelInfo> DataChannel(ChannelHandle channel) const;
  std::vector<ChannelHandle> DataChannels() const;
  // The largest message Send accepts now (the peer's max-message-size, capped by our buffers).
  uint64_t max_send_message_size() const;

  // ICE restart (RFC 8445 §9, W3C restartIce()): new local credentials and candidates; the next offer
  // carries them. The current pair keeps carrying data until a new one is selected. A remote offer
  // with new credentials restarts our side the same way (the answer then carries ours).
  absl::Status RestartIce(Timestamp now);

  // Closes channels, sends close_notify, stops ICE. Idempotent; no events after the final state
  // changes it queues.
  void Close(Timestamp now);

  // Cheap, for single-port servers: a datagram from one of our remote candidates, a STUN message for
  // our ufrag or transactions, or from one of our TURN servers.
  bool Owns(const Datagram& datagram) const;

  // Called (possibly on another thread) when the SCTP stack queued packets for this connection while
  // another association was being driven; it must only schedule a drain (see association.h).
  void SetWakeHandler(absl::AnyInvocable<void()> wake);

  // --- Sans-IO contract ---
  void HandleInput(const Datagram& datagram, Timestamp now);
  void HandleTimeout(Timestamp now);
  std::optional<Transmit> PollTransmit();
  std::optional<ConnectionEvent> PollEvent();
  std::optional<Timestamp> NextTimeout() const;

  Stats GetStats(Timestamp now) const;
  const ConnectionStats& stats() const;
  const DtlsCertificate& certificate() const;

  class Impl;

 private:
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tern::pc

#endif  // TERN_PC_CONNECTION_H_
