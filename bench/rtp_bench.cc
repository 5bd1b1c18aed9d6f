// Micro-benchmarks of tern's RTP/RTCP codec on what an SFU handles per packet: parsing a 1200-byte
// video packet with two one-byte header extensions (RFC 3550 §5.1, RFC 8285 §4.2) and looking both up
// through the extmap, building that packet, parsing a compound RTCP packet (SR + SDES CNAME +
// transport-cc feedback of 50 packets + generic NACK; RFC 3550 §6, RFC 4585 §6.2.1,
// draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) with every packet decoded, and building
// transport-cc feedback for 50 packets. Every input is checked once outside the timed loop and the
// program aborts when something fails.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/rtp/rtp.h"

#include "allocation_counter.h"

namespace tern::rtp {
namespace {

using ::tern::bench::AllocationCounter;

[[noreturn]] void Die(std::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "rtp_bench: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               status.ToString().c_str());
  std::abort();
}

void CheckOk(std::string_view what, const absl::Status& status) {
  if (!status.ok()) Die(what, status);
}

constexpr uint8_t kAbsSendTimeId = 3;
constexpr uint8_t kTransportSeqId = 5;
constexpr size_t kVideoPacketSize = 1200;

RtpHeaderExtensionMap VideoExtmap() {
  RtpHeaderExtensionMap map;
  CheckOk("extmap", map.Register(kAbsSendTimeId, RtpExtensionType::kAbsSendTime));
  CheckOk("extmap", map.Register(kTransportSeqId, RtpExtensionType::kTransportSequenceNumber));
  return map;
}

// 12-byte header + 12-byte extension block (abs-send-time, transport-wide seq, 1 byte of padding) +
// 1176 bytes of payload.
absl::StatusOr<ByteSpan> BuildVideoPacket(MutableByteSpan buffer, const RtpHeaderExtensionMap& map,
                                          uint16_t seq) {
  RtpPacketBuilder b(buffer);
  b.SetMarker(false).SetPayloadType(96).SetSequenceNumber(seq).SetTimestamp(90000).SetSsrc(0x11223344);
  b.AddExtension<AbsSendTimeExtension>(map, 0x123456);
  b.AddExtension<TransportSequenceNumberExtension>(map, seq);
  MutableByteSpan payload = b.AllocatePayload(kVideoPacketSize - 24);
  if (!payload.empty()) payload[0] = 0x90;  // a VP8 descriptor byte; the rest stays as it is
  return b.Finish();
}

void BM_RtpParse(benchmark::State& state) {
  RtpHeaderExtensionMap map = VideoExtmap();
  std::vector<uint8_t> buffer(kVideoPacketSize);
  absl::StatusOr<ByteSpan> wire = BuildVideoPacket(buffer, map, 4321);
  CheckOk("build", wire.status());
  if (wire->size() != kVideoPacketSize) Die("size", absl::InternalError("not 1200 bytes"));
  AllocationCounter allocs;
  for (auto _ : state) {
    absl::StatusOr<RtpPacketView> p = RtpPacketView::Parse(*wire);
    if (!p.ok()) Die("parse", p.status());
    absl::StatusOr<uint32_t> send_time = p->GetExtension<AbsSendTimeExtension>(map);
    absl::StatusOr<uint16_t> seq = p->GetExtension<TransportSequenceNumberExtension>(map);
    if (!send_time.ok() || !seq.ok()) Die("extensions", absl::InternalError("missing"));
    benchmark::DoNotOptimize(*send_time);
    benchmark::DoNotOptimize(*seq);
    benchmark::DoNotOptimize(p->payload().size());
  }
  allocs.Report(state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kVideoPacketSize);
}
BENCHMARK(BM_RtpParse);

void BM_RtpBuild(benchmark::State& state) {
  RtpHeaderExtensionMap map = VideoExtmap();
  std::vector<uint8_t> buffer(kVideoPacketSize);
  uint16_t seq = 0;
  AllocationCounter allocs;
  for (auto _ : state) {
    absl::StatusOr<ByteSpan> wire = BuildVideoPacket(buffer, map, seq++);
    if (!wire.ok()) Die("build", wire.status());
    benchmark::DoNotOptimize(wire->data());
  }
  allocs.Report(state);
}
BENCHMARK(BM_RtpBuild);

// 50 packets from 1000: 47 received, 3 lost, deltas of 0..22.25 ms (small deltas).
TransportFeedback FiftyPacketFeedback() {
  TransportFeedback f;
  f.sender_ssrc = 0x11223344;
  f.media_ssrc = 0x55667788;
  f.base_sequence_number = 1000;
  f.reference_time = 0x1234;
  f.feedback_count = 3;
  for (int i = 0; i < 50; ++i) {
    bool lost = i == 7 || i == 23 || i == 24;
    f.packets.push_back(TwccPacketResult{static_cast<uint16_t>(1000 + i), !lost, lost ? 0 : (i * 13) % 90});
  }
  return f;
}

std::vector<uint8_t> BuildCompound() {
  ReportBlock block{0x55667788, 64, -2, 0x1ffff, 32, 0x456789ab, 0x10000};
  std::vector<uint16_t> lost = {500, 501, 515};
  std::vector<uint8_t> buffer(1500);
  RtcpCompoundBuilder b(buffer);
  b.Add(SenderReport{0x11223344,
                     SenderInfo{0xe123456789abcdefull, 0x10000, 16, 1024},
                     std::span<const ReportBlock>(&block, 1),
                     {}});
  b.Add(SdesCname{0x11223344, "tern-cname-0123456"});
  b.Add(FiftyPacketFeedback());
  b.Add(Nack{0x11223344, 0x55667788, lost});
  absl::StatusOr<ByteSpan> wire = b.Finish();
  CheckOk("compound", wire.status());
  return std::vector<uint8_t>(wire->begin(), wire->end());
}

// Parses and decodes every packet; returns what was found so the work cannot be optimized away.
size_t DecodeCompound(ByteSpan datagram, TransportFeedback* twcc, std::vector<uint16_t>* lost) {
  absl::StatusOr<RtcpCompoundView> c = RtcpCompoundView::Parse(datagram);
  if (!c.ok()) Die("compound", c.status());
  size_t found = 0;
  for (const RtcpPacket& p : *c) {
    switch (p.type) {
      case kRtcpSenderReport: {
        absl::StatusOr<SenderReportView> sr = SenderReportView::Parse(p);
        if (!sr.ok()) Die("sr", sr.status());
        found += sr->sender_info().packet_count;
        for (size_t i = 0; i < sr->report_block_count(); ++i) found += sr->report_block(i).jitter;
        break;
      }
      case kRtcpSdes: {
        absl::StatusOr<SdesView> sdes = SdesView::Parse(p);
        if (!sdes.ok()) Die("sdes", sdes.status());
        found += sdes->FindCname(0x11223344).value_or("").size();
        break;
      }
      case kRtcpRtpfb:
        if (p.count == kRtpfbTransportCc) {
          CheckOk("twcc", TransportFeedback::ParseInto(p, twcc));
          found += twcc->packets.size();
        } else if (p.count == kRtpfbNack) {
          absl::StatusOr<NackView> nack = NackView::Parse(p);
          if (!nack.ok()) Die("nack", nack.status());
          lost->clear();
          nack->AppendLost(lost);
          found += lost->size();
        }
        break;
      default:
        break;
    }
  }
  return found;
}

void BM_RtcpCompoundParse(benchmark::State& state) {
  std::vector<uint8_t> compound = BuildCompound();
  TransportFeedback twcc;
  std::vector<uint16_t> lost;
  if (DecodeCompound(compound, &twcc, &lost) != 16 + 32 + 18 + 50 + 3 || twcc != FiftyPacketFeedback()) {
    Die("decode", absl::InternalError("unexpected content"));
  }
  AllocationCounter allocs;  // the TWCC list and the NACK list reuse their capacity: no allocation
  for (auto _ : state) {
    size_t found = DecodeCompound(compound, &twcc, &lost);
    benchmark::DoNotOptimize(found);
  }
  allocs.Report(state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(compound.size()));
  state.counters["bytes"] = static_cast<double>(compound.size());
}
BENCHMARK(BM_RtcpCompoundParse);

void BM_TwccBuild(benchmark::State& state) {
  TransportFeedback f = FiftyPacketFeedback();
  std::vector<uint8_t> buffer(1500);
  AllocationCounter allocs;
  for (auto _ : state) {
    absl::StatusOr<ByteSpan> wire = RtcpCompoundBuilder(buffer).Add(f).Finish();
    if (!wire.ok()) Die("twcc build", wire.status());
    benchmark::DoNotOptimize(wire->data());
  }
  allocs.Report(state);
}
BENCHMARK(BM_TwccBuild);

// The receiver side: 50 arrivals collected into a feedback (TransportFeedbackBuilder), then written.
void BM_TwccFromArrivals(benchmark::State& state) {
  std::vector<uint8_t> buffer(1500);
  AllocationCounter allocs;
  for (auto _ : state) {
    TransportFeedbackBuilder builder(0x11223344, 0x55667788, 3);
    int64_t t = 10'000'000;
    for (int i = 0; i < 50; ++i) {
      t += 1000 + (i * 3571) % 4000;
      if (i == 7 || i == 23 || i == 24) continue;
      CheckOk("arrival", builder.AddReceivedPacket(static_cast<uint16_t>(1000 + i), Timestamp::Micros(t)));
    }
    absl::StatusOr<ByteSpan> wire = RtcpCompoundBuilder(buffer).Add(builder.feedback()).Finish();
    if (!wire.ok()) Die("twcc build", wire.status());
    benchmark::DoNotOptimize(wire->data());
  }
  allocs.Report(state);
}
BENCHMARK(BM_TwccFromArrivals);

}  // namespace
}  // namespace tern::rtp

int main(int argc, char** argv) {
  uint64_t before = ::tern::bench::Allocations();
  auto* probe = new std::vector<int>(16);
  benchmark::DoNotOptimize(probe);
  delete probe;
  if (::tern::bench::Allocations() - before != 2) {
    std::fprintf(stderr, "rtp_bench: allocation counting does not work\n");
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
