// RTCP compound packets (RFC 3550 §6.1, RFC 5506), SR/RR (§6.4), SDES (§6.5), BYE (§6.6), APP (§6.7)
// and XR (RFC 3611): known-answer packets written by hand from the RFC figures, builder round trips,
// and the malformed forms.
#include <array>
#include <cstdint>
#include <list>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tern/rtp/rtcp_packet.h"
#include "tern/rtp/rtcp_reports.h"
#include "unit/rtp/rtp_test_util.h"

namespace tern::rtp {
namespace {

using testing::FailsMentioning;
using testing::Hex;
using testing::ToHex;

// SR with one report block: V=2 RC=1 PT=200 length=12 (52 bytes).
const std::string kSr =
    "81c8000c"
    "11223344"          // SSRC of sender
    "e123456789abcdef"  // NTP timestamp
    "00010000"          // RTP timestamp
    "00000010"          // sender's packet count: 16
    "00000400"          // sender's octet count: 1024
    "55667788"          // SSRC_1
    "40"                // fraction lost: 64/256
    "fffffe"            // cumulative number of packets lost: -2 (24-bit signed)
    "0001ffff"          // extended highest sequence number received
    "00000020"          // interarrival jitter
    "456789ab"          // LSR
    "00010000";         // DLSR: 1 s
// SDES, one chunk: CNAME "tern-cn1", then the null item and one more null to the 32-bit boundary.
const std::string kSdes =
    "81ca0004"
    "11223344"
    "0108"
    "7465726e2d636e31"
    "0000";
// BYE with reason "bye!": length byte, 4 characters, 3 null bytes of padding.
const std::string kBye =
    "81cb0003"
    "11223344"
    "04"
    "62796521"
    "000000";
// APP subtype 3, name "TERN", 4 bytes of data.
const std::string kApp =
    "83cc0003"
    "11223344"
    "5445524e"
    "deadbeef";
// XR: RRTR, DLRR with one sub-block, and a block of unknown type 42.
const std::string kXr =
    "80cf000a"
    "11223344"
    "04000002"
    "e123456789abcdef"
    "05000003"
    "55667788"
    "12345678"
    "00008000"
    "2a070001"
    "cafebabe";
const std::string kEmptyRr =
    "80c90001"
    "11223344";

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

TEST(RtcpSenderReport, Rfc3550Section641) {
  std::vector<uint8_t> bytes = Hex(kSr);
  RtcpPacket packet = ParseOne(bytes);
  EXPECT_EQ(packet.type, kRtcpSenderReport);
  EXPECT_EQ(packet.count, 1);
  absl::StatusOr<SenderReportView> sr = SenderReportView::Parse(packet);
  ASSERT_TRUE(sr.ok()) << sr.status();
  EXPECT_EQ(sr->sender_ssrc(), 0x11223344u);
  EXPECT_EQ(sr->sender_info(), (SenderInfo{0xe123456789abcdefull, 0x10000, 16, 1024}));
  ASSERT_EQ(sr->report_block_count(), 1u);
  ReportBlock b = sr->report_block(0);
  EXPECT_EQ(b, (ReportBlock{0x55667788, 64, -2, 0x1ffff, 32, 0x456789ab, 0x10000}));
  EXPECT_TRUE(sr->profile_extension().empty());

  std::array<uint8_t, 128> buffer{};
  RtcpCompoundBuilder builder(buffer);
  builder.Add(SenderReport{0x11223344, sr->sender_info(), std::span<const ReportBlock>(&b, 1), {}});
  absl::StatusOr<ByteSpan> wire = builder.Finish();
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(ToHex(*wire), kSr);
}

TEST(RtcpReceiverReport, EmptyAndWithBlocksAndProfileExtension) {
  RtcpPacket empty = ParseOne(Hex(kEmptyRr));
  absl::StatusOr<ReceiverReportView> rr = ReceiverReportView::Parse(empty);
  ASSERT_TRUE(rr.ok());
  EXPECT_EQ(rr->sender_ssrc(), 0x11223344u);
  EXPECT_EQ(rr->report_block_count(), 0u);

  std::vector<ReportBlock> blocks;
  for (int i = 0; i < 31; ++i) {
    blocks.push_back(ReportBlock{static_cast<uint32_t>(i), static_cast<uint8_t>(i),
                                 i % 2 ? -0x800000 : 0x7fffff, static_cast<uint32_t>(i * 1000), 7, 8, 9});
  }
  std::vector<uint8_t> ext = Hex("0102030405060708");
  std::vector<uint8_t> buffer(1500);
  RtcpCompoundBuilder builder(buffer);
  builder.Add(ReceiverReport{42, blocks, ext});
  absl::StatusOr<ByteSpan> wire = builder.Finish();
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(wire->size(), 4 + 4 + 31 * 24 + 8u);
  absl::StatusOr<RtcpPacket> p = ParseRtcpPacket(*wire);
  ASSERT_TRUE(p.ok());
  rr = ReceiverReportView::Parse(*p);
  ASSERT_TRUE(rr.ok()) << rr.status();
  ASSERT_EQ(rr->report_block_count(), 31u);
  for (size_t i = 0; i < 31; ++i) EXPECT_EQ(rr->report_block(i), blocks[i]) << i;
  EXPECT_EQ(ToHex(rr->profile_extension()), "0102030405060708");
}

TEST(RtcpReports, MalformedAndInvalid) {
  std::vector<uint8_t> sr = Hex(kSr);
  sr[0] = 0x82;  // RC=2, but only one block's bytes
  EXPECT_TRUE(
      FailsMentioning(SenderReportView::Parse(ParseOne(sr)).status(), "2 report blocks needs 72 bytes"));
  std::vector<uint8_t> rr = Hex("81c90001 11223344");  // RC=1, no block
  EXPECT_TRUE(
      FailsMentioning(ReceiverReportView::Parse(ParseOne(rr)).status(), "report blocks needs 28 bytes"));
  EXPECT_TRUE(FailsMentioning(ReceiverReportView::Parse(ParseOne(Hex(kSr))).status(), "is not RR"));
  EXPECT_TRUE(FailsMentioning(SenderReportView::Parse(ParseOne(Hex("80c80001 11223344"))).status(),
                              "needs 24 bytes"));

  std::array<uint8_t, 2000> buffer{};
  std::vector<ReportBlock> blocks(32);
  EXPECT_TRUE(FailsMentioning(
      RtcpCompoundBuilder(buffer).Add(ReceiverReport{1, blocks, {}}).Finish().status(), "more than 31"));
  ReportBlock loss{.cumulative_lost = 0x800000};
  EXPECT_TRUE(FailsMentioning(RtcpCompoundBuilder(buffer)
                                  .Add(ReceiverReport{1, std::span<const ReportBlock>(&loss, 1), {}})
                                  .Finish()
                                  .status(),
                              "24 signed bits"));
  std::vector<uint8_t> odd = Hex("010203");
  EXPECT_TRUE(FailsMentioning(RtcpCompoundBuilder(buffer).Add(ReceiverReport{1, {}, odd}).Finish().status(),
                              "multiple of 4"));
}

TEST(RtcpSdes, Rfc3550Section65Cname) {
  RtcpPacket packet = ParseOne(Hex(kSdes));
  absl::StatusOr<SdesView> sdes = SdesView::Parse(packet);
  ASSERT_TRUE(sdes.ok()) << sdes.status();
  EXPECT_EQ(sdes->chunk_count(), 1u);
  EXPECT_EQ(sdes->FindCname(0x11223344), "tern-cn1");
  EXPECT_FALSE(sdes->FindCname(1).has_value());

  std::array<uint8_t, 64> buffer{};
  absl::StatusOr<ByteSpan> wire = RtcpCompoundBuilder(buffer).Add(SdesCname{0x11223344, "tern-cn1"}).Finish();
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(ToHex(*wire), kSdes);
}

TEST(RtcpSdes, SeveralChunksAndItemsRoundTrip) {
  // Item sizes chosen so each chunk ends at a different offset mod 4 (1..4 null bytes).
  std::vector<SdesItem> a = {{kSdesCname, "a@example.org"}, {kSdesTool, "tern"}, {kSdesNote, ""}};
  std::vector<SdesItem> b = {};
  std::vector<SdesItem> c = {{kSdesName, "x"},
                             {kSdesPriv, std::string_view("\x03"
                                                          "abcvalue",
                                                          9)}};
  std::vector<SdesItem> d = {{kSdesEmail, "ab"}};
  std::string long_value(255, 'z');
  std::vector<SdesItem> e = {{kSdesLoc, long_value}};
  std::vector<SdesChunk> chunks = {{1, a}, {2, b}, {3, c}, {4, d}, {5, e}};
  std::vector<uint8_t> buffer(1000);
  absl::StatusOr<ByteSpan> wire = RtcpCompoundBuilder(buffer).Add(Sdes{chunks}).Finish();
  ASSERT_TRUE(wire.ok()) << wire.status();
  absl::StatusOr<RtcpPacket> p = ParseRtcpPacket(*wire);
  ASSERT_TRUE(p.ok());
  absl::StatusOr<SdesView> sdes = SdesView::Parse(*p);
  ASSERT_TRUE(sdes.ok()) << sdes.status();
  size_t i = 0;
  for (const SdesChunkView& chunk : *sdes) {
    ASSERT_LT(i, chunks.size());
    EXPECT_EQ(chunk.ssrc, chunks[i].ssrc);
    std::vector<SdesItem> items(chunk.begin(), chunk.end());
    EXPECT_EQ(items, std::vector<SdesItem>(chunks[i].items.begin(), chunks[i].items.end())) << i;
    ++i;
  }
  EXPECT_EQ(i, chunks.size());
  EXPECT_EQ(sdes->FindCname(1), "a@example.org");
}

TEST(RtcpSdes, Malformed) {
  struct Case {
    std::string packet;
    const char* problem;
  } cases[] = {
      {"81ca0001 11223344", "no null item"},  // no terminator
      {"82ca0003 11223344 01027878 00000000", "chunk 2 of 2 is truncated before its SSRC"},
      {"81ca0002 11223344 0108 7878", "runs past the end"},     // item claims 8 bytes
      {"81ca0002 11223344 01027878", "no null item"},           // exactly fills, no null
      {"a1ca0002 11223344 00000002", "not padded with nulls"},  // 2 bytes of RTCP padding
      {"81ca0003 11223344 01017800 00000001", "bytes after its 1 chunks"},
      {"81ca0003 11223344 0101780000 000000", "bytes after its 1 chunks"},
      {"81ca0002 11223344 00000100", "non-zero byte in its null padding"},
      {"80ca0001 11223344", "bytes after its 0 chunks"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = Hex(c.packet);
    absl::StatusOr<RtcpPacket> p = ParseRtcpPacket(bytes);
    ASSERT_TRUE(p.ok()) << c.packet << " " << p.status();
    EXPECT_TRUE(FailsMentioning(SdesView::Parse(*p).status(), c.problem)) << c.packet;
  }
  std::array<uint8_t, 600> buffer{};
  SdesItem end{kSdesEnd, "x"};
  SdesChunk chunk{1, std::span<const SdesItem>(&end, 1)};
  EXPECT_TRUE(FailsMentioning(
      RtcpCompoundBuilder(buffer).Add(Sdes{std::span<const SdesChunk>(&chunk, 1)}).Finish().status(),
      "terminator"));
  std::string too_long(256, 'a');
  EXPECT_TRUE(
      FailsMentioning(RtcpCompoundBuilder(buffer).Add(SdesCname{1, too_long}).Finish().status(), "255"));
  EXPECT_TRUE(FailsMentioning(RtcpCompoundBuilder(buffer).Add(SdesCname{1, ""}).Finish().status(), "empty"));
}

TEST(RtcpBye, Rfc3550Section66) {
  RtcpPacket packet = ParseOne(Hex(kBye));
  absl::StatusOr<ByeView> bye = ByeView::Parse(packet);
  ASSERT_TRUE(bye.ok()) << bye.status();
  ASSERT_EQ(bye->ssrc_count(), 1u);
  EXPECT_EQ(bye->ssrc(0), 0x11223344u);
  EXPECT_EQ(bye->reason(), "bye!");

  std::array<uint8_t, 300> buffer{};
  uint32_t ssrc = 0x11223344;
  absl::StatusOr<ByteSpan> wire =
      RtcpCompoundBuilder(buffer).Add(Bye{std::span<const uint32_t>(&ssrc, 1), "bye!"}).Finish();
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(ToHex(*wire), kBye);

  // No reason, an empty reason, and a reason that fills the word exactly (no padding).
  for (std::optional<std::string_view> reason :
       {std::optional<std::string_view>(), std::optional<std::string_view>(""),
        std::optional<std::string_view>("abc")}) {
    std::vector<uint32_t> ssrcs = {1, 2, 3};
    wire = RtcpCompoundBuilder(buffer).Add(Bye{ssrcs, reason}).Finish();
    ASSERT_TRUE(wire.ok());
    absl::StatusOr<RtcpPacket> p = ParseRtcpPacket(*wire);
    ASSERT_TRUE(p.ok());
    bye = ByeView::Parse(*p);
    ASSERT_TRUE(bye.ok()) << bye.status();
    EXPECT_EQ(bye->ssrc_count(), 3u);
    EXPECT_EQ(bye->ssrc(2), 3u);
    EXPECT_EQ(bye->reason(), reason);
  }
}

TEST(RtcpBye, Malformed) {
  EXPECT_TRUE(FailsMentioning(ByeView::Parse(ParseOne(Hex("82cb0001 11223344"))).status(), "2 SSRCs"));
  EXPECT_TRUE(FailsMentioning(ByeView::Parse(ParseOne(Hex("81cb0002 11223344 05616263"))).status(),
                              "reason of 5 bytes runs past"));
  EXPECT_TRUE(FailsMentioning(ByeView::Parse(ParseOne(Hex("81cb0002 11223344 01610001"))).status(),
                              "padding is not zero"));
  EXPECT_TRUE(FailsMentioning(ByeView::Parse(ParseOne(Hex("81cb0003 11223344 01610000 00000000"))).status(),
                              "bytes after its reason"));
  std::array<uint8_t, 600> buffer{};
  std::string long_reason(256, 'r');
  EXPECT_FALSE(RtcpCompoundBuilder(buffer).Add(Bye{{}, long_reason}).Finish().ok());
}

TEST(RtcpApp, Rfc3550Section67) {
  RtcpPacket packet = ParseOne(Hex(kApp));
  absl::StatusOr<AppView> app = AppView::Parse(packet);
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_EQ(app->subtype(), 3);
  EXPECT_EQ(app->ssrc(), 0x11223344u);
  EXPECT_EQ(app->name(), "TERN");
  EXPECT_EQ(ToHex(app->data()), "deadbeef");
  std::array<uint8_t, 64> buffer{};
  std::vector<uint8_t> data = Hex("deadbeef");
  absl::StatusOr<ByteSpan> wire = RtcpCompoundBuilder(buffer).Add(App{3, 0x11223344, "TERN", data}).Finish();
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(ToHex(*wire), kApp);

  EXPECT_TRUE(FailsMentioning(AppView::Parse(ParseOne(Hex("80cc0001 11223344"))).status(), "SSRC and name"));
  EXPECT_TRUE(FailsMentioning(RtcpCompoundBuilder(buffer).Add(App{3, 1, "TOOLONG", {}}).Finish().status(),
                              "4 characters"));
  EXPECT_TRUE(
      FailsMentioning(RtcpCompoundBuilder(buffer).Add(App{32, 1, "TERN", {}}).Finish().status(), "0..31"));
  std::vector<uint8_t> odd = Hex("01");
  EXPECT_FALSE(RtcpCompoundBuilder(buffer).Add(App{1, 1, "TERN", odd}).Finish().ok());
  // Padding that leaves the data unaligned.
  EXPECT_TRUE(FailsMentioning(AppView::Parse(ParseOne(Hex("a0cc0003 11223344 5445524e 00000003"))).status(),
                              "multiple of 4"));
}

TEST(RtcpXr, Rfc3611RrtrAndDlrrAndUnknownBlocks) {
  RtcpPacket packet = ParseOne(Hex(kXr));
  absl::StatusOr<ExtendedReportsView> xr = ExtendedReportsView::Parse(packet);
  ASSERT_TRUE(xr.ok()) << xr.status();
  EXPECT_EQ(xr->sender_ssrc(), 0x11223344u);
  EXPECT_EQ(xr->block_count(), 3u);
  EXPECT_EQ(xr->rrtr(), Rrtr{0xe123456789abcdefull});
  std::vector<uint8_t> types;
  for (const XrBlock& b : *xr) {
    types.push_back(b.type);
    if (b.type == kXrDlrr) {
      ASSERT_EQ(ExtendedReportsView::DlrrSubBlockCount(b), 1u);
      EXPECT_EQ(ExtendedReportsView::ReadDlrrSubBlock(b, 0), (DlrrSubBlock{0x55667788, 0x12345678, 0x8000}));
    }
    if (b.type == 42) {
      EXPECT_EQ(b.type_specific, 7);
      EXPECT_EQ(ToHex(b.contents), "cafebabe");
    }
  }
  EXPECT_EQ(types, (std::vector<uint8_t>{kXrRrtr, kXrDlrr, 42}));

  std::array<uint8_t, 128> buffer{};
  DlrrSubBlock dlrr{0x55667788, 0x12345678, 0x8000};
  std::vector<uint8_t> contents = Hex("cafebabe");
  XrBlock other{42, 7, contents};
  absl::StatusOr<ByteSpan> wire =
      RtcpCompoundBuilder(buffer)
          .Add(ExtendedReports{0x11223344, Rrtr{0xe123456789abcdefull},
                               std::span<const DlrrSubBlock>(&dlrr, 1), std::span<const XrBlock>(&other, 1)})
          .Finish();
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(ToHex(*wire), kXr);
}

TEST(RtcpXr, Malformed) {
  struct Case {
    const char* packet;
    const char* problem;
  } cases[] = {
      {"80cf0000", "too short for its SSRC"},
      {"a0cf0002 11223344 04000002", "truncated before the end of its header"},
      {"80cf0002 11223344 04000002", "runs past the end"},
      {"80cf0003 11223344 04000001 00000000", "RRTR block must be 2 words"},
      {"80cf0004 11223344 05000002 00000000 00000000", "not a multiple of 3 words"},
      {"80cf0003 11223344 2a000002 00000000", "runs past the end"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = Hex(c.packet);
    absl::StatusOr<RtcpPacket> p = ParseRtcpPacket(bytes);
    ASSERT_TRUE(p.ok()) << c.packet << " " << p.status();
    EXPECT_TRUE(FailsMentioning(ExtendedReportsView::Parse(*p).status(), c.problem)) << c.packet;
  }
  std::array<uint8_t, 128> buffer{};
  std::vector<uint8_t> four = Hex("00000000");
  XrBlock bad_rrtr{kXrRrtr, 0, four};
  EXPECT_FALSE(RtcpCompoundBuilder(buffer)
                   .Add(ExtendedReports{1, {}, {}, std::span<const XrBlock>(&bad_rrtr, 1)})
                   .Finish()
                   .ok());
}

// --- Compound packets ----------------------------------------------------------------------------

TEST(RtcpCompound, IteratesEveryPacketAndSkipsNothing) {
  std::vector<uint8_t> bytes = Hex(kSr + kSdes + "80d20001 01020304" + kBye);  // type 210 is unknown
  absl::StatusOr<RtcpCompoundView> c = RtcpCompoundView::Parse(bytes);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->packet_count(), 4u);
  std::vector<uint8_t> types;
  for (const RtcpPacket& p : *c) types.push_back(p.type);
  EXPECT_EQ(types, (std::vector<uint8_t>{200, 202, 210, 203}));
}

TEST(RtcpCompound, MustStartWithSrOrRrUnlessReducedSize) {
  std::vector<uint8_t> pli = Hex("81ce0002 11223344 55667788");
  EXPECT_TRUE(FailsMentioning(RtcpCompoundView::Parse(pli).status(), "must start with SR or RR"));
  EXPECT_TRUE(RtcpCompoundView::Parse(pli, {.allow_reduced_size = true}).ok());
  std::vector<uint8_t> sdes_first = Hex(kSdes + kEmptyRr);
  EXPECT_FALSE(RtcpCompoundView::Parse(sdes_first).ok());
  EXPECT_TRUE(RtcpCompoundView::Parse(Hex(kEmptyRr + kSdes)).ok());
}

TEST(RtcpCompound, PaddingOnlyOnTheLastPacket) {
  // RR padded with 4 bytes (P=1, count 4), then SDES.
  std::string padded_rr = "a0c90002 11223344 00000004";
  std::vector<uint8_t> last = Hex(kEmptyRr + "a0c90002 11223344 00000004");
  absl::StatusOr<RtcpCompoundView> c = RtcpCompoundView::Parse(last);
  ASSERT_TRUE(c.ok()) << c.status();
  auto it = c->begin();
  ++it;
  EXPECT_TRUE(it->has_padding);
  EXPECT_EQ(it->padding_size(), 4u);
  EXPECT_EQ(ToHex(it->payload), "11223344");

  std::vector<uint8_t> not_last = Hex(padded_rr + kSdes);
  EXPECT_TRUE(FailsMentioning(RtcpCompoundView::Parse(not_last).status(), "not the last"));
  EXPECT_TRUE(RtcpCompoundView::Parse(not_last, {.allow_padding_on_any_packet = true}).ok());
}

TEST(RtcpCompound, EveryTruncationIsRejected) {
  std::vector<uint8_t> bytes = Hex(kSr + kSdes + kBye);
  ASSERT_TRUE(RtcpCompoundView::Parse(bytes).ok());
  for (size_t n = 0; n < bytes.size(); ++n) {
    absl::Status s = RtcpCompoundView::Parse(ByteSpan(bytes).first(n)).status();
    if (n == 52 || n == 72) {  // packet boundaries: a shorter compound, still valid
      EXPECT_TRUE(s.ok()) << n << " " << s;
      continue;
    }
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << n;
  }
  EXPECT_TRUE(FailsMentioning(RtcpCompoundView::Parse({}).status(), "empty"));
  EXPECT_TRUE(FailsMentioning(RtcpCompoundView::Parse(ByteSpan(bytes).first(3)).status(),
                              "shorter than the 4-byte header"));
  EXPECT_TRUE(FailsMentioning(RtcpCompoundView::Parse(ByteSpan(bytes).first(60)).status(),
                              "runs past the end: 8 bytes left (packet 2 of the compound)"));
}

TEST(RtcpCompound, BadVersionAndPadding) {
  std::vector<uint8_t> bytes = Hex(kEmptyRr + kEmptyRr);
  bytes[8] = 0x40;  // version 1 in the second packet
  EXPECT_TRUE(FailsMentioning(RtcpCompoundView::Parse(bytes).status(), "version must be 2, is 1 (packet 2"));
  EXPECT_TRUE(FailsMentioning(RtcpCompoundView::Parse(Hex("a0c90000")).status(), "no body"));
  EXPECT_TRUE(
      FailsMentioning(RtcpCompoundView::Parse(Hex("a0c90001 11223300")).status(), "padding count is zero"));
  EXPECT_TRUE(FailsMentioning(RtcpCompoundView::Parse(Hex("a0c90001 11223305")).status(),
                              "padding count 5 is larger than the packet body of 4 bytes"));
}

TEST(RtcpCompoundBuilder, SeveralPacketsAndPadding) {
  std::array<uint8_t, 256> buffer{};
  RtcpCompoundBuilder b(buffer);
  b.Add(ReceiverReport{0x11223344, {}, {}});
  b.Add(SdesCname{0x11223344, "tern-cn1"});
  absl::StatusOr<ByteSpan> wire = b.Finish(8);
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(ToHex(*wire), kEmptyRr +
                              "a1ca0006"
                              "11223344"
                              "0108"
                              "7465726e2d636e31"
                              "0000"
                              "00000000000000"
                              "08");
  absl::StatusOr<RtcpCompoundView> c = RtcpCompoundView::Parse(*wire);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->packet_count(), 2u);
  EXPECT_EQ(b.packet_count(), 2u);
  EXPECT_TRUE(FailsMentioning(b.Finish().status(), "already finished"));

  EXPECT_TRUE(FailsMentioning(RtcpCompoundBuilder(buffer).Finish().status(), "no packets"));
  RtcpCompoundBuilder odd(buffer);
  odd.Add(ReceiverReport{1, {}, {}});
  EXPECT_TRUE(FailsMentioning(odd.Finish(3).status(), "multiple of 4"));
  std::vector<uint8_t> body = Hex("01020304");
  EXPECT_TRUE(RtcpCompoundBuilder(buffer).Add(RawRtcpPacket{210, 5, body}).Finish().ok());
  EXPECT_FALSE(RtcpCompoundBuilder(buffer).Add(RawRtcpPacket{210, 32, body}).Finish().ok());
}

TEST(RtcpCompoundBuilder, BufferTooSmall) {
  std::vector<uint8_t> expected = Hex(kSr);
  for (size_t n = 0; n < expected.size(); ++n) {
    std::vector<uint8_t> buffer(n);
    ReportBlock block{0x55667788, 64, -2, 0x1ffff, 32, 0x456789ab, 0x10000};
    absl::StatusOr<ByteSpan> wire =
        RtcpCompoundBuilder(buffer)
            .Add(SenderReport{0x11223344,
                              SenderInfo{0xe123456789abcdefull, 0x10000, 16, 1024},
                              std::span<const ReportBlock>(&block, 1),
                              {}})
            .Finish();
    EXPECT_EQ(wire.status().code(), absl::StatusCode::kResourceExhausted) << n;
  }
}

}  // namespace
}  // namespace tern::rtp
