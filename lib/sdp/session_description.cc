// SDP parser and serializer (RFC 8866 §5, §6, §9) with the WebRTC attributes as typed fields.
#include "tern/sdp/session_description.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sdp/text.h"
#include "tern/base/strings.h"
#include "tern/sdp/candidate.h"

namespace tern::sdp {

// --- Small enums ------------------------------------------------------------------------------------

std::string_view ToString(Direction direction) {
  switch (direction) {
    case Direction::kSendRecv:
      return "sendrecv";
    case Direction::kSendOnly:
      return "sendonly";
    case Direction::kRecvOnly:
      return "recvonly";
    case Direction::kInactive:
      return "inactive";
  }
  return "inactive";
}

std::optional<Direction> ParseDirection(std::string_view text) {
  if (text == "sendrecv") return Direction::kSendRecv;
  if (text == "sendonly") return Direction::kSendOnly;
  if (text == "recvonly") return Direction::kRecvOnly;
  if (text == "inactive") return Direction::kInactive;
  return std::nullopt;
}

bool Sends(Direction d) { return d == Direction::kSendRecv || d == Direction::kSendOnly; }
bool Receives(Direction d) { return d == Direction::kSendRecv || d == Direction::kRecvOnly; }
Direction MakeDirection(bool send, bool receive) {
  if (send && receive) return Direction::kSendRecv;
  if (send) return Direction::kSendOnly;
  if (receive) return Direction::kRecvOnly;
  return Direction::kInactive;
}
Direction Reverse(Direction d) { return MakeDirection(Receives(d), Sends(d)); }

std::string_view ToString(SetupRole role) {
  switch (role) {
    case SetupRole::kActPass:
      return "actpass";
    case SetupRole::kActive:
      return "active";
    case SetupRole::kPassive:
      return "passive";
    case SetupRole::kHoldConn:
      return "holdconn";
  }
  return "holdconn";
}

std::optional<SetupRole> ParseSetupRole(std::string_view text) {
  if (text == "actpass") return SetupRole::kActPass;
  if (text == "active") return SetupRole::kActive;
  if (text == "passive") return SetupRole::kPassive;
  if (text == "holdconn") return SetupRole::kHoldConn;
  return std::nullopt;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && StartsWithIgnoreCase(a, b);
}

// --- Model helpers ----------------------------------------------------------------------------------

bool MediaSection::IsRtp() const { return protocol.find("RTP/") != std::string::npos; }

bool MediaSection::IsSctp() const {
  return protocol == "UDP/DTLS/SCTP" || protocol == "TCP/DTLS/SCTP" || protocol == "DTLS/SCTP";
}

const RtpMap* MediaSection::FindRtpMap(uint8_t pt) const {
  for (const RtpMap& r : rtpmaps) {
    if (r.payload_type == pt) return &r;
  }
  return nullptr;
}

const Fmtp* MediaSection::FindFmtp(uint8_t pt) const {
  for (const Fmtp& f : fmtps) {
    if (f.payload_type == pt) return &f;
  }
  return nullptr;
}

const Group* SessionDescription::FindGroup(std::string_view semantics) const {
  for (const Group& g : groups) {
    if (EqualsIgnoreCase(g.semantics, semantics)) return &g;
  }
  return nullptr;
}

const MediaSection* SessionDescription::FindMedia(std::string_view mid) const {
  for (const MediaSection& m : media) {
    if (m.mid && *m.mid == mid) return &m;
  }
  return nullptr;
}

MediaSection* SessionDescription::FindMedia(std::string_view mid) {
  for (MediaSection& m : media) {
    if (m.mid && *m.mid == mid) return &m;
  }
  return nullptr;
}

namespace {

// --- Parsing ----------------------------------------------------------------------------------------

class Parser {
 public:
  absl::StatusOr<SessionDescription> Run(std::string_view text);

 private:
  absl::Status Fail(std::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat("SDP line ", line_number_, ": ", ToAbsl(message)));
  }
  absl::Status ParseSessionLine(char type, std::string_view value);
  absl::Status ParseMediaLine(char type, std::string_view value);
  absl::Status ParseOrigin(std::string_view value);
  absl::Status ParseMLine(std::string_view value, MediaSection& m);
  absl::StatusOr<ConnectionData> ParseConnection(std::string_view value) const;
  absl::StatusOr<Bandwidth> ParseBandwidth(std::string_view value) const;
  absl::Status ParseSessionAttribute(std::string_view name, std::optional<std::string_view> value);
  absl::Status ParseMediaAttribute(std::string_view name, std::optional<std::string_view> value,
                                   MediaSection& m);
  // Attributes both levels carry.
  // Returns true when `name` was one of them.
  absl::StatusOr<bool> ParseTransportAttribute(std::string_view name, std::optional<std::string_view> value,
                                               std::optional<std::string>& ufrag, std::optional<std::string>& pwd,
                                               std::vector<std::string>& options,
                                               std::vector<Fingerprint>& fingerprints,
                                               std::optional<SetupRole>& setup,
                                               std::optional<Direction>& direction,
                                               std::vector<Extmap>& extmaps, bool& allow_mixed);
  absl::Status FinishMedia(MediaSection& m);

