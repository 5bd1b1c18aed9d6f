// RFC 7983 §7 first-byte demultiplexing (with RFC 9443's ranges) and RFC 5761 §4 RTP/RTCP.
#include "tern/dtls/demux.h"

#include <array>
#include <cstdint>

#include "gtest/gtest.h"

namespace tern {
namespace {

PacketKind Classify(uint8_t first) {
  const std::array<uint8_t, 4> p = {first, 0, 0, 0};
  return ClassifyPacket(p);
}

TEST(Rfc7983Demux, Section7FirstByteRanges) {
  for (int b = 0; b < 256; ++b) {
    PacketKind expected = PacketKind::kUnknown;
    if (b <= 3)
      expected = PacketKind::kStun;
    else if (b >= 16 && b <= 19)
      expected = PacketKind::kZrtp;
    else if (b >= 20 && b <= 63)
      expected = PacketKind::kDtls;
    else if (b >= 64 && b <= 79)
      expected = PacketKind::kTurnChannel;
    else if (b >= 128 && b <= 191)
      expected = PacketKind::kRtpRtcp;
    EXPECT_EQ(Classify(static_cast<uint8_t>(b)), expected) << b;
  }
}

TEST(Rfc7983Demux, Boundaries) {
  EXPECT_EQ(Classify(3), PacketKind::kStun);
  EXPECT_EQ(Classify(4), PacketKind::kUnknown);
  EXPECT_EQ(Classify(15), PacketKind::kUnknown);
  EXPECT_EQ(Classify(16), PacketKind::kZrtp);
  EXPECT_EQ(Classify(19), PacketKind::kZrtp);
  EXPECT_EQ(Classify(20), PacketKind::kDtls);  // change_cipher_spec
  EXPECT_EQ(Classify(22), PacketKind::kDtls);  // handshake
  EXPECT_EQ(Classify(63), PacketKind::kDtls);
  EXPECT_EQ(Classify(64), PacketKind::kTurnChannel);  // channel 0x4000
  EXPECT_EQ(Classify(79), PacketKind::kTurnChannel);  // channel 0x4FFF
  EXPECT_EQ(Classify(80), PacketKind::kUnknown);      // QUIC (RFC 9443), not ours
  EXPECT_EQ(Classify(127), PacketKind::kUnknown);
  EXPECT_EQ(Classify(128), PacketKind::kRtpRtcp);  // RTP version 2
  EXPECT_EQ(Classify(191), PacketKind::kRtpRtcp);
  EXPECT_EQ(Classify(192), PacketKind::kUnknown);
  EXPECT_EQ(Classify(255), PacketKind::kUnknown);
}

TEST(Rfc7983Demux, EmptyAndOneBytePackets) {
  EXPECT_EQ(ClassifyPacket({}), PacketKind::kUnknown);
  const uint8_t one[] = {0x80};
  EXPECT_EQ(ClassifyPacket(one), PacketKind::kRtpRtcp);
  EXPECT_FALSE(IsRtcpPacket(one));
  EXPECT_FALSE(IsRtcpPacket({}));
}

TEST(Rfc7983Demux, IsConstexpr) {
  static constexpr uint8_t kDtls[] = {22, 0xFE, 0xFD};
  static_assert(ClassifyPacket(kDtls) == PacketKind::kDtls);
  static_assert(IsRtcpPacketType(200));
  SUCCEED();
}

TEST(Rfc7983Demux, Names) {
  EXPECT_EQ(PacketKindName(PacketKind::kStun), "stun");
  EXPECT_EQ(PacketKindName(PacketKind::kZrtp), "zrtp");
  EXPECT_EQ(PacketKindName(PacketKind::kDtls), "dtls");
  EXPECT_EQ(PacketKindName(PacketKind::kTurnChannel), "turn-channel");
  EXPECT_EQ(PacketKindName(PacketKind::kRtpRtcp), "rtp-rtcp");
  EXPECT_EQ(PacketKindName(PacketKind::kUnknown), "unknown");
}

TEST(Rfc5761RtcpMux, Section4PacketTypes) {
  for (int b = 0; b < 256; ++b) {
    EXPECT_EQ(IsRtcpPacketType(static_cast<uint8_t>(b)), b >= 192 && b <= 223) << b;
  }
  // RTCP SR (PT 200), RR (201), PSFB (206); RTP PT 96 with the marker bit (0xE0 = 224), RTP PT 111,
  // RTP PT 0 with the marker bit (0x80 = 128).
  const uint8_t sr[] = {0x80, 200, 0, 6};
  const uint8_t rr[] = {0x81, 201, 0, 7};
  const uint8_t psfb[] = {0x81, 206, 0, 2};
  const uint8_t rtp_pt96_marker[] = {0x80, 0xE0, 0, 1};
  const uint8_t rtp_pt111[] = {0x80, 111, 0, 1};
  const uint8_t rtp_pt0_marker[] = {0x80, 0x80, 0, 1};
  EXPECT_TRUE(IsRtcpPacket(sr));
  EXPECT_TRUE(IsRtcpPacket(rr));
  EXPECT_TRUE(IsRtcpPacket(psfb));
  EXPECT_FALSE(IsRtcpPacket(rtp_pt96_marker));
  EXPECT_FALSE(IsRtcpPacket(rtp_pt111));
  EXPECT_FALSE(IsRtcpPacket(rtp_pt0_marker));
  // Not in the RTP range at all: never RTCP, whatever the second byte.
  const uint8_t dtls[] = {23, 200, 0};
  EXPECT_FALSE(IsRtcpPacket(dtls));
}

}  // namespace
}  // namespace tern
