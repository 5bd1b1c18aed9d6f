// SRTP packet-index estimation and replay windows (RFC 3711 §3.3.1, Appendix A, §3.3.2), with the
// exact semantics of libsrtp 2's rdbx (RTP) and rdb (SRTCP) so the native backend and the libsrtp2
// backend accept and reject the same packets. Internal to lib/srtp.
#ifndef TERN_LIB_SRTP_REPLAY_WINDOW_H_
#define TERN_LIB_SRTP_REPLAY_WINDOW_H_

#include <cstddef>
#include <cstdint>
#include <memory>

namespace tern::srtp {

enum class ReplayVerdict {
  kNew,        // never seen and inside or ahead of the window
  kDuplicate,  // already seen (replay)
  kTooOld,     // behind the window
};

// The 48-bit RTP packet index i = 2^16 * ROC + SEQ of one SSRC, the highest index accepted so far and
// a bitmap of the last `window` indices (bit set = seen). A fresh window has index 0 and nothing seen.
class RtpReplayWindow {
 public:
  // window: effective window size in packets (a multiple of 32, >= 64).
  explicit RtpReplayWindow(size_t window);
  RtpReplayWindow(const RtpReplayWindow&) = delete;
  RtpReplayWindow& operator=(const RtpReplayWindow&) = delete;

  struct Estimate {
    uint64_t index;  // estimated packet index of the packet (ROC = index >> 16)
    int32_t delta;   // index - highest accepted index
  };
  // Appendix A estimation as libsrtp does it: while the highest index is <= 2^15 the ROC is taken as
  // 0 (a guess of ROC - 1 would underflow); afterwards v is ROC-1, ROC or ROC+1, whichever puts the
  // index closest to the highest one.
  Estimate EstimateIndex(uint16_t seq) const;
  ReplayVerdict Check(int32_t delta) const;
  // Records the index highest + delta (after Check said kNew and the packet authenticated).
  void Add(int32_t delta);

  uint64_t highest_index() const { return index_; }
  size_t window() const { return window_; }

 private:
  bool GetBit(uint64_t index) const;
  void SetBit(uint64_t index);
  // Clears the ring positions of `count` consecutive indices starting at `first`.
  void ClearRange(uint64_t first, uint64_t count);

  uint64_t index_ = 0;
  size_t window_;
  uint64_t ring_mask_;  // ring size (a power of two >= window_) - 1, in bits
  std::unique_ptr<uint64_t[]> bits_;
};

// Receiver side of the SRTCP index (31 bits): a 128-index window that starts at window_start (0 for
// a fresh stream, so indices 0..127 are all "new" at first), as libsrtp's rdb.
class RtcpReplayWindow {
 public:
  ReplayVerdict Check(uint32_t index) const;
  void Add(uint32_t index);

 private:
  static constexpr uint32_t kBits = 128;
  bool GetBit(uint32_t offset) const { return (bits_[offset >> 6] >> (offset & 63)) & 1; }
  void SetBit(uint32_t offset) { bits_[offset >> 6] |= uint64_t{1} << (offset & 63); }
  uint32_t window_start_ = 0;
  uint64_t bits_[2] = {0, 0};  // bit k <-> index window_start_ + k
};

}  // namespace tern::srtp

#endif  // TERN_LIB_SRTP_REPLAY_WINDOW_H_
