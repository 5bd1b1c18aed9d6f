// libFuzzer harness for transport-wide congestion control feedback
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1). The input is the body of an RTPFB FMT 15
// packet (from the SSRCs on); the harness frames it (with RTCP padding when it is not a multiple of 4)
// and checks:
//  - when TransportFeedback::ParseInto accepts it: the statuses are numbered base, base+1, … with
//    status-count entries, a packet not received has delta 0, Validate() accepts, the builder's
//    WireSize() equals what it writes, and the written packet parses back to the same feedback;
//    when it refuses, the output list is left empty;
//  - the same input as arrivals for TransportFeedbackBuilder (sequence steps and time steps): every
//    arrival it accepts is reported received, the skipped numbers not received, and the reference time
//    plus the running sum of deltas lands within 125 us (half a tick) of each true arrival time, both
//    before and after a round trip through the wire format.
// Any broken invariant traps (fuzz_check.h).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz_check.h"
#include "tern/base/byte_io.h"
#include "tern/base/time.h"
#include "tern/rtp/rtcp_packet.h"
#include "tern/rtp/transport_feedback.h"

namespace tern::rtp {
namespace {

TransportFeedback RoundTrip(const TransportFeedback& f) {
  TERN_FUZZ_CHECK_OK(f.Validate());
  size_t size = f.WireSize();
  std::vector<uint8_t> buffer(size);  // exactly: an overrun is an ASan report
  absl::StatusOr<ByteSpan> wire = RtcpCompoundBuilder(buffer).Add(f).Finish();
  TERN_FUZZ_CHECK_OK(wire.status());
  TERN_FUZZ_CHECK(wire->size() == size);
  absl::StatusOr<RtcpCompoundView> compound = RtcpCompoundView::Parse(*wire, {.allow_reduced_size = true});
  TERN_FUZZ_CHECK_OK(compound.status());
  TERN_FUZZ_CHECK(compound->packet_count() == 1);
  absl::StatusOr<TransportFeedback> back = TransportFeedback::Parse(*compound->begin());
  TERN_FUZZ_CHECK_OK(back.status());
  TERN_FUZZ_CHECK(*back == f);
  // One byte short does not fit.
  std::vector<uint8_t> small(size - 1);
  TERN_FUZZ_CHECK(!RtcpCompoundBuilder(small).Add(f).Finish().ok());
  return *back;
}

void CheckParse(ByteSpan body) {
  if (body.size() > 4 * 0xFFF0) return;
  std::vector<uint8_t> packet = {0x8F, kRtcpRtpfb, 0, 0};
  packet.insert(packet.end(), body.begin(), body.end());
  size_t pad = (4 - body.size() % 4) % 4;
  if (pad != 0) {
    packet.insert(packet.end(), pad - 1, 0);
    packet.push_back(static_cast<uint8_t>(pad));
    packet[0] |= 0x20;
  }
  StoreBigEndian16(packet.data() + 2, static_cast<uint16_t>(packet.size() / 4 - 1));
  absl::StatusOr<RtcpPacket> p = ParseRtcpPacket(packet);
  TERN_FUZZ_CHECK_OK(p.status());
  TransportFeedback f;
  f.packets.resize(3);  // ParseInto must clear what was there
  absl::Status s = TransportFeedback::ParseInto(*p, &f);
  if (!s.ok()) {
    TERN_FUZZ_CHECK(f.packets.empty());
    return;
  }
  TERN_FUZZ_CHECK(body.size() >= 16);
  TERN_FUZZ_CHECK(f.packets.size() == LoadBigEndian16(body.data() + 10));
  for (size_t i = 0; i < f.packets.size(); ++i) {
    TERN_FUZZ_CHECK(f.packets[i].sequence_number == static_cast<uint16_t>(f.base_sequence_number + i));
    if (!f.packets[i].received) TERN_FUZZ_CHECK(f.packets[i].delta_ticks == 0);
  }
  RoundTrip(f);
}

// Reads the input as (sequence step, time step) pairs.
void CheckBuilder(ByteSpan input) {
  if (input.size() < 4) return;
  TransportFeedbackBuilder b(LoadBigEndian32(input.data()), 7, input[0]);
  int64_t now_us = int64_t{LoadBigEndian16(input.data() + 2)} * 977;  // somewhere in the first minute
  uint16_t seq = LoadBigEndian16(input.data());
  struct Arrival {
    uint16_t seq;
    int64_t us;
  };
  std::vector<Arrival> accepted;
  for (size_t i = 4; i + 3 <= input.size(); i += 3) {
    uint8_t step = input[i] % 8;  // 0 (repeat: refused) .. 7
    int16_t dt = static_cast<int16_t>(LoadBigEndian16(input.data() + i + 1));
    seq = static_cast<uint16_t>(seq + step);
    int64_t t = now_us + int64_t{dt} * 3;  // up to ~100 ms each way
    if (t < 0) t = 0;
    size_t before = b.feedback().packets.size();
    absl::Status s = b.AddReceivedPacket(seq, Timestamp::Micros(t));
    if (!s.ok()) {
      TERN_FUZZ_CHECK(b.feedback().packets.size() == before);
      TERN_FUZZ_CHECK(step == 0 || s.code() == absl::StatusCode::kOutOfRange);
      continue;
    }
    TERN_FUZZ_CHECK(accepted.empty() || step != 0);
    accepted.push_back({seq, t});
    now_us = t;
  }
  if (b.empty()) return;
  const TransportFeedback& f = b.feedback();
  TransportFeedback back = RoundTrip(f);
  for (const TransportFeedback* g : {&f, static_cast<const TransportFeedback*>(&back)}) {
    int64_t time = int64_t{g->reference_time} * kTwccReferenceTickUs;
    size_t next = 0;
    for (const TwccPacketResult& r : g->packets) {
      bool expected = next < accepted.size() && accepted[next].seq == r.sequence_number;
      TERN_FUZZ_CHECK(r.received == expected);
      if (!r.received) continue;
      time += int64_t{r.delta_ticks} * kTwccDeltaTickUs;
      TERN_FUZZ_CHECK(std::llabs(time - accepted[next].us) <= kTwccDeltaTickUs / 2);
      ++next;
    }
    TERN_FUZZ_CHECK(next == accepted.size());
  }
}

void TestOneInput(ByteSpan input) {
  CheckParse(input);
  CheckBuilder(input);
}

}  // namespace
}  // namespace tern::rtp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::rtp::TestOneInput(tern::ByteSpan(data, size));
  return 0;
}
