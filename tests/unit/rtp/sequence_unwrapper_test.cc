// Sequence number and timestamp unwrapping (RFC 3550 §5.1 and Appendix A.1's extended sequence
// number): forward and backward across the wrap, the half-way point, and serial comparison.
#include "tern/rtp/sequence_unwrapper.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace tern::rtp {
namespace {

TEST(SequenceNumberUnwrapper, FirstValueIsItself) {
  SequenceNumberUnwrapper u;
  EXPECT_FALSE(u.last().has_value());
  EXPECT_EQ(u.Unwrap(65000), 65000);
  EXPECT_EQ(u.last(), 65000);
}

TEST(SequenceNumberUnwrapper, ForwardAcrossTheWrap) {
  SequenceNumberUnwrapper u;
  EXPECT_EQ(u.Unwrap(65534), 65534);
  EXPECT_EQ(u.Unwrap(65535), 65535);
  EXPECT_EQ(u.Unwrap(0), 65536);
  EXPECT_EQ(u.Unwrap(1), 65537);
  // Many wraps in steps just under half the circle.
  int64_t expected = 65537;
  for (int i = 0; i < 10; ++i) {
    expected += 32767;
    EXPECT_EQ(u.Unwrap(static_cast<uint16_t>(expected)), expected);
  }
}

TEST(SequenceNumberUnwrapper, BackwardAcrossTheWrap) {
  SequenceNumberUnwrapper u;
  EXPECT_EQ(u.Unwrap(2), 2);
  EXPECT_EQ(u.Unwrap(65535), -1);  // a reordered packet from before the wrap
  EXPECT_EQ(u.Unwrap(1), 1);
  EXPECT_EQ(u.Unwrap(0), 0);
  EXPECT_EQ(u.Unwrap(65500), -36);
}

TEST(SequenceNumberUnwrapper, ReorderingAfterAWrap) {
  SequenceNumberUnwrapper u;
  EXPECT_EQ(u.Unwrap(65535), 65535);
  EXPECT_EQ(u.Unwrap(3), 65539);
  EXPECT_EQ(u.Unwrap(65534), 65534);  // late, from before the wrap
  EXPECT_EQ(u.Unwrap(4), 65540);
}

TEST(SequenceNumberUnwrapper, HalfwayIsForwardWhenNumericallyLarger) {
  SequenceNumberUnwrapper u;
  EXPECT_EQ(u.Unwrap(0), 0);
  EXPECT_EQ(u.Unwrap(32768), 32768);  // +half, the value is larger
  // From 32768, 0 is also half a circle away; numerically smaller, so it counts as backward.
  EXPECT_EQ(u.Unwrap(0), 0);
  EXPECT_EQ(u.Unwrap(32768), 32768);
  EXPECT_EQ(u.Unwrap(65535), 32767 + 32768);
}

TEST(SequenceNumberUnwrapper, PeekDoesNotRemember) {
  SequenceNumberUnwrapper u;
  EXPECT_EQ(u.PeekUnwrap(10), 10);
  EXPECT_FALSE(u.last().has_value());
  u.Unwrap(65535);
  EXPECT_EQ(u.PeekUnwrap(0), 65536);
  EXPECT_EQ(u.last(), 65535);
  u.Reset();
  EXPECT_EQ(u.Unwrap(7), 7);
}

TEST(TimestampUnwrapper, ForwardAndBackwardAcrossTheWrap) {
  TimestampUnwrapper u;
  EXPECT_EQ(u.Unwrap(0xFFFFFF00u), 0xFFFFFF00ll);
  EXPECT_EQ(u.Unwrap(0x00000100u), 0x100000100ll);
  EXPECT_EQ(u.Unwrap(0xFFFFFFFFu), 0xFFFFFFFFll);
  EXPECT_EQ(u.Unwrap(0x80000000u), 0x80000000ll);  // 2^31 - 1 behind 0xFFFFFFFF: backward
  TimestampUnwrapper v;
  EXPECT_EQ(v.Unwrap(5), 5);
  EXPECT_EQ(v.Unwrap(0xFFFFFFFBu), -5);
  // 90 kHz video for 14 hours (past one 2^32 wrap at ~13.25 h) in 1-second steps.
  TimestampUnwrapper w;
  int64_t t = 0;
  for (int i = 0; i < 14 * 3600; ++i) {
    EXPECT_EQ(w.Unwrap(static_cast<uint32_t>(t)), t);
    t += 90000;
  }
}

TEST(SerialComparison, IsNewer) {
  EXPECT_TRUE(IsNewerSequenceNumber(1, 0));
  EXPECT_FALSE(IsNewerSequenceNumber(0, 1));
  EXPECT_TRUE(IsNewerSequenceNumber(0, 65535));
  EXPECT_FALSE(IsNewerSequenceNumber(65535, 0));
  EXPECT_FALSE(IsNewerSequenceNumber(5, 5));
  // Exactly half apart: one direction only.
  EXPECT_NE(IsNewerSequenceNumber(32768, 0), IsNewerSequenceNumber(0, 32768));
  EXPECT_NE(IsNewerSequenceNumber(40000, 7232), IsNewerSequenceNumber(7232, 40000));
  EXPECT_TRUE(IsNewerTimestamp(0, 0xFFFFFFFFu));
  EXPECT_FALSE(IsNewerTimestamp(0x80000000u, 0x80000001u));
  EXPECT_EQ(WrapDistance<uint16_t>(65535, 0), 1);
  EXPECT_EQ(WrapDistance<uint16_t>(0, 65535), -1);
  EXPECT_EQ(WrapDistance<uint32_t>(0, 0x7FFFFFFF), 0x7FFFFFFF);
}

}  // namespace
}  // namespace tern::rtp
