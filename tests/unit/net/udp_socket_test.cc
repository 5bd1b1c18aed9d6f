// UDP sockets on 127.0.0.1 / ::1 only: every test asserts its sockets are bound to loopback (or to a
// wildcard that only ever receives from loopback).
#include "tern/net/udp_socket.h"

#include <atomic>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "tern/base/random.h"

namespace tern {
namespace {

std::unique_ptr<Runtime> MakeManual(RuntimeOptions o = {}) {
  o.manual = true;
  absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Create(o);
  EXPECT_TRUE(rt.ok()) << rt.status();
  return std::move(*rt);
}

struct Received {
  Datagram meta;  // payload points nowhere after the callback
  std::vector<uint8_t> bytes;
};

UdpSocket::ReceiveCallback Collect(std::vector<Received>* out) {
  return [out](const Datagram& d) {
    Received r{d, std::vector<uint8_t>(d.payload.begin(), d.payload.end())};
    r.meta.payload = {};
    out->push_back(std::move(r));
  };
}

UdpSocketOptions Loopback4(bool batching = true, bool gso = true, bool gro = true) {
  UdpSocketOptions o;
  o.bind = SocketAddress(IpAddress::LoopbackV4(), 0);
  o.batching = batching;
  o.gso = gso;
  o.gro = gro;
  // Bursts of 100 datagrams are sent before the receiver reads; the default 208 KiB buffer may drop some.
  o.recv_buffer_size = 2 << 20;
  return o;
}

std::vector<uint8_t> Pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  return v;
}

class UdpEcho : public ::testing::TestWithParam<std::tuple<bool, bool, bool>> {};

// An echo server and a client on 127.0.0.1, byte-exact, with PKTINFO reporting 127.0.0.1 as local.
TEST_P(UdpEcho, ByteExactOnLoopbackV4) {
  const auto [batching, gso, gro] = GetParam();
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  SeededRandom random(1);
  std::vector<Received> at_server;
  std::unique_ptr<UdpSocket> server;
  auto server_or = UdpSocket::Open(loop, Loopback4(batching, gso, gro), random, [&](const Datagram& d) {
    at_server.push_back({d, {}});
    ASSERT_TRUE(server->Send(d.remote, d.payload).ok());
  });
  ASSERT_TRUE(server_or.ok()) << server_or.status();
  server = std::move(*server_or);
  std::vector<Received> at_client;
  auto client = UdpSocket::Open(loop, Loopback4(batching, gso, gro), random, Collect(&at_client));
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_EQ(server->local_address().ip(), IpAddress::LoopbackV4());
  ASSERT_EQ((*client)->local_address().ip(), IpAddress::LoopbackV4());
  EXPECT_NE(server->local_address().port(), 0);
  if (!gso) {
    EXPECT_FALSE(server->gso_enabled());
  }
  if (!gro) {
    EXPECT_FALSE(server->gro_enabled());
  }

  constexpr int kCount = 100;
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < kCount; ++i) {
    // Runs of equal sizes (GSO-coalescible) and odd sizes.
    const size_t size = i < 50 ? 1200 : 1 + static_cast<size_t>(i * 13 % 1400);
    sent.push_back(Pattern(size, static_cast<uint8_t>(i)));
    ASSERT_TRUE((*client)->Send(server->local_address(), sent.back()).ok());
  }
  ASSERT_TRUE(loop.RunUntil([&] { return at_client.size() == kCount; }, Duration::Seconds(5)));
  ASSERT_EQ(at_server.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(at_client[i].bytes, sent[i]) << i;  // loopback keeps order
    EXPECT_EQ(at_client[i].meta.remote, server->local_address());
    EXPECT_EQ(at_client[i].meta.local, (*client)->local_address());
    EXPECT_EQ(at_client[i].meta.protocol, TransportProtocol::kUdp);
    EXPECT_EQ(at_server[i].meta.local, server->local_address());
    EXPECT_EQ(at_server[i].meta.remote, (*client)->local_address());
  }
  const UdpSocket::Stats& cs = (*client)->stats();
  EXPECT_EQ(cs.datagrams_sent, static_cast<uint64_t>(kCount));
  EXPECT_EQ(cs.datagrams_received, static_cast<uint64_t>(kCount));
  EXPECT_EQ(cs.send_errors, 0u);
  if (batching) {
    EXPECT_LT(cs.send_syscalls, static_cast<uint64_t>(kCount));  // sendmmsg batches
  } else {                                                       // NOLINT
    EXPECT_EQ(cs.send_syscalls, static_cast<uint64_t>(kCount));
    EXPECT_EQ(cs.gso_sends, 0u);
  }
  if (batching && (*client)->gso_enabled()) {
    EXPECT_GT(cs.gso_sends, 0u);  // the run of 1200-byte datagrams
  }
  if (!(*client)->gso_enabled()) {
    EXPECT_EQ(cs.gso_sends, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(AllPaths, UdpEcho,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "Batched" : "Single") +
                                  (std::get<1>(info.param) ? "Gso" : "NoGso") +
                                  (std::get<2>(info.param) ? "Gro" : "NoGro");
                         });

TEST(UdpSocket, KernelHasGsoAndGroHere) {
  // Documents what this machine offers; the fallbacks are covered by the NoGso/NoGro cases either way.
  auto rt = MakeManual();
  SeededRandom random(1);
  auto s = UdpSocket::Open(rt->loop(0), Loopback4(), random, nullptr);
  ASSERT_TRUE(s.ok());
  RecordProperty("gso", (*s)->gso_enabled() ? "yes" : "no");
  RecordProperty("gro", (*s)->gro_enabled() ? "yes" : "no");
  auto f = UdpSocket::Open(rt->loop(0), Loopback4(true, false, false), random, nullptr);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE((*f)->gso_enabled());
  EXPECT_FALSE((*f)->gro_enabled());
}

class UdpSegments : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(UdpSegments, SendSegmentsArriveAsSeparateDatagrams) {
  const auto [gso, gro] = GetParam();
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  SeededRandom random(2);
  std::vector<Received> got;
  auto rx = UdpSocket::Open(loop, Loopback4(true, gso, gro), random, Collect(&got));
  auto tx = UdpSocket::Open(loop, Loopback4(true, gso, gro), random, nullptr);
  ASSERT_TRUE(rx.ok() && tx.ok());
  // 100 segments of 1000 bytes and a 500-byte tail: more than one GSO message (64 segments max).
  const std::vector<uint8_t> data = Pattern(100 * 1000 + 500, 9);
  ASSERT_TRUE((*tx)->SendSegments((*rx)->local_address(), data, 1000).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return got.size() == 101; }, Duration::Seconds(5)));
  std::vector<uint8_t> joined;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].bytes.size(), i < 100 ? 1000u : 500u);
    EXPECT_EQ(got[i].meta.remote, (*tx)->local_address());
    joined.insert(joined.end(), got[i].bytes.begin(), got[i].bytes.end());
  }
  EXPECT_EQ(joined, data);
  if ((*tx)->gso_enabled()) {
    EXPECT_GE((*tx)->stats().gso_sends, 2u);
    EXPECT_LE((*tx)->stats().send_syscalls, 2u);
  } else {
    EXPECT_EQ((*tx)->stats().gso_sends, 0u);
  }
  EXPECT_EQ((*rx)->stats().datagrams_received, 101u);
  if (!(*rx)->gro_enabled()) {
    EXPECT_EQ((*rx)->stats().gro_batches, 0u);
  }
  if ((*rx)->gro_enabled() && (*tx)->gso_enabled()) {
    // Over loopback a GSO send reaches a GRO socket still coalesced; the socket splits it.
    EXPECT_GE((*rx)->stats().gro_batches, 1u);
  }
}

