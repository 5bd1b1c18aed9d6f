// SeededRandom (xoshiro256**, seeded through SplitMix64) must give the same sequence for the same seed on
// every platform, so a failing simulation replays from its seed. CryptoRandom wraps BoringSSL.
#include "tern/base/random.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace tern {
namespace {

// Blackman & Vigna's reference generators, written out here as the independent oracle.
uint64_t RefSplitMix64(uint64_t& x) {
  x += 0x9e3779b97f4a7c15ull;
  uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class RefXoshiro256StarStar {
 public:
  explicit RefXoshiro256StarStar(uint64_t seed) {
    for (uint64_t& w : s_) w = RefSplitMix64(seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

TEST(SplitMix64Reference, PublishedFirstOutput) {
  // SplitMix64 from state 0 starts with 0xE220A8397B1DCDAF (Vigna's splitmix64.c), which checks the
  // oracle above before it is used to check SeededRandom.
  uint64_t x = 0;
  EXPECT_EQ(RefSplitMix64(x), 0xE220A8397B1DCDAFull);
}

TEST(SeededRandom, MatchesXoshiro256StarStarReference) {
  for (uint64_t seed : {0ull, 1ull, 42ull, 0xDEADBEEFCAFEF00Dull, ~0ull}) {
    SeededRandom random(seed);
    RefXoshiro256StarStar ref(seed);
    EXPECT_EQ(random.seed(), seed);
    for (int i = 0; i < 1000; ++i) {
      ASSERT_EQ(random.NextU64(), ref.Next()) << "seed " << seed << " draw " << i;
    }
  }
}

TEST(SeededRandom, SameSeedSameSequence) {
  SeededRandom a(12345);
  SeededRandom b(12345);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.NextU64(), b.NextU64()) << i;
  std::array<uint8_t, 37> fa;
  std::array<uint8_t, 37> fb;
  a.Fill(fa);
  b.Fill(fb);
  EXPECT_EQ(fa, fb);
  EXPECT_EQ(a.Uniform(1000003), b.Uniform(1000003));
  EXPECT_EQ(a.UniformDouble(), b.UniformDouble());
}

TEST(SeededRandom, DifferentSeedsDiffer) {
  SeededRandom a(1);
  SeededRandom b(2);
  int equal = 0;
  for (int i = 0; i < 100; ++i) equal += a.NextU64() == b.NextU64();
  EXPECT_EQ(equal, 0);
}

TEST(SeededRandom, FillUsesEveryByteOfTheStream) {
  // Fill draws 64-bit values and hands them out least significant byte first; a partial word at the
  // end is not reused.
  SeededRandom random(99);
  RefXoshiro256StarStar ref(99);
  std::vector<uint8_t> bytes(20);
  random.Fill(bytes);
  std::vector<uint8_t> expected;
  for (int w = 0; w < 3; ++w) {
    uint64_t v = ref.Next();
    for (int k = 0; k < 8; ++k) expected.push_back(static_cast<uint8_t>(v >> (8 * k)));
  }
  expected.resize(20);
  EXPECT_EQ(bytes, expected);
  EXPECT_EQ(random.NextU64(), ref.Next());
}

TEST(SeededRandom, NextU32IsTheHighHalf) {
  SeededRandom a(5);
  SeededRandom b(5);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.NextU32(), static_cast<uint32_t>(b.NextU64() >> 32));
}

TEST(Random, UniformStaysInRange) {
  SeededRandom random(777);
  EXPECT_EQ(random.Uniform(0), 0u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(random.Uniform(1), 0u);
  for (uint64_t n : {2ull, 3ull, 7ull, 10ull, 1000ull, (1ull << 32) + 1, (1ull << 63) + 1, ~0ull}) {
    for (int i = 0; i < 2000; ++i) {
      uint64_t v = random.Uniform(n);
      ASSERT_LT(v, n) << "n = " << n;
    }
  }
}

TEST(Random, UniformCoversEveryValueEvenly) {
  SeededRandom random(31337);
  constexpr int kBuckets = 10;
  constexpr int kDraws = 100000;
  std::array<int, kBuckets> count{};
  for (int i = 0; i < kDraws; ++i) ++count[random.Uniform(kBuckets)];
  for (int b = 0; b < kBuckets; ++b) {
    // Expected 10000 each; 5 standard deviations is about +-475.
    EXPECT_NEAR(count[b], kDraws / kBuckets, 500) << "bucket " << b;
  }
}

TEST(Random, UniformIsUnbiasedForLargeBounds) {
  // With n = about 2/3 of 2^64, a plain "NextU64() % n" lands in the lower half of [0, n) two times out
  // of three; rejection sampling keeps it at one in two.
  constexpr uint64_t n = 0xAAAAAAAAAAAAAAABull;
  SeededRandom random(6890);
  int lower = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) {
    uint64_t v = random.Uniform(n);
    ASSERT_LT(v, n);
    lower += v < n / 2;
  }
  EXPECT_NEAR(static_cast<double>(lower) / kDraws, 0.5, 0.02);
}

TEST(Random, UniformDoubleAndBernoulli) {
  SeededRandom random(4);
  double lo = 1.0;
  double hi = 0.0;
  int heads = 0;
  for (int i = 0; i < 10000; ++i) {
    double d = random.UniformDouble();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    heads += random.Bernoulli(0.25);
    EXPECT_FALSE(random.Bernoulli(0.0));
    EXPECT_TRUE(random.Bernoulli(1.0));
  }
  EXPECT_LT(lo, 0.01);
  EXPECT_GT(hi, 0.99);
  EXPECT_NEAR(heads, 2500, 250);
}

TEST(CryptoRandom, FillsWithFreshBytes) {
  CryptoRandom random;
  std::array<uint8_t, 64> a{};
  std::array<uint8_t, 64> b{};
  random.Fill(a);
  random.Fill(b);
  EXPECT_NE(a, b);
  // 64 zero bytes from a working CSPRNG has probability 2^-512.
  EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](uint8_t x) { return x != 0; }));
  random.Fill(std::span<uint8_t>());  // an empty fill is fine
  EXPECT_NE(random.NextU64(), random.NextU64());
  // Through the interface, as cores see it.
  Random& as_random = random;
  for (int i = 0; i < 100; ++i) ASSERT_LT(as_random.Uniform(6), 6u);
}

