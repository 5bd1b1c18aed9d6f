// What both SRTP backends check before any crypto, so that they reject malformed input the same way
// and with the same status (see include/tern/srtp/srtp_session.h). Internal to lib/srtp.
#ifndef TERN_LIB_SRTP_PACKET_CHECKS_H_
#define TERN_LIB_SRTP_PACKET_CHECKS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "tern/base/byte_io.h"
#include "tern/srtp/srtp_session.h"

namespace tern::srtp {

inline constexpr size_t kRtpFixedHeaderSize = 12;
inline constexpr size_t kRtcpHeaderSize = 8;
inline constexpr size_t kSrtcpIndexSize = 4;
inline constexpr uint32_t kSrtcpEncryptedFlag = 0x80000000u;
inline constexpr uint32_t kSrtcpIndexMask = 0x7fffffffu;
inline constexpr uint32_t kSrtcpMaxIndex = 0x7fffffffu;

// Size of the RTP header of packet[0, size): fixed header, CSRCs and the header extension (RFC 3550
// §5.1, §5.3.1), or 0 when it does not fit in `size` bytes. The version is not checked (RFC 7983
// demultiplexing has already looked at the first byte).
inline size_t RtpHeaderSize(const uint8_t* packet, size_t size) {
  if (size < kRtpFixedHeaderSize) return 0;
  size_t header = kRtpFixedHeaderSize + 4 * (packet[0] & 0x0f);
  if ((packet[0] & 0x10) != 0) {
    header += 4;
    if (size < header) return 0;
    header += 4 * size_t{LoadBigEndian16(packet + header - 2)};
  }
  return size < header ? 0 : header;
}

inline uint32_t RtpSsrc(const uint8_t* packet) { return LoadBigEndian32(packet + 8); }
inline uint16_t RtpSequenceNumber(const uint8_t* packet) { return LoadBigEndian16(packet + 2); }
inline uint32_t RtcpSenderSsrc(const uint8_t* packet) { return LoadBigEndian32(packet + 4); }

// Shared argument checks. Each returns OK or the status both backends give.
inline absl::Status CheckProtectArguments(SrtpDirection direction, MutableByteSpan buffer, size_t packet_size,
                                          size_t min_size, size_t overhead) {
  if (direction != SrtpDirection::kOutbound) {
    return absl::FailedPreconditionError("srtp: protect on an inbound session");
  }
  if (packet_size > buffer.size() || packet_size > kMaxSrtpPacketSize) {
    return absl::InvalidArgumentError("srtp: packet size exceeds the buffer or the maximum");
  }
  if (packet_size < min_size) return absl::InvalidArgumentError("srtp: packet shorter than its header");
  if (buffer.size() - packet_size < overhead) {
    return absl::InvalidArgumentError("srtp: no room in the buffer for the authentication tag");
  }
  return absl::OkStatus();
}

inline absl::Status CheckUnprotectArguments(SrtpDirection direction, MutableByteSpan packet) {
  if (direction != SrtpDirection::kInbound) {
    return absl::FailedPreconditionError("srtp: unprotect on an outbound session");
  }
  if (packet.size() > kMaxSrtpPacketSize) return absl::InvalidArgumentError("srtp: packet too large");
  return absl::OkStatus();
}

inline absl::Status MalformedRtp() {
  return absl::InvalidArgumentError("srtp: malformed RTP header (CSRC list or extension overruns)");
}
inline absl::Status ShortSrtp() {
  return absl::InvalidArgumentError("srtp: packet shorter than header + authentication tag");
}
inline absl::Status ShortSrtcp() {
  return absl::InvalidArgumentError("srtcp: packet shorter than header + SRTCP index + tag");
}
inline absl::Status UnencryptedSrtcp() {
  return absl::InvalidArgumentError("srtcp: E flag clear, but AES-CM sessions require encrypted SRTCP");
}
inline absl::Status AuthenticationFailed() {
  return absl::UnauthenticatedError("srtp: authentication failed");
}
inline absl::Status ReplayDuplicate() {
  return absl::AlreadyExistsError("srtp: replayed packet (index already seen)");
}
inline absl::Status ReplayTooOld() {
  return absl::OutOfRangeError("srtp: packet index older than the replay window");
}
inline absl::Status TooManyStreams() {
  return absl::ResourceExhaustedError("srtp: too many SSRC streams in this session");
}
inline absl::Status SrtcpIndexExhausted() {
  return absl::ResourceExhaustedError("srtcp: index exhausted (2^31 packets); rekey");
}

}  // namespace tern::srtp

#endif  // TERN_LIB_SRTP_PACKET_CHECKS_H_
