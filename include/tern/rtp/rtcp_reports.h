// RTCP reports and session packets: SR and RR with report blocks (RFC 3550 §6.4.1-§6.4.2), SDES
// (§6.5), BYE (§6.6), APP (§6.7) and XR (RFC 3611 §2-§3) with its RRTR (§4.4) and DLRR (§4.5) blocks.
// The *View classes read a packet of a compound packet (rtcp_packet.h) without copying; the plain
// structs describe a packet for RtcpCompoundBuilder::Add (they hold spans: nothing is copied until the
// builder writes).
#ifndef TERN_RTP_RTCP_REPORTS_H_
#define TERN_RTP_RTCP_REPORTS_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/byte_io.h"
#include "tern/rtp/rtcp_packet.h"

namespace tern::rtp {

// --- SR / RR ---------------------------------------------------------------------------------------

inline constexpr size_t kReportBlockSize = 24;
inline constexpr size_t kSenderInfoSize = 20;

// RFC 3550 §6.4.1 reception report block.
struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;
  int32_t cumulative_lost = 0;  // 24-bit signed: -2^23 .. 2^23-1
  uint32_t extended_highest_sequence = 0;
  uint32_t jitter = 0;
  uint32_t last_sr = 0;              // middle 32 bits of the last SR's NTP timestamp
  uint32_t delay_since_last_sr = 0;  // 1/65536 s
  friend bool operator==(const ReportBlock&, const ReportBlock&) = default;
};

struct SenderInfo {
  uint64_t ntp_timestamp = 0;
  uint32_t rtp_timestamp = 0;
  uint32_t packet_count = 0;
  uint32_t octet_count = 0;
  friend bool operator==(const SenderInfo&, const SenderInfo&) = default;
};

class SenderReportView {
 public:
  static absl::StatusOr<SenderReportView> Parse(const RtcpPacket& packet);
  uint32_t sender_ssrc() const { return LoadBigEndian32(payload_.data()); }
  SenderInfo sender_info() const;
  size_t report_block_count() const { return count_; }
  ReportBlock report_block(size_t i) const;
  ByteSpan profile_extension() const {
    return payload_.subspan(4 + kSenderInfoSize + count_ * kReportBlockSize);
  }

 private:
  ByteSpan payload_;
  size_t count_ = 0;
};

class ReceiverReportView {
 public:
  static absl::StatusOr<ReceiverReportView> Parse(const RtcpPacket& packet);
  uint32_t sender_ssrc() const { return LoadBigEndian32(payload_.data()); }
  size_t report_block_count() const { return count_; }
  ReportBlock report_block(size_t i) const;
  ByteSpan profile_extension() const { return payload_.subspan(4 + count_ * kReportBlockSize); }

 private:
  ByteSpan payload_;
  size_t count_ = 0;
};

struct SenderReport {
  uint32_t sender_ssrc = 0;
  SenderInfo sender_info;
  std::span<const ReportBlock> report_blocks;  // at most 31
  ByteSpan profile_extension;                  // a multiple of 4 bytes
  uint8_t PacketType() const { return kRtcpSenderReport; }
  uint8_t CountField() const { return static_cast<uint8_t>(report_blocks.size()); }
  absl::Status Validate() const;
  void WriteBody(ByteWriter& w) const;
};

struct ReceiverReport {
  uint32_t sender_ssrc = 0;
  std::span<const ReportBlock> report_blocks;  // at most 31
  ByteSpan profile_extension;                  // a multiple of 4 bytes
  uint8_t PacketType() const { return kRtcpReceiverReport; }
  uint8_t CountField() const { return static_cast<uint8_t>(report_blocks.size()); }
  absl::Status Validate() const;
  void WriteBody(ByteWriter& w) const;
};

// --- SDES ------------------------------------------------------------------------------------------

// SDES item types (RFC 3550 §6.5).
inline constexpr uint8_t kSdesEnd = 0;
inline constexpr uint8_t kSdesCname = 1;
inline constexpr uint8_t kSdesName = 2;
inline constexpr uint8_t kSdesEmail = 3;
inline constexpr uint8_t kSdesPhone = 4;
inline constexpr uint8_t kSdesLoc = 5;
inline constexpr uint8_t kSdesTool = 6;
inline constexpr uint8_t kSdesNote = 7;
inline constexpr uint8_t kSdesPriv = 8;

