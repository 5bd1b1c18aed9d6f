#include "srtp/replay_window.h"

#include <algorithm>
#include <cstring>

namespace tern::srtp {

namespace {

constexpr int32_t kSeqMedian = 0x8000;  // 2^15
constexpr int32_t kSeqMax = 0x10000;    // 2^16

size_t RingBits(size_t window) {
  size_t ring = 64;
  while (ring < window) ring <<= 1;
  return ring;
}

}  // namespace

RtpReplayWindow::RtpReplayWindow(size_t window)
    : window_(window), ring_mask_(RingBits(window) - 1), bits_(new uint64_t[RingBits(window) / 64]()) {}

RtpReplayWindow::Estimate RtpReplayWindow::EstimateIndex(uint16_t seq) const {
  const int32_t s = seq;
  if (index_ <= static_cast<uint64_t>(kSeqMedian)) {
    // ROC is taken as 0 until the stream has moved past 2^15.
    return {static_cast<uint64_t>(seq), s - static_cast<int32_t>(static_cast<uint16_t>(index_))};
  }
  const uint32_t local_roc = static_cast<uint32_t>(index_ >> 16);
  const int32_t local_seq = static_cast<uint16_t>(index_);
  uint32_t guess_roc = local_roc;
  int32_t difference = s - local_seq;
  if (local_seq < kSeqMedian) {
    if (s - local_seq > kSeqMedian) {
      guess_roc = local_roc - 1;
      difference = s - local_seq - kSeqMax;
    }
  } else if (local_seq - kSeqMedian > s) {
    guess_roc = local_roc + 1;
    difference = s - local_seq + kSeqMax;
  }
  return {(static_cast<uint64_t>(guess_roc) << 16) | seq, difference};
}

ReplayVerdict RtpReplayWindow::Check(int32_t delta) const {
  if (delta > 0) return ReplayVerdict::kNew;
  if (static_cast<int64_t>(window_) - 1 + delta < 0) return ReplayVerdict::kTooOld;
  return GetBit(index_ + static_cast<int64_t>(delta)) ? ReplayVerdict::kDuplicate : ReplayVerdict::kNew;
}

void RtpReplayWindow::Add(int32_t delta) {
  if (delta > 0) {
    ClearRange(index_ + 1, static_cast<uint64_t>(delta));
    index_ += static_cast<uint64_t>(delta);
    SetBit(index_);
  } else {
    SetBit(index_ + static_cast<int64_t>(delta));
  }
}

bool RtpReplayWindow::GetBit(uint64_t index) const {
  const uint64_t pos = index & ring_mask_;
  return (bits_[pos >> 6] >> (pos & 63)) & 1;
}

void RtpReplayWindow::SetBit(uint64_t index) {
  const uint64_t pos = index & ring_mask_;
  bits_[pos >> 6] |= uint64_t{1} << (pos & 63);
}

void RtpReplayWindow::ClearRange(uint64_t first, uint64_t count) {
  const uint64_t ring = ring_mask_ + 1;
  if (count >= ring) {
    std::memset(bits_.get(), 0, ring / 8);
    return;
  }
  while (count > 0) {
    const uint64_t pos = first & ring_mask_;
    const unsigned bit = pos & 63;
    // The ring is a multiple of 64 bits, so a run to the end of this word never wraps the ring.
    const uint64_t n = std::min<uint64_t>(count, 64 - bit);
    const uint64_t mask = n == 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1) << bit;
    bits_[pos >> 6] &= ~mask;
    first += n;
    count -= n;
  }
}

ReplayVerdict RtcpReplayWindow::Check(uint32_t index) const {
  if (index >= window_start_ + kBits) return ReplayVerdict::kNew;
  if (index < window_start_) return ReplayVerdict::kTooOld;
  return GetBit(index - window_start_) ? ReplayVerdict::kDuplicate : ReplayVerdict::kNew;
}

void RtcpReplayWindow::Add(uint32_t index) {
  if (index < window_start_) return;
  uint32_t delta = index - window_start_;
  if (delta < kBits) {
    SetBit(delta);
    return;
  }
  // Slide the window so that `index` is its last bit.
  const uint32_t shift = delta - (kBits - 1);
  if (shift >= 128) {
    bits_[0] = bits_[1] = 0;
  } else if (shift >= 64) {
    bits_[0] = bits_[1] >> (shift - 64);
    bits_[1] = 0;
  } else if (shift > 0) {
    bits_[0] = (bits_[0] >> shift) | (bits_[1] << (64 - shift));
    bits_[1] >>= shift;
  }
  window_start_ += shift;
  SetBit(kBits - 1);
}

}  // namespace tern::srtp
