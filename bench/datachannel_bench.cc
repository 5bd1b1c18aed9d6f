// tern_datachannel_bench: the data-channel macro bench of issue 5 §6, the same measurements as the Pion
// anchor (bench/anchors/pion/main.go) so bench/compare_datachannel.sh can put them in one table. Two
// tern::PeerConnections in this process on one Runtime talk over 127.0.0.1; one JSON object per line:
//
//   {"metric":"setup_ms","pairs_open":N,"median":..,"p99":..,"samples":50}
//     CreateDataChannel + CreateOffer -> the channel open on both sides (offer/answer and trickled
//     candidates handed over in process by the main thread)
//   {"metric":"throughput","size":S,"messages_per_s":..,"mb_per_s":..,"cpu_s_per_gb":..}
//     one reliable ordered channel, S-byte binary messages for --seconds; the sender refills its
//     buffer (up to --high-water-kib, default 1024) from OnBufferedAmountLow on the loop thread; CPU is
//     the whole process (getrusage)
//   {"metric":"rss_per_pc_kib","pairs":N,...}
//     RSS growth per connected PeerConnection with one open channel, holding N pairs (after
//     malloc_trim, as the anchor runs the Go GC and FreeOSMemory), and the CPU the idle pairs use
//     (cores, over 2 s)
//
// It is a plain program rather than a Google Benchmark: its figures are distributions over whole
// connections (median and p99 of setups, RSS per connection), which the anchor reports the same way.
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "tern/tern.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Fatal(const std::string& what) {
  std::fprintf(stderr, "tern_datachannel_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Check(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) Fatal(std::string(what) + ": " + std::string(v.status().ToString()));
  return std::move(*v);
}

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) Fatal(std::string(what) + ": " + std::string(s.ToString()));
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

long RssKiB() {
  std::ifstream in("/proc/self/statm");
  long size = 0, resident = 0;
  in >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE) / 1024;
}

long SettledRssKiB() {
  malloc_trim(0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  malloc_trim(0);
  return RssKiB();
}

// A connected pair with one open channel on each side.
struct Pair {
  std::unique_ptr<tern::PeerConnection> a, b;
  std::shared_ptr<tern::DataChannel> da, db;
  ~Pair() {
    da.reset();
    db.reset();
    if (a) a->Close();
    if (b) b->Close();
  }
};

// Hands each side's trickled candidates to the other from the calling thread (a loop thread must not
// wait on another loop), and waits until both ends of the channel are open.
struct Handshake {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<bool, tern::IceCandidate>> candidates;  // (for b?, candidate)
  int open = 0;
  std::shared_ptr<tern::DataChannel> remote;
};

std::unique_ptr<Pair> Connect(tern::Runtime& runtime, double* setup_ms) {
  tern::Configuration config;
  config.bind_addresses = {tern::IpAddress::LoopbackV4()};
  auto pair = std::make_unique<Pair>();
  auto hs = std::make_shared<Handshake>();
  pair->a = Check(tern::PeerConnection::Create(runtime, config), "PeerConnection::Create");
  pair->b = Check(tern::PeerConnection::Create(runtime, config), "PeerConnection::Create");
  pair->a->OnLocalCandidate([hs](tern::IceCandidate c) {
    std::lock_guard<std::mutex> lock(hs->mu);
    hs->candidates.emplace_back(true, std::move(c));
    hs->cv.notify_all();
  });
  pair->b->OnLocalCandidate([hs](tern::IceCandidate c) {
    std::lock_guard<std::mutex> lock(hs->mu);
    hs->candidates.emplace_back(false, std::move(c));
    hs->cv.notify_all();
  });
  pair->b->OnDataChannel([hs](std::shared_ptr<tern::DataChannel> dc) {
    std::lock_guard<std::mutex> lock(hs->mu);
    hs->remote = std::move(dc);
    ++hs->open;
    hs->cv.notify_all();
  });

  const auto start = Clock::now();
  pair->da = Check(pair->a->CreateDataChannel("bench"), "CreateDataChannel");
  pair->da->OnOpen([hs] {
    std::lock_guard<std::mutex> lock(hs->mu);
    ++hs->open;
    hs->cv.notify_all();
  });
  tern::SessionDescription offer = Check(pair->a->CreateOffer(), "CreateOffer");
  Check(pair->a->SetLocalDescription(offer), "SetLocalDescription(offer)");
  Check(pair->b->SetRemoteDescription(offer), "SetRemoteDescription(offer)");
  tern::SessionDescription answer = Check(pair->b->CreateAnswer(), "CreateAnswer");
  Check(pair->b->SetLocalDescription(answer), "SetLocalDescription(answer)");
  Check(pair->a->SetRemoteDescription(answer), "SetRemoteDescription(answer)");

  const auto deadline = start + std::chrono::seconds(20);
  std::unique_lock<std::mutex> lock(hs->mu);
  while (hs->open < 2) {
    if (!hs->candidates.empty()) {
      auto [to_b, c] = std::move(hs->candidates.front());
      hs->candidates.pop_front();
      lock.unlock();
      Check((to_b ? pair->b : pair->a)->AddIceCandidate(c), "AddIceCandidate");
      lock.lock();
      continue;
    }
    if (hs->cv.wait_until(lock, deadline) == std::cv_status::timeout) Fatal("a pair did not connect within 20 s");
  }
  *setup_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  pair->db = hs->remote;
  lock.unlock();
  // No callback of this pair refers to `hs` after this point except the candidate ones, which only
  // append to it (it is shared, so that is safe).
  return pair;
}

void Emit(const std::string& json) {
  std::printf("%s\n", json.c_str());
  std::fflush(stdout);
}

std::pair<double, double> Quantiles(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  size_t idx = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(n))) - 1;  // nearest rank
  return {median, v[std::min(idx, n - 1)]};
}

