#include "tern/rtp/rtp_packet.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace tern::rtp {

bool LooksLikeRtpOrRtcp(ByteSpan datagram) {
  return datagram.size() >= 4 && datagram[0] >= 128 && datagram[0] <= 191;
}

bool LooksLikeRtcp(ByteSpan datagram) {
  return LooksLikeRtpOrRtcp(datagram) && datagram[1] >= 192 && datagram[1] <= 223;
}

absl::StatusOr<RtpPacketView> RtpPacketView::Parse(ByteSpan packet) {
  if (packet.size() < kRtpHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTP packet of ", packet.size(), " bytes is shorter than the 12-byte fixed header"));
  }
  uint8_t version = packet[0] >> 6;
  if (version != kRtpVersion) {
    return absl::InvalidArgumentError(absl::StrCat("RTP version must be 2, is ", version));
  }
  RtpPacketView view;
  view.bytes_ = packet;
  size_t offset = kRtpHeaderSize + 4 * size_t{packet[0] & 0x0Fu};
  if (packet.size() < offset) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RTP packet of ", packet.size(), " bytes is too short for its ", packet[0] & 0x0F, " CSRCs"));
  }
  if (packet[0] & 0x10) {
    if (packet.size() - offset < 4) {
      return absl::InvalidArgumentError("RTP packet is too short for its header extension header");
    }
    view.extension_profile_ = LoadBigEndian16(packet.data() + offset);
    size_t body = 4 * size_t{LoadBigEndian16(packet.data() + offset + 2)};
    offset += 4;
    if (packet.size() - offset < body) {
      return absl::InvalidArgumentError(
          absl::StrCat("RTP header extension length (", body / 4, " words) runs past the end of the packet"));
    }
    view.extension_offset_ = static_cast<uint32_t>(offset);
    view.extension_size_ = static_cast<uint32_t>(body);
    absl::StatusOr<size_t> count =
        ValidateExtensionElements(ExtensionFormOf(view.extension_profile_), packet.subspan(offset, body));
    if (!count.ok()) return count.status();
    view.extension_count_ = static_cast<uint32_t>(*count);
    offset += body;
  }
  view.payload_offset_ = static_cast<uint32_t>(offset);
  size_t after_header = packet.size() - offset;
  size_t padding = 0;
  if (packet[0] & 0x20) {
    if (after_header == 0) {
      return absl::InvalidArgumentError(
          "RTP padding bit is set but no byte follows the header for the count");
    }
    padding = packet.back();
    if (padding == 0) return absl::InvalidArgumentError("RTP padding count is zero");
    if (padding > after_header) {
      return absl::InvalidArgumentError(absl::StrCat("RTP padding count ", padding, " is larger than the ",
                                                     after_header, " bytes after the header"));
    }
  }
  view.payload_size_ = static_cast<uint32_t>(after_header - padding);
  return view;
}

// --- RtpPacketBuilder ------------------------------------------------------------------------------

RtpPacketBuilder::RtpPacketBuilder(MutableByteSpan buffer) : w_(buffer) {
  w_.WriteZeros(kRtpHeaderSize);
  if (!w_.ok()) Fail(absl::ResourceExhaustedError("buffer is too small for the RTP fixed header"));
}

void RtpPacketBuilder::Fail(absl::Status status) {
  if (status_.ok()) status_ = std::move(status);
}

bool RtpPacketBuilder::Advance(Stage stage, const char* what) {
  if (!status_.ok()) return false;
  if (stage_ == Stage::kFinished) {
    Fail(absl::FailedPreconditionError(absl::StrCat("RTP packet already finished: cannot add ", what)));
    return false;
  }
  if (stage_ > stage) {
    Fail(absl::FailedPreconditionError(absl::StrCat(
        "RTP packet parts go in wire order (CSRCs, extensions, payload): ", what, " comes too late")));
    return false;
  }
  if (stage_ == Stage::kExtensions && stage > Stage::kExtensions) CloseExtension();
  stage_ = stage;
  return status_.ok();
}

