// ByteReader / ByteWriter: big-endian access with bounds checks. A failed read consumes nothing; a
// write that does not fit writes nothing and makes the writer fail for good (sticky overflow).
#include "tern/base/byte_io.h"

#include <array>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace tern {
namespace {

constexpr std::array<uint8_t, 18> kSample = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                             0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12};

TEST(ByteReader, ReadsBigEndianIntegersInOrder) {
  ByteReader r(kSample);
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  uint32_t u24 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  ASSERT_TRUE(r.ReadU8(&u8));
  ASSERT_TRUE(r.ReadU16(&u16));
  ASSERT_TRUE(r.ReadU24(&u24));
  ASSERT_TRUE(r.ReadU32(&u32));
  ASSERT_TRUE(r.ReadU64(&u64));
  EXPECT_EQ(u8, 0x01);
  EXPECT_EQ(u16, 0x0203);
  EXPECT_EQ(u24, 0x040506u);
  EXPECT_EQ(u32, 0x0708090au);
  EXPECT_EQ(u64, 0x0b0c0d0e0f101112ull);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.position(), kSample.size());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteReader, HighBitsAreNotSignExtended) {
  const uint8_t ff[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  ByteReader r(ff);
  uint16_t u16 = 0;
  uint32_t u24 = 0;
  ASSERT_TRUE(r.ReadU16(&u16));
  ASSERT_TRUE(r.ReadU24(&u24));
  EXPECT_EQ(u16, 0xffff);
  EXPECT_EQ(u24, 0xffffffu);
  EXPECT_EQ(LoadBigEndian64(ff), UINT64_MAX);
}

TEST(ByteReader, ReadPastEndFailsAndConsumesNothing) {
  const uint8_t three[3] = {0xaa, 0xbb, 0xcc};
  ByteReader r(three);
  uint8_t skip = 0;
  ASSERT_TRUE(r.ReadU8(&skip));  // two bytes left

  uint32_t u24 = 0x5a5a5a5a;
  EXPECT_FALSE(r.ReadU24(&u24));
  EXPECT_EQ(u24, 0x5a5a5a5au) << "a failed read must not touch its output";
  uint32_t u32 = 7;
  EXPECT_FALSE(r.ReadU32(&u32));
  EXPECT_EQ(u32, 7u);
  uint64_t u64 = 9;
  EXPECT_FALSE(r.ReadU64(&u64));
  EXPECT_EQ(u64, 9u);
  ByteSpan span;
  EXPECT_FALSE(r.ReadBytes(3, &span));
  EXPECT_TRUE(span.empty());
  uint8_t copy[3] = {1, 2, 3};
  EXPECT_FALSE(r.CopyBytes(copy));
  EXPECT_EQ(copy[0], 1);
  EXPECT_FALSE(r.Skip(3));
  EXPECT_EQ(r.position(), 1u);
  EXPECT_EQ(r.remaining(), 2u);

  // What is left is still readable after the failures.
  uint16_t u16 = 0;
  ASSERT_TRUE(r.ReadU16(&u16));
  EXPECT_EQ(u16, 0xbbcc);
  uint8_t u8 = 0x42;
  EXPECT_FALSE(r.ReadU8(&u8));
  EXPECT_EQ(u8, 0x42);
  EXPECT_FALSE(r.ReadU16(&u16));
  EXPECT_TRUE(r.empty());
}

TEST(ByteReader, EmptyInput) {
  ByteReader r(ByteSpan{});
  uint8_t u8 = 0;
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.ReadU8(&u8));
  ByteSpan span;
  EXPECT_TRUE(r.ReadBytes(0, &span));  // zero bytes always fit
  EXPECT_TRUE(r.Skip(0));
  EXPECT_FALSE(r.Skip(1));
}

