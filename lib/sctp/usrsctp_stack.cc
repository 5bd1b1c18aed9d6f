// Process-wide usrsctp state: initialisation, timers, AF_CONN address registry (usrsctp_stack.h).
#include "sctp/usrsctp_stack.h"

#include <usrsctp.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <shared_mutex>

namespace tern::sctp {
namespace {

thread_local uintptr_t tls_driving_id = 0;

// How finely the shared timer list is advanced: while an association is busy (its delayed SACK is
// 20 ms, its RTO at least 200 ms) and while all are idle (heartbeats every 30 s, the cookie secret
// every hour).
constexpr int64_t kBusyTimerStepMs = 10;
constexpr int64_t kIdleTimerStepMs = 100;

}  // namespace

UsrsctpStack& UsrsctpStack::Get() {
  // Never destroyed: usrsctp keeps associations (and their timers) alive past any one object, and
  // usrsctp_finish() refuses while sockets exist.
  static UsrsctpStack* stack = new UsrsctpStack();
  return *stack;
}

UsrsctpStack::UsrsctpStack() {
  // Each usrsctp socket (one per association here) gets a hash table of its associations with this
  // many buckets (default 256: 2 KiB per association for the one entry it ever holds).
  usrsctp_tunable_set_sctp_pcbtblsize(4);
  usrsctp_init_nothreads(0, &UsrsctpStack::ConnOutput, nullptr);
  // tern computes and checks the SCTP checksum itself (sctp/crc32c.h: hardware CRC32c), in
  // Association's conn_output and HandleInput; usrsctp's own is a byte-wise table loop.
  usrsctp_enable_crc32c_offload();
  // Global defaults (per-socket options override the ones that have them).
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  usrsctp_sysctl_set_sctp_asconf_enable(0);
  usrsctp_sysctl_set_sctp_auto_asconf(0);
  usrsctp_sysctl_set_sctp_pr_enable(1);        // RFC 3758, for maxRetransmits / maxPacketLifeTime
  usrsctp_sysctl_set_sctp_reconfig_enable(1);  // RFC 6525 stream reset
  usrsctp_sysctl_set_sctp_nrsack_enable(0);
  usrsctp_sysctl_set_sctp_pktdrop_enable(0);
  // The default (512) caps queued chunks per association far below a 1 MiB buffer of small messages.
  usrsctp_sysctl_set_sctp_max_chunks_on_queue(64 * 1024);
  usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
  usrsctp_sysctl_set_sctp_blackhole(2);
}

uintptr_t UsrsctpStack::Register(PacketSink* sink) {
  uintptr_t id;
  {
    std::unique_lock lock(registry_mutex_);
    id = next_id_++;
    sinks_.emplace(id, sink);
  }
  usrsctp_register_address(reinterpret_cast<void*>(id));
  return id;
}

void UsrsctpStack::Unregister(uintptr_t id) {
  uintptr_t expected = id;
  idle_ticker_.compare_exchange_strong(expected, 0);
  usrsctp_deregister_address(reinterpret_cast<void*>(id));
  std::unique_lock lock(registry_mutex_);
  sinks_.erase(id);
}

size_t UsrsctpStack::live() const {
  std::shared_lock lock(registry_mutex_);
  return sinks_.size();
}

int UsrsctpStack::ConnOutput(void* addr, void* buffer, size_t length, uint8_t /*tos*/, uint8_t /*set_df*/) {
  UsrsctpStack& stack = Get();
  std::shared_lock lock(stack.registry_mutex_);
  auto it = stack.sinks_.find(reinterpret_cast<uintptr_t>(addr));
  if (it != stack.sinks_.end()) it->second->OnOutboundPacket(static_cast<const uint8_t*>(buffer), length);
  return 0;
}

void UsrsctpStack::AdvanceTo(Timestamp now) {
  int64_t seen = max_now_us_.load(std::memory_order_relaxed);
  while (now.us() > seen && !max_now_us_.compare_exchange_weak(seen, now.us(), std::memory_order_relaxed)) {
  }
  std::unique_lock lock(timer_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is advancing; a later call catches up
  int64_t target_ms = max_now_us_.load(std::memory_order_relaxed) / 1000;
  if (!time_started_) {
    time_started_ = true;
    time_ms_ = target_ms;
    return;
  }
  // usrsctp walks its whole (unsorted) timer list at every advance, so when any of thousands of
  // associations is driven at each new millisecond, that walk is most of what idle connections cost
  // (perf: sctp_handle_tick, ~64% of the CPU of 1,000 idle pairs). Advancing in steps bounds the walks
  // to 100 a second while anything is busy and 10 while nothing is; a timer runs at most one step
  // late (10 ms is also the busy associations' own tick).
  const int64_t min_step = busy_.load(std::memory_order_relaxed) > 0 ? kBusyTimerStepMs : kIdleTimerStepMs;
  if (target_ms - time_ms_ < min_step) return;
  while (target_ms > time_ms_) {
    int64_t step = std::min<int64_t>(target_ms - time_ms_, INT32_MAX);
    time_ms_ += step;
    usrsctp_handle_timers(static_cast<uint32_t>(step));
  }
}

bool UsrsctpStack::TakeIdleTicker(uintptr_t id) {
  uintptr_t holder = idle_ticker_.load(std::memory_order_relaxed);
  if (holder == id) return true;
  return holder == 0 && idle_ticker_.compare_exchange_strong(holder, id);
}

Timestamp UsrsctpStack::time() const {
  return Timestamp::Micros(max_now_us_.load(std::memory_order_relaxed));
}

uintptr_t UsrsctpStack::DrivingId() { return tls_driving_id; }
void UsrsctpStack::SetDrivingId(uintptr_t id) { tls_driving_id = id; }

}  // namespace tern::sctp
