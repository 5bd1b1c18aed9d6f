// The SDP model (RFC 8866) with the attributes WebRTC uses as typed fields, its parser and its
// serializer.
//
// Typed attributes: BUNDLE groups (RFC 8843 §7), msid-semantic and msid (RFC 8830), ice-ufrag/ice-pwd/
// ice-options/ice-lite/candidate/end-of-candidates (RFC 8839 §5), fingerprint (RFC 8122 §5), setup
// (RFC 4145 §4, RFC 8842), mid (RFC 5888 §4), directions (RFC 8866 §6.7), rtcp (RFC 3605), rtcp-mux and
// rtcp-mux-only (RFC 5761, RFC 8858), rtcp-rsize (RFC 5506), rtpmap/fmtp (RFC 8866 §6.6, §6.15),
// rtcp-fb (RFC 4585 §4.2), extmap and extmap-allow-mixed (RFC 8285 §8, §6), ssrc and ssrc-group
// (RFC 5576), rid (RFC 8851), simulcast (RFC 8853), sctp-port and max-message-size (RFC 8841), the
// legacy sctpmap, and bundle-only (RFC 8843 §6). Every other attribute is kept, in order, in
// `other_attributes` of its level.
//
// Parse is tolerant of what WebRTC stacks send: CRLF or LF line ends, trailing whitespace, blank
// lines, a space after "a=name:" (Chrome's "a=msid-semantic: WMS"), session-level lines after t=,
// unknown attributes at either level. It rejects, with an InvalidArgument status that names the line
// number: input over kMaxSdpSize, a line over kMaxLineLength, a missing or misplaced v=/o=/s=/t=, an
// unknown or repeated type letter where only one is allowed, a malformed o=/c=/b=/t=/m= line, a port
// over 65535, an RTP payload type that is not a number 0-127, more than the limits below, and typed
// attributes that do not match their grammar (a repeated mid, an extmap id out of range, ...).
//
// Serialize writes CRLF-terminated lines in the order of RFC 8866 §5 (v o s i u e p c b t r z k a*,
// then each m= section: m i c b k a*); within a level the attributes come in a fixed canonical order
// (typed ones first, then `other_attributes` in their order, candidates last). For any text x that
// Parse accepts, Parse(Serialize(Parse(x))) == Parse(x), and Serialize is then a fixed point.
#ifndef TERN_SDP_SESSION_DESCRIPTION_H_
#define TERN_SDP_SESSION_DESCRIPTION_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tern/sdp/candidate.h"

