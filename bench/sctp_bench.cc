// lib/sctp benchmarks: two associations back to back in memory (no DTLS, no sockets), one reliable
// ordered data channel, at the default 1200-byte packets. Throughput with 64 KiB and 1 KiB messages
// (bytes/s and messages/s), with and without I-DATA; heap and RSS per connected association.
// Time is the real steady clock: usrsctp measures RTT on the wall clock (association.h).
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "tern/sctp/association.h"

namespace tern::sctp {
namespace {

Timestamp Now() {
  static const auto start = std::chrono::steady_clock::now();
  static const Timestamp base = UsrsctpStackTime() + Duration::Seconds(1);
  return base + Duration::Micros(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - start)
                                     .count());
}

class Pair {
 public:
  explicit Pair(bool interleaving = true, uint16_t streams = 1024) {
    AssociationConfig config;
    config.enable_interleaving = interleaving;
    config.max_streams = streams;
    config.role = Role::kClient;
    a_ = std::move(*Association::Create(config));
    config.role = Role::kServer;
    b_ = std::move(*Association::Create(config));
    (void)a_->Connect(Now());
    (void)b_->Connect(Now());
    while (a_->state() != AssociationState::kConnected || b_->state() != AssociationState::kConnected) Pump();
    ChannelOptions options;
    options.label = "bench";
    channel_ = *a_->OpenChannel(options);
    while (!b_->Channel(channel_)) Pump();
  }

  // Moves packets both ways until both sides are quiet; fires due timeouts. Returns packets moved.
  size_t Pump() {
    size_t moved = 0;
    for (;;) {
      size_t round = 0;
      Timestamp now = Now();
      while (std::optional<std::vector<uint8_t>> p = a_->PollTransmit()) {
        (void)b_->HandleInput(*p, now);
        ++round;
      }
      while (std::optional<std::vector<uint8_t>> p = b_->PollTransmit()) {
        (void)a_->HandleInput(*p, now);
        ++round;
      }
      while (std::optional<Event> e = b_->PollEvent()) {
        if (e->type == Event::Type::kMessage) {
          ++received_messages_;
          received_bytes_ += e->data.size();
        }
      }
      while (a_->PollEvent()) {
      }
      for (Association* s : {a_.get(), b_.get()}) {
        if (s->NextTimeout() && *s->NextTimeout() <= now) {
          s->HandleTimeout(now);
          ++round;
        }
      }
      moved += round;
      if (round == 0) return moved;
    }
  }

  Association& a() { return *a_; }
  Association& b() { return *b_; }
  uint16_t channel() const { return channel_; }
  uint64_t received_messages() const { return received_messages_; }
  uint64_t received_bytes() const { return received_bytes_; }

 private:
  std::unique_ptr<Association> a_, b_;
  uint16_t channel_ = 0;
  uint64_t received_messages_ = 0;
  uint64_t received_bytes_ = 0;
};

// state.range(0): message size; state.range(1): I-DATA offered (1) or not (0).
void BM_Throughput(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  Pair pair(state.range(1) != 0);
  std::vector<uint8_t> message(size, 0xA5);
  uint64_t sent = 0;
  const uint64_t base_messages = pair.received_messages();
  for (auto _ : state) {
    // Keep about 1 MiB waiting in the channel's queue beyond what the stack holds.
    while (pair.a().BufferedAmount(pair.channel()) > 1024 * 1024) pair.Pump();
    if (!pair.a().Send(pair.channel(), MessageKind::kBinary, message).ok())
      state.SkipWithError("Send failed");
    ++sent;
    pair.Pump();
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (pair.received_messages() - base_messages < sent && std::chrono::steady_clock::now() < deadline) {
    if (pair.Pump() == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  if (pair.received_messages() - base_messages != sent) state.SkipWithError("not everything arrived");
  state.SetBytesProcessed(static_cast<int64_t>(sent * size));
  state.SetItemsProcessed(static_cast<int64_t>(sent));
  state.counters["I-DATA"] = pair.a().interleaving() ? 1 : 0;
}
BENCHMARK(BM_Throughput)
    ->ArgsProduct({{64 * 1024, 1024}, {1, 0}})
    ->ArgNames({"msg", "idata"})
    ->UseRealTime()
    ->MinTime(2.0);

size_t RssBytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Heap (malloc'd bytes in use, usrsctp's included) and RSS per association, holding state.range(0)
// connected pairs with one open channel each, idle, with state.range(1) streams each way.
void BM_MemoryPerAssociation(benchmark::State& state) {
  const int pairs_count = static_cast<int>(state.range(0));
  const uint16_t streams = static_cast<uint16_t>(state.range(1));
  for (auto _ : state) {
    malloc_trim(0);
    size_t heap_before = mallinfo2().uordblks;
    size_t rss_before = RssBytes();
    std::vector<std::unique_ptr<Pair>> pairs;
    pairs.reserve(pairs_count);
    for (int i = 0; i < pairs_count; ++i) pairs.push_back(std::make_unique<Pair>(true, streams));
    size_t heap_after = mallinfo2().uordblks;
    size_t rss_after = RssBytes();
    double n = 2.0 * pairs_count;
    state.counters["heap_KiB_per_assoc"] = (static_cast<double>(heap_after) - heap_before) / n / 1024;
    state.counters["rss_KiB_per_assoc"] = (static_cast<double>(rss_after) - rss_before) / n / 1024;
    state.PauseTiming();
    pairs.clear();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_MemoryPerAssociation)
    ->ArgsProduct({{500}, {1024, 256, 64}})
    ->ArgNames({"pairs", "streams"})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// What an idle association costs: one HandleTimeout (the 1 s idle tick NextTimeout asks for) on one of
// 1000 connected, idle associations, round robin.
void BM_IdleTick(benchmark::State& state) {
  std::vector<std::unique_ptr<Pair>> pairs;
  for (int i = 0; i < 500; ++i) pairs.push_back(std::make_unique<Pair>());
  for (auto& p : pairs) p->Pump();
  size_t next = 0;
  for (auto _ : state) {
    Pair& p = *pairs[(next / 2) % pairs.size()];
    Association& s = (next % 2) ? p.b() : p.a();
    s.HandleTimeout(Now());
    while (s.PollTransmit()) {
    }
    while (s.PollEvent()) {
    }
    ++next;
  }
  state.counters["associations"] = 1000;
}
BENCHMARK(BM_IdleTick);

}  // namespace
}  // namespace tern::sctp

BENCHMARK_MAIN();
