// RTCP feedback: generic NACK (RFC 4585 §6.2.1), PLI (§6.3.1), FIR (RFC 5104 §4.3.1) and REMB
// (draft-alvestrand-rmcat-remb-03 §2.2). Known-answer packets written by hand, round trips, and the
// malformed forms.
#include "tern/rtp/rtcp_feedback.h"

#include <array>
#include <cstdint>
#include <list>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tern/rtp/rtcp_packet.h"
#include "unit/rtp/rtp_test_util.h"

namespace tern::rtp {
namespace {

using testing::FailsMentioning;
using testing::Hex;
using testing::ToHex;

// Parses one packet from a copy of `bytes` kept alive for the whole test binary, so callers may pass
// temporaries and keep the returned view.
RtcpPacket ParseOne(const std::vector<uint8_t>& bytes) {
  static std::list<std::vector<uint8_t>>* storage = new std::list<std::vector<uint8_t>>();
  const std::vector<uint8_t>& kept = storage->emplace_back(bytes);
  absl::StatusOr<RtcpPacket> p = ParseRtcpPacket(kept);
  EXPECT_TRUE(p.ok()) << p.status();
  if (p.ok()) {
    EXPECT_EQ(p->bytes.size(), kept.size());
  }
  return p.ok() ? *p : RtcpPacket{};
}

template <typename P>
std::vector<uint8_t> Build(const P& packet) {
  std::vector<uint8_t> buffer(4096);
  absl::StatusOr<ByteSpan> wire = RtcpCompoundBuilder(buffer).Add(packet).Finish();
  EXPECT_TRUE(wire.ok()) << wire.status();
  return wire.ok() ? std::vector<uint8_t>(wire->begin(), wire->end()) : std::vector<uint8_t>();
}

// Generic NACK: PID 100 (0x0064) with BLP 0x0005 (bits 0 and 2): 100, 101 and 103 lost.
const std::string kNack =
    "81cd0003"
    "11223344"
    "55667788"
    "0064"
    "0005";

TEST(RtcpNack, Rfc4585Section621) {
  absl::StatusOr<NackView> nack = NackView::Parse(ParseOne(Hex(kNack)));
  ASSERT_TRUE(nack.ok()) << nack.status();
  EXPECT_EQ(nack->sender_ssrc(), 0x11223344u);
  EXPECT_EQ(nack->media_ssrc(), 0x55667788u);
  ASSERT_EQ(nack->item_count(), 1u);
  EXPECT_EQ(nack->item(0), (NackItem{100, 5}));
  EXPECT_EQ(nack->Lost(), (std::vector<uint16_t>{100, 101, 103}));
  std::vector<uint16_t> lost = {100, 101, 103};
  EXPECT_EQ(ToHex(Build(Nack{0x11223344, 0x55667788, lost})), kNack);
}

TEST(RtcpNack, BuildsFromAListAcrossTheWrap) {
  // 100, 101, 103 -> (100, 0b101); 200 -> (200, 0); 65535, 0 -> (65535, bit 0); 16 after 65535 is
  // bit 16: out of reach -> (16, 0).
  std::vector<uint16_t> lost = {100, 101, 103, 200, 65535, 0, 16};
  std::vector<uint8_t> wire = Build(Nack{1, 2, lost});
  EXPECT_EQ(ToHex(std::span(wire).subspan(12)),
            "00640005"
            "00c80000"
            "ffff0001"
            "00100000");
  absl::StatusOr<NackView> nack = NackView::Parse(ParseOne(wire));
  ASSERT_TRUE(nack.ok());
  EXPECT_EQ(nack->Lost(), lost);
}

TEST(RtcpNack, KeepsOrderAndDuplicates) {
  // Out of order and repeated numbers come back exactly as given.
  std::vector<uint16_t> lost = {7, 5, 5, 6, 23, 22, 40000, 39999};
  absl::StatusOr<NackView> nack = NackView::Parse(ParseOne(Build(Nack{1, 2, lost})));
  ASSERT_TRUE(nack.ok());
  EXPECT_EQ(nack->Lost(), lost);
  // A dense ascending run packs 17 numbers per item.
  std::vector<uint16_t> run;
  for (uint16_t s = 65530; run.size() < 34; ++s) run.push_back(s);
  nack = NackView::Parse(ParseOne(Build(Nack{1, 2, run})));
  ASSERT_TRUE(nack.ok());
  EXPECT_EQ(nack->item_count(), 2u);
  EXPECT_EQ(nack->item(0), (NackItem{65530, 0xffff}));
  EXPECT_EQ(nack->Lost(), run);
}

TEST(RtcpNack, Malformed) {
  EXPECT_TRUE(
      FailsMentioning(NackView::Parse(ParseOne(Hex("81cd0002 11223344 55667788"))).status(), "no FCI"));
  EXPECT_TRUE(FailsMentioning(NackView::Parse(ParseOne(Hex("81cd0001 11223344"))).status(), "two SSRCs"));
  EXPECT_TRUE(FailsMentioning(NackView::Parse(ParseOne(Hex("a1cd0003 11223344 55667788 00640002"))).status(),
                              "whole number"));
  EXPECT_TRUE(FailsMentioning(NackView::Parse(ParseOne(Hex("81ce0003 11223344 55667788 00640005"))).status(),
                              "is not a generic NACK"));
  std::array<uint8_t, 64> buffer{};
  EXPECT_TRUE(
      FailsMentioning(RtcpCompoundBuilder(buffer).Add(Nack{1, 2, {}}).Finish().status(), "at least one"));
}

TEST(RtcpPli, Rfc4585Section631) {
  const std::string pli =
      "81ce0002"
      "11223344"
      "55667788";
  absl::StatusOr<PliView> v = PliView::Parse(ParseOne(Hex(pli)));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->sender_ssrc(), 0x11223344u);
  EXPECT_EQ(v->media_ssrc(), 0x55667788u);
  EXPECT_EQ(ToHex(Build(Pli{0x11223344, 0x55667788})), pli);
  EXPECT_TRUE(FailsMentioning(PliView::Parse(ParseOne(Hex("81ce0003 11223344 55667788 00000000"))).status(),
                              "must have no FCI"));
  EXPECT_FALSE(PliView::Parse(ParseOne(Hex("84ce0002 11223344 55667788"))).ok());  // that is FMT 4
}

TEST(RtcpFir, Rfc5104Section431) {
  // FMT=4, media source SSRC 0, one FCI entry: SSRC 0x55667788, seq nr 7, 24 reserved bits.
  const std::string fir =
      "84ce0004"
      "11223344"
      "00000000"
      "55667788"
      "07000000";
  absl::StatusOr<FirView> v = FirView::Parse(ParseOne(Hex(fir)));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->sender_ssrc(), 0x11223344u);
  ASSERT_EQ(v->entry_count(), 1u);
  EXPECT_EQ(v->entry(0), (FirEntry{0x55667788, 7}));
  FirEntry entry{0x55667788, 7};
  EXPECT_EQ(ToHex(Build(Fir{0x11223344, std::span<const FirEntry>(&entry, 1)})), fir);

