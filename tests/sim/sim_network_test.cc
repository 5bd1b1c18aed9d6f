// The simulator's engine and links: event ordering, the endpoint drain rule, routing, and measured link
// properties (delay, jitter, loss, duplication, reordering, rate limit and tail drop) against the
// configured ones.
#include "sim/sim_network.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/byte_io.h"

namespace tern::testing {
namespace {

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

// Sends `count` datagrams of `size` bytes (>= 16) from `from` to `to`, one every `interval` from `start`.
// Each payload starts with its sequence number and its send time (µs), both 64-bit big-endian.
class PacedSender final : public Endpoint {
 public:
  PacedSender(SocketAddress from, SocketAddress to, int count, size_t size, Duration interval,
              Timestamp start)
      : from_(from), to_(to), count_(count), size_(size), interval_(interval), next_(start) {}

  void HandleInput(Datagram datagram, Timestamp now) override {}
  void HandleTimeout(Timestamp now) override {
    while (sent_ < count_ && next_ <= now) {
      std::vector<uint8_t> payload(size_, 0);
      StoreBigEndian64(payload.data(), static_cast<uint64_t>(sent_));
      StoreBigEndian64(payload.data() + 8, static_cast<uint64_t>(now.us()));
      outbox_.push_back(Transmit{from_, to_, std::move(payload)});
      ++sent_;
      next_ += interval_;
    }
  }
  std::optional<Transmit> PollTransmit() override {
    if (outbox_.empty()) return std::nullopt;
    Transmit t = std::move(outbox_.front());
    outbox_.erase(outbox_.begin());
    return t;
  }
  std::optional<Timestamp> NextTimeout() const override {
    if (sent_ >= count_) return std::nullopt;
    return next_;
  }

 private:
  SocketAddress from_, to_;
  int count_;
  size_t size_;
  Duration interval_;
  Timestamp next_;
  int sent_ = 0;
  std::vector<Transmit> outbox_;
};

struct Arrival {
  uint64_t sequence;
  Duration latency;
  Timestamp time;
};

std::vector<Arrival> Arrivals(const RecordingEndpoint& receiver) {
  std::vector<Arrival> out;
  for (const auto& r : receiver.received()) {
    const auto& p = r.datagram.payload;
    out.push_back({LoadBigEndian64(p.data()),
                   r.time - Timestamp::Micros(static_cast<int64_t>(LoadBigEndian64(p.data() + 8))), r.time});
  }
  return out;
}

// Datagrams that arrive after one with a higher sequence number.
int CountLate(const std::vector<Arrival>& arrivals) {
  int late = 0;
  uint64_t highest = 0;
  bool any = false;
  for (const Arrival& a : arrivals) {
    if (any && a.sequence < highest) ++late;
    if (!any || a.sequence > highest) highest = a.sequence;
    any = true;
  }
  return late;
}

// Two hosts on the public network; `a` sends to `b` through a.up (configured) and b.down (ideal).
class LinkTest : public ::testing::Test {
 protected:
  explicit LinkTest(uint64_t seed = TestSeed(0x5eed0001))
      : sim_(seed),
        a_(sim_.AddHost("a", {.addresses = {Ip("198.51.100.1")}})),
        b_(sim_.AddHost("b", {.addresses = {Ip("198.51.100.2")}}, &receiver_)) {}

  // Sends and runs until everything has arrived or been dropped.
  void Send(int count, size_t size, Duration interval) {
    sender_.emplace(a_.At(1000), b_.At(2000), count, size, interval, sim_.Now());
    sim_.SetEndpoint(a_, &*sender_);
    sim_.RunUntil(Timestamp::Infinite());
    EXPECT_EQ(sim_.pending_events(), 0u);
    EXPECT_EQ(a_.uplink().in_flight(), 0u);
  }

