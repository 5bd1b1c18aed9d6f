#include "tern/net/runtime.h"

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tern {
namespace {

std::unique_ptr<Runtime> MakeManual() {
  RuntimeOptions options;
  options.manual = true;
  absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Create(options);
  EXPECT_TRUE(rt.ok()) << rt.status();
  return std::move(*rt);
}

TEST(SteadyClock, IsMonotonic) {
  const Timestamp a = SteadyClock::Get().Now();
  const Timestamp b = SteadyClock::Get().Now();
  EXPECT_GE(b, a);
  EXPECT_GT(a, Timestamp::Zero());
}

TEST(Runtime, CreateRejectsBadOptions) {
  RuntimeOptions o;
  o.num_loops = 0;
  EXPECT_EQ(Runtime::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = RuntimeOptions();
  o.udp_recv_batch = 0;
  EXPECT_EQ(Runtime::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = RuntimeOptions();
  o.udp_recv_slot_bytes = 100;
  EXPECT_EQ(Runtime::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
}

// Small real durations; the assertions are on order and on "never early", not on exact timing.
TEST(EventLoop, TimersFireInOrderAndNeverEarly) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  struct Fired {
    int id;
    Timestamp at;
  };
  std::vector<Fired> fired;
  const Timestamp start = loop.Now();
  auto add = [&](int id, Duration d) {
    loop.RunAt(start + d, [&, id] { fired.push_back({id, loop.Now()}); });
  };
  add(30, Duration::Millis(30));
  add(10, Duration::Millis(10));
  add(20, Duration::Millis(20));
  add(21, Duration::Millis(20));
  add(0, Duration::Zero());
  EXPECT_EQ(loop.pending_timers(), 5u);
  ASSERT_TRUE(loop.RunUntil([&] { return fired.size() == 5; }, Duration::Seconds(5)));
  ASSERT_EQ(fired.size(), 5u);
  const int order[] = {0, 10, 20, 21, 30};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(fired[i].id, order[i]);
    EXPECT_GE(fired[i].at, start + Duration::Millis(fired[i].id == 21 ? 20 : fired[i].id));
  }
}

TEST(EventLoop, CancelledTimerNeverFires) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  bool cancelled_fired = false;
  bool later_fired = false;
  TimerHandle h = loop.RunAfter(Duration::Millis(5), [&] { cancelled_fired = true; });
  loop.RunAfter(Duration::Millis(15), [&] { later_fired = true; });
  EXPECT_TRUE(h.valid());
  EXPECT_TRUE(loop.Cancel(h));
  EXPECT_FALSE(loop.Cancel(h));
  EXPECT_FALSE(loop.Cancel(TimerHandle()));
  ASSERT_TRUE(loop.RunUntil([&] { return later_fired; }, Duration::Seconds(5)));
  EXPECT_FALSE(cancelled_fired);
}

TEST(EventLoop, TimerCanRescheduleItself) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  int ticks = 0;
  std::function<void()> tick = [&] {
    if (++ticks < 5) loop.RunAfter(Duration::Millis(1), tick);
  };
  loop.RunAfter(Duration::Millis(1), tick);
  ASSERT_TRUE(loop.RunUntil([&] { return ticks == 5; }, Duration::Seconds(5)));
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(EventLoop, ManualPostRunsOnPoll) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  EXPECT_TRUE(loop.IsCurrent());
  int ran = 0;
  loop.Post([&] { ++ran; });
  loop.Post([&] { ++ran; });
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(loop.Poll(Duration::Millis(100)), 2);
  EXPECT_EQ(ran, 2);
  // Inline in manual mode.
  EXPECT_TRUE(loop.RunSync([&] { ++ran; }));
  EXPECT_EQ(ran, 3);
}

TEST(EventLoop, RunUntilTimesOut) {
  auto rt = MakeManual();
  const Timestamp start = rt->loop(0).Now();
  EXPECT_FALSE(rt->loop(0).RunUntil([] { return false; }, Duration::Millis(20)));
  EXPECT_GE(rt->loop(0).Now() - start, Duration::Millis(20));
}

// The loop-confined counter needs no lock: every increment runs on the loop thread. Each poster's tasks run
// in its posting order. Run under the tsan preset too.
TEST(Runtime, PostFromManyThreads) {
  absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Create({});
  ASSERT_TRUE(rt.ok());
  EventLoop& loop = (*rt)->loop(0);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  int64_t counter = 0;  // loop thread only
  std::vector<int> last_seen(kThreads, -1);
  bool in_order = true;
  std::thread::id loop_thread;
  bool on_loop_thread = true;
  loop.RunSync([&] { loop_thread = std::this_thread::get_id(); });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        loop.Post([&, t, i] {
          ++counter;
          if (last_seen[t] != i - 1) in_order = false;
          last_seen[t] = i;
          if (std::this_thread::get_id() != loop_thread || !loop.IsCurrent()) on_loop_thread = false;
        });
      }
    });
  }
  for (std::thread& t : threads) t.join();
  int64_t observed = 0;
  ASSERT_TRUE(loop.RunSync([&] { observed = counter; }));
  EXPECT_EQ(observed, int64_t{kThreads} * kPerThread);
  loop.RunSync([&] {
    EXPECT_TRUE(in_order);
    EXPECT_TRUE(on_loop_thread);
  });
  EXPECT_FALSE(loop.IsCurrent());
}