INSTANTIATE_TEST_SUITE_P(GsoGro, UdpSegments, ::testing::Combine(::testing::Bool(), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "Gso" : "NoGso") +
                                  (std::get<1>(info.param) ? "Gro" : "NoGro");
                         });

TEST(UdpSocket, WildcardBindReportsLocalAddressAndPicksSource) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  SeededRandom random(3);
  std::vector<Received> at_server;
  UdpSocketOptions o;
  o.bind = SocketAddress(IpAddress::AnyV4(), 0);
  auto server = UdpSocket::Open(loop, o, random, Collect(&at_server));
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->local_address().ip().IsUnspecified());
  std::vector<Received> at_client;
  auto client = UdpSocket::Open(loop, Loopback4(), random, Collect(&at_client));
  ASSERT_TRUE(client.ok());
  const SocketAddress target(IpAddress::LoopbackV4(), (*server)->local_address().port());
  ASSERT_TRUE((*client)->Send(target, Pattern(10, 1)).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return at_server.size() == 1; }, Duration::Seconds(5)));
  EXPECT_EQ(at_server[0].meta.local, target);  // from IP_PKTINFO, not 0.0.0.0
  // Reply with an explicit source (IP_PKTINFO on send).
  ASSERT_TRUE((*server)->Send(at_server[0].meta.remote, Pattern(5, 2), IpAddress::LoopbackV4()).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return at_client.size() == 1; }, Duration::Seconds(5)));
  EXPECT_EQ(at_client[0].meta.remote, target);
}