  SimNetwork sim_;
  RecordingEndpoint receiver_;
  SimHost& a_;
  SimHost& b_;
  std::optional<PacedSender> sender_;
};

TEST_F(LinkTest, FixedDelayAddsUpAlongThePath) {
  SCOPED_TRACE(::testing::Message() << "seed " << sim_.seed());
  a_.uplink().set_config({.delay = Duration::Millis(25)});
  b_.downlink().set_config({.delay = Duration::Millis(15)});
  Send(100, 100, Duration::Millis(3));
  auto arrivals = Arrivals(receiver_);
  ASSERT_EQ(arrivals.size(), 100u);
  for (size_t i = 0; i < arrivals.size(); ++i) {
    EXPECT_EQ(arrivals[i].sequence, i);
    EXPECT_EQ(arrivals[i].latency, Duration::Millis(40));
  }
  EXPECT_EQ(a_.uplink().stats().delivered, 100u);
  EXPECT_EQ(b_.downlink().stats().delivered, 100u);
  EXPECT_EQ(b_.stats().received, 100u);
  EXPECT_EQ(a_.stats().sent, 100u);
}

TEST_F(LinkTest, JitterStaysWithinBoundsAndReorders) {
  SCOPED_TRACE(::testing::Message() << "seed " << sim_.seed());
  a_.uplink().set_config({.delay = Duration::Millis(20), .jitter = Duration::Millis(10)});
  Send(2000, 100, Duration::Millis(1));
  auto arrivals = Arrivals(receiver_);
  ASSERT_EQ(arrivals.size(), 2000u);
  Duration min = Duration::Infinite(), max = Duration::Zero(), sum = Duration::Zero();
  for (const Arrival& a : arrivals) {
    min = std::min(min, a.latency);
    max = std::max(max, a.latency);
    sum += a.latency;
  }
  EXPECT_GE(min, Duration::Millis(20));
  EXPECT_LE(max, Duration::Millis(30));
  EXPECT_GT(max - min, Duration::Millis(9));  // the whole range is used
  // Uniform on [20, 30] ms: mean 25 ms; the standard error over 2000 samples is ~0.07 ms.
  EXPECT_NEAR(static_cast<double>((sum / 2000).us()), 25000.0, 400.0);
  // Jitter (10 ms) much larger than the spacing (1 ms) reorders a lot.
  EXPECT_GT(CountLate(arrivals), 500);
}

TEST_F(LinkTest, JitterWithoutReorderingKeepsFifoOrder) {
  SCOPED_TRACE(::testing::Message() << "seed " << sim_.seed());
  a_.uplink().set_config(
      {.delay = Duration::Millis(20), .jitter = Duration::Millis(10), .jitter_reorders = false});
  Send(2000, 100, Duration::Millis(1));
  auto arrivals = Arrivals(receiver_);
  ASSERT_EQ(arrivals.size(), 2000u);
  EXPECT_EQ(CountLate(arrivals), 0);
  for (const Arrival& a : arrivals) {
    EXPECT_GE(a.latency, Duration::Millis(20));
    EXPECT_LE(a.latency, Duration::Millis(30));
  }
}

TEST_F(LinkTest, MeasuredLossRateMatchesConfigured) {
  SCOPED_TRACE(::testing::Message() << "seed " << sim_.seed());
  a_.uplink().set_config({.loss = 0.1});
  b_.downlink().set_config({.loss = 0.05});
  Send(20000, 50, Duration::Micros(100));
  const LinkStats& up = a_.uplink().stats();
  const LinkStats& down = b_.downlink().stats();
  EXPECT_EQ(up.sent, 20000u);
  EXPECT_EQ(up.sent, up.delivered + up.dropped_loss);
  EXPECT_EQ(down.sent, up.delivered);
  EXPECT_EQ(down.sent, down.delivered + down.dropped_loss);
  // 3 sigma of a binomial(20000, 0.1) rate is 0.0064; of (18000, 0.05) 0.0049.
  EXPECT_NEAR(static_cast<double>(up.dropped_loss) / up.sent, 0.1, 0.0065);
  EXPECT_NEAR(static_cast<double>(down.dropped_loss) / down.sent, 0.05, 0.005);
  EXPECT_EQ(receiver_.received().size(), down.delivered);
  EXPECT_EQ(up.dropped_queue + up.duplicated, 0u);
}

TEST_F(LinkTest, DuplicationDeliversIdenticalCopies) {
  SCOPED_TRACE(::testing::Message() << "seed " << sim_.seed());
  a_.uplink().set_config({.duplicate = 0.05});
  Send(10000, 40, Duration::Micros(200));
  const LinkStats& up = a_.uplink().stats();
  EXPECT_EQ(up.sent, 10000u);
  EXPECT_NEAR(static_cast<double>(up.duplicated) / up.sent, 0.05, 0.0066);  // 3 sigma
  EXPECT_EQ(up.delivered, up.sent + up.duplicated);
  ASSERT_EQ(receiver_.received().size(), up.sent + up.duplicated);
  std::vector<int> copies(10000, 0);
  for (const Arrival& a : Arrivals(receiver_)) ++copies[a.sequence];
  EXPECT_EQ(std::count(copies.begin(), copies.end(), 2), static_cast<long>(up.duplicated));
  EXPECT_EQ(std::count(copies.begin(), copies.end(), 1), static_cast<long>(up.sent - up.duplicated));
}

TEST_F(LinkTest, ExplicitReorderHoldsBackTheConfiguredShare) {
  SCOPED_TRACE(::testing::Message() << "seed " << sim_.seed());
  a_.uplink().set_config(
      {.delay = Duration::Millis(5), .reorder = 0.1, .reorder_delay = Duration::Millis(10)});
  Send(5000, 40, Duration::Millis(1));
  auto arrivals = Arrivals(receiver_);
  ASSERT_EQ(arrivals.size(), 5000u);
  int held = 0;
  for (const Arrival& a : arrivals) {
    if (a.latency == Duration::Millis(15)) {
      ++held;
    } else {
      EXPECT_EQ(a.latency, Duration::Millis(5));
    }
  }
  // A held datagram arrives after the next ~9 non-held ones: each one is late.
  int late = CountLate(arrivals);
  EXPECT_NEAR(held / 5000.0, 0.1, 0.013);  // 3 sigma
  EXPECT_GE(late, held * 9 / 10);
  EXPECT_LE(late, held);
}

TEST_F(LinkTest, RateLimitGivesConfiguredThroughputAndTailDrops) {
  SCOPED_TRACE(::testing::Message() << "seed " << sim_.seed());
  // 1 Mbit/s bottleneck with a 10 kB queue, offered 2 Mbit/s of 1000-byte datagrams for 2 s.
  a_.uplink().set_config({.delay = Duration::Millis(10), .bandwidth_bps = 1'000'000, .queue_bytes = 10'000});
  Send(500, 1000, Duration::Millis(4));
  const LinkStats& up = a_.uplink().stats();
  auto arrivals = Arrivals(receiver_);
  ASSERT_GT(arrivals.size(), 100u);
  EXPECT_EQ(up.sent, 500u);
  EXPECT_EQ(up.delivered + up.dropped_queue, 500u);
  EXPECT_GT(up.dropped_queue, 200u);
  EXPECT_LE(up.max_backlog_bytes, 10'000u);
  EXPECT_GT(up.max_backlog_bytes, 9'000u);
  // Busy the whole time: 8 ms per datagram back to back.
  Duration span = arrivals.back().time - arrivals.front().time;
  double bps = (arrivals.size() - 1) * 8000.0 / span.seconds();
  EXPECT_NEAR(bps, 1'000'000.0, 5'000.0);
  // Queueing delay is bounded by the queue: 10 kB at 1 Mbit/s = 80 ms, plus 8 ms service and 10 ms.
  for (const Arrival& a : arrivals) EXPECT_LE(a.latency, Duration::Millis(98));
  EXPECT_EQ(CountLate(arrivals), 0);
}

TEST_F(LinkTest, RateLimitBelowCapacityDropsNothing) {
  SCOPED_TRACE(::testing::Message() << "seed " << sim_.seed());
  a_.uplink().set_config({.bandwidth_bps = 1'000'000, .queue_bytes = 3'000});
  Send(500, 1000, Duration::Millis(10));  // 0.8 Mbit/s
  const LinkStats& up = a_.uplink().stats();
  EXPECT_EQ(up.dropped_queue, 0u);
  EXPECT_EQ(up.delivered, 500u);
  for (const Arrival& a : Arrivals(receiver_)) EXPECT_EQ(a.latency, Duration::Millis(8));
}

TEST_F(LinkTest, RateLimitKeepsFractionalSerializationTimes) {
  SCOPED_TRACE(::testing::Message() << "seed " << sim_.seed());
  // 1000 bytes at 3 Mbit/s take 2666.67 µs; 300 back to back take exactly 800 ms.
  a_.uplink().set_config({.bandwidth_bps = 3'000'000, .queue_bytes = 1'000'000});
  Timestamp start = sim_.Now();
  Send(300, 1000, Duration::Zero());
  auto arrivals = Arrivals(receiver_);
  ASSERT_EQ(arrivals.size(), 300u);
  EXPECT_EQ(arrivals.back().time - start, Duration::Millis(800));
  EXPECT_EQ(arrivals.front().time - start, Duration::Micros(2666));
}

TEST_F(LinkTest, StatsBalanceUnderEverythingAtOnce) {
  SCOPED_TRACE(::testing::Message() << "seed " << sim_.seed());
  a_.uplink().set_config({.delay = Duration::Millis(30),
                          .jitter = Duration::Millis(20),
                          .loss = 0.05,
                          .duplicate = 0.05,
                          .reorder = 0.05,
                          .bandwidth_bps = 2'000'000,
                          .queue_bytes = 20'000});
  sender_.emplace(a_.At(1000), b_.At(2000), 3000, 500, Duration::Millis(1), sim_.Now());
  sim_.SetEndpoint(a_, &*sender_);
  const SimLink& up = a_.uplink();
  for (int i = 0; i < 40; ++i) {
    sim_.RunFor(Duration::Millis(100));
    const LinkStats& s = up.stats();
    ASSERT_EQ(s.sent + s.duplicated, s.delivered + s.dropped_loss + s.dropped_queue + up.in_flight());
  }
  sim_.RunUntil(Timestamp::Infinite());
  const LinkStats& s = up.stats();
  EXPECT_EQ(up.in_flight(), 0u);
  EXPECT_EQ(s.sent, 3000u);
  EXPECT_GT(s.dropped_loss, 0u);
  EXPECT_GT(s.dropped_queue, 0u);
  EXPECT_GT(s.duplicated, 0u);
  EXPECT_EQ(receiver_.received().size(), s.delivered);
  EXPECT_EQ(s.bytes_delivered, s.delivered * 500);
}

// ----- Engine -----------------------------------------------------------------------------------------

TEST(SimEngine, SimultaneousEventsRunInSchedulingOrder) {
  SimNetwork sim(1);
  std::vector<int> order;
  Timestamp t = sim.Now() + Duration::Millis(5);
  for (int i = 0; i < 10; ++i) sim.Schedule(t, [&order, i] { order.push_back(i); });
  sim.Schedule(sim.Now() + Duration::Millis(1), [&] { order.push_back(-1); });
  sim.Schedule(sim.Now() - Duration::Seconds(1), [&] { order.push_back(-2); });  // past: runs now
  sim.RunUntil(t);
  EXPECT_EQ(order, (std::vector<int>{-2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(sim.Now(), t);
}

TEST(SimEngine, RunUntilPredicateStopsAtTheEventThatSatisfiesIt) {
  SimNetwork sim(2);
  Timestamp start = sim.Now();
  int fired = 0;
  for (int i = 1; i <= 5; ++i) sim.Schedule(start + Duration::Millis(10 * i), [&] { ++fired; });
  EXPECT_TRUE(sim.RunUntil([&] { return fired == 3; }, start + Duration::Seconds(1)));
  EXPECT_EQ(sim.Now(), start + Duration::Millis(30));
  EXPECT_FALSE(sim.RunUntil([&] { return fired == 10; }, start + Duration::Millis(200)));
  EXPECT_EQ(fired, 5);
  EXPECT_EQ(sim.Now(), start + Duration::Millis(200));
  sim.RunFor(Duration::Millis(50));
  EXPECT_EQ(sim.Now(), start + Duration::Millis(250));
  EXPECT_FALSE(sim.NextEventTime().has_value());
}

// Asks to be woken at fixed times and remembers when it was; the last NextTimeout answer wins.
class TimerEndpoint final : public Endpoint {
 public:
  void HandleInput(Datagram datagram, Timestamp now) override {
    inputs.push_back(now);
    next = now + Duration::Millis(100);  // replaces the pending wake-up
  }
  void HandleTimeout(Timestamp now) override {
    timeouts.push_back(now);
    next = timeouts.size() < 3 ? std::optional(now + Duration::Millis(250)) : std::nullopt;
  }
  std::optional<Transmit> PollTransmit() override { return std::nullopt; }
  std::optional<Timestamp> NextTimeout() const override { return next; }

  std::optional<Timestamp> next;
  std::vector<Timestamp> inputs, timeouts;
};

TEST(SimEngine, EndpointTimeoutsFollowTheLatestNextTimeout) {
  SimNetwork sim(3);
  Timestamp t0 = sim.Now();
  TimerEndpoint timer;
  timer.next = t0 + Duration::Seconds(10);
  SimHost& host = sim.AddHost("timer", {.addresses = {*IpAddress::Parse("198.51.100.7")}}, &timer);
  SimHost& peer = sim.AddHost("peer", {.addresses = {*IpAddress::Parse("198.51.100.8")}});
  sim.RunFor(Duration::Seconds(1));
  EXPECT_TRUE(timer.timeouts.empty());
  // A datagram at t0+1s moves the wake-up to t0+1.1s; the one at t0+10s is forgotten.
  sim.SendFrom(peer, {peer.At(9), host.At(9), {1, 2, 3}});
  sim.RunFor(Duration::Seconds(20));
  ASSERT_EQ(timer.inputs.size(), 1u);
  EXPECT_EQ(timer.inputs[0], t0 + Duration::Seconds(1));
  EXPECT_EQ(timer.timeouts, (std::vector<Timestamp>{t0 + Duration::Millis(1100), t0 + Duration::Millis(1350),
                                                    t0 + Duration::Millis(1600)}));
}

TEST(SimEngine, EchoOverV6AndDualStackRouting) {
  SimNetwork sim(4);
  RecordingEndpoint echo, client;
  echo.set_echo(true);
  SimHost& server =
      sim.AddHost("server",
                  {.addresses = {*IpAddress::Parse("2001:db8::1"), *IpAddress::Parse("198.51.100.1")},
                   .downlink = {.delay = Duration::Millis(7)}},
                  &echo);
  SimHost& host = sim.AddHost(
      "client", {.addresses = {*IpAddress::Parse("2001:db8::2"), *IpAddress::Parse("198.51.100.2")}},
      &client);
  client.Send({host.At(5000, IpFamily::kV6), server.At(80, IpFamily::kV6), {6}});
  client.Send({SocketAddress(IpAddress(), 5001), server.At(80), {4}});  // unset source IP: host's v4
  Timestamp t0 = sim.Now();
  sim.Wake(host);
  sim.RunFor(Duration::Seconds(1));
  ASSERT_EQ(client.received().size(), 2u);
  EXPECT_EQ(client.received()[0].datagram.source, server.At(80, IpFamily::kV6));
  EXPECT_EQ(client.received()[0].datagram.destination, host.At(5000, IpFamily::kV6));
  EXPECT_EQ(client.received()[0].datagram.payload, std::vector<uint8_t>{6});
  EXPECT_EQ(client.received()[1].datagram.source, server.At(80));
  EXPECT_EQ(client.received()[1].datagram.destination, host.At(5001));
  EXPECT_EQ(client.received()[0].time, t0 + Duration::Millis(7));  // only server.down is slow
  EXPECT_EQ(echo.received().size(), 2u);
}

TEST(SimEngine, BadSourcesAndUnroutableDestinationsAreDropped) {
  SimNetwork sim(5);
  RecordingEndpoint sink;
  SimHost& a = sim.AddHost("a", {.addresses = {*IpAddress::Parse("198.51.100.1")}});
  SimHost& b = sim.AddHost("b", {.addresses = {*IpAddress::Parse("198.51.100.2")}}, &sink);
  std::vector<TraceKind> kinds;
  sim.SetTraceHook([&](const TraceEvent& e) { kinds.push_back(e.kind); });
  sim.SendFrom(a, {b.At(1), b.At(2), {1}});                                             // spoofed source
  sim.SendFrom(a, {SocketAddress(a.address(), 0), b.At(2), {1}});                       // port 0
  sim.SendFrom(a, {a.At(1), SocketAddress(*IpAddress::Parse("2001:db8::9"), 2), {1}});  // no v6
  sim.SendFrom(a, {a.At(1), SocketAddress(*IpAddress::Parse("198.51.100.99"), 2), {1}});
  sim.SendFrom(a, {a.At(1), b.At(2), {1}});
  sim.RunFor(Duration::Seconds(1));
  EXPECT_EQ(a.stats().dropped_bad_source, 3u);
  EXPECT_EQ(a.stats().sent, 2u);
  EXPECT_EQ(sim.dropped_no_route(), 1u);
  EXPECT_EQ(sink.received().size(), 1u);
  EXPECT_EQ(kinds, (std::vector<TraceKind>{TraceKind::kBadSource, TraceKind::kBadSource,
                                           TraceKind::kBadSource, TraceKind::kSend, TraceKind::kSend,
                                           TraceKind::kNoRoute, TraceKind::kDeliver}));
}

TEST(SimEngine, ForkedRandomStreamsAreReproducibleAndDistinct) {
  SimNetwork a(42), b(42), c(43);
  EXPECT_EQ(a.ForkRandom("x").NextU64(), b.ForkRandom("x").NextU64());
  EXPECT_NE(a.ForkRandom("x").NextU64(), a.ForkRandom("y").NextU64());
  EXPECT_NE(a.ForkRandom("x").NextU64(), c.ForkRandom("x").NextU64());
}

}  // namespace
}  // namespace tern::testing
