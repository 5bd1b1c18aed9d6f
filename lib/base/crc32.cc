// CRC-32/ISO-HDLC for STUN FINGERPRINT (RFC 8489 §14.7): slicing-by-8 everywhere, and on x86-64 CPUs
// with PCLMULQDQ (and, if present, VPCLMULQDQ) the folding code in crc32_pclmul.cc for inputs of
// kCrc32ClmulMinSize bytes or more.
#include "tern/base/crc32.h"

#include <array>
#include <cstring>

#include "base/crc32_internal.h"

namespace tern {
namespace internal {
namespace {

using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

inline uint32_t LoadLittleEndian32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

}  // namespace

uint32_t Crc32UpdatePortable(uint32_t crc, std::span<const uint8_t> data) {
  uint32_t c = ~crc;
  const uint8_t* p = data.data();
  size_t n = data.size();
  while (n >= 8) {
    uint32_t lo = LoadLittleEndian32(p) ^ c;
    uint32_t hi = LoadLittleEndian32(p + 4);
    c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
        kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  for (; n > 0; --n) c = kTables[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

}  // namespace internal

#if defined(TERN_CRC32_HAVE_CLMUL)
namespace {
using FoldingCrc32 = uint32_t (*)(uint32_t, std::span<const uint8_t>);

FoldingCrc32 PickFoldingCrc32() {
  if (internal::Crc32VpclmulSupported()) return &internal::Crc32UpdateVpclmul;
  if (internal::Crc32ClmulSupported()) return &internal::Crc32UpdateClmul;
  return nullptr;
}

// The folding implementation for this CPU, if any: chosen once by this static initializer, before
// main and without a lock. Code running before it (another static initializer) reads null and gets
// the portable path, which gives the same results.
const FoldingCrc32 g_folding_crc32 = PickFoldingCrc32();
}  // namespace
#endif

uint32_t Crc32Update(uint32_t crc, std::span<const uint8_t> data) {
#if defined(TERN_CRC32_HAVE_CLMUL)
  if (data.size() >= internal::kCrc32ClmulMinSize && g_folding_crc32 != nullptr) {
    return g_folding_crc32(crc, data);
  }
#endif
  return internal::Crc32UpdatePortable(crc, data);
}

}  // namespace tern