TEST(UdpSocket, EchoOnLoopbackV6) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  SeededRandom random(4);
  UdpSocketOptions o;
  o.bind = SocketAddress(IpAddress::LoopbackV6(), 0);
  std::vector<Received> a_got, b_got;
  auto a = UdpSocket::Open(loop, o, random, Collect(&a_got));
  auto b = UdpSocket::Open(loop, o, random, Collect(&b_got));
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
  EXPECT_EQ((*a)->family(), IpFamily::kV6);
  EXPECT_FALSE((*a)->CanSendTo(SocketAddress(IpAddress::LoopbackV4(), 9)));
  EXPECT_EQ((*a)->Send(SocketAddress(IpAddress::LoopbackV4(), 9), Pattern(3, 0)).code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<uint8_t> msg = Pattern(777, 5);
  ASSERT_TRUE((*a)->Send((*b)->local_address(), msg).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return b_got.size() == 1; }, Duration::Seconds(5)));
  EXPECT_EQ(b_got[0].bytes, msg);
  EXPECT_EQ(b_got[0].meta.remote, (*a)->local_address());
  EXPECT_EQ(b_got[0].meta.local, (*b)->local_address());
}

// A dual-stack socket (IPV6_V6ONLY=0) reports IPv4 peers as IPv4, not as ::ffff:a.b.c.d, and can answer them.
TEST(UdpSocket, DualStackReportsV4MappedTrafficAsV4) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  SeededRandom random(5);
  UdpSocketOptions o;
  o.bind = SocketAddress(IpAddress::AnyV6(), 0);
  o.v6_only = false;
  std::vector<Received> at_server;
  auto server = UdpSocket::Open(loop, o, random, Collect(&at_server));
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE((*server)->dual_stack());
  std::vector<Received> at_client;
  auto client = UdpSocket::Open(loop, Loopback4(), random, Collect(&at_client));
  ASSERT_TRUE(client.ok());
  const SocketAddress target(IpAddress::LoopbackV4(), (*server)->local_address().port());
  ASSERT_TRUE((*client)->Send(target, Pattern(64, 3)).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return at_server.size() == 1; }, Duration::Seconds(5)));
  EXPECT_TRUE(at_server[0].meta.remote.ip().is_v4());
  EXPECT_EQ(at_server[0].meta.remote, (*client)->local_address());
  EXPECT_EQ(at_server[0].meta.local, target);
  ASSERT_TRUE((*server)->CanSendTo(at_server[0].meta.remote));
  ASSERT_TRUE((*server)->Send(at_server[0].meta.remote, Pattern(8, 4), IpAddress::LoopbackV4()).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return at_client.size() == 1; }, Duration::Seconds(5)));
  EXPECT_EQ(at_client[0].bytes, Pattern(8, 4));
  EXPECT_EQ(at_client[0].meta.remote, target);
}

// Finds `n` consecutive ports free on 127.0.0.1 below the ephemeral range.
uint16_t FindFreeRange(EventLoop& loop, int n) {
  SeededRandom random(99);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const uint16_t base = static_cast<uint16_t>(20000 + random.Uniform(10000));
    std::vector<std::unique_ptr<UdpSocket>> probes;
    bool ok = true;
    for (int i = 0; i < n && ok; ++i) {
      UdpSocketOptions o;
      o.bind = SocketAddress(IpAddress::LoopbackV4(), static_cast<uint16_t>(base + i));
      auto s = UdpSocket::Open(loop, o, random, nullptr);
      ok = s.ok();
      if (ok) probes.push_back(std::move(*s));
    }
    if (ok) return base;
  }
  return 0;
}

