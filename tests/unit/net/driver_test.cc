// SansIoDriver with a trivial sans-IO echo core over real loopback sockets.
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/random.h"
#include "tern/net/sans_io_driver.h"

namespace tern {
namespace {

// Echoes every datagram back from the address it arrived on, reports each as an event, and emits a "tick"
// event at a deadline set by the test.
class EchoCore {
 public:
  struct Event {
    std::string what;
    Timestamp at;
  };

  void HandleInput(Datagram in, Timestamp now) {
    Transmit t;
    t.local = in.local;
    t.remote = in.remote;
    t.protocol = in.protocol;
    t.payload.assign(in.payload.begin(), in.payload.end());
    transmits_.push_back(std::move(t));
    events_.push_back({"rx:" + std::string(AsString(in.payload)), now});
  }
  void HandleTimeout(Timestamp now) {
    ++timeouts_;
    if (deadline_ && now >= *deadline_) {
      events_.push_back({"tick", now});
      deadline_.reset();
    }
  }
  std::optional<Transmit> PollTransmit() {
    if (transmits_.empty()) return std::nullopt;
    Transmit t = std::move(transmits_.front());
    transmits_.pop_front();
    return t;
  }
  std::optional<Event> PollEvent() {
    if (events_.empty()) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }
  std::optional<Timestamp> NextTimeout() const { return deadline_; }

  void SetDeadline(Timestamp t) { deadline_ = t; }
  void QueueTransmit(Transmit t) { transmits_.push_back(std::move(t)); }
  int timeouts() const { return timeouts_; }