  std::vector<FirEntry> entries = {{1, 0}, {2, 255}, {3, 9}};
  v = FirView::Parse(ParseOne(Build(Fir{9, entries})));
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->entry_count(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(v->entry(i), entries[i]);

  EXPECT_TRUE(
      FailsMentioning(FirView::Parse(ParseOne(Hex("84ce0002 11223344 00000000"))).status(), "no FCI"));
  EXPECT_TRUE(FailsMentioning(FirView::Parse(ParseOne(Hex("84ce0003 11223344 00000000 55667788"))).status(),
                              "whole number of 8-byte entries"));
  std::array<uint8_t, 64> buffer{};
  EXPECT_FALSE(RtcpCompoundBuilder(buffer).Add(Fir{1, {}}).Finish().ok());
}

TEST(RtcpRemb, AlvestrandRembSection22) {
  // 1,000,000 bps = 250000 (0x3d090) << 2: Num SSRC 2, BR Exp 2, BR Mantissa 0x3d090:
  // 02 | 000010 11 | d0 90 -> 02 0b d0 90.
  const std::string remb =
      "8fce0006"
      "11223344"
      "00000000"
      "52454d42"
      "020bd090"
      "55667788"
      "99aabbcc";
  RtcpPacket packet = ParseOne(Hex(remb));
  EXPECT_TRUE(IsRemb(packet));
  absl::StatusOr<RembView> v = RembView::Parse(packet);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->sender_ssrc(), 0x11223344u);
  EXPECT_EQ(v->bitrate_bps(), 1'000'000u);
  ASSERT_EQ(v->ssrc_count(), 2u);
  EXPECT_EQ(v->ssrc(0), 0x55667788u);
  EXPECT_EQ(v->ssrc(1), 0x99aabbccu);
  std::vector<uint32_t> ssrcs = {0x55667788, 0x99aabbcc};
  EXPECT_EQ(ToHex(Build(Remb{0x11223344, 1'000'000, ssrcs})), remb);
}