void MeasureSetup(tern::Runtime& runtime, int samples, int pairs_open) {
  std::vector<double> ms;
  for (int i = 0; i < samples; ++i) {
    double t = 0;
    auto pair = Connect(runtime, &t);
    ms.push_back(t);
  }
  auto [median, p99] = Quantiles(ms);
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "{\"metric\":\"setup_ms\",\"pairs_open\":%d,\"median\":%.4f,\"p99\":%.4f,\"samples\":%d}",
                pairs_open, median, p99, samples);
  Emit(buf);
}

uint64_t g_high_water = 1u << 20;  // --high-water-kib

void MeasureThroughput(tern::Runtime& runtime, size_t size, double seconds) {
  double unused = 0;
  auto pair = Connect(runtime, &unused);
  const uint64_t kHighWater = g_high_water;
  std::atomic<uint64_t> received_bytes{0}, received_messages{0}, sent{0};
  std::atomic<bool> running{true};
  pair->db->OnMessage([&](tern::DataChannelMessage m) {
    received_bytes.fetch_add(m.data.size(), std::memory_order_relaxed);
    received_messages.fetch_add(1, std::memory_order_relaxed);
  });
  std::vector<uint8_t> msg(size);
  for (size_t i = 0; i < size; ++i) msg[i] = static_cast<uint8_t>(i);
  tern::DataChannel* da = pair->da.get();
  // Refill up to the high-water mark; runs on the loop thread from OnBufferedAmountLow.
  auto refill = [&, da] {
    while (running.load(std::memory_order_relaxed) && da->buffered_amount() < kHighWater) {
      if (!da->Send(std::span<const uint8_t>(msg)).ok()) return;
      sent.fetch_add(1, std::memory_order_relaxed);
    }
  };
  da->SetBufferedAmountLowThreshold(kHighWater / 2);
  da->OnBufferedAmountLow(refill);
  const double cpu0 = CpuSeconds();
  const auto start = Clock::now();
  refill();  // the first fill from here; the rest from the loop
  const auto deadline = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    // A low-water callback can be missed only if the buffer drained while we were filling from this
    // thread; nudge the sender if it has stalled.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (da->buffered_amount() <= kHighWater / 2) refill();
  }
  running = false;
  const auto drain_deadline = Clock::now() + std::chrono::seconds(10);
  while (received_messages.load() < sent.load() && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = CpuSeconds() - cpu0;
  if (received_bytes.load() == 0 || elapsed <= 0) Fatal("no data moved");
  if (received_messages.load() < sent.load()) {
    Fatal("only " + std::to_string(received_messages.load()) + " of " + std::to_string(sent.load()) + " arrived");
  }
  pair->db->OnMessage([](tern::DataChannelMessage) {});
  pair->da->OnBufferedAmountLow([] {});
  const double bytes = static_cast<double>(received_bytes.load());
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "{\"metric\":\"throughput\",\"size\":%zu,\"messages\":%llu,\"seconds\":%.4f,\"messages_per_s\":%.1f,"
                "\"mb_per_s\":%.3f,\"cpu_s_per_gb\":%.4f,\"cpu_cores\":%.3f}",
                size, static_cast<unsigned long long>(received_messages.load()), elapsed,
                static_cast<double>(received_messages.load()) / elapsed, bytes / elapsed / 1e6, cpu / (bytes / 1e9),
                cpu / elapsed);
  Emit(buf);
}

}  // namespace

