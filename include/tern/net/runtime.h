// The runtime (DESIGN.md "The runtime"): event-loop threads on epoll, each with an O(log n) timer queue and
// a cross-thread task queue, and the steady clock. lib/net is the only module that makes syscalls.
//
// Threading rule: everything bound to an EventLoop (sockets, timers, drivers) is created, used and destroyed
// on that loop's thread, and its callbacks run there. Other threads talk to a loop only through Post() (or
// RunSync()). In manual mode (RuntimeOptions::manual) no threads are started and the caller's thread is the
// loop thread: it drives the loops with Poll() / RunUntil(), which is what tests use.
#ifndef TERN_NET_RUNTIME_H_
#define TERN_NET_RUNTIME_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tern/base/time.h"

namespace tern {

// CLOCK_MONOTONIC in microseconds. Thread-safe. The only clock lib/net reads; drivers pass its Now() to
// cores.
class SteadyClock final : public Clock {
 public:
  Timestamp Now() const override;
  // The process-wide instance.
  static const SteadyClock& Get();
};

// Names one scheduled timer. The generation makes a stale handle (fired or cancelled, slot reused) harmless.
// A default-constructed handle is invalid; Cancel() on it is a no-op.
class TimerHandle {
 public:
  TimerHandle() = default;
  bool valid() const { return id_ != 0; }
  uint64_t id() const { return id_; }
  friend bool operator==(TimerHandle, TimerHandle) = default;

 private:
  friend class EventLoop;
  explicit TimerHandle(uint64_t id) : id_(id) {}
  uint64_t id_ = 0;  // (slot + 1) << 32 | generation
};

struct RuntimeOptions {
  // Number of event-loop threads (>= 1).
  int num_loops = 1;
  // No threads: the caller drives each loop with EventLoop::Poll()/RunUntil() on its own thread (tests).
  bool manual = false;
  // Receive buffer pool, one per loop (no allocation per packet): `udp_recv_batch` slots of
  // `udp_recv_slot_bytes` each (default 32 x 2048 B = 64 KiB). A datagram longer than a slot is dropped and
  // counted (UdpSocket::Stats::truncated). Sockets with GRO use a second pool allocated when the first GRO
  // socket opens: `udp_gro_batch` slots of 64 KiB (default 8 x 64 KiB = 512 KiB).
  int udp_recv_batch = 32;
  int udp_recv_slot_bytes = 2048;
  int udp_gro_batch = 8;
  // Threads are named "<prefix><index>" (pthread names are cut at 15 characters).
  std::string thread_name_prefix = "tern-loop";
};

namespace net_internal {
class LoopImpl;
class IoHandler;
}  // namespace net_internal

// One epoll loop with its timers and task queue. Owned by a Runtime.
class EventLoop {
 public:
  using Task = absl::AnyInvocable<void()>;

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  // Any thread. Runs `task` on the loop thread, in posting order per posting thread. Tasks posted after
  // Stop() are destroyed without running when the runtime is destroyed.
  void Post(Task task);
  // Any thread. Runs `task` on the loop thread and waits for it; runs it inline when called on the loop
  // thread (or in manual mode). False when the loop was stopped before the task could run (it is then
  // destroyed unrun). Do not call it from a loop thread for a different loop of a busy runtime (deadlock
  // risk when both wait on each other).
  bool RunSync(Task task);
  // True on this loop's thread (in manual mode: always true; the caller's thread is the loop thread).
  bool IsCurrent() const;

  // Loop thread only. `task` runs once at or after `when` (never early); timers due at the same time fire in
  // the order they were scheduled. O(log n).
  TimerHandle RunAt(Timestamp when, Task task);
  TimerHandle RunAfter(Duration delay, Task task);
  // Loop thread only. True if the timer was pending and is now cancelled. O(log n).
  bool Cancel(TimerHandle handle);
  size_t pending_timers() const;

  // The loop's clock (the steady clock).
  Timestamp Now() const;
  const Clock& clock() const;
  size_t index() const { return index_; }

  // Manual driving, loop thread only (manual mode, or a test poking a loop whose runtime is manual).
  // One iteration: wait up to `max_wait` for I/O (0: do not block), then handle ready sockets, flush queued
  // sends, run due timers and posted tasks. Returns the number of callbacks run (I/O events + timers +
  // tasks). Not re-entrant: do not call Poll from a callback.
  int Poll(Duration max_wait);
  // Polls until `done()` is true (checked after each iteration) or `timeout` passes. True when done.
  bool RunUntil(absl::FunctionRef<bool()> done, Duration timeout);

  net_internal::LoopImpl& impl() { return *impl_; }

 private:
  friend class Runtime;
  EventLoop(size_t index, std::unique_ptr<net_internal::LoopImpl> impl);
  size_t index_;
  std::unique_ptr<net_internal::LoopImpl> impl_;
};

// N event-loop threads. Destroy everything bound to a loop (sockets, drivers) before the Runtime.
class Runtime {
 public:
  static absl::StatusOr<std::unique_ptr<Runtime>> Create(RuntimeOptions options = {});
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  // Stop() and join.
  ~Runtime();

  // Any thread except a loop thread of this runtime. Asks every loop to exit after its current iteration
  // and joins the threads. Idempotent. After Stop, posted tasks no longer run.
  void Stop();

  size_t num_loops() const;
  // index < num_loops() (out of range: loop 0, logged).
  EventLoop& loop(size_t index);
  // Any thread. Same as loop(index).Post(task).
  void Post(size_t loop_index, EventLoop::Task task);
  const RuntimeOptions& options() const { return options_; }
  const Clock& clock() const { return SteadyClock::Get(); }

 private:
  explicit Runtime(RuntimeOptions options);
  absl::Status Start();

  RuntimeOptions options_;
  struct Thread;
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::vector<std::unique_ptr<Thread>> threads_;
  bool stopped_ = false;
};

}  // namespace tern

#endif  // TERN_NET_RUNTIME_H_
