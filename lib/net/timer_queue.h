// The per-loop timer queue: an indexed binary min-heap ordered by (deadline, scheduling order), with
// O(log n) schedule, cancel-by-id and pop. Ids carry a generation so a stale id never cancels a newer timer.
// Single-threaded (owned by one EventLoop).
#ifndef TERN_LIB_NET_TIMER_QUEUE_H_
#define TERN_LIB_NET_TIMER_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "tern/base/time.h"

namespace tern::net_internal {

class TimerQueue {
 public:
  using Task = absl::AnyInvocable<void()>;

  // Returns a non-zero id.
  uint64_t Schedule(Timestamp when, Task task);
  // True if `id` named a pending timer (now removed, its task destroyed).
  bool Cancel(uint64_t id);
  // The earliest deadline, if any timer is pending.
  std::optional<Timestamp> NextDeadline() const;
  // Runs, in (deadline, scheduling) order, every timer due at `now` that was scheduled before this call.
  // Tasks may schedule and cancel timers. Returns how many ran.
  int RunDue(Timestamp now);
  size_t size() const { return heap_.size(); }

 private:
  struct Slot {
    Timestamp when;
    uint64_t seq = 0;
    uint32_t generation = 1;
    int32_t heap_index = -1;  // -1: free
    Task task;
  };
  bool Less(uint32_t a, uint32_t b) const;
  void Place(size_t heap_pos, uint32_t slot);
  void SiftUp(size_t pos);
  void SiftDown(size_t pos);
  void RemoveAt(size_t pos);
  void FreeSlot(uint32_t slot);

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> heap_;  // slot indices
  uint64_t next_seq_ = 0;
};

}  // namespace tern::net_internal

#endif  // TERN_LIB_NET_TIMER_QUEUE_H_