TEST(RtcpRemb, BitrateEncodingRoundsDownAndRoundTrips) {
  struct Case {
    uint64_t in;
    uint64_t out;
  } cases[] = {
      {0, 0},
      {0x3ffff, 0x3ffff},                       // largest exponent-0 value
      {0x40000, 0x40000},                       // 0x20000 << 1
      {0x40001, 0x40000},                       // loses its low bit
      {~uint64_t{0}, uint64_t{0x3ffff} << 46},  // largest: exponent 46
  };
  for (const Case& c : cases) {
    absl::StatusOr<RembView> v = RembView::Parse(ParseOne(Build(Remb{1, c.in, {}})));
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->bitrate_bps(), c.out) << c.in;
  }
}

TEST(RtcpRemb, Malformed) {
  struct Case {
    const char* packet;
    const char* problem;
  } cases[] = {
      {"8fce0003 11223344 00000000 52454d42", "too short for its identifier and bitrate"},
      {"8fce0004 11223344 00000000 52454d43 00000000", "does not carry the \"REMB\" identifier"},
      {"8fce0004 11223344 00000000 52454d42 01000000", "announces 1 SSRCs but has 0 bytes"},
      {"8fce0005 11223344 00000000 52454d42 00000000 00000000", "announces 0 SSRCs but has 4 bytes"},
      {"8fce0004 11223344 00000000 52454d42 00ffffff", "does not fit 64 bits"},  // 0x3ffff << 63
  };
  for (const Case& c : cases) {
    RtcpPacket packet = ParseOne(Hex(c.packet));
    EXPECT_TRUE(FailsMentioning(RembView::Parse(packet).status(), c.problem)) << c.packet;
  }
  EXPECT_FALSE(IsRemb(ParseOne(Hex("8fce0004 11223344 00000000 52454d43 00000000"))));
  std::vector<uint32_t> ssrcs(256);
  std::vector<uint8_t> buffer(2000);
  EXPECT_TRUE(FailsMentioning(RtcpCompoundBuilder(buffer).Add(Remb{1, 1, ssrcs}).Finish().status(), "255"));
}

TEST(RtcpFeedback, GenericViewReadsAnyFormat) {
  absl::StatusOr<FeedbackView> v = FeedbackView::Parse(ParseOne(Hex("8bcd0003 11223344 55667788 abcdef01")));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->type(), kRtcpRtpfb);
  EXPECT_EQ(v->format(), 11);
  EXPECT_EQ(ToHex(v->fci()), "abcdef01");
  EXPECT_TRUE(
      FailsMentioning(FeedbackView::Parse(ParseOne(Hex("80c90001 11223344"))).status(), "not a feedback"));
}

}  // namespace
}  // namespace tern::rtp
