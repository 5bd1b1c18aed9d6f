// Duration / Timestamp arithmetic in integer microseconds, and ManualClock (the clock of tests and the
// simulator: it moves only when told and never backwards).
#include "tern/base/time.h"

#include "gtest/gtest.h"

namespace tern {
namespace {

TEST(Duration, UnitsAndConversions) {
  EXPECT_EQ(Duration::Micros(1500).us(), 1500);
  EXPECT_EQ(Duration::Millis(3).us(), 3000);
  EXPECT_EQ(Duration::Seconds(2).us(), 2000000);
  EXPECT_EQ(Duration::Seconds(2).ms(), 2000);
  EXPECT_EQ(Duration::Micros(1999).ms(), 1) << "ms() truncates";
  EXPECT_DOUBLE_EQ(Duration::Millis(1500).seconds(), 1.5);
  EXPECT_EQ(Duration::Zero().us(), 0);
  EXPECT_EQ(Duration().us(), 0);
  // Large values do not overflow in the factories.
  EXPECT_EQ(Duration::Seconds(86400LL * 365 * 100).us(), 86400LL * 365 * 100 * 1000000);
}

TEST(Duration, Arithmetic) {
  Duration a = Duration::Millis(250);
  Duration b = Duration::Micros(750);
  EXPECT_EQ((a + b).us(), 250750);
  EXPECT_EQ((a - b).us(), 249250);
  EXPECT_EQ((b - a).us(), -249250);
  EXPECT_EQ((-a).us(), -250000);
  EXPECT_EQ((a * 4).us(), 1000000);
  EXPECT_EQ((a / 4).us(), 62500);
  EXPECT_EQ((Duration::Micros(7) / 2).us(), 3);
  Duration c = a;
  c += b;
  EXPECT_EQ(c.us(), 250750);
  c -= a;
  EXPECT_EQ(c, b);
}

TEST(Duration, Ordering) {
  EXPECT_LT(Duration::Micros(999), Duration::Millis(1));
  EXPECT_EQ(Duration::Micros(1000), Duration::Millis(1));
  EXPECT_GT(Duration::Seconds(1), Duration::Millis(999));
  EXPECT_LT(-Duration::Seconds(1), Duration::Zero());
  EXPECT_GT(Duration::Infinite(), Duration::Seconds(1LL << 40));
  EXPECT_TRUE(Duration::Infinite().is_infinite());
  EXPECT_FALSE(Duration::Seconds(1).is_infinite());
}

TEST(Duration, ToString) {
  EXPECT_EQ(Duration::Micros(37).ToString(), "37us");
  EXPECT_EQ(Duration::Micros(1500).ToString(), "1.5ms");
  EXPECT_EQ(Duration::Seconds(2).ToString(), "2s");
  EXPECT_EQ(Duration::Infinite().ToString(), "inf");
  EXPECT_EQ(Duration::Zero().ToString(), "0us");
}

TEST(Timestamp, ArithmeticWithDurations) {
  Timestamp t = Timestamp::Seconds(10);
  EXPECT_EQ(t.us(), 10000000);
  EXPECT_EQ(t.ms(), 10000);
  EXPECT_EQ((t + Duration::Millis(5)).us(), 10005000);
  EXPECT_EQ((t - Duration::Millis(5)).us(), 9995000);
  EXPECT_EQ(Timestamp::Millis(1500) - Timestamp::Seconds(1), Duration::Millis(500));
  EXPECT_EQ(Timestamp::Seconds(1) - Timestamp::Millis(1500), Duration::Millis(-500));
  Timestamp u = t;
  u += Duration::Micros(1);
  EXPECT_EQ(u - t, Duration::Micros(1));
  EXPECT_LT(t, u);
  EXPECT_EQ(Timestamp::Micros(3000), Timestamp::Millis(3));
  EXPECT_EQ(Timestamp().us(), 0);
  EXPECT_EQ(Timestamp::Zero(), Timestamp());
}

TEST(Timestamp, InfiniteIsLaterThanEverything) {
  EXPECT_TRUE(Timestamp::Infinite().is_infinite());
  EXPECT_FALSE(Timestamp::Seconds(1).is_infinite());
  EXPECT_GT(Timestamp::Infinite(), Timestamp::Seconds(1LL << 40));
  EXPECT_EQ(Timestamp::Infinite().ToString(), "inf");
  EXPECT_EQ(Timestamp::Millis(1500).ToString(), "1.500000s");
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock;
  const Clock& as_clock = clock;
  EXPECT_EQ(as_clock.Now(), Timestamp::Seconds(1)) << "default start";
  EXPECT_EQ(clock.Now(), clock.Now());
  clock.Advance(Duration::Millis(20));
  EXPECT_EQ(as_clock.Now(), Timestamp::Millis(1020));
  clock.AdvanceTo(Timestamp::Seconds(5));
  EXPECT_EQ(clock.Now(), Timestamp::Seconds(5));
}

TEST(ManualClock, NeverMovesBackwards) {
  ManualClock clock(Timestamp::Seconds(100));
  EXPECT_EQ(clock.Now(), Timestamp::Seconds(100));
  clock.AdvanceTo(Timestamp::Seconds(99));
  EXPECT_EQ(clock.Now(), Timestamp::Seconds(100));
  clock.AdvanceTo(Timestamp::Seconds(100));
  EXPECT_EQ(clock.Now(), Timestamp::Seconds(100));
  clock.Advance(Duration::Zero());
  EXPECT_EQ(clock.Now(), Timestamp::Seconds(100));
}

}  // namespace
}  // namespace tern