TEST(UdpSocket, PortRangeStartsAtRandomOffsetAndExhausts) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  const uint16_t base = FindFreeRange(loop, 3);
  ASSERT_NE(base, 0);
  UdpSocketOptions o;
  o.bind = SocketAddress(IpAddress::LoopbackV4(), 0);
  o.min_port = base;
  o.max_port = static_cast<uint16_t>(base + 2);
  SeededRandom random(12345);
  SeededRandom twin(12345);
  const uint16_t expected_first = static_cast<uint16_t>(base + twin.Uniform(3));
  std::vector<std::unique_ptr<UdpSocket>> held;
  for (int i = 0; i < 3; ++i) {
    auto s = UdpSocket::Open(loop, o, random, nullptr);
    ASSERT_TRUE(s.ok()) << s.status();
    const uint16_t port = (*s)->local_address().port();
    EXPECT_GE(port, o.min_port);
    EXPECT_LE(port, o.max_port);
    if (i == 0) {
      EXPECT_EQ(port, expected_first);
    }
    for (auto& h : held) EXPECT_NE(h->local_address().port(), port);
    held.push_back(std::move(*s));
  }
  auto full = UdpSocket::Open(loop, o, random, nullptr);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(full.status().message().find("no free UDP port"), absl::string_view::npos) << full.status();
  held.pop_back();  // a port frees up
  EXPECT_TRUE(UdpSocket::Open(loop, o, random, nullptr).ok());
}