TEST(ByteReader, ReadBytesPointsIntoTheBufferWithoutCopying) {
  ByteReader r(kSample);
  ASSERT_TRUE(r.Skip(4));
  ByteSpan span;
  ASSERT_TRUE(r.ReadBytes(5, &span));
  EXPECT_EQ(span.data(), kSample.data() + 4);
  EXPECT_EQ(span.size(), 5u);
  EXPECT_EQ(r.rest().data(), kSample.data() + 9);
  EXPECT_EQ(r.rest().size(), kSample.size() - 9);

  uint8_t copy[4] = {};
  ASSERT_TRUE(r.CopyBytes(copy));
  EXPECT_EQ(copy[0], 0x0a);
  EXPECT_EQ(copy[3], 0x0d);
  EXPECT_EQ(r.position(), 13u);
}

TEST(ByteReader, ReadBytesRejectsHugeLengthWithoutWrapping) {
  ByteReader r(kSample);
  ASSERT_TRUE(r.Skip(1));
  ByteSpan span;
  EXPECT_FALSE(r.ReadBytes(SIZE_MAX, &span));
  EXPECT_FALSE(r.Skip(SIZE_MAX));
  EXPECT_EQ(r.position(), 1u);
}

TEST(ByteWriter, WritesBigEndianIntegersAndBytes) {
  std::array<uint8_t, 32> buf{};
  ByteWriter w(buf);
  w.WriteU8(0x01);
  w.WriteU16(0x0203);
  w.WriteU24(0x040506);
  w.WriteU32(0x0708090a);
  w.WriteU64(0x0b0c0d0e0f101112ull);
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w.size(), kSample.size());
  EXPECT_TRUE(std::equal(kSample.begin(), kSample.end(), w.written().begin()));
  EXPECT_EQ(w.written().data(), buf.data());

  w.WriteString("ab");
  w.WriteZeros(3);
  const uint8_t tail[2] = {0xfe, 0xed};
  w.WriteBytes(tail);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.size(), 25u);
  EXPECT_EQ(w.remaining(), 7u);
  EXPECT_EQ(buf[18], 'a');
  EXPECT_EQ(buf[19], 'b');
  EXPECT_EQ(buf[20], 0);
  EXPECT_EQ(buf[22], 0);
  EXPECT_EQ(buf[23], 0xfe);
  EXPECT_EQ(buf[24], 0xed);
}

TEST(ByteWriter, WriteU24DropsTheTopByte) {
  std::array<uint8_t, 3> buf{};
  ByteWriter w(buf);
  w.WriteU24(0xff123456);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(buf[0], 0x12);
  EXPECT_EQ(buf[1], 0x34);
  EXPECT_EQ(buf[2], 0x56);
}

TEST(ByteWriter, OverflowWritesNothingAndIsSticky) {
  std::array<uint8_t, 6> buf;
  buf.fill(0xee);
  ByteWriter w(buf);
  w.WriteU32(0x01020304);
  ASSERT_TRUE(w.ok());
  w.WriteU32(0x05060708);  // 2 bytes left: does not fit
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 4u);
  EXPECT_EQ(buf[4], 0xee) << "a write that does not fit must write nothing";
  EXPECT_EQ(buf[5], 0xee);

  // Later writes that would fit are ignored too: the failure is sticky.
  w.WriteU8(0x55);
  w.WriteU16(0x6677);
  w.WriteZeros(1);
  w.WriteBytes(ByteSpan{});
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 4u);
  EXPECT_EQ(buf[4], 0xee);
  EXPECT_TRUE(w.Reserve(1).empty());
  EXPECT_EQ(w.size(), 4u);
}

TEST(ByteWriter, EachWriteKindDetectsOverflow) {
  auto overflows = [](auto write) {
    std::array<uint8_t, 7> buf{};
    ByteWriter w(std::span<uint8_t>(buf.data(), 1));
    write(w);
    return !w.ok() && w.size() == 0;
  };
  EXPECT_TRUE(overflows([](ByteWriter& w) { w.WriteU16(1); }));
  EXPECT_TRUE(overflows([](ByteWriter& w) { w.WriteU24(1); }));
  EXPECT_TRUE(overflows([](ByteWriter& w) { w.WriteU32(1); }));
  EXPECT_TRUE(overflows([](ByteWriter& w) { w.WriteU64(1); }));
  EXPECT_TRUE(overflows([](ByteWriter& w) { w.WriteString("ab"); }));
  EXPECT_TRUE(overflows([](ByteWriter& w) { w.WriteZeros(2); }));
  EXPECT_TRUE(overflows([](ByteWriter& w) { w.WriteZeros(SIZE_MAX); }));
  EXPECT_TRUE(overflows([](ByteWriter& w) { EXPECT_TRUE(w.Reserve(2).empty()); }));
}