struct SdesItem {
  uint8_t type = 0;        // 1..255
  std::string_view value;  // 0..255 bytes (a PRIV item's value holds its prefix length and prefix)
  friend bool operator==(const SdesItem&, const SdesItem&) = default;
};

class SdesItemIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = SdesItem;
  using difference_type = std::ptrdiff_t;
  using pointer = const SdesItem*;
  using reference = const SdesItem&;
  SdesItemIterator(ByteSpan items, size_t offset);
  const SdesItem& operator*() const { return current_; }
  const SdesItem* operator->() const { return &current_; }
  SdesItemIterator& operator++();
  friend bool operator==(const SdesItemIterator& a, const SdesItemIterator& b) {
    return a.offset_ == b.offset_;
  }

 private:
  void Load();
  ByteSpan items_;
  size_t offset_;
  SdesItem current_;
};

// One chunk: an SSRC/CSRC and its items (up to, not including, the null terminator).
struct SdesChunkView {
  uint32_t ssrc = 0;
  ByteSpan item_bytes;
  SdesItemIterator begin() const { return SdesItemIterator(item_bytes, 0); }
  SdesItemIterator end() const { return SdesItemIterator(item_bytes, item_bytes.size()); }
  std::optional<std::string_view> Find(uint8_t type) const;
};

class SdesView {
 public:
  // Checks that there are exactly SC chunks, each item fits, each chunk ends with a null item and
  // zero bytes up to the next 32-bit boundary, and nothing follows the last chunk.
  static absl::StatusOr<SdesView> Parse(const RtcpPacket& packet);

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = SdesChunkView;
    using difference_type = std::ptrdiff_t;
    using pointer = const SdesChunkView*;
    using reference = const SdesChunkView&;
    Iterator(ByteSpan payload, size_t offset);
    const SdesChunkView& operator*() const { return current_; }
    const SdesChunkView* operator->() const { return &current_; }
    Iterator& operator++();
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.offset_ == b.offset_; }

   private:
    void Load();
    ByteSpan payload_;
    size_t offset_;
    size_t next_ = 0;
    SdesChunkView current_;
  };
  Iterator begin() const { return Iterator(payload_, 0); }
  Iterator end() const { return Iterator(payload_, payload_.size()); }
  size_t chunk_count() const { return count_; }
  // The CNAME of a source, if its chunk has one.
  std::optional<std::string_view> FindCname(uint32_t ssrc) const;

 private:
  ByteSpan payload_;
  size_t count_ = 0;
};

struct SdesChunk {
  uint32_t ssrc = 0;
  std::span<const SdesItem> items;
};

struct Sdes {
  std::span<const SdesChunk> chunks;  // at most 31
  uint8_t PacketType() const { return kRtcpSdes; }
  uint8_t CountField() const { return static_cast<uint8_t>(chunks.size()); }
  absl::Status Validate() const;
  void WriteBody(ByteWriter& w) const;
};

// The usual SDES: one chunk with one CNAME item (RFC 3550 §6.5.1).
struct SdesCname {
  uint32_t ssrc = 0;
  std::string_view cname;  // 1..255 bytes
  uint8_t PacketType() const { return kRtcpSdes; }
  uint8_t CountField() const { return 1; }
  absl::Status Validate() const;
  void WriteBody(ByteWriter& w) const;
};

// --- BYE -------------------------------------------------------------------------------------------

class ByeView {
 public:
  static absl::StatusOr<ByeView> Parse(const RtcpPacket& packet);
  size_t ssrc_count() const { return count_; }
  uint32_t ssrc(size_t i) const { return LoadBigEndian32(payload_.data() + 4 * i); }
  std::optional<std::string_view> reason() const { return reason_; }

 private:
  ByteSpan payload_;
  size_t count_ = 0;
  std::optional<std::string_view> reason_;
};

struct Bye {
  std::span<const uint32_t> ssrcs;         // at most 31
  std::optional<std::string_view> reason;  // at most 255 bytes
  uint8_t PacketType() const { return kRtcpBye; }
  uint8_t CountField() const { return static_cast<uint8_t>(ssrcs.size()); }
  absl::Status Validate() const;
  void WriteBody(ByteWriter& w) const;
};