  SessionDescription d_;
  size_t line_number_ = 0;
  size_t attributes_in_level_ = 0;
  bool seen_v_ = false, seen_o_ = false, seen_s_ = false, seen_i_ = false, seen_u_ = false, seen_c_ = false,
       seen_z_ = false, seen_k_ = false;
  bool seen_media_i_ = false, seen_media_k_ = false;
  bool media_is_rtp_ = false;
};

absl::Status Parser::ParseOrigin(std::string_view value) {
  Fields f = SplitWhitespace(value);
  if (f.size() != 6) return Fail("o= needs 6 fields: username sess-id sess-version nettype addrtype address");
  if (!IsVisible(f[0])) return Fail("o= username is not visible text");
  if (f[1].size() > 32 || !ParseDecimal(f[1].substr(0, 20))) return Fail("o= sess-id is not 1-32 digits");
  for (char c : f[1]) {
    if (!IsDigit(c)) return Fail("o= sess-id is not 1-32 digits");
  }
  std::optional<uint64_t> version = ParseDecimal(f[2]);
  if (!version) return Fail("o= sess-version is not a 64-bit number");
  if (!IsToken(f[3]) || !IsToken(f[4])) return Fail("o= nettype or addrtype is not a token");
  if (!IsVisible(f[5])) return Fail("o= address is not visible text");
  d_.origin = Origin{std::string(f[0]), std::string(f[1]), *version, std::string(f[3]), std::string(f[4]),
                     std::string(f[5])};
  return absl::OkStatus();
}

absl::StatusOr<ConnectionData> Parser::ParseConnection(std::string_view value) const {
  Fields f = SplitWhitespace(value);
  if (f.size() != 3) return Fail("c= needs 3 fields: nettype addrtype address");
  if (!IsToken(f[0]) || !IsToken(f[1])) return Fail("c= nettype or addrtype is not a token");
  if (!IsVisible(f[2]) || f[2].size() > 255) return Fail("c= address is not visible text");
  return ConnectionData{std::string(f[0]), std::string(f[1]), std::string(f[2])};
}

absl::StatusOr<Bandwidth> Parser::ParseBandwidth(std::string_view value) const {
  size_t colon = value.find(':');
  if (colon == std::string_view::npos) return Fail("b= needs <bwtype>:<bandwidth>");
  std::string_view type = value.substr(0, colon);
  if (!IsToken(type)) return Fail("b= bwtype is not a token");
  std::optional<uint64_t> bw = ParseDecimal(Trim(value.substr(colon + 1)));
  if (!bw) return Fail("b= bandwidth is not a number");
  return Bandwidth{std::string(type), *bw};
}

absl::Status Parser::ParseSessionLine(char type, std::string_view value) {
  auto once = [&](bool& seen) -> absl::Status {
    if (seen) return Fail(absl::StrCat("repeated ", std::string(1, type), "= line"));
    seen = true;
    return absl::OkStatus();
  };
  switch (type) {
    case 'v':
      return Fail("repeated v= line");
    case 'o':
      if (absl::Status s = once(seen_o_); !s.ok()) return s;
      return ParseOrigin(value);
    case 's':
      if (absl::Status s = once(seen_s_); !s.ok()) return s;
      d_.session_name = std::string(value);  // empty for "s= " (RFC 8866 §5.3)
      return absl::OkStatus();
    case 'i':
      if (absl::Status s = once(seen_i_); !s.ok()) return s;
      d_.info = std::string(value);
      return absl::OkStatus();
    case 'u':
      if (absl::Status s = once(seen_u_); !s.ok()) return s;
      d_.uri = std::string(value);
      return absl::OkStatus();
    case 'e':
      d_.emails.emplace_back(value);
      return absl::OkStatus();
    case 'p':
      d_.phones.emplace_back(value);
      return absl::OkStatus();
    case 'c': {
      if (absl::Status s = once(seen_c_); !s.ok()) return s;
      absl::StatusOr<ConnectionData> c = ParseConnection(value);
      if (!c.ok()) return c.status();
      d_.connection = *std::move(c);
      return absl::OkStatus();
    }
    case 'b': {
      if (d_.bandwidths.size() >= kMaxListItems) return Fail("too many b= lines");
      absl::StatusOr<Bandwidth> b = ParseBandwidth(value);
      if (!b.ok()) return b.status();
      d_.bandwidths.push_back(*std::move(b));
      return absl::OkStatus();
    }
    case 't': {
      Fields f = SplitWhitespace(value);
      if (f.size() != 2) return Fail("t= needs 2 fields: start-time stop-time");
      std::optional<uint64_t> start = ParseDecimal(f[0]), stop = ParseDecimal(f[1]);
      if (!start || !stop) return Fail("t= times are not numbers");
      if (d_.timings.size() >= kMaxListItems) return Fail("too many t= lines");
      d_.timings.push_back(Timing{*start, *stop, {}});
      return absl::OkStatus();
    }
    case 'r':
      if (d_.timings.empty()) return Fail("r= line before any t= line");
      if (value.empty()) return Fail("empty r= line");
      if (d_.timings.back().repeats.size() >= kMaxListItems) return Fail("too many r= lines");
      d_.timings.back().repeats.emplace_back(value);
      return absl::OkStatus();
    case 'z':
      if (absl::Status s = once(seen_z_); !s.ok()) return s;
      d_.zone = std::string(value);
      return absl::OkStatus();
    case 'k':
      if (absl::Status s = once(seen_k_); !s.ok()) return s;
      d_.key = std::string(value);
      return absl::OkStatus();
    default:
      return Fail(absl::StrCat("unknown line type '", std::string(1, type), "='"));
  }
}

absl::Status Parser::ParseMLine(std::string_view value, MediaSection& m) {
  Fields f = SplitWhitespace(value);
  if (f.size() < 4) return Fail("m= needs <media> <port> <proto> <fmt> ...");
  if (!IsToken(f[0])) return Fail("m= media is not a token");
  m.media = std::string(f[0]);
  std::string_view port = f[1];
  size_t slash = port.find('/');
  if (slash != std::string_view::npos) {
    std::optional<uint64_t> count = ParseDecimal(port.substr(slash + 1));
    if (!count || *count < 1 || *count > 65535) return Fail("m= port count is not 1-65535");
    m.port_count = static_cast<uint32_t>(*count);
    port = port.substr(0, slash);
  }
  std::optional<uint64_t> p = ParseDecimal(port);
  if (!p) return Fail(absl::StrCat("m= port \"", ToAbsl(port), "\" is not a number"));
  if (*p > 65535) return Fail(absl::StrCat("m= port ", *p, " is over 65535"));
  m.port = static_cast<uint16_t>(*p);
  for (std::string_view part : Split(f[2], '/')) {
    if (!IsToken(part)) return Fail("m= proto is not token *(\"/\" token)");
  }
  m.protocol = std::string(f[2]);
  if (f.size() - 3 > kMaxFormatsPerSection) {
    return Fail(absl::StrCat("m= line has more than ", kMaxFormatsPerSection, " formats"));
  }
  bool rtp = m.IsRtp();
  media_is_rtp_ = rtp;
  for (size_t i = 3; i < f.size(); ++i) {
    if (rtp) {
      std::optional<uint64_t> pt = ParseDecimal(f[i]);
      if (!pt || *pt > 127) {
        return Fail(absl::StrCat("m= payload type \"", ToAbsl(f[i]), "\" is not a number 0-127"));
      }
    } else if (!IsToken(f[i])) {
      return Fail("m= format is not a token");
    }
    if (std::find(m.formats.begin(), m.formats.end(), f[i]) != m.formats.end()) {
      return Fail(absl::StrCat("m= format ", ToAbsl(f[i]), " is repeated"));
    }
    m.formats.emplace_back(f[i]);
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseMediaLine(char type, std::string_view value) {
  MediaSection& m = d_.media.back();
  switch (type) {
    case 'i':
      if (seen_media_i_) return Fail("repeated i= line in a media section");
      seen_media_i_ = true;
      m.title = std::string(value);
      return absl::OkStatus();
    case 'c': {
      if (m.connections.size() >= kMaxListItems) return Fail("too many c= lines");
      absl::StatusOr<ConnectionData> c = ParseConnection(value);
      if (!c.ok()) return c.status();
      m.connections.push_back(*std::move(c));
      return absl::OkStatus();
    }
    case 'b': {
      if (m.bandwidths.size() >= kMaxListItems) return Fail("too many b= lines");
      absl::StatusOr<Bandwidth> b = ParseBandwidth(value);
      if (!b.ok()) return b.status();
      m.bandwidths.push_back(*std::move(b));
      return absl::OkStatus();
    }
    case 'k':
      if (seen_media_k_) return Fail("repeated k= line in a media section");
      seen_media_k_ = true;
      m.key = std::string(value);
      return absl::OkStatus();
    case 'v':
    case 'o':
    case 's':
    case 'u':
    case 'e':
    case 'p':
    case 't':
    case 'r':
    case 'z':
      return Fail(absl::StrCat(std::string(1, type), "= line inside a media section"));
    default:
      return Fail(absl::StrCat("unknown line type '", std::string(1, type), "='"));
  }
}

// RFC 8851 §10: rid-syntax = 1*(alpha-numeric / "-" / "_").
bool IsRidId(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

absl::StatusOr<bool> Parser::ParseTransportAttribute(
    std::string_view name, std::optional<std::string_view> value, std::optional<std::string>& ufrag,
    std::optional<std::string>& pwd, std::vector<std::string>& options, std::vector<Fingerprint>& fingerprints,
    std::optional<SetupRole>& setup, std::optional<Direction>& direction, std::vector<Extmap>& extmaps,
    bool& allow_mixed) {
  auto need_value = [&]() -> absl::Status {
    if (!value || value->empty()) return Fail(absl::StrCat("a=", ToAbsl(name), " needs a value"));
    return absl::OkStatus();
  };
  auto no_value = [&]() -> absl::Status {
    if (value) return Fail(absl::StrCat("a=", ToAbsl(name), " takes no value"));
    return absl::OkStatus();
  };
  if (name == "ice-ufrag" || name == "ice-pwd") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    std::optional<std::string>& field = name == "ice-ufrag" ? ufrag : pwd;
    if (field) return Fail(absl::StrCat("repeated a=", ToAbsl(name)));
    if (!IsVisible(*value) || value->size() > 256) return Fail(absl::StrCat("a=", ToAbsl(name), " is not 1-256 visible characters"));
    field = std::string(*value);
    return true;
  }
  if (name == "ice-options") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    for (std::string_view o : SplitWhitespace(*value)) {
      if (!IsToken(o)) return Fail("a=ice-options value is not a token");
      if (options.size() >= kMaxListItems) return Fail("too many ice-options");
      options.emplace_back(o);
    }
    return true;
  }
  if (name == "fingerprint") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    Fields f = SplitWhitespace(*value);
    if (f.size() != 2 || !IsToken(f[0]) || !IsVisible(f[1])) return Fail("a=fingerprint needs <hash-func> <fingerprint>");
    if (fingerprints.size() >= kMaxListItems) return Fail("too many a=fingerprint lines");
    fingerprints.push_back(Fingerprint{std::string(f[0]), std::string(f[1])});
    return true;
  }
  if (name == "setup") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    if (setup) return Fail("repeated a=setup");
    setup = ParseSetupRole(*value);
    if (!setup) return Fail("a=setup is not actpass, active, passive or holdconn");
    return true;
  }
  if (std::optional<Direction> dir = ParseDirection(name)) {
    if (absl::Status s = no_value(); !s.ok()) return s;
    if (direction && *direction != *dir) return Fail("conflicting direction attributes");
    direction = dir;
    return true;
  }
  if (name == "extmap-allow-mixed") {
    if (absl::Status s = no_value(); !s.ok()) return s;
    allow_mixed = true;
    return true;
  }
  if (name == "extmap") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    std::string_view v = *value;
    size_t sp = v.find_first_of(" \t");
    if (sp == std::string_view::npos) return Fail("a=extmap needs <id>[/<direction>] <uri>");
    std::string_view id_dir = v.substr(0, sp);
    std::string_view rest = Trim(v.substr(sp));
    Extmap e;
    size_t slash = id_dir.find('/');
    std::optional<uint64_t> id = ParseDecimal(id_dir.substr(0, slash));
    if (!id || *id < 1 || *id > 255) return Fail("a=extmap id is not 1-255");
    e.id = static_cast<uint16_t>(*id);
    if (slash != std::string_view::npos) {
      e.direction = ParseDirection(id_dir.substr(slash + 1));
      if (!e.direction) return Fail("a=extmap direction is not sendrecv, sendonly, recvonly or inactive");
    }
    size_t sp2 = rest.find_first_of(" \t");
    std::string_view uri = rest.substr(0, sp2);
    if (!IsVisible(uri)) return Fail("a=extmap has no URI");
    e.uri = std::string(uri);
    if (sp2 != std::string_view::npos) e.attributes = std::string(Trim(rest.substr(sp2)));
    for (const Extmap& other : extmaps) {
      if (other.id == e.id) return Fail(absl::StrCat("a=extmap id ", e.id, " is repeated"));
    }
    if (extmaps.size() >= kMaxListItems) return Fail("too many a=extmap lines");
    extmaps.push_back(std::move(e));
    return true;
  }
  return false;
}

