// RFC 8285 header extension elements (§4.2 one-byte, §4.3 two-byte), the builder's choice of form
// (including extmap-allow-mixed, §6), the extmap registry and each typed extension.
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tern/rtp/rtp_packet.h"
#include "unit/rtp/rtp_test_util.h"

namespace tern::rtp {
namespace {

using testing::FailsMentioning;
using testing::Hex;
using testing::ToHex;

std::vector<std::pair<int, std::string>> Elements(const RtpPacketView& p) {
  std::vector<std::pair<int, std::string>> out;
  for (const HeaderExtension& e : p.extensions()) out.emplace_back(e.id, ToHex(e.data));
  return out;
}

const std::string kFixedHeader = "90 e0 698f d9c293da 1c642782";  // V=2 X=1 M=1 PT=96

// RFC 8285 §4.2's example: three one-byte elements and two padding bytes in 3 words:
//   0xBE 0xDE length=3 | ID=1 L=0 data | ID=2 L=1 data data | 0 (pad) 0 (pad) | ID=3 L=3 | data x4
TEST(RtpHeaderExtension, Rfc8285Section42OneByteExample) {
  std::vector<uint8_t> packet = Hex(kFixedHeader + "bede 0003  10 aa  21 bbbb  00 00  33 cccccccc  98");
  absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(packet);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->extension_form(), ExtensionForm::kOneByte);
  EXPECT_EQ(p->extension_count(), 3u);
  std::vector<std::pair<int, std::string>> expected = {{1, "aa"}, {2, "bbbb"}, {3, "cccccccc"}};
  EXPECT_EQ(Elements(*p), expected);
  EXPECT_EQ(ToHex(*p->FindExtension(2)), "bbbb");
  EXPECT_FALSE(p->FindExtension(4).has_value());
  EXPECT_FALSE(p->FindExtension(0).has_value());
  EXPECT_EQ(ToHex(p->payload()), "98");
}

// RFC 8285 §4.3's example: 0x10 0x00 length=3 | ID L=0 | ID L=1 data | 0 (pad) | ID L=4 data x4.
TEST(RtpHeaderExtension, Rfc8285Section43TwoByteExample) {
  std::vector<uint8_t> packet = Hex(kFixedHeader + "1000 0003  0100  0201 42  00  0304 11223344");
  absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(packet);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->extension_form(), ExtensionForm::kTwoByte);
  EXPECT_EQ(p->extension_app_bits(), 0);
  std::vector<std::pair<int, std::string>> expected = {{1, ""}, {2, "42"}, {3, "11223344"}};
  EXPECT_EQ(Elements(*p), expected);
  ASSERT_TRUE(p->FindExtension(1).has_value());
  EXPECT_TRUE(p->FindExtension(1)->empty());
  EXPECT_TRUE(p->payload().empty());
}

TEST(RtpHeaderExtension, TwoByteAppBitsAndLargeIds) {
  std::vector<uint8_t> packet = Hex(kFixedHeader + "100f 0001  ff01 77 00");
  absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(packet);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->extension_app_bits(), 0x0f);
  EXPECT_EQ(ToHex(*p->FindExtension(255)), "77");
}

TEST(RtpHeaderExtension, OneByteId15StopsProcessing) {
  // RFC 8285 §4.2: at ID 15 the rest of the block is ignored, whatever it holds.
  std::vector<uint8_t> packet = Hex(kFixedHeader + "bede 0002  10 aa  f5 ff ff ff ff ff");
  absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(packet);
  ASSERT_TRUE(p.ok()) << p.status();
  std::vector<std::pair<int, std::string>> expected = {{1, "aa"}};
  EXPECT_EQ(Elements(*p), expected);
  EXPECT_EQ(p->extension_count(), 1u);
}

TEST(RtpHeaderExtension, DuplicateIdsFindTheFirst) {
  std::vector<uint8_t> packet = Hex(kFixedHeader + "bede 0001  10 aa 10 bb");
  absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(packet);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(ToHex(*p->FindExtension(1)), "aa");
  EXPECT_EQ(p->extension_count(), 2u);
}

