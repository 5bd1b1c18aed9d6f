#include "tern/rtp/rtcp_feedback.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "tern/base/strings.h"

namespace tern::rtp {
namespace {

absl::StatusOr<FeedbackView> ParseFeedback(const RtcpPacket& packet, uint8_t type, uint8_t format,
                                           std::string_view name) {
  if (packet.type != type || packet.count != format) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTCP packet type ", packet.type, " format ", packet.count, " is not ", ToAbsl(name)));
  }
  return FeedbackView::Parse(packet);
}

constexpr uint8_t kRembIdentifier[4] = {'R', 'E', 'M', 'B'};

}  // namespace

absl::StatusOr<FeedbackView> FeedbackView::Parse(const RtcpPacket& packet) {
  if (packet.type != kRtcpRtpfb && packet.type != kRtcpPsfb) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTCP packet type ", packet.type, " is not a feedback message"));
  }
  if (packet.payload.size() < kFeedbackHeaderSize) {
    return absl::InvalidArgumentError(absl::StrCat("RTCP feedback body of ", packet.payload.size(),
                                                   " bytes is too short for its two SSRCs"));
  }
  FeedbackView v;
  v.payload_ = packet.payload;
  v.type_ = packet.type;
  v.format_ = packet.count;
  return v;
}

// --- NACK ------------------------------------------------------------------------------------------

absl::StatusOr<NackView> NackView::Parse(const RtcpPacket& packet) {
  absl::StatusOr<FeedbackView> fb = ParseFeedback(packet, kRtcpRtpfb, kRtpfbNack, "a generic NACK");
  if (!fb.ok()) return fb.status();
  size_t fci = fb->fci().size();
  if (fci == 0) return absl::InvalidArgumentError("RTCP generic NACK has no FCI entry");
  if (fci % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTCP generic NACK FCI of ", fci, " bytes is not a whole number of 4-byte entries"));
  }
  NackView v;
  v.feedback_ = *fb;
  return v;
}

NackItem NackView::item(size_t i) const {
  const uint8_t* p = feedback_.fci().data() + 4 * i;
  return NackItem{LoadBigEndian16(p), LoadBigEndian16(p + 2)};
}

void NackView::AppendLost(std::vector<uint16_t>* out) const {
  size_t n = item_count();
  for (size_t i = 0; i < n; ++i) {
    NackItem it = item(i);
    out->push_back(it.pid);
    for (int bit = 0; bit < 16; ++bit) {
      if (it.blp & (1u << bit)) out->push_back(static_cast<uint16_t>(it.pid + bit + 1));
    }
  }
}

std::vector<uint16_t> NackView::Lost() const {
  std::vector<uint16_t> out;
  AppendLost(&out);
  return out;
}

absl::Status Nack::Validate() const {
  if (lost.empty()) return absl::InvalidArgumentError("RTCP generic NACK needs at least one lost packet");
  return absl::OkStatus();
}

void Nack::WriteBody(ByteWriter& w) const {
  w.WriteU32(sender_ssrc);
  w.WriteU32(media_ssrc);
  uint16_t pid = lost[0];
  uint16_t blp = 0;
  int highest = -1;  // highest BLP bit set so far
  for (size_t i = 1; i < lost.size(); ++i) {
    int bit = static_cast<uint16_t>(lost[i] - pid) - 1;
    if (bit >= 0 && bit < 16 && bit > highest) {
      blp |= static_cast<uint16_t>(1u << bit);
      highest = bit;
      continue;
    }
    w.WriteU16(pid);
    w.WriteU16(blp);
    pid = lost[i];
    blp = 0;
    highest = -1;
  }
  w.WriteU16(pid);
  w.WriteU16(blp);
}

// --- PLI -------------------------------------------------------------------------------------------

absl::StatusOr<PliView> PliView::Parse(const RtcpPacket& packet) {
  absl::StatusOr<FeedbackView> fb = ParseFeedback(packet, kRtcpPsfb, kPsfbPli, "a PLI");
  if (!fb.ok()) return fb.status();
  if (!fb->fci().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTCP PLI must have no FCI (RFC 4585 §6.3.1), has ", fb->fci().size(), " bytes"));
  }
  PliView v;
  v.feedback_ = *fb;
  return v;
}