TEST(CryptoRandom, FillWritesEveryPosition) {
  // For each length, every position must change from its initial value in some of 16 fills (a byte
  // that stays 0x00 or 0xFF 16 times running has probability 2^-128).
  CryptoRandom random;
  for (size_t n = 1; n <= 40; ++n) {
    std::vector<uint8_t> seen_from_zero(n, 0);
    std::vector<uint8_t> seen_from_ones(n, 0xFF);
    for (int trial = 0; trial < 16; ++trial) {
      std::vector<uint8_t> a(n, 0x00);
      std::vector<uint8_t> b(n, 0xFF);
      random.Fill(a);
      random.Fill(b);
      for (size_t i = 0; i < n; ++i) {
        seen_from_zero[i] |= a[i];
        seen_from_ones[i] &= b[i];
      }
    }
    for (size_t i = 0; i < n; ++i) {
      EXPECT_NE(seen_from_zero[i], 0) << "length " << n << " position " << i;
      EXPECT_NE(seen_from_ones[i], 0xFF) << "length " << n << " position " << i;
    }
  }
}

TEST(CryptoRandom, EveryByteValueShowsUp) {
  CryptoRandom random;
  std::vector<uint8_t> bytes(16384);
  random.Fill(bytes);
  std::array<int, 256> seen{};
  for (uint8_t b : bytes) ++seen[b];
  // Expected 64 per value; missing one entirely is astronomically unlikely for random data but certain
  // for a buffer that was only partly filled.
  for (int v = 0; v < 256; ++v) EXPECT_GT(seen[v], 0) << "byte value " << v;
}

}  // namespace
}  // namespace tern
