#include "tern/base/random.h"

#include <openssl/rand.h>

#include <cstring>

namespace tern {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t Random::NextU64() {
  uint8_t b[8];
  Fill(b);
  uint64_t v;
  std::memcpy(&v, b, 8);
  return v;
}

uint64_t Random::Uniform(uint64_t n) {
  if (n == 0) return 0;
  // Reject the top partial bucket so every residue is equally likely.
  uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
  uint64_t v;
  do {
    v = NextU64();
  } while (v >= limit);
  return v % n;
}

void CryptoRandom::Fill(std::span<uint8_t> out) {
  if (!out.empty()) RAND_bytes(out.data(), out.size());
}

SeededRandom::SeededRandom(uint64_t seed) : seed_(seed) {
  uint64_t x = seed;
  for (uint64_t& s : s_) s = SplitMix64(x);
}

uint64_t SeededRandom::NextU64() {
  // xoshiro256** (Blackman & Vigna).
  uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

void SeededRandom::Fill(std::span<uint8_t> out) {
  size_t i = 0;
  while (i < out.size()) {
    uint64_t v = NextU64();
    for (int k = 0; k < 8 && i < out.size(); ++k, ++i) {
      out[i] = static_cast<uint8_t>(v >> (8 * k));
    }
  }
}

}  // namespace tern
