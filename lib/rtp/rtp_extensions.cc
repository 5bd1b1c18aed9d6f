#include "tern/rtp/rtp_extensions.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "tern/base/strings.h"

namespace tern::rtp {
namespace {

constexpr std::string_view kUris[kRtpExtensionTypeCount] = {
    "",
    kAbsSendTimeUri,
    kTransportSequenceNumberUri,
    kMidUri,
    kRtpStreamIdUri,
    kRepairedRtpStreamIdUri,
    kAudioLevelUri,
    kVideoOrientationUri,
    kPlayoutDelayUri,
};

absl::Status WrongSize(std::string_view what, size_t expected, size_t got) {
  return absl::InvalidArgumentError(
      absl::StrCat("RTP ", ToAbsl(what), " extension must have ", expected, " data bytes, has ", got));
}

// RFC 8866 §9 token-char: any visible ASCII character except the tspecials below.
bool IsTokenChar(char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsRidChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

absl::Status ValidateIdentifier(std::string_view what, std::string_view v, bool (*allowed)(char)) {
  if (v.empty()) return absl::InvalidArgumentError(absl::StrCat("RTP ", ToAbsl(what), " extension is empty"));
  if (v.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTP ", ToAbsl(what), " extension is longer than 255 bytes"));
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (!allowed(v[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("RTP ", ToAbsl(what), " extension has a character not allowed in it at offset ", i));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string_view> ParseIdentifier(std::string_view what, ByteSpan data,
                                                 bool (*allowed)(char)) {
  std::string_view v = AsString(data);
  while (!v.empty() && v.back() == '\0') v.remove_suffix(1);
  absl::Status s = ValidateIdentifier(what, v, allowed);
  if (!s.ok()) return s;
  return v;
}

void WriteString(std::string_view v, MutableByteSpan out) {
  if (!v.empty()) std::memcpy(out.data(), v.data(), v.size());
}

}  // namespace

std::string_view RtpExtensionUri(RtpExtensionType type) {
  size_t i = static_cast<size_t>(type);
  return i < kRtpExtensionTypeCount ? kUris[i] : std::string_view();
}

std::optional<RtpExtensionType> RtpExtensionTypeFromUri(std::string_view uri) {
  for (size_t i = 1; i < kRtpExtensionTypeCount; ++i) {
    if (kUris[i] == uri) return static_cast<RtpExtensionType>(i);
  }
  return std::nullopt;
}

absl::Status RtpHeaderExtensionMap::Register(uint8_t id, RtpExtensionType type) {
  size_t t = static_cast<size_t>(type);
  if (id == 0) return absl::InvalidArgumentError("RTP header extension id 0 is reserved for padding");
  if (type == RtpExtensionType::kNone || t >= kRtpExtensionTypeCount) {
    return absl::InvalidArgumentError("RTP header extension type to register is not a known type");
  }
  if (types_[id] == type) return absl::OkStatus();
  if (types_[id] != RtpExtensionType::kNone) {
    return absl::AlreadyExistsError(absl::StrCat("RTP header extension id ", id, " is already mapped to ",
                                                 ToAbsl(RtpExtensionUri(types_[id]))));
  }
  if (ids_[t] != 0) {
    return absl::AlreadyExistsError(absl::StrCat("RTP header extension ", ToAbsl(RtpExtensionUri(type)),
                                                 " is already mapped to id ", ids_[t]));
  }
  types_[id] = type;
  ids_[t] = id;
  return absl::OkStatus();
}

absl::Status RtpHeaderExtensionMap::RegisterUri(uint8_t id, std::string_view uri) {
  std::optional<RtpExtensionType> type = RtpExtensionTypeFromUri(uri);
  if (!type) return absl::NotFoundError(absl::StrCat("RTP header extension URI not known: ", ToAbsl(uri)));
  return Register(id, *type);
}

void RtpHeaderExtensionMap::Unregister(RtpExtensionType type) {
  size_t t = static_cast<size_t>(type);
  if (type == RtpExtensionType::kNone || t >= kRtpExtensionTypeCount || ids_[t] == 0) return;
  types_[ids_[t]] = RtpExtensionType::kNone;
  ids_[t] = 0;
}

// --- abs-send-time ---------------------------------------------------------------------------------

absl::StatusOr<uint32_t> AbsSendTimeExtension::Parse(ByteSpan data) {
  if (data.size() != kSize) return WrongSize("abs-send-time", kSize, data.size());
  return (uint32_t{data[0]} << 16) | (uint32_t{data[1]} << 8) | data[2];
}

absl::Status AbsSendTimeExtension::Validate(uint32_t v) {
  if (v > 0xFFFFFF) return absl::InvalidArgumentError("RTP abs-send-time value does not fit 24 bits");
  return absl::OkStatus();
}

void AbsSendTimeExtension::Write(uint32_t v, MutableByteSpan out) {
  out[0] = static_cast<uint8_t>(v >> 16);
  out[1] = static_cast<uint8_t>(v >> 8);
  out[2] = static_cast<uint8_t>(v);
}

uint32_t AbsSendTimeExtension::FromTime(Timestamp t) {
  constexpr int64_t kWrapUs = 64'000'000;  // 2^6 seconds
  int64_t us = t.us() % kWrapUs;
  if (us < 0) us += kWrapUs;
  return static_cast<uint32_t>(((us << 18) + 500'000) / 1'000'000) & 0xFFFFFF;
}

Duration AbsSendTimeExtension::ToDuration(uint32_t v) {
  // Rounded to the nearest microsecond.
  return Duration::Micros((int64_t{v & 0xFFFFFF} * 1'000'000 + (1 << 17)) >> 18);
}

// --- transport-wide-cc -----------------------------------------------------------------------------

absl::StatusOr<uint16_t> TransportSequenceNumberExtension::Parse(ByteSpan data) {
  if (data.size() != kSize) return WrongSize("transport-wide-cc", kSize, data.size());
  return LoadBigEndian16(data.data());
}

void TransportSequenceNumberExtension::Write(uint16_t v, MutableByteSpan out) {
  StoreBigEndian16(out.data(), v);
}

// --- mid, rtp-stream-id ----------------------------------------------------------------------------

absl::StatusOr<std::string_view> MidExtension::Parse(ByteSpan data) {
  return ParseIdentifier("sdes:mid", data, IsTokenChar);
}
absl::Status MidExtension::Validate(std::string_view v) {
  return ValidateIdentifier("sdes:mid", v, IsTokenChar);
}
void MidExtension::Write(std::string_view v, MutableByteSpan out) { WriteString(v, out); }

absl::StatusOr<std::string_view> RtpStreamIdExtension::Parse(ByteSpan data) {
  return ParseIdentifier("rtp-stream-id", data, IsRidChar);
}
absl::Status RtpStreamIdExtension::Validate(std::string_view v) {
  return ValidateIdentifier("rtp-stream-id", v, IsRidChar);
}
void RtpStreamIdExtension::Write(std::string_view v, MutableByteSpan out) { WriteString(v, out); }

// --- ssrc-audio-level ------------------------------------------------------------------------------

absl::StatusOr<AudioLevel> AudioLevelExtension::Parse(ByteSpan data) {
  if (data.size() != kSize) return WrongSize("ssrc-audio-level", kSize, data.size());
  return AudioLevel{(data[0] & 0x80) != 0, static_cast<uint8_t>(data[0] & 0x7F)};
}

absl::Status AudioLevelExtension::Validate(const AudioLevel& v) {
  if (v.level > 127) return absl::InvalidArgumentError("RTP ssrc-audio-level level must be 0..127 (-dBov)");
  return absl::OkStatus();
}

void AudioLevelExtension::Write(const AudioLevel& v, MutableByteSpan out) {
  out[0] = static_cast<uint8_t>((v.voice_activity ? 0x80 : 0) | (v.level & 0x7F));
}

// --- video-orientation -----------------------------------------------------------------------------

absl::StatusOr<VideoOrientation> VideoOrientationExtension::Parse(ByteSpan data) {
  if (data.size() != kSize) return WrongSize("video-orientation", kSize, data.size());
  return VideoOrientation{(data[0] & 0x08) != 0, (data[0] & 0x04) != 0, static_cast<uint8_t>(data[0] & 0x03)};
}

absl::Status VideoOrientationExtension::Validate(const VideoOrientation& v) {
  if (v.rotation > 3) {
    return absl::InvalidArgumentError("RTP video-orientation rotation must be 0..3 (quarter turns)");
  }
  return absl::OkStatus();
}

void VideoOrientationExtension::Write(const VideoOrientation& v, MutableByteSpan out) {
  out[0] = static_cast<uint8_t>((v.back_camera ? 0x08 : 0) | (v.flip ? 0x04 : 0) | (v.rotation & 0x03));
}

// --- playout-delay ---------------------------------------------------------------------------------

absl::StatusOr<PlayoutDelay> PlayoutDelayExtension::Parse(ByteSpan data) {
  if (data.size() != kSize) return WrongSize("playout-delay", kSize, data.size());
  uint32_t v = (uint32_t{data[0]} << 16) | (uint32_t{data[1]} << 8) | data[2];
  PlayoutDelay d{static_cast<uint16_t>(v >> 12), static_cast<uint16_t>(v & 0x0FFF)};
  if (d.min_10ms > d.max_10ms) {
    return absl::InvalidArgumentError("RTP playout-delay minimum is greater than its maximum");
  }
  return d;
}

absl::Status PlayoutDelayExtension::Validate(const PlayoutDelay& v) {
  if (v.min_10ms > kMax10ms || v.max_10ms > kMax10ms) {
    return absl::InvalidArgumentError("RTP playout-delay values must fit 12 bits (0..4095 x 10 ms)");
  }
  if (v.min_10ms > v.max_10ms) {
    return absl::InvalidArgumentError("RTP playout-delay minimum is greater than its maximum");
  }
  return absl::OkStatus();
}

void PlayoutDelayExtension::Write(const PlayoutDelay& v, MutableByteSpan out) {
  uint32_t x = (uint32_t{v.min_10ms} << 12) | v.max_10ms;
  out[0] = static_cast<uint8_t>(x >> 16);
  out[1] = static_cast<uint8_t>(x >> 8);
  out[2] = static_cast<uint8_t>(x);
}

}  // namespace tern::rtp
