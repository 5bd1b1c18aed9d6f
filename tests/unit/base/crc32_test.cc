// CRC-32 (ISO-HDLC / IEEE 802.3, as STUN FINGERPRINT uses it, RFC 8489 §14.7) against published check
// values and against a plain bitwise implementation written here.
#include "tern/base/crc32.h"

#include <cstdint>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/byte_io.h"
#include "tern/base/random.h"

namespace tern {
namespace {

// The textbook definition: reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF,
// one bit at a time. Deliberately unlike the slicing-by-8 code under test.
uint32_t BitwiseCrc32(std::span<const uint8_t> data) {
  uint32_t crc = 0xFFFFFFFFu;
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

TEST(Crc32, CheckValue) {
  // The "check" value of CRC-32/ISO-HDLC in every CRC catalogue.
  EXPECT_EQ(Crc32(AsBytes("123456789")), 0xCBF43926u);
}

TEST(Crc32, EmptyInputIsZero) {
  EXPECT_EQ(Crc32(ByteSpan{}), 0u);
  EXPECT_EQ(Crc32Update(0x12345678u, ByteSpan{}), 0x12345678u)
      << "continuing with no bytes keeps the running value";
}

TEST(Crc32, KnownValues) {
  EXPECT_EQ(Crc32(AsBytes("a")), 0xE8B7BE43u);
  EXPECT_EQ(Crc32(AsBytes("The quick brown fox jumps over the lazy dog")), 0x414FA339u);
  std::vector<uint8_t> zeros(32, 0x00);
  EXPECT_EQ(Crc32(zeros), 0x190A55ADu);
  std::vector<uint8_t> ones(32, 0xFF);
  EXPECT_EQ(Crc32(ones), 0xFF6CAB0Bu);
}

TEST(Crc32, BitwiseReferenceAgreesWithCheckValue) {
  // Guards the reference itself, so the comparisons below mean something.
  EXPECT_EQ(BitwiseCrc32(AsBytes("123456789")), 0xCBF43926u);
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

TEST(Crc32, RandomBuffersMatchBitwiseReference) {
  SeededRandom random(20240611);
  std::vector<uint8_t> data(4096 + 16);
  random.Fill(data);
  // Every length up to 300 (all tail sizes around the 8-byte blocks) at every alignment 0..7, then a
  // few long buffers.
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; len <= 300; ++len) {
      ByteSpan piece = ByteSpan(data).subspan(offset, len);
      ASSERT_EQ(Crc32(piece), BitwiseCrc32(piece)) << "offset " << offset << " len " << len;
    }
  }
  for (size_t len : {1024u, 1500u, 4095u, 4096u}) {
    ByteSpan piece = ByteSpan(data).subspan(3, len);
    EXPECT_EQ(Crc32(piece), BitwiseCrc32(piece)) << "len " << len;
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
