// EventLoop / Runtime / SteadyClock and the loop internals (net/loop_impl.h).
#include "tern/net/runtime.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/loop_impl.h"
#include "tern/base/log.h"
#include "tern/base/strings.h"

namespace tern {
namespace net_internal {
namespace {

constexpr uint64_t kWakeId = ~uint64_t{0};
constexpr int kMaxEvents = 64;

thread_local const LoopImpl* tls_current_loop = nullptr;

absl::Status ErrnoStatus(std::string_view what, int err) {
  return absl::InternalError(absl::StrCat(ToAbsl(what), ": ", strerror(err)));
}

}  // namespace

RecvPool::RecvPool(int batch_in, int slot_bytes_in)
    : batch(batch_in),
      slot_bytes(static_cast<size_t>(slot_bytes_in)),
      storage(static_cast<size_t>(batch_in) * static_cast<size_t>(slot_bytes_in)),
      msgs(static_cast<size_t>(batch_in)),
      iovs(static_cast<size_t>(batch_in)),
      names(static_cast<size_t>(batch_in)),
      control(static_cast<size_t>(batch_in) * kControlBytes) {
  for (int i = 0; i < batch; ++i) {
    iovs[i].iov_base = slot(i);
    iovs[i].iov_len = slot_bytes;
    msghdr& h = msgs[i].msg_hdr;
    memset(&h, 0, sizeof(h));
    h.msg_iov = &iovs[i];
    h.msg_iovlen = 1;
    h.msg_name = &names[i];
    h.msg_control = control.data() + static_cast<size_t>(i) * kControlBytes;
    Reset(i);
  }
}

void RecvPool::Reset(int i) {
  msghdr& h = msgs[i].msg_hdr;
  h.msg_namelen = sizeof(sockaddr_storage);
  h.msg_controllen = kControlBytes;
  h.msg_flags = 0;
  msgs[i].msg_len = 0;
}

LoopImpl::LoopImpl(const RuntimeOptions& options)
    : manual_(options.manual),
      gro_batch_(options.udp_gro_batch),
      events_(kMaxEvents),
      recv_pool_(options.udp_recv_batch, options.udp_recv_slot_bytes),
      stream_buffer_(64 * 1024) {}

absl::StatusOr<std::unique_ptr<LoopImpl>> LoopImpl::Create(const RuntimeOptions& options) {
  std::unique_ptr<LoopImpl> loop(new LoopImpl(options));
  loop->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (loop->epoll_fd_ < 0) return ErrnoStatus("epoll_create1", errno);
  loop->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (loop->wake_fd_ < 0) return ErrnoStatus("eventfd", errno);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  if (epoll_ctl(loop->epoll_fd_, EPOLL_CTL_ADD, loop->wake_fd_, &ev) != 0) {
    return ErrnoStatus("epoll_ctl(eventfd)", errno);
  }
  return loop;
}

LoopImpl::~LoopImpl() {
  Shutdown();
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

RecvPool& LoopImpl::gro_pool() {
  if (!gro_pool_) gro_pool_ = std::make_unique<RecvPool>(gro_batch_, 65536);
  return *gro_pool_;
}

absl::StatusOr<uint64_t> LoopImpl::Register(int fd, uint32_t events, IoHandler* handler) {
  uint32_t slot;
  if (!free_registrations_.empty()) {
    slot = free_registrations_.back();
    free_registrations_.pop_back();
  } else {
    slot = static_cast<uint32_t>(registrations_.size());
    registrations_.emplace_back();
  }
  Registration& r = registrations_[slot];
  r.handler = handler;
  const uint64_t id = (uint64_t{slot} << 32) | r.generation;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    const int err = errno;
    r.handler = nullptr;
    if (++r.generation == 0) r.generation = 1;
    free_registrations_.push_back(slot);
    return ErrnoStatus("epoll_ctl(ADD)", err);
  }
  return id;
}

absl::Status LoopImpl::Modify(uint64_t registration, int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = registration;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) return ErrnoStatus("epoll_ctl(MOD)", errno);
  return absl::OkStatus();
}

void LoopImpl::Unregister(uint64_t registration, int fd) {
  const uint32_t slot = static_cast<uint32_t>(registration >> 32);
  const uint32_t generation = static_cast<uint32_t>(registration);
  if (fd >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  if (slot >= registrations_.size()) return;
  Registration& r = registrations_[slot];
  if (r.generation != generation) return;
  r.handler = nullptr;
  if (++r.generation == 0) r.generation = 1;
  free_registrations_.push_back(slot);
}

void LoopImpl::RequestFlush(Flushable* f) { flush_list_.push_back(f); }

void LoopImpl::CancelFlush(Flushable* f) {
  flush_list_.erase(std::remove(flush_list_.begin(), flush_list_.end(), f), flush_list_.end());
}

void LoopImpl::FlushAll() {
  // Flushing runs no user callbacks, so no Flushable is destroyed while the list is walked. A socket that
  // hits EAGAIN keeps its queue and waits for EPOLLOUT instead of re-requesting a flush.
  if (flush_list_.empty()) return;
  flush_scratch_.swap(flush_list_);
  for (Flushable* f : flush_scratch_) f->FlushQueued();
  flush_scratch_.clear();
}

bool LoopImpl::Post(EventLoop::Task task) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) {
      // Destroy the task outside the lock: its destructor may signal a RunSync waiter.
      EventLoop::Task dead = std::move(task);
      (void)dead;
      return false;
    }
    was_empty = queue_.empty();
    queue_.push_back(std::move(task));
  }
  if (was_empty) {
    const uint64_t one = 1;
    ssize_t n = write(wake_fd_, &one, sizeof(one));
    (void)n;  // EAGAIN means the counter is already non-zero: the loop wakes anyway
  }
  return true;
}