TEST(RtpHeaderExtensionMalformed, ElementsThatDoNotFit) {
  struct Case {
    const char* block;
    const char* problem;
  } cases[] = {
      {"bede 0001  13 aabbcc", "runs past the extension block"},         // 4 data bytes, 3 left
      {"bede 0001  00 00 00 1f", "runs past the extension block"},       // 16 data bytes, 0 left
      {"bede 0001  05 000000", "padding byte at offset 0 is not zero"},  // ID 0 with L=5
      {"1000 0001  0105 0000", "runs past the extension block"},         // two-byte, 5 bytes claimed
      {"1000 0001  000000 01", "has no length byte"},                    // id 1 in the last byte
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> packet = Hex(kFixedHeader + c.block);
    EXPECT_TRUE(FailsMentioning(RtpPacketView::Parse(packet).status(), c.problem)) << c.block;
  }
}

// --- Builder: forms ------------------------------------------------------------------------------

absl::StatusOr<RtpPacketView> BuildWith(std::vector<uint8_t>& buffer, ExtensionFormPolicy policy,
                                        const std::vector<std::pair<uint8_t, std::vector<uint8_t>>>& elements,
                                        absl::Status* finish_status = nullptr) {
  RtpPacketBuilder b(buffer);
  b.SetPayloadType(96).SetSequenceNumber(1).SetSsrc(2).SetExtensionFormPolicy(policy);
  for (const auto& [id, data] : elements) b.AddExtension(id, data);
  b.SetPayload(Hex("cafe"));
  absl::StatusOr<ByteSpan> wire = b.Finish();
  if (finish_status) *finish_status = wire.status();
  if (!wire.ok()) return wire.status();
  return RtpPacketView::Parse(*wire);
}

TEST(RtpPacketBuilderExtensions, OneByteWhenEverythingFits) {
  std::vector<uint8_t> buffer(100);
  absl::StatusOr<RtpPacketView> p =
      BuildWith(buffer, ExtensionFormPolicy::kAuto,
                {{1, Hex("aa")}, {2, Hex("bbbb")}, {14, std::vector<uint8_t>(16, 0xcc)}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->extension_form(), ExtensionForm::kOneByte);
  // 1+1, 1+2, 1+16 = 22 bytes, padded to 24.
  EXPECT_EQ(ToHex(ByteSpan(buffer).subspan(12, 8)), "bede000610aa21bb");
  EXPECT_EQ(p->extension_body().size(), 24u);
  std::vector<std::pair<int, std::string>> expected = {{1, "aa"}, {2, "bbbb"}, {14, std::string(32, 'c')}};
  EXPECT_EQ(Elements(*p), expected);
  EXPECT_EQ(ToHex(p->payload()), "cafe");
}

TEST(RtpPacketBuilderExtensions, SwitchesToTwoByteWhenAnElementDoesNotFit) {
  // id 15, an empty element and a 17-byte element each need the two-byte form; the elements written
  // before are converted in place.
  for (auto [id, size] : {std::pair<uint8_t, size_t>{15, 1}, {3, 0}, {3, 17}, {200, 255}}) {
    std::vector<uint8_t> buffer(400);
    std::vector<uint8_t> big(size, 0x5a);
    absl::StatusOr<RtpPacketView> p = BuildWith(
        buffer, ExtensionFormPolicy::kAuto, {{1, Hex("aa")}, {2, Hex("bbbb")}, {id, big}, {4, Hex("dd")}});
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->extension_form(), ExtensionForm::kTwoByte);
    std::vector<std::pair<int, std::string>> expected = {{1, "aa"}, {2, "bbbb"}, {id, ToHex(big)}, {4, "dd"}};
    EXPECT_EQ(Elements(*p), expected) << int{id} << " " << size;
    EXPECT_EQ(ToHex(ByteSpan(buffer).subspan(12, 2)), "1000");
    EXPECT_EQ(ToHex(ByteSpan(buffer).subspan(16, 7)), "0101aa0202bbbb");
  }
}

TEST(RtpPacketBuilderExtensions, ForcedTwoByteFormWithAppBits) {
  std::vector<uint8_t> buffer(100);
  RtpPacketBuilder b(buffer);
  b.SetExtensionFormPolicy(ExtensionFormPolicy::kTwoByte).SetTwoByteAppBits(5);
  b.AddExtension(1, Hex("aa"));
  absl::StatusOr<ByteSpan> wire = b.Finish();
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(ToHex(wire->subspan(12)),
            "10050001"
            "0101aa00");
  absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(*wire);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->extension_app_bits(), 5);
}

