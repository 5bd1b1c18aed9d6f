// A WebRTC peer connection with data channels, shaped like the W3C RTCPeerConnection: JSEP offer/answer
// (RFC 8829) with one BUNDLEd transport (RFC 8843), trickle ICE (RFC 8838), DTLS (RFC 8827) and SCTP
// data channels (RFC 8831, 8832). It is a pc::Connection (the sans-IO core, include/tern/pc/) run on
// a tern::Runtime loop with UDP sockets.
//
//   auto runtime = tern::Runtime::Create().value();
//   tern::Configuration config;
//   config.bind_addresses = {tern::IpAddress::LoopbackV4()};
//   auto pc = tern::PeerConnection::Create(*runtime, config).value();
//   pc->OnLocalCandidate([&](tern::IceCandidate c) { signal(c); });
//   auto channel = pc->CreateDataChannel("chat").value();
//   channel->OnOpen([&] { (void)channel->Send("hello"); });
//   tern::SessionDescription offer = pc->CreateOffer().value();
//   (void)pc->SetLocalDescription(offer);   // starts gathering
//   signal(offer); ... pc->SetRemoteDescription(answer); pc->AddIceCandidate(candidate);
//
// Threading. A PeerConnection is confined to one loop thread of its Runtime (chosen round-robin at
// Create) for its whole life: its sockets, timers and core live there and every callback — its own and
// its DataChannels' — runs there, one at a time. Every method may be called from any thread: on the
// loop thread (for instance from a callback) it runs inline; from another thread it runs on the loop
// and the caller waits for the result (EventLoop::RunSync). So do not call a PeerConnection from a
// thread that its loop is waiting on, and do not destroy it from one of its own callbacks. Destroy it
// before its Runtime. Callbacks must be quick: the loop is also serving other connections.
// In particular, never call PeerConnection B from a callback of PeerConnection A when the two may live
// on different loops of the same Runtime (two loops waiting on each other deadlock): hand the value
// (a candidate, a description) to another thread or queue, as examples/datachannel-cli does.
//
// Connection state (W3C RTCPeerConnectionState): connected once ICE has a selected pair and DTLS is
// up; disconnected while the selected pair is silent; failed when ICE fails (including consent lost,
// RFC 7675: about 30 s after a peer vanishes) or DTLS fails (e.g. a fingerprint mismatch); closed after
// Close(), and also when the peer closes (its DTLS close_notify arrives).
#ifndef TERN_PEER_CONNECTION_H_
#define TERN_PEER_CONNECTION_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/configuration.h"
#include "tern/data_channel.h"
#include "tern/pc/states.h"
#include "tern/session_description.h"
#include "tern/stats.h"

namespace tern {

class Runtime;

class PeerConnection {
 public:
  // Validates the configuration, binds one UDP socket per bind address (on the chosen loop) and makes
  // the certificate if none is given. InvalidArgument for a bad configuration; the socket's error when
  // a bind fails.
  static absl::StatusOr<std::unique_ptr<PeerConnection>> Create(Runtime& runtime, Configuration config);
  // Close()s, then releases the sockets on the loop thread (waits for it).
  ~PeerConnection();
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  // JSEP (RFC 8829 §5.2, §5.3). The offer has one m=application section for the data channels (it is
  // there even before a channel is created, so channels can be added without renegotiation) and keeps
  // its mids across renegotiations. The answer accepts the offer's data section and rejects media
  // sections (port 0) for now. Neither contains candidates: they trickle through OnLocalCandidate (and
  // local_description() includes those gathered so far).
  absl::StatusOr<SessionDescription> CreateOffer();
  absl::StatusOr<SessionDescription> CreateAnswer();
  // Applies a description (RFC 8829 §5.5-§5.7). The first local one starts ICE gathering. kRollback
  // returns to stable from have-local-offer or have-remote-offer. A bad transition or SDP is
  // InvalidArgument (a description the state machine does not allow is FailedPrecondition), and the
  // connection is left as it was.
  absl::Status SetLocalDescription(const SessionDescription& description);
  absl::Status SetRemoteDescription(const SessionDescription& description);
  // A trickled remote candidate; an empty candidate string is end-of-candidates. FailedPrecondition
  // before a remote description; InvalidArgument for a malformed one or an unknown mid.
  absl::Status AddIceCandidate(const IceCandidate& candidate);

  // The current descriptions (with the local candidates gathered so far and, once gathering is
  // complete, a=end-of-candidates): what copy-paste signalling sends after gathering completes.
  std::optional<SessionDescription> local_description() const;
  std::optional<SessionDescription> remote_description() const;

  SignalingState signaling_state() const;
  IceGatheringState ice_gathering_state() const;
  IceConnectionState ice_connection_state() const;
  PeerConnectionState connection_state() const;

  // A new channel (RFC 8832 §6). It opens once the SCTP association is up (at once when it already
  // is). InvalidArgument for bad options (both reliability limits, negotiated without id, id over
  // 65534, a label or protocol over 65535 bytes); AlreadyExists for an id in use; FailedPrecondition
  // once closed.
  absl::StatusOr<std::shared_ptr<DataChannel>> CreateDataChannel(std::string label,
                                                                  DataChannelInit init = {});

  absl::StatusOr<Stats> GetStats() const;

  // W3C restartIce(): new ICE credentials and candidates (RFC 8445 §9), used by the next CreateOffer,
  // which the application then signals as usual. Data keeps flowing on the current pair meanwhile.
  absl::Status RestartIce();

  // Closes every channel, sends DTLS close_notify, stops ICE; state kClosed. No callback runs after
  // Close returns (except those of a Close called from inside a callback, which run no more once that
  // callback returns). Idempotent.
  void Close();

  // Callbacks (loop thread; see the threading rule above). Setting one replaces the previous one.
  // Each local candidate as it is gathered (trickle ICE), then one with an empty candidate when
  // gathering is complete (end-of-candidates).
  void OnLocalCandidate(absl::AnyInvocable<void(IceCandidate)> callback);
  void OnIceGatheringStateChange(absl::AnyInvocable<void(IceGatheringState)> callback);
  void OnIceConnectionStateChange(absl::AnyInvocable<void(IceConnectionState)> callback);
  void OnConnectionStateChange(absl::AnyInvocable<void(PeerConnectionState)> callback);
  void OnSignalingStateChange(absl::AnyInvocable<void(SignalingState)> callback);
  // A channel the peer opened (DCEP), already open.
  void OnDataChannel(absl::AnyInvocable<void(std::shared_ptr<DataChannel>)> callback);

  struct Impl;  // lib/pc/peer

 private:
  explicit PeerConnection(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace tern

#endif  // TERN_PEER_CONNECTION_H_
