// CRC32c with run-time dispatch (crc32c.h).
#include "sctp/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace tern::sctp {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78u;  // reflected Castagnoli

struct Tables {
  uint32_t t[8][256];
  Tables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (kPolynomial & (0u - (c & 1u)));
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};

const Tables& GetTables() {
  static const Tables* tables = new Tables();
  return *tables;
}

// `crc` here is the running (non-inverted) register.
uint32_t Slicing8(uint32_t crc, const uint8_t* p, size_t n) {
  const Tables& tb = GetTables();
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;  // little-endian host (x86-64, aarch64)
    crc = tb.t[7][lo & 0xFF] ^ tb.t[6][(lo >> 8) & 0xFF] ^ tb.t[5][(lo >> 16) & 0xFF] ^ tb.t[4][lo >> 24] ^
          tb.t[3][hi & 0xFF] ^ tb.t[2][(hi >> 8) & 0xFF] ^ tb.t[1][(hi >> 16) & 0xFF] ^ tb.t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ tb.t[0][(crc ^ *p++) & 0xFF];
  return crc;
}

#if defined(__x86_64__)
[[gnu::target("sse4.2")]] uint32_t Hardware(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}

bool HasSse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

uint32_t Register(uint32_t reg, const uint8_t* p, size_t n) {
#if defined(__x86_64__)
  if (HasSse42()) return Hardware(reg, p, n);
#endif
  return Slicing8(reg, p, n);
}

}  // namespace

uint32_t Crc32cUpdate(uint32_t crc, ByteSpan data) { return ~Register(~crc, data.data(), data.size()); }

uint32_t SctpPacketChecksum(ByteSpan packet) {
  static constexpr uint8_t kZeros[4] = {0, 0, 0, 0};
  uint32_t reg = Register(0xFFFFFFFFu, packet.data(), 8);
  reg = Register(reg, kZeros, 4);
  reg = Register(reg, packet.data() + 12, packet.size() - 12);
  return ~reg;
}

void WriteSctpChecksum(MutableByteSpan packet) {
  uint32_t crc = SctpPacketChecksum(packet);
  for (int i = 0; i < 4; ++i) packet[8 + i] = static_cast<uint8_t>(crc >> (8 * i));
}

bool VerifySctpChecksum(ByteSpan packet) {
  uint32_t stored = uint32_t{packet[8]} | (uint32_t{packet[9]} << 8) | (uint32_t{packet[10]} << 16) |
                    (uint32_t{packet[11]} << 24);
  return stored == SctpPacketChecksum(packet);
}

}  // namespace tern::sctp
