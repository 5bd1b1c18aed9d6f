#include "tern/rtp/rtcp_reports.h"

#include "absl/strings/str_cat.h"
#include "tern/base/strings.h"

namespace tern::rtp {
namespace {

absl::Status CheckType(const RtcpPacket& packet, uint8_t type, std::string_view name) {
  if (packet.type != type) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTCP packet type ", packet.type, " is not ", ToAbsl(name)));
  }
  return absl::OkStatus();
}

ReportBlock ReadReportBlock(const uint8_t* p) {
  ReportBlock b;
  b.ssrc = LoadBigEndian32(p);
  b.fraction_lost = p[4];
  uint32_t lost = (uint32_t{p[5]} << 16) | (uint32_t{p[6]} << 8) | p[7];
  b.cumulative_lost = (lost & 0x800000) ? static_cast<int32_t>(lost) - 0x1000000 : static_cast<int32_t>(lost);
  b.extended_highest_sequence = LoadBigEndian32(p + 8);
  b.jitter = LoadBigEndian32(p + 12);
  b.last_sr = LoadBigEndian32(p + 16);
  b.delay_since_last_sr = LoadBigEndian32(p + 20);
  return b;
}

absl::Status ValidateReportBlocks(std::span<const ReportBlock> blocks, ByteSpan profile_extension) {
  if (blocks.size() > kRtcpMaxCount)
    return absl::InvalidArgumentError("RTCP report has more than 31 report blocks");
  for (const ReportBlock& b : blocks) {
    if (b.cumulative_lost < -0x800000 || b.cumulative_lost > 0x7FFFFF) {
      return absl::InvalidArgumentError("RTCP report block cumulative loss does not fit 24 signed bits");
    }
  }
  if (profile_extension.size() % 4 != 0) {
    return absl::InvalidArgumentError("RTCP report profile extension must be a multiple of 4 bytes");
  }
  return absl::OkStatus();
}

void WriteReportBlocks(ByteWriter& w, std::span<const ReportBlock> blocks) {
  for (const ReportBlock& b : blocks) {
    w.WriteU32(b.ssrc);
    w.WriteU8(b.fraction_lost);
    w.WriteU24(static_cast<uint32_t>(b.cumulative_lost) & 0xFFFFFF);
    w.WriteU32(b.extended_highest_sequence);
    w.WriteU32(b.jitter);
    w.WriteU32(b.last_sr);
    w.WriteU32(b.delay_since_last_sr);
  }
}

}  // namespace

// --- SR / RR ---------------------------------------------------------------------------------------

absl::StatusOr<SenderReportView> SenderReportView::Parse(const RtcpPacket& packet) {
  if (absl::Status s = CheckType(packet, kRtcpSenderReport, "SR"); !s.ok()) return s;
  size_t need = 4 + kSenderInfoSize + packet.count * kReportBlockSize;
  if (packet.payload.size() < need) {
    return absl::InvalidArgumentError(absl::StrCat("RTCP SR with ", packet.count, " report blocks needs ",
                                                   need, " bytes of body, has ", packet.payload.size()));
  }
  SenderReportView v;
  v.payload_ = packet.payload;
  v.count_ = packet.count;
  return v;
}

SenderInfo SenderReportView::sender_info() const {
  const uint8_t* p = payload_.data() + 4;
  return SenderInfo{LoadBigEndian64(p), LoadBigEndian32(p + 8), LoadBigEndian32(p + 12),
                    LoadBigEndian32(p + 16)};
}

ReportBlock SenderReportView::report_block(size_t i) const {
  return ReadReportBlock(payload_.data() + 4 + kSenderInfoSize + i * kReportBlockSize);
}

absl::StatusOr<ReceiverReportView> ReceiverReportView::Parse(const RtcpPacket& packet) {
  if (absl::Status s = CheckType(packet, kRtcpReceiverReport, "RR"); !s.ok()) return s;
  size_t need = 4 + packet.count * kReportBlockSize;
  if (packet.payload.size() < need) {
    return absl::InvalidArgumentError(absl::StrCat("RTCP RR with ", packet.count, " report blocks needs ",
                                                   need, " bytes of body, has ", packet.payload.size()));
  }
  ReceiverReportView v;
  v.payload_ = packet.payload;
  v.count_ = packet.count;
  return v;
}

ReportBlock ReceiverReportView::report_block(size_t i) const {
  return ReadReportBlock(payload_.data() + 4 + i * kReportBlockSize);
}

absl::Status SenderReport::Validate() const { return ValidateReportBlocks(report_blocks, profile_extension); }

