#include "tern/rtp/transport_feedback.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tern/base/strings.h"

namespace tern::rtp {
namespace {

// Packet status symbols (§3.1.1).
constexpr uint8_t kNotReceived = 0;
constexpr uint8_t kSmallDelta = 1;
constexpr uint8_t kLargeDelta = 2;
constexpr uint8_t kReserved = 3;

uint8_t SymbolOf(const TwccPacketResult& p) {
  if (!p.received) return kNotReceived;
  return (p.delta_ticks >= 0 && p.delta_ticks <= 255) ? kSmallDelta : kLargeDelta;
}

// Calls emit(chunk) for each 16-bit packet chunk encoding the symbols of `packets`.
template <typename Emit>
void PlanChunks(const std::vector<TwccPacketResult>& packets, Emit emit) {
  size_t n = packets.size();
  size_t i = 0;
  while (i < n) {
    uint8_t s = SymbolOf(packets[i]);
    size_t run = 1;
    while (i + run < n && run < kTwccMaxRunLength && SymbolOf(packets[i + run]) == s) ++run;
    size_t window = std::min<size_t>(14, n - i);
    bool one_bit = true;
    for (size_t k = 0; k < window; ++k) one_bit &= SymbolOf(packets[i + k]) <= kSmallDelta;
    size_t capacity = one_bit ? 14 : 7;
    if (run >= capacity || run == n - i) {
      emit(static_cast<uint16_t>((s << 13) | run));
      i += run;
    } else if (one_bit) {
      uint16_t chunk = 0x8000;
      for (size_t k = 0; k < window; ++k)
        chunk |= static_cast<uint16_t>(SymbolOf(packets[i + k]) << (13 - k));
      emit(chunk);
      i += window;
    } else {
      size_t m = std::min<size_t>(7, n - i);
      uint16_t chunk = 0xC000;
      for (size_t k = 0; k < m; ++k) chunk |= static_cast<uint16_t>(SymbolOf(packets[i + k]) << (12 - 2 * k));
      emit(chunk);
      i += m;
    }
  }
}

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("RTCP transport-cc feedback: ", ToAbsl(what)));
}

}  // namespace

absl::StatusOr<TransportFeedback> TransportFeedback::Parse(const RtcpPacket& packet) {
  TransportFeedback out;
  absl::Status s = ParseInto(packet, &out);
  if (!s.ok()) return s;
  return out;
}

