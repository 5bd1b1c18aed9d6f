// JSEP (RFC 8829) offer/answer on top of the SDP model: what this side has (MediaSpec, TransportSpec)
// becomes an offer (§5.2) or an answer to a remote offer (§5.3); a pair of descriptions becomes the
// negotiated parameters lib/pc applies (NegotiatedSession); JsepSession runs the W3C signalling state
// machine (webrtc-pc §4.3.1: stable, have-local-offer, have-remote-offer, have-local-pranswer,
// have-remote-pranswer) with renegotiation and rollback.
//
// Policy (what tern implements): max-bundle with one transport (RFC 8843 §7; every section carries
// the same ICE/DTLS attributes, as libwebrtc does, so non-BUNDLE peers still understand it), rtcp-mux
// (RFC 8858), trickle ICE (RFC 8840), DTLS setup actpass in offers and active/passive in answers
// (RFC 8842 §5.2, §5.3). An answer keeps the offer's payload types and extension ids; codecs match
// by name (case-insensitive), clock rate, channels, and the fmtp parameters that select a different
// codec (H264 profile-level-id profile and packetization-mode, VP9 profile-id, AV1 profile; rtx/red
// follow the codec they point at). Sections tern cannot use are rejected with port 0.
//
// sdp does not depend on ice or dtls: candidates, fingerprints and roles are sdp's own value types.
// Nothing here reads a clock or randomness: the session id comes in JsepOptions.
#ifndef TERN_SDP_JSEP_H_
#define TERN_SDP_JSEP_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/sdp/candidate.h"
#include "tern/sdp/session_description.h"

namespace tern::sdp {

// RTCSdpType.
enum class SdpType : uint8_t { kOffer, kPranswer, kAnswer, kRollback };
std::string_view ToString(SdpType type);
std::optional<SdpType> ParseSdpType(std::string_view text);

// RTCSignalingState (plus closed, which the W3C models as a separate flag).
enum class SignalingState : uint8_t {
  kStable,
  kHaveLocalOffer,
  kHaveRemoteOffer,
  kHaveLocalPranswer,
  kHaveRemotePranswer,
  kClosed,
};
std::string_view ToString(SignalingState state);

enum class MediaKind : uint8_t { kAudio, kVideo, kData };
std::string_view ToString(MediaKind kind);  // the m= media token: "audio", "video", "application"

struct RtcpFeedback {
  std::string type;       // "nack", "ccm", "goog-remb", "transport-cc"
  std::string parameter;  // "pli", "fir" or empty
  bool operator==(const RtcpFeedback&) const = default;
};

// One RTP codec: rtpmap + fmtp + rtcp-fb of one payload type.
struct CodecSpec {
  uint8_t payload_type = 0;
  std::string name;  // "opus", "VP8", "H264", "rtx", "red", "telephone-event", ...
  uint32_t clock_rate = 0;
  std::optional<uint32_t> channels;  // audio: absent means 1
  std::string fmtp;                  // "minptime=10;useinbandfec=1", "apt=96", or empty
  std::vector<RtcpFeedback> feedback;
  bool operator==(const CodecSpec&) const = default;
};

struct HeaderExtensionSpec {
  uint16_t id = 0;
  std::string uri;
  bool operator==(const HeaderExtensionSpec&) const = default;
};

struct SimulcastLayer {
  std::string rid;
  bool paused = false;
  bool operator==(const SimulcastLayer&) const = default;
};

// What this side has for one m= section: a transceiver (audio/video) or the data channel section.
struct MediaSpec {
  MediaKind kind = MediaKind::kData;
  // Empty until the section is negotiated: JsepSession assigns it when an offer that carries the
  // section is applied (local or remote), and keeps it for the section's life.
  std::string mid;
  Direction direction = Direction::kSendRecv;  // audio/video: what this side wants
  std::vector<CodecSpec> codecs;               // in preference order
  std::vector<HeaderExtensionSpec> header_extensions;
  std::optional<Msid> msid;         // when sending
  std::string cname;                // a=ssrc:<ssrc> cname:<cname>, when ssrcs are given
  std::vector<uint32_t> ssrcs;      // sending ssrcs (primary, then rtx, ...)
  std::vector<SsrcGroup> ssrc_groups;  // "FID <primary> <rtx>", "SIM ..."
  std::vector<SimulcastLayer> send_layers;  // RFC 8853 send simulcast with these rids
  bool receive_simulcast = true;            // answer a remote "simulcast:send" with recv
  // kData (RFC 8841).
  uint16_t sctp_port = 5000;
  uint64_t max_message_size = 262144;
  // A stopped transceiver: its section is offered/answered with port 0 and never reused.
  bool stopped = false;
};

// This side's transport: one ICE/DTLS transport for every bundled section.
struct TransportSpec {
  std::string ice_ufrag;  // RFC 8839 §5.4: 4-256 ice-chars
  std::string ice_pwd;    // 22-256 ice-chars
  bool ice_trickle = true;
  bool ice_lite = false;
  std::vector<Fingerprint> fingerprints;  // at least one (RFC 8122; sha-256 for WebRTC)
  std::vector<Candidate> candidates;      // gathered so far; written into the first bundled section
  bool end_of_candidates = false;
};

struct JsepOptions {
  std::string session_id = "1";  // o= sess-id: decimal digits (lib/pc draws it from its Random)
  std::string origin_username = "-";
  // Answering an actpass offer (RFC 8842 §5.3): kActive (JSEP's choice, and libwebrtc's) or kPassive.
  SetupRole answer_role = SetupRole::kActive;
  // For offered audio/video sections no MediaSpec claims: answered recvonly with these codecs and
  // extensions (a W3C "recvonly transceiver created by setRemoteDescription"), rejected when empty.
  std::vector<CodecSpec> audio_codecs;
  std::vector<CodecSpec> video_codecs;
  std::vector<HeaderExtensionSpec> audio_extensions;
  std::vector<HeaderExtensionSpec> video_extensions;
  // Accept an offered data channel section that no MediaSpec claims, with these values.
  bool accept_data_channels = true;
  uint16_t sctp_port = 5000;
  uint64_t max_message_size = 262144;
};

// The result of one completed exchange (answer or pranswer), from this side's point of view.
struct NegotiatedMedia {
  std::string mid;
  MediaKind kind = MediaKind::kData;
  bool rejected = false;
  Direction direction = Direction::kInactive;  // this side's: sendonly = we send
  std::vector<CodecSpec> codecs;               // the answer's, with the offer's payload types
  std::vector<HeaderExtensionSpec> header_extensions;
  // What the remote side described for this section.
  std::vector<Msid> remote_msids;
  std::vector<SsrcAttribute> remote_ssrcs;
  std::vector<SsrcGroup> remote_ssrc_groups;
  std::vector<SimulcastLayer> send_layers;     // rids this side sends (accepted by the remote)
  std::vector<SimulcastLayer> receive_layers;  // rids the remote sends
  // kData: the SCTP ports of both ends and the remote's max-message-size (65536 when absent,
  // RFC 8841 §6.1; 0 means no limit).
  uint16_t local_sctp_port = 0;
  uint16_t remote_sctp_port = 0;
  uint64_t remote_max_message_size = 0;
  bool operator==(const NegotiatedMedia&) const = default;
};

struct NegotiatedSession {
  bool local_is_offerer = false;
  SetupRole local_setup = SetupRole::kActive;  // kActive or kPassive
  bool dtls_client() const { return local_setup == SetupRole::kActive; }
  std::string remote_ice_ufrag;
  std::string remote_ice_pwd;
  std::vector<std::string> remote_ice_options;
  bool remote_ice_lite = false;
  std::vector<Fingerprint> remote_fingerprints;
  std::vector<Candidate> remote_candidates;  // from every bundled section, without duplicates
  bool remote_end_of_candidates = false;
  std::vector<std::string> bundle_mids;  // the accepted BUNDLE group; the first is the tag
  std::vector<NegotiatedMedia> media;    // in m= order