void SenderReport::WriteBody(ByteWriter& w) const {
  w.WriteU32(sender_ssrc);
  w.WriteU64(sender_info.ntp_timestamp);
  w.WriteU32(sender_info.rtp_timestamp);
  w.WriteU32(sender_info.packet_count);
  w.WriteU32(sender_info.octet_count);
  WriteReportBlocks(w, report_blocks);
  w.WriteBytes(profile_extension);
}

absl::Status ReceiverReport::Validate() const {
  return ValidateReportBlocks(report_blocks, profile_extension);
}

void ReceiverReport::WriteBody(ByteWriter& w) const {
  w.WriteU32(sender_ssrc);
  WriteReportBlocks(w, report_blocks);
  w.WriteBytes(profile_extension);
}

// --- SDES ------------------------------------------------------------------------------------------

SdesItemIterator::SdesItemIterator(ByteSpan items, size_t offset) : items_(items), offset_(offset) { Load(); }

void SdesItemIterator::Load() {
  if (offset_ + 2 > items_.size()) {
    offset_ = items_.size();
    current_ = SdesItem{};
    return;
  }
  size_t len = items_[offset_ + 1];
  current_ = SdesItem{items_[offset_], AsString(items_.subspan(offset_ + 2, len))};
}

SdesItemIterator& SdesItemIterator::operator++() {
  offset_ += 2 + current_.value.size();
  Load();
  return *this;
}

std::optional<std::string_view> SdesChunkView::Find(uint8_t type) const {
  for (const SdesItem& item : *this) {
    if (item.type == type) return item.value;
  }
  return std::nullopt;
}

absl::StatusOr<SdesView> SdesView::Parse(const RtcpPacket& packet) {
  if (absl::Status s = CheckType(packet, kRtcpSdes, "SDES"); !s.ok()) return s;
  ByteSpan p = packet.payload;
  size_t offset = 0;
  for (size_t chunk = 1; chunk <= packet.count; ++chunk) {
    if (p.size() - offset < 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("RTCP SDES chunk ", chunk, " of ", packet.count, " is truncated before its SSRC"));
    }
    offset += 4;
    while (true) {
      if (offset >= p.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("RTCP SDES chunk ", chunk, " has no null item ending its item list"));
      }
      uint8_t type = p[offset];
      if (type == kSdesEnd) break;
      if (p.size() - offset < 2) {
        return absl::InvalidArgumentError(absl::StrCat("RTCP SDES chunk ", chunk, ": item of type ", type,
                                                       " is truncated before its length"));
      }
      size_t len = p[offset + 1];
      if (p.size() - offset - 2 < len) {
        return absl::InvalidArgumentError(absl::StrCat("RTCP SDES chunk ", chunk, ": item of type ", type,
                                                       " (", len, " bytes) runs past the end of the packet"));
      }
      offset += 2 + len;
    }
    size_t end = (offset + 4) & ~size_t{3};  // the null item, then zeros to the 32-bit boundary
    if (end > p.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("RTCP SDES chunk ", chunk, " is not padded with nulls to a 32-bit boundary"));
    }
    for (size_t i = offset; i < end; ++i) {
      if (p[i] != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("RTCP SDES chunk ", chunk, " has a non-zero byte in its null padding"));
      }
    }
    offset = end;
  }
  if (offset != p.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTCP SDES has ", p.size() - offset, " bytes after its ", packet.count, " chunks"));
  }
  SdesView v;
  v.payload_ = p;
  v.count_ = packet.count;
  return v;
}

SdesView::Iterator::Iterator(ByteSpan payload, size_t offset) : payload_(payload), offset_(offset) { Load(); }

void SdesView::Iterator::Load() {
  if (offset_ + 4 > payload_.size()) {
    offset_ = payload_.size();
    current_ = SdesChunkView{};
    return;
  }
  size_t i = offset_ + 4;
  while (i < payload_.size() && payload_[i] != kSdesEnd) i += 2 + payload_[i + 1];
  current_ = SdesChunkView{LoadBigEndian32(payload_.data() + offset_),
                           payload_.subspan(offset_ + 4, i - offset_ - 4)};
  next_ = (i + 4) & ~size_t{3};
}

SdesView::Iterator& SdesView::Iterator::operator++() {
  offset_ = next_;
  Load();
  return *this;
}

std::optional<std::string_view> SdesView::FindCname(uint32_t ssrc) const {
  for (const SdesChunkView& chunk : *this) {
    if (chunk.ssrc == ssrc) {
      if (std::optional<std::string_view> cname = chunk.Find(kSdesCname)) return cname;
    }
  }
  return std::nullopt;
}

