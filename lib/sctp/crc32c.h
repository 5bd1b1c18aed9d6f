// CRC32c (Castagnoli, RFC 3309 / RFC 4960 Appendix B), the SCTP checksum. tern computes and verifies it
// itself (usrsctp runs with its checksum offloaded to us) because Debian's usrsctp does it byte-wise in
// software: SSE4.2 CRC32 instructions where the CPU has them (checked at run time), slicing-by-8 otherwise.
#ifndef TERN_LIB_SCTP_CRC32C_H_
#define TERN_LIB_SCTP_CRC32C_H_

#include <cstdint>

#include "tern/base/byte_io.h"

namespace tern::sctp {

// Continues a CRC32c over `data` (pass 0 to start; the result is final, i.e. already inverted).
uint32_t Crc32cUpdate(uint32_t crc, ByteSpan data);
inline uint32_t Crc32c(ByteSpan data) { return Crc32cUpdate(0, data); }

// The checksum of an SCTP packet: the CRC32c of the packet with its checksum field (bytes 8-11) taken
// as zero. The packet carries it least significant byte first. `packet` must be at least 12 bytes.
uint32_t SctpPacketChecksum(ByteSpan packet);
void WriteSctpChecksum(MutableByteSpan packet);
bool VerifySctpChecksum(ByteSpan packet);

}  // namespace tern::sctp

#endif  // TERN_LIB_SCTP_CRC32C_H_
