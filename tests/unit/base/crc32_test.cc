// CRC-32 (ISO-HDLC / IEEE 802.3, as STUN FINGERPRINT uses it, RFC 8489 §14.7) against published check
// values and against a plain bitwise implementation written here. Both implementations behind
// Crc32Update (slicing-by-8 and, on x86-64, PCLMULQDQ folding) are tested directly as well.
#include "tern/base/crc32.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/crc32_internal.h"
#include "gtest/gtest.h"
#include "tern/base/byte_io.h"
#include "tern/base/random.h"

namespace tern {
namespace {

// The textbook definition: reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF,
// one bit at a time. Deliberately unlike both implementations under test. Continues from `crc` the
// way Crc32Update does.
uint32_t BitwiseCrc32Update(uint32_t crc, std::span<const uint8_t> data) {
  crc = ~crc;
  for (uint8_t byte : data) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) {
      uint32_t lsb = crc & 1u;
      crc >>= 1;
      if (lsb) crc ^= 0xEDB88320u;
    }
  }
  return ~crc;
}
uint32_t BitwiseCrc32(std::span<const uint8_t> data) { return BitwiseCrc32Update(0, data); }

// The implementations under test, by name. The folding path needs at least 16 bytes and a CPU with
// PCLMULQDQ; Crc32Update picks a path itself.
struct Implementation {
  const char* name;
  uint32_t (*update)(uint32_t, std::span<const uint8_t>);
  size_t min_size;
};

std::vector<Implementation> Implementations() {
  std::vector<Implementation> result = {{"Crc32Update", &Crc32Update, 0},
                                        {"Crc32UpdatePortable", &internal::Crc32UpdatePortable, 0}};
#if defined(TERN_CRC32_HAVE_CLMUL)
  if (internal::Crc32ClmulSupported()) {
    result.push_back({"Crc32UpdateClmul", &internal::Crc32UpdateClmul, 16});
  }
  if (internal::Crc32VpclmulSupported()) {
    result.push_back({"Crc32UpdateVpclmul", &internal::Crc32UpdateVpclmul, 16});
  }
#endif
  return result;
}

TEST(Crc32, CheckValue) {
  // The "check" value of CRC-32/ISO-HDLC in every CRC catalogue.
  EXPECT_EQ(Crc32(AsBytes("123456789")), 0xCBF43926u);
  EXPECT_EQ(internal::Crc32UpdatePortable(0, AsBytes("123456789")), 0xCBF43926u);
}

TEST(Crc32, EmptyInputIsZero) {
  EXPECT_EQ(Crc32(ByteSpan{}), 0u);
  EXPECT_EQ(Crc32Update(0x12345678u, ByteSpan{}), 0x12345678u)
      << "continuing with no bytes keeps the running value";
  EXPECT_EQ(internal::Crc32UpdatePortable(0x12345678u, ByteSpan{}), 0x12345678u);
}

TEST(Crc32, KnownValues) {
  std::vector<uint8_t> zeros(32, 0x00);
  std::vector<uint8_t> ones(32, 0xFF);
  for (const Implementation& impl : Implementations()) {
    SCOPED_TRACE(impl.name);
    if (impl.min_size <= 1) {
      EXPECT_EQ(impl.update(0, AsBytes("a")), 0xE8B7BE43u);
    }
    EXPECT_EQ(impl.update(0, AsBytes("The quick brown fox jumps over the lazy dog")), 0x414FA339u);
    EXPECT_EQ(impl.update(0, zeros), 0x190A55ADu);
    EXPECT_EQ(impl.update(0, ones), 0xFF6CAB0Bu);
  }
}

TEST(Crc32, BitwiseReferenceAgreesWithCheckValue) {
  // Guards the reference itself, so the comparisons below mean something.
  EXPECT_EQ(BitwiseCrc32(AsBytes("123456789")), 0xCBF43926u);
  EXPECT_EQ(BitwiseCrc32Update(BitwiseCrc32(AsBytes("1234")), AsBytes("56789")), 0xCBF43926u);
}

#if defined(TERN_CRC32_HAVE_CLMUL)
TEST(Crc32, ClmulSupportedMatchesCpu) {
  __builtin_cpu_init();
  const bool clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  EXPECT_EQ(internal::Crc32ClmulSupported(), clmul);
  EXPECT_EQ(internal::Crc32VpclmulSupported(),
            clmul && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("vpclmulqdq"));
}
#endif

TEST(Crc32, FingerprintOfRfc5769SampleRequest) {
  // RFC 5769 §2.1: FINGERPRINT (0x80280004 e57a3bcf) covers the 100 bytes before it, XORed with
  // 0x5354554e (RFC 8489 §14.7). 100 bytes: the folding path, with a 4-byte partial block.
  constexpr std::string_view kHex =
      "000100582112a442b7e7a701bc34d686fa87dfae"           // header
      "802200105354554e207465737420636c69656e74"           // SOFTWARE "STUN test client"
      "002400046e0001ff"                                   // PRIORITY
      "80290008932ff9b151263b36"                           // ICE-CONTROLLED
      "000600096576746a3a68367659202020"                   // USERNAME "evtj:h6vY" + padding
      "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2";  // MESSAGE-INTEGRITY
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i + 1 < kHex.size(); i += 2) {
    bytes.push_back(static_cast<uint8_t>(std::stoul(std::string(kHex.substr(i, 2)), nullptr, 16)));
  }
  ASSERT_EQ(bytes.size(), 100u);
  for (const Implementation& impl : Implementations()) {
    EXPECT_EQ(impl.update(0, bytes) ^ 0x5354554Eu, 0xE57A3BCFu) << impl.name;
  }
}

