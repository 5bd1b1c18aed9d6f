// RTCP feedback messages (RFC 4585 §6.1 common format): generic NACK (RFC 4585 §6.2.1), PLI
// (RFC 4585 §6.3.1), FIR (RFC 5104 §4.3.1) and REMB (draft-alvestrand-rmcat-remb-03 §2.2, PSFB FMT 15
// "REMB"). Transport-wide congestion control feedback is in transport_feedback.h. Views read a packet
// of a compound packet without copying; the plain structs describe one for RtcpCompoundBuilder::Add.
#ifndef TERN_RTP_RTCP_FEEDBACK_H_
#define TERN_RTP_RTCP_FEEDBACK_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/rtp/rtcp_packet.h"

namespace tern::rtp {

// FMT values.
inline constexpr uint8_t kRtpfbNack = 1;              // RTPFB generic NACK
inline constexpr uint8_t kRtpfbTransportCc = 15;      // RTPFB transport-wide CC feedback
inline constexpr uint8_t kPsfbPli = 1;                // PSFB picture loss indication
inline constexpr uint8_t kPsfbFir = 4;                // PSFB full intra request
inline constexpr uint8_t kPsfbApplicationLayer = 15;  // PSFB AFB, REMB among them

inline constexpr size_t kFeedbackHeaderSize = 8;  // SSRC of packet sender, SSRC of media source

// Any RTPFB or PSFB packet: the two SSRCs and the feedback control information.
class FeedbackView {
 public:
  static absl::StatusOr<FeedbackView> Parse(const RtcpPacket& packet);
  uint8_t type() const { return type_; }      // kRtcpRtpfb or kRtcpPsfb
  uint8_t format() const { return format_; }  // FMT
  uint32_t sender_ssrc() const { return LoadBigEndian32(payload_.data()); }
  uint32_t media_ssrc() const { return LoadBigEndian32(payload_.data() + 4); }
  ByteSpan fci() const { return payload_.subspan(kFeedbackHeaderSize); }

 private:
  ByteSpan payload_;
  uint8_t type_ = 0;
  uint8_t format_ = 0;
};

// --- Generic NACK ----------------------------------------------------------------------------------

struct NackItem {
  uint16_t pid = 0;  // a lost packet
  uint16_t blp = 0;  // bit i set: pid + i + 1 lost too
  friend bool operator==(const NackItem&, const NackItem&) = default;
};

class NackView {
 public:
  // At least one FCI entry (RFC 4585 §6.2.1), a whole number of them.
  static absl::StatusOr<NackView> Parse(const RtcpPacket& packet);
  uint32_t sender_ssrc() const { return feedback_.sender_ssrc(); }
  uint32_t media_ssrc() const { return feedback_.media_ssrc(); }
  size_t item_count() const { return feedback_.fci().size() / 4; }
  NackItem item(size_t i) const;
  // Appends every sequence number the packet reports lost, item by item, each item's PID first and
  // then its BLP bits in increasing order (so duplicates and the order of items are kept).
  void AppendLost(std::vector<uint16_t>* out) const;
  std::vector<uint16_t> Lost() const;

 private:
  FeedbackView feedback_;
};

// Built from a list of lost sequence numbers in order: a number joins the current item when it is
// 1..16 after its PID and after every number already in it; otherwise it starts a new item. So
// NackView::Lost() of the result is exactly `lost`, and an ascending list packs tightly.
struct Nack {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  std::span<const uint16_t> lost;  // not empty
  uint8_t PacketType() const { return kRtcpRtpfb; }
  uint8_t CountField() const { return kRtpfbNack; }
  absl::Status Validate() const;
  void WriteBody(ByteWriter& w) const;
};

// --- PLI -------------------------------------------------------------------------------------------

class PliView {
 public:
  static absl::StatusOr<PliView> Parse(const RtcpPacket& packet);  // no FCI allowed
  uint32_t sender_ssrc() const { return feedback_.sender_ssrc(); }
  uint32_t media_ssrc() const { return feedback_.media_ssrc(); }

 private:
  FeedbackView feedback_;
};

struct Pli {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  uint8_t PacketType() const { return kRtcpPsfb; }
  uint8_t CountField() const { return kPsfbPli; }
  absl::Status Validate() const { return absl::OkStatus(); }
  void WriteBody(ByteWriter& w) const {
    w.WriteU32(sender_ssrc);
    w.WriteU32(media_ssrc);
  }
};

// --- FIR -------------------------------------------------------------------------------------------

struct FirEntry {
  uint32_t ssrc = 0;
  uint8_t sequence_number = 0;
  friend bool operator==(const FirEntry&, const FirEntry&) = default;
};

class FirView {
 public:
  // At least one 8-byte FCI entry, a whole number of them (RFC 5104 §4.3.1.1).
  static absl::StatusOr<FirView> Parse(const RtcpPacket& packet);
  uint32_t sender_ssrc() const { return feedback_.sender_ssrc(); }
  size_t entry_count() const { return feedback_.fci().size() / 8; }
  FirEntry entry(size_t i) const;

 private:
  FeedbackView feedback_;
};

struct Fir {
  uint32_t sender_ssrc = 0;
  std::span<const FirEntry> entries;  // not empty; the media source SSRC field is written as 0
  uint8_t PacketType() const { return kRtcpPsfb; }
  uint8_t CountField() const { return kPsfbFir; }
  absl::Status Validate() const;
  void WriteBody(ByteWriter& w) const;
};

// --- REMB ------------------------------------------------------------------------------------------

// Whether a PSFB application-layer packet carries the "REMB" identifier.
bool IsRemb(const RtcpPacket& packet);

class RembView {
 public:
  // Checks the identifier, that the SSRC list has Num SSRC entries and nothing follows, and that the
  // bitrate (mantissa << exponent) fits 64 bits.
  static absl::StatusOr<RembView> Parse(const RtcpPacket& packet);
  uint32_t sender_ssrc() const { return feedback_.sender_ssrc(); }
  uint64_t bitrate_bps() const { return bitrate_; }
  size_t ssrc_count() const { return feedback_.fci()[4]; }
  uint32_t ssrc(size_t i) const { return LoadBigEndian32(feedback_.fci().data() + 8 + 4 * i); }

 private:
  FeedbackView feedback_;
  uint64_t bitrate_ = 0;
};

struct Remb {
  uint32_t sender_ssrc = 0;
  // Encoded as an 18-bit mantissa and a 6-bit exponent: rounded down to the nearest value that fits.
  uint64_t bitrate_bps = 0;
  std::span<const uint32_t> ssrcs;  // at most 255
  uint8_t PacketType() const { return kRtcpPsfb; }
  uint8_t CountField() const { return kPsfbApplicationLayer; }
  absl::Status Validate() const;
  void WriteBody(ByteWriter& w) const;
};

}  // namespace tern::rtp

#endif  // TERN_RTP_RTCP_FEEDBACK_H_