RtpPacketBuilder& RtpPacketBuilder::SetMarker(bool marker) {
  marker_ = marker;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetPayloadType(uint8_t payload_type) {
  if (payload_type > 127) Fail(absl::InvalidArgumentError("RTP payload type must be 0..127"));
  payload_type_ = payload_type & 0x7F;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetSequenceNumber(uint16_t seq) {
  sequence_number_ = seq;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetTimestamp(uint32_t timestamp) {
  timestamp_ = timestamp;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetSsrc(uint32_t ssrc) {
  ssrc_ = ssrc;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::AddCsrc(uint32_t csrc) {
  if (!Advance(Stage::kCsrcs, "a CSRC")) return *this;
  if (csrc_count_ == kMaxCsrcs) {
    Fail(absl::InvalidArgumentError("RTP packet can carry at most 15 CSRCs"));
    return *this;
  }
  w_.WriteU32(csrc);
  if (!w_.ok()) {
    Fail(absl::ResourceExhaustedError("RTP packet does not fit the buffer"));
    return *this;
  }
  ++csrc_count_;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetExtensionFormPolicy(ExtensionFormPolicy policy) {
  if (extension_offset_ != 0) {
    Fail(absl::FailedPreconditionError("RTP extension form policy must be set before the first element"));
  }
  policy_ = policy;
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetTwoByteAppBits(uint8_t app_bits) {
  if (app_bits > 15) Fail(absl::InvalidArgumentError("RTP two-byte extension appbits must be 0..15"));
  app_bits_ = app_bits & 0x0F;
  return *this;
}

bool RtpPacketBuilder::ConvertToTwoByte() {
  // Each one-byte element grows by one byte (a separate length byte). Shift the elements right by
  // their count, then rewrite them left to right: the write position never passes the read position.
  size_t start = extension_offset_ + 4;
  size_t end = w_.size();
  size_t k = element_count_;
  if (w_.Reserve(k).size() != k) return false;
  uint8_t* buf = w_.buffer().data();
  std::memmove(buf + start + k, buf + start, end - start);
  size_t r = start + k;
  size_t out = start;
  for (size_t i = 0; i < k; ++i) {
    uint8_t b = buf[r];
    uint8_t size = static_cast<uint8_t>((b & 0x0F) + 1);
    buf[out] = b >> 4;
    buf[out + 1] = size;
    std::memmove(buf + out + 2, buf + r + 1, size);
    r += 1 + size;
    out += 2 + size;
  }
  form_ = ExtensionForm::kTwoByte;
  return true;
}

MutableByteSpan RtpPacketBuilder::AllocateExtension(uint8_t id, size_t size) {
  if (!Advance(Stage::kExtensions, "a header extension")) return {};
  if (raw_extension_) {
    Fail(absl::FailedPreconditionError("RTP packet already has a raw header extension block"));
    return {};
  }
  if (id == 0) {
    Fail(absl::InvalidArgumentError("RTP header extension id 0 is reserved for padding"));
    return {};
  }
  if (policy_ == ExtensionFormPolicy::kOneByte && !FitsOneByteForm(id, size)) {
    Fail(absl::InvalidArgumentError(
        absl::StrCat("RTP header extension id ", id, " of ", size,
                     " bytes does not fit the one-byte form (ids 1..14, 1..16 bytes)")));
    return {};
  }
  if (!FitsTwoByteForm(id, size)) {
    Fail(absl::InvalidArgumentError(
        absl::StrCat("RTP header extension id ", id, " of ", size, " bytes is longer than 255 bytes")));
    return {};
  }
  if (extension_offset_ == 0) {
    extension_offset_ = w_.size();
    w_.WriteZeros(4);
    form_ = policy_ == ExtensionFormPolicy::kTwoByte ? ExtensionForm::kTwoByte : ExtensionForm::kOneByte;
  }
  if (w_.ok() && form_ == ExtensionForm::kOneByte && !FitsOneByteForm(id, size)) ConvertToTwoByte();
  if (form_ == ExtensionForm::kOneByte) {
    w_.WriteU8(static_cast<uint8_t>((id << 4) | (size - 1)));
  } else {
    w_.WriteU8(id);
    w_.WriteU8(static_cast<uint8_t>(size));
  }
  MutableByteSpan data = w_.Reserve(size);
  if (!w_.ok()) {
    Fail(absl::ResourceExhaustedError("RTP packet does not fit the buffer"));
    return {};
  }
  ++element_count_;
  return data;
}

RtpPacketBuilder& RtpPacketBuilder::AddExtension(uint8_t id, ByteSpan data) {
  MutableByteSpan out = AllocateExtension(id, data.size());
  if (status_.ok() && !data.empty()) std::memcpy(out.data(), data.data(), data.size());
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetRawExtension(uint16_t profile, ByteSpan body) {
  if (!Advance(Stage::kExtensions, "a header extension")) return *this;
  if (extension_offset_ != 0) {
    Fail(absl::FailedPreconditionError("RTP packet already has a header extension block"));
    return *this;
  }
  if (body.size() % 4 != 0 || body.size() / 4 > 0xFFFF) {
    Fail(absl::InvalidArgumentError(
        "RTP header extension body must be a multiple of 4 bytes, at most 65535 words"));
    return *this;
  }
  ExtensionForm form = ExtensionFormOf(profile);
  absl::StatusOr<size_t> elements = ValidateExtensionElements(form, body);
  if (!elements.ok()) {
    Fail(elements.status());
    return *this;
  }
  extension_offset_ = w_.size();
  w_.WriteU16(profile);
  w_.WriteU16(static_cast<uint16_t>(body.size() / 4));
  w_.WriteBytes(body);
  if (!w_.ok()) {
    Fail(absl::ResourceExhaustedError("RTP packet does not fit the buffer"));
    return *this;
  }
  raw_extension_ = true;
  raw_profile_ = profile;
  return *this;
}

void RtpPacketBuilder::CloseExtension() {
  if (extension_offset_ == 0 || raw_extension_) return;
  size_t body = w_.size() - (extension_offset_ + 4);
  w_.WriteZeros((4 - body % 4) % 4);
  if (!w_.ok()) {
    Fail(absl::ResourceExhaustedError("RTP packet does not fit the buffer"));
    return;
  }
  size_t words = (w_.size() - (extension_offset_ + 4)) / 4;
  if (words > 0xFFFF) {
    Fail(absl::InvalidArgumentError("RTP header extension block is longer than 65535 words"));
    return;
  }
  uint16_t profile = form_ == ExtensionForm::kOneByte
                         ? kOneByteExtensionProfile
                         : static_cast<uint16_t>(kTwoByteExtensionProfile | app_bits_);
  uint8_t* p = w_.buffer().data() + extension_offset_;
  StoreBigEndian16(p, profile);
  StoreBigEndian16(p + 2, static_cast<uint16_t>(words));
}

RtpPacketBuilder& RtpPacketBuilder::SetPayload(ByteSpan payload) {
  MutableByteSpan out = AllocatePayload(payload.size());
  if (status_.ok() && !payload.empty()) std::memcpy(out.data(), payload.data(), payload.size());
  return *this;
}

MutableByteSpan RtpPacketBuilder::AllocatePayload(size_t size) {
  if (!Advance(Stage::kPayload, "the payload")) return {};
  if (has_payload_) {
    Fail(absl::FailedPreconditionError("RTP packet payload already set"));
    return {};
  }
  MutableByteSpan out = w_.Reserve(size);
  if (!w_.ok()) {
    Fail(absl::ResourceExhaustedError("RTP packet does not fit the buffer"));
    return {};
  }
  has_payload_ = true;
  return out;
}

RtpPacketBuilder& RtpPacketBuilder::SetPadding(size_t size) {
  if (size > 255) Fail(absl::InvalidArgumentError("RTP padding must be 0..255 bytes"));
  padding_ = static_cast<uint8_t>(size);
  return *this;
}

absl::StatusOr<ByteSpan> RtpPacketBuilder::Finish() {
  if (!Advance(Stage::kPayload, "anything")) return status_;
  if (padding_ != 0) {
    w_.WriteZeros(padding_ - 1u);
    w_.WriteU8(padding_);
    if (!w_.ok()) {
      Fail(absl::ResourceExhaustedError("RTP packet does not fit the buffer"));
      return status_;
    }
  }
  uint8_t* p = w_.buffer().data();
  p[0] = static_cast<uint8_t>(0x80 | (padding_ != 0 ? 0x20 : 0) | (extension_offset_ != 0 ? 0x10 : 0) |
                              csrc_count_);
  p[1] = static_cast<uint8_t>((marker_ ? 0x80 : 0) | payload_type_);
  StoreBigEndian16(p + 2, sequence_number_);
  StoreBigEndian32(p + 4, timestamp_);
  StoreBigEndian32(p + 8, ssrc_);
  stage_ = Stage::kFinished;
  return w_.written();
}

}  // namespace tern::rtp