namespace tern::sdp {

// Limits against absurd input (each is far above what any browser sends).
inline constexpr size_t kMaxSdpSize = 256 * 1024;
inline constexpr size_t kMaxLineLength = 4096;
inline constexpr size_t kMaxMediaSections = 256;
inline constexpr size_t kMaxFormatsPerSection = 128;
inline constexpr size_t kMaxAttributesPerLevel = 1024;  // a= lines in one session or media level
inline constexpr size_t kMaxListItems = 64;             // ids in a group, ssrcs in a group, rids, ...

// RFC 8866 §6.7.
enum class Direction : uint8_t { kSendRecv, kSendOnly, kRecvOnly, kInactive };
std::string_view ToString(Direction direction);
std::optional<Direction> ParseDirection(std::string_view text);
// The direction the other side sees: sendonly <-> recvonly.
Direction Reverse(Direction direction);
bool Sends(Direction direction);
bool Receives(Direction direction);
Direction MakeDirection(bool send, bool receive);

// RFC 4145 §4 / RFC 8842 §5: which side opens the DTLS association (active = DTLS client).
enum class SetupRole : uint8_t { kActPass, kActive, kPassive, kHoldConn };
std::string_view ToString(SetupRole role);
std::optional<SetupRole> ParseSetupRole(std::string_view text);

// An attribute without a typed field: "a=name" (no value) or "a=name:value".
struct Attribute {
  std::string name;
  std::optional<std::string> value;
  bool operator==(const Attribute&) const = default;
};

// o= (RFC 8866 §5.2). session_id and session_version are decimal digits (up to 20: uint64).
struct Origin {
  std::string username = "-";
  std::string session_id = "0";
  uint64_t session_version = 0;
  std::string net_type = "IN";
  std::string address_type = "IP4";
  std::string address = "0.0.0.0";
  bool operator==(const Origin&) const = default;
};

// c= (RFC 8866 §5.7). The address is kept as written (it may carry /ttl/count for multicast).
struct ConnectionData {
  std::string net_type = "IN";
  std::string address_type = "IP4";
  std::string address = "0.0.0.0";
  bool operator==(const ConnectionData&) const = default;
};

// b= (RFC 8866 §5.8): "AS", "CT", "TIAS" or an X- type.
struct Bandwidth {
  std::string type;
  uint64_t value = 0;
  bool operator==(const Bandwidth&) const = default;
};

// t= and its r= lines (RFC 8866 §5.9, §5.10); repeat lines are kept as written.
struct Timing {
  uint64_t start = 0;
  uint64_t stop = 0;
  std::vector<std::string> repeats;
  bool operator==(const Timing&) const = default;
};

// a=fingerprint (RFC 8122 §5): a hash function name ("sha-256") and colon-separated hex bytes, both
// as written.
struct Fingerprint {
  std::string algorithm;
  std::string value;
  bool operator==(const Fingerprint&) const = default;
};

// a=group (RFC 5888 §5), e.g. "BUNDLE 0 1 2" (RFC 8843).
struct Group {
  std::string semantics;
  std::vector<std::string> mids;
  bool operator==(const Group&) const = default;
};

// a=msid-semantic (draft-ietf-mmusic-msid, still sent by libwebrtc and Firefox), e.g. "WMS" or
// "WMS *" or "WMS stream-a".
struct MsidSemantic {
  std::string semantic;
  std::vector<std::string> ids;
  bool operator==(const MsidSemantic&) const = default;
};

// a=msid (RFC 8830 §2): a stream id ("-" for none) and an optional track id ("appdata").
struct Msid {
  std::string stream_id;
  std::optional<std::string> track_id;
  bool operator==(const Msid&) const = default;
};

// a=rtpmap (RFC 8866 §6.6).
struct RtpMap {
  uint8_t payload_type = 0;
  std::string encoding;  // as written, e.g. "opus", "VP8", "H264", "rtx"
  uint32_t clock_rate = 0;
  std::optional<uint32_t> channels;
  bool operator==(const RtpMap&) const = default;
};

// a=fmtp (RFC 8866 §6.15): the format parameters as written ("minptime=10;useinbandfec=1").
struct Fmtp {
  uint8_t payload_type = 0;
  std::string parameters;
  bool operator==(const Fmtp&) const = default;
};

// a=rtcp-fb (RFC 4585 §4.2): "96 nack pli", "* transport-cc".
struct RtcpFb {
  std::optional<uint8_t> payload_type;  // nullopt is "*"
  std::string type;                     // "nack", "ccm", "goog-remb", "transport-cc", ...
  std::string parameter;                // "pli", "fir", or empty
  bool operator==(const RtcpFb&) const = default;
};

// a=extmap (RFC 8285 §8): "<id>[/<direction>] <uri> [<attributes>]", id 1-14 (one-byte) or 1-255
// (two-byte; 4096-4351 are not used by WebRTC and are refused).
struct Extmap {
  uint16_t id = 0;
  std::optional<Direction> direction;
  std::string uri;
  std::string attributes;
  bool operator==(const Extmap&) const = default;
};

// a=ssrc (RFC 5576 §4.1): "<ssrc> <attribute>[:<value>]".
struct SsrcAttribute {
  uint32_t ssrc = 0;
  std::string attribute;  // "cname", "msid", ...
  std::optional<std::string> value;
  bool operator==(const SsrcAttribute&) const = default;
};

// a=ssrc-group (RFC 5576 §4.2): "FID 1 2", "SIM 1 2 3", "FEC-FR 1 2".
struct SsrcGroup {
  std::string semantics;
  std::vector<uint32_t> ssrcs;
  bool operator==(const SsrcGroup&) const = default;
};

// a=rid (RFC 8851 §10): "<id> send|recv [pt=96,97;max-width=1280;...]".
enum class RidDirection : uint8_t { kSend, kRecv };
struct RidRestriction {
  std::string name;
  std::string value;  // empty for a restriction without "="
  bool operator==(const RidRestriction&) const = default;
};
struct Rid {
  std::string id;
  RidDirection direction = RidDirection::kSend;
  std::vector<uint8_t> payload_types;  // "pt=" values
  std::vector<RidRestriction> restrictions;  // the others, in order
  bool operator==(const Rid&) const = default;
};

// a=simulcast (RFC 8853 §5.1): "send 1;2,~3 recv 4". Each stream is a list of alternative rids; a
// leading "~" marks a paused rid.
struct SimulcastRid {
  std::string rid;
  bool paused = false;
  bool operator==(const SimulcastRid&) const = default;
};
using SimulcastStream = std::vector<SimulcastRid>;  // alternatives, separated by ","
struct Simulcast {
  std::vector<SimulcastStream> send;
  std::vector<SimulcastStream> recv;
  bool operator==(const Simulcast&) const = default;
};

// a=rtcp (RFC 3605).
struct RtcpAddress {
  uint16_t port = 9;
  std::optional<ConnectionData> connection;
  bool operator==(const RtcpAddress&) const = default;
};

// a=sctpmap (draft-ietf-mmusic-sctp-sdp-05, still sent by old aiortc and some gateways):
// "5000 webrtc-datachannel 1024".
struct SctpMap {
  uint16_t number = 0;
  std::string app;
  std::optional<uint32_t> streams;
  bool operator==(const SctpMap&) const = default;
};

// One m= section and its lines (RFC 8866 §5.14).
struct MediaSection {
  std::string media = "application";  // "audio", "video", "application" or another token
  uint16_t port = 9;
  std::optional<uint32_t> port_count;  // "m=video 49170/2 ..."
  std::string protocol = "UDP/DTLS/SCTP";
  std::vector<std::string> formats;  // payload types for RTP profiles (checked to be 0-127)
  std::optional<std::string> title;  // i=
  std::vector<ConnectionData> connections;
  std::vector<Bandwidth> bandwidths;
  std::optional<std::string> key;  // k= (obsolete, kept)