TEST(Crc32, IncrementalUpdateEqualsOneShotAtEverySplit) {
  SeededRandom random(0xC0FFEE);
  std::vector<uint8_t> data(100);
  random.Fill(data);
  const uint32_t whole = Crc32(data);
  ByteSpan all(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    uint32_t crc = Crc32Update(0, all.first(split));
    crc = Crc32Update(crc, all.subspan(split));
    EXPECT_EQ(crc, whole) << "split at " << split;
  }
  // Byte by byte.
  uint32_t crc = 0;
  for (uint8_t b : data) crc = Crc32Update(crc, ByteSpan(&b, 1));
  EXPECT_EQ(crc, whole);
}

// Every length 0..4096, each at a random offset (alignment) in the buffer and from a random running
// value, against the bitwise reference; lengths up to 300 also at every offset 0..15.
TEST(Crc32, EveryLengthMatchesBitwiseReference) {
  constexpr size_t kMaxLength = 4096;
  constexpr size_t kOffsets = 32;
  SeededRandom random(20240611);
  std::vector<uint8_t> data(kMaxLength + kOffsets);
  random.Fill(data);
  const std::array<uint32_t, 3> starts = {0u, 0xFFFFFFFFu, random.NextU32()};
  // reference[s][offset][len] = BitwiseCrc32Update(starts[s], data[offset, offset + len)), built
  // one byte at a time.
  std::vector<uint32_t> reference(starts.size() * kOffsets * (kMaxLength + 1));
  auto ref = [&](size_t s, size_t offset, size_t len) -> uint32_t& {
    return reference[(s * kOffsets + offset) * (kMaxLength + 1) + len];
  };
  for (size_t s = 0; s < starts.size(); ++s) {
    for (size_t offset = 0; offset < kOffsets; ++offset) {
      ref(s, offset, 0) = starts[s];
      for (size_t len = 1; len <= kMaxLength; ++len) {
        ref(s, offset, len) =
            BitwiseCrc32Update(ref(s, offset, len - 1), ByteSpan(&data[offset + len - 1], 1));
      }
    }
  }
  ASSERT_EQ(ref(0, 0, 9), BitwiseCrc32(ByteSpan(data).first(9)));
  for (const Implementation& impl : Implementations()) {
    SCOPED_TRACE(impl.name);
    for (size_t len = impl.min_size; len <= kMaxLength; ++len) {
      const size_t offset = random.Uniform(kOffsets);
      const size_t s = random.Uniform(starts.size());
      ByteSpan piece = ByteSpan(data).subspan(offset, len);
      ASSERT_EQ(impl.update(starts[s], piece), ref(s, offset, len))
          << "offset " << offset << " len " << len << " start " << starts[s];
    }
    for (size_t offset = 0; offset < 16; ++offset) {
      for (size_t len = impl.min_size; len <= 300; ++len) {
        ByteSpan piece = ByteSpan(data).subspan(offset, len);
        ASSERT_EQ(impl.update(0, piece), ref(0, offset, len)) << "offset " << offset << " len " << len;
      }
    }
  }
}

// Every implementation agrees with slicing-by-8 on random buffers, lengths and running values,
// including long buffers that run the main loops many times.
TEST(Crc32, AllPathsAgreeWithPortable) {
  SeededRandom random(8489);
  std::vector<uint8_t> data(20000);
  random.Fill(data);
  const std::vector<Implementation> implementations = Implementations();
  for (int trial = 0; trial < 1100; ++trial) {
    const size_t len = trial < 1000 ? random.Uniform(600) : random.Uniform(data.size() - 64);
    const size_t offset = random.Uniform(64);
    const uint32_t start = random.NextU32();
    ByteSpan piece = ByteSpan(data).subspan(offset, len);
    const uint32_t portable = internal::Crc32UpdatePortable(start, piece);
    for (const Implementation& impl : implementations) {
      if (len < impl.min_size) continue;
      ASSERT_EQ(impl.update(start, piece), portable) << impl.name << " len " << len << " offset " << offset;
    }
  }
}

// Crc32Update(Crc32Update(c, a), b) == Crc32Update(c, a + b), with the pieces falling on either side
// of the folding threshold.
TEST(Crc32, ContinuationAcrossRandomSplits) {
  SeededRandom random(5389);
  std::vector<uint8_t> data(3000);
  random.Fill(data);
  for (int trial = 0; trial < 500; ++trial) {
    const size_t len = random.Uniform(data.size() + 1);
    ByteSpan all = ByteSpan(data).first(len);
    const uint32_t start = trial % 2 ? random.NextU32() : 0u;
    const uint32_t expected = BitwiseCrc32Update(start, all);
    // One to four split points.
    std::vector<size_t> cuts = {0, len};
    for (uint64_t k = 1 + random.Uniform(4); k > 0; --k) cuts.push_back(random.Uniform(len + 1));
    std::sort(cuts.begin(), cuts.end());
    uint32_t crc = start;
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      crc = Crc32Update(crc, all.subspan(cuts[i], cuts[i + 1] - cuts[i]));
    }
    ASSERT_EQ(crc, expected) << "trial " << trial << " len " << len;
  }
}

TEST(Crc32, DetectsEverySingleBitFlip) {
  std::vector<uint8_t> data(64);
  SeededRandom random(7);
  random.Fill(data);
  const uint32_t original = Crc32(data);
  for (size_t i = 0; i < data.size() * 8; ++i) {
    data[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
    EXPECT_NE(Crc32(data), original) << "bit " << i;
    data[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
  }
  EXPECT_EQ(Crc32(data), original);
}

}  // namespace
}  // namespace tern