int main(int argc, char** argv) {
  int samples = 50, pairs = 1000, loops = 2;
  double seconds = 3;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Fatal("missing value for " + a);
      return argv[++i];
    };
    if (a == "--samples") samples = std::stoi(value());
    else if (a == "--pairs") pairs = std::stoi(value());
    else if (a == "--seconds") seconds = std::stod(value());
    else if (a == "--loops") loops = std::stoi(value());
    else if (a == "--only") only = value();
    else if (a == "--high-water-kib") g_high_water = std::stoull(value()) * 1024;
    else Fatal("unknown argument " + a + " (--samples N --pairs N --seconds S --loops N --only setup,throughput,pairs --high-water-kib N)");
  }
  auto want = [&](const char* what) { return only.empty() || only.find(what) != std::string::npos; };
  // Two sockets per pair and some descriptors per loop: raise the soft limit as Go does at start.
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  tern::RuntimeOptions options;
  options.num_loops = loops;
  auto runtime = Check(tern::Runtime::Create(options), "Runtime::Create");
  {
    char buf[128];
    std::snprintf(buf, sizeof(buf), "{\"metric\":\"info\",\"impl\":\"tern\",\"loops\":%d}", loops);
    Emit(buf);
  }
  if (want("setup")) {
    double warm = 0;
    Connect(*runtime, &warm);  // warm up
    MeasureSetup(*runtime, samples, 0);
  }
  if (want("throughput")) {
    MeasureThroughput(*runtime, 65536, seconds);
    MeasureThroughput(*runtime, 1024, seconds);
  }
  if (want("pairs") && pairs > 0) {
    const long before = SettledRssKiB();
    std::vector<std::unique_ptr<Pair>> held;
    held.reserve(static_cast<size_t>(pairs));
    for (int i = 0; i < pairs; ++i) {
      double t = 0;
      held.push_back(Connect(*runtime, &t));
    }
    const long after = SettledRssKiB();
    // What the idle pairs cost: CPU over 2 s with nothing sent (keepalives, consent checks, timers).
    const double cpu0 = CpuSeconds();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const double idle_cores = (CpuSeconds() - cpu0) / 2;
    char buf[320];
    std::snprintf(buf, sizeof(buf),
                  "{\"metric\":\"rss_per_pc_kib\",\"pairs\":%d,\"per_pc\":%.2f,\"rss_before_kib\":%ld,"
                  "\"rss_after_kib\":%ld,\"idle_cpu_cores\":%.4f}",
                  pairs, static_cast<double>(after - before) / (2.0 * pairs), before, after, idle_cores);
    Emit(buf);
    MeasureSetup(*runtime, samples, pairs);
    held.clear();
  }
  return 0;
}
