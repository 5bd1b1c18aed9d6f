// CRC-32/ISO-HDLC (RFC 8489 §14.7) by carry-less multiplication folding on x86-64: PCLMULQDQ folds
// 16-byte blocks forward (VPCLMULQDQ two at a time where the CPU has it), SSSE3/SSE4.1 shuffles
// handle the partial block, and a Barrett reduction ends it. The method is Intel's "Fast CRC
// Computation for Generic Polynomials Using PCLMULQDQ Instruction" (Gopal et al., 2009), reflected
// variant; the constants are derived below at compile time.
#include "base/crc32_internal.h"

#if defined(TERN_CRC32_HAVE_CLMUL)

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace tern::internal {
namespace {

// Bit order. The CRC is "reflected": the first bit of the message is the least significant bit of
// its first byte and is the highest-degree coefficient. An XMM register loaded little-endian from
// 16 message bytes therefore holds a polynomial of degree < 128 whose bit i (byte i/8, bit i%8) is
// the coefficient of x^(127-i). Its low 64-bit lane is the high-degree half.
//
// Folding. Let X be the state: a 128-bit polynomial congruent, modulo P, to the message so far.
// Appending the next 16 bytes D gives X*x^128 + D. Writing X = H*x^64 + L,
//   X*x^n = H*x^(n+64) + L*x^n == H*(x^(n+64) mod P) + L*(x^n mod P)       (mod P),
// two 64x32-bit carry-less products of degree < 96. PCLMULQDQ on reflected operands returns the
// 127-bit reflected product in bits 0..126, so in the 128-bit frame above the product comes out
// multiplied by x^(65-w) when the constant is stored as a w-bit reflected value. Storing constants as
// 33-bit reflected values (the 32-bit reflected value shifted left by one) gives a factor x^32, so
// folding n bits forward uses x^(n+32) mod P for the low lane and x^(n-32) mod P for the high lane.

constexpr uint32_t kPolyReflected = 0xEDB88320u;

// x^n mod P as a 33-bit reflected value: bit l is the coefficient of x^(32-l) (bit 0 is always 0).
constexpr uint64_t XPowModP(int n) {
  uint32_t r = 0x80000000u;  // x^0 as a 32-bit reflected value (bit j <-> x^(31-j))
  for (int i = 0; i < n; ++i) r = (r >> 1) ^ ((r & 1u) ? kPolyReflected : 0u);
  return uint64_t{r} << 1;
}

// Reverses the low `width` bits of v.
constexpr uint64_t Reflect(uint64_t v, int width) {
  uint64_t r = 0;
  for (int i = 0; i < width; ++i) r |= ((v >> i) & 1u) << (width - 1 - i);
  return r;
}

// P in normal form, with its x^32 term: 0x104C11DB7.
constexpr uint64_t kPolyNormal = (uint64_t{1} << 32) | Reflect(kPolyReflected, 32);

// mu = floor(x^64 / P) (degree 32), for the Barrett reduction, as a 33-bit reflected value.
constexpr uint64_t BarrettMu() {
  uint64_t quotient = 0, rem = 0;
  for (int bit = 64; bit >= 0; --bit) {
    rem = (rem << 1) | (bit == 64 ? 1u : 0u);
    quotient <<= 1;
    if (rem & (uint64_t{1} << 32)) {
      rem ^= kPolyNormal;
      quotient |= 1;
    }
  }
  return Reflect(quotient, 33);
}

// Fold constants, (x^(n+32) mod P, x^(n-32) mod P) for n = 128 * blocks, blocks = 1..8.
struct alignas(16) FoldConstant {
  uint64_t lo, hi;
};
constexpr FoldConstant FoldBlocks(int blocks) {
  return {XPowModP(128 * blocks + 32), XPowModP(128 * blocks - 32)};
}
constexpr FoldConstant kFold[9] = {{0, 0},        FoldBlocks(1), FoldBlocks(2), FoldBlocks(3), FoldBlocks(4),
                                   FoldBlocks(5), FoldBlocks(6), FoldBlocks(7), FoldBlocks(8)};
// Final reduction (see Reduce): x^96 and x^64, then Barrett's mu and P itself.
constexpr uint64_t kReduce96 = XPowModP(96), kReduce64 = XPowModP(64);
constexpr uint64_t kBarrettMu = BarrettMu();
constexpr uint64_t kBarrettPoly = Reflect(kPolyNormal, 33);

// Cross-checks against the same constants computed independently (python3, by polynomial
// arithmetic on normal-form integers, then reflected).
static_assert(kFold[4].lo == 0x154442BD4u && kFold[4].hi == 0x1C6E41596u);
static_assert(kFold[1].lo == 0x1751997D0u && kFold[1].hi == 0x0CCAA009Eu);
static_assert(kReduce64 == 0x163CD6124u);
static_assert(kBarrettPoly == 0x1DB710641u && kBarrettMu == 0x1F7011641u);

#define TERN_CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))
// For helpers, so that the wide path gets them VEX-encoded, inline, rather than calling SSE code with
// the upper halves of the YMM registers dirty.
#define TERN_CLMUL_INLINE TERN_CLMUL_TARGET __attribute__((always_inline)) inline

TERN_CLMUL_INLINE __m128i Load(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// Moves x forward by n bits modulo P; k holds (x^(n+32) mod P, x^(n-32) mod P) in (low, high).
TERN_CLMUL_INLINE __m128i Fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

TERN_CLMUL_INLINE __m128i FoldConstants(uint64_t lo, uint64_t hi) {
  return _mm_set_epi64x(static_cast<int64_t>(hi), static_cast<int64_t>(lo));
}

// Moves x forward by `blocks` 16-byte blocks (1..8).
TERN_CLMUL_INLINE __m128i FoldBy(__m128i x, int blocks) {
  return Fold(x, _mm_load_si128(reinterpret_cast<const __m128i*>(&kFold[blocks])));
}

TERN_CLMUL_INLINE __m128i Xor(__m128i a, __m128i b) { return _mm_xor_si128(a, b); }

// pshufb masks: 16 bytes from kShiftMasks + k (k = 1..16) shift a register left by 16 - k bytes
// (toward the high bytes, zero-filling), and 16 bytes from kShiftMasks + 16 + k shift it right by k
// bytes. An index with the top bit set makes pshufb write zero.
alignas(16) constexpr uint8_t kShiftMasks[48] = {
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};

// Returns the reflected CRC register for state x: X*x^32 mod P.
TERN_CLMUL_INLINE uint32_t Reduce(__m128i x) {
  const __m128i low32 = _mm_set_epi32(0, 0, 0, -1);
  // With X = H*x^64 + L: H times (x^96 mod P) comes out as H*x^128 in the frame, and shifting the
  // register right by 64 bits multiplies by x^64, so t == H*x^128 + L*x^64 = X*x^64. t occupies
  // bits 0..95: t = T*x^32 with T (degree < 96) == X*x^32.
  const __m128i k = FoldConstants(kReduce96, kReduce64);
  __m128i t = _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_srli_si128(x, 8));
  // T = A*x^64 + B with A its top 32 bits (bits 0..31 of t): T == A*(x^64 mod P) + B, degree < 64.
  // u == X*x^96 lands in bits 0..63: the low lane of u is that 64-bit value U, reflected.
  __m128i u = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(t, low32), k, 0x10), _mm_srli_si128(t, 4));
  // Barrett: q = floor(floor(U / x^32) * mu / x^32), U mod P = U + q*P (its low 32 bits).
  const __m128i barrett = FoldConstants(kBarrettMu, kBarrettPoly);
  __m128i q = _mm_and_si128(_mm_clmulepi64_si128(_mm_and_si128(u, low32), barrett, 0x00), low32);
  __m128i r = _mm_xor_si128(u, _mm_clmulepi64_si128(q, barrett, 0x10));
  return static_cast<uint32_t>(_mm_extract_epi32(r, 1));
}

