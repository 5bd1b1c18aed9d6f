// CRC32c (RFC 3720 Appendix B.4 vectors) and the SCTP packet checksum (RFC 4960 Appendix B).
#include "sctp/crc32c.h"

#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "sctp/sctp_test_util.h"

namespace tern::sctp {
namespace {

TEST(Crc32c, Rfc3720Vectors) {
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF), up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  EXPECT_EQ(Crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(up), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(down), 0x113FDB5Cu);
  EXPECT_EQ(Crc32c(AsBytes("123456789")), 0xE3069283u);
  EXPECT_EQ(Crc32c(ByteSpan()), 0u);
}

TEST(Crc32c, MatchesBitwiseReferenceAtEveryLengthAndSplit) {
  std::vector<uint8_t> data = testing::Pattern(300, 9);
  for (size_t n = 0; n <= data.size(); ++n) {
    ByteSpan s(data.data(), n);
    ASSERT_EQ(Crc32c(s), testing::Crc32c(s)) << n;
    size_t split = n / 3;
    ASSERT_EQ(Crc32cUpdate(Crc32c(s.first(split)), s.subspan(split)), testing::Crc32c(s)) << n;
  }
}

TEST(Crc32c, SctpPacketChecksum) {
  std::vector<uint8_t> packet = testing::Pattern(100, 3);
  WriteSctpChecksum(packet);
  EXPECT_TRUE(VerifySctpChecksum(packet));
  std::vector<uint8_t> reference = packet;
  testing::FixChecksum(reference);
  EXPECT_EQ(reference, packet);
  packet[50] ^= 1;
  EXPECT_FALSE(VerifySctpChecksum(packet));
}

}  // namespace
}  // namespace tern::sctp
