// RTP fixed header, CSRCs, extension block and padding (RFC 3550 §5.1, §5.3.1): known-answer packets
// written by hand from the RFC's figures, builder round trips, and every malformed form.
#include "tern/rtp/rtp_packet.h"

#include <array>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "unit/rtp/rtp_test_util.h"

namespace tern::rtp {
namespace {

using testing::FailsMentioning;
using testing::Hex;
using testing::ToHex;
using testing::ToVector;

// V=2 P=0 X=0 CC=0 | M=1 PT=96 | seq 0x1234 | ts 0x0a0b0c0d | SSRC 0xdeadbeef | payload "hi".
const std::vector<uint8_t> kMinimal = Hex("80 e0 1234 0a0b0c0d deadbeef 6869");

// V=2 P=1 X=1 CC=2 | M=0 PT=111 | seq 0xfffe | ts 0xffffffff | SSRC 0x01020304 | CSRCs 0x11111111,
// 0x22222222 | extension profile 0xabcd (not RFC 8285), 1 word: 01020304 | payload aa bb cc |
// 3 bytes of padding, the last holding the count 3.
const std::vector<uint8_t> kFull =
    Hex("b2 6f fffe ffffffff 01020304"
        "11111111 22222222"
        "abcd 0001 01020304"
        "aabbcc"
        "000003");

TEST(RtpPacket, Rfc3550MinimalHeader) {
  absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(kMinimal);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->has_padding());
  EXPECT_FALSE(p->has_extension());
  EXPECT_EQ(p->csrc_count(), 0u);
  EXPECT_TRUE(p->marker());
  EXPECT_EQ(p->payload_type(), 96);
  EXPECT_EQ(p->sequence_number(), 0x1234);
  EXPECT_EQ(p->timestamp(), 0x0a0b0c0du);
  EXPECT_EQ(p->ssrc(), 0xdeadbeefu);
  EXPECT_EQ(p->header_size(), 12u);
  EXPECT_EQ(ToHex(p->payload()), "6869");
  EXPECT_EQ(p->padding_size(), 0u);
  EXPECT_EQ(p->extension_form(), ExtensionForm::kNone);
  EXPECT_EQ(p->extensions().begin(), p->extensions().end());
}

TEST(RtpPacket, Rfc3550CsrcsExtensionAndPadding) {
  absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(kFull);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->has_padding());
  EXPECT_TRUE(p->has_extension());
  EXPECT_FALSE(p->marker());
  EXPECT_EQ(p->payload_type(), 111);
  EXPECT_EQ(p->sequence_number(), 0xfffe);
  EXPECT_EQ(p->timestamp(), 0xffffffffu);
  EXPECT_EQ(p->ssrc(), 0x01020304u);
  ASSERT_EQ(p->csrc_count(), 2u);
  EXPECT_EQ(p->csrc(0), 0x11111111u);
  EXPECT_EQ(p->csrc(1), 0x22222222u);
  EXPECT_EQ(p->extension_profile(), 0xabcd);
  EXPECT_EQ(p->extension_form(), ExtensionForm::kNone);
  EXPECT_EQ(ToHex(p->extension_body()), "01020304");
  EXPECT_EQ(p->extension_count(), 0u);
  EXPECT_EQ(p->header_size(), 12u + 8 + 8);
  EXPECT_EQ(ToHex(p->payload()), "aabbcc");
  EXPECT_EQ(p->padding_size(), 3u);
  EXPECT_EQ(ToHex(p->padding()), "000003");
}

TEST(RtpPacket, PaddingMayTakeEverythingAfterTheHeader) {
  // RFC 3550 §5.1: a packet of only padding (used for bandwidth probing).
  std::vector<uint8_t> p = Hex("a0 60 0001 00000001 00000002 00000004");
  absl::StatusOr<RtpPacketView> v = RtpPacketView::Parse(p);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->payload().empty());
  EXPECT_EQ(v->padding_size(), 4u);
}

TEST(RtpPacketBuilder, BuildsTheKnownAnswerPackets) {
  std::array<uint8_t, 64> buffer{};
  RtpPacketBuilder b(buffer);
  b.SetMarker(true).SetPayloadType(96).SetSequenceNumber(0x1234).SetTimestamp(0x0a0b0c0d).SetSsrc(0xdeadbeef);
  b.SetPayload(Hex("6869"));
  absl::StatusOr<ByteSpan> wire = b.Finish();
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(ToHex(*wire), ToHex(kMinimal));

  RtpPacketBuilder f(buffer);
  f.SetPayloadType(111).SetSequenceNumber(0xfffe).SetTimestamp(0xffffffff).SetSsrc(0x01020304);
  f.AddCsrc(0x11111111).AddCsrc(0x22222222);
  f.SetRawExtension(0xabcd, Hex("01020304"));
  f.SetPayload(Hex("aabbcc"));
  f.SetPadding(3);
  wire = f.Finish();
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(ToHex(*wire), ToHex(kFull));
}

