// Bit-for-bit replay: a busy scenario — STUN clients and chattering peers behind NATs with random port
// assignment, over links with loss, jitter, reordering, duplication and rate limits — run twice from one
// seed gives the same trace (every datagram delivered, with its time and bytes); another seed does not.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/sim_network.h"
#include "sim/stun_endpoints.h"

namespace tern::testing {
namespace {

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

// Sends datagrams of random size at random intervals (from its own seeded stream) to a peer and counts
// what comes back.
class Chatter final : public Endpoint {
 public:
  Chatter(SocketAddress local, SocketAddress peer, Random& random, Timestamp start)
      : local_(local), peer_(peer), random_(random), next_(start) {}

  void HandleInput(Datagram datagram, Timestamp now) override { ++received_; }
  void HandleTimeout(Timestamp now) override {
    if (now < next_) return;
    std::vector<uint8_t> payload(20 + random_.Uniform(1180));
    random_.Fill(payload);
    outbox_.push_back(Transmit{local_, peer_, std::move(payload)});
    next_ = now + Duration::Micros(5000 + static_cast<int64_t>(random_.Uniform(45000)));
  }
  std::optional<Transmit> PollTransmit() override {
    if (outbox_.empty()) return std::nullopt;
    Transmit t = std::move(outbox_.back());
    outbox_.pop_back();
    return t;
  }
  std::optional<Timestamp> NextTimeout() const override { return next_; }
  int received() const { return received_; }