absl::Status Parser::ParseSessionAttribute(std::string_view name, std::optional<std::string_view> value) {
  absl::StatusOr<bool> transport =
      ParseTransportAttribute(name, value, d_.ice_ufrag, d_.ice_pwd, d_.ice_options, d_.fingerprints, d_.setup,
                              d_.direction, d_.extmaps, d_.extmap_allow_mixed);
  if (!transport.ok()) return transport.status();
  if (*transport) return absl::OkStatus();
  if (name == "group") {
    if (!value || value->empty()) return Fail("a=group needs <semantics> <mid> ...");
    Fields f = SplitWhitespace(*value);
    if (f.empty() || !IsToken(f[0])) return Fail("a=group semantics is not a token");
    if (f.size() - 1 > kMaxMediaSections) return Fail("a=group names too many mids");
    if (d_.groups.size() >= kMaxListItems) return Fail("too many a=group lines");
    Group g{std::string(f[0]), {}};
    for (size_t i = 1; i < f.size(); ++i) g.mids.emplace_back(f[i]);
    d_.groups.push_back(std::move(g));
    return absl::OkStatus();
  }
  if (name == "msid-semantic") {
    if (!value || value->empty()) return Fail("a=msid-semantic needs a value");
    Fields f = SplitWhitespace(*value);
    if (f.size() - 1 > kMaxListItems) return Fail("a=msid-semantic names too many streams");
    if (d_.msid_semantics.size() >= kMaxListItems) return Fail("too many a=msid-semantic lines");
    MsidSemantic m{std::string(f[0]), {}};
    for (size_t i = 1; i < f.size(); ++i) m.ids.emplace_back(f[i]);
    d_.msid_semantics.push_back(std::move(m));
    return absl::OkStatus();
  }
  if (name == "ice-lite") {
    if (value) return Fail("a=ice-lite takes no value");
    d_.ice_lite = true;
    return absl::OkStatus();
  }
  d_.other_attributes.push_back(
      Attribute{std::string(name), value ? std::optional<std::string>(std::string(*value)) : std::nullopt});
  return absl::OkStatus();
}