TEST(RtpPacketBuilder, RoundTripsEveryField) {
  for (size_t csrcs : {0u, 1u, 15u}) {
    for (size_t padding : {0u, 1u, 255u}) {
      for (bool marker : {false, true}) {
        std::vector<uint8_t> buffer(2000);
        std::vector<uint8_t> payload(100 + csrcs);
        for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7);
        RtpPacketBuilder b(buffer);
        b.SetMarker(marker).SetPayloadType(127).SetSequenceNumber(65535).SetTimestamp(123456).SetSsrc(42);
        for (size_t i = 0; i < csrcs; ++i) b.AddCsrc(static_cast<uint32_t>(1000 + i));
        b.AddExtension(1, Hex("aa"));
        MutableByteSpan out = b.AllocatePayload(payload.size());
        ASSERT_EQ(out.size(), payload.size());
        std::copy(payload.begin(), payload.end(), out.begin());
        b.SetPadding(padding);
        absl::StatusOr<ByteSpan> wire = b.Finish();
        ASSERT_TRUE(wire.ok()) << wire.status();
        absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(*wire);
        ASSERT_TRUE(p.ok()) << p.status();
        EXPECT_EQ(p->marker(), marker);
        EXPECT_EQ(p->payload_type(), 127);
        EXPECT_EQ(p->sequence_number(), 65535);
        EXPECT_EQ(p->timestamp(), 123456u);
        EXPECT_EQ(p->ssrc(), 42u);
        ASSERT_EQ(p->csrc_count(), csrcs);
        for (size_t i = 0; i < csrcs; ++i) EXPECT_EQ(p->csrc(i), 1000 + i);
        EXPECT_EQ(ToVector(p->payload()), payload);
        EXPECT_EQ(p->padding_size(), padding);
        EXPECT_EQ(p->has_padding(), padding != 0);
        ASSERT_TRUE(p->FindExtension(1).has_value());
        EXPECT_EQ(ToHex(*p->FindExtension(1)), "aa");
      }
    }
  }
}

// --- Malformed packets ---------------------------------------------------------------------------

TEST(RtpPacketMalformed, EveryTruncationIsRejected) {
  // kFull's CSRCs, extension and padding count all point past the end of any prefix of it.
  for (size_t n = 0; n < kFull.size(); ++n) {
    absl::Status s = RtpPacketView::Parse(ByteSpan(kFull).first(n)).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << n;
  }
  for (size_t n = 0; n < kRtpHeaderSize; ++n) {
    EXPECT_TRUE(FailsMentioning(RtpPacketView::Parse(ByteSpan(kMinimal).first(n)).status(), "fixed header"))
        << n;
  }
  EXPECT_TRUE(FailsMentioning(RtpPacketView::Parse(ByteSpan(kFull).first(12)).status(), "CSRC"));
  EXPECT_TRUE(FailsMentioning(RtpPacketView::Parse(ByteSpan(kFull).first(23)).status(), "extension header"));
  EXPECT_TRUE(FailsMentioning(RtpPacketView::Parse(ByteSpan(kFull).first(27)).status(), "runs past the end"));
}

TEST(RtpPacketMalformed, VersionMustBeTwo) {
  for (uint8_t v : {0, 1, 3}) {
    std::vector<uint8_t> p = kMinimal;
    p[0] = static_cast<uint8_t>((p[0] & 0x3F) | (v << 6));
    EXPECT_TRUE(FailsMentioning(RtpPacketView::Parse(p).status(), "version must be 2")) << int{v};
  }
}

TEST(RtpPacketMalformed, PaddingLargerThanThePacket) {
  std::vector<uint8_t> p =
      Hex("a0 60 0001 00000001 00000002 aabb 03");  // 3 bytes after the header, count 3: ok
  EXPECT_TRUE(RtpPacketView::Parse(p).ok());
  p.back() = 4;
  EXPECT_TRUE(FailsMentioning(RtpPacketView::Parse(p).status(), "padding count 4 is larger"));
  p.back() = 0;
  EXPECT_TRUE(FailsMentioning(RtpPacketView::Parse(p).status(), "padding count is zero"));
  // The padding bit with nothing after the header.
  std::vector<uint8_t> bare = Hex("a0 60 0001 00000001 00000002");
  EXPECT_TRUE(FailsMentioning(RtpPacketView::Parse(bare).status(), "no byte follows the header"));
  // Padding cannot reach back into the extension block.
  std::vector<uint8_t> ext = Hex("b0 60 0001 00000001 00000002 abcd0001 00000000 05");
  EXPECT_TRUE(
      FailsMentioning(RtpPacketView::Parse(ext).status(), "padding count 5 is larger than the 1 bytes"));
}

TEST(RtpPacketMalformed, ExtensionLengthPastTheEnd) {
  std::vector<uint8_t> p = Hex("90 60 0001 00000001 00000002 abcd 0002 00000000");  // claims 2 words, has 1
  EXPECT_TRUE(
      FailsMentioning(RtpPacketView::Parse(p).status(), "extension length (2 words) runs past the end"));
  p[15] = 1;
  EXPECT_TRUE(RtpPacketView::Parse(p).ok());
}

