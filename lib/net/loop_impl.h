// The inside of an EventLoop: the epoll instance, fd registrations (generation-tagged so an event for a
// handler destroyed earlier in the same batch is ignored), the timer queue, the cross-thread task queue
// woken by an eventfd, the end-of-iteration send flush list and the receive buffer pools.
#ifndef TERN_LIB_NET_LOOP_IMPL_H_
#define TERN_LIB_NET_LOOP_IMPL_H_

#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/timer_queue.h"
#include "tern/base/time.h"
#include "tern/net/runtime.h"

namespace tern::net_internal {

// Something with a file descriptor in the loop's epoll set.
class IoHandler {
 public:
  virtual ~IoHandler() = default;
  virtual void OnIoEvent(uint32_t epoll_events) = 0;
};

// Something with queued output to send at the end of a loop iteration.
class Flushable {
 public:
  virtual ~Flushable() = default;
  virtual void FlushQueued() = 0;
};

// Fixed receive buffers and the recvmmsg headers that point into them; reused by every socket of a loop
// (callbacks run one at a time, and a Datagram's payload is valid only during its callback).
struct RecvPool {
  static constexpr size_t kControlBytes = 128;  // IP(V6)_PKTINFO + UDP_GRO cmsgs
  RecvPool(int batch, int slot_bytes);
  int batch;
  size_t slot_bytes;
  std::vector<uint8_t> storage;
  std::vector<struct mmsghdr> msgs;
  std::vector<struct iovec> iovs;
  std::vector<struct sockaddr_storage> names;
  std::vector<uint8_t> control;
  // Resets msg i's in/out lengths before a receive call.
  void Reset(int i);
  uint8_t* slot(int i) { return storage.data() + static_cast<size_t>(i) * slot_bytes; }
};

class LoopImpl {
 public:
  static absl::StatusOr<std::unique_ptr<LoopImpl>> Create(const RuntimeOptions& options);
  ~LoopImpl();

  // --- fd registration (loop thread) ---
  // Returns a registration id for Modify/Unregister.
  absl::StatusOr<uint64_t> Register(int fd, uint32_t events, IoHandler* handler);
  absl::Status Modify(uint64_t registration, int fd, uint32_t events);
  void Unregister(uint64_t registration, int fd);

  // --- send flushing (loop thread) ---
  void RequestFlush(Flushable* f);
  void CancelFlush(Flushable* f);

  // --- timers (loop thread) ---
  uint64_t Schedule(Timestamp when, EventLoop::Task task) { return timers_.Schedule(when, std::move(task)); }
  bool Cancel(uint64_t id) { return timers_.Cancel(id); }
  size_t pending_timers() const { return timers_.size(); }

  // --- tasks (any thread) ---
  bool Post(EventLoop::Task task);
  bool IsCurrent() const;
  void RequestStop();
  bool stop_requested() const { return stop_.load(std::memory_order_acquire); }
  // Destroys queued tasks and refuses new ones (after the thread has been joined).
  void Shutdown();

  // --- running ---
  int Poll(Duration max_wait);
  // The thread body: polls until stopped.
  void Run();

  // --- buffers (loop thread) ---
  RecvPool& recv_pool() { return recv_pool_; }
  RecvPool& gro_pool();
  // A scratch buffer for stream reads.
  std::vector<uint8_t>& stream_buffer() { return stream_buffer_; }

  Timestamp Now() const { return SteadyClock::Get().Now(); }

 private:
  explicit LoopImpl(const RuntimeOptions& options);
  void FlushAll();
  int RunTasks();
  void DrainWakeFd();

  struct Registration {
    IoHandler* handler = nullptr;
    uint32_t generation = 1;
  };

  const bool manual_;
  const int gro_batch_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  bool pwait2_ok_ = true;

  std::vector<Registration> registrations_;
  std::vector<uint32_t> free_registrations_;
  std::vector<struct epoll_event> events_;

  TimerQueue timers_;
  std::vector<Flushable*> flush_list_;
  std::vector<Flushable*> flush_scratch_;

  std::mutex mu_;
  std::vector<EventLoop::Task> queue_;  // guarded by mu_
  bool shut_down_ = false;              // guarded by mu_
  std::vector<EventLoop::Task> running_;
  std::atomic<bool> stop_{false};

  RecvPool recv_pool_;
  std::unique_ptr<RecvPool> gro_pool_;
  std::vector<uint8_t> stream_buffer_;
};

}  // namespace tern::net_internal

#endif  // TERN_LIB_NET_LOOP_IMPL_H_