absl::StatusOr<uint8_t> PayloadTypeOf(std::string_view s) {
  std::optional<uint64_t> pt = ParseDecimal(s);
  if (!pt || *pt > 127) return absl::InvalidArgumentError("");
  return static_cast<uint8_t>(*pt);
}

absl::Status Parser::ParseMediaAttribute(std::string_view name, std::optional<std::string_view> value,
                                         MediaSection& m) {
  absl::StatusOr<bool> transport =
      ParseTransportAttribute(name, value, m.ice_ufrag, m.ice_pwd, m.ice_options, m.fingerprints, m.setup,
                              m.direction, m.extmaps, m.extmap_allow_mixed);
  if (!transport.ok()) return transport.status();
  if (*transport) return absl::OkStatus();
  auto need_value = [&]() -> absl::Status {
    if (!value || value->empty()) return Fail(absl::StrCat("a=", ToAbsl(name), " needs a value"));
    return absl::OkStatus();
  };
  auto flag = [&](bool& field) -> absl::Status {
    if (value) return Fail(absl::StrCat("a=", ToAbsl(name), " takes no value"));
    field = true;
    return absl::OkStatus();
  };
  auto u32 = [&](std::string_view s) -> std::optional<uint32_t> {
    std::optional<uint64_t> v = ParseDecimal(s);
    if (!v || *v > 0xFFFFFFFFu) return std::nullopt;
    return static_cast<uint32_t>(*v);
  };
  const bool rtp = media_is_rtp_;  // m.IsRtp(), computed once per section in ParseMLine

  if (name == "mid") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    if (m.mid) return Fail("repeated a=mid");
    if (!IsVisible(*value) || value->size() > 255) return Fail("a=mid is not 1-255 visible characters");
    m.mid = std::string(*value);
    return absl::OkStatus();
  }
  if (name == "candidate") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    absl::StatusOr<Candidate> c = ParseCandidate(*value);
    if (!c.ok()) return Fail(FromAbsl(c.status().message()));
    m.candidates.push_back(*std::move(c));
    return absl::OkStatus();
  }
  if (name == "end-of-candidates") return flag(m.end_of_candidates);
  if (name == "bundle-only") return flag(m.bundle_only);
  if (name == "rtcp-mux") return flag(m.rtcp_mux);
  if (name == "rtcp-mux-only") return flag(m.rtcp_mux_only);
  if (name == "rtcp-rsize") return flag(m.rtcp_rsize);
  if (name == "rtcp") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    if (m.rtcp) return Fail("repeated a=rtcp");
    Fields f = SplitWhitespace(*value);
    std::optional<uint64_t> port = ParseDecimal(f[0]);
    if (!port || *port > 65535) return Fail("a=rtcp port is not 0-65535");
    RtcpAddress r{static_cast<uint16_t>(*port), std::nullopt};
    if (f.size() == 4) {
      if (!IsToken(f[1]) || !IsToken(f[2]) || !IsVisible(f[3])) return Fail("bad a=rtcp address");
      r.connection = ConnectionData{std::string(f[1]), std::string(f[2]), std::string(f[3])};
    } else if (f.size() != 1) {
      return Fail("a=rtcp needs <port> [<nettype> <addrtype> <address>]");
    }
    m.rtcp = std::move(r);
    return absl::OkStatus();
  }
  if (name == "msid") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    Fields f = SplitWhitespace(*value);
    if (f.size() > 2) return Fail("a=msid needs <stream id> [<track id>]");
    if (m.msids.size() >= kMaxListItems) return Fail("too many a=msid lines");
    m.msids.push_back(Msid{std::string(f[0]), f.size() == 2 ? std::optional<std::string>(std::string(f[1]))
                                                            : std::nullopt});
    return absl::OkStatus();
  }
  if (rtp && name == "rtpmap") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    Fields f = SplitWhitespace(*value);
    if (f.size() != 2) return Fail("a=rtpmap needs <payload type> <encoding>/<clock rate>[/<channels>]");
    absl::StatusOr<uint8_t> pt = PayloadTypeOf(f[0]);
    if (!pt.ok()) return Fail("a=rtpmap payload type is not a number 0-127");
    if (m.FindRtpMap(*pt)) return Fail(absl::StrCat("repeated a=rtpmap for payload type ", *pt));
    Fields parts = Split(f[1], '/');
    if (parts.size() < 2 || parts.size() > 3 || !IsToken(parts[0])) {
      return Fail("a=rtpmap needs <encoding>/<clock rate>[/<channels>]");
    }
    std::optional<uint32_t> clock = u32(parts[1]);
    if (!clock || *clock == 0) return Fail("a=rtpmap clock rate is not a positive number");
    RtpMap r{*pt, std::string(parts[0]), *clock, std::nullopt};
    if (parts.size() == 3) {
      r.channels = u32(parts[2]);
      if (!r.channels || *r.channels == 0 || *r.channels > 255) return Fail("a=rtpmap channels is not 1-255");
    }
    m.rtpmaps.push_back(std::move(r));
    return absl::OkStatus();
  }
  if (rtp && name == "fmtp") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    std::string_view v = *value;
    size_t sp = v.find_first_of(" \t");
    absl::StatusOr<uint8_t> pt = PayloadTypeOf(v.substr(0, sp));
    if (!pt.ok()) return Fail("a=fmtp payload type is not a number 0-127");
    if (m.FindFmtp(*pt)) return Fail(absl::StrCat("repeated a=fmtp for payload type ", *pt));
    m.fmtps.push_back(Fmtp{*pt, sp == std::string_view::npos ? std::string() : std::string(Trim(v.substr(sp)))});
    return absl::OkStatus();
  }
  if (rtp && name == "rtcp-fb") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    std::string_view v = *value;
    size_t sp = v.find_first_of(" \t");
    if (sp == std::string_view::npos) return Fail("a=rtcp-fb needs <payload type> <type> [<parameter>]");
    std::string_view pt_text = v.substr(0, sp);
    RtcpFb fb;
    if (pt_text != "*") {
      absl::StatusOr<uint8_t> pt = PayloadTypeOf(pt_text);
      if (!pt.ok()) return Fail("a=rtcp-fb payload type is not * or a number 0-127");
      fb.payload_type = *pt;
    }
    std::string_view rest = Trim(v.substr(sp));
    size_t sp2 = rest.find_first_of(" \t");
    if (!IsToken(rest.substr(0, sp2))) return Fail("a=rtcp-fb type is not a token");
    fb.type = std::string(rest.substr(0, sp2));
    if (sp2 != std::string_view::npos) fb.parameter = std::string(Trim(rest.substr(sp2)));
    m.rtcp_fbs.push_back(std::move(fb));
    return absl::OkStatus();
  }
  if (name == "ssrc") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    std::string_view v = *value;
    size_t sp = v.find_first_of(" \t");
    std::optional<uint32_t> ssrc = u32(v.substr(0, sp));
    if (!ssrc) return Fail("a=ssrc id is not a 32-bit number");
    if (sp == std::string_view::npos) return Fail("a=ssrc needs <ssrc> <attribute>[:<value>]");
    std::string_view rest = Trim(v.substr(sp));
    size_t colon = rest.find(':');
    SsrcAttribute a{*ssrc, std::string(rest.substr(0, colon)), std::nullopt};
    if (!IsToken(a.attribute)) return Fail("a=ssrc attribute is not a token");
    if (colon != std::string_view::npos) a.value = std::string(rest.substr(colon + 1));
    m.ssrcs.push_back(std::move(a));
    return absl::OkStatus();
  }
  if (name == "ssrc-group") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    Fields f = SplitWhitespace(*value);
    if (!IsToken(f[0])) return Fail("a=ssrc-group semantics is not a token");
    if (f.size() - 1 > kMaxListItems) return Fail("a=ssrc-group has too many ssrcs");
    SsrcGroup g{std::string(f[0]), {}};
    for (size_t i = 1; i < f.size(); ++i) {
      std::optional<uint32_t> ssrc = u32(f[i]);
      if (!ssrc) return Fail("a=ssrc-group ssrc is not a 32-bit number");
      g.ssrcs.push_back(*ssrc);
    }
    if (m.ssrc_groups.size() >= kMaxListItems) return Fail("too many a=ssrc-group lines");
    m.ssrc_groups.push_back(std::move(g));
    return absl::OkStatus();
  }
  if (name == "rid") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    Fields f = SplitWhitespace(*value);
    if (f.size() < 2 || f.size() > 3) return Fail("a=rid needs <id> send|recv [<restrictions>]");
    if (!IsRidId(f[0])) return Fail("a=rid id is not 1-255 of ALPHA / DIGIT / \"-\" / \"_\"");
    Rid r;
    r.id = std::string(f[0]);
    if (f[1] == "send") {
      r.direction = RidDirection::kSend;
    } else if (f[1] == "recv") {
      r.direction = RidDirection::kRecv;
    } else {
      return Fail("a=rid direction is not send or recv");
    }
    if (f.size() == 3) {
      bool seen_pt = false;
      for (std::string_view p : Split(f[2], ';')) {
        if (p.empty()) return Fail("a=rid has an empty restriction");
        size_t eq = p.find('=');
        std::string_view key = p.substr(0, eq);
        std::string_view val = eq == std::string_view::npos ? std::string_view() : p.substr(eq + 1);
        if (!IsToken(key)) return Fail("a=rid restriction name is not a token");
        if (key == "pt") {
          if (seen_pt) return Fail("a=rid has two pt= restrictions");
          seen_pt = true;
          for (std::string_view pt_text : Split(val, ',')) {
            absl::StatusOr<uint8_t> pt = PayloadTypeOf(pt_text);
            if (!pt.ok()) return Fail("a=rid pt= value is not a number 0-127");
            if (r.payload_types.size() >= kMaxFormatsPerSection) return Fail("a=rid has too many pt= values");
            r.payload_types.push_back(*pt);
          }
        } else {
          if (eq != std::string_view::npos && val.empty()) return Fail("a=rid restriction has an empty value");
          if (r.restrictions.size() >= kMaxListItems) return Fail("a=rid has too many restrictions");
          r.restrictions.push_back(RidRestriction{std::string(key), std::string(val)});
        }
      }
    }
    for (const Rid& other : m.rids) {
      if (other.id == r.id && other.direction == r.direction) return Fail("repeated a=rid id");
    }
    if (m.rids.size() >= kMaxListItems) return Fail("too many a=rid lines");
    m.rids.push_back(std::move(r));
    return absl::OkStatus();
  }
  if (name == "simulcast") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    if (m.simulcast) return Fail("repeated a=simulcast");
    Fields f = SplitWhitespace(*value);
    if (f.size() != 2 && f.size() != 4) return Fail("a=simulcast needs send|recv <streams> [recv|send <streams>]");
    Simulcast sim;
    bool seen_send = false, seen_recv = false;
    size_t rids = 0;
    for (size_t i = 0; i < f.size(); i += 2) {
      std::vector<SimulcastStream>* list;
      if (f[i] == "send" && !seen_send) {
        seen_send = true;
        list = &sim.send;
      } else if (f[i] == "recv" && !seen_recv) {
        seen_recv = true;
        list = &sim.recv;
      } else {
        return Fail("a=simulcast direction is not send or recv, or is repeated");
      }
      std::string_view streams = f[i + 1];
      if (StartsWith(streams, "rid=")) streams.remove_prefix(4);  // draft-ietf-mmusic-sdp-simulcast-03
      for (std::string_view stream : Split(streams, ';')) {
        SimulcastStream alternatives;
        for (std::string_view alt : Split(stream, ',')) {
          bool paused = StartsWith(alt, "~");
          if (paused) alt.remove_prefix(1);
          if (!IsRidId(alt)) return Fail("a=simulcast rid is not 1-255 of ALPHA / DIGIT / \"-\" / \"_\"");
          if (++rids > kMaxListItems) return Fail("a=simulcast names too many rids");
          for (const std::vector<SimulcastStream>* l : {&sim.send, &sim.recv}) {
            for (const SimulcastStream& st : *l) {
              for (const SimulcastRid& r : st) {
                if (r.rid == alt) return Fail(absl::StrCat("a=simulcast names rid ", ToAbsl(alt), " twice"));
              }
            }
          }
          for (const SimulcastRid& r : alternatives) {
            if (r.rid == alt) return Fail(absl::StrCat("a=simulcast names rid ", ToAbsl(alt), " twice"));
          }
          alternatives.push_back(SimulcastRid{std::string(alt), paused});
        }
        list->push_back(std::move(alternatives));
      }
    }
    m.simulcast = std::move(sim);
    return absl::OkStatus();
  }
  if (name == "sctp-port") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    if (m.sctp_port) return Fail("repeated a=sctp-port");
    std::optional<uint64_t> port = ParseDecimal(*value);
    if (!port || *port > 65535) return Fail("a=sctp-port is not 0-65535");
    m.sctp_port = static_cast<uint16_t>(*port);
    return absl::OkStatus();
  }
  if (name == "max-message-size") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    if (m.max_message_size) return Fail("repeated a=max-message-size");
    m.max_message_size = ParseDecimal(*value);
    if (!m.max_message_size) return Fail("a=max-message-size is not a 64-bit number");
    return absl::OkStatus();
  }
  if (name == "sctpmap") {
    if (absl::Status s = need_value(); !s.ok()) return s;
    if (m.sctpmap) return Fail("repeated a=sctpmap");
    Fields f = SplitWhitespace(*value);
    if (f.size() < 2 || f.size() > 3) return Fail("a=sctpmap needs <number> <app> [<streams>]");
    std::optional<uint64_t> number = ParseDecimal(f[0]);
    if (!number || *number > 65535) return Fail("a=sctpmap number is not 0-65535");
    if (!IsToken(f[1])) return Fail("a=sctpmap app is not a token");
    SctpMap s{static_cast<uint16_t>(*number), std::string(f[1]), std::nullopt};
    if (f.size() == 3) {
      s.streams = u32(f[2]);
      if (!s.streams) return Fail("a=sctpmap streams is not a 32-bit number");
    }
    m.sctpmap = std::move(s);
    return absl::OkStatus();
  }
  m.other_attributes.push_back(
      Attribute{std::string(name), value ? std::optional<std::string>(std::string(*value)) : std::nullopt});
  return absl::OkStatus();
}

