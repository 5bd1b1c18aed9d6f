// The two implementations behind tern::Crc32Update (CRC-32/ISO-HDLC, RFC 8489 §14.7 FINGERPRINT):
// portable slicing-by-8 and x86-64 PCLMULQDQ folding. Private to lib/base; exposed for the tests.
#ifndef TERN_LIB_BASE_CRC32_INTERNAL_H_
#define TERN_LIB_BASE_CRC32_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace tern::internal {

// Slicing-by-8: eight table lookups per 8 input bytes. Any CPU, any length. Same contract as
// Crc32Update.
uint32_t Crc32UpdatePortable(uint32_t crc, std::span<const uint8_t> data);

#if defined(__x86_64__)
#define TERN_CRC32_HAVE_CLMUL 1

// True when the CPU has PCLMULQDQ and SSE4.1, which Crc32UpdateClmul needs. Checked once.
bool Crc32ClmulSupported();

// Carry-less multiplication folding (Intel, "Fast CRC Computation for Generic Polynomials Using
// PCLMULQDQ Instruction", 2009, reflected variant) with a Barrett reduction at the end. Same
// contract as Crc32Update, but requires data.size() >= 16 and Crc32ClmulSupported().
uint32_t Crc32UpdateClmul(uint32_t crc, std::span<const uint8_t> data);

// True when the CPU also has AVX2 and VPCLMULQDQ, which Crc32UpdateVpclmul needs. Checked once.
bool Crc32VpclmulSupported();

// Crc32UpdateClmul with a main loop on 32-byte registers (VPCLMULQDQ), for long inputs; the same
// 16-byte code otherwise. Same contract as Crc32UpdateClmul, but requires Crc32VpclmulSupported().
uint32_t Crc32UpdateVpclmul(uint32_t crc, std::span<const uint8_t> data);

// Crc32Update folds from this many bytes on (the least the folding code takes), and runs
// slicing-by-8 below it: at 16 bytes folding is already about as fast (AMD EPYC Zen 4 guest).
inline constexpr size_t kCrc32ClmulMinSize = 16;
#endif

}  // namespace tern::internal

#endif  // TERN_LIB_BASE_CRC32_INTERNAL_H_