  const NegotiatedMedia* FindMedia(std::string_view mid) const;
  const NegotiatedMedia* data() const;  // the data channel section, when accepted
  bool operator==(const NegotiatedSession&) const = default;
};

// --- Checks ---------------------------------------------------------------------------------------

// RFC 8839 §5.4: ufrag 4-256 and pwd 22-256 characters from ALPHA / DIGIT / "+" / "/".
absl::Status ValidateIceCredentials(std::string_view ufrag, std::string_view pwd);
// RFC 8122 §5: a known hash name and colon-separated hex bytes of its digest length.
absl::Status ValidateFingerprint(const Fingerprint& fingerprint);

// Everything a description must satisfy before it is applied (local or remote): a mid on every
// section, unique; BUNDLE groups naming existing, non-rejected sections, no mid in two groups; for
// each used transport, ICE credentials (valid), a fingerprint (valid) and a setup role allowed for
// `type` (offers: actpass/active/passive; answers: active/passive); rtcp-mux on bundled RTP sections;
// RTP sections with rtpmaps for dynamic payload types. A rollback has nothing to check.
absl::Status ValidateDescription(const SessionDescription& description, SdpType type);
// An answer (or pranswer) to `offer`: the same number of sections, same media and mids in the same
// order; no section accepted that the offer rejected; a BUNDLE group that is a subset of the offer's.
absl::Status ValidateAnswerMatchesOffer(const SessionDescription& offer, const SessionDescription& answer);

// --- Building descriptions ------------------------------------------------------------------------

// Which section of `previous` a spec continues, etc.: the current descriptions for renegotiation.
struct OfferContext {
  uint64_t session_version = 1;
  const SessionDescription* current_local = nullptr;   // after a completed exchange
  const SessionDescription* current_remote = nullptr;
};

// RFC 8829 §5.2.1 (initial) and §5.2.2 (subsequent) offers. Sections of current_local keep their
// position, mid, payload types and extension ids (a section whose spec is gone or stopped is offered
// with port 0); specs without a mid get new sections at the end, with fresh mids that were never used.
absl::StatusOr<SessionDescription> BuildOffer(const JsepOptions& options, const TransportSpec& transport,
                                              std::span<const MediaSpec> media, const OfferContext& context);

struct AnswerContext {
  uint64_t session_version = 1;
  // The DTLS role from the completed exchange, kept across renegotiation (RFC 8842 §5.5).
  std::optional<SetupRole> current_role;
};

// RFC 8829 §5.3.1 (initial) and §5.3.2 (subsequent) answers. Each offered section is answered by the
// spec with its mid (JsepSession assigns mids first), else by JsepOptions' defaults, else rejected.
absl::StatusOr<SessionDescription> BuildAnswer(const JsepOptions& options, const TransportSpec& transport,
                                               const SessionDescription& offer,
                                               std::span<const MediaSpec> media, const AnswerContext& context);

// What an offer/answer pair means for this side. `offer` and `answer` must have passed
// ValidateDescription and ValidateAnswerMatchesOffer.
absl::StatusOr<NegotiatedSession> Negotiate(const SessionDescription& offer, const SessionDescription& answer,
                                            bool local_is_offerer);

// --- The signalling state machine -----------------------------------------------------------------

// One side of a peer connection's signalling (webrtc-pc §4.4.1.5-§4.4.1.6). Errors: FailedPrecondition
// for a call not allowed in the current state (the W3C InvalidStateError), InvalidArgument for a
// description that is malformed or does not fit (InvalidAccessError / OperationError). A failed call
// changes nothing. A plain value with no locks: lib/pc uses it from the connection's loop thread only.
//
//   JsepSession session(options, transport);
//   session.AddMedia(MediaSpec{});                       // a data channel section
//   absl::StatusOr<SessionDescription> offer = session.CreateOffer();
//   session.SetLocalDescription(SdpType::kOffer, *offer);  // -> have-local-offer; mids assigned
//   ... send Serialize(*offer), receive the answer text ...
//   session.SetRemoteDescription(SdpType::kAnswer, *Parse(answer_text));  // -> stable
//   const NegotiatedSession& n = *session.negotiated();  // ICE credentials, DTLS role, SCTP ports
class JsepSession {
 public:
  JsepSession(JsepOptions options, TransportSpec transport);