// The sort key of a payload type: its position in the m= line, from 1 ("*" is 0; payload types the
// m= line does not list come last, as formats.size() + 1).
class FormatOrder {
 public:
  explicit FormatOrder(const MediaSection& m) : leftover_(m.formats.size() + 1) {
    index_.fill(leftover_);
    for (size_t i = 0; i < m.formats.size(); ++i) {
      std::optional<uint64_t> pt = ParseDecimal(m.formats[i]);
      if (pt && *pt < index_.size() && index_[*pt] == leftover_) index_[*pt] = i + 1;
    }
  }
  size_t operator()(std::optional<uint8_t> pt) const { return pt ? index_[*pt & 0x7F] : 0; }
  size_t leftover() const { return leftover_; }

 private:
  size_t leftover_;
  std::array<size_t, 128> index_;
};

void SortCodecAttributes(MediaSection& m) {
  FormatOrder order(m);
  auto sorted = [&](const auto& list) {
    for (size_t i = 1; i < list.size(); ++i) {
      if (order(list[i].payload_type) < order(list[i - 1].payload_type)) return false;
    }
    return true;
  };
  if (sorted(m.rtpmaps) && sorted(m.fmtps) && sorted(m.rtcp_fbs)) return;  // as browsers write them
  std::stable_sort(m.rtpmaps.begin(), m.rtpmaps.end(),
                   [&](const RtpMap& a, const RtpMap& b) { return order(a.payload_type) < order(b.payload_type); });
  std::stable_sort(m.fmtps.begin(), m.fmtps.end(),
                   [&](const Fmtp& a, const Fmtp& b) { return order(a.payload_type) < order(b.payload_type); });
  std::stable_sort(m.rtcp_fbs.begin(), m.rtcp_fbs.end(),
                   [&](const RtcpFb& a, const RtcpFb& b) { return order(a.payload_type) < order(b.payload_type); });
}

