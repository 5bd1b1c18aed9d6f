// The process-wide part of tern's use of usrsctp: one-time initialisation without usrsctp's threads
// (usrsctp_init_nothreads), the shared timer list advanced from the associations' clock, and the
// registry that routes usrsctp's conn_output callback to the association an AF_CONN address names.
//
// Addresses. Each association registers a fresh 64-bit id (never reused in the process) as its AF_CONN
// address. usrsctp passes that id back in conn_output; an id that is no longer registered (the
// association is gone, usrsctp still finishing it) is dropped. Ids, not pointers, so a late timer of a
// destroyed association can never reach a new one that happens to sit at the same address.
//
// Threading. usrsctp protects its own state with its own (pthread) locks and may call conn_output on
// any thread that is inside usrsctp (a timer run from one association's thread sends another's
// retransmission). tern adds:
//   - registry_mutex_ (shared): held while conn_output looks an id up and while an association
//     registers or unregisters; never held while calling into usrsctp;
//   - timer_mutex_: one thread at a time advances the timer list (try-lock: a thread that finds it
//     busy leaves the advance to the thread inside; the next caller catches up from the max time);
//   - each association's outbox mutex (in association.cc), taken inside conn_output.
// Lock order: usrsctp's locks -> registry_mutex_ -> an outbox mutex. No tern lock is held across a
// call into usrsctp except timer_mutex_, which conn_output never takes.
#ifndef TERN_LIB_SCTP_USRSCTP_STACK_H_
#define TERN_LIB_SCTP_USRSCTP_STACK_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "tern/base/time.h"

namespace tern::sctp {

// What the registry routes packets to: implemented by Association::Impl.
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  // Called by usrsctp (possibly on another thread) with one outbound SCTP packet.
  virtual void OnOutboundPacket(const uint8_t* data, size_t size) = 0;
};

class UsrsctpStack {
 public:
  // The stack, initialised on first use.
  static UsrsctpStack& Get();

  // Registers `sink` under a fresh id and usrsctp_register_address()es it. Returns the id.
  uintptr_t Register(PacketSink* sink);
  // usrsctp_deregister_address() and forgets the id; after return no callback reaches the sink.
  void Unregister(uintptr_t id);

  // Advances usrsctp's timers to `now` (the largest time seen wins; earlier times do nothing).
  void AdvanceTo(Timestamp now);

  // The idle ticker. usrsctp's timer list is shared, so one idle association that advances it every
  // second serves every association: the others' timers fire from its calls and reach their owners
  // through their wake handlers. TakeIdleTicker(id) returns true when `id` holds the role (taking it
  // when it is free); Unregister frees it. Only associations with a wake handler take part.
  bool TakeIdleTicker(uintptr_t id);

  // How many associations are busy (data in flight, being set up or closed down): while any is, the
  // shared timers advance in 10 ms steps; while none is, in 100 ms steps (see AdvanceTo).
  void AddBusy(int delta) { busy_.fetch_add(delta, std::memory_order_relaxed); }
  int busy() const { return busy_.load(std::memory_order_relaxed); }
  Timestamp time() const;
  size_t live() const;

  // The id of the association the calling thread is driving now (0 when none), so conn_output can
  // tell a packet produced by that association's own call from one produced by a shared timer.
  static uintptr_t DrivingId();
  static void SetDrivingId(uintptr_t id);

 private:
  UsrsctpStack();
  static int ConnOutput(void* addr, void* buffer, size_t length, uint8_t tos, uint8_t set_df);

  mutable std::shared_mutex registry_mutex_;
  std::unordered_map<uintptr_t, PacketSink*> sinks_;
  uintptr_t next_id_ = 1;

  std::mutex timer_mutex_;
  bool time_started_ = false;
  int64_t time_ms_ = 0;                 // guarded by timer_mutex_
  std::atomic<int64_t> max_now_us_{0};  // the largest now seen
  std::atomic<uintptr_t> idle_ticker_{0};  // 0: nobody
  std::atomic<int> busy_{0};
};

// Marks the calling thread as driving association `id` for the scope.
class DrivingScope {
 public:
  explicit DrivingScope(uintptr_t id) : previous_(UsrsctpStack::DrivingId()) {
    UsrsctpStack::SetDrivingId(id);
  }
  ~DrivingScope() { UsrsctpStack::SetDrivingId(previous_); }
  DrivingScope(const DrivingScope&) = delete;
  DrivingScope& operator=(const DrivingScope&) = delete;

 private:
  uintptr_t previous_;
};

}  // namespace tern::sctp

#endif  // TERN_LIB_SCTP_USRSCTP_STACK_H_
