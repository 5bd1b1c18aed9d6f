// Heap-allocation counting for the benchmarks: replaces the global operator new/delete so each bench
// can report allocs/op (tern's hot paths should make none). Include it from exactly one source file of
// a benchmark program (each bench here is one file).
#ifndef TERN_BENCH_ALLOCATION_COUNTER_H_
#define TERN_BENCH_ALLOCATION_COUNTER_H_

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "benchmark/benchmark.h"

namespace tern::bench {
// Relaxed atomic: net_bench allocates on a loop thread too.
inline std::atomic<uint64_t> g_allocations{0};
inline uint64_t Allocations() { return g_allocations.load(std::memory_order_relaxed); }

// Reports the heap allocations made between its construction and Report(), per iteration.
class AllocationCounter {
 public:
  AllocationCounter() : start_(Allocations()) {}
  void Report(benchmark::State& state) const {
    state.counters["allocs/op"] =
        benchmark::Counter(static_cast<double>(Allocations() - start_), benchmark::Counter::kAvgIterations);
  }

 private:
  uint64_t start_;
};
}  // namespace tern::bench

[[gnu::noinline]] void* operator new(size_t size) {
  tern::bench::g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, size_t) noexcept { std::free(p); }

#endif  // TERN_BENCH_ALLOCATION_COUNTER_H_
