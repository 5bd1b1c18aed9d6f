// libFuzzer harness for RTCP compound packets (RFC 3550 §6, RFC 5506) and every packet type tern
// reads: SR, RR, SDES, BYE, APP, XR (RFC 3611), generic NACK, PLI, FIR, REMB and transport-cc
// feedback. An input is one datagram. The harness checks:
//  - RtcpCompoundView::Parse with the strict options accepts only what the lenient options (reduced
//    size, padding anywhere) accept; the packets tile the datagram; each packet's payload and padding
//    lie within it;
//  - each packet is decoded by its typed view into a description (all of its decoded fields); the
//    whole compound is rebuilt with RtcpCompoundBuilder from those decoded values (typed structs for
//    the packets whose view accepted them, RawRtcpPacket for the others) and parses back to the same
//    descriptions, in order.
// Any broken invariant traps (fuzz_check.h).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzz_check.h"
#include "tern/base/byte_io.h"
#include "tern/rtp/rtcp_feedback.h"
#include "tern/rtp/rtcp_packet.h"
#include "tern/rtp/rtcp_reports.h"
#include "tern/rtp/transport_feedback.h"

namespace tern::rtp {
namespace {

std::string Hex(ByteSpan b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t x : b) {
    out.push_back(kDigits[x >> 4]);
    out.push_back(kDigits[x & 15]);
  }
  return out;
}

std::string Str(std::string_view s) { return Hex(AsBytes(s)); }

std::string Describe(const ReportBlock& b) {
  return absl::StrCat("[", b.ssrc, ",", b.fraction_lost, ",", b.cumulative_lost, ",",
                      b.extended_highest_sequence, ",", b.jitter, ",", b.last_sr, ",", b.delay_since_last_sr,
                      "]");
}

// Everything a typed view decodes from one packet, as text; "RAW" with the bytes when no view
// accepts it. Alongside, the packet as the builder's input, so the compound can be rebuilt from the
// decoded values. `store` keeps the arrays those structs point into alive.
struct Decoded {
  std::string description;
  std::deque<std::vector<ReportBlock>> blocks;
  std::deque<std::vector<SdesItem>> items;
  std::deque<std::vector<SdesChunk>> chunks;
  std::deque<std::vector<uint32_t>> ssrcs;
  std::deque<std::vector<uint16_t>> lost;
  std::deque<std::vector<FirEntry>> fir;
  std::deque<std::vector<XrBlock>> xr;
  std::deque<TransportFeedback> twcc;
};

// Appends `packet`'s description to d and adds it to the builder.
void DecodeAndAdd(const RtcpPacket& packet, Decoded& d, RtcpCompoundBuilder& builder) {
  std::string& s = d.description;
  switch (packet.type) {
    case kRtcpSenderReport: {
      absl::StatusOr<SenderReportView> v = SenderReportView::Parse(packet);
      if (!v.ok()) break;
      SenderInfo info = v->sender_info();
      absl::StrAppend(&s, "SR ", v->sender_ssrc(), " ", info.ntp_timestamp, " ", info.rtp_timestamp, " ",
                      info.packet_count, " ", info.octet_count);
      std::vector<ReportBlock>& blocks = d.blocks.emplace_back();
      for (size_t i = 0; i < v->report_block_count(); ++i) blocks.push_back(v->report_block(i));
      for (const ReportBlock& b : blocks) absl::StrAppend(&s, Describe(b));
      if (v->profile_extension().size() % 4 != 0) {
        s.clear();  // an unaligned extension (left by a padding count) cannot be rebuilt; go raw
        break;
      }
      absl::StrAppend(&s, " ext=", Hex(v->profile_extension()), ";");
      builder.Add(SenderReport{v->sender_ssrc(), info, blocks, v->profile_extension()});
      return;
    }
    case kRtcpReceiverReport: {
      absl::StatusOr<ReceiverReportView> v = ReceiverReportView::Parse(packet);
      if (!v.ok() || v->profile_extension().size() % 4 != 0) break;
      absl::StrAppend(&s, "RR ", v->sender_ssrc());
      std::vector<ReportBlock>& blocks = d.blocks.emplace_back();
      for (size_t i = 0; i < v->report_block_count(); ++i) blocks.push_back(v->report_block(i));
      for (const ReportBlock& b : blocks) absl::StrAppend(&s, Describe(b));
      absl::StrAppend(&s, " ext=", Hex(v->profile_extension()), ";");
      builder.Add(ReceiverReport{v->sender_ssrc(), blocks, v->profile_extension()});
      return;
    }
    case kRtcpSdes: {
      absl::StatusOr<SdesView> v = SdesView::Parse(packet);
      if (!v.ok()) break;
      absl::StrAppend(&s, "SDES");
      std::vector<SdesChunk>& chunks = d.chunks.emplace_back();
      size_t n = 0;
      for (const SdesChunkView& c : *v) {
        std::vector<SdesItem>& items = d.items.emplace_back(c.begin(), c.end());
        absl::StrAppend(&s, " ", c.ssrc, ":");
        for (const SdesItem& item : items) absl::StrAppend(&s, "(", item.type, ",", Str(item.value), ")");
        chunks.push_back(SdesChunk{c.ssrc, items});
        ++n;
      }
      TERN_FUZZ_CHECK(n == v->chunk_count());
      absl::StrAppend(&s, ";");
      builder.Add(Sdes{chunks});
      return;
    }
    case kRtcpBye: {
      absl::StatusOr<ByeView> v = ByeView::Parse(packet);
      if (!v.ok()) break;
      absl::StrAppend(&s, "BYE");
      std::vector<uint32_t>& ssrcs = d.ssrcs.emplace_back();
      for (size_t i = 0; i < v->ssrc_count(); ++i) {
        ssrcs.push_back(v->ssrc(i));
        absl::StrAppend(&s, " ", ssrcs.back());
      }
      if (v->reason()) absl::StrAppend(&s, " reason=", Str(*v->reason()));
      absl::StrAppend(&s, ";");
      builder.Add(Bye{ssrcs, v->reason()});
      return;
    }
    case kRtcpApp: {
      absl::StatusOr<AppView> v = AppView::Parse(packet);
      if (!v.ok()) break;
      absl::StrAppend(&s, "APP ", v->subtype(), " ", v->ssrc(), " ", Str(v->name()), " ", Hex(v->data()),
                      ";");
      builder.Add(App{v->subtype(), v->ssrc(), v->name(), v->data()});
      return;
    }
    case kRtcpXr: {
      absl::StatusOr<ExtendedReportsView> v = ExtendedReportsView::Parse(packet);
      if (!v.ok()) break;
      absl::StrAppend(&s, "XR ", v->sender_ssrc());
      std::vector<XrBlock>& blocks = d.xr.emplace_back();
      for (const XrBlock& b : *v) {
        blocks.push_back(b);
        absl::StrAppend(&s, " (", b.type, ",", b.type_specific, ",", Hex(b.contents), ")");
        if (b.type == kXrRrtr) absl::StrAppend(&s, "rrtr=", ExtendedReportsView::ReadRrtr(b).ntp_timestamp);
        if (b.type == kXrDlrr) {
          for (size_t i = 0; i < ExtendedReportsView::DlrrSubBlockCount(b); ++i) {
            DlrrSubBlock sub = ExtendedReportsView::ReadDlrrSubBlock(b, i);
            absl::StrAppend(&s, "dlrr=", sub.ssrc, "/", sub.last_rr, "/", sub.delay_since_last_rr);
          }
        }
      }
      TERN_FUZZ_CHECK(blocks.size() == v->block_count());
      absl::StrAppend(&s, ";");
      builder.Add(ExtendedReports{v->sender_ssrc(), std::nullopt, {}, blocks});
      return;
    }
    case kRtcpRtpfb:
      if (packet.count == kRtpfbNack) {
        absl::StatusOr<NackView> v = NackView::Parse(packet);
        if (!v.ok()) break;
        std::vector<uint16_t>& lost = d.lost.emplace_back(v->Lost());
        TERN_FUZZ_CHECK(!lost.empty() && lost.size() <= 17 * v->item_count());
        absl::StrAppend(&s, "NACK ", v->sender_ssrc(), " ", v->media_ssrc());
        for (uint16_t seq : lost) absl::StrAppend(&s, " ", seq);
        absl::StrAppend(&s, ";");
        builder.Add(Nack{v->sender_ssrc(), v->media_ssrc(), lost});
        return;
      }
      if (packet.count == kRtpfbTransportCc) {
        TransportFeedback& f = d.twcc.emplace_back();
        if (!TransportFeedback::ParseInto(packet, &f).ok()) {
          TERN_FUZZ_CHECK(f.packets.empty());
          break;
        }
        TERN_FUZZ_CHECK_OK(f.Validate());
        absl::StrAppend(&s, "TWCC ", f.sender_ssrc, " ", f.media_ssrc, " ", f.base_sequence_number, " ",
                        f.reference_time, " ", f.feedback_count);
        for (const TwccPacketResult& r : f.packets) {
          absl::StrAppend(&s, " ", r.sequence_number, r.received ? "+" : "-", r.delta_ticks);
        }
        absl::StrAppend(&s, ";");
        builder.Add(f);
        return;
      }
      break;
    case kRtcpPsfb:
      if (packet.count == kPsfbPli) {
        absl::StatusOr<PliView> v = PliView::Parse(packet);
        if (!v.ok()) break;
        absl::StrAppend(&s, "PLI ", v->sender_ssrc(), " ", v->media_ssrc(), ";");
        builder.Add(Pli{v->sender_ssrc(), v->media_ssrc()});
        return;
      }
      if (packet.count == kPsfbFir) {
        absl::StatusOr<FirView> v = FirView::Parse(packet);
        // The builder writes the unused media SSRC as 0; rebuild others raw.
        if (!v.ok() || FeedbackView::Parse(packet)->media_ssrc() != 0) break;
        absl::StrAppend(&s, "FIR ", v->sender_ssrc());
        std::vector<FirEntry>& entries = d.fir.emplace_back();
        for (size_t i = 0; i < v->entry_count(); ++i) {
          entries.push_back(v->entry(i));
          absl::StrAppend(&s, " ", entries.back().ssrc, "/", entries.back().sequence_number);
        }
        absl::StrAppend(&s, ";");
        builder.Add(Fir{v->sender_ssrc(), entries});
        return;
      }
      if (IsRemb(packet)) {
        absl::StatusOr<RembView> v = RembView::Parse(packet);
        if (!v.ok() || FeedbackView::Parse(packet)->media_ssrc() != 0) break;
        absl::StrAppend(&s, "REMB ", v->sender_ssrc(), " ", v->bitrate_bps());
        std::vector<uint32_t>& ssrcs = d.ssrcs.emplace_back();
        for (size_t i = 0; i < v->ssrc_count(); ++i) {
          ssrcs.push_back(v->ssrc(i));
          absl::StrAppend(&s, " ", ssrcs.back());
        }
        absl::StrAppend(&s, ";");
        builder.Add(Remb{v->sender_ssrc(), v->bitrate_bps(), ssrcs});
        return;
      }
      break;
    default:
      break;
  }
  // No typed view accepted it (or it cannot be rebuilt typed): pass the body through.
  s.clear();
  absl::StrAppend(&s, "RAW ", packet.type, " ", packet.count, " ", Hex(packet.payload), ";");
  if (packet.payload.size() % 4 == 0) {
    builder.Add(RawRtcpPacket{packet.type, packet.count, packet.payload});
  } else {
    s = "SKIPPED;";  // a body left unaligned by its padding count cannot be written without padding
  }
}

void TestOneInput(ByteSpan input) {
  absl::StatusOr<RtcpCompoundView> strict = RtcpCompoundView::Parse(input);
  RtcpParseOptions lenient_options{.allow_reduced_size = true, .allow_padding_on_any_packet = true};
  absl::StatusOr<RtcpCompoundView> lenient = RtcpCompoundView::Parse(input, lenient_options);
  if (strict.ok()) TERN_FUZZ_CHECK(lenient.ok());
  if (!lenient.ok()) return;

  // Structure: packets tile the datagram.
  size_t offset = 0;
  size_t count = 0;
  for (const RtcpPacket& p : *lenient) {
    TERN_FUZZ_CHECK(p.bytes.data() == input.data() + offset);
    TERN_FUZZ_CHECK(p.bytes.size() >= kRtcpHeaderSize && p.bytes.size() % 4 == 0);
    TERN_FUZZ_CHECK(p.payload.data() == p.bytes.data() + kRtcpHeaderSize);
    TERN_FUZZ_CHECK(p.payload.size() + kRtcpHeaderSize + p.padding_size() == p.bytes.size());
    TERN_FUZZ_CHECK(p.has_padding == (p.padding_size() != 0));
    offset += p.bytes.size();
    ++count;
  }
  TERN_FUZZ_CHECK(offset == input.size());
  TERN_FUZZ_CHECK(count == lenient->packet_count());

  // Decode, rebuild from the decoded values, decode again.
  // Rebuilt packets are no larger than the originals except transport-cc feedback, whose greedy chunk
  // choice may take a few more chunks than the sender's.
  std::vector<uint8_t> buffer(2 * input.size() + 64);
  RtcpCompoundBuilder builder(buffer);
  std::deque<Decoded> first;
  std::vector<std::string> expected;
  for (const RtcpPacket& p : *lenient) {
    Decoded& d = first.emplace_back();
    DecodeAndAdd(p, d, builder);
    TERN_FUZZ_CHECK_OK(builder.status());
    if (d.description != "SKIPPED;") expected.push_back(d.description);
  }
  if (expected.empty()) {
    TERN_FUZZ_CHECK(!builder.Finish().ok());
    return;
  }
  absl::StatusOr<ByteSpan> wire = builder.Finish();
  TERN_FUZZ_CHECK_OK(wire.status());
  absl::StatusOr<RtcpCompoundView> again = RtcpCompoundView::Parse(*wire, lenient_options);
  TERN_FUZZ_CHECK_OK(again.status());
  std::vector<uint8_t> scratch(wire->size());
  RtcpCompoundBuilder unused(scratch);
  std::vector<std::string> got;
  std::deque<Decoded> second;
  for (const RtcpPacket& p : *again) {
    TERN_FUZZ_CHECK(!p.has_padding);
    Decoded& d = second.emplace_back();
    DecodeAndAdd(p, d, unused);
    got.push_back(d.description);
  }
  if (got != expected) {
    std::string detail;
    for (size_t i = 0; i < std::max(got.size(), expected.size()); ++i) {
      absl::StrAppend(&detail, "\n  want ", i < expected.size() ? expected[i] : "-", "\n  got  ",
                      i < got.size() ? got[i] : "-");
    }
    ::tern::fuzz::CheckFailed(__FILE__, __LINE__, "rebuilt compound decodes the same", detail);
  }
  // A strict parse of the rebuilt compound agrees with the strict parse of the input when the first
  // packet was kept as it was.
  if (strict.ok() && first.front().description != "SKIPPED;")
    TERN_FUZZ_CHECK_OK(RtcpCompoundView::Parse(*wire).status());
}

}  // namespace
}  // namespace tern::rtp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::rtp::TestOneInput(tern::ByteSpan(data, size));
  return 0;
}