 private:
  std::deque<Transmit> transmits_;
  std::deque<Event> events_;
  std::optional<Timestamp> deadline_;
  int timeouts_ = 0;
};

static_assert(SansIoCore<EchoCore>);
static_assert(!SansIoCore<int>);

struct Fixture {
  Fixture() {
    RuntimeOptions o;
    o.manual = true;
    rt = std::move(*Runtime::Create(o));
  }
  EventLoop& loop() { return rt->loop(0); }
  std::unique_ptr<Runtime> rt;
  SeededRandom random{42};
};

UdpSocketOptions At(IpAddress ip) {
  UdpSocketOptions o;
  o.bind = SocketAddress(ip, 0);
  return o;
}

TEST(SansIoDriver, EchoesThroughTheCoreAndDeliversEvents) {
  Fixture f;
  EchoCore core;
  std::vector<std::string> events;
  SansIoDriver<EchoCore> driver(f.loop(), core, [&](EchoCore::Event e) { events.push_back(e.what); });
  auto server = UdpSocket::Open(f.loop(), At(IpAddress::LoopbackV4()), f.random,
                                [&](const Datagram& d) { driver.HandleInput(d); });
  ASSERT_TRUE(server.ok());
  driver.AddSocket(server->get());
  std::vector<std::string> replies;
  std::vector<SocketAddress> reply_from;
  auto client = UdpSocket::Open(f.loop(), At(IpAddress::LoopbackV4()), f.random, [&](const Datagram& d) {
    replies.emplace_back(AsString(d.payload));
    reply_from.push_back(d.remote);
  });
  ASSERT_TRUE(client.ok());
  for (const char* m : {"one", "two", "three"}) {
    ASSERT_TRUE((*client)->Send((*server)->local_address(), AsBytes(m)).ok());
  }
  ASSERT_TRUE(f.loop().RunUntil([&] { return replies.size() == 3; }, Duration::Seconds(5)));
  EXPECT_EQ(replies, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(events, (std::vector<std::string>{"rx:one", "rx:two", "rx:three"}));
  for (const SocketAddress& a : reply_from) EXPECT_EQ(a, (*server)->local_address());
  EXPECT_EQ(driver.router().unroutable(), 0u);
}

TEST(SansIoDriver, ArmsOneTimerAtNextTimeout) {
  Fixture f;
  EchoCore core;
  std::vector<EchoCore::Event> events;
  SansIoDriver<EchoCore> driver(f.loop(), core, [&](EchoCore::Event e) { events.push_back(e); });
  EXPECT_FALSE(driver.armed_at().has_value());
  const Timestamp deadline = f.loop().Now() + Duration::Millis(15);
  core.SetDeadline(deadline);
  driver.Drain();
  ASSERT_TRUE(driver.armed_at().has_value());
  EXPECT_EQ(*driver.armed_at(), deadline);
  EXPECT_EQ(f.loop().pending_timers(), 1u);
  driver.Drain();  // same deadline: not re-armed
  EXPECT_EQ(f.loop().pending_timers(), 1u);
  // Moving the deadline replaces the timer.
  const Timestamp later = deadline + Duration::Millis(5);
  core.SetDeadline(later);
  driver.Drain();
  EXPECT_EQ(f.loop().pending_timers(), 1u);
  EXPECT_EQ(*driver.armed_at(), later);
  ASSERT_TRUE(f.loop().RunUntil([&] { return !events.empty(); }, Duration::Seconds(5)));
  EXPECT_EQ(events[0].what, "tick");
  EXPECT_GE(events[0].at, later);  // never early
  EXPECT_EQ(core.timeouts(), 1);
  EXPECT_FALSE(driver.armed_at().has_value());
  EXPECT_EQ(f.loop().pending_timers(), 0u);
}

TEST(SansIoDriver, DestroyingTheDriverCancelsItsTimer) {
  Fixture f;
  EchoCore core;
  {
    SansIoDriver<EchoCore> driver(f.loop(), core, nullptr);
    core.SetDeadline(f.loop().Now() + Duration::Millis(1));
    driver.Drain();
    EXPECT_EQ(f.loop().pending_timers(), 1u);
  }
  EXPECT_EQ(f.loop().pending_timers(), 0u);
  f.loop().Poll(Duration::Millis(5));
  EXPECT_EQ(core.timeouts(), 0);
}

TEST(SansIoDriver, RoutesByLocalAddressAndFamily) {
  Fixture f;
  EchoCore core;
  SansIoDriver<EchoCore> driver(f.loop(), core, nullptr);
  auto a = UdpSocket::Open(f.loop(), At(IpAddress::LoopbackV4()), f.random, nullptr);
  auto b = UdpSocket::Open(f.loop(), At(IpAddress::LoopbackV4()), f.random, nullptr);
  auto v6 = UdpSocket::Open(f.loop(), At(IpAddress::LoopbackV6()), f.random, nullptr);
  ASSERT_TRUE(a.ok() && b.ok() && v6.ok());
  driver.AddSocket(a->get());
  driver.AddSocket(b->get());
  driver.AddSocket(v6->get());
  std::vector<SocketAddress> from4, from6;
  auto peer4 = UdpSocket::Open(f.loop(), At(IpAddress::LoopbackV4()), f.random,
                               [&](const Datagram& d) { from4.push_back(d.remote); });
  auto peer6 = UdpSocket::Open(f.loop(), At(IpAddress::LoopbackV6()), f.random,
                               [&](const Datagram& d) { from6.push_back(d.remote); });
  ASSERT_TRUE(peer4.ok() && peer6.ok());
  auto transmit = [](SocketAddress local, SocketAddress remote) {
    Transmit t;
    t.local = local;
    t.remote = remote;
    t.payload = {1, 2, 3};
    return t;
  };
  core.QueueTransmit(transmit((*b)->local_address(), (*peer4)->local_address()));  // explicit: b
  core.QueueTransmit(transmit({}, (*peer4)->local_address()));                     // first v4: a
  core.QueueTransmit(transmit({}, (*peer6)->local_address()));                     // first v6
  // Local address nobody owns: dropped and counted.
  core.QueueTransmit(transmit(SocketAddress(IpAddress::LoopbackV4(), 1), (*peer4)->local_address()));
  driver.Drain();
  ASSERT_TRUE(
      f.loop().RunUntil([&] { return from4.size() == 2 && from6.size() == 1; }, Duration::Seconds(5)));
  EXPECT_EQ(from4[0], (*b)->local_address());
  EXPECT_EQ(from4[1], (*a)->local_address());
  EXPECT_EQ(from6[0], (*v6)->local_address());
  EXPECT_EQ(driver.router().unroutable(), 1u);

  // A fallback takes what no socket matches (e.g. a TCP transmit with no stream added).
  std::vector<Transmit> fallen;
  driver.router().SetFallback([&](Transmit t) { fallen.push_back(std::move(t)); });
  Transmit tcp = transmit({}, (*peer4)->local_address());
  tcp.protocol = TransportProtocol::kTcp;
  core.QueueTransmit(std::move(tcp));
  driver.Drain();
  ASSERT_EQ(fallen.size(), 1u);
  EXPECT_EQ(fallen[0].protocol, TransportProtocol::kTcp);
  driver.RemoveSocket(a->get());
  driver.RemoveSocket(b->get());
  EXPECT_EQ(driver.router().FindUdpSocket({}, (*peer4)->local_address()), nullptr);
}

TEST(TransmitRouter, WildcardSocketSendsFromTheRequestedLocalAddress) {
  Fixture f;
  TransmitRouter router;
  std::vector<SocketAddress> seen;
  auto wild = UdpSocket::Open(f.loop(), At(IpAddress::AnyV4()), f.random, nullptr);
  auto peer = UdpSocket::Open(f.loop(), At(IpAddress::LoopbackV4()), f.random,
                              [&](const Datagram& d) { seen.push_back(d.remote); });
  ASSERT_TRUE(wild.ok() && peer.ok());
  router.AddSocket(wild->get());
  Transmit t;
  t.local = SocketAddress(IpAddress::LoopbackV4(), (*wild)->local_address().port());
  t.remote = (*peer)->local_address();
  t.payload = {7};
  ASSERT_TRUE(router.Route(t).ok());
  ASSERT_TRUE(f.loop().RunUntil([&] { return seen.size() == 1; }, Duration::Seconds(5)));
  EXPECT_EQ(seen[0], t.local);
}

}  // namespace
}  // namespace tern