// The start of every message: its first block, partial or whole, and what follows it.
struct Start {
  __m128i first;     // the first block, the running value added
  __m128i carry;     // to add to the second block
  const uint8_t* p;  // the second block
  size_t blocks;     // whole blocks from p on
};

TERN_CLMUL_INLINE Start Begin(uint32_t crc, std::span<const uint8_t> data) {
  // The message is cut into 16-byte blocks from its end, so that the first block is the partial
  // one: its `head` (1..16) bytes go at the end of a block whose leading zero bytes change nothing.
  // Every block then sits a whole number of blocks from the end, and the blocks at the end are folded
  // in parallel, each straight to its final place, rather than one after another.
  const size_t n = data.size();
  const size_t head = ((n - 1) & 15) + 1;
  const __m128i left = Load(kShiftMasks + head);        // shift left by 16 - head bytes
  const __m128i right = Load(kShiftMasks + 16 + head);  // shift right by head bytes
  // The running value goes into the first four message bytes (their coefficients are the top 32).
  // Those may straddle the first two blocks: `carry` is the part that lands in the second.
  const __m128i init = _mm_cvtsi32_si128(static_cast<int>(~crc));
  return {.first = _mm_shuffle_epi8(Xor(Load(data.data()), init), left),
          .carry = _mm_shuffle_epi8(init, right),
          .p = data.data() + head,
          .blocks = (n - head) / 16};
}

