// A first-in first-out queue for the output queues of the sans-IO cores (transmits, events).
//
// Why not std::deque: libstdc++'s deque allocates a 512-byte block and its map as soon as it is
// constructed and keeps a block when it drains, and a connection holds a dozen such queues that are
// empty nearly all the time (~7 KiB per idle connection). Fifo allocates nothing until the first
// push, and gives its storage back when it drains from a burst larger than kKeptBytes, so an idle
// queue costs a few words; a queue that stays small keeps its storage and allocates nothing in steady
// state.
//
// Elements live in one vector from `head_` on; pop_front moves the head and drops the element's
// resources at once (its slot is reset to T{}). Amortised O(1) per operation.
#ifndef TERN_BASE_FIFO_H_
#define TERN_BASE_FIFO_H_

#include <cstddef>
#include <utility>
#include <vector>

namespace tern {

template <typename T>
class Fifo {
 public:
  // A drained queue keeps its storage while it is at most kKeptBytes (some elements, such as ICE events,
  // are ~400 bytes each), and always room for one element.
  static constexpr size_t kKeptBytes = 512;
  static constexpr size_t kKeptCapacity = sizeof(T) >= kKeptBytes ? 1 : kKeptBytes / sizeof(T);

  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }

  void push_back(T value) { items_.push_back(std::move(value)); }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    return items_.emplace_back(std::forward<Args>(args)...);
  }

  // Require !empty().
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  T& back() { return items_.back(); }
  const T& back() const { return items_.back(); }

  void pop_front() {
    items_[head_] = T();
    ++head_;
    if (head_ == items_.size()) {
      clear();
    } else if (head_ >= kKeptCapacity && head_ * 2 >= items_.size()) {
      // More than half of the storage is consumed slots: move the live elements down.
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  void clear() {
    if (items_.capacity() > kKeptCapacity) {
      std::vector<T>().swap(items_);
    } else {
      items_.clear();
    }
    head_ = 0;
  }

  // Storage held, in elements (for tests and memory accounting).
  size_t capacity() const { return items_.capacity(); }

 private:
  std::vector<T> items_;
  size_t head_ = 0;
};

}  // namespace tern

#endif  // TERN_BASE_FIFO_H_
