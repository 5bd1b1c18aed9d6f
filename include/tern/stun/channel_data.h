// TURN ChannelData messages (RFC 8656 §12.4-§12.5) and stream framing for STUN-over-TCP/TLS (RFC 8489
// §6.2.2, RFC 8656 §12.5). Over UDP the payload may be followed by up to 3 bytes of padding; over TCP
// and TLS every ChannelData message is padded to a multiple of 4 bytes.
#ifndef TERN_STUN_CHANNEL_DATA_H_
#define TERN_STUN_CHANNEL_DATA_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/stun/constants.h"

namespace tern::stun {

inline constexpr size_t kChannelDataHeaderSize = 4;

// By the first byte: 0x40-0x4F with RFC 8656 numbers (RFC 7983's ChannelData range, 64-79), 0x40-0x7F
// with RFC 5766 ones. Channel numbers and their ranges are in constants.h.
inline bool LooksLikeChannelData(ByteSpan b, ChannelNumberRange range = ChannelNumberRange::kRfc8656) {
  if (b.empty()) return false;
  return range == ChannelNumberRange::kRfc5766 ? (b[0] & 0xC0) == 0x40 : (b[0] & 0xF0) == 0x40;
}

enum class Framing {
  kDatagram,  // UDP: one message per datagram, padding optional
  kStream,    // TCP/TLS: messages back to back, ChannelData padded to 4
};

struct ChannelDataView {
  uint16_t channel = 0;
  ByteSpan payload;        // points into the parsed buffer
  size_t frame_size = 0;   // bytes this message occupies, including padding
};

// Parses the ChannelData message at the start of `data`. With kDatagram, `data` must be exactly one
// datagram (payload plus at most the padding to the next multiple of 4). With kStream, `data` may hold
// more bytes after the message; it must hold the whole padded message. The channel number must be in
// `range`.
absl::StatusOr<ChannelDataView> ParseChannelData(ByteSpan data, Framing framing,
                                                 ChannelNumberRange range = ChannelNumberRange::kRfc8656);

// Writes a ChannelData message into `out`; returns its size. Pads with zeros to a multiple of 4 with
// kStream (and never with kDatagram). The channel number must be in `range`.
absl::StatusOr<size_t> WriteChannelData(MutableByteSpan out, uint16_t channel, ByteSpan payload,
                                        Framing framing,
                                        ChannelNumberRange range = ChannelNumberRange::kRfc8656);

// TCP/TLS framing: the size of the first complete STUN or ChannelData message at the start of a
// stream buffer, 0 when more bytes are needed to tell, or an error when the stream is not STUN/TURN
// (a caller must then close the connection: framing cannot be recovered). A first byte is ChannelData as
// LooksLikeChannelData(stream, range) says; with RFC 8656 numbers, 0x50-0x7F is an error.
absl::StatusOr<size_t> StreamFrameSize(ByteSpan stream,
                                       ChannelNumberRange range = ChannelNumberRange::kRfc8656);

}  // namespace tern::stun

#endif  // TERN_STUN_CHANNEL_DATA_H_
