// JSEP offer/answer (RFC 8829 §5), BUNDLE (RFC 8843), DTLS roles (RFC 8842), codec and extension
// negotiation, and the W3C signalling state machine (webrtc-pc §4.3.1).
#include "tern/sdp/jsep.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sdp/text.h"
#include "tern/base/strings.h"

namespace tern::sdp {

std::string_view ToString(SdpType type) {
  switch (type) {
    case SdpType::kOffer:
      return "offer";
    case SdpType::kPranswer:
      return "pranswer";
    case SdpType::kAnswer:
      return "answer";
    case SdpType::kRollback:
      return "rollback";
  }
  return "rollback";
}

std::optional<SdpType> ParseSdpType(std::string_view text) {
  if (text == "offer") return SdpType::kOffer;
  if (text == "pranswer") return SdpType::kPranswer;
  if (text == "answer") return SdpType::kAnswer;
  if (text == "rollback") return SdpType::kRollback;
  return std::nullopt;
}

std::string_view ToString(SignalingState state) {
  switch (state) {
    case SignalingState::kStable:
      return "stable";
    case SignalingState::kHaveLocalOffer:
      return "have-local-offer";
    case SignalingState::kHaveRemoteOffer:
      return "have-remote-offer";
    case SignalingState::kHaveLocalPranswer:
      return "have-local-pranswer";
    case SignalingState::kHaveRemotePranswer:
      return "have-remote-pranswer";
    case SignalingState::kClosed:
      return "closed";
  }
  return "closed";
}

std::string_view ToString(MediaKind kind) {
  switch (kind) {
    case MediaKind::kAudio:
      return "audio";
    case MediaKind::kVideo:
      return "video";
    case MediaKind::kData:
      return "application";
  }
  return "application";
}

const NegotiatedMedia* NegotiatedSession::FindMedia(std::string_view mid) const {
  for (const NegotiatedMedia& m : media) {
    if (m.mid == mid) return &m;
  }
  return nullptr;
}

const NegotiatedMedia* NegotiatedSession::data() const {
  for (const NegotiatedMedia& m : media) {
    if (m.kind == MediaKind::kData && !m.rejected) return &m;
  }
  return nullptr;
}

namespace {

absl::Status Invalid(std::string_view message) { return absl::InvalidArgumentError(ToAbsl(message)); }
absl::Status WrongState(std::string_view call, SignalingState state) {
  return absl::FailedPreconditionError(
      absl::StrCat(ToAbsl(call), " is not allowed in signaling state ", ToAbsl(ToString(state))));
}

std::string MidName(const MediaSection& m, size_t index) {
  return m.mid ? absl::StrCat("m= section \"", ToAbsl(*m.mid), "\"") : absl::StrCat("m= section ", index);
}

// --- Effective transport attributes (media level, else session level) ------------------------------

const std::optional<std::string>& UfragOf(const SessionDescription& d, const MediaSection& m) {
  return m.ice_ufrag ? m.ice_ufrag : d.ice_ufrag;
}
const std::optional<std::string>& PwdOf(const SessionDescription& d, const MediaSection& m) {
  return m.ice_pwd ? m.ice_pwd : d.ice_pwd;
}
const std::vector<Fingerprint>& FingerprintsOf(const SessionDescription& d, const MediaSection& m) {
  return m.fingerprints.empty() ? d.fingerprints : m.fingerprints;
}
const std::vector<std::string>& IceOptionsOf(const SessionDescription& d, const MediaSection& m) {
  return m.ice_options.empty() ? d.ice_options : m.ice_options;
}
// RFC 4145 §4: "active" when absent.
SetupRole SetupOf(const SessionDescription& d, const MediaSection& m) {
  return m.setup.value_or(d.setup.value_or(SetupRole::kActive));
}
Direction DirectionOf(const SessionDescription& d, const MediaSection& m) {
  return m.direction.value_or(d.direction.value_or(Direction::kSendRecv));
}

std::optional<MediaKind> KindOf(const MediaSection& m) {
  if (m.media == "audio") return MediaKind::kAudio;
  if (m.media == "video") return MediaKind::kVideo;
  if (m.media == "application") return MediaKind::kData;
  return std::nullopt;
}

// A data channel section: SCTP over DTLS carrying webrtc-datachannel (RFC 8841; or the legacy
// "DTLS/SCTP <port>" form with an sctpmap).
bool IsDataChannelSection(const MediaSection& m) {
  if (m.media != "application" || !m.IsSctp()) return false;
  if (m.protocol == "DTLS/SCTP") return !m.sctpmap || m.sctpmap->app == "webrtc-datachannel";
  return std::find(m.formats.begin(), m.formats.end(), "webrtc-datachannel") != m.formats.end();
}

// An RTP section tern can negotiate: SRTP keyed by DTLS (RFC 8827 requires it).
bool IsSecureRtpSection(const MediaSection& m) {
  return (m.media == "audio" || m.media == "video") && m.IsRtp() && m.protocol.find("SAVP") != std::string::npos;
}

uint16_t SctpPortOf(const MediaSection& m) {
  if (m.sctp_port) return *m.sctp_port;
  if (m.sctpmap) return m.sctpmap->number;
  if (m.protocol == "DTLS/SCTP" && !m.formats.empty()) {
    std::optional<uint64_t> port = ParseDecimal(m.formats[0]);
    if (port && *port <= 65535) return static_cast<uint16_t>(*port);
  }
  return 5000;  // RFC 8841 §5.1 default
}

// --- Codecs --------------------------------------------------------------------------------------------

// RFC 3551 §6 static payload types WebRTC stacks send without an rtpmap.
std::optional<CodecSpec> StaticCodec(uint8_t pt) {
  switch (pt) {
    case 0:
      return CodecSpec{0, "PCMU", 8000, std::nullopt, "", {}};
    case 8:
      return CodecSpec{8, "PCMA", 8000, std::nullopt, "", {}};
    case 9:
      return CodecSpec{9, "G722", 8000, std::nullopt, "", {}};
    case 13:
      return CodecSpec{13, "CN", 8000, std::nullopt, "", {}};
    default:
      return std::nullopt;
  }
}

// The codecs of an RTP section in m= line order: rtpmap + fmtp + rtcp-fb (its own and "*").
std::vector<CodecSpec> CodecsOf(const MediaSection& m) {
  std::vector<CodecSpec> out;
  for (const std::string& f : m.formats) {
    std::optional<uint64_t> pt = ParseDecimal(f);
    if (!pt || *pt > 127) continue;
    uint8_t p = static_cast<uint8_t>(*pt);
    CodecSpec c;
    if (const RtpMap* r = m.FindRtpMap(p)) {
      c = CodecSpec{p, r->encoding, r->clock_rate, r->channels, "", {}};
    } else if (std::optional<CodecSpec> s = StaticCodec(p)) {
      c = *s;
    } else {
      continue;
    }
    if (const Fmtp* fmtp = m.FindFmtp(p)) c.fmtp = fmtp->parameters;
    for (const RtcpFb& fb : m.rtcp_fbs) {
      if (!fb.payload_type || *fb.payload_type == p) {
        RtcpFeedback feedback{fb.type, fb.parameter};
        if (std::find(c.feedback.begin(), c.feedback.end(), feedback) == c.feedback.end()) {
          c.feedback.push_back(std::move(feedback));
        }
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

// fmtp "a=1;b=2" parameter lookup (names compared case-insensitively).
std::optional<std::string> FmtpParameter(std::string_view fmtp, std::string_view name) {
  for (std::string_view p : Split(fmtp, ';')) {
    p = Trim(p);
    size_t eq = p.find('=');
    if (eq == std::string_view::npos) continue;
    if (EqualsIgnoreCase(Trim(p.substr(0, eq)), name)) return std::string(Trim(p.substr(eq + 1)));
  }
  return std::nullopt;
}

bool IsRtx(const CodecSpec& c) { return EqualsIgnoreCase(c.name, "rtx"); }

std::optional<uint8_t> AptOf(const CodecSpec& c) {
  std::optional<std::string> apt = FmtpParameter(c.fmtp, "apt");
  if (!apt) return std::nullopt;
  std::optional<uint64_t> pt = ParseDecimal(*apt);
  if (!pt || *pt > 127) return std::nullopt;
  return static_cast<uint8_t>(*pt);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

// Whether two codec descriptions name the same codec (RFC 8829 §5.3.1 / RFC 6184 §8.2.2 for H.264).
bool SameCodec(const CodecSpec& a, const CodecSpec& b) {
  if (!EqualsIgnoreCase(a.name, b.name) || a.clock_rate != b.clock_rate) return false;
  if (a.channels.value_or(1) != b.channels.value_or(1)) return false;
  auto param = [](const CodecSpec& c, std::string_view name, std::string_view fallback) {
    return Lower(FmtpParameter(c.fmtp, name).value_or(std::string(fallback)));
  };
  if (EqualsIgnoreCase(a.name, "H264")) {
    // The profile (profile_idc and profile-iop, the first 4 hex digits) and the packetization mode
    // must agree; the level may differ (level-asymmetry-allowed).
    std::string pa = param(a, "profile-level-id", "420010"), pb = param(b, "profile-level-id", "420010");
    return pa.substr(0, 4) == pb.substr(0, 4) &&
           param(a, "packetization-mode", "0") == param(b, "packetization-mode", "0");
  }
  if (EqualsIgnoreCase(a.name, "VP9")) return param(a, "profile-id", "0") == param(b, "profile-id", "0");
  if (EqualsIgnoreCase(a.name, "AV1")) return param(a, "profile", "0") == param(b, "profile", "0");
  return true;
}

std::vector<RtcpFeedback> IntersectFeedback(const std::vector<RtcpFeedback>& a, const std::vector<RtcpFeedback>& b) {
  std::vector<RtcpFeedback> out;
  for (const RtcpFeedback& f : a) {
    if (std::find(b.begin(), b.end(), f) != b.end()) out.push_back(f);
  }
  return out;
}

// The answer's codecs for an offered section (RFC 8829 §5.3.1): this side's codecs in its own order
// that the offer also has, with the offer's payload types and names; each followed by an offered rtx
// for it when this side supports rtx. Feedback is the intersection.
std::vector<CodecSpec> AnswerCodecs(const std::vector<CodecSpec>& offered, const std::vector<CodecSpec>& local) {
  std::vector<CodecSpec> out;
  const CodecSpec* local_rtx = nullptr;
  for (const CodecSpec& l : local) {
    if (IsRtx(l)) local_rtx = &l;
  }
  std::set<uint8_t> used;
  for (const CodecSpec& l : local) {
    if (IsRtx(l)) continue;
    for (const CodecSpec& o : offered) {
      if (IsRtx(o) || used.count(o.payload_type) || !SameCodec(o, l)) continue;
      CodecSpec c = o;
      // Our receive parameters, except for codecs whose fmtp names payload types (red: "111/111").
      if (!EqualsIgnoreCase(o.name, "red")) c.fmtp = l.fmtp;
      c.feedback = IntersectFeedback(o.feedback, l.feedback);
      used.insert(o.payload_type);
      out.push_back(std::move(c));
      if (local_rtx) {
        for (const CodecSpec& r : offered) {
          if (IsRtx(r) && !used.count(r.payload_type) && r.clock_rate == o.clock_rate &&
              AptOf(r) == o.payload_type) {
            CodecSpec rtx = r;
            rtx.feedback = IntersectFeedback(r.feedback, local_rtx->feedback);
            used.insert(r.payload_type);
            out.push_back(std::move(rtx));
            break;
          }
        }
      }
      break;
    }
  }
  // red without a primary it protects is useless: drop an audio red whose payload types were refused.
  std::vector<CodecSpec> kept;
  for (const CodecSpec& c : out) {
    if (EqualsIgnoreCase(c.name, "red") && !c.fmtp.empty()) {
      bool ok = true;
      for (std::string_view pt : Split(c.fmtp, '/')) {
        std::optional<uint64_t> v = ParseDecimal(Trim(pt));
        if (!v || !used.count(static_cast<uint8_t>(*v & 0x7F)) || *v > 127) ok = false;
      }
      if (!ok) continue;
    }
    kept.push_back(c);
  }
  // No primary codec at all: nothing to send or receive.
  bool any_primary = false;
  for (const CodecSpec& c : kept) {
    if (!IsRtx(c) && !EqualsIgnoreCase(c.name, "red") && !EqualsIgnoreCase(c.name, "ulpfec") &&
        !EqualsIgnoreCase(c.name, "flexfec-03") && !EqualsIgnoreCase(c.name, "CN") &&
        !EqualsIgnoreCase(c.name, "telephone-event")) {
      any_primary = true;
    }
  }
  if (!any_primary) kept.clear();
  return kept;
}

void WriteCodecs(MediaSection& m, const std::vector<CodecSpec>& codecs) {
  m.formats.clear();
  for (const CodecSpec& c : codecs) {
    m.formats.push_back(absl::StrCat(c.payload_type));
    m.rtpmaps.push_back(RtpMap{c.payload_type, c.name, c.clock_rate, c.channels});
    for (const RtcpFeedback& f : c.feedback) m.rtcp_fbs.push_back(RtcpFb{c.payload_type, f.type, f.parameter});
    if (!c.fmtp.empty()) m.fmtps.push_back(Fmtp{c.payload_type, c.fmtp});
  }
}

// --- Section building ----------------------------------------------------------------------------------

struct DefaultAddress {
  uint16_t port = 9;
  ConnectionData connection;
};

// RFC 8829 §5.2.1: port 9 and 0.0.0.0 until a candidate exists; then the best component-1 candidate.
DefaultAddress DefaultAddressOf(const TransportSpec& t) {
  DefaultAddress d;
  const Candidate* best = nullptr;
  for (const Candidate& c : t.candidates) {
    if (c.component == 1 && (!best || c.priority > best->priority)) best = &c;
  }
  if (best) {
    d.port = best->port;
    d.connection.address_type = best->address.find(':') != std::string::npos ? "IP6" : "IP4";
    d.connection.address = best->address;
  }
  return d;
}

void WriteTransport(MediaSection& m, const TransportSpec& t, SetupRole setup, bool with_candidates) {
  m.ice_ufrag = t.ice_ufrag;
  m.ice_pwd = t.ice_pwd;
  if (t.ice_trickle) m.ice_options = {"trickle"};
  m.fingerprints = t.fingerprints;
  m.setup = setup;
  if (with_candidates) {
    m.candidates = t.candidates;
    m.end_of_candidates = t.end_of_candidates;
  }
}

MediaSection RejectedSection(const MediaSection& like) {
  MediaSection m;
  m.media = like.media;
  m.port = 0;
  m.protocol = like.protocol;
  m.formats = like.formats.empty() ? std::vector<std::string>{"0"} : std::vector<std::string>{like.formats[0]};
  m.connections.push_back(ConnectionData{});
  m.mid = like.mid;
  return m;
}

void WriteSending(MediaSection& m, const MediaSpec& spec, Direction direction) {
  if (!Sends(direction)) return;
  if (spec.msid) m.msids.push_back(*spec.msid);
  m.ssrc_groups = spec.ssrc_groups;
  for (uint32_t ssrc : spec.ssrcs) {
    if (!spec.cname.empty()) m.ssrcs.push_back(SsrcAttribute{ssrc, "cname", spec.cname});
    if (spec.msid) {
      std::string value = spec.msid->stream_id;
      if (spec.msid->track_id) absl::StrAppend(&value, " ", ToAbsl(*spec.msid->track_id));
      m.ssrcs.push_back(SsrcAttribute{ssrc, "msid", value});
    }
  }
}

std::string FreshMid(std::set<std::string>& used) {
  for (size_t i = 0;; ++i) {
    std::string mid = absl::StrCat(i);
    if (used.insert(mid).second) return mid;
  }
}

void AddSessionLines(SessionDescription& d, const JsepOptions& options, const TransportSpec& transport,
                     uint64_t version, const std::vector<std::string>& bundle,
                     std::span<const MediaSpec> media) {
  d.origin.username = options.origin_username;
  d.origin.session_id = options.session_id;
  d.origin.session_version = version;
  d.origin.address = "127.0.0.1";
  if (!bundle.empty()) d.groups.push_back(Group{"BUNDLE", bundle});
  MsidSemantic wms{"WMS", {}};
  for (const MediaSpec& s : media) {
    if (s.kind != MediaKind::kData && s.msid && s.msid->stream_id != "-" &&
        std::find(wms.ids.begin(), wms.ids.end(), s.msid->stream_id) == wms.ids.end()) {
      wms.ids.push_back(s.msid->stream_id);
    }
  }
  d.msid_semantics.push_back(std::move(wms));
  d.ice_lite = transport.ice_lite;
}

absl::Status CheckOptions(const JsepOptions& options, const TransportSpec& transport) {
  if (options.session_id.empty() || options.session_id.size() > 32 ||
      !std::all_of(options.session_id.begin(), options.session_id.end(), IsDigit)) {
    return Invalid("JsepOptions.session_id is not 1-32 decimal digits");
  }
  if (!IsVisible(options.origin_username)) return Invalid("JsepOptions.origin_username is not visible text");
  if (absl::Status s = ValidateIceCredentials(transport.ice_ufrag, transport.ice_pwd); !s.ok()) return s;
  if (transport.fingerprints.empty()) return Invalid("TransportSpec has no fingerprint");
  for (const Fingerprint& f : transport.fingerprints) {
    if (absl::Status s = ValidateFingerprint(f); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Renegotiation (RFC 8829 §5.2.2): a codec keeps the payload type the previous exchange gave it, its
// rtx follows, and a codec new to the section keeps its own payload type unless that is now taken,
// then gets the lowest free dynamic one (96-127, then 35-63).
std::vector<CodecSpec> KeepNegotiatedPayloadTypes(std::vector<CodecSpec> codecs, const std::vector<CodecSpec>& before) {
  std::vector<std::pair<uint8_t, uint8_t>> remap;  // spec payload type -> payload type used
  std::set<uint8_t> taken;
  std::vector<bool> placed(codecs.size(), false);
  auto remapped = [&](uint8_t pt) -> std::optional<uint8_t> {
    for (auto [from, to] : remap) {
      if (from == pt) return to;
    }
    return std::nullopt;
  };
  for (size_t i = 0; i < codecs.size(); ++i) {
    if (IsRtx(codecs[i])) continue;
    for (const CodecSpec& b : before) {
      if (!IsRtx(b) && !taken.count(b.payload_type) && SameCodec(b, codecs[i])) {
        remap.emplace_back(codecs[i].payload_type, b.payload_type);
        codecs[i].payload_type = b.payload_type;
        taken.insert(b.payload_type);
        placed[i] = true;
        break;
      }
    }
  }
  for (size_t i = 0; i < codecs.size(); ++i) {
    std::optional<uint8_t> apt = AptOf(codecs[i]);
    if (!IsRtx(codecs[i]) || !apt || !remapped(*apt)) continue;
    uint8_t target = *remapped(*apt);
    for (const CodecSpec& b : before) {
      if (IsRtx(b) && AptOf(b) == target && !taken.count(b.payload_type)) {
        codecs[i].payload_type = b.payload_type;
        taken.insert(b.payload_type);
        placed[i] = true;
        break;
      }
    }
  }
  auto free_pt = [&]() -> uint8_t {
    for (uint8_t pt = 96; pt <= 127; ++pt) {
      if (!taken.count(pt)) return pt;
    }
    for (uint8_t pt = 35; pt <= 63; ++pt) {
      if (!taken.count(pt)) return pt;
    }
    return 0;  // 127 codecs in one section: not reachable with kMaxFormatsPerSection
  };
  for (int pass = 0; pass < 2; ++pass) {  // primaries first, so rtx can follow them
    for (size_t i = 0; i < codecs.size(); ++i) {
      if (placed[i] || IsRtx(codecs[i]) != (pass == 1)) continue;
      uint8_t original = codecs[i].payload_type;
      if (taken.count(original)) codecs[i].payload_type = free_pt();
      if (pass == 0) remap.emplace_back(original, codecs[i].payload_type);
      taken.insert(codecs[i].payload_type);
      placed[i] = true;
    }
  }
  for (CodecSpec& c : codecs) {  // rtx names its codec's payload type as used now
    std::optional<uint8_t> apt = AptOf(c);
    if (!IsRtx(c) || !apt || !remapped(*apt) || *remapped(*apt) == *apt) continue;
    std::string fmtp;
    for (std::string_view p : Split(c.fmtp, ';')) {
      std::string_view t = Trim(p);
      size_t eq = t.find('=');
      bool is_apt = eq != std::string_view::npos && EqualsIgnoreCase(Trim(t.substr(0, eq)), "apt");
      absl::StrAppend(&fmtp, fmtp.empty() ? "" : ";",
                      is_apt ? absl::StrCat("apt=", *remapped(*apt)) : std::string(t));
    }
    c.fmtp = std::move(fmtp);
  }
  return codecs;
}

// A section for a spec in an offer. `previous` is the spec's section in the current local
// description (renegotiation): its payload types and extension ids are kept.
absl::StatusOr<MediaSection> OfferSection(const MediaSpec& spec, const std::string& mid, const MediaSection* previous) {
  MediaSection m;
  m.media = std::string(ToString(spec.kind));
  m.mid = mid;
  if (spec.kind == MediaKind::kData) {
    m.protocol = "UDP/DTLS/SCTP";
    m.formats = {"webrtc-datachannel"};
    m.sctp_port = spec.sctp_port;
    m.max_message_size = spec.max_message_size;
    return m;
  }
  if (spec.codecs.empty()) {
    return Invalid(absl::StrCat("the ", ToAbsl(ToString(spec.kind)), " MediaSpec for mid ", mid, " has no codecs"));
  }
  m.protocol = "UDP/TLS/RTP/SAVPF";
  // The spec's own payload types must be valid and distinct (checked before any remapping).
  std::set<uint8_t> pts;
  for (const CodecSpec& c : spec.codecs) {
    if (c.payload_type > 127 || !pts.insert(c.payload_type).second) {
      return Invalid(absl::StrCat("payload type ", c.payload_type, " is out of range or used twice for mid ", mid));
    }
  }
  std::vector<CodecSpec> codecs = spec.codecs;
  if (previous) codecs = KeepNegotiatedPayloadTypes(std::move(codecs), CodecsOf(*previous));
  WriteCodecs(m, codecs);
  // Extension ids: the ones already negotiated for a URI; a new URI keeps its id unless that is
  // taken, then gets the lowest free one-byte id (RFC 8285 §5: 1-14).
  std::set<uint16_t> ids;
  std::vector<std::pair<const HeaderExtensionSpec*, uint16_t>> extensions;
  for (const HeaderExtensionSpec& e : spec.header_extensions) {
    std::optional<uint16_t> id;
    if (previous) {
      for (const Extmap& x : previous->extmaps) {
        if (x.uri == e.uri && !ids.count(x.id)) id = x.id;
      }
    }
    if (id) ids.insert(*id);
    extensions.emplace_back(&e, id.value_or(0));
  }
  for (auto& [e, id] : extensions) {
    if (id != 0) continue;
    id = e->id;
    if (ids.count(id) || id == 0) {
      id = 0;
      for (uint16_t candidate = 1; candidate <= 255 && id == 0; ++candidate) {
        if (!ids.count(candidate)) id = candidate;
      }
    }
    ids.insert(id);
  }
  for (const auto& [e, id] : extensions) {
    if (id != 0) m.extmaps.push_back(Extmap{id, std::nullopt, e->uri, ""});
  }
  m.direction = spec.direction;
  m.rtcp_mux = true;
  m.rtcp_rsize = true;
  WriteSending(m, spec, spec.direction);
  if (!spec.send_layers.empty() && Sends(spec.direction)) {
    Simulcast sim;
    for (const SimulcastLayer& layer : spec.send_layers) {
      m.rids.push_back(Rid{layer.rid, RidDirection::kSend, {}, {}});
      sim.send.push_back(SimulcastStream{SimulcastRid{layer.rid, layer.paused}});
    }
    m.simulcast = std::move(sim);
  }
  return m;
}

// --- Validation helpers --------------------------------------------------------------------------------

size_t DigestLength(std::string_view algorithm) {
  if (EqualsIgnoreCase(algorithm, "sha-1")) return 20;
  if (EqualsIgnoreCase(algorithm, "sha-224")) return 28;
  if (EqualsIgnoreCase(algorithm, "sha-256")) return 32;
  if (EqualsIgnoreCase(algorithm, "sha-384")) return 48;
  if (EqualsIgnoreCase(algorithm, "sha-512")) return 64;
  if (EqualsIgnoreCase(algorithm, "md5") || EqualsIgnoreCase(algorithm, "md2")) return 16;
  return 0;
}

bool IsHex(char c) { return IsDigit(c) || (ToLower(c) >= 'a' && ToLower(c) <= 'f'); }

}  // namespace

// --- Checks ------------------------------------------------------------------------------------------------

absl::Status ValidateIceCredentials(std::string_view ufrag, std::string_view pwd) {
  auto ice_chars = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '+' || c == '/'; });
  };
  if (ufrag.size() < 4 || ufrag.size() > 256 || !ice_chars(ufrag)) {
    return Invalid(absl::StrCat("ice-ufrag \"", ToAbsl(ufrag.substr(0, 64)),
                                "\" is not 4-256 ice-chars (RFC 8839 §5.4)"));
  }
  if (pwd.size() < 22 || pwd.size() > 256 || !ice_chars(pwd)) {
    return Invalid(absl::StrCat("ice-pwd is not 22-256 ice-chars (RFC 8839 §5.4); it has ", pwd.size(),
                                " characters"));
  }
  return absl::OkStatus();
}

absl::Status ValidateFingerprint(const Fingerprint& f) {
  size_t length = DigestLength(f.algorithm);
  if (length == 0) return Invalid(absl::StrCat("fingerprint hash function \"", ToAbsl(f.algorithm), "\" is not known"));
  Fields bytes = Split(f.value, ':');
  bool ok = bytes.size() == length;
  for (std::string_view b : bytes) ok = ok && b.size() == 2 && IsHex(b[0]) && IsHex(b[1]);
  if (!ok) {
    return Invalid(absl::StrCat(ToAbsl(f.algorithm), " fingerprint is not ", length,
                                " colon-separated hex bytes (RFC 8122 §5)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDescription(const SessionDescription& d, SdpType type) {
  if (type == SdpType::kRollback) return absl::OkStatus();
  const bool answer = type != SdpType::kOffer;
  std::set<std::string> mids;
  for (size_t i = 0; i < d.media.size(); ++i) {
    const MediaSection& m = d.media[i];
    if (!m.mid) return Invalid(absl::StrCat(MidName(m, i), " has no a=mid (RFC 8829 §5.2.1)"));
    if (!mids.insert(*m.mid).second) return Invalid(absl::StrCat("a=mid \"", ToAbsl(*m.mid), "\" is used twice"));
  }
  std::set<std::string> bundled;
  for (const Group& g : d.groups) {
    if (!EqualsIgnoreCase(g.semantics, "BUNDLE")) continue;
    for (const std::string& mid : g.mids) {
      const MediaSection* m = d.FindMedia(mid);
      if (!m) return Invalid(absl::StrCat("BUNDLE group names mid \"", ToAbsl(mid), "\", which no m= section has"));
      if (m->IsRejected()) {
        return Invalid(absl::StrCat("BUNDLE group names mid \"", ToAbsl(mid), "\", whose m= section is rejected"));
      }
      if (!bundled.insert(mid).second) {
        return Invalid(absl::StrCat("mid \"", ToAbsl(mid), "\" is in more than one BUNDLE group"));
      }
    }
  }
  for (size_t i = 0; i < d.media.size(); ++i) {
    const MediaSection& m = d.media[i];
    if (m.IsRejected()) continue;
    std::string name = MidName(m, i);
    if (!m.bundle_only) {
      const std::optional<std::string>& ufrag = UfragOf(d, m);
      const std::optional<std::string>& pwd = PwdOf(d, m);
      if (!ufrag || !pwd) return Invalid(absl::StrCat(name, " has no a=ice-ufrag/a=ice-pwd"));
      if (absl::Status s = ValidateIceCredentials(*ufrag, *pwd); !s.ok()) {
        return Invalid(absl::StrCat(name, ": ", s.message()));
      }
      const std::vector<Fingerprint>& fingerprints = FingerprintsOf(d, m);
      if (fingerprints.empty()) return Invalid(absl::StrCat(name, " has no a=fingerprint (RFC 8827 §6.5)"));
      for (const Fingerprint& f : fingerprints) {
        if (absl::Status s = ValidateFingerprint(f); !s.ok()) return Invalid(absl::StrCat(name, ": ", s.message()));
      }
      SetupRole setup = SetupOf(d, m);
      if (setup == SetupRole::kHoldConn) return Invalid(absl::StrCat(name, " has a=setup:holdconn"));
      if (answer && setup == SetupRole::kActPass) {
        return Invalid(absl::StrCat(name, ": an answer must have a=setup:active or passive, not actpass (RFC 8842 §5.3)"));
      }
    }
    if (m.IsRtp()) {
      if (!m.rtcp_mux) return Invalid(absl::StrCat(name, " has no a=rtcp-mux (RFC 8829 §5.1.3 requires it)"));
      for (const std::string& f : m.formats) {
        std::optional<uint64_t> pt = ParseDecimal(f);
        if (pt && *pt >= 96 && !m.FindRtpMap(static_cast<uint8_t>(*pt))) {
          return Invalid(absl::StrCat(name, ": dynamic payload type ", *pt, " has no a=rtpmap"));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAnswerMatchesOffer(const SessionDescription& offer, const SessionDescription& answer) {
  if (offer.media.size() != answer.media.size()) {
    return Invalid(absl::StrCat("the answer has ", answer.media.size(), " m= sections, the offer ", offer.media.size()));
  }
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const MediaSection& o = offer.media[i];
    const MediaSection& a = answer.media[i];
    if (o.media != a.media) {
      return Invalid(absl::StrCat("answer m= section ", i, " is ", ToAbsl(a.media), ", the offer's is ", ToAbsl(o.media)));
    }
    if (o.mid != a.mid) return Invalid(absl::StrCat("answer m= section ", i, " has a different mid from the offer's"));
    if (o.IsRejected() && !a.IsRejected()) {
      return Invalid(absl::StrCat("the answer accepts ", MidName(a, i), ", which the offer rejected"));
    }
  }
  const Group* offered = offer.FindGroup("BUNDLE");
  for (const Group& g : answer.groups) {
    if (!EqualsIgnoreCase(g.semantics, "BUNDLE")) continue;
    for (const std::string& mid : g.mids) {
      bool in_offer = false;
      for (const Group& og : offer.groups) {
        if (EqualsIgnoreCase(og.semantics, "BUNDLE") &&
            std::find(og.mids.begin(), og.mids.end(), mid) != og.mids.end()) {
          in_offer = true;
        }
      }
      if (!offered || !in_offer) {
        return Invalid(absl::StrCat("the answer's BUNDLE group has mid \"", ToAbsl(mid), "\", which the offer did not bundle"));
      }
    }
  }
  return absl::OkStatus();
}

// --- Offer ----------------------------------------------------------------------------------------------

absl::StatusOr<SessionDescription> BuildOffer(const JsepOptions& options, const TransportSpec& transport,
                                              std::span<const MediaSpec> media, const OfferContext& context) {
  if (absl::Status s = CheckOptions(options, transport); !s.ok()) return s;
  size_t data_specs = 0;
  std::set<std::string> used;
  for (const SessionDescription* d : {context.current_local, context.current_remote}) {
    if (!d) continue;
    for (const MediaSection& m : d->media) {
      if (m.mid) used.insert(*m.mid);
    }
  }
  for (const MediaSpec& s : media) {
    if (!s.mid.empty()) used.insert(s.mid);
    if (s.kind == MediaKind::kData && !s.stopped) ++data_specs;
  }
  if (data_specs > 1) return Invalid("more than one data channel MediaSpec");

  auto spec_for = [&](const std::string& mid) -> const MediaSpec* {
    for (const MediaSpec& s : media) {
      if (s.mid == mid) return &s;
    }
    return nullptr;
  };

  SessionDescription d;
  std::vector<MediaSection> sections;
  std::vector<const MediaSpec*> owners;  // the spec of each section, or null
  if (context.current_local) {
    for (size_t i = 0; i < context.current_local->media.size(); ++i) {
      const MediaSection& previous = context.current_local->media[i];
      const MediaSection* remote =
          context.current_remote && i < context.current_remote->media.size() ? &context.current_remote->media[i] : nullptr;
      const MediaSpec* spec = previous.mid ? spec_for(*previous.mid) : nullptr;
      bool was_rejected = previous.IsRejected() || (remote && remote->IsRejected());
      if (!spec || spec->stopped || was_rejected || KindOf(previous) != spec->kind) {
        sections.push_back(RejectedSection(previous));
        owners.push_back(nullptr);
        continue;
      }
      absl::StatusOr<MediaSection> m = OfferSection(*spec, *previous.mid, &previous);
      if (!m.ok()) return m.status();
      sections.push_back(*std::move(m));
      owners.push_back(spec);
    }
  }
  for (const MediaSpec& spec : media) {
    if (spec.stopped) continue;
    bool placed = std::find(owners.begin(), owners.end(), &spec) != owners.end();
    if (placed) continue;
    bool known = false;
    if (!spec.mid.empty() && context.current_local) known = context.current_local->FindMedia(spec.mid) != nullptr;
    if (known) continue;  // its section was rejected above
    std::string mid = spec.mid.empty() ? FreshMid(used) : spec.mid;
    absl::StatusOr<MediaSection> m = OfferSection(spec, mid, nullptr);
    if (!m.ok()) return m.status();
    sections.push_back(*std::move(m));
    owners.push_back(&spec);
  }
  if (sections.size() > kMaxMediaSections) return Invalid("too many m= sections");

  DefaultAddress address = DefaultAddressOf(transport);
  std::vector<std::string> bundle;
  for (size_t i = 0; i < sections.size(); ++i) {
    MediaSection& m = sections[i];
    if (!owners[i]) continue;
    m.port = address.port;
    m.connections = {address.connection};
    WriteTransport(m, transport, SetupRole::kActPass, bundle.empty());
    bundle.push_back(*m.mid);
  }
  AddSessionLines(d, options, transport, context.session_version, bundle, media);
  d.media = std::move(sections);
  return d;
}

// --- Answer ---------------------------------------------------------------------------------------------

namespace {

// The answer to one RTP section, or nullopt to reject it.
std::optional<MediaSection> AnswerRtpSection(const SessionDescription& offer, const MediaSection& o,
                                             const MediaSpec& spec, Direction wanted) {
  std::vector<CodecSpec> codecs = AnswerCodecs(CodecsOf(o), spec.codecs);
  if (codecs.empty()) return std::nullopt;
  MediaSection m;
  m.media = o.media;
  m.protocol = o.protocol;
  m.mid = o.mid;
  WriteCodecs(m, codecs);
  std::vector<Extmap> offered = o.extmaps;
  for (const Extmap& e : offer.extmaps) {
    if (std::none_of(offered.begin(), offered.end(), [&](const Extmap& x) { return x.id == e.id; })) {
      offered.push_back(e);
    }
  }
  for (const Extmap& e : offered) {
    bool supported = std::any_of(spec.header_extensions.begin(), spec.header_extensions.end(),
                                 [&](const HeaderExtensionSpec& h) { return h.uri == e.uri; });
    if (supported) m.extmaps.push_back(Extmap{e.id, std::nullopt, e.uri, ""});
  }
  m.extmap_allow_mixed = o.extmap_allow_mixed;  // RFC 8285 §6: lib/rtp reads both header forms
  Direction theirs = DirectionOf(offer, o);
  Direction dir = MakeDirection(Sends(wanted) && Receives(theirs), Receives(wanted) && Sends(theirs));
  m.direction = dir;
  m.rtcp_mux = true;
  m.rtcp_rsize = o.rtcp_rsize;
  WriteSending(m, spec, dir);
  // RFC 8853 §5.3: reverse the offered simulcast.
  if (o.simulcast) {
    std::set<uint8_t> accepted;
    for (const CodecSpec& c : codecs) accepted.insert(c.payload_type);
    auto reversed_rid = [&](const std::string& id, RidDirection want) -> std::optional<Rid> {
      for (const Rid& r : m.rids) {
        if (r.id == id) return std::nullopt;  // already answered (a hand-built model may repeat a rid)
      }
      for (const Rid& r : o.rids) {
        if (r.id != id || r.direction == want) continue;
        Rid out = r;
        out.direction = want;
        out.payload_types.clear();
        for (uint8_t pt : r.payload_types) {
          if (accepted.count(pt)) out.payload_types.push_back(pt);
        }
        return out;
      }
      return std::nullopt;
    };
    Simulcast sim;
    if (!o.simulcast->send.empty() && spec.receive_simulcast && Receives(dir)) {
      for (const SimulcastStream& stream : o.simulcast->send) {
        SimulcastStream kept;
        for (const SimulcastRid& alt : stream) {
          if (std::optional<Rid> r = reversed_rid(alt.rid, RidDirection::kRecv)) {
            m.rids.push_back(*std::move(r));
            kept.push_back(alt);
          }
        }
        if (!kept.empty()) sim.recv.push_back(std::move(kept));
      }
    }
    if (!o.simulcast->recv.empty() && !spec.send_layers.empty() && Sends(dir)) {
      for (const SimulcastStream& stream : o.simulcast->recv) {
        SimulcastStream kept;
        for (const SimulcastRid& alt : stream) {
          bool ours = std::any_of(spec.send_layers.begin(), spec.send_layers.end(),
                                  [&](const SimulcastLayer& l) { return l.rid == alt.rid; });
          std::optional<Rid> r = reversed_rid(alt.rid, RidDirection::kSend);
          if (ours && r) {
            m.rids.push_back(*std::move(r));
            kept.push_back(alt);
          }
        }
        if (!kept.empty()) sim.send.push_back(std::move(kept));
      }
    }
    if (!sim.send.empty() || !sim.recv.empty()) m.simulcast = std::move(sim);
  }
  return m;
}

MediaSection AnswerDataSection(const MediaSection& o, uint16_t sctp_port, uint64_t max_message_size) {
  MediaSection m;
  m.media = o.media;
  m.protocol = o.protocol;
  m.mid = o.mid;
  if (o.protocol == "DTLS/SCTP") {  // the legacy form answers in kind
    m.formats = {absl::StrCat(sctp_port)};
    m.sctpmap = SctpMap{sctp_port, "webrtc-datachannel", 65535};
  } else {
    m.formats = {"webrtc-datachannel"};
    m.sctp_port = sctp_port;
  }
  m.max_message_size = max_message_size;
  return m;
}

}  // namespace

absl::StatusOr<SessionDescription> BuildAnswer(const JsepOptions& options, const TransportSpec& transport,
                                               const SessionDescription& offer, std::span<const MediaSpec> media,
                                               const AnswerContext& context) {
  if (absl::Status s = CheckOptions(options, transport); !s.ok()) return s;
  if (absl::Status s = ValidateDescription(offer, SdpType::kOffer); !s.ok()) return s;
  const Group* offered_bundle = offer.FindGroup("BUNDLE");
  auto in_bundle = [&](const std::string& mid) {
    return offered_bundle && std::find(offered_bundle->mids.begin(), offered_bundle->mids.end(), mid) !=
                                 offered_bundle->mids.end();
  };

  // The DTLS role, from the offer's tagged (or first usable) section.
  std::optional<SetupRole> their_setup;
  std::vector<MediaSection> sections;
  std::vector<bool> accepted;
  bool data_taken = false;
  bool transport_taken = false;  // without BUNDLE only one section gets our one transport
  for (const MediaSection& o : offer.media) {
    const std::string& mid = *o.mid;
    const MediaSpec* spec = nullptr;
    for (const MediaSpec& s : media) {
      if (s.mid == mid) spec = &s;
    }
    std::optional<MediaSection> answer;
    std::optional<MediaKind> kind = KindOf(o);
    bool usable = !o.IsRejected() && kind && (offered_bundle ? in_bundle(mid) : !transport_taken) &&
                  !(spec && (spec->stopped || spec->kind != *kind));
    if (usable && *kind == MediaKind::kData && IsDataChannelSection(o) && !data_taken) {
      if (spec) {
        answer = AnswerDataSection(o, spec->sctp_port, spec->max_message_size);
      } else if (options.accept_data_channels) {
        answer = AnswerDataSection(o, options.sctp_port, options.max_message_size);
      }
      if (answer) data_taken = true;
    } else if (usable && *kind != MediaKind::kData && IsSecureRtpSection(o)) {
      if (spec) {
        answer = AnswerRtpSection(offer, o, *spec, spec->direction);
      } else {
        MediaSpec defaults;
        defaults.kind = *kind;
        defaults.direction = Direction::kRecvOnly;
        defaults.codecs = *kind == MediaKind::kAudio ? options.audio_codecs : options.video_codecs;
        defaults.header_extensions = *kind == MediaKind::kAudio ? options.audio_extensions : options.video_extensions;
        if (!defaults.codecs.empty()) answer = AnswerRtpSection(offer, o, defaults, defaults.direction);
      }
    }
    if (answer) {
      transport_taken = true;
      sections.push_back(*std::move(answer));
      accepted.push_back(true);
    } else {
      sections.push_back(RejectedSection(o));
      accepted.push_back(false);
    }
  }

  DefaultAddress address = DefaultAddressOf(transport);
  std::vector<std::string> bundle;
  if (offered_bundle) {
    for (const std::string& mid : offered_bundle->mids) {
      for (size_t i = 0; i < sections.size(); ++i) {
        if (accepted[i] && sections[i].mid == mid) bundle.push_back(mid);
      }
    }
  }
  // The transport's section: the BUNDLE tag (the first accepted mid in the offer's group order), else
  // the only accepted section. Its offered a=setup decides the DTLS role.
  std::optional<size_t> tag;
  for (size_t i = 0; i < sections.size() && !tag; ++i) {
    if (accepted[i] && (bundle.empty() || sections[i].mid == bundle.front())) tag = i;
  }
  if (tag) their_setup = SetupOf(offer, offer.media[*tag]);
  SetupRole ours = options.answer_role == SetupRole::kPassive ? SetupRole::kPassive : SetupRole::kActive;
  if (their_setup) {
    switch (*their_setup) {
      case SetupRole::kActPass:
        if (context.current_role) ours = *context.current_role;
        break;
      case SetupRole::kActive:
        ours = SetupRole::kPassive;
        break;
      case SetupRole::kPassive:
        ours = SetupRole::kActive;
        break;
      case SetupRole::kHoldConn:
        return Invalid("the offer has a=setup:holdconn");
    }
  }

  for (size_t i = 0; i < sections.size(); ++i) {
    if (!accepted[i]) continue;
    sections[i].port = address.port;
    sections[i].connections = {address.connection};
    WriteTransport(sections[i], transport, ours, tag && i == *tag);
  }
  SessionDescription d;
  AddSessionLines(d, options, transport, context.session_version, bundle, media);
  d.extmap_allow_mixed = offer.extmap_allow_mixed;
  d.media = std::move(sections);
  return d;
}

// --- Negotiate ------------------------------------------------------------------------------------------

absl::StatusOr<NegotiatedSession> Negotiate(const SessionDescription& offer, const SessionDescription& answer,
                                            bool local_is_offerer) {
  if (offer.media.size() != answer.media.size()) return Invalid("the answer does not match the offer");
  const SessionDescription& remote = local_is_offerer ? answer : offer;
  NegotiatedSession n;
  n.local_is_offerer = local_is_offerer;

  std::vector<size_t> used;  // sections both sides accepted
  for (size_t i = 0; i < answer.media.size(); ++i) {
    if (!offer.media[i].IsRejected() && !answer.media[i].IsRejected()) used.push_back(i);
  }
  if (const Group* g = answer.FindGroup("BUNDLE")) n.bundle_mids = g->mids;
  // The transport section: the BUNDLE tag, else the first accepted section.
  std::optional<size_t> transport_index;
  if (!n.bundle_mids.empty()) {
    for (size_t i : used) {
      if (answer.media[i].mid == n.bundle_mids.front()) transport_index = i;
    }
  }
  if (!transport_index && !used.empty()) transport_index = used.front();
  if (n.bundle_mids.empty() && used.size() > 1) {
    return Invalid(absl::StrCat("the answer accepts ", used.size(),
                                " m= sections without BUNDLE; tern uses one transport (max-bundle)"));
  }

  if (transport_index) {
    const MediaSection& r = remote.media[*transport_index];
    n.remote_ice_ufrag = UfragOf(remote, r).value_or("");
    n.remote_ice_pwd = PwdOf(remote, r).value_or("");
    n.remote_ice_options = IceOptionsOf(remote, r);
    n.remote_fingerprints = FingerprintsOf(remote, r);
    SetupRole offer_setup = SetupOf(offer, offer.media[*transport_index]);
    SetupRole answer_setup = SetupOf(answer, answer.media[*transport_index]);
    if (answer_setup != SetupRole::kActive && answer_setup != SetupRole::kPassive) {
      return Invalid("the answer's a=setup is not active or passive");
    }
    if ((offer_setup == SetupRole::kActive && answer_setup != SetupRole::kPassive) ||
        (offer_setup == SetupRole::kPassive && answer_setup != SetupRole::kActive)) {
      return Invalid("the answer's a=setup conflicts with the offer's (RFC 8842 §5.3)");
    }
    if (local_is_offerer) {
      n.local_setup = answer_setup == SetupRole::kActive ? SetupRole::kPassive : SetupRole::kActive;
    } else {
      n.local_setup = answer_setup;
    }
  }
  n.remote_ice_lite = remote.ice_lite;
  for (size_t i : used) {
    bool bundled = n.bundle_mids.empty()
                       ? i == *transport_index
                       : std::find(n.bundle_mids.begin(), n.bundle_mids.end(), answer.media[i].mid.value_or("")) !=
                             n.bundle_mids.end();
    if (!bundled) continue;
    const MediaSection& r = remote.media[i];
    for (const Candidate& c : r.candidates) {
      if (std::find(n.remote_candidates.begin(), n.remote_candidates.end(), c) == n.remote_candidates.end()) {
        n.remote_candidates.push_back(c);
      }
    }
    n.remote_end_of_candidates = n.remote_end_of_candidates || r.end_of_candidates;
  }

  for (size_t i = 0; i < answer.media.size(); ++i) {
    const MediaSection& o = offer.media[i];
    const MediaSection& a = answer.media[i];
    const MediaSection& r = local_is_offerer ? a : o;
    const MediaSection& l = local_is_offerer ? o : a;
    NegotiatedMedia nm;
    nm.mid = a.mid.value_or("");
    nm.kind = KindOf(a).value_or(MediaKind::kData);
    nm.rejected = o.IsRejected() || a.IsRejected() || !KindOf(a);
    if (nm.rejected) {
      n.media.push_back(std::move(nm));
      continue;
    }
    Direction od = DirectionOf(offer, o), ad = DirectionOf(answer, a);
    if (local_is_offerer) {
      nm.direction = MakeDirection(Sends(od) && Receives(ad), Receives(od) && Sends(ad));
    } else {
      nm.direction = MakeDirection(Sends(ad) && Receives(od), Receives(ad) && Sends(od));
    }
    if (nm.kind == MediaKind::kData) {
      nm.direction = Direction::kSendRecv;
      nm.local_sctp_port = SctpPortOf(l);
      nm.remote_sctp_port = SctpPortOf(r);
      nm.remote_max_message_size = r.max_message_size.value_or(65536);
    } else {
      nm.codecs = CodecsOf(a);
      for (const Extmap& e : a.extmaps) nm.header_extensions.push_back(HeaderExtensionSpec{e.id, e.uri});
      nm.remote_msids = r.msids;
      nm.remote_ssrcs = r.ssrcs;
      nm.remote_ssrc_groups = r.ssrc_groups;
      if (a.simulcast) {
        auto layers = [](const std::vector<SimulcastStream>& streams) {
          std::vector<SimulcastLayer> out;
          for (const SimulcastStream& s : streams) {
            if (!s.empty()) out.push_back(SimulcastLayer{s.front().rid, s.front().paused});
          }
          return out;
        };
        nm.send_layers = layers(local_is_offerer ? a.simulcast->recv : a.simulcast->send);
        nm.receive_layers = layers(local_is_offerer ? a.simulcast->send : a.simulcast->recv);
      }
    }
    n.media.push_back(std::move(nm));
  }
  return n;
}

// --- JsepSession ------------------------------------------------------------------------------------------

JsepSession::JsepSession(JsepOptions options, TransportSpec transport)
    : options_(std::move(options)), transport_(std::move(transport)) {}

size_t JsepSession::AddMedia(MediaSpec spec) {
  media_.push_back(std::move(spec));
  return media_.size() - 1;
}

uint64_t JsepSession::NextVersion() const { return version_ + 1; }

absl::StatusOr<SessionDescription> JsepSession::CreateOffer() const {
  if (state_ != SignalingState::kStable && state_ != SignalingState::kHaveLocalOffer) {
    return WrongState("CreateOffer", state_);
  }
  OfferContext context;
  context.session_version = NextVersion();
  context.current_local = current_local_ ? &*current_local_ : nullptr;
  context.current_remote = current_remote_ ? &*current_remote_ : nullptr;
  return BuildOffer(options_, transport_, media_, context);
}

absl::StatusOr<SessionDescription> JsepSession::CreateAnswer() const {
  if (state_ != SignalingState::kHaveRemoteOffer && state_ != SignalingState::kHaveLocalPranswer) {
    return WrongState("CreateAnswer", state_);
  }
  AnswerContext context;
  context.session_version = NextVersion();
  if (negotiated_ && current_local_) context.current_role = negotiated_->local_setup;
  return BuildAnswer(options_, transport_, *pending_remote_, media_, context);
}

void JsepSession::AssignMids(const SessionDescription& offer, bool remote) {
  for (const MediaSection& m : offer.media) {
    if (!m.mid || m.IsRejected()) continue;
    bool claimed = std::any_of(media_.begin(), media_.end(), [&](const MediaSpec& s) { return s.mid == *m.mid; });
    if (claimed) continue;
    std::optional<MediaKind> kind = KindOf(m);
    if (!kind) continue;
    // Only a section this side could accept takes a spec (an unusable one is rejected in the answer,
    // and a spec tied to it would never be offered again).
    if (*kind == MediaKind::kData ? !IsDataChannelSection(m) : !IsSecureRtpSection(m)) continue;
    bool assigned = false;
    for (MediaSpec& s : media_) {
      if (s.mid.empty() && !s.stopped && s.kind == *kind) {
        s.mid = *m.mid;
        assigned = true;
        break;
      }
    }
    if (assigned || !remote) continue;
    MediaSpec spec;
    spec.kind = *kind;
    spec.mid = *m.mid;
    if (*kind == MediaKind::kData) {
      // One data channel section per connection: a second offered one is rejected, not given a spec.
      bool have_data = std::any_of(media_.begin(), media_.end(),
                                   [](const MediaSpec& s) { return s.kind == MediaKind::kData && !s.stopped; });
      if (!options_.accept_data_channels || have_data) continue;
      spec.sctp_port = options_.sctp_port;
      spec.max_message_size = options_.max_message_size;
    } else {
      spec.direction = Direction::kRecvOnly;
      spec.codecs = *kind == MediaKind::kAudio ? options_.audio_codecs : options_.video_codecs;
      spec.header_extensions = *kind == MediaKind::kAudio ? options_.audio_extensions : options_.video_extensions;
      if (spec.codecs.empty()) continue;
    }
    media_.push_back(std::move(spec));
    created_by_offer_.resize(media_.size(), false);
    created_by_offer_.back() = true;
  }
}

// Undoes what AssignMids did for the pending offer.
void JsepSession::RestoreMids() {
  std::vector<MediaSpec> kept;
  for (size_t i = 0; i < media_.size(); ++i) {
    if (i < created_by_offer_.size() && created_by_offer_[i]) continue;
    MediaSpec s = std::move(media_[i]);
    if (i < specs_before_offer_) {
      s.mid = i < mids_before_offer_.size() ? mids_before_offer_[i] : std::string();
    } else {
      s.mid.clear();
    }
    kept.push_back(std::move(s));
  }
  media_ = std::move(kept);
  created_by_offer_.clear();
}

absl::Status JsepSession::Complete(const SessionDescription& offer, const SessionDescription& answer,
                                   bool local_is_offerer) {
  absl::StatusOr<NegotiatedSession> n = Negotiate(offer, answer, local_is_offerer);
  if (!n.ok()) return n.status();
  negotiated_ = *std::move(n);
  return absl::OkStatus();
}

absl::Status JsepSession::ApplyRollback() {
  if (state_ != SignalingState::kHaveLocalOffer && state_ != SignalingState::kHaveRemoteOffer) {
    return WrongState("rollback", state_);
  }
  RestoreMids();
  pending_local_.reset();
  pending_remote_.reset();
  state_ = SignalingState::kStable;
  return absl::OkStatus();
}

absl::Status JsepSession::Rollback() { return SetLocalDescription(SdpType::kRollback, SessionDescription{}); }

void JsepSession::Close() { state_ = SignalingState::kClosed; }

absl::Status JsepSession::SetLocalDescription(SdpType type, const SessionDescription& d) {
  if (state_ == SignalingState::kClosed) return WrongState("SetLocalDescription", state_);
  if (type == SdpType::kRollback) return ApplyRollback();
  if (absl::Status s = ValidateDescription(d, type); !s.ok()) return s;
  if (type == SdpType::kOffer) {
    if (state_ != SignalingState::kStable && state_ != SignalingState::kHaveLocalOffer) {
      return WrongState("SetLocalDescription(offer)", state_);
    }
    if (state_ == SignalingState::kStable) {
      mids_before_offer_.clear();
      for (const MediaSpec& s : media_) mids_before_offer_.push_back(s.mid);
      specs_before_offer_ = media_.size();
      created_by_offer_.clear();
    } else {
      RestoreMids();
    }
    AssignMids(d, /*remote=*/false);
    pending_local_ = d;
    version_ = std::max(version_, d.origin.session_version);
    state_ = SignalingState::kHaveLocalOffer;
    return absl::OkStatus();
  }
  if (state_ != SignalingState::kHaveRemoteOffer && state_ != SignalingState::kHaveLocalPranswer) {
    return WrongState(absl::StrCat("SetLocalDescription(", ToAbsl(ToString(type)), ")"), state_);
  }
  if (absl::Status s = ValidateAnswerMatchesOffer(*pending_remote_, d); !s.ok()) return s;
  if (absl::Status s = Complete(*pending_remote_, d, /*local_is_offerer=*/false); !s.ok()) {
    return s;
  }
  version_ = std::max(version_, d.origin.session_version);
  if (type == SdpType::kPranswer) {
    pending_local_ = d;
    state_ = SignalingState::kHaveLocalPranswer;
    return absl::OkStatus();
  }
  created_by_offer_.clear();
  current_local_ = d;
  current_remote_ = std::move(pending_remote_);
  pending_local_.reset();
  pending_remote_.reset();
  state_ = SignalingState::kStable;
  return absl::OkStatus();
}

absl::Status JsepSession::SetRemoteDescription(SdpType type, const SessionDescription& d) {
  if (state_ == SignalingState::kClosed) return WrongState("SetRemoteDescription", state_);
  if (type == SdpType::kRollback) return ApplyRollback();
  if (absl::Status s = ValidateDescription(d, type); !s.ok()) return s;
  if (type == SdpType::kOffer) {
    if (state_ != SignalingState::kStable && state_ != SignalingState::kHaveRemoteOffer) {
      return WrongState("SetRemoteDescription(offer)", state_);
    }
    if (current_remote_) {
      // A subsequent offer keeps every section it had (RFC 8829 §5.2.2): same mids, same order.
      if (d.media.size() < current_remote_->media.size()) {
        return Invalid("the offer has fewer m= sections than the current description");
      }
      for (size_t i = 0; i < current_remote_->media.size(); ++i) {
        if (d.media[i].mid != current_remote_->media[i].mid || d.media[i].media != current_remote_->media[i].media) {
          return Invalid(absl::StrCat("the offer changes m= section ", i, " (its mid or media)"));
        }
      }
    }
    if (state_ == SignalingState::kStable) {
      mids_before_offer_.clear();
      for (const MediaSpec& s : media_) mids_before_offer_.push_back(s.mid);
      specs_before_offer_ = media_.size();
      created_by_offer_.clear();
    } else {
      RestoreMids();
    }
    AssignMids(d, /*remote=*/true);
    pending_remote_ = d;
    state_ = SignalingState::kHaveRemoteOffer;
    return absl::OkStatus();
  }
  if (state_ != SignalingState::kHaveLocalOffer && state_ != SignalingState::kHaveRemotePranswer) {
    return WrongState(absl::StrCat("SetRemoteDescription(", ToAbsl(ToString(type)), ")"), state_);
  }
  if (absl::Status s = ValidateAnswerMatchesOffer(*pending_local_, d); !s.ok()) return s;
  if (absl::Status s = Complete(*pending_local_, d, /*local_is_offerer=*/true); !s.ok()) {
    return s;
  }
  if (type == SdpType::kPranswer) {
    pending_remote_ = d;
    state_ = SignalingState::kHaveRemotePranswer;
    return absl::OkStatus();
  }
  created_by_offer_.clear();
  current_local_ = std::move(pending_local_);
  current_remote_ = d;
  pending_local_.reset();
  pending_remote_.reset();
  state_ = SignalingState::kStable;
  return absl::OkStatus();
}

}  // namespace tern::sdp