absl::Status Parser::FinishMedia(MediaSection& m) {
  SortCodecAttributes(m);
  return absl::OkStatus();
}

absl::StatusOr<SessionDescription> Parser::Run(std::string_view text) {
  if (text.size() > kMaxSdpSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("SDP is ", text.size(), " bytes, over the limit of ", kMaxSdpSize));
  }
  d_.timings.clear();
  bool seen_t = false;
  size_t pos = 0;
  const char* const data = text.data();
  while (pos < text.size()) {
    // One pass finds the line's end and its first control character (other than tab).
    size_t end = pos;
    size_t control = std::string_view::npos;
    for (; end < text.size(); ++end) {
      unsigned char c = static_cast<unsigned char>(data[end]);
      if (c == '\n') break;
      if (((c < 0x20 && c != '\t') || c == 0x7F) && control == std::string_view::npos) control = end;
    }
    std::string_view line = text.substr(pos, end - pos);
    ++line_number_;
    if (line.size() > kMaxLineLength) return Fail(absl::StrCat("line is longer than ", kMaxLineLength, " bytes"));
    line = Trim(line);
    // A control character is allowed only where Trim removed it (the CR of CRLF); the common case,
    // no control character at all, needs no second look.
    if (control != std::string_view::npos) {
      for (char ch : line) {
        unsigned char c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7F) return Fail("control character in line");
      }
    }
    pos = end + 1;
    if (line.empty()) continue;
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
      return Fail("line is not <type>=<value> with a lowercase letter type");
    }
    char type = line[0];
    std::string_view value = line.substr(2);
    if (!seen_v_) {
      if (type != 'v') return Fail("the first line is not v=");
      if (value != "0") return Fail("v= is not 0");
      seen_v_ = true;
      continue;
    }
    if (type == 'm') {
      if (!seen_o_) return Fail("m= before o=");
      if (!seen_s_) return Fail("m= before s=");
      if (!seen_t) return Fail("m= before t=");
      if (!d_.media.empty()) {
        if (absl::Status s = FinishMedia(d_.media.back()); !s.ok()) return s;
      }
      if (d_.media.size() >= kMaxMediaSections) {
        return Fail(absl::StrCat("more than ", kMaxMediaSections, " media sections"));
      }
      d_.media.emplace_back();
      attributes_in_level_ = 0;
      seen_media_i_ = seen_media_k_ = false;
      if (absl::Status s = ParseMLine(value, d_.media.back()); !s.ok()) return s;
      continue;
    }
    if (type == 'a') {
      if (++attributes_in_level_ > kMaxAttributesPerLevel) {
        return Fail(absl::StrCat("more than ", kMaxAttributesPerLevel, " attributes in one section"));
      }
      size_t colon = value.find(':');
      std::string_view name = value.substr(0, colon);
      std::optional<std::string_view> attr_value;
      if (colon != std::string_view::npos) attr_value = Trim(value.substr(colon + 1));
      if (!IsToken(name)) return Fail("attribute name is not a token");
      absl::Status s = d_.media.empty() ? ParseSessionAttribute(name, attr_value)
                                        : ParseMediaAttribute(name, attr_value, d_.media.back());
      if (!s.ok()) return s;
      continue;
    }
    if (!d_.media.empty()) {
      if (absl::Status s = ParseMediaLine(type, value); !s.ok()) return s;
      continue;
    }
    if (type == 't') seen_t = true;
    if (absl::Status s = ParseSessionLine(type, value); !s.ok()) return s;
  }
  ++line_number_;
  if (!seen_v_) return Fail("no v= line (empty description)");
  if (!seen_o_) return Fail("no o= line");
  if (!seen_s_) return Fail("no s= line");
  if (!seen_t) return Fail("no t= line");
  if (!d_.media.empty()) {
    if (absl::Status s = FinishMedia(d_.media.back()); !s.ok()) return s;
  }
  return std::move(d_);
}