TEST(ByteWriter, ExactFitIsNotAnOverflow) {
  std::array<uint8_t, 8> buf{};
  ByteWriter w(buf);
  w.WriteU64(42);
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(w.remaining(), 0u);
  w.WriteBytes(ByteSpan{});  // an empty write still fits
  EXPECT_TRUE(w.ok());
  w.WriteU8(1);
  EXPECT_FALSE(w.ok());
}

TEST(ByteWriter, ReserveHandsOutTheNextBytes) {
  std::array<uint8_t, 8> buf{};
  ByteWriter w(buf);
  w.WriteU16(0xabcd);
  MutableByteSpan r = w.Reserve(4);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r.data(), buf.data() + 2);
  r[0] = 0x11;
  r[3] = 0x44;
  w.WriteU16(0xeeff);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.size(), 8u);
  EXPECT_EQ(buf[2], 0x11);
  EXPECT_EQ(buf[5], 0x44);
  EXPECT_EQ(buf[6], 0xee);
}

TEST(ByteWriter, PatchU16OverwritesOnlyWrittenBytes) {
  std::array<uint8_t, 8> buf{};
  ByteWriter w(buf);
  w.WriteU16(0x0000);  // e.g. a type
  w.WriteU16(0x0000);  // a length to fix up later
  w.WriteU8(0x99);
  ASSERT_EQ(w.size(), 5u);

  EXPECT_TRUE(w.PatchU16(2, 0x1234));
  EXPECT_EQ(buf[2], 0x12);
  EXPECT_EQ(buf[3], 0x34);
  EXPECT_TRUE(w.PatchU16(3, 0xabcd));  // the last two written bytes
  EXPECT_EQ(buf[3], 0xab);
  EXPECT_EQ(buf[4], 0xcd);
  EXPECT_EQ(w.size(), 5u) << "patching does not move the write position";

  // Not (entirely) written yet: refused, nothing changes.
  EXPECT_FALSE(w.PatchU16(4, 0xffff));
  EXPECT_FALSE(w.PatchU16(5, 0xffff));
  EXPECT_FALSE(w.PatchU16(100, 0xffff));
  EXPECT_FALSE(w.PatchU16(SIZE_MAX, 0xffff));
  EXPECT_EQ(buf[4], 0xcd);
  EXPECT_EQ(buf[5], 0x00);
  EXPECT_TRUE(w.ok()) << "a refused patch is not a write overflow";
}

TEST(ByteSpanHelpers, AsBytesAndAsStringRoundTrip) {
  std::string_view text = "STUN";
  ByteSpan b = AsBytes(text);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0], 'S');
  EXPECT_EQ(AsString(b), text);
  uint8_t p[8];
  StoreBigEndian16(p, 0xa1b2);
  StoreBigEndian32(p + 2, 0xc3d4e5f6);
  EXPECT_EQ(LoadBigEndian16(p), 0xa1b2);
  EXPECT_EQ(LoadBigEndian32(p + 2), 0xc3d4e5f6u);
  EXPECT_EQ(p[0], 0xa1);
  EXPECT_EQ(p[5], 0xf6);
  StoreBigEndian64(p, 0x0102030405060708ull);
  EXPECT_EQ(p[0], 0x01);
  EXPECT_EQ(p[7], 0x08);
  EXPECT_EQ(LoadBigEndian64(p), 0x0102030405060708ull);
}

}  // namespace
}  // namespace tern
