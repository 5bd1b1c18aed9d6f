// Time-to-connected of two tern ICE agents on the real runtime over 127.0.0.1 (the ICE issue's
// "time-to-connected on loopback, median of 50, gathering included").
//
// One repetition: open a tern::UdpSocket on 127.0.0.1 for each side, start both agents (host
// gathering), exchange credentials, trickle the candidates through posted tasks (an asynchronous
// signaling channel with no added delay), and poll the manual-mode EventLoop until both agents report
// connected with a selected pair. The manual time of the repetition is from just before the sockets
// are opened until the later of the two agents is connected. 50 repetitions of one iteration each;
// the aggregates are the median and the p99 (plus mean/stddev).
//
// Two pacings: the RFC 8445 §14.2 default Ta = 50 ms (tern's default) and Ta = 5 ms, the floor the
// RFC allows. With regular nomination the controlling agent's USE-CANDIDATE check waits for the next
// Ta slot after the first check, so the default-Ta figure is dominated by one Ta.
//
//   build/rel/bench/tern_ice_connect_bench
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "benchmark/benchmark.h"
#include "tern/base/random.h"
#include "tern/ice/ice_agent.h"
#include "tern/net/runtime.h"
#include "tern/net/sans_io_driver.h"
#include "tern/net/udp_socket.h"

namespace tern {
namespace {

using ice::IceAgent;
using ice::IceAgentConfig;
using ice::IceConnectionState;
using ice::IceEvent;
using ice::IceRole;

// One side: socket on 127.0.0.1, agent, driver. Loop thread only.
class Side {
 public:
  Side(EventLoop& loop, Random& random) : loop_(loop), random_(random) {}
  ~Side() {
    driver_.reset();
    agent_.reset();
    socket_.reset();
  }

  bool Start(IceRole role, Duration ta, Side* peer) {
    peer_ = peer;
    UdpSocketOptions options;
    options.bind = SocketAddress(IpAddress::LoopbackV4(), 0);
    auto socket = UdpSocket::Open(loop_, options, random_, [this](const Datagram& d) {
      if (driver_) driver_->HandleInput(d);
    });
    if (!socket.ok()) return false;
    socket_ = std::move(*socket);
    IceAgentConfig config;
    config.role = role;
    config.ta = ta;
    config.host_addresses = {socket_->local_address()};
    agent_ = std::make_unique<IceAgent>(std::move(config), random_);
    driver_ = std::make_unique<SansIoDriver<IceAgent>>(loop_, *agent_, [this](IceEvent e) { OnEvent(e); });
    driver_->AddSocket(socket_.get());
    if (!agent_->Start(loop_.Now()).ok()) return false;
    driver_->Drain();
    return true;
  }

  void SetRemoteCredentials(const ice::IceCredentials& credentials) {
    (void)agent_->SetRemoteCredentials(credentials, loop_.Now());
    driver_->Drain();
  }

  IceAgent& agent() { return *agent_; }
  bool connected() const { return connected_; }
  bool failed() const { return failed_; }
  bool loopback_only() const { return loopback_only_; }

 private:
  void OnEvent(const IceEvent& e) {
    if (const auto* g = std::get_if<ice::IceCandidateGathered>(&e)) {
      if (g->candidate.address.ip() != IpAddress::LoopbackV4()) loopback_only_ = false;
      Side* peer = peer_;
      ice::Candidate c = g->candidate;
      loop_.Post([peer, c] {
        (void)peer->agent_->AddRemoteCandidate(c, peer->loop_.Now());
        peer->driver_->Drain();
      });
    } else if (std::holds_alternative<ice::IceGatheringComplete>(e)) {
      Side* peer = peer_;
      loop_.Post([peer] {
        peer->agent_->SetRemoteEndOfCandidates(peer->loop_.Now());
        peer->driver_->Drain();
      });
    } else if (const auto* s = std::get_if<ice::IceStateChanged>(&e)) {
      if (s->state == IceConnectionState::kConnected || s->state == IceConnectionState::kCompleted) {
        connected_ = agent_->selected_pair().has_value();
      }
      if (s->state == IceConnectionState::kFailed) failed_ = true;
    }
  }

  EventLoop& loop_;
  Random& random_;
  Side* peer_ = nullptr;
  std::unique_ptr<UdpSocket> socket_;
  std::unique_ptr<IceAgent> agent_;
  std::unique_ptr<SansIoDriver<IceAgent>> driver_;
  bool connected_ = false;
  bool failed_ = false;
  bool loopback_only_ = true;
};

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank: with 50 samples the p99 is the largest.
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

void BM_IceTimeToConnectedLoopback(benchmark::State& state) {
  const Duration ta = Duration::Millis(state.range(0));
  RuntimeOptions options;
  options.manual = true;
  auto runtime = Runtime::Create(options);
  if (!runtime.ok()) {
    state.SkipWithError("Runtime::Create failed");
    return;
  }
  EventLoop& loop = (*runtime)->loop(0);
  CryptoRandom random;
  for (auto _ : state) {
    const Timestamp start = loop.Now();
    Side a(loop, random), b(loop, random);
    if (!a.Start(IceRole::kControlling, ta, &b) || !b.Start(IceRole::kControlled, ta, &a)) {
      state.SkipWithError("could not start the agents");
      break;
    }
    a.SetRemoteCredentials(b.agent().local_credentials());
    b.SetRemoteCredentials(a.agent().local_credentials());
    bool ok = loop.RunUntil(
        [&] { return (a.connected() && b.connected()) || a.failed() || b.failed(); }, Duration::Seconds(10));
    const Timestamp end = loop.Now();
    if (!ok || !a.connected() || !b.connected()) {
      state.SkipWithError("the agents did not connect within 10 s");
      break;
    }
    if (!a.loopback_only() || !b.loopback_only()) {
      state.SkipWithError("a candidate was not on 127.0.0.1");
      break;
    }
    state.SetIterationTime(static_cast<double>((end - start).us()) / 1e6);
    a.agent().Close();
    b.agent().Close();
  }
}

BENCHMARK(BM_IceTimeToConnectedLoopback)
    ->ArgName("ta_ms")
    ->Arg(50)
    ->Arg(5)
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(50)
    ->ComputeStatistics("p99", [](const std::vector<double>& v) { return Percentile(v, 0.99); })
    ->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); })
    ->ReportAggregatesOnly(true)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tern

BENCHMARK_MAIN();