TEST(RtpPacketMalformed, MalformedRfc8285ElementsAreRejectedAtParse) {
  // One-byte form: element id 1 claims 4 bytes, only 3 remain in the block.
  std::vector<uint8_t> p = Hex("90 60 0001 00000001 00000002 bede 0001 13 aabbcc");
  EXPECT_TRUE(FailsMentioning(RtpPacketView::Parse(p).status(), "runs past the extension block"));
}

TEST(RtpDemux, Rfc5761And7983FirstBytes) {
  EXPECT_TRUE(LooksLikeRtpOrRtcp(kMinimal));
  EXPECT_FALSE(LooksLikeRtcp(kMinimal));
  std::vector<uint8_t> rr = Hex("80 c9 0001 00000001");
  EXPECT_TRUE(LooksLikeRtcp(rr));
  std::vector<uint8_t> stun = Hex("0001 0000 2112a442");
  EXPECT_FALSE(LooksLikeRtpOrRtcp(stun));
  std::vector<uint8_t> dtls = Hex("16 fefd 0000");
  EXPECT_FALSE(LooksLikeRtpOrRtcp(dtls));
  EXPECT_FALSE(LooksLikeRtpOrRtcp(Hex("80")));
}

// --- Builder errors ------------------------------------------------------------------------------

TEST(RtpPacketBuilderErrors, BufferTooSmall) {
  for (size_t n = 0; n < 14; ++n) {
    std::vector<uint8_t> buffer(n);
    RtpPacketBuilder b(buffer);
    b.SetPayload(Hex("6869"));
    absl::StatusOr<ByteSpan> wire = b.Finish();
    EXPECT_EQ(wire.status().code(), absl::StatusCode::kResourceExhausted) << n;
  }
  std::vector<uint8_t> exact(14);
  RtpPacketBuilder b(exact);
  b.SetPayload(Hex("6869"));
  EXPECT_TRUE(b.Finish().ok());
  // Padding that does not fit.
  RtpPacketBuilder pad(exact);
  pad.SetPayload(Hex("6869")).SetPadding(1);
  EXPECT_EQ(pad.Finish().status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(RtpPacketBuilderErrors, ValuesOutOfRange) {
  std::array<uint8_t, 200> buffer{};
  EXPECT_TRUE(
      FailsMentioning(RtpPacketBuilder(buffer).SetPayloadType(128).Finish().status(), "payload type"));
  EXPECT_TRUE(FailsMentioning(RtpPacketBuilder(buffer).SetPadding(256).Finish().status(), "padding"));
  RtpPacketBuilder b(buffer);
  for (int i = 0; i < 16; ++i) b.AddCsrc(static_cast<uint32_t>(i));
  EXPECT_TRUE(FailsMentioning(b.Finish().status(), "at most 15 CSRCs"));
  EXPECT_TRUE(FailsMentioning(RtpPacketBuilder(buffer).SetRawExtension(0xabcd, Hex("0102")).Finish().status(),
                              "multiple of 4"));
  // A raw block with an RFC 8285 profile must hold valid elements.
  EXPECT_TRUE(FailsMentioning(
      RtpPacketBuilder(buffer).SetRawExtension(0xbede, Hex("13aabbcc")).Finish().status(), "runs past"));
}

TEST(RtpPacketBuilderErrors, PartsMustComeInWireOrder) {
  std::array<uint8_t, 200> buffer{};
  {
    RtpPacketBuilder b(buffer);
    b.AddExtension(1, Hex("aa")).AddCsrc(1);
    EXPECT_TRUE(FailsMentioning(b.Finish().status(), "wire order"));
  }
  {
    RtpPacketBuilder b(buffer);
    b.SetPayload(Hex("aa")).AddExtension(1, Hex("aa"));
    EXPECT_TRUE(FailsMentioning(b.Finish().status(), "wire order"));
  }
  {
    RtpPacketBuilder b(buffer);
    b.SetPayload(Hex("aa")).SetPayload(Hex("bb"));
    EXPECT_TRUE(FailsMentioning(b.Finish().status(), "payload already set"));
  }
  {
    RtpPacketBuilder b(buffer);
    b.SetRawExtension(0xabcd, {}).AddExtension(1, Hex("aa"));
    EXPECT_TRUE(FailsMentioning(b.Finish().status(), "raw header extension"));
  }
  {
    RtpPacketBuilder b(buffer);
    b.AddExtension(1, Hex("aa")).SetRawExtension(0xabcd, {});
    EXPECT_TRUE(FailsMentioning(b.Finish().status(), "already has a header extension"));
  }
  {
    RtpPacketBuilder b(buffer);
    EXPECT_TRUE(b.Finish().ok());
    EXPECT_TRUE(FailsMentioning(b.Finish().status(), "already finished"));
  }
}

}  // namespace
}  // namespace tern::rtp
