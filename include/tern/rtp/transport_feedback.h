// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1):
// RTPFB FMT 15 with a base sequence number, a packet status count, a 24-bit reference time (64 ms
// units), a feedback packet count, run-length and status-vector (1-bit and 2-bit) packet chunks and
// receive deltas (1 byte unsigned or 2 bytes signed, 250 µs units).
//
// TransportFeedback is the decoded list of (sequence number, received?, receive delta); Parse fills it
// from a packet and, given to RtcpCompoundBuilder::Add, it is written back choosing chunks greedily
// (a run-length chunk whenever a run covers at least what a status vector would, else the densest
// vector that can hold the next symbols). TransportFeedbackBuilder makes one from arrival times.
#ifndef TERN_RTP_TRANSPORT_FEEDBACK_H_
#define TERN_RTP_TRANSPORT_FEEDBACK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/base/time.h"
#include "tern/rtp/rtcp_feedback.h"
#include "tern/rtp/rtcp_packet.h"

namespace tern::rtp {

inline constexpr int64_t kTwccDeltaTickUs = 250;
inline constexpr int64_t kTwccReferenceTickUs = 64'000;
inline constexpr size_t kTwccMaxRunLength = 0x1FFF;  // 13 bits
inline constexpr size_t kTwccHeaderSize = 8;         // after the two SSRCs

struct TwccPacketResult {
  uint16_t sequence_number = 0;
  bool received = false;
  // Arrival time minus the previous received packet's (or, for the first, the reference time), in
  // 250 µs ticks: 0..255 is sent in one byte, the rest of -32768..32767 in two. Ignored (and parsed
  // as 0) for a packet not received.
  int32_t delta_ticks = 0;
  Duration delta() const { return Duration::Micros(int64_t{delta_ticks} * kTwccDeltaTickUs); }
  friend bool operator==(const TwccPacketResult&, const TwccPacketResult&) = default;
};

struct TransportFeedback {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  uint16_t base_sequence_number = 0;
  int32_t reference_time = 0;  // 24-bit signed, 64 ms ticks
  uint8_t feedback_count = 0;  // the "fb pkt count", incremented per feedback sent
  // One entry per packet status: sequence numbers base, base+1, … (mod 2^16). 1..65535 of them.
  std::vector<TwccPacketResult> packets;

  // Parses an RTPFB FMT 15 packet. Refuses a zero status count, a reserved status symbol, chunks that
  // do not cover the status count, receive deltas cut short, and more than 3 (zero) bytes after them.
  static absl::StatusOr<TransportFeedback> Parse(const RtcpPacket& packet);
  // As Parse, into `out`, reusing the capacity of out->packets (no allocation once it is large enough).
  static absl::Status ParseInto(const RtcpPacket& packet, TransportFeedback* out);

  Duration reference_time_delta() const {
    return Duration::Micros(int64_t{reference_time} * kTwccReferenceTickUs);
  }
  size_t received_count() const;

  friend bool operator==(const TransportFeedback&, const TransportFeedback&) = default;

  // For RtcpCompoundBuilder::Add.
  uint8_t PacketType() const { return kRtcpRtpfb; }
  uint8_t CountField() const { return kRtpfbTransportCc; }
  absl::Status Validate() const;  // the sequence, the counts and the value ranges above
  void WriteBody(ByteWriter& w) const;
  // The packet's size on the wire, header included (for deciding when to send).
  size_t WireSize() const;
};

// Collects arrivals into a TransportFeedback. Packets must come in increasing transport sequence
// number order (a receiver sorts them first); the numbers skipped are reported as not received. The
// reference time is the first arrival rounded down to 64 ms; deltas are rounded to 250 µs without
// drift (each is measured from the previous arrival as rounded).
class TransportFeedbackBuilder {
 public:
  TransportFeedbackBuilder(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t feedback_count);

  // InvalidArgument when `seq` is not after the previous one; OutOfRange when the delta does not fit
  // 16 bits or the status count would pass 65535 (send this feedback and start another). The
  // feedback is unchanged on error.
  absl::Status AddReceivedPacket(uint16_t seq, Timestamp arrival);

  bool empty() const { return feedback_.packets.empty(); }
  const TransportFeedback& feedback() const { return feedback_; }

 private:
  TransportFeedback feedback_;
  int64_t last_time_us_ = 0;  // the previous arrival, as rounded on the wire
};

}  // namespace tern::rtp

#endif  // TERN_RTP_TRANSPORT_FEEDBACK_H_
