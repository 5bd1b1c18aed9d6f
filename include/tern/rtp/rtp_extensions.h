// The RTP header extensions tern knows by URI (RFC 8285 §5 extmap), the registry that maps a
// session's local ids to them, and a typed reader/writer for each: abs-send-time, transport-wide-cc
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2), sdes:mid (RFC 8843 §15), rtp-stream-id and
// repaired-rtp-stream-id (RFC 8852 §3), ssrc-audio-level (RFC 6464 §3), urn:3gpp:video-orientation
// (3GPP TS 26.114 §7.4.5) and playout-delay (WebRTC).
//
// Each typed extension is a traits struct used with RtpPacketView::GetExtension<T>() and
// RtpPacketBuilder::AddExtension<T>():
//   using Value = ...;                                 // what the element means
//   static absl::StatusOr<Value> Parse(ByteSpan data); // the element's data, any size
//   static absl::Status Validate(const Value&);        // what Write accepts
//   static size_t Size(const Value&);                  // bytes Write produces
//   static void Write(const Value&, MutableByteSpan);  // exactly Size() bytes; Validate first
#ifndef TERN_RTP_RTP_EXTENSIONS_H_
#define TERN_RTP_RTP_EXTENSIONS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/time.h"

namespace tern::rtp {

enum class RtpExtensionType : uint8_t {
  kNone = 0,
  kAbsSendTime,
  kTransportSequenceNumber,
  kMid,
  kRtpStreamId,
  kRepairedRtpStreamId,
  kAudioLevel,
  kVideoOrientation,
  kPlayoutDelay,
};
inline constexpr size_t kRtpExtensionTypeCount = 9;  // including kNone

inline constexpr std::string_view kAbsSendTimeUri =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
inline constexpr std::string_view kTransportSequenceNumberUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
inline constexpr std::string_view kMidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
inline constexpr std::string_view kRtpStreamIdUri = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
inline constexpr std::string_view kRepairedRtpStreamIdUri =
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
inline constexpr std::string_view kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr std::string_view kVideoOrientationUri = "urn:3gpp:video-orientation";
inline constexpr std::string_view kPlayoutDelayUri =
    "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";

// The URI of a type ("" for kNone), and the type of a URI (nullopt when tern does not know it).
std::string_view RtpExtensionUri(RtpExtensionType type);
std::optional<RtpExtensionType> RtpExtensionTypeFromUri(std::string_view uri);

// A session's extmap: local id (1..255; 1..14 for the one-byte form) <-> extension type. Each id maps
// to at most one type and each type to at most one id.
class RtpHeaderExtensionMap {
 public:
  RtpHeaderExtensionMap() {
    ids_.fill(0);
    types_.fill(RtpExtensionType::kNone);
  }

  // InvalidArgument for id 0 or kNone; AlreadyExists when the id or the type is taken by another
  // mapping (registering the same pair twice is fine).
  absl::Status Register(uint8_t id, RtpExtensionType type);
  // As Register; NotFound for a URI tern does not know (callers usually ignore those).
  absl::Status RegisterUri(uint8_t id, std::string_view uri);
  void Unregister(RtpExtensionType type);

  // 0 when the type is not registered.
  uint8_t IdOf(RtpExtensionType type) const { return ids_[static_cast<size_t>(type)]; }
  // kNone when the id is not registered.
  RtpExtensionType TypeOf(uint8_t id) const { return types_[id]; }
  bool IsRegistered(RtpExtensionType type) const { return IdOf(type) != 0; }

