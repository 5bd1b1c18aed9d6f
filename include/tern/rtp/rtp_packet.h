// RTP packets (RFC 3550 §5.1 fixed header, §5.3.1 header extension) with RFC 8285 extension elements:
// RtpPacketView, a validated zero-copy view over a received packet, and RtpPacketBuilder, which writes
// one into a caller's buffer. Neither allocates.
//
//   absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(datagram);
//   if (!p.ok()) return p.status();
//   absl::StatusOr<uint16_t> twcc = p->GetExtension<TransportSequenceNumberExtension>(extmap);
//
//   RtpPacketBuilder b(buffer);
//   b.SetPayloadType(96).SetSequenceNumber(seq).SetTimestamp(ts).SetSsrc(ssrc).SetMarker(true);
//   b.AddExtension<AbsSendTimeExtension>(3, AbsSendTimeExtension::FromTime(now));
//   b.SetPayload(frame);
//   absl::StatusOr<ByteSpan> wire = b.Finish();
#ifndef TERN_RTP_RTP_PACKET_H_
#define TERN_RTP_RTP_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tern/base/byte_io.h"
#include "tern/base/strings.h"
#include "tern/rtp/header_extension.h"
#include "tern/rtp/rtp_extensions.h"

namespace tern::rtp {

inline constexpr uint8_t kRtpVersion = 2;
inline constexpr size_t kRtpHeaderSize = 12;  // the fixed header, without CSRCs
inline constexpr size_t kMaxCsrcs = 15;

// RFC 5761 §4 / RFC 7983: a datagram whose first byte is 128..191 is RTP or RTCP; it is RTCP when
// the second byte (payload type with the marker bit) is 192..223. Cheap checks for demultiplexing;
// they do not validate.
bool LooksLikeRtpOrRtcp(ByteSpan datagram);
bool LooksLikeRtcp(ByteSpan datagram);

class RtpPacketView {
 public:
  // Checks version 2, the CSRC list, the extension block (and, for the RFC 8285 profiles, every
  // element) and the padding: a padding count of at least 1 and no larger than what follows the header.
  static absl::StatusOr<RtpPacketView> Parse(ByteSpan packet);

  ByteSpan bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

  bool has_padding() const { return (bytes_[0] & 0x20) != 0; }
  bool has_extension() const { return (bytes_[0] & 0x10) != 0; }
  size_t csrc_count() const { return bytes_[0] & 0x0F; }
  bool marker() const { return (bytes_[1] & 0x80) != 0; }
  uint8_t payload_type() const { return bytes_[1] & 0x7F; }
  uint16_t sequence_number() const { return LoadBigEndian16(bytes_.data() + 2); }
  uint32_t timestamp() const { return LoadBigEndian32(bytes_.data() + 4); }
  uint32_t ssrc() const { return LoadBigEndian32(bytes_.data() + 8); }
  uint32_t csrc(size_t i) const { return LoadBigEndian32(bytes_.data() + kRtpHeaderSize + 4 * i); }

  // The "defined by profile" field and the extension block's body (after its 4-byte header); 0 and
  // empty without an extension.
  uint16_t extension_profile() const { return extension_profile_; }
  ByteSpan extension_body() const { return bytes_.subspan(extension_offset_, extension_size_); }
  ExtensionForm extension_form() const { return ExtensionFormOf(extension_profile_); }
  // The 4 appbits of a two-byte-form profile (RFC 8285 §4.3).
  uint8_t extension_app_bits() const { return extension_profile_ & 0x0F; }
  // RFC 8285 elements (empty for other profiles), in wire order.
  HeaderExtensionList extensions() const { return HeaderExtensionList(extension_form(), extension_body()); }
  size_t extension_count() const { return extension_count_; }
  // The data of the first element with this id.
  std::optional<ByteSpan> FindExtension(uint8_t id) const { return extensions().Find(id); }

  // NotFound when absent (or, with a map, not registered); the extension's error when malformed.
  template <typename Ext>
  absl::StatusOr<typename Ext::Value> GetExtension(uint8_t id) const {
    std::optional<ByteSpan> data = FindExtension(id);
    if (!data) return absl::NotFoundError(absl::StrCat("RTP packet has no header extension with id ", id));
    return Ext::Parse(*data);
  }
  template <typename Ext>
  absl::StatusOr<typename Ext::Value> GetExtension(const RtpHeaderExtensionMap& map) const {
    uint8_t id = map.IdOf(Ext::kType);
    if (id == 0)
      return absl::NotFoundError(absl::StrCat("RTP header extension not negotiated: ", ToAbsl(Ext::kUri)));
    return GetExtension<Ext>(id);
  }

  size_t header_size() const { return payload_offset_; }  // fixed header + CSRCs + extension block
  ByteSpan payload() const { return bytes_.subspan(payload_offset_, payload_size_); }
  size_t padding_size() const { return bytes_.size() - payload_offset_ - payload_size_; }
  ByteSpan padding() const { return bytes_.subspan(payload_offset_ + payload_size_); }

 private:
  RtpPacketView() = default;