// --- APP -------------------------------------------------------------------------------------------

class AppView {
 public:
  static absl::StatusOr<AppView> Parse(const RtcpPacket& packet);
  uint8_t subtype() const { return subtype_; }
  uint32_t ssrc() const { return LoadBigEndian32(payload_.data()); }
  std::string_view name() const { return AsString(payload_.subspan(4, 4)); }
  ByteSpan data() const { return payload_.subspan(8); }

 private:
  ByteSpan payload_;
  uint8_t subtype_ = 0;
};

struct App {
  uint8_t subtype = 0;  // 0..31
  uint32_t ssrc = 0;
  std::string_view name;  // exactly 4 ASCII characters
  ByteSpan data;          // a multiple of 4 bytes
  uint8_t PacketType() const { return kRtcpApp; }
  uint8_t CountField() const { return subtype; }
  absl::Status Validate() const;
  void WriteBody(ByteWriter& w) const;
};

// --- XR --------------------------------------------------------------------------------------------

inline constexpr uint8_t kXrRrtr = 4;  // Receiver Reference Time Report block (RFC 3611 §4.4)
inline constexpr uint8_t kXrDlrr = 5;  // DLRR block (RFC 3611 §4.5)

struct XrBlock {
  uint8_t type = 0;  // BT
  uint8_t type_specific = 0;
  ByteSpan contents;  // block_length * 4 bytes
};

struct Rrtr {
  uint64_t ntp_timestamp = 0;
  friend bool operator==(const Rrtr&, const Rrtr&) = default;
};

struct DlrrSubBlock {
  uint32_t ssrc = 0;
  uint32_t last_rr = 0;
  uint32_t delay_since_last_rr = 0;  // 1/65536 s
  friend bool operator==(const DlrrSubBlock&, const DlrrSubBlock&) = default;
};

class XrBlockIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = XrBlock;
  using difference_type = std::ptrdiff_t;
  using pointer = const XrBlock*;
  using reference = const XrBlock&;
  XrBlockIterator(ByteSpan blocks, size_t offset);
  const XrBlock& operator*() const { return current_; }
  const XrBlock* operator->() const { return &current_; }
  XrBlockIterator& operator++();
  friend bool operator==(const XrBlockIterator& a, const XrBlockIterator& b) {
    return a.offset_ == b.offset_;
  }

 private:
  void Load();
  ByteSpan blocks_;
  size_t offset_;
  XrBlock current_;
};

class ExtendedReportsView {
 public:
  // Checks that every block's length fits and that RRTR and DLRR blocks have their sizes. Blocks of
  // other types are kept, unread, in the iteration.
  static absl::StatusOr<ExtendedReportsView> Parse(const RtcpPacket& packet);
  uint32_t sender_ssrc() const { return LoadBigEndian32(payload_.data()); }
  XrBlockIterator begin() const { return XrBlockIterator(payload_.subspan(4), 0); }
  XrBlockIterator end() const { return XrBlockIterator(payload_.subspan(4), payload_.size() - 4); }
  size_t block_count() const { return count_; }
  // The first RRTR block's timestamp, if any.
  std::optional<Rrtr> rrtr() const;

  // Readers for one block of a validated view.
  static Rrtr ReadRrtr(const XrBlock& block) { return Rrtr{LoadBigEndian64(block.contents.data())}; }
  static size_t DlrrSubBlockCount(const XrBlock& block) { return block.contents.size() / 12; }
  static DlrrSubBlock ReadDlrrSubBlock(const XrBlock& block, size_t i);

 private:
  ByteSpan payload_;
  size_t count_ = 0;
};

struct ExtendedReports {
  uint32_t sender_ssrc = 0;
  std::optional<Rrtr> rrtr;               // written first, when set
  std::span<const DlrrSubBlock> dlrr;     // one DLRR block, when not empty
  std::span<const XrBlock> other_blocks;  // written last, as they are (contents a multiple of 4)
  uint8_t PacketType() const { return kRtcpXr; }
  uint8_t CountField() const { return 0; }
  absl::Status Validate() const;
  void WriteBody(ByteWriter& w) const;
};

}  // namespace tern::rtp

#endif  // TERN_RTP_RTCP_REPORTS_H_
