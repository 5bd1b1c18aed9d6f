// RTCP packets and compound packets (RFC 3550 §6.1 and §6.4 common header, RFC 5506 reduced-size
// RTCP): RtcpCompoundView walks a received compound packet and checks its framing; the typed views in
// rtcp_reports.h, rtcp_feedback.h and transport_feedback.h read each packet's body. RtcpCompoundBuilder
// writes a compound packet into a caller's buffer from the typed packet structs.
//
//   absl::StatusOr<RtcpCompoundView> c = RtcpCompoundView::Parse(datagram, {.allow_reduced_size = true});
//   for (const RtcpPacket& p : *c) {
//     if (p.type == kRtcpSenderReport) { absl::StatusOr<SenderReportView> sr = SenderReportView::Parse(p);
//     ... }
//   }
#ifndef TERN_RTP_RTCP_PACKET_H_
#define TERN_RTP_RTCP_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"

namespace tern::rtp {

inline constexpr size_t kRtcpHeaderSize = 4;
inline constexpr size_t kRtcpMaxCount = 31;  // RC, SC and FMT are 5 bits

// Packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611 §2).
inline constexpr uint8_t kRtcpSenderReport = 200;
inline constexpr uint8_t kRtcpReceiverReport = 201;
inline constexpr uint8_t kRtcpSdes = 202;
inline constexpr uint8_t kRtcpBye = 203;
inline constexpr uint8_t kRtcpApp = 204;
inline constexpr uint8_t kRtcpRtpfb = 205;  // transport-layer feedback
inline constexpr uint8_t kRtcpPsfb = 206;   // payload-specific feedback
inline constexpr uint8_t kRtcpXr = 207;

// One packet of a compound packet: its common header and body.
struct RtcpPacket {
  uint8_t count = 0;  // the 5-bit RC / SC / FMT / subtype field
  uint8_t type = 0;   // PT
  bool has_padding = false;
  ByteSpan payload;  // after the 4-byte header, without padding
  ByteSpan bytes;    // the whole packet, header and padding included
  size_t padding_size() const { return bytes.size() - kRtcpHeaderSize - payload.size(); }
};

struct RtcpParseOptions {
  // RFC 5506: accept a compound packet that does not start with SR or RR (e.g. a lone PLI or a
  // transport-cc feedback). Negotiated with a=rtcp-rsize; WebRTC always does.
  bool allow_reduced_size = false;
  // RFC 3550 §6.4.1 allows the padding bit only on the last packet of a compound packet. libwebrtc
  // pads transport-cc feedback with the padding bit even when more packets follow; set this to accept.
  bool allow_padding_on_any_packet = false;
};

// Reads one packet's header at the start of `data` (which may hold more packets after it). Checks
// version 2, that the length fits, and the padding count (1..body size). `data` may not end early.
absl::StatusOr<RtcpPacket> ParseRtcpPacket(ByteSpan data);

// A validated compound packet. Every packet's length is checked to fit and the packets must cover the
// datagram exactly; the first must be SR or RR unless options allow reduced size; only the last may
// have padding unless options say otherwise. Packet types tern does not know are not an error: they
// appear in the iteration like any other and callers skip them.
class RtcpCompoundView {
 public:
  static absl::StatusOr<RtcpCompoundView> Parse(ByteSpan datagram, const RtcpParseOptions& options = {});

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = RtcpPacket;
    using difference_type = std::ptrdiff_t;
    using pointer = const RtcpPacket*;
    using reference = const RtcpPacket&;
    const RtcpPacket& operator*() const { return current_; }
    const RtcpPacket* operator->() const { return &current_; }
    Iterator& operator++();
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.offset_ == b.offset_; }

   private:
    friend class RtcpCompoundView;
    Iterator(ByteSpan bytes, size_t offset);
    void Load();
    ByteSpan bytes_;
    size_t offset_;
    RtcpPacket current_;
  };
  Iterator begin() const { return Iterator(bytes_, 0); }
  Iterator end() const { return Iterator(bytes_, bytes_.size()); }

  ByteSpan bytes() const { return bytes_; }
  size_t packet_count() const { return packet_count_; }

 private:
  RtcpCompoundView() = default;
  ByteSpan bytes_;
  size_t packet_count_ = 0;
};

// A packet whose body tern passes through untouched (unknown types, or for forwarding).
struct RawRtcpPacket {
  uint8_t type = 0;
  uint8_t count = 0;  // 0..31
  ByteSpan body;      // a multiple of 4 bytes
  uint8_t PacketType() const { return type; }
  uint8_t CountField() const { return count; }
  absl::Status Validate() const;
  void WriteBody(ByteWriter& w) const { w.WriteBytes(body); }
};

// Writes a compound packet into a caller's buffer. Add() takes any of the packet structs (each has
// PacketType(), CountField(), Validate() and WriteBody()); the builder writes the common header and the
// length. The first problem is remembered and returned by Finish(); later calls are ignored.
class RtcpCompoundBuilder {
 public:
  explicit RtcpCompoundBuilder(MutableByteSpan buffer) : w_(buffer) {}

  template <typename P>
  RtcpCompoundBuilder& Add(const P& packet) {
    if (!status_.ok()) return *this;
    absl::Status valid = packet.Validate();
    if (!valid.ok()) {
      Fail(std::move(valid));
      return *this;
    }
    size_t start = BeginPacket(packet.CountField(), packet.PacketType());
    packet.WriteBody(w_);
    EndPacket(start);
    return *this;
  }

  // Finishes the compound packet. `padding` (a multiple of 4, up to 252) is added to the last packet
  // with the padding bit (RFC 3550 §6.4.1); 0 adds none.
  absl::StatusOr<ByteSpan> Finish(size_t padding = 0);
  absl::Status status() const { return status_; }
  size_t size() const { return w_.size(); }
  size_t packet_count() const { return packet_count_; }

 private:
  size_t BeginPacket(uint8_t count, uint8_t type);
  void EndPacket(size_t start);
  void Fail(absl::Status status);

  ByteWriter w_;
  absl::Status status_;
  size_t last_start_ = 0;
  size_t packet_count_ = 0;
  bool finished_ = false;
};

}  // namespace tern::rtp

#endif  // TERN_RTP_RTCP_PACKET_H_
