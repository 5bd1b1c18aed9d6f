// Timestamp (a point on a monotonic time line) and Duration, both in integer microseconds, and the Clock
// interface. Protocol cores never read a clock: time is an argument to every call (DESIGN.md). Clocks
// exist for the code that drives cores: lib/net's runtime (a steady clock) and tests (ManualClock).
#ifndef TERN_BASE_TIME_H_
#define TERN_BASE_TIME_H_

#include <compare>
#include <cstdint>
#include <limits>
#include <string>

namespace tern {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration Micros(int64_t us) { return Duration(us); }
  static constexpr Duration Millis(int64_t ms) { return Duration(ms * 1000); }
  static constexpr Duration Seconds(int64_t s) { return Duration(s * 1000000); }
  static constexpr Duration Zero() { return Duration(0); }
  static constexpr Duration Infinite() { return Duration(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t us() const { return us_; }
  constexpr int64_t ms() const { return us_ / 1000; }
  constexpr double seconds() const { return static_cast<double>(us_) / 1e6; }
  constexpr bool is_infinite() const { return us_ == std::numeric_limits<int64_t>::max(); }

  constexpr Duration operator+(Duration o) const { return Duration(us_ + o.us_); }
  constexpr Duration operator-(Duration o) const { return Duration(us_ - o.us_); }
  constexpr Duration operator-() const { return Duration(-us_); }
  constexpr Duration operator*(int64_t k) const { return Duration(us_ * k); }
  constexpr Duration operator/(int64_t k) const { return Duration(us_ / k); }
  constexpr Duration& operator+=(Duration o) { us_ += o.us_; return *this; }
  constexpr Duration& operator-=(Duration o) { us_ -= o.us_; return *this; }
  friend constexpr auto operator<=>(Duration, Duration) = default;

  std::string ToString() const;  // "1.5ms", "2s", "37us"

 private:
  constexpr explicit Duration(int64_t us) : us_(us) {}
  int64_t us_ = 0;
};

class Timestamp {
 public:
  constexpr Timestamp() = default;
  static constexpr Timestamp Micros(int64_t us) { return Timestamp(us); }
  static constexpr Timestamp Millis(int64_t ms) { return Timestamp(ms * 1000); }
  static constexpr Timestamp Seconds(int64_t s) { return Timestamp(s * 1000000); }
  static constexpr Timestamp Zero() { return Timestamp(0); }
  static constexpr Timestamp Infinite() { return Timestamp(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t us() const { return us_; }
  constexpr int64_t ms() const { return us_ / 1000; }
  constexpr bool is_infinite() const { return us_ == std::numeric_limits<int64_t>::max(); }

  constexpr Timestamp operator+(Duration d) const { return Timestamp(us_ + d.us()); }
  constexpr Timestamp operator-(Duration d) const { return Timestamp(us_ - d.us()); }
  constexpr Duration operator-(Timestamp o) const { return Duration::Micros(us_ - o.us_); }
  constexpr Timestamp& operator+=(Duration d) { us_ += d.us(); return *this; }
  friend constexpr auto operator<=>(Timestamp, Timestamp) = default;

  std::string ToString() const;

 private:
  constexpr explicit Timestamp(int64_t us) : us_(us) {}
  int64_t us_ = 0;
};

// A source of the current time. Only drivers of cores hold one.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

// A clock that moves only when told: for tests and the simulator.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start = Timestamp::Seconds(1)) : now_(start) {}
  Timestamp Now() const override { return now_; }
  void Advance(Duration d) { now_ += d; }
  // Never moves backwards: an earlier time is ignored.
  void AdvanceTo(Timestamp t) {
    if (t > now_) now_ = t;
  }

 private:
  Timestamp now_;
};

}  // namespace tern

#endif  // TERN_BASE_TIME_H_