namespace {

absl::Status ValidateSdesItem(const SdesItem& item) {
  if (item.type == kSdesEnd)
    return absl::InvalidArgumentError("RTCP SDES item type 0 is the chunk terminator");
  if (item.value.size() > 255) return absl::InvalidArgumentError("RTCP SDES item is longer than 255 bytes");
  return absl::OkStatus();
}

void WriteSdesChunk(ByteWriter& w, uint32_t ssrc, std::span<const SdesItem> items) {
  w.WriteU32(ssrc);
  size_t size = 0;
  for (const SdesItem& item : items) {
    w.WriteU8(item.type);
    w.WriteU8(static_cast<uint8_t>(item.value.size()));
    w.WriteString(item.value);
    size += 2 + item.value.size();
  }
  w.WriteZeros(4 - size % 4);  // the null item and the padding: 1..4 bytes
}

}  // namespace

absl::Status Sdes::Validate() const {
  if (chunks.size() > kRtcpMaxCount) return absl::InvalidArgumentError("RTCP SDES has more than 31 chunks");
  for (const SdesChunk& c : chunks) {
    for (const SdesItem& item : c.items) {
      if (absl::Status s = ValidateSdesItem(item); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

void Sdes::WriteBody(ByteWriter& w) const {
  for (const SdesChunk& c : chunks) WriteSdesChunk(w, c.ssrc, c.items);
}

absl::Status SdesCname::Validate() const {
  if (cname.empty()) return absl::InvalidArgumentError("RTCP SDES CNAME is empty");
  return ValidateSdesItem(SdesItem{kSdesCname, cname});
}

void SdesCname::WriteBody(ByteWriter& w) const {
  SdesItem item{kSdesCname, cname};
  WriteSdesChunk(w, ssrc, std::span<const SdesItem>(&item, 1));
}

// --- BYE -------------------------------------------------------------------------------------------

absl::StatusOr<ByeView> ByeView::Parse(const RtcpPacket& packet) {
  if (absl::Status s = CheckType(packet, kRtcpBye, "BYE"); !s.ok()) return s;
  ByteSpan p = packet.payload;
  size_t offset = 4 * size_t{packet.count};
  if (p.size() < offset) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTCP BYE with ", packet.count, " SSRCs has only ", p.size(), " bytes of body"));
  }
  ByeView v;
  v.payload_ = p;
  v.count_ = packet.count;
  if (offset < p.size()) {
    size_t len = p[offset];
    if (p.size() - offset - 1 < len) {
      return absl::InvalidArgumentError(
          absl::StrCat("RTCP BYE reason of ", len, " bytes runs past the end of the packet"));
    }
    v.reason_ = AsString(p.subspan(offset + 1, len));
    offset += 1 + len;
    if (p.size() - offset >= 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("RTCP BYE has ", p.size() - offset, " bytes after its reason"));
    }
    for (size_t i = offset; i < p.size(); ++i) {
      if (p[i] != 0) return absl::InvalidArgumentError("RTCP BYE reason padding is not zero");
    }
  }
  return v;
}

absl::Status Bye::Validate() const {
  if (ssrcs.size() > kRtcpMaxCount) return absl::InvalidArgumentError("RTCP BYE has more than 31 SSRCs");
  if (reason && reason->size() > 255)
    return absl::InvalidArgumentError("RTCP BYE reason is longer than 255 bytes");
  return absl::OkStatus();
}

void Bye::WriteBody(ByteWriter& w) const {
  for (uint32_t ssrc : ssrcs) w.WriteU32(ssrc);
  if (reason) {
    w.WriteU8(static_cast<uint8_t>(reason->size()));
    w.WriteString(*reason);
    w.WriteZeros((4 - (1 + reason->size()) % 4) % 4);
  }
}

// --- APP -------------------------------------------------------------------------------------------

absl::StatusOr<AppView> AppView::Parse(const RtcpPacket& packet) {
  if (absl::Status s = CheckType(packet, kRtcpApp, "APP"); !s.ok()) return s;
  if (packet.payload.size() < 8) {
    return absl::InvalidArgumentError(absl::StrCat("RTCP APP body of ", packet.payload.size(),
                                                   " bytes is too short for its SSRC and name"));
  }
  if (packet.payload.size() % 4 != 0) {
    return absl::InvalidArgumentError("RTCP APP application data is not a multiple of 4 bytes");
  }
  AppView v;
  v.payload_ = packet.payload;
  v.subtype_ = packet.count;
  return v;
}

absl::Status App::Validate() const {
  if (subtype > kRtcpMaxCount) return absl::InvalidArgumentError("RTCP APP subtype must be 0..31");
  if (name.size() != 4) return absl::InvalidArgumentError("RTCP APP name must be exactly 4 characters");
  if (data.size() % 4 != 0) return absl::InvalidArgumentError("RTCP APP data must be a multiple of 4 bytes");
  return absl::OkStatus();
}

void App::WriteBody(ByteWriter& w) const {
  w.WriteU32(ssrc);
  w.WriteString(name);
  w.WriteBytes(data);
}

// --- XR --------------------------------------------------------------------------------------------

XrBlockIterator::XrBlockIterator(ByteSpan blocks, size_t offset) : blocks_(blocks), offset_(offset) {
  Load();
}

void XrBlockIterator::Load() {
  if (offset_ + 4 > blocks_.size()) {
    offset_ = blocks_.size();
    current_ = XrBlock{};
    return;
  }
  size_t len = 4 * size_t{LoadBigEndian16(blocks_.data() + offset_ + 2)};
  current_ = XrBlock{blocks_[offset_], blocks_[offset_ + 1], blocks_.subspan(offset_ + 4, len)};
}

XrBlockIterator& XrBlockIterator::operator++() {
  offset_ += 4 + current_.contents.size();
  Load();
  return *this;
}

absl::StatusOr<ExtendedReportsView> ExtendedReportsView::Parse(const RtcpPacket& packet) {
  if (absl::Status s = CheckType(packet, kRtcpXr, "XR"); !s.ok()) return s;
  ByteSpan p = packet.payload;
  if (p.size() < 4) return absl::InvalidArgumentError("RTCP XR body is too short for its SSRC");
  ExtendedReportsView v;
  v.payload_ = p;
  size_t offset = 4;
  while (offset < p.size()) {
    if (p.size() - offset < 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("RTCP XR block ", v.count_ + 1, " is truncated before the end of its header"));
    }
    uint8_t type = p[offset];
    size_t len = 4 * size_t{LoadBigEndian16(p.data() + offset + 2)};
    offset += 4;
    if (p.size() - offset < len) {
      return absl::InvalidArgumentError(absl::StrCat("RTCP XR block ", v.count_ + 1, " (type ", type, ", ",
                                                     len / 4, " words) runs past the end of the packet"));
    }
    if (type == kXrRrtr && len != 8) {
      return absl::InvalidArgumentError(
          absl::StrCat("RTCP XR RRTR block must be 2 words long, is ", len / 4));
    }
    if (type == kXrDlrr && len % 12 != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("RTCP XR DLRR block length (", len / 4, " words) is not a multiple of 3 words"));
    }
    offset += len;
    ++v.count_;
  }
  return v;
}