  std::optional<std::string> mid;
  std::optional<std::string> ice_ufrag;
  std::optional<std::string> ice_pwd;
  std::vector<std::string> ice_options;
  std::vector<Fingerprint> fingerprints;
  std::optional<SetupRole> setup;
  std::optional<Direction> direction;  // nullopt when absent (sendrecv by default)
  bool bundle_only = false;
  std::optional<RtcpAddress> rtcp;
  bool rtcp_mux = false;
  bool rtcp_mux_only = false;
  bool rtcp_rsize = false;
  std::vector<Msid> msids;
  // rtpmap, rtcp-fb and fmtp are kept sorted by the position of their payload type in `formats`
  // (payload types that are not in `formats` last), each list stable otherwise.
  std::vector<RtpMap> rtpmaps;
  std::vector<RtcpFb> rtcp_fbs;
  std::vector<Fmtp> fmtps;
  std::vector<Extmap> extmaps;
  bool extmap_allow_mixed = false;
  std::vector<SsrcGroup> ssrc_groups;
  std::vector<SsrcAttribute> ssrcs;
  std::vector<Rid> rids;
  std::optional<Simulcast> simulcast;
  std::optional<uint16_t> sctp_port;
  std::optional<uint64_t> max_message_size;
  std::optional<SctpMap> sctpmap;
  std::vector<Attribute> other_attributes;
  std::vector<Candidate> candidates;
  bool end_of_candidates = false;

  bool operator==(const MediaSection&) const = default;

  // "RTP/AVP", "UDP/TLS/RTP/SAVPF", ...: the formats are RTP payload types.
  bool IsRtp() const;
  // UDP/DTLS/SCTP, TCP/DTLS/SCTP or DTLS/SCTP (RFC 8841 §4.4 and the legacy form).
  bool IsSctp() const;
  // Port 0 (RFC 8866 §5.14), unless bundle-only (RFC 8843 §6): a rejected or removed section.
  bool IsRejected() const { return port == 0 && !bundle_only; }
  Direction EffectiveDirection() const { return direction.value_or(Direction::kSendRecv); }
  const RtpMap* FindRtpMap(uint8_t payload_type) const;
  const Fmtp* FindFmtp(uint8_t payload_type) const;
};

struct SessionDescription {
  Origin origin;
  std::string session_name = "-";
  std::optional<std::string> info;  // i=
  std::optional<std::string> uri;   // u=
  std::vector<std::string> emails;  // e=
  std::vector<std::string> phones;  // p=
  std::optional<ConnectionData> connection;
  std::vector<Bandwidth> bandwidths;
  std::vector<Timing> timings = {Timing{}};  // at least one t=
  std::optional<std::string> zone;           // z=
  std::optional<std::string> key;            // k=

  std::vector<Group> groups;
  std::vector<MsidSemantic> msid_semantics;
  bool extmap_allow_mixed = false;
  bool ice_lite = false;
  std::optional<std::string> ice_ufrag;
  std::optional<std::string> ice_pwd;
  std::vector<std::string> ice_options;
  std::vector<Fingerprint> fingerprints;
  std::optional<SetupRole> setup;
  std::optional<Direction> direction;
  std::vector<Extmap> extmaps;
  std::vector<Attribute> other_attributes;

  std::vector<MediaSection> media;

  bool operator==(const SessionDescription&) const = default;

  // The first group with these semantics ("BUNDLE"), compared case-insensitively.
  const Group* FindGroup(std::string_view semantics) const;
  const MediaSection* FindMedia(std::string_view mid) const;
  MediaSection* FindMedia(std::string_view mid);
};

absl::StatusOr<SessionDescription> Parse(std::string_view text);
std::string Serialize(const SessionDescription& description);

// Whether two tokens are equal ignoring ASCII case (codec names, transports, hash names).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace tern::sdp

#endif  // TERN_SDP_SESSION_DESCRIPTION_H_
