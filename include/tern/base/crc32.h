// CRC-32 (ISO-HDLC / IEEE 802.3, reflected polynomial 0xEDB88320), as STUN FINGERPRINT uses it
// (RFC 8489 §14.7). Slicing-by-8, or PCLMULQDQ/VPCLMULQDQ folding on x86-64 CPUs that have it.
#ifndef TERN_BASE_CRC32_H_
#define TERN_BASE_CRC32_H_

#include <cstdint>
#include <span>

namespace tern {

// Continues a CRC: pass the previous result (0 to start). Crc32(b) == Crc32Update(0, b).
uint32_t Crc32Update(uint32_t crc, std::span<const uint8_t> data);
inline uint32_t Crc32(std::span<const uint8_t> data) { return Crc32Update(0, data); }

}  // namespace tern

#endif  // TERN_BASE_CRC32_H_