absl::Status TransportFeedback::ParseInto(const RtcpPacket& packet, TransportFeedback* out) {
  out->packets.clear();
  if (packet.type != kRtcpRtpfb || packet.count != kRtpfbTransportCc) {
    return absl::InvalidArgumentError(absl::StrCat("RTCP packet type ", packet.type, " format ", packet.count,
                                                   " is not a transport-cc feedback"));
  }
  ByteSpan p = packet.payload;
  if (p.size() < kFeedbackHeaderSize + kTwccHeaderSize) {
    return Malformed(absl::StrCat("body of ", p.size(), " bytes is shorter than its 16-byte header"));
  }
  out->sender_ssrc = LoadBigEndian32(p.data());
  out->media_ssrc = LoadBigEndian32(p.data() + 4);
  out->base_sequence_number = LoadBigEndian16(p.data() + 8);
  size_t count = LoadBigEndian16(p.data() + 10);
  uint32_t ref = (uint32_t{p[12]} << 16) | (uint32_t{p[13]} << 8) | p[14];
  out->reference_time = (ref & 0x800000) ? static_cast<int32_t>(ref) - 0x1000000 : static_cast<int32_t>(ref);
  out->feedback_count = p[15];
  if (count == 0) return Malformed("packet status count is zero");

  // Packet chunks: the symbols go into delta_ticks for now.
  out->packets.reserve(count);
  size_t offset = kFeedbackHeaderSize + kTwccHeaderSize;
  auto add = [&](uint8_t symbol) {
    out->packets.push_back(
        TwccPacketResult{static_cast<uint16_t>(out->base_sequence_number + out->packets.size()),
                         symbol != kNotReceived, symbol});
  };
  while (out->packets.size() < count) {
    if (p.size() - offset < 2) {
      size_t covered = out->packets.size();
      out->packets.clear();
      return Malformed(
          absl::StrCat("packet status count ", count, " is larger than the chunks cover (", covered, ")"));
    }
    uint16_t chunk = LoadBigEndian16(p.data() + offset);
    offset += 2;
    size_t left = count - out->packets.size();
    if ((chunk & 0x8000) == 0) {  // run length chunk
      uint8_t symbol = (chunk >> 13) & 0x03;
      if (symbol == kReserved) {
        out->packets.clear();
        return Malformed("run length chunk with the reserved status symbol");
      }
      size_t n = std::min<size_t>(chunk & 0x1FFF, left);
      for (size_t k = 0; k < n; ++k) add(symbol);
    } else if ((chunk & 0x4000) == 0) {  // status vector, 14 one-bit symbols
      size_t n = std::min<size_t>(14, left);
      for (size_t k = 0; k < n; ++k) add((chunk >> (13 - k)) & 0x01);
    } else {  // status vector, 7 two-bit symbols
      size_t n = std::min<size_t>(7, left);
      for (size_t k = 0; k < n; ++k) {
        uint8_t symbol = (chunk >> (12 - 2 * k)) & 0x03;
        if (symbol == kReserved) {
          out->packets.clear();
          return Malformed("status vector chunk with the reserved status symbol");
        }
        add(symbol);
      }
    }
  }

  // Receive deltas.
  for (TwccPacketResult& r : out->packets) {
    if (r.delta_ticks == kSmallDelta) {
      if (p.size() - offset < 1) {
        out->packets.clear();
        return Malformed(absl::StrCat("receive deltas truncated at packet ", r.sequence_number));
      }
      r.delta_ticks = p[offset];
      offset += 1;
    } else if (r.delta_ticks == kLargeDelta) {
      if (p.size() - offset < 2) {
        out->packets.clear();
        return Malformed(absl::StrCat("receive deltas truncated at packet ", r.sequence_number));
      }
      r.delta_ticks = static_cast<int16_t>(LoadBigEndian16(p.data() + offset));
      offset += 2;
    }
  }
  if (p.size() - offset > 3) {
    out->packets.clear();
    return Malformed(absl::StrCat(p.size() - offset, " bytes follow the receive deltas"));
  }
  for (size_t i = offset; i < p.size(); ++i) {
    if (p[i] != 0) {
      out->packets.clear();
      return Malformed("padding after the receive deltas is not zero");
    }
  }
  return absl::OkStatus();
}

size_t TransportFeedback::received_count() const {
  return static_cast<size_t>(
      std::count_if(packets.begin(), packets.end(), [](const auto& p) { return p.received; }));
}

absl::Status TransportFeedback::Validate() const {
  if (packets.empty()) return Malformed("needs at least one packet status");
  if (packets.size() > 0xFFFF) return Malformed("more than 65535 packet statuses");
  if (reference_time < -0x800000 || reference_time > 0x7FFFFF) {
    return Malformed("reference time does not fit 24 signed bits");
  }
  for (size_t i = 0; i < packets.size(); ++i) {
    const TwccPacketResult& r = packets[i];
    if (r.sequence_number != static_cast<uint16_t>(base_sequence_number + i)) {
      return Malformed(absl::StrCat("packet ", i, " has sequence number ", r.sequence_number, ", expected ",
                                    static_cast<uint16_t>(base_sequence_number + i)));
    }
    if (r.received && (r.delta_ticks < -32768 || r.delta_ticks > 32767)) {
      return Malformed(
          absl::StrCat("receive delta of packet ", r.sequence_number, " does not fit 16 signed bits"));
    }
  }
  return absl::OkStatus();
}