// --- FIR -------------------------------------------------------------------------------------------

absl::StatusOr<FirView> FirView::Parse(const RtcpPacket& packet) {
  absl::StatusOr<FeedbackView> fb = ParseFeedback(packet, kRtcpPsfb, kPsfbFir, "a FIR");
  if (!fb.ok()) return fb.status();
  size_t fci = fb->fci().size();
  if (fci == 0) return absl::InvalidArgumentError("RTCP FIR has no FCI entry");
  if (fci % 8 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTCP FIR FCI of ", fci, " bytes is not a whole number of 8-byte entries"));
  }
  FirView v;
  v.feedback_ = *fb;
  return v;
}

FirEntry FirView::entry(size_t i) const {
  const uint8_t* p = feedback_.fci().data() + 8 * i;
  return FirEntry{LoadBigEndian32(p), p[4]};
}

absl::Status Fir::Validate() const {
  if (entries.empty()) return absl::InvalidArgumentError("RTCP FIR needs at least one FCI entry");
  return absl::OkStatus();
}

void Fir::WriteBody(ByteWriter& w) const {
  w.WriteU32(sender_ssrc);
  w.WriteU32(0);  // RFC 5104 §4.3.1.2: the media source SSRC is not used
  for (const FirEntry& e : entries) {
    w.WriteU32(e.ssrc);
    w.WriteU8(e.sequence_number);
    w.WriteU24(0);
  }
}

// --- REMB ------------------------------------------------------------------------------------------

bool IsRemb(const RtcpPacket& packet) {
  return packet.type == kRtcpPsfb && packet.count == kPsfbApplicationLayer &&
         packet.payload.size() >= kFeedbackHeaderSize + 4 &&
         std::memcmp(packet.payload.data() + kFeedbackHeaderSize, kRembIdentifier, 4) == 0;
}

absl::StatusOr<RembView> RembView::Parse(const RtcpPacket& packet) {
  absl::StatusOr<FeedbackView> fb = ParseFeedback(packet, kRtcpPsfb, kPsfbApplicationLayer, "a REMB");
  if (!fb.ok()) return fb.status();
  ByteSpan fci = fb->fci();
  if (fci.size() < 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTCP REMB FCI of ", fci.size(), " bytes is too short for its identifier and bitrate"));
  }
  if (std::memcmp(fci.data(), kRembIdentifier, 4) != 0) {
    return absl::InvalidArgumentError(
        "RTCP application-layer feedback does not carry the \"REMB\" identifier");
  }
  size_t count = fci[4];
  if (fci.size() != 8 + 4 * count) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTCP REMB announces ", count, " SSRCs but has ", fci.size() - 8, " bytes for them"));
  }
  uint32_t exponent = fci[5] >> 2;
  uint64_t mantissa = ((uint64_t{fci[5]} & 0x03) << 16) | (uint64_t{fci[6]} << 8) | fci[7];
  uint64_t bitrate = mantissa << exponent;
  if ((bitrate >> exponent) != mantissa) {
    return absl::InvalidArgumentError("RTCP REMB bitrate (mantissa << exponent) does not fit 64 bits");
  }
  RembView v;
  v.feedback_ = *fb;
  v.bitrate_ = bitrate;
  return v;
}

absl::Status Remb::Validate() const {
  if (ssrcs.size() > 255) return absl::InvalidArgumentError("RTCP REMB can list at most 255 SSRCs");
  return absl::OkStatus();
}

void Remb::WriteBody(ByteWriter& w) const {
  w.WriteU32(sender_ssrc);
  w.WriteU32(0);  // media source SSRC: unused, 0
  w.WriteBytes(ByteSpan(kRembIdentifier, 4));
  uint64_t mantissa = bitrate_bps;
  uint32_t exponent = 0;
  while (mantissa > 0x3FFFF) {
    mantissa >>= 1;
    ++exponent;
  }
  w.WriteU8(static_cast<uint8_t>(ssrcs.size()));
  w.WriteU24(static_cast<uint32_t>((exponent << 18) | mantissa));
  for (uint32_t ssrc : ssrcs) w.WriteU32(ssrc);
}

}  // namespace tern::rtp
