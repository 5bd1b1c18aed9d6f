#include "tern/rtp/rtcp_packet.h"

#include "absl/strings/str_cat.h"

namespace tern::rtp {

absl::StatusOr<RtcpPacket> ParseRtcpPacket(ByteSpan data) {
  if (data.size() < kRtcpHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTCP packet of ", data.size(), " bytes is shorter than the 4-byte header"));
  }
  uint8_t version = data[0] >> 6;
  if (version != 2) return absl::InvalidArgumentError(absl::StrCat("RTCP version must be 2, is ", version));
  size_t words = LoadBigEndian16(data.data() + 2);
  size_t length = (words + 1) * 4;
  if (length > data.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RTCP packet length (", words, " words + 1) runs past the end: ", data.size(), " bytes left"));
  }
  RtcpPacket p;
  p.count = data[0] & 0x1F;
  p.type = data[1];
  p.has_padding = (data[0] & 0x20) != 0;
  p.bytes = data.first(length);
  size_t body = length - kRtcpHeaderSize;
  size_t padding = 0;
  if (p.has_padding) {
    if (body == 0) return absl::InvalidArgumentError("RTCP padding bit is set on a packet with no body");
    padding = data[length - 1];
    if (padding == 0) return absl::InvalidArgumentError("RTCP padding count is zero");
    if (padding > body) {
      return absl::InvalidArgumentError(absl::StrCat("RTCP padding count ", padding,
                                                     " is larger than the packet body of ", body, " bytes"));
    }
  }
  p.payload = data.subspan(kRtcpHeaderSize, body - padding);
  return p;
}

absl::StatusOr<RtcpCompoundView> RtcpCompoundView::Parse(ByteSpan datagram, const RtcpParseOptions& options) {
  if (datagram.empty()) return absl::InvalidArgumentError("RTCP compound packet is empty");
  RtcpCompoundView view;
  view.bytes_ = datagram;
  size_t offset = 0;
  while (offset < datagram.size()) {
    absl::StatusOr<RtcpPacket> p = ParseRtcpPacket(datagram.subspan(offset));
    if (!p.ok()) {
      return absl::Status(p.status().code(), absl::StrCat(p.status().message(), " (packet ",
                                                          view.packet_count_ + 1, " of the compound)"));
    }
    if (view.packet_count_ == 0 && !options.allow_reduced_size && p->type != kRtcpSenderReport &&
        p->type != kRtcpReceiverReport) {
      return absl::InvalidArgumentError(
          absl::StrCat("RTCP compound packet must start with SR or RR (RFC 3550 §6.1) unless reduced-size "
                       "RTCP is allowed; it starts with packet type ",
                       p->type));
    }
    offset += p->bytes.size();
    if (p->has_padding && offset < datagram.size() && !options.allow_padding_on_any_packet) {
      return absl::InvalidArgumentError(absl::StrCat("RTCP padding bit is set on packet ",
                                                     view.packet_count_ + 1,
                                                     ", which is not the last of the compound packet"));
    }
    ++view.packet_count_;
  }
  return view;
}

RtcpCompoundView::Iterator::Iterator(ByteSpan bytes, size_t offset) : bytes_(bytes), offset_(offset) {
  Load();
}

void RtcpCompoundView::Iterator::Load() {
  if (offset_ >= bytes_.size()) {
    current_ = RtcpPacket{};
    return;
  }
  absl::StatusOr<RtcpPacket> p = ParseRtcpPacket(bytes_.subspan(offset_));
  if (p.ok()) {
    current_ = *p;
  } else {  // cannot happen on a validated view; end the iteration rather than loop
    offset_ = bytes_.size();
    current_ = RtcpPacket{};
  }
}

RtcpCompoundView::Iterator& RtcpCompoundView::Iterator::operator++() {
  offset_ += current_.bytes.size();
  Load();
  return *this;
}

absl::Status RawRtcpPacket::Validate() const {
  if (count > kRtcpMaxCount) return absl::InvalidArgumentError("RTCP count field must be 0..31");
  if (body.size() % 4 != 0)
    return absl::InvalidArgumentError("RTCP packet body must be a multiple of 4 bytes");
  return absl::OkStatus();
}

void RtcpCompoundBuilder::Fail(absl::Status status) {
  if (status_.ok()) status_ = std::move(status);
}

size_t RtcpCompoundBuilder::BeginPacket(uint8_t count, uint8_t type) {
  size_t start = w_.size();
  if (finished_) {
    Fail(absl::FailedPreconditionError("RTCP compound packet already finished"));
    return start;
  }
  w_.WriteU8(static_cast<uint8_t>(0x80 | (count & 0x1F)));
  w_.WriteU8(type);
  w_.WriteU16(0);
  return start;
}

void RtcpCompoundBuilder::EndPacket(size_t start) {
  if (!status_.ok()) return;
  if (!w_.ok()) {
    Fail(absl::ResourceExhaustedError("RTCP compound packet does not fit the buffer"));
    return;
  }
  size_t length = w_.size() - start;
  if (length % 4 != 0) {
    Fail(absl::InternalError("RTCP packet body is not a multiple of 4 bytes"));
    return;
  }
  if (length / 4 - 1 > 0xFFFF) {
    Fail(absl::InvalidArgumentError("RTCP packet is longer than the 16-bit length field allows"));
    return;
  }
  StoreBigEndian16(w_.buffer().data() + start + 2, static_cast<uint16_t>(length / 4 - 1));
  last_start_ = start;
  ++packet_count_;
}

absl::StatusOr<ByteSpan> RtcpCompoundBuilder::Finish(size_t padding) {
  if (!status_.ok()) return status_;
  if (finished_) {
    Fail(absl::FailedPreconditionError("RTCP compound packet already finished"));
    return status_;
  }
  if (packet_count_ == 0) {
    Fail(absl::FailedPreconditionError("RTCP compound packet has no packets"));
    return status_;
  }
  if (padding != 0) {
    if (padding % 4 != 0 || padding > 252) {
      Fail(absl::InvalidArgumentError("RTCP padding must be a multiple of 4 bytes, at most 252"));
      return status_;
    }
    w_.WriteZeros(padding - 1);
    w_.WriteU8(static_cast<uint8_t>(padding));
    if (!w_.ok()) {
      Fail(absl::ResourceExhaustedError("RTCP compound packet does not fit the buffer"));
      return status_;
    }
    uint8_t* p = w_.buffer().data() + last_start_;
    size_t length = w_.size() - last_start_;
    if (length / 4 - 1 > 0xFFFF) {
      Fail(absl::InvalidArgumentError("RTCP packet is longer than the 16-bit length field allows"));
      return status_;
    }
    p[0] |= 0x20;
    StoreBigEndian16(p + 2, static_cast<uint16_t>(length / 4 - 1));
  }
  finished_ = true;
  return w_.written();
}

}  // namespace tern::rtp