// Four consecutive blocks x0..x3, then `blocks` whole blocks at p: folds them all and returns the CRC.
TERN_CLMUL_INLINE uint32_t FinishFour(__m128i x0, __m128i x1, __m128i x2, __m128i x3, const uint8_t* p,
                                      size_t blocks) {
  // Four blocks in flight, each folded 512 bits forward per round.
  const __m128i k4 = _mm_load_si128(reinterpret_cast<const __m128i*>(&kFold[4]));
  for (; blocks >= 4; blocks -= 4, p += 64) {
    x0 = Xor(Fold(x0, k4), Load(p));
    x1 = Xor(Fold(x1, k4), Load(p + 16));
    x2 = Xor(Fold(x2, k4), Load(p + 32));
    x3 = Xor(Fold(x3, k4), Load(p + 48));
  }
  // Zero to three blocks remain: fold everything to the last one.
  __m128i x;
  switch (blocks) {
    case 0:
      x = Xor(Xor(FoldBy(x0, 3), FoldBy(x1, 2)), Xor(FoldBy(x2, 1), x3));
      break;
    case 1:
      x = Xor(Xor(Xor(FoldBy(x0, 4), FoldBy(x1, 3)), Xor(FoldBy(x2, 2), FoldBy(x3, 1))), Load(p));
      break;
    case 2:
      x = Xor(Xor(Xor(FoldBy(x0, 5), FoldBy(x1, 4)), Xor(FoldBy(x2, 3), FoldBy(x3, 2))),
              Xor(FoldBy(Load(p), 1), Load(p + 16)));
      break;
    default:
      x = Xor(Xor(Xor(FoldBy(x0, 6), FoldBy(x1, 5)), Xor(FoldBy(x2, 4), FoldBy(x3, 3))),
              Xor(Xor(FoldBy(Load(p), 2), FoldBy(Load(p + 16), 1)), Load(p + 32)));
      break;
  }
  return ~Reduce(x);
}