TEST(Runtime, LoopsRunOnDistinctThreadsWithTimers) {
  RuntimeOptions o;
  o.num_loops = 2;
  absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Create(o);
  ASSERT_TRUE(rt.ok());
  ASSERT_EQ((*rt)->num_loops(), 2u);
  std::thread::id ids[2];
  for (size_t i = 0; i < 2; ++i) {
    (*rt)->loop(i).RunSync([&, i] { ids[i] = std::this_thread::get_id(); });
  }
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_NE(ids[0], std::this_thread::get_id());

  // A timer armed from the loop thread fires there; the result crosses threads through an atomic.
  std::atomic<int> fired{0};
  (*rt)->Post(1, [&] {
    EventLoop& l = (*rt)->loop(1);
    l.RunAfter(Duration::Millis(2), [&] { fired.fetch_add(2); });
    l.RunAfter(Duration::Millis(1), [&] {
      EXPECT_EQ(fired.load(), 0);  // the 1 ms timer fires first
      fired.fetch_add(1);
    });
  });
  const Timestamp deadline = SteadyClock::Get().Now() + Duration::Seconds(5);
  while (fired.load() != 3 && SteadyClock::Get().Now() < deadline) std::this_thread::yield();
  EXPECT_EQ(fired.load(), 3);
}

TEST(Runtime, StopJoinsAndLaterTasksAreDroppedNotRun) {
  absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Create({});
  ASSERT_TRUE(rt.ok());
  EventLoop& loop = (*rt)->loop(0);
  std::atomic<int> ran{0};
  ASSERT_TRUE(loop.RunSync([&] { ran.fetch_add(1); }));
  (*rt)->Stop();
  (*rt)->Stop();  // idempotent
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> weak = token;
  loop.Post([&ran, token = std::move(token)] { ran.fetch_add(1); });
  EXPECT_TRUE(weak.expired());  // destroyed without running
  EXPECT_FALSE(loop.RunSync([&] { ran.fetch_add(1); }));
  EXPECT_EQ(ran.load(), 1);
}

TEST(Runtime, DestructorJoinsBusyLoops) {
  std::atomic<int> ran{0};
  {
    RuntimeOptions o;
    o.num_loops = 2;
    absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Create(o);
    ASSERT_TRUE(rt.ok());
    for (int i = 0; i < 1000; ++i) (*rt)->Post(static_cast<size_t>(i % 2), [&] { ran.fetch_add(1); });
  }
  EXPECT_LE(ran.load(), 1000);
}

}  // namespace
}  // namespace tern
