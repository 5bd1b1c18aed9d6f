// The first-byte demultiplexer for everything that shares one ICE component: STUN, ZRTP, DTLS, TURN
// ChannelData and RTP/RTCP (RFC 7983 §7, as updated by RFC 9443 §3), plus the RTP/RTCP split of
// RFC 5761 §4 for rtcp-mux.
#ifndef TERN_DTLS_DEMUX_H_
#define TERN_DTLS_DEMUX_H_

#include <cstdint>
#include <string_view>

#include "tern/base/byte_io.h"

namespace tern {

enum class PacketKind {
  kStun,         // first byte 0-3
  kZrtp,         // 16-19
  kDtls,         // 20-63
  kTurnChannel,  // 64-79 (TURN ChannelData, RFC 8656 §12)
  kRtpRtcp,      // 128-191
  kUnknown,      // empty, or any other first byte (4-15, 80-127 (QUIC, RFC 9443), 192-255): drop it
};

std::string_view PacketKindName(PacketKind kind);

// Classifies a datagram by its first byte (RFC 7983 §7). Never reads past packet[0].
constexpr PacketKind ClassifyPacket(ByteSpan packet) {
  if (packet.empty()) return PacketKind::kUnknown;
  const uint8_t b = packet[0];
  if (b <= 3) return PacketKind::kStun;
  if (b >= 16 && b <= 19) return PacketKind::kZrtp;
  if (b >= 20 && b <= 63) return PacketKind::kDtls;
  if (b >= 64 && b <= 79) return PacketKind::kTurnChannel;
  if (b >= 128 && b <= 191) return PacketKind::kRtpRtcp;
  return PacketKind::kUnknown;
}

// RFC 5761 §4: with rtcp-mux, a packet in the RTP range whose second byte (the RTP marker bit and
// payload type, or the RTCP packet type) is 192-223 is RTCP (SR 200, RR 201, SDES 202, BYE 203, APP 204,
// RTPFB 205, PSFB 206, XR 207, ...); 224-255 and everything below 192 are RTP.
constexpr bool IsRtcpPacketType(uint8_t second_byte) { return second_byte >= 192 && second_byte <= 223; }

// True when `packet` is in the RTP/RTCP range and its second byte says RTCP. A one-byte packet is not.
constexpr bool IsRtcpPacket(ByteSpan packet) {
  return packet.size() >= 2 && ClassifyPacket(packet) == PacketKind::kRtpRtcp && IsRtcpPacketType(packet[1]);
}

}  // namespace tern

#endif  // TERN_DTLS_DEMUX_H_
