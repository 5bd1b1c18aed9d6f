#include "tern/stun/channel_data.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tern/stun/constants.h"

namespace tern::stun {
namespace {
inline size_t Padded(size_t n) { return (n + 3) & ~size_t{3}; }

std::string OutOfRange(const char* what, uint16_t channel, ChannelNumberRange range) {
  return absl::StrFormat("%s: channel number 0x%04x outside 0x%04X..0x%04X", what, channel, kMinChannelNumber,
                         MaxChannelNumber(range));
}
}  // namespace

absl::StatusOr<ChannelDataView> ParseChannelData(ByteSpan data, Framing framing, ChannelNumberRange range) {
  if (data.size() < kChannelDataHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("ChannelData: ", data.size(), " bytes is shorter than the 4-byte header"));
  }
  uint16_t channel = LoadBigEndian16(data.data());
  if (!IsValidChannelNumber(channel, range)) {
    return absl::InvalidArgumentError(OutOfRange("ChannelData", channel, range));
  }
  size_t length = LoadBigEndian16(data.data() + 2);
  size_t available = data.size() - kChannelDataHeaderSize;
  size_t frame = kChannelDataHeaderSize + Padded(length);
  if (framing == Framing::kDatagram) {
    if (length > available) {
      return absl::InvalidArgumentError(absl::StrCat("ChannelData: length ", length, " but only ",
                                                     available, " bytes follow the header"));
    }
    if (available > Padded(length)) {
      return absl::InvalidArgumentError(absl::StrCat("ChannelData: ", available - length,
                                                     " bytes after a payload of ", length,
                                                     " (at most 3 bytes of padding allowed)"));
    }
    frame = data.size();
  } else if (data.size() < frame) {
    return absl::InvalidArgumentError(absl::StrCat("ChannelData: stream frame needs ", frame,
                                                   " bytes (padded), have ", data.size()));
  }
  return ChannelDataView{channel, data.subspan(kChannelDataHeaderSize, length), frame};
}

absl::StatusOr<size_t> WriteChannelData(MutableByteSpan out, uint16_t channel, ByteSpan payload,
                                        Framing framing, ChannelNumberRange range) {
  if (!IsValidChannelNumber(channel, range)) {
    return absl::InvalidArgumentError(OutOfRange("ChannelData", channel, range));
  }
  if (payload.size() > 0xFFFF) {
    return absl::InvalidArgumentError(absl::StrCat("ChannelData: payload of ", payload.size(),
                                                   " bytes exceeds 65535"));
  }
  size_t size = kChannelDataHeaderSize + (framing == Framing::kStream ? Padded(payload.size()) : payload.size());
  if (out.size() < size) {
    return absl::ResourceExhaustedError(absl::StrCat("ChannelData: buffer of ", out.size(),
                                                     " bytes, need ", size));
  }
  StoreBigEndian16(out.data(), channel);
  StoreBigEndian16(out.data() + 2, static_cast<uint16_t>(payload.size()));
  if (!payload.empty()) std::memmove(out.data() + kChannelDataHeaderSize, payload.data(), payload.size());
  size_t pad = size - kChannelDataHeaderSize - payload.size();
  if (pad != 0) std::memset(out.data() + kChannelDataHeaderSize + payload.size(), 0, pad);
  return size;
}

absl::StatusOr<size_t> StreamFrameSize(ByteSpan stream, ChannelNumberRange range) {
  if (stream.empty()) return 0;
  uint8_t first = stream[0];
  if ((first & 0xC0) == 0) {
    if (stream.size() < 4) return 0;
    size_t length = LoadBigEndian16(stream.data() + 2);
    if ((length & 3) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("STUN over TCP: length ", length, " is not a multiple of 4"));
    }
    if (stream.size() >= 8 && LoadBigEndian32(stream.data() + 4) != kMagicCookie) {
      return absl::InvalidArgumentError("STUN over TCP: no magic cookie");
    }
    size_t size = kHeaderSize + length;
    return stream.size() >= size ? size : 0;
  }
  if (LooksLikeChannelData(stream, range)) {
    if (stream.size() < 4) return 0;
    // The first byte already puts the number in range; the check keeps the two in step.
    uint16_t channel = LoadBigEndian16(stream.data());
    if (!IsValidChannelNumber(channel, range)) {
      return absl::InvalidArgumentError(OutOfRange("ChannelData over TCP", channel, range));
    }
    size_t size = kChannelDataHeaderSize + Padded(LoadBigEndian16(stream.data() + 2));
    return stream.size() >= size ? size : 0;
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("stream is neither STUN nor ChannelData (first byte 0x%02x)", first));
}

}  // namespace tern::stun
