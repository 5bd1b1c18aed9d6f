#include "net/timer_queue.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/random.h"

namespace tern::net_internal {
namespace {

TEST(TimerQueue, FiresByDeadlineThenSchedulingOrder) {
  TimerQueue q;
  std::vector<int> fired;
  q.Schedule(Timestamp::Millis(30), [&] { fired.push_back(30); });
  q.Schedule(Timestamp::Millis(10), [&] { fired.push_back(10); });
  q.Schedule(Timestamp::Millis(20), [&] { fired.push_back(20); });
  q.Schedule(Timestamp::Millis(20), [&] { fired.push_back(21); });
  q.Schedule(Timestamp::Millis(20), [&] { fired.push_back(22); });
  EXPECT_EQ(q.NextDeadline(), Timestamp::Millis(10));
  EXPECT_EQ(q.RunDue(Timestamp::Millis(9)), 0);
  EXPECT_EQ(q.RunDue(Timestamp::Millis(20)), 4);
  EXPECT_EQ(fired, (std::vector<int>{10, 20, 21, 22}));
  EXPECT_EQ(q.RunDue(Timestamp::Millis(100)), 1);
  EXPECT_EQ(fired.back(), 30);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_FALSE(q.NextDeadline().has_value());
}

TEST(TimerQueue, CancelRemovesOnlyThePendingTimer) {
  TimerQueue q;
  std::vector<int> fired;
  const uint64_t a = q.Schedule(Timestamp::Millis(1), [&] { fired.push_back(1); });
  const uint64_t b = q.Schedule(Timestamp::Millis(2), [&] { fired.push_back(2); });
  EXPECT_NE(a, 0u);
  EXPECT_TRUE(q.Cancel(b));
  EXPECT_FALSE(q.Cancel(b));  // already cancelled
  EXPECT_FALSE(q.Cancel(0));
  EXPECT_FALSE(q.Cancel(0xFFFF00000001ull));  // no such slot
  q.RunDue(Timestamp::Millis(5));
  EXPECT_EQ(fired, std::vector<int>{1});
  EXPECT_FALSE(q.Cancel(a));  // already fired
}

TEST(TimerQueue, StaleIdDoesNotCancelTheSlotsNextTimer) {
  TimerQueue q;
  bool second_fired = false;
  const uint64_t first = q.Schedule(Timestamp::Millis(1), [] {});
  ASSERT_TRUE(q.Cancel(first));
  const uint64_t second = q.Schedule(Timestamp::Millis(1), [&] { second_fired = true; });
  EXPECT_EQ(first >> 32, second >> 32);  // the slot is reused...
  EXPECT_NE(first, second);              // ...with a new generation
  EXPECT_FALSE(q.Cancel(first));
  q.RunDue(Timestamp::Millis(1));
  EXPECT_TRUE(second_fired);
}

TEST(TimerQueue, TasksMayScheduleAndCancel) {
  TimerQueue q;
  std::vector<int> fired;
  uint64_t victim = 0;
  q.Schedule(Timestamp::Millis(1), [&] {
    fired.push_back(1);
    EXPECT_TRUE(q.Cancel(victim));
    // Due already, but scheduled during this pass: runs on the next pass, not in this one.
    q.Schedule(Timestamp::Millis(1), [&] { fired.push_back(3); });
  });
  victim = q.Schedule(Timestamp::Millis(1), [&] { fired.push_back(2); });
  EXPECT_EQ(q.RunDue(Timestamp::Millis(1)), 1);
  EXPECT_EQ(fired, std::vector<int>{1});
  EXPECT_EQ(q.RunDue(Timestamp::Millis(1)), 1);
  EXPECT_EQ(fired, (std::vector<int>{1, 3}));
}

// Many timers with random deadlines and random cancellations fire exactly in (deadline, insertion) order.
TEST(TimerQueue, RandomizedMatchesSortedReference) {
  SeededRandom random(7);
  TimerQueue q;
  struct Ref {
    int64_t when;
    int seq;
    bool cancelled;
  };
  std::vector<Ref> ref;
  std::vector<uint64_t> ids;
  std::vector<int> fired;
  for (int i = 0; i < 2000; ++i) {
    const int64_t when = static_cast<int64_t>(random.Uniform(500));
    ids.push_back(q.Schedule(Timestamp::Millis(when), [&fired, i] { fired.push_back(i); }));
    ref.push_back({when, i, false});
    if (random.Bernoulli(0.3)) {
      const size_t victim = random.Uniform(ids.size());
      const bool was_pending = !ref[victim].cancelled;
      EXPECT_EQ(q.Cancel(ids[victim]), was_pending);
      ref[victim].cancelled = true;
    }
  }
  for (int64_t t = 0; t <= 500; t += 37) q.RunDue(Timestamp::Millis(t));
  q.RunDue(Timestamp::Millis(500));
  std::vector<Ref> expected_refs;
  for (const Ref& r : ref) {
    if (!r.cancelled) expected_refs.push_back(r);
  }
  std::stable_sort(expected_refs.begin(), expected_refs.end(),
                   [](const Ref& a, const Ref& b) { return a.when < b.when; });
  std::vector<int> expected;
  for (const Ref& r : expected_refs) expected.push_back(r.seq);
  EXPECT_EQ(fired, expected);
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace tern::net_internal