std::optional<Rrtr> ExtendedReportsView::rrtr() const {
  for (const XrBlock& b : *this) {
    if (b.type == kXrRrtr) return ReadRrtr(b);
  }
  return std::nullopt;
}

DlrrSubBlock ExtendedReportsView::ReadDlrrSubBlock(const XrBlock& block, size_t i) {
  const uint8_t* p = block.contents.data() + 12 * i;
  return DlrrSubBlock{LoadBigEndian32(p), LoadBigEndian32(p + 4), LoadBigEndian32(p + 8)};
}

absl::Status ExtendedReports::Validate() const {
  if (dlrr.size() * 3 > 0xFFFF)
    return absl::InvalidArgumentError("RTCP XR DLRR block has too many sub-blocks");
  for (const XrBlock& b : other_blocks) {
    if (b.contents.size() % 4 != 0 || b.contents.size() / 4 > 0xFFFF) {
      return absl::InvalidArgumentError(
          "RTCP XR block contents must be a multiple of 4 bytes, at most 65535 words");
    }
    if (b.type == kXrRrtr && b.contents.size() != 8) {
      return absl::InvalidArgumentError("RTCP XR RRTR block must be 2 words long");
    }
    if (b.type == kXrDlrr && b.contents.size() % 12 != 0) {
      return absl::InvalidArgumentError("RTCP XR DLRR block length must be a multiple of 3 words");
    }
  }
  return absl::OkStatus();
}

void ExtendedReports::WriteBody(ByteWriter& w) const {
  w.WriteU32(sender_ssrc);
  if (rrtr) {
    w.WriteU8(kXrRrtr);
    w.WriteU8(0);
    w.WriteU16(2);
    w.WriteU64(rrtr->ntp_timestamp);
  }
  if (!dlrr.empty()) {
    w.WriteU8(kXrDlrr);
    w.WriteU8(0);
    w.WriteU16(static_cast<uint16_t>(3 * dlrr.size()));
    for (const DlrrSubBlock& d : dlrr) {
      w.WriteU32(d.ssrc);
      w.WriteU32(d.last_rr);
      w.WriteU32(d.delay_since_last_rr);
    }
  }
  for (const XrBlock& b : other_blocks) {
    w.WriteU8(b.type);
    w.WriteU8(b.type_specific);
    w.WriteU16(static_cast<uint16_t>(b.contents.size() / 4));
    w.WriteBytes(b.contents);
  }
}

}  // namespace tern::rtp
