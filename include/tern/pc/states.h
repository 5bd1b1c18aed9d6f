// The W3C state enums of a peer connection (webrtc-pc §4.3.2-§4.3.3, §5.6), shared by the sans-IO
// pc::Connection and the PeerConnection facade.
#ifndef TERN_PC_STATES_H_
#define TERN_PC_STATES_H_

#include <cstdint>
#include <string_view>

namespace tern {

// W3C RTCSignalingState.
enum class SignalingState : uint8_t {
  kStable,
  kHaveLocalOffer,
  kHaveRemoteOffer,
  kHaveLocalPrAnswer,
  kHaveRemotePrAnswer,
  kClosed
};
// W3C RTCIceGatheringState.
enum class IceGatheringState : uint8_t { kNew, kGathering, kComplete };
// W3C RTCIceConnectionState.
enum class IceConnectionState : uint8_t {
  kNew,
  kChecking,
  kConnected,
  kCompleted,
  kDisconnected,
  kFailed,
  kClosed
};
// W3C RTCPeerConnectionState: the worst of the ICE and DTLS transports' states (webrtc-pc §4.3.3).
enum class PeerConnectionState : uint8_t { kNew, kConnecting, kConnected, kDisconnected, kFailed, kClosed };

// The W3C strings: "stable", "have-local-offer", ..., "new", "gathering", "complete", ...
std::string_view SignalingStateName(SignalingState state);
std::string_view IceGatheringStateName(IceGatheringState state);
std::string_view IceConnectionStateName(IceConnectionState state);
std::string_view PeerConnectionStateName(PeerConnectionState state);

}  // namespace tern

#endif  // TERN_PC_STATES_H_