TEST(UdpSocket, RejectsBadOptions) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  SeededRandom random(6);
  UdpSocketOptions o;  // no bind address
  EXPECT_EQ(UdpSocket::Open(loop, o, random, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  o = Loopback4();
  o.min_port = 30000;
  o.max_port = 29999;
  EXPECT_EQ(UdpSocket::Open(loop, o, random, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  o = Loopback4();
  o.bind = SocketAddress(IpAddress::LoopbackV4(), 30000);
  o.min_port = 30000;
  o.max_port = 30001;
  EXPECT_EQ(UdpSocket::Open(loop, o, random, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  o = Loopback4();
  o.max_send_batch = 0;
  EXPECT_EQ(UdpSocket::Open(loop, o, random, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  o = Loopback4();
  o.recv_buffer_size = -1;
  EXPECT_EQ(UdpSocket::Open(loop, o, random, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(UdpSocket, BindToTakenPortFailsWithoutReuse) {
  auto rt = MakeManual();
  SeededRandom random(7);
  auto a = UdpSocket::Open(rt->loop(0), Loopback4(), random, nullptr);
  ASSERT_TRUE(a.ok());
  UdpSocketOptions o;
  o.bind = (*a)->local_address();
  auto b = UdpSocket::Open(rt->loop(0), o, random, nullptr);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kAlreadyExists) << b.status();
}

TEST(UdpSocket, SendRejectsBadPayloads) {
  auto rt = MakeManual();
  SeededRandom random(8);
  auto s = UdpSocket::Open(rt->loop(0), Loopback4(), random, nullptr);
  ASSERT_TRUE(s.ok());
  const SocketAddress to(IpAddress::LoopbackV4(), 9);
  EXPECT_EQ((*s)->Send(to, {}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*s)->Send(to, std::vector<uint8_t>(65508)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*s)->Send(SocketAddress(), Pattern(4, 0)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*s)->Send(SocketAddress(IpAddress::LoopbackV6(), 9), Pattern(4, 0)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*s)->SendSegments(to, Pattern(10, 0), 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*s)->SendSegments(to, {}, 10).code(), absl::StatusCode::kInvalidArgument);
}

TEST(UdpSocket, OversizedDatagramIsDroppedAndCounted) {
  RuntimeOptions ro;
  ro.udp_recv_slot_bytes = 600;
  auto rt = MakeManual(ro);
  EventLoop& loop = rt->loop(0);
  SeededRandom random(9);
  std::vector<Received> got;
  // GRO sockets use 64 KiB slots; test the small pool.
  auto rx = UdpSocket::Open(loop, Loopback4(true, true, false), random, Collect(&got));
  auto tx = UdpSocket::Open(loop, Loopback4(), random, nullptr);
  ASSERT_TRUE(rx.ok() && tx.ok());
  ASSERT_TRUE((*tx)->Send((*rx)->local_address(), Pattern(1000, 1)).ok());
  ASSERT_TRUE((*tx)->Send((*rx)->local_address(), Pattern(100, 2)).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return got.size() == 1; }, Duration::Seconds(5)));
  EXPECT_EQ(got[0].bytes, Pattern(100, 2));
  EXPECT_EQ((*rx)->stats().truncated, 1u);
}

TEST(UdpSocket, SendQueueIsBounded) {
  auto rt = MakeManual();
  SeededRandom random(10);
  UdpSocketOptions o = Loopback4();
  o.max_send_queue_bytes = 10000;
  o.max_send_batch = 1024;
  auto s = UdpSocket::Open(rt->loop(0), o, random, nullptr);
  ASSERT_TRUE(s.ok());
  const SocketAddress to(IpAddress::LoopbackV4(), (*s)->local_address().port());  // to itself
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*s)->Send(to, Pattern(1000, 1)).ok());
  EXPECT_EQ((*s)->stats().send_errors, 90u);
  (*s)->Flush();
  EXPECT_EQ((*s)->stats().datagrams_sent, 10u);
}

TEST(UdpSocket, CallbackMayDestroyItsSocket) {
  auto rt = MakeManual();
  EventLoop& loop = rt->loop(0);
  SeededRandom random(11);
  std::unique_ptr<UdpSocket> rx;
  int calls = 0;
  auto rx_or = UdpSocket::Open(loop, Loopback4(), random, [&](const Datagram&) {
    ++calls;
    rx.reset();
  });
  ASSERT_TRUE(rx_or.ok());
  rx = std::move(*rx_or);
  auto tx = UdpSocket::Open(loop, Loopback4(), random, nullptr);
  ASSERT_TRUE(tx.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*tx)->Send(rx->local_address(), Pattern(10, 1)).ok());
  ASSERT_TRUE(loop.RunUntil([&] { return rx == nullptr; }, Duration::Seconds(5)));
  loop.Poll(Duration::Millis(10));
  EXPECT_EQ(calls, 1);
}

// Sockets live on a loop thread; the test thread only posts work and reads atomics (run under tsan too).
TEST(UdpSocket, EchoOnALoopThread) {
  absl::StatusOr<std::unique_ptr<Runtime>> rt = Runtime::Create({});
  ASSERT_TRUE(rt.ok());
  EventLoop& loop = (*rt)->loop(0);
  std::unique_ptr<UdpSocket> server, client;
  std::atomic<int> echoed{0};
  SeededRandom random(12);
  ASSERT_TRUE(loop.RunSync([&] {
    auto s = UdpSocket::Open(loop, Loopback4(), random, [&](const Datagram& d) {
      EXPECT_TRUE(loop.IsCurrent());
      (void)server->Send(d.remote, d.payload);
    });
    ASSERT_TRUE(s.ok());
    server = std::move(*s);
    auto c = UdpSocket::Open(loop, Loopback4(), random, [&](const Datagram& d) {
      if (d.payload.size() == 100) echoed.fetch_add(1);
    });
    ASSERT_TRUE(c.ok());
    client = std::move(*c);
  }));
  ASSERT_TRUE(server && client);
  std::vector<std::thread> posters;
  for (int t = 0; t < 3; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        loop.Post([&] { (void)client->Send(server->local_address(), Pattern(100, 1)); });
      }
    });
  }
  for (auto& t : posters) t.join();
  const Timestamp deadline = SteadyClock::Get().Now() + Duration::Seconds(5);
  while (echoed.load() < 60 && SteadyClock::Get().Now() < deadline) std::this_thread::yield();
  EXPECT_EQ(echoed.load(), 60);
  loop.RunSync([&] {
    client.reset();
    server.reset();
  });
}

}  // namespace
}  // namespace tern