  ByteSpan bytes_;
  uint32_t payload_offset_ = 0;
  uint32_t payload_size_ = 0;
  uint32_t extension_offset_ = 0;
  uint32_t extension_size_ = 0;
  uint16_t extension_profile_ = 0;
  uint32_t extension_count_ = 0;
};

// Which RFC 8285 form the builder writes extension elements in.
enum class ExtensionFormPolicy : uint8_t {
  // Per packet: the one-byte form while every element fits it (ids 1..14, 1..16 bytes), the two-byte
  // form as soon as one does not. Mixing forms in a stream needs a=extmap-allow-mixed (RFC 8285 §6).
  kAuto,
  // Always the one-byte form; an element that does not fit it is an error (no extmap-allow-mixed).
  kOneByte,
  // Always the two-byte form.
  kTwoByte,
};

// Writes one RTP packet into a caller's buffer. Header fields may be set at any time before Finish();
// the variable parts must come in wire order: CSRCs, then extension elements (or one raw extension),
// then the payload. The first problem (buffer too small, a value out of range, parts out of order, a
// call after Finish) is remembered and returned by Finish(); later calls are ignored. Whatever Finish()
// returns, RtpPacketView::Parse accepts.
class RtpPacketBuilder {
 public:
  explicit RtpPacketBuilder(MutableByteSpan buffer);

  RtpPacketBuilder& SetMarker(bool marker);
  RtpPacketBuilder& SetPayloadType(uint8_t payload_type);  // 0..127
  RtpPacketBuilder& SetSequenceNumber(uint16_t seq);
  RtpPacketBuilder& SetTimestamp(uint32_t timestamp);
  RtpPacketBuilder& SetSsrc(uint32_t ssrc);
  RtpPacketBuilder& AddCsrc(uint32_t csrc);  // at most 15, before extensions and payload

  RtpPacketBuilder& SetExtensionFormPolicy(ExtensionFormPolicy policy);  // before the first element
  RtpPacketBuilder& SetTwoByteAppBits(uint8_t app_bits);                 // 0..15 (RFC 8285 §4.3)
  // Appends one element and returns its data bytes for the caller to fill (empty on error).
  MutableByteSpan AllocateExtension(uint8_t id, size_t size);
  RtpPacketBuilder& AddExtension(uint8_t id, ByteSpan data);
  template <typename Ext>
  RtpPacketBuilder& AddExtension(uint8_t id, const typename Ext::Value& value) {
    if (!status_.ok()) return *this;
    absl::Status valid = Ext::Validate(value);
    if (!valid.ok()) {
      Fail(valid);
      return *this;
    }
    size_t size = Ext::Size(value);
    MutableByteSpan out = AllocateExtension(id, size);
    if (status_.ok()) Ext::Write(value, out);
    return *this;
  }
  template <typename Ext>
  RtpPacketBuilder& AddExtension(const RtpHeaderExtensionMap& map, const typename Ext::Value& value) {
    uint8_t id = map.IdOf(Ext::kType);
    if (id == 0) {
      Fail(absl::NotFoundError(absl::StrCat("RTP header extension not negotiated: ", ToAbsl(Ext::kUri))));
      return *this;
    }
    return AddExtension<Ext>(id, value);
  }
  // An extension block of another profile: `body` must be a multiple of 4 bytes. Instead of elements.
  RtpPacketBuilder& SetRawExtension(uint16_t profile, ByteSpan body);

  // The payload: copied, or written by the caller into the returned span (empty on error).
  RtpPacketBuilder& SetPayload(ByteSpan payload);
  MutableByteSpan AllocatePayload(size_t size);
  // Padding bytes (1..255, the last holding the count) appended by Finish(); 0 for none.
  RtpPacketBuilder& SetPadding(size_t size);

  absl::StatusOr<ByteSpan> Finish();
  absl::Status status() const { return status_; }

 private:
  enum class Stage : uint8_t { kCsrcs, kExtensions, kPayload, kFinished };
  void Fail(absl::Status status);
  bool Advance(Stage stage, const char* what);  // moves forward, refusing to go back
  void CloseExtension();
  bool ConvertToTwoByte();

  ByteWriter w_;
  absl::Status status_;
  Stage stage_ = Stage::kCsrcs;
  ExtensionFormPolicy policy_ = ExtensionFormPolicy::kAuto;
  ExtensionForm form_ = ExtensionForm::kNone;  // of the elements written so far
  bool raw_extension_ = false;
  bool has_payload_ = false;
  uint8_t app_bits_ = 0;
  uint8_t padding_ = 0;
  bool marker_ = false;
  uint8_t payload_type_ = 0;
  uint16_t sequence_number_ = 0;
  uint32_t timestamp_ = 0;
  uint32_t ssrc_ = 0;
  size_t csrc_count_ = 0;
  size_t extension_offset_ = 0;  // of the 4-byte extension header; 0 = none
  size_t element_count_ = 0;
  uint16_t raw_profile_ = 0;
};

}  // namespace tern::rtp

#endif  // TERN_RTP_RTP_PACKET_H_
