#include "net/timer_queue.h"

#include <utility>

namespace tern::net_internal {

uint64_t TimerQueue::Schedule(Timestamp when, Task task) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.when = when;
  s.seq = next_seq_++;
  s.task = std::move(task);
  heap_.push_back(slot);
  s.heap_index = static_cast<int32_t>(heap_.size() - 1);
  SiftUp(heap_.size() - 1);
  return (uint64_t{slot + 1} << 32) | s.generation;
}

bool TimerQueue::Cancel(uint64_t id) {
  if (id == 0) return false;
  const uint64_t slot64 = (id >> 32) - 1;
  const uint32_t generation = static_cast<uint32_t>(id);
  if (slot64 >= slots_.size()) return false;
  const uint32_t slot = static_cast<uint32_t>(slot64);
  Slot& s = slots_[slot];
  if (s.heap_index < 0 || s.generation != generation) return false;
  RemoveAt(static_cast<size_t>(s.heap_index));
  Task dead = std::move(s.task);  // destroyed after the queue is consistent again
  FreeSlot(slot);
  return true;
}

std::optional<Timestamp> TimerQueue::NextDeadline() const {
  if (heap_.empty()) return std::nullopt;
  return slots_[heap_[0]].when;
}

int TimerQueue::RunDue(Timestamp now) {
  const uint64_t cutoff = next_seq_;
  int ran = 0;
  while (!heap_.empty()) {
    const uint32_t slot = heap_[0];
    if (slots_[slot].when > now) break;
    if (slots_[slot].seq >= cutoff) {
      // Scheduled by a task of this pass for a time already due: it (and everything behind it) runs in the
      // next pass, so a task that keeps rescheduling itself "now" cannot starve the loop.
      break;
    }
    RemoveAt(0);
    Task task = std::move(slots_[slot].task);
    FreeSlot(slot);
    ++ran;
    task();
  }
  return ran;
}

bool TimerQueue::Less(uint32_t a, uint32_t b) const {
  const Slot& x = slots_[a];
  const Slot& y = slots_[b];
  if (x.when != y.when) return x.when < y.when;
  return x.seq < y.seq;
}

void TimerQueue::Place(size_t heap_pos, uint32_t slot) {
  heap_[heap_pos] = slot;
  slots_[slot].heap_index = static_cast<int32_t>(heap_pos);
}

void TimerQueue::SiftUp(size_t pos) {
  const uint32_t slot = heap_[pos];
  while (pos > 0) {
    const size_t parent = (pos - 1) / 2;
    if (!Less(slot, heap_[parent])) break;
    Place(pos, heap_[parent]);
    pos = parent;
  }
  Place(pos, slot);
}

void TimerQueue::SiftDown(size_t pos) {
  const uint32_t slot = heap_[pos];
  const size_t n = heap_.size();
  while (true) {
    size_t child = 2 * pos + 1;
    if (child >= n) break;
    if (child + 1 < n && Less(heap_[child + 1], heap_[child])) ++child;
    if (!Less(heap_[child], slot)) break;
    Place(pos, heap_[child]);
    pos = child;
  }
  Place(pos, slot);
}

void TimerQueue::RemoveAt(size_t pos) {
  const uint32_t last = heap_.back();
  heap_.pop_back();
  if (pos == heap_.size()) return;
  Place(pos, last);
  if (pos > 0 && Less(last, heap_[(pos - 1) / 2])) {
    SiftUp(pos);
  } else {
    SiftDown(pos);
  }
}

void TimerQueue::FreeSlot(uint32_t slot) {
  Slot& s = slots_[slot];
  s.heap_index = -1;
  if (++s.generation == 0) s.generation = 1;
  free_slots_.push_back(slot);
}

}  // namespace tern::net_internal