TEST(RtpPacketBuilderExtensions, OneByteOnlyRefusesWhatDoesNotFit) {
  std::vector<uint8_t> buffer(400);
  absl::Status s;
  for (auto [id, size] : {std::pair<uint8_t, size_t>{15, 1}, {1, 0}, {1, 17}}) {
    (void)BuildWith(buffer, ExtensionFormPolicy::kOneByte, {{id, std::vector<uint8_t>(size)}}, &s);
    EXPECT_TRUE(FailsMentioning(s, "does not fit the one-byte form")) << int{id} << " " << size;
  }
  (void)BuildWith(buffer, ExtensionFormPolicy::kAuto, {{0, Hex("aa")}}, &s);
  EXPECT_TRUE(FailsMentioning(s, "id 0"));
  (void)BuildWith(buffer, ExtensionFormPolicy::kAuto, {{1, std::vector<uint8_t>(256)}}, &s);
  EXPECT_TRUE(FailsMentioning(s, "longer than 255"));
}

TEST(RtpPacketBuilderExtensions, ConversionThatDoesNotFitTheBuffer) {
  // 12 header + 4 ext header + 2 (one-byte element) = 18; converting needs 1 more byte plus the new
  // element's 2 + 0 bytes: a 20-byte buffer is one short.
  std::vector<uint8_t> buffer(20);
  RtpPacketBuilder b(buffer);
  b.AddExtension(1, Hex("aa")).AddExtension(2, {});
  EXPECT_EQ(b.Finish().status().code(), absl::StatusCode::kResourceExhausted);
  std::vector<uint8_t> enough(24);  // 21 bytes of elements+header, padded to 24
  RtpPacketBuilder c(enough);
  c.AddExtension(1, Hex("aa")).AddExtension(2, {});
  absl::StatusOr<ByteSpan> wire = c.Finish();
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(ToHex(wire->subspan(12)),
            "10000002"
            "0101aa02"
            "00000000");
}

// --- Registry ------------------------------------------------------------------------------------