 private:
  std::array<uint8_t, kRtpExtensionTypeCount> ids_;
  std::array<RtpExtensionType, 256> types_;
};

// abs-send-time: 24 bits, seconds in 6.18 fixed point, wrapping every 64 s.
struct AbsSendTimeExtension {
  using Value = uint32_t;
  static constexpr RtpExtensionType kType = RtpExtensionType::kAbsSendTime;
  static constexpr std::string_view kUri = kAbsSendTimeUri;
  static constexpr size_t kSize = 3;
  static absl::StatusOr<Value> Parse(ByteSpan data);
  static absl::Status Validate(Value v);  // fits 24 bits
  static size_t Size(Value) { return kSize; }
  static void Write(Value v, MutableByteSpan out);
  // The 24-bit value for a time (rounded to the nearest 2^-18 s, modulo 64 s), and back (in [0, 64 s)).
  static Value FromTime(Timestamp t);
  static Duration ToDuration(Value v);
};

// transport-wide-cc: a 16-bit transport-wide sequence number.
struct TransportSequenceNumberExtension {
  using Value = uint16_t;
  static constexpr RtpExtensionType kType = RtpExtensionType::kTransportSequenceNumber;
  static constexpr std::string_view kUri = kTransportSequenceNumberUri;
  static constexpr size_t kSize = 2;
  static absl::StatusOr<Value> Parse(ByteSpan data);
  static absl::Status Validate(Value) { return absl::OkStatus(); }
  static size_t Size(Value) { return kSize; }
  static void Write(Value v, MutableByteSpan out);
};

// The SDES-in-RTP string extensions. Value views the packet's bytes. Parse drops trailing NUL bytes
// (some senders pad with them); the rest must be 1..255 bytes of the identifier's character set:
// MID is an SDP token (RFC 8843 §15, RFC 8866 §9), RtpStreamId / RepairedRtpStreamId a rid-id
// (RFC 8851 §10: letters, digits, '-' and '_').
struct MidExtension {
  using Value = std::string_view;
  static constexpr RtpExtensionType kType = RtpExtensionType::kMid;
  static constexpr std::string_view kUri = kMidUri;
  static absl::StatusOr<Value> Parse(ByteSpan data);
  static absl::Status Validate(Value v);
  static size_t Size(Value v) { return v.size(); }
  static void Write(Value v, MutableByteSpan out);
};
struct RtpStreamIdExtension {
  using Value = std::string_view;
  static constexpr RtpExtensionType kType = RtpExtensionType::kRtpStreamId;
  static constexpr std::string_view kUri = kRtpStreamIdUri;
  static absl::StatusOr<Value> Parse(ByteSpan data);
  static absl::Status Validate(Value v);
  static size_t Size(Value v) { return v.size(); }
  static void Write(Value v, MutableByteSpan out);
};
struct RepairedRtpStreamIdExtension {
  using Value = std::string_view;
  static constexpr RtpExtensionType kType = RtpExtensionType::kRepairedRtpStreamId;
  static constexpr std::string_view kUri = kRepairedRtpStreamIdUri;
  static absl::StatusOr<Value> Parse(ByteSpan data) { return RtpStreamIdExtension::Parse(data); }
  static absl::Status Validate(Value v) { return RtpStreamIdExtension::Validate(v); }
  static size_t Size(Value v) { return v.size(); }
  static void Write(Value v, MutableByteSpan out) { RtpStreamIdExtension::Write(v, out); }
};

// RFC 6464 §3: one byte, V (voice activity) then the level in -dBov, 0 (loudest) .. 127 (silence).
struct AudioLevel {
  bool voice_activity = false;
  uint8_t level = 127;
  friend bool operator==(const AudioLevel&, const AudioLevel&) = default;
};
struct AudioLevelExtension {
  using Value = AudioLevel;
  static constexpr RtpExtensionType kType = RtpExtensionType::kAudioLevel;
  static constexpr std::string_view kUri = kAudioLevelUri;
  static constexpr size_t kSize = 1;
  static absl::StatusOr<Value> Parse(ByteSpan data);
  static absl::Status Validate(const Value& v);  // level <= 127
  static size_t Size(const Value&) { return kSize; }
  static void Write(const Value& v, MutableByteSpan out);
};

// 3GPP TS 26.114 §7.4.5 coordination of video orientation: one byte 0000CFRR — C camera (0 front,
// 1 back), F horizontal flip, RR rotation in 90-degree steps (counter-clockwise). Parse ignores the
// four high bits (the higher-granularity variant's extra rotation bits).
struct VideoOrientation {
  bool back_camera = false;
  bool flip = false;
  uint8_t rotation = 0;  // 0..3: 0, 90, 180, 270 degrees
  int degrees() const { return rotation * 90; }
  friend bool operator==(const VideoOrientation&, const VideoOrientation&) = default;
};
struct VideoOrientationExtension {
  using Value = VideoOrientation;
  static constexpr RtpExtensionType kType = RtpExtensionType::kVideoOrientation;
  static constexpr std::string_view kUri = kVideoOrientationUri;
  static constexpr size_t kSize = 1;
  static absl::StatusOr<Value> Parse(ByteSpan data);
  static absl::Status Validate(const Value& v);  // rotation <= 3
  static size_t Size(const Value&) { return kSize; }
  static void Write(const Value& v, MutableByteSpan out);
};

// playout-delay: three bytes, minimum and maximum delay, 12 bits each, in 10 ms units (0..40.95 s).
struct PlayoutDelay {
  uint16_t min_10ms = 0;
  uint16_t max_10ms = 0;
  Duration min() const { return Duration::Millis(min_10ms * 10); }
  Duration max() const { return Duration::Millis(max_10ms * 10); }
  friend bool operator==(const PlayoutDelay&, const PlayoutDelay&) = default;
};
struct PlayoutDelayExtension {
  using Value = PlayoutDelay;
  static constexpr RtpExtensionType kType = RtpExtensionType::kPlayoutDelay;
  static constexpr std::string_view kUri = kPlayoutDelayUri;
  static constexpr size_t kSize = 3;
  static constexpr uint16_t kMax10ms = 0x0FFF;
  static absl::StatusOr<Value> Parse(ByteSpan data);  // refuses min > max
  static absl::Status Validate(const Value& v);       // both <= 4095, min <= max
  static size_t Size(const Value&) { return kSize; }
  static void Write(const Value& v, MutableByteSpan out);
};

}  // namespace tern::rtp

#endif  // TERN_RTP_RTP_EXTENSIONS_H_