 private:
  SocketAddress local_, peer_;
  Random& random_;
  Timestamp next_;
  std::vector<Transmit> outbox_;
  int received_ = 0;
};

struct RunResult {
  uint64_t delivery_hash = 0;  // computed here from the trace hook
  uint64_t digest = 0;         // the simulator's own digest of every trace event
  uint64_t delivered = 0;
  uint64_t lost = 0, queue_dropped = 0, duplicated = 0, nat_dropped = 0;
  int stun_succeeded = 0;
  int echoes = 0;
};

void Mix(uint64_t& h, uint64_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); }

void MixAddress(uint64_t& h, const SocketAddress& a) {
  for (uint8_t b : a.ip().bytes()) Mix(h, b);
  Mix(h, a.port());
}

RunResult RunScenario(uint64_t seed) {
  SimNetwork sim(seed);
  RunResult result;
  sim.SetTraceHook([&](const TraceEvent& e) {
    switch (e.kind) {
      case TraceKind::kDeliver:
        ++result.delivered;
        Mix(result.delivery_hash, static_cast<uint64_t>(e.time.us()));
        for (char c : e.where) Mix(result.delivery_hash, static_cast<uint8_t>(c));
        MixAddress(result.delivery_hash, e.datagram.source);
        MixAddress(result.delivery_hash, e.datagram.destination);
        for (uint8_t b : e.datagram.payload) Mix(result.delivery_hash, b);
        break;
      case TraceKind::kLoss:
        ++result.lost;
        break;
      case TraceKind::kQueueDrop:
        ++result.queue_dropped;
        break;
      case TraceKind::kDuplicate:
        ++result.duplicated;
        break;
      case TraceKind::kNatDrop:
        ++result.nat_dropped;
        break;
      default:
        break;
    }
  });

  const LinkConfig wan = {.delay = Duration::Millis(15),
                          .jitter = Duration::Millis(8),
                          .loss = 0.05,
                          .duplicate = 0.02,
                          .reorder = 0.03,
                          .bandwidth_bps = 2'000'000,
                          .queue_bytes = 8'000};
  StunBindingServer stun1, stun2;
  RecordingEndpoint echo;
  echo.set_echo(true);
  sim.AddHost("stun1", {.addresses = {Ip("198.51.100.1"), Ip("2001:db8::1")}, .downlink = wan}, &stun1);
  sim.AddHost("stun2", {.addresses = {Ip("198.51.100.2")}, .uplink = wan}, &stun2);
  SimHost& echo_host = sim.AddHost("echo", {.addresses = {Ip("198.51.100.3")}, .downlink = wan}, &echo);

  NatBehavior symmetric = NatBehavior::Symmetric();
  symmetric.port_assignment = NatPortAssignment::kRandom;
  symmetric.mapping_timeout = Duration::Seconds(5);
  NatBehavior cone = NatBehavior::PortRestrictedCone();
  cone.port_assignment = NatPortAssignment::kRandom;
  SimNat& nat1 = sim.AddNat(
      "nat1",
      {.external_addresses = {Ip("203.0.113.1")}, .behavior = symmetric, .uplink = wan, .downlink = wan});
  SimNat& nat2 =
      sim.AddNat("nat2", {.external_addresses = {Ip("203.0.113.2"), Ip("2001:db8:9::1")}, .behavior = cone});

  std::deque<SeededRandom> randoms;  // stable addresses: endpoints keep references
  std::vector<std::unique_ptr<StunBindingClient>> clients;
  std::vector<SimHost*> client_hosts;
  std::vector<SocketAddress> servers = {SocketAddress(Ip("198.51.100.1"), 3478),
                                        SocketAddress(Ip("198.51.100.2"), 3478),
                                        SocketAddress(Ip("198.51.100.1"), 3479)};
  for (int i = 0; i < 3; ++i) {
    SimNat* nat = i == 2 ? &nat2 : &nat1;
    IpAddress ip = Ip("192.168.0." + std::to_string(10 + i));
    randoms.push_back(sim.ForkRandom("stun-client-" + std::to_string(i)));
    clients.push_back(std::make_unique<StunBindingClient>(SocketAddress(ip, 4000), randoms.back()));
    client_hosts.push_back(&sim.AddHost("client" + std::to_string(i),
                                        {.addresses = {ip}, .behind = nat, .uplink = wan},
                                        clients.back().get()));
  }
  // A v6 client behind nat2 (NAT66) too.
  randoms.push_back(sim.ForkRandom("stun-client-v6"));
  clients.push_back(std::make_unique<StunBindingClient>(SocketAddress(Ip("fd00::5"), 4000), randoms.back()));
  client_hosts.push_back(
      &sim.AddHost("client-v6", {.addresses = {Ip("fd00::5")}, .behind = &nat2}, clients.back().get()));
  servers.push_back(SocketAddress(Ip("2001:db8::1"), 3478));

  // Every 700 ms each client starts a new transaction (cycling through the servers).
  for (size_t c = 0; c < clients.size(); ++c) {
    for (int k = 0; k < 25; ++k) {
      sim.Schedule(sim.Now() + Duration::Millis(700 * k + 37 * static_cast<int64_t>(c)), [&, c, k] {
        const SocketAddress& server = c == 3 ? servers[3] : servers[(c + k) % 3];
        clients[c]->Start(server, sim.Now());
        sim.Wake(*client_hosts[c]);
      });
    }
  }

  randoms.push_back(sim.ForkRandom("chatter"));
  Chatter chatter(SocketAddress(Ip("192.168.0.20"), 9000), SocketAddress(echo_host.address(), 7),
                  randoms.back(), sim.Now());
  // Its uplink is slower than what it offers (~180 kbit/s), so its queue overflows now and then.
  LinkConfig narrow = wan;
  narrow.bandwidth_bps = 150'000;
  narrow.queue_bytes = 3'000;
  sim.AddHost("chatter",
              {.addresses = {Ip("192.168.0.20")}, .behind = &nat2, .uplink = narrow, .downlink = wan},
              &chatter);

  // A scanner on the Internet probes random ports of nat1: the NAT drops what has no mapping.
  randoms.push_back(sim.ForkRandom("scanner"));
  SeededRandom& scan_random = randoms.back();
  SimHost& scanner = sim.AddHost("scanner", {.addresses = {Ip("192.0.2.66")}});
  for (int k = 0; k < 100; ++k) {
    sim.Schedule(sim.Now() + Duration::Millis(200 * k), [&] {
      auto port = static_cast<uint16_t>(1024 + scan_random.Uniform(64512));
      sim.SendFrom(scanner, {scanner.At(666), SocketAddress(Ip("203.0.113.1"), port), {0xde, 0xad}});
    });
  }

  sim.RunFor(Duration::Seconds(20));
  for (const auto& c : clients) result.stun_succeeded += c->transactions_succeeded();
  result.echoes = chatter.received();
  result.digest = sim.trace_digest();
  return result;
}

void ExpectSame(const RunResult& a, const RunResult& b) {
  EXPECT_EQ(a.delivery_hash, b.delivery_hash);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.delivered, b.delivered);
  EXPECT_EQ(a.lost, b.lost);
  EXPECT_EQ(a.queue_dropped, b.queue_dropped);
  EXPECT_EQ(a.duplicated, b.duplicated);
  EXPECT_EQ(a.nat_dropped, b.nat_dropped);
  EXPECT_EQ(a.stun_succeeded, b.stun_succeeded);
  EXPECT_EQ(a.echoes, b.echoes);
}

TEST(SimReplay, SameSeedReplaysBitForBit) {
  for (uint64_t seed : {TestSeed(0xC0FFEE), uint64_t{1}, uint64_t{0xDEADBEEFCAFEull}}) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " (rerun with TERN_SIM_SEED=" << seed << ")");
    RunResult first = RunScenario(seed);
    RunResult second = RunScenario(seed);
    ExpectSame(first, second);
    // The scenario exercised what it claims to.
    EXPECT_GT(first.delivered, 500u);
    EXPECT_GT(first.lost, 0u);
    EXPECT_GT(first.queue_dropped, 0u);
    EXPECT_GT(first.duplicated, 0u);
    EXPECT_GT(first.nat_dropped, 0u);
    EXPECT_GT(first.stun_succeeded, 60);
    EXPECT_GT(first.echoes, 100);
  }
}

TEST(SimReplay, DifferentSeedGivesDifferentTrace) {
  uint64_t seed = TestSeed(0xC0FFEE);
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  RunResult a = RunScenario(seed);
  RunResult b = RunScenario(seed + 1);
  EXPECT_NE(a.delivery_hash, b.delivery_hash);
  EXPECT_NE(a.digest, b.digest);
}

}  // namespace
}  // namespace tern::testing