  // What this side has. A spec added later is offered in the next CreateOffer (or answers a remote
  // section of its kind that no spec claims); existing sections keep their mids and order. A remote
  // offer's audio/video/data section that no spec claims adds a spec built from JsepOptions (recvonly
  // audio/video with the default codecs), as a W3C setRemoteDescription adds a transceiver.
  size_t AddMedia(MediaSpec spec);
  std::vector<MediaSpec>& media() { return media_; }
  const std::vector<MediaSpec>& media() const { return media_; }
  // New credentials (an ICE restart) or candidates are used by the next description created.
  TransportSpec& transport() { return transport_; }
  const JsepOptions& options() const { return options_; }

  // Allowed in stable and have-local-offer.
  absl::StatusOr<SessionDescription> CreateOffer() const;
  // Allowed in have-remote-offer and have-local-pranswer.
  absl::StatusOr<SessionDescription> CreateAnswer() const;

  absl::Status SetLocalDescription(SdpType type, const SessionDescription& description);
  absl::Status SetRemoteDescription(SdpType type, const SessionDescription& description);
  // SetLocalDescription(kRollback, {}): back to stable from have-local-offer or have-remote-offer.
  absl::Status Rollback();
  void Close();

  SignalingState signaling_state() const { return state_; }
  const std::optional<SessionDescription>& current_local_description() const { return current_local_; }
  const std::optional<SessionDescription>& pending_local_description() const { return pending_local_; }
  const std::optional<SessionDescription>& current_remote_description() const { return current_remote_; }
  const std::optional<SessionDescription>& pending_remote_description() const { return pending_remote_; }
  // The latest exchange applied (answer, or pranswer while it is pending).
  const std::optional<NegotiatedSession>& negotiated() const { return negotiated_; }

 private:
  absl::Status ApplyRollback();
  absl::Status Complete(const SessionDescription& offer, const SessionDescription& answer, bool local_is_offerer);
  // Gives each offered section no spec claims to the first spec of its kind without a mid; for a
  // remote offer, a section left over gets a new spec from JsepOptions (the W3C transceiver that
  // setRemoteDescription creates), when JsepOptions allows it.
  void AssignMids(const SessionDescription& offer, bool remote);
  void RestoreMids();
  uint64_t NextVersion() const;

  JsepOptions options_;
  TransportSpec transport_;
  std::vector<MediaSpec> media_;
  SignalingState state_ = SignalingState::kStable;
  std::optional<SessionDescription> current_local_;
  std::optional<SessionDescription> pending_local_;
  std::optional<SessionDescription> current_remote_;
  std::optional<SessionDescription> pending_remote_;
  std::optional<NegotiatedSession> negotiated_;
  std::vector<std::string> mids_before_offer_;  // restored by a rollback
  size_t specs_before_offer_ = 0;
  std::vector<bool> created_by_offer_;          // specs a remote offer added, removed by a rollback
  uint64_t version_ = 0;                        // o= sess-version of the last local description
};

}  // namespace tern::sdp

#endif  // TERN_SDP_JSEP_H_