bool LoopImpl::IsCurrent() const { return manual_ || tls_current_loop == this; }

void LoopImpl::RequestStop() {
  stop_.store(true, std::memory_order_release);
  const uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;
}

void LoopImpl::Shutdown() {
  std::vector<EventLoop::Task> dead;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shut_down_ = true;
    dead.swap(queue_);
  }
  dead.clear();
}

void LoopImpl::DrainWakeFd() {
  uint64_t value;
  while (read(wake_fd_, &value, sizeof(value)) > 0) {
  }
}

int LoopImpl::RunTasks() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.empty()) return 0;
    running_.swap(queue_);
  }
  const int n = static_cast<int>(running_.size());
  for (EventLoop::Task& t : running_) {
    EventLoop::Task task = std::move(t);
    task();
  }
  running_.clear();
  return n;
}

int LoopImpl::Poll(Duration max_wait) {
  const LoopImpl* previous = tls_current_loop;
  tls_current_loop = this;
  FlushAll();

  // How long to block: until the earliest timer, at most max_wait, never negative.
  Duration wait = max_wait;
  if (std::optional<Timestamp> deadline = timers_.NextDeadline()) {
    const Duration until = *deadline - Now();
    if (until < wait) wait = until;
  }
  if (wait < Duration::Zero()) wait = Duration::Zero();
  if (!flush_list_.empty()) wait = Duration::Zero();

  int n;
  if (pwait2_ok_) {
    timespec ts;
    timespec* tsp = nullptr;
    if (!wait.is_infinite()) {
      ts.tv_sec = wait.us() / 1000000;
      ts.tv_nsec = (wait.us() % 1000000) * 1000;
      tsp = &ts;
    }
    n = epoll_pwait2(epoll_fd_, events_.data(), kMaxEvents, tsp, nullptr);
    if (n < 0 && errno == ENOSYS) pwait2_ok_ = false;
  }
  if (!pwait2_ok_) {
    // Millisecond resolution, rounded up so a timer is never woken for early.
    int ms = -1;
    if (!wait.is_infinite()) {
      const int64_t rounded = (wait.us() + 999) / 1000;
      ms = static_cast<int>(std::min<int64_t>(rounded, 1 << 30));
    }
    n = epoll_wait(epoll_fd_, events_.data(), kMaxEvents, ms);
  }
  if (n < 0) {
    if (errno != EINTR) TERN_LOG(kError) << "epoll_wait: " << strerror(errno);
    n = 0;
  }

  int callbacks = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t id = events_[i].data.u64;
    if (id == kWakeId) {
      DrainWakeFd();
      continue;
    }
    const uint32_t slot = static_cast<uint32_t>(id >> 32);
    const uint32_t generation = static_cast<uint32_t>(id);
    if (slot >= registrations_.size()) continue;
    const Registration& r = registrations_[slot];
    // Skips handlers unregistered by an earlier callback of this batch.
    if (r.generation != generation || r.handler == nullptr) continue;
    r.handler->OnIoEvent(events_[i].events);
    ++callbacks;
  }
  callbacks += timers_.RunDue(Now());
  callbacks += RunTasks();
  FlushAll();
  tls_current_loop = previous;
  return callbacks;
}

void LoopImpl::Run() {
  tls_current_loop = this;
  while (!stop_.load(std::memory_order_acquire)) {
    Poll(Duration::Infinite());
  }
  tls_current_loop = nullptr;
}

}  // namespace net_internal

// ---- SteadyClock ----

Timestamp SteadyClock::Now() const {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Timestamp::Micros(static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000);
}

const SteadyClock& SteadyClock::Get() {
  static const SteadyClock clock;
  return clock;
}

// ---- EventLoop ----

EventLoop::EventLoop(size_t index, std::unique_ptr<net_internal::LoopImpl> impl)
    : index_(index), impl_(std::move(impl)) {}

EventLoop::~EventLoop() = default;

void EventLoop::Post(Task task) { impl_->Post(std::move(task)); }

namespace {
struct SyncState {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool ran = false;
};
// Signals the waiter when destroyed: after the task ran, or when the loop destroyed it unrun.
struct SyncSignal {
  explicit SyncSignal(std::shared_ptr<SyncState> s) : state(std::move(s)) {}
  SyncSignal(SyncSignal&&) = default;
  SyncSignal& operator=(SyncSignal&&) = default;
  ~SyncSignal() {
    if (!state) return;
    std::lock_guard<std::mutex> lock(state->mu);
    state->done = true;
    state->cv.notify_all();
  }
  std::shared_ptr<SyncState> state;
};
}  // namespace

