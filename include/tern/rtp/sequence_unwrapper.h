// Unwrapping of RTP's wrapping counters into 64-bit values: 16-bit sequence numbers (RFC 3550 §5.1,
// the extended sequence number of Appendix A.1) and 32-bit timestamps. Each value is placed at the
// unwrapped position closest to the previous one, so wrap-around works forward and backward
// (reordered or retransmitted packets from before a wrap unwrap below it, possibly below zero).
#ifndef TERN_RTP_SEQUENCE_UNWRAPPER_H_
#define TERN_RTP_SEQUENCE_UNWRAPPER_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace tern::rtp {

// The signed distance from `previous` to `value` on the circle of T: in [-2^(N-1), 2^(N-1)). A
// distance of exactly half the circle counts as backward when value < previous numerically and forward
// otherwise, so that IsNewer(a, b) and IsNewer(b, a) never both hold.
template <typename T>
constexpr int64_t WrapDistance(T previous, T value) {
  static_assert(std::is_unsigned_v<T> && sizeof(T) <= 4);
  constexpr uint64_t kModulus = uint64_t{std::numeric_limits<T>::max()} + 1;
  constexpr uint64_t kHalf = kModulus / 2;
  uint64_t forward = (uint64_t{value} - uint64_t{previous}) & (kModulus - 1);
  if (forward < kHalf) return static_cast<int64_t>(forward);
  if (forward > kHalf) return static_cast<int64_t>(forward) - static_cast<int64_t>(kModulus);
  return value > previous ? static_cast<int64_t>(kHalf) : -static_cast<int64_t>(kHalf);
}

// Whether `value` comes after `previous` (RFC 1982-style serial number comparison).
template <typename T>
constexpr bool IsNewer(T value, T previous) {
  return WrapDistance(previous, value) > 0;
}
constexpr bool IsNewerSequenceNumber(uint16_t value, uint16_t previous) { return IsNewer(value, previous); }
constexpr bool IsNewerTimestamp(uint32_t value, uint32_t previous) { return IsNewer(value, previous); }

template <typename T>
class Unwrapper {
 public:
  // The first value unwraps to itself; each later one to the previous result plus WrapDistance.
  int64_t Unwrap(T value) {
    int64_t unwrapped = PeekUnwrap(value);
    last_value_ = value;
    last_unwrapped_ = unwrapped;
    return unwrapped;
  }
  // What Unwrap would return, without remembering it.
  int64_t PeekUnwrap(T value) const {
    if (!last_unwrapped_) return int64_t{value};
    return *last_unwrapped_ + WrapDistance(last_value_, value);
  }
  std::optional<int64_t> last() const { return last_unwrapped_; }
  void Reset() { last_unwrapped_.reset(); }

 private:
  T last_value_ = 0;
  std::optional<int64_t> last_unwrapped_;
};

using SequenceNumberUnwrapper = Unwrapper<uint16_t>;
using TimestampUnwrapper = Unwrapper<uint32_t>;

}  // namespace tern::rtp

#endif  // TERN_RTP_SEQUENCE_UNWRAPPER_H_
