// TURN ChannelData messages (RFC 8656 §12.4-§12.5) and stream framing for STUN-over-TCP/TLS (RFC 8489
// §6.2.2, RFC 8656 §12.5). Over UDP the payload may be followed by up to 3 bytes of padding; over TCP
// and TLS every ChannelData message is padded to a multiple of 4 bytes.
#ifndef TERN_STUN_CHANNEL_DATA_H_
#define TERN_STUN_CHANNEL_DATA_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"

namespace tern::stun {

inline constexpr uint16_t kMinChannelNumber = 0x4000;
inline constexpr uint16_t kMaxChannelNumber = 0x4FFF;
inline constexpr size_t kChannelDataHeaderSize = 4;

constexpr bool IsValidChannelNumber(uint16_t n) {
  return n >= kMinChannelNumber && n <= kMaxChannelNumber;
}
// First byte 0x40-0x4F (RFC 7983 demultiplexing range for ChannelData is 64-79).
inline bool LooksLikeChannelData(ByteSpan b) { return !b.empty() && (b[0] & 0xF0) == 0x40; }

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
// more bytes after the message; it must hold the whole padded message.
absl::StatusOr<ChannelDataView> ParseChannelData(ByteSpan data, Framing framing);

// Writes a ChannelData message into `out`; returns its size. Pads with zeros to a multiple of 4 with
// kStream (and never with kDatagram).
absl::StatusOr<size_t> WriteChannelData(MutableByteSpan out, uint16_t channel, ByteSpan payload,
                                        Framing framing);

// TCP/TLS framing: the size of the first complete STUN or ChannelData message at the start of a
// stream buffer, 0 when more bytes are needed to tell, or an error when the stream is not STUN/TURN
// (a caller must then close the connection: framing cannot be recovered).
absl::StatusOr<size_t> StreamFrameSize(ByteSpan stream);

}  // namespace tern::stun

#endif  // TERN_STUN_CHANNEL_DATA_H_