TEST(RtpHeaderExtensionMap, RegistersByTypeAndUri) {
  RtpHeaderExtensionMap map;
  EXPECT_TRUE(map.RegisterUri(3, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time").ok());
  EXPECT_TRUE(
      map.RegisterUri(5, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01").ok());
  EXPECT_TRUE(map.RegisterUri(9, "urn:ietf:params:rtp-hdrext:sdes:mid").ok());
  EXPECT_TRUE(map.RegisterUri(10, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id").ok());
  EXPECT_TRUE(map.RegisterUri(11, "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id").ok());
  EXPECT_TRUE(map.RegisterUri(1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level").ok());
  EXPECT_TRUE(map.RegisterUri(13, "urn:3gpp:video-orientation").ok());
  EXPECT_TRUE(map.RegisterUri(200, "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay").ok());
  EXPECT_EQ(map.IdOf(RtpExtensionType::kAbsSendTime), 3);
  EXPECT_EQ(map.IdOf(RtpExtensionType::kTransportSequenceNumber), 5);
  EXPECT_EQ(map.IdOf(RtpExtensionType::kMid), 9);
  EXPECT_EQ(map.IdOf(RtpExtensionType::kRtpStreamId), 10);
  EXPECT_EQ(map.IdOf(RtpExtensionType::kRepairedRtpStreamId), 11);
  EXPECT_EQ(map.IdOf(RtpExtensionType::kAudioLevel), 1);
  EXPECT_EQ(map.IdOf(RtpExtensionType::kVideoOrientation), 13);
  EXPECT_EQ(map.IdOf(RtpExtensionType::kPlayoutDelay), 200);
  EXPECT_EQ(map.TypeOf(13), RtpExtensionType::kVideoOrientation);
  EXPECT_EQ(map.TypeOf(2), RtpExtensionType::kNone);
  EXPECT_EQ(map.TypeOf(0), RtpExtensionType::kNone);

  EXPECT_EQ(map.RegisterUri(4, "urn:example:unknown").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(map.Register(3, RtpExtensionType::kAbsSendTime).ok());  // the same pair again
  EXPECT_TRUE(FailsMentioning(map.Register(3, RtpExtensionType::kMid), "id 3 is already mapped"));
  EXPECT_TRUE(FailsMentioning(map.Register(4, RtpExtensionType::kMid), "already mapped to id 9"));
  EXPECT_TRUE(FailsMentioning(map.Register(0, RtpExtensionType::kMid), "id 0"));
  EXPECT_FALSE(map.Register(4, RtpExtensionType::kNone).ok());

  map.Unregister(RtpExtensionType::kMid);
  EXPECT_EQ(map.IdOf(RtpExtensionType::kMid), 0);
  EXPECT_EQ(map.TypeOf(9), RtpExtensionType::kNone);
  EXPECT_TRUE(map.Register(4, RtpExtensionType::kMid).ok());

  for (size_t i = 1; i < kRtpExtensionTypeCount; ++i) {
    auto type = static_cast<RtpExtensionType>(i);
    EXPECT_EQ(RtpExtensionTypeFromUri(RtpExtensionUri(type)), type);
  }
}

// --- Typed extensions ----------------------------------------------------------------------------

TEST(RtpExtensionTypes, AbsSendTimeIsSixPointEighteenFixedPoint) {
  // 1.5 s = 0x01.80000 in 6.18: 0x060000.
  EXPECT_EQ(AbsSendTimeExtension::FromTime(Timestamp::Millis(1500)), 0x060000u);
  EXPECT_EQ(AbsSendTimeExtension::ToDuration(0x060000), Duration::Millis(1500));
  // Wraps every 64 s.
  EXPECT_EQ(AbsSendTimeExtension::FromTime(Timestamp::Millis(65500)), 0x060000u);
  EXPECT_EQ(AbsSendTimeExtension::FromTime(Timestamp::Micros(63'999'999)), 0u);  // rounds up to 64 s = 0
  EXPECT_EQ(AbsSendTimeExtension::FromTime(Timestamp::Micros(4)), 1u);           // 2^-18 s = 3.8 us
  EXPECT_EQ(*AbsSendTimeExtension::Parse(Hex("060000")), 0x060000u);
  EXPECT_TRUE(FailsMentioning(AbsSendTimeExtension::Parse(Hex("0600")).status(), "must have 3 data bytes"));
  EXPECT_FALSE(AbsSendTimeExtension::Validate(0x1000000).ok());
}

TEST(RtpExtensionTypes, TransportSequenceNumber) {
  EXPECT_EQ(*TransportSequenceNumberExtension::Parse(Hex("abcd")), 0xabcd);
  EXPECT_FALSE(TransportSequenceNumberExtension::Parse(Hex("ab")).ok());
  EXPECT_FALSE(TransportSequenceNumberExtension::Parse(Hex("abcdef")).ok());
}

TEST(RtpExtensionTypes, Rfc6464AudioLevel) {
  EXPECT_EQ(*AudioLevelExtension::Parse(Hex("9e")), (AudioLevel{true, 30}));
  EXPECT_EQ(*AudioLevelExtension::Parse(Hex("7f")), (AudioLevel{false, 127}));
  EXPECT_FALSE(AudioLevelExtension::Parse(Hex("9e00")).ok());
  EXPECT_TRUE(FailsMentioning(AudioLevelExtension::Validate(AudioLevel{false, 128}), "0..127"));
}

TEST(RtpExtensionTypes, VideoOrientationCfrBits) {
  // 0000 C F R1 R0: back camera, flipped, 270 degrees.
  VideoOrientation v = *VideoOrientationExtension::Parse(Hex("0f"));
  EXPECT_TRUE(v.back_camera);
  EXPECT_TRUE(v.flip);
  EXPECT_EQ(v.degrees(), 270);
  EXPECT_EQ(*VideoOrientationExtension::Parse(Hex("01")), (VideoOrientation{false, false, 1}));
  EXPECT_EQ(*VideoOrientationExtension::Parse(Hex("f9")),
            (VideoOrientation{true, false, 1}));  // high bits ignored
  EXPECT_FALSE(VideoOrientationExtension::Validate(VideoOrientation{false, false, 4}).ok());
}

TEST(RtpExtensionTypes, PlayoutDelayTwelveBitsEachInTenMs) {
  // min 100 ms (10 = 0x00a), max 2 s (200 = 0x0c8): 00a 0c8.
  PlayoutDelay d = *PlayoutDelayExtension::Parse(Hex("00a0c8"));
  EXPECT_EQ(d.min(), Duration::Millis(100));
  EXPECT_EQ(d.max(), Duration::Millis(2000));
  EXPECT_EQ(*PlayoutDelayExtension::Parse(Hex("ffffff")), (PlayoutDelay{4095, 4095}));
  EXPECT_TRUE(
      FailsMentioning(PlayoutDelayExtension::Parse(Hex("0c800a")).status(), "greater than its maximum"));
  EXPECT_FALSE(PlayoutDelayExtension::Validate(PlayoutDelay{0, 4096}).ok());
  EXPECT_FALSE(PlayoutDelayExtension::Validate(PlayoutDelay{5, 4}).ok());
}

TEST(RtpExtensionTypes, SdesIdentifiers) {
  EXPECT_EQ(*MidExtension::Parse(testing::ToVector(AsBytes("audio0"))), "audio0");
  EXPECT_EQ(*MidExtension::Parse(Hex("6100 00")), "a");  // trailing NULs dropped
  EXPECT_TRUE(FailsMentioning(MidExtension::Parse(Hex("00")).status(), "empty"));
  EXPECT_TRUE(FailsMentioning(MidExtension::Parse(Hex("61 20 62")).status(), "not allowed"));  // space
  EXPECT_EQ(*RtpStreamIdExtension::Parse(testing::ToVector(AsBytes("hi-res_1"))), "hi-res_1");
  EXPECT_FALSE(RtpStreamIdExtension::Parse(testing::ToVector(AsBytes("a.b"))).ok());
  EXPECT_TRUE(MidExtension::Parse(testing::ToVector(AsBytes("a.b"))).ok());
  EXPECT_FALSE(RepairedRtpStreamIdExtension::Validate("").ok());
  EXPECT_FALSE(MidExtension::Validate(std::string(256, 'a')).ok());
}

TEST(RtpExtensionTypes, TypedRoundTripThroughAPacket) {
  RtpHeaderExtensionMap map;
  ASSERT_TRUE(map.Register(1, RtpExtensionType::kAudioLevel).ok());
  ASSERT_TRUE(map.Register(2, RtpExtensionType::kAbsSendTime).ok());
  ASSERT_TRUE(map.Register(3, RtpExtensionType::kTransportSequenceNumber).ok());
  ASSERT_TRUE(map.Register(4, RtpExtensionType::kMid).ok());
  ASSERT_TRUE(map.Register(5, RtpExtensionType::kRtpStreamId).ok());
  ASSERT_TRUE(map.Register(6, RtpExtensionType::kRepairedRtpStreamId).ok());
  ASSERT_TRUE(map.Register(7, RtpExtensionType::kVideoOrientation).ok());
  ASSERT_TRUE(map.Register(8, RtpExtensionType::kPlayoutDelay).ok());

  std::vector<uint8_t> buffer(200);
  RtpPacketBuilder b(buffer);
  b.AddExtension<AudioLevelExtension>(map, AudioLevel{true, 42});
  b.AddExtension<AbsSendTimeExtension>(map, 0xabcdef);
  b.AddExtension<TransportSequenceNumberExtension>(map, 0x1234);
  b.AddExtension<MidExtension>(map, "0");
  b.AddExtension<RtpStreamIdExtension>(map, "low");
  b.AddExtension<RepairedRtpStreamIdExtension>(map, "a-much-longer-rid-than-16-bytes");
  b.AddExtension<VideoOrientationExtension>(map, VideoOrientation{true, false, 2});
  b.AddExtension<PlayoutDelayExtension>(map, PlayoutDelay{0, 4095});
  absl::StatusOr<ByteSpan> wire = b.Finish();
  ASSERT_TRUE(wire.ok()) << wire.status();
  absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(*wire);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->extension_form(), ExtensionForm::kTwoByte);  // the 31-byte rid forced it
  EXPECT_EQ(*p->GetExtension<AudioLevelExtension>(map), (AudioLevel{true, 42}));
  EXPECT_EQ(*p->GetExtension<AbsSendTimeExtension>(map), 0xabcdefu);
  EXPECT_EQ(*p->GetExtension<TransportSequenceNumberExtension>(map), 0x1234);
  EXPECT_EQ(*p->GetExtension<MidExtension>(map), "0");
  EXPECT_EQ(*p->GetExtension<RtpStreamIdExtension>(map), "low");
  EXPECT_EQ(*p->GetExtension<RepairedRtpStreamIdExtension>(map), "a-much-longer-rid-than-16-bytes");
  EXPECT_EQ(*p->GetExtension<VideoOrientationExtension>(map), (VideoOrientation{true, false, 2}));
  EXPECT_EQ(*p->GetExtension<PlayoutDelayExtension>(map), (PlayoutDelay{0, 4095}));

  map.Unregister(RtpExtensionType::kMid);
  EXPECT_EQ(p->GetExtension<MidExtension>(map).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(p->GetExtension<MidExtension>(uint8_t{9}).status().code(), absl::StatusCode::kNotFound);

  RtpPacketBuilder bad(buffer);
  bad.AddExtension<AudioLevelExtension>(1, AudioLevel{false, 200});
  EXPECT_TRUE(FailsMentioning(bad.Finish().status(), "0..127"));
  RtpPacketBuilder unregistered(buffer);
  unregistered.AddExtension<MidExtension>(map, "x");
  EXPECT_EQ(unregistered.Finish().status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tern::rtp
