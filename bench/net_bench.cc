// UDP echo through tern's Runtime on 127.0.0.1, everything on ONE loop thread (a manual-mode loop driven by
// the benchmark thread): a client socket sends a window of datagrams to an echo server socket and waits for
// all echoes. Compares the batched paths (recvmmsg/sendmmsg, plus UDP GSO/GRO) with one syscall per
// datagram (the anchor). Counts heap allocations to show the receive/send hot path makes none.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "tern/base/random.h"
#include "tern/net/runtime.h"
#include "tern/net/udp_socket.h"

#include "allocation_counter.h"

namespace tern {
namespace {

enum Path : int64_t { kSingle = 0, kBatched = 1, kBatchedGsoGro = 2 };

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "net_bench: %s\n", what);
  std::abort();
}

// args: path, window (datagrams in flight), payload bytes.
void BM_UdpEchoOneLoop(benchmark::State& state) {
  const Path path = static_cast<Path>(state.range(0));
  const int window = static_cast<int>(state.range(1));
  const size_t size = static_cast<size_t>(state.range(2));
  RuntimeOptions ro;
  ro.manual = true;
  auto rt = Runtime::Create(ro);
  if (!rt.ok()) Die("runtime");
  EventLoop& loop = (*rt)->loop(0);
  SeededRandom random(1);
  UdpSocketOptions o;
  o.bind = SocketAddress(IpAddress::LoopbackV4(), 0);
  o.batching = path != kSingle;
  o.gso = path == kBatchedGsoGro;
  o.gro = path == kBatchedGsoGro;
  o.recv_buffer_size = 4 << 20;
  o.send_buffer_size = 4 << 20;
  std::unique_ptr<UdpSocket> server;
  auto server_or = UdpSocket::Open(loop, o, random, [&](const Datagram& d) {
    if (!server->Send(d.remote, d.payload).ok()) Die("echo send");
  });
  if (!server_or.ok()) Die("server socket");
  server = std::move(*server_or);
  int64_t echoed = 0;
  auto client = UdpSocket::Open(loop, o, random, [&](const Datagram&) { ++echoed; });
  if (!client.ok()) Die("client socket");
  if (path == kBatchedGsoGro && !((*client)->gso_enabled() && server->gro_enabled())) {
    state.SkipWithError("kernel lacks UDP GSO/GRO");
    return;
  }
  const SocketAddress to = server->local_address();
  const std::vector<uint8_t> payload(size, 0xab);

  auto round = [&] {
    const int64_t target = echoed + window;
    for (int i = 0; i < window; ++i) (void)(*client)->Send(to, payload);
    int spins = 0;
    while (echoed < target) {
      loop.Poll(Duration::Millis(200));
      if (++spins > 100000) Die("echo stalled (datagrams lost?)");
    }
  };
  for (int i = 0; i < 50; ++i) round();  // warm up: buffers reach their steady size
  const uint64_t alloc_start = ::tern::bench::Allocations();
  const UdpSocket::Stats s0 = server->stats();
  for (auto _ : state) round();
  const uint64_t packets = static_cast<uint64_t>(state.iterations()) * static_cast<uint64_t>(window);
  const UdpSocket::Stats& s1 = server->stats();
  state.SetItemsProcessed(static_cast<int64_t>(packets));  // echoed datagrams (each received and sent once)
  state.SetBytesProcessed(static_cast<int64_t>(packets * size));
  state.counters["allocs/pkt"] =
      static_cast<double>(::tern::bench::Allocations() - alloc_start) / static_cast<double>(packets);
  state.counters["srv_rx_calls/pkt"] =
      static_cast<double>(s1.recv_syscalls - s0.recv_syscalls) / static_cast<double>(packets);
  state.counters["srv_tx_calls/pkt"] =
      static_cast<double>(s1.send_syscalls - s0.send_syscalls) / static_cast<double>(packets);
  if (s1.send_errors != 0 || s1.truncated != 0) Die("send errors or truncation");
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"path", "window", "bytes"});
  for (int64_t path : {kSingle, kBatched, kBatchedGsoGro}) {
    b->Args({path, 32, 1200});
    b->Args({path, 32, 160});
  }
}
BENCHMARK(BM_UdpEchoOneLoop)->Apply(Args);

// Schedule + cancel one timer while `n` others are pending: O(log n) in the indexed heap.
void BM_TimerScheduleCancel(benchmark::State& state) {
  RuntimeOptions ro;
  ro.manual = true;
  auto rt = Runtime::Create(ro);
  if (!rt.ok()) Die("runtime");
  EventLoop& loop = (*rt)->loop(0);
  SeededRandom random(3);
  const Timestamp base = loop.Now() + Duration::Seconds(3600);
  for (int64_t i = 0; i < state.range(0); ++i) {
    loop.RunAt(base + Duration::Micros(static_cast<int64_t>(random.Uniform(1000000))), [] {});
  }
  int64_t k = 0;
  for (auto _ : state) {
    TimerHandle h = loop.RunAt(base + Duration::Micros(k++ % 1000000), [] {});
    benchmark::DoNotOptimize(loop.Cancel(h));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimerScheduleCancel)->Arg(16)->Arg(1024)->Arg(65536);

// Post from the loop's own thread and run the task: the task-queue + eventfd cost per task, in batches of 64.
void BM_PostAndRun(benchmark::State& state) {
  RuntimeOptions ro;
  ro.manual = true;
  auto rt = Runtime::Create(ro);
  if (!rt.ok()) Die("runtime");
  EventLoop& loop = (*rt)->loop(0);
  int64_t ran = 0;
  for (auto _ : state) {
    for (int i = 0; i < 64; ++i) loop.Post([&ran] { ++ran; });
    loop.Poll(Duration::Zero());
  }
  if (ran != state.iterations() * 64) Die("posted tasks lost");
  state.SetItemsProcessed(ran);
}
BENCHMARK(BM_PostAndRun);

}  // namespace
}  // namespace tern

BENCHMARK_MAIN();