bool EventLoop::RunSync(Task task) {
  if (IsCurrent()) {
    task();
    return true;
  }
  auto state = std::make_shared<SyncState>();
  Post([signal = SyncSignal(state), task = std::move(task)]() mutable {
    task();
    std::lock_guard<std::mutex> lock(signal.state->mu);
    signal.state->ran = true;
  });
  std::unique_lock<std::mutex> lock(state->mu);
  state->cv.wait(lock, [&] { return state->done; });
  return state->ran;
}

bool EventLoop::IsCurrent() const { return impl_->IsCurrent(); }

TimerHandle EventLoop::RunAt(Timestamp when, Task task) {
  return TimerHandle(impl_->Schedule(when, std::move(task)));
}

TimerHandle EventLoop::RunAfter(Duration delay, Task task) { return RunAt(Now() + delay, std::move(task)); }

bool EventLoop::Cancel(TimerHandle handle) { return handle.valid() && impl_->Cancel(handle.id()); }

size_t EventLoop::pending_timers() const { return impl_->pending_timers(); }

Timestamp EventLoop::Now() const { return SteadyClock::Get().Now(); }

const Clock& EventLoop::clock() const { return SteadyClock::Get(); }

int EventLoop::Poll(Duration max_wait) { return impl_->Poll(max_wait); }

bool EventLoop::RunUntil(absl::FunctionRef<bool()> done, Duration timeout) {
  const Timestamp deadline = Now() + timeout;
  while (!done()) {
    const Timestamp now = Now();
    if (now >= deadline) return false;
    // Cap the wait so a predicate that depends on another thread is re-checked regularly.
    Duration wait = deadline - now;
    if (wait > Duration::Millis(5)) wait = Duration::Millis(5);
    impl_->Poll(wait);
  }
  return true;
}

// ---- Runtime ----

struct Runtime::Thread {
  std::thread thread;
};

Runtime::Runtime(RuntimeOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Runtime>> Runtime::Create(RuntimeOptions options) {
  if (options.num_loops < 1 || options.num_loops > 1024) {
    return absl::InvalidArgumentError("RuntimeOptions.num_loops must be in [1, 1024]");
  }
  if (options.udp_recv_batch < 1 || options.udp_recv_batch > 1024 || options.udp_gro_batch < 1 ||
      options.udp_gro_batch > 1024) {
    return absl::InvalidArgumentError("RuntimeOptions receive batches must be in [1, 1024]");
  }
  if (options.udp_recv_slot_bytes < 576 || options.udp_recv_slot_bytes > 65536) {
    return absl::InvalidArgumentError("RuntimeOptions.udp_recv_slot_bytes must be in [576, 65536]");
  }
  std::unique_ptr<Runtime> rt(new Runtime(std::move(options)));
  for (int i = 0; i < rt->options_.num_loops; ++i) {
    absl::StatusOr<std::unique_ptr<net_internal::LoopImpl>> impl =
        net_internal::LoopImpl::Create(rt->options_);
    if (!impl.ok()) return impl.status();
    rt->loops_.push_back(std::unique_ptr<EventLoop>(new EventLoop(static_cast<size_t>(i), std::move(*impl))));
  }
  if (absl::Status s = rt->Start(); !s.ok()) return s;
  return rt;
}

absl::Status Runtime::Start() {
  if (options_.manual) return absl::OkStatus();
  for (size_t i = 0; i < loops_.size(); ++i) {
    auto t = std::make_unique<Thread>();
    net_internal::LoopImpl* impl = &loops_[i]->impl();
    std::string name = (options_.thread_name_prefix + std::to_string(i)).substr(0, 15);
    t->thread = std::thread([impl, name] {
      pthread_setname_np(pthread_self(), name.c_str());
      impl->Run();
    });
    threads_.push_back(std::move(t));
  }
  return absl::OkStatus();
}

Runtime::~Runtime() { Stop(); }

void Runtime::Stop() {
  if (stopped_) return;
  for (auto& loop : loops_) {
    if (loop->impl().IsCurrent() && !options_.manual) {
      TERN_LOG(kError) << "Runtime::Stop called on a loop thread: stop requested, not joined";
      for (auto& l : loops_) l->impl().RequestStop();
      return;
    }
  }
  stopped_ = true;
  for (auto& loop : loops_) loop->impl().RequestStop();
  for (auto& t : threads_) {
    if (t->thread.joinable()) t->thread.join();
  }
  for (auto& loop : loops_) loop->impl().Shutdown();
}

size_t Runtime::num_loops() const { return loops_.size(); }

EventLoop& Runtime::loop(size_t index) {
  if (index >= loops_.size()) {
    TERN_LOG(kError) << "Runtime::loop(" << index << ") out of range; using loop 0";
    index = 0;
  }
  return *loops_[index];
}

void Runtime::Post(size_t loop_index, EventLoop::Task task) {
  if (loop_index >= loops_.size()) return;
  loops_[loop_index]->Post(std::move(task));
}

}  // namespace tern