void TransportFeedback::WriteBody(ByteWriter& w) const {
  size_t start = w.size();
  w.WriteU32(sender_ssrc);
  w.WriteU32(media_ssrc);
  w.WriteU16(base_sequence_number);
  w.WriteU16(static_cast<uint16_t>(packets.size()));
  w.WriteU24(static_cast<uint32_t>(reference_time) & 0xFFFFFF);
  w.WriteU8(feedback_count);
  PlanChunks(packets, [&w](uint16_t chunk) { w.WriteU16(chunk); });
  for (const TwccPacketResult& r : packets) {
    uint8_t s = SymbolOf(r);
    if (s == kSmallDelta) {
      w.WriteU8(static_cast<uint8_t>(r.delta_ticks));
    } else if (s == kLargeDelta) {
      w.WriteU16(static_cast<uint16_t>(static_cast<int16_t>(r.delta_ticks)));
    }
  }
  w.WriteZeros((4 - (w.size() - start) % 4) % 4);
}

size_t TransportFeedback::WireSize() const {
  size_t size = kRtcpHeaderSize + kFeedbackHeaderSize + kTwccHeaderSize;
  PlanChunks(packets, [&size](uint16_t) { size += 2; });
  for (const TwccPacketResult& r : packets) {
    uint8_t s = SymbolOf(r);
    size += s == kSmallDelta ? 1 : s == kLargeDelta ? 2 : 0;
  }
  return (size + 3) & ~size_t{3};
}

TransportFeedbackBuilder::TransportFeedbackBuilder(uint32_t sender_ssrc, uint32_t media_ssrc,
                                                   uint8_t feedback_count) {
  feedback_.sender_ssrc = sender_ssrc;
  feedback_.media_ssrc = media_ssrc;
  feedback_.feedback_count = feedback_count;
}

namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Nearest integer to a / b (b > 0), halves away from zero.
int64_t RoundDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b); }

}  // namespace

absl::Status TransportFeedbackBuilder::AddReceivedPacket(uint16_t seq, Timestamp arrival) {
  std::vector<TwccPacketResult>& packets = feedback_.packets;
  if (packets.empty()) {
    int64_t ticks = FloorDiv(arrival.us(), kTwccReferenceTickUs);
    int32_t wire = static_cast<int32_t>(ticks & 0xFFFFFF);
    if (wire & 0x800000) wire -= 0x1000000;
    int64_t delta = RoundDiv(arrival.us() - ticks * kTwccReferenceTickUs, kTwccDeltaTickUs);
    feedback_.base_sequence_number = seq;
    feedback_.reference_time = wire;
    last_time_us_ = ticks * kTwccReferenceTickUs + delta * kTwccDeltaTickUs;
    packets.push_back(TwccPacketResult{seq, true, static_cast<int32_t>(delta)});
    return absl::OkStatus();
  }
  uint16_t last = packets.back().sequence_number;
  uint16_t step = static_cast<uint16_t>(seq - last);
  if (step == 0 || step >= 0x8000) {
    return absl::InvalidArgumentError(
        absl::StrCat("transport-cc: sequence number ", seq, " does not come after ", last));
  }
  if (packets.size() + step > 0xFFFF) {
    return absl::OutOfRangeError("transport-cc: feedback would cover more than 65535 packets");
  }
  int64_t delta = RoundDiv(arrival.us() - last_time_us_, kTwccDeltaTickUs);
  if (delta < -32768 || delta > 32767) {
    return absl::OutOfRangeError(absl::StrCat("transport-cc: receive delta of ", delta * kTwccDeltaTickUs,
                                              " us does not fit 16 bits of 250 us"));
  }
  for (uint16_t s = static_cast<uint16_t>(last + 1); s != seq; ++s)
    packets.push_back(TwccPacketResult{s, false, 0});
  packets.push_back(TwccPacketResult{seq, true, static_cast<int32_t>(delta)});
  last_time_us_ += delta * kTwccDeltaTickUs;
  return absl::OkStatus();
}

}  // namespace tern::rtp