// --- Serializing ------------------------------------------------------------------------------------

class Writer {
 public:
  void Line(char type, std::string_view value) {
    out_.push_back(type);
    out_.push_back('=');
    out_.append(value);
    out_.append("\r\n");
  }
  void Attr(std::string_view name) { Line('a', name); }
  void Attr(std::string_view name, std::string_view value) {
    out_.append("a=");
    out_.append(name);
    out_.push_back(':');
    out_.append(value);
    out_.append("\r\n");
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string Connection(const ConnectionData& c) {
  return absl::StrCat(ToAbsl(c.net_type), " ", ToAbsl(c.address_type), " ", ToAbsl(c.address));
}

std::string ExtmapValue(const Extmap& e) {
  std::string out = absl::StrCat(e.id);
  if (e.direction) absl::StrAppend(&out, "/", ToAbsl(ToString(*e.direction)));
  absl::StrAppend(&out, " ", ToAbsl(e.uri));
  if (!e.attributes.empty()) absl::StrAppend(&out, " ", ToAbsl(e.attributes));
  return out;
}

void WriteTransport(Writer& w, const std::optional<std::string>& ufrag, const std::optional<std::string>& pwd,
                    const std::vector<std::string>& options, const std::vector<Fingerprint>& fingerprints,
                    const std::optional<SetupRole>& setup) {
  if (ufrag) w.Attr("ice-ufrag", *ufrag);
  if (pwd) w.Attr("ice-pwd", *pwd);
  // One line, or as many as it takes to keep each under kMaxLineLength.
  std::string joined;
  for (const std::string& o : options) {
    if (!joined.empty() && joined.size() + 1 + o.size() + 14 > kMaxLineLength) {
      w.Attr("ice-options", joined);
      joined.clear();
    }
    absl::StrAppend(&joined, joined.empty() ? "" : " ", ToAbsl(o));
  }
  if (!joined.empty()) w.Attr("ice-options", joined);
  for (const Fingerprint& f : fingerprints) w.Attr("fingerprint", absl::StrCat(ToAbsl(f.algorithm), " ", ToAbsl(f.value)));
  if (setup) w.Attr("setup", ToString(*setup));
}

void WriteOther(Writer& w, const std::vector<Attribute>& attributes) {
  for (const Attribute& a : attributes) {
    if (a.value) {
      w.Attr(a.name, *a.value);
    } else {
      w.Attr(a.name);
    }
  }
}

std::string RtcpFbValue(const RtcpFb& fb) {
  std::string out = fb.payload_type ? absl::StrCat(*fb.payload_type) : std::string("*");
  absl::StrAppend(&out, " ", ToAbsl(fb.type));
  if (!fb.parameter.empty()) absl::StrAppend(&out, " ", ToAbsl(fb.parameter));
  return out;
}

void WriteCodecAttributes(Writer& w, const MediaSection& m) {
  auto rtpmap = [&](const RtpMap& r) {
    std::string v = absl::StrCat(r.payload_type, " ", ToAbsl(r.encoding), "/", r.clock_rate);
    if (r.channels) absl::StrAppend(&v, "/", *r.channels);
    w.Attr("rtpmap", v);
  };
  auto fmtp = [&](const Fmtp& f) {
    w.Attr("fmtp", f.parameters.empty() ? absl::StrCat(f.payload_type)
                                        : absl::StrCat(f.payload_type, " ", ToAbsl(f.parameters)));
  };
  // The lists are sorted by FormatOrder (Parse sorts them; a model built by hand may not be, so this
  // walks them in key order without assuming it). "*" feedback first; then each listed payload type
  // with its rtpmap, rtcp-fb and fmtp lines; then every list's payload types the m= line does not list.
  FormatOrder order(m);
  std::vector<size_t> keys;
  for (const RtpMap& r : m.rtpmaps) keys.push_back(order(r.payload_type));
  for (const RtcpFb& f : m.rtcp_fbs) keys.push_back(order(f.payload_type));
  for (const Fmtp& f : m.fmtps) keys.push_back(order(f.payload_type));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (size_t key : keys) {
    if (key == order.leftover()) break;
    for (const RtpMap& r : m.rtpmaps) {
      if (order(r.payload_type) == key) rtpmap(r);
    }
    for (const RtcpFb& fb : m.rtcp_fbs) {
      if (order(fb.payload_type) == key) w.Attr("rtcp-fb", RtcpFbValue(fb));
    }
    for (const Fmtp& f : m.fmtps) {
      if (order(f.payload_type) == key) fmtp(f);
    }
  }
  for (const RtpMap& r : m.rtpmaps) {
    if (order(r.payload_type) == order.leftover()) rtpmap(r);
  }
  for (const RtcpFb& fb : m.rtcp_fbs) {
    if (order(fb.payload_type) == order.leftover()) w.Attr("rtcp-fb", RtcpFbValue(fb));
  }
  for (const Fmtp& f : m.fmtps) {
    if (order(f.payload_type) == order.leftover()) fmtp(f);
  }
}

std::string SimulcastList(const std::vector<SimulcastStream>& streams) {
  std::string out;
  for (size_t i = 0; i < streams.size(); ++i) {
    if (i > 0) out.push_back(';');
    for (size_t j = 0; j < streams[i].size(); ++j) {
      if (j > 0) out.push_back(',');
      if (streams[i][j].paused) out.push_back('~');
      out.append(streams[i][j].rid);
    }
  }
  return out;
}

void WriteMedia(Writer& w, const MediaSection& m) {
  std::string mline = absl::StrCat(ToAbsl(m.media), " ", m.port);
  if (m.port_count) absl::StrAppend(&mline, "/", *m.port_count);
  absl::StrAppend(&mline, " ", ToAbsl(m.protocol));
  for (const std::string& f : m.formats) absl::StrAppend(&mline, " ", ToAbsl(f));
  w.Line('m', mline);
  if (m.title) w.Line('i', *m.title);
  for (const ConnectionData& c : m.connections) w.Line('c', Connection(c));
  for (const Bandwidth& b : m.bandwidths) w.Line('b', absl::StrCat(ToAbsl(b.type), ":", b.value));
  if (m.key) w.Line('k', *m.key);
  if (m.rtcp) {
    std::string v = absl::StrCat(m.rtcp->port);
    if (m.rtcp->connection) absl::StrAppend(&v, " ", Connection(*m.rtcp->connection));
    w.Attr("rtcp", v);
  }
  WriteTransport(w, m.ice_ufrag, m.ice_pwd, m.ice_options, m.fingerprints, m.setup);
  if (m.mid) w.Attr("mid", *m.mid);
  if (m.bundle_only) w.Attr("bundle-only");
  for (const Extmap& e : m.extmaps) w.Attr("extmap", ExtmapValue(e));
  if (m.extmap_allow_mixed) w.Attr("extmap-allow-mixed");
  if (m.direction) w.Attr(ToString(*m.direction));
  for (const Msid& msid : m.msids) {
    w.Attr("msid", msid.track_id ? absl::StrCat(ToAbsl(msid.stream_id), " ", ToAbsl(*msid.track_id)) : msid.stream_id);
  }
  if (m.rtcp_mux) w.Attr("rtcp-mux");
  if (m.rtcp_mux_only) w.Attr("rtcp-mux-only");
  if (m.rtcp_rsize) w.Attr("rtcp-rsize");
  WriteCodecAttributes(w, m);
  for (const SsrcGroup& g : m.ssrc_groups) {
    std::string v = g.semantics;
    for (uint32_t s : g.ssrcs) absl::StrAppend(&v, " ", s);
    w.Attr("ssrc-group", v);
  }
  for (const SsrcAttribute& s : m.ssrcs) {
    std::string v = absl::StrCat(s.ssrc, " ", ToAbsl(s.attribute));
    if (s.value) absl::StrAppend(&v, ":", ToAbsl(*s.value));
    w.Attr("ssrc", v);
  }
  for (const Rid& r : m.rids) {
    std::string v = absl::StrCat(ToAbsl(r.id), r.direction == RidDirection::kSend ? " send" : " recv");
    std::string params;
    if (!r.payload_types.empty()) {
      params = "pt=";
      for (size_t i = 0; i < r.payload_types.size(); ++i) {
        absl::StrAppend(&params, i > 0 ? "," : "", r.payload_types[i]);
      }
    }
    for (const RidRestriction& rr : r.restrictions) {
      absl::StrAppend(&params, params.empty() ? "" : ";", ToAbsl(rr.name));
      if (!rr.value.empty()) absl::StrAppend(&params, "=", ToAbsl(rr.value));
    }
    if (!params.empty()) absl::StrAppend(&v, " ", params);
    w.Attr("rid", v);
  }
  if (m.simulcast && (!m.simulcast->send.empty() || !m.simulcast->recv.empty())) {
    std::string v;
    if (!m.simulcast->send.empty()) v = absl::StrCat("send ", SimulcastList(m.simulcast->send));
    if (!m.simulcast->recv.empty()) {
      absl::StrAppend(&v, v.empty() ? "" : " ", "recv ", SimulcastList(m.simulcast->recv));
    }
    w.Attr("simulcast", v);
  }
  if (m.sctp_port) w.Attr("sctp-port", absl::StrCat(*m.sctp_port));
  if (m.sctpmap) {
    std::string v = absl::StrCat(m.sctpmap->number, " ", ToAbsl(m.sctpmap->app));
    if (m.sctpmap->streams) absl::StrAppend(&v, " ", *m.sctpmap->streams);
    w.Attr("sctpmap", v);
  }
  if (m.max_message_size) w.Attr("max-message-size", absl::StrCat(*m.max_message_size));
  WriteOther(w, m.other_attributes);
  for (const Candidate& c : m.candidates) w.Attr("candidate", FormatCandidateValue(c));
  if (m.end_of_candidates) w.Attr("end-of-candidates");
}

}  // namespace

absl::StatusOr<SessionDescription> Parse(std::string_view text) { return Parser().Run(text); }

std::string Serialize(const SessionDescription& d) {
  Writer w;
  w.Line('v', "0");
  const Origin& o = d.origin;
  w.Line('o', absl::StrCat(ToAbsl(o.username), " ", ToAbsl(o.session_id), " ", o.session_version, " ",
                           ToAbsl(o.net_type), " ", ToAbsl(o.address_type), " ", ToAbsl(o.address)));
  w.Line('s', d.session_name.empty() ? std::string_view(" ") : std::string_view(d.session_name));
  if (d.info) w.Line('i', *d.info);
  if (d.uri) w.Line('u', *d.uri);
  for (const std::string& e : d.emails) w.Line('e', e);
  for (const std::string& p : d.phones) w.Line('p', p);
  if (d.connection) w.Line('c', Connection(*d.connection));
  for (const Bandwidth& b : d.bandwidths) w.Line('b', absl::StrCat(ToAbsl(b.type), ":", b.value));
  if (d.timings.empty()) w.Line('t', "0 0");
  for (const Timing& t : d.timings) {
    w.Line('t', absl::StrCat(t.start, " ", t.stop));
    for (const std::string& r : t.repeats) w.Line('r', r);
  }
  if (d.zone) w.Line('z', *d.zone);
  if (d.key) w.Line('k', *d.key);
  for (const Group& g : d.groups) {
    std::string v = g.semantics;
    for (const std::string& mid : g.mids) absl::StrAppend(&v, " ", ToAbsl(mid));
    w.Attr("group", v);
  }
  if (d.extmap_allow_mixed) w.Attr("extmap-allow-mixed");
  for (const MsidSemantic& m : d.msid_semantics) {
    std::string v = m.semantic;
    for (const std::string& id : m.ids) absl::StrAppend(&v, " ", ToAbsl(id));
    w.Attr("msid-semantic", v);
  }
  if (d.ice_lite) w.Attr("ice-lite");
  WriteTransport(w, d.ice_ufrag, d.ice_pwd, d.ice_options, d.fingerprints, d.setup);
  if (d.direction) w.Attr(ToString(*d.direction));
  for (const Extmap& e : d.extmaps) w.Attr("extmap", ExtmapValue(e));
  WriteOther(w, d.other_attributes);
  for (const MediaSection& m : d.media) WriteMedia(w, m);
  return w.Take();
}

}  // namespace tern::sdp