// Everything after Begin, 16-byte registers only.
TERN_CLMUL_INLINE uint32_t Finish(const Start& s) {
  switch (s.blocks) {
    case 0:
      return ~Reduce(s.first);  // n == 16, and the carry is zero
    case 1:
      return ~Reduce(Xor(FoldBy(s.first, 1), Xor(Load(s.p), s.carry)));
    case 2:
      return ~Reduce(Xor(Xor(FoldBy(s.first, 2), FoldBy(Xor(Load(s.p), s.carry), 1)), Load(s.p + 16)));
    default:
      return FinishFour(s.first, Xor(Load(s.p), s.carry), Load(s.p + 16), Load(s.p + 32), s.p + 48,
                        s.blocks - 3);
  }
}

// The wide path: VPCLMULQDQ on 32-byte registers folds two blocks per instruction. It starts with
// eight blocks in its registers, so it needs eight blocks (the first plus kVpclmulMinBlocks); with
// fewer it takes the 16-byte path. Starting it at 8 blocks rather than 16 or 24 was as fast or faster
// at every size measured (128-300 bytes, AMD EPYC Zen 4 guest).
constexpr size_t kVpclmulMinBlocks = 7;
#define TERN_VPCLMUL_TARGET __attribute__((target("pclmul,sse4.1,avx2,vpclmulqdq")))

TERN_VPCLMUL_TARGET __attribute__((always_inline)) inline __m256i Load256(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// Fold on both 16-byte halves; k holds the constants of one distance in each half.
TERN_VPCLMUL_TARGET __attribute__((always_inline)) inline __m256i Fold256(__m256i y, __m256i k) {
  return _mm256_xor_si256(_mm256_clmulepi64_epi128(y, k, 0x00), _mm256_clmulepi64_epi128(y, k, 0x11));
}

TERN_VPCLMUL_TARGET __attribute__((always_inline)) inline __m256i FoldConstants256(int blocks) {
  return _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(&kFold[blocks])));
}

}  // namespace

bool Crc32ClmulSupported() {
  static const bool supported = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  }();
  return supported;
}

bool Crc32VpclmulSupported() {
  static const bool supported = [] {
    __builtin_cpu_init();
    return Crc32ClmulSupported() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("vpclmulqdq");
  }();
  return supported;
}

TERN_CLMUL_TARGET uint32_t Crc32UpdateClmul(uint32_t crc, std::span<const uint8_t> data) {
  return Finish(Begin(crc, data));
}

TERN_VPCLMUL_TARGET uint32_t Crc32UpdateVpclmul(uint32_t crc, std::span<const uint8_t> data) {
  Start s = Begin(crc, data);
  if (s.blocks < kVpclmulMinBlocks) return Finish(s);
  // Eight blocks in flight in four registers, each folded 1024 bits forward per round.
  __m256i y0 = _mm256_inserti128_si256(_mm256_castsi128_si256(s.first), Xor(Load(s.p), s.carry), 1);
  __m256i y1 = Load256(s.p + 16), y2 = Load256(s.p + 48), y3 = Load256(s.p + 80);
  const uint8_t* p = s.p + 112;
  size_t blocks = s.blocks - 7;
  const __m256i k8 = FoldConstants256(8);
  for (; blocks >= 8; blocks -= 8, p += 128) {
    y0 = _mm256_xor_si256(Fold256(y0, k8), Load256(p));
    y1 = _mm256_xor_si256(Fold256(y1, k8), Load256(p + 32));
    y2 = _mm256_xor_si256(Fold256(y2, k8), Load256(p + 64));
    y3 = _mm256_xor_si256(Fold256(y3, k8), Load256(p + 96));
  }
  // Eight blocks to four: fold the first four onto the last four.
  const __m256i k4 = FoldConstants256(4);
  y0 = _mm256_xor_si256(Fold256(y0, k4), y2);
  y1 = _mm256_xor_si256(Fold256(y1, k4), y3);
  return FinishFour(_mm256_castsi256_si128(y0), _mm256_extracti128_si256(y0, 1), _mm256_castsi256_si128(y1),
                    _mm256_extracti128_si256(y1, 1), p, blocks);
}

}  // namespace tern::internal

#endif  // TERN_CRC32_HAVE_CLMUL
