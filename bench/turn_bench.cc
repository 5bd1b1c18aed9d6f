// Micro-benchmarks of the sans-IO TURN server core (lib/turn, RFC 8656): the per-packet relay paths —
// ChannelData client -> peer and peer -> client (§12), Send indication -> peer and peer -> Data
// indication (§10) — an authenticated Allocate (§7, RFC 8489 §9.2 long-term credentials, MD5 and SHA-256)
// and a Binding request. Each iteration is HandleInput + PollTransmit + RecycleBuffer, i.e. everything
// the core does for one packet; the runtime's socket work is not included.
//
// Baseline, measured in the same binary: BM_Baseline_ChannelDataCopy parses the same ChannelData message
// with lib/stun and copies its payload into a pooled buffer — the least any relay must do per packet —
// so the relay's cost over it is the core's own bookkeeping (5-tuple lookup, channel and permission
// checks, counters, queueing). Every setup is checked once and the program aborts if it fails.
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tern/base/datagram.h"
#include "tern/base/random.h"
#include "tern/stun/stun.h"
#include "tern/turn/turn_server.h"

#include "allocation_counter.h"

namespace tern::turn {
namespace {

using ::tern::bench::AllocationCounter;

const SocketAddress kListen(IpAddress::V4(198, 51, 100, 1), 3478);
const IpAddress kRelayIp = IpAddress::V4(198, 51, 100, 2);
const SocketAddress kClient(IpAddress::V4(203, 0, 113, 5), 40000);
const SocketAddress kPeer(IpAddress::V4(93, 184, 216, 34), 7000);
const SocketAddress kPeer2(IpAddress::V4(93, 184, 216, 35), 7001);
constexpr char kUser[] = "alice";
constexpr char kPassword[] = "wonderland";
constexpr char kRealm[] = "example.org";
constexpr uint16_t kChannel = 0x4000;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "turn_bench: setup failed: %s\n", what.c_str());
  std::abort();
}

TurnServerConfig Config() {
  TurnServerConfig c;
  c.realm = kRealm;
  c.software = "tern-bench";
  c.listening = {kListen};
  c.relay_addresses = {{kRelayIp, {}}};
  c.min_port = 10000;
  c.max_port = 65000;
  c.users = {{kUser, kPassword}};
  c.confirm_relay_binds = false;
  c.unauthenticated_rate = 0;  // benchmarks send as fast as they can
  c.max_allocations = 1 << 20;
  return c;
}

// A server with one allocation for kClient, a channel to kPeer and a permission for kPeer2.
class Fixture {
 public:
  explicit Fixture(bool sha256 = false) : random_(1) {
    auto s = TurnServer::Create(Config(), random_);
    if (!s.ok()) Die(s.status().ToString());
    server_ = std::move(*s);
    sha256_ = sha256;
    // 401 to learn the nonce.
    std::vector<uint8_t> first = Build(kClient, stun::method::kAllocate, false, [](stun::MessageBuilder& b) {
      b.AddRequestedTransport(stun::kProtocolUdp);
    });
    Transmit challenge = Exchange(kClient, first);
    auto m = stun::MessageView::Parse(challenge.payload);
    if (!m.ok() || !m->GetNonce().ok()) Die("no 401 challenge");
    nonce_ = std::string(*m->GetNonce());
    if (auto pa = m->Find(stun::attr::kPasswordAlgorithms)) algorithms_.assign(pa->value.begin(), pa->value.end());
    Expect(Exchange(kClient, AllocateRequest(kClient)), "Allocate");
    auto alloc = stun::MessageView::Parse(last_.payload);
    relay_ = *alloc->GetXorAddress(stun::attr::kXorRelayedAddress);
    Expect(Exchange(kClient, Build(kClient, stun::method::kChannelBind, true,
                                   [](stun::MessageBuilder& b) {
                                     b.AddChannelNumber(kChannel);
                                     b.AddXorAddress(stun::attr::kXorPeerAddress, kPeer);
                                   })),
           "ChannelBind");
    Expect(Exchange(kClient, Build(kClient, stun::method::kCreatePermission, true,
                                   [](stun::MessageBuilder& b) {
                                     b.AddXorAddress(stun::attr::kXorPeerAddress, kPeer2);
                                   })),
           "CreatePermission");
  }

  template <typename F>
  std::vector<uint8_t> Build(const SocketAddress& source, uint16_t method, bool auth, F&& add,
                             stun::MessageClass cls = stun::MessageClass::kRequest) {
    std::vector<uint8_t> buf(2048);
    stun::MessageBuilder b(buf, {cls, method}, stun::TransactionId::Generate(random_));
    add(b);
    stun::FinishOptions options;
    options.fingerprint = true;
    std::optional<stun::IntegrityKey> key;
    if (auth) {
      b.AddText(stun::attr::kUsername, kUser);
      b.AddText(stun::attr::kRealm, kRealm);
      b.AddText(stun::attr::kNonce, nonce_);
      if (sha256_) {
        b.Add(stun::attr::kPasswordAlgorithms, algorithms_);
        b.AddPasswordAlgorithm(stun::PasswordAlgorithm::kSha256);
        key = stun::IntegrityKey::LongTerm(kUser, kRealm, kPassword, stun::PasswordAlgorithm::kSha256);
        options.integrity_sha256 = &*key;
      } else {
        key = stun::IntegrityKey::LongTerm(kUser, kRealm, kPassword);
        options.integrity = &*key;
      }
    }
    auto wire = b.Finish(options);
    if (!wire.ok()) Die(wire.status().ToString());
    buf.resize(wire->size());
    (void)source;
    return buf;
  }
  std::vector<uint8_t> AllocateRequest(const SocketAddress& source) {
    return Build(source, stun::method::kAllocate, true,
                 [](stun::MessageBuilder& b) { b.AddRequestedTransport(stun::kProtocolUdp); });
  }

  Transmit Exchange(const SocketAddress& source, const std::vector<uint8_t>& bytes) {
    server_->HandleInput(FromClient(source, bytes), now_);
    std::optional<Transmit> t = server_->PollTransmit();
    if (!t.has_value()) Die("no answer");
    while (server_->PollEvent()) {
    }
    last_ = *t;
    return std::move(*t);
  }
  static void Expect(const Transmit& t, const char* what) {
    auto m = stun::MessageView::Parse(t.payload);
    if (!m.ok() || m->message_class() != stun::MessageClass::kSuccessResponse) Die(std::string(what) + " failed");
  }
  static Datagram FromClient(const SocketAddress& source, ByteSpan bytes) {
    Datagram d;
    d.local = kListen;
    d.remote = source;
    d.payload = bytes;
    return d;
  }
  Datagram FromPeer(const SocketAddress& peer, ByteSpan bytes) const {
    Datagram d;
    d.local = relay_;
    d.remote = peer;
    d.payload = bytes;
    return d;
  }

  TurnServer& server() { return *server_; }
  const SocketAddress& relay() const { return relay_; }
  Timestamp now() const { return now_; }
  void set_now(Timestamp t) { now_ = t; }

 private:
  SeededRandom random_;
  std::unique_ptr<TurnServer> server_;
  bool sha256_ = false;
  std::string nonce_;
  std::vector<uint8_t> algorithms_;
  SocketAddress relay_;
  Transmit last_;
  Timestamp now_ = Timestamp::Seconds(100);
};

// One packet through the core: HandleInput, PollTransmit, hand the buffer back.
void RunRelay(benchmark::State& state, Fixture& f, const Datagram& d, const SocketAddress& expect_remote) {
  // Check once.
  f.server().HandleInput(d, f.now());
  std::optional<Transmit> t = f.server().PollTransmit();
  if (!t.has_value() || t->remote != expect_remote) Die("relay path does not relay");
  f.server().RecycleBuffer(std::move(t->payload));
  AllocationCounter allocations;
  for (auto _ : state) {
    f.server().HandleInput(d, f.now());
    std::optional<Transmit> out = f.server().PollTransmit();
    benchmark::DoNotOptimize(out->payload.data());
    f.server().RecycleBuffer(std::move(out->payload));
  }
  allocations.Report(state);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

std::vector<uint8_t> Payload(size_t n) {
  std::vector<uint8_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(i * 7);
  return p;
}

std::vector<uint8_t> ChannelDataMessage(const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> cd(payload.size() + 8);
  auto n = stun::WriteChannelData(cd, kChannel, payload, stun::Framing::kDatagram);
  if (!n.ok()) Die("WriteChannelData");
  cd.resize(*n);
  return cd;
}

void BM_ChannelDataClientToPeer(benchmark::State& state) {
  Fixture f;
  std::vector<uint8_t> cd = ChannelDataMessage(Payload(static_cast<size_t>(state.range(0))));
  RunRelay(state, f, Fixture::FromClient(kClient, cd), kPeer);
}
BENCHMARK(BM_ChannelDataClientToPeer)->Arg(160)->Arg(1200);

void BM_ChannelDataPeerToClient(benchmark::State& state) {
  Fixture f;
  std::vector<uint8_t> payload = Payload(static_cast<size_t>(state.range(0)));
  RunRelay(state, f, f.FromPeer(kPeer, payload), kClient);
}
BENCHMARK(BM_ChannelDataPeerToClient)->Arg(160)->Arg(1200);

void BM_SendIndicationClientToPeer(benchmark::State& state) {
  Fixture f;
  std::vector<uint8_t> payload = Payload(static_cast<size_t>(state.range(0)));
  std::vector<uint8_t> send = f.Build(
      kClient, stun::method::kSend, false,
      [&](stun::MessageBuilder& b) {
        b.AddXorAddress(stun::attr::kXorPeerAddress, kPeer2);
        b.Add(stun::attr::kData, payload);
      },
      stun::MessageClass::kIndication);
  RunRelay(state, f, Fixture::FromClient(kClient, send), kPeer2);
}
BENCHMARK(BM_SendIndicationClientToPeer)->Arg(160)->Arg(1200);

void BM_DataIndicationPeerToClient(benchmark::State& state) {
  Fixture f;
  std::vector<uint8_t> payload = Payload(static_cast<size_t>(state.range(0)));
  RunRelay(state, f, f.FromPeer(kPeer2, payload), kClient);  // kPeer2 has no channel
}
BENCHMARK(BM_DataIndicationPeerToClient)->Arg(160)->Arg(1200);

// The least a relay does per ChannelData packet: parse the framing and copy the payload out.
void BM_Baseline_ChannelDataCopy(benchmark::State& state) {
  std::vector<uint8_t> cd = ChannelDataMessage(Payload(static_cast<size_t>(state.range(0))));
  std::vector<uint8_t> out;
  out.reserve(2048);
  AllocationCounter allocations;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cd.data());
    auto v = stun::ParseChannelData(cd, stun::Framing::kDatagram);
    out.assign(v->payload.begin(), v->payload.end());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  allocations.Report(state);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Baseline_ChannelDataCopy)->Arg(160)->Arg(1200);

// An authenticated Allocate from a fresh 5-tuple each time (401 round trip done beforehand; the nonce
// is valid for all of them since they share the client IP): credential lookup, long-term key
// derivation, MESSAGE-INTEGRITY check, port pick, state insertion, response with MESSAGE-INTEGRITY.
void RunAllocate(benchmark::State& state, bool sha256) {
  constexpr int kBatch = 4096;
  std::unique_ptr<Fixture> f;
  std::vector<std::vector<uint8_t>> requests;
  std::vector<Datagram> datagrams;
  int next = kBatch;
  AllocationCounter allocations;
  for (auto _ : state) {
    if (next == kBatch) {
      state.PauseTiming();
      f = std::make_unique<Fixture>(sha256);
      requests.clear();
      datagrams.clear();
      for (int i = 0; i < kBatch; ++i) {
        SocketAddress source(kClient.ip(), static_cast<uint16_t>(1024 + i));
        requests.push_back(f->AllocateRequest(source));
      }
      for (int i = 0; i < kBatch; ++i) {
        datagrams.push_back(Fixture::FromClient(SocketAddress(kClient.ip(), static_cast<uint16_t>(1024 + i)),
                                                requests[static_cast<size_t>(i)]));
      }
      next = 0;
      state.ResumeTiming();
    }
    f->server().HandleInput(datagrams[static_cast<size_t>(next++)], f->now());
    std::optional<Transmit> out = f->server().PollTransmit();
    benchmark::DoNotOptimize(out->payload.data());
    f->server().RecycleBuffer(std::move(out->payload));
    while (f->server().PollEvent()) {
    }
  }
  allocations.Report(state);
  // Check the last answer was a success.
  if (f && f->server().stats().allocations < 2) Die("Allocate did not allocate");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
void BM_AuthenticatedAllocateMd5(benchmark::State& state) { RunAllocate(state, false); }
void BM_AuthenticatedAllocateSha256(benchmark::State& state) { RunAllocate(state, true); }
BENCHMARK(BM_AuthenticatedAllocateMd5);
BENCHMARK(BM_AuthenticatedAllocateSha256);

// Heap held per allocation (glibc mallinfo2 before and after) with state.range(0) bare allocations (no
// permission or channel yet) in the server: the core's share of RSS per allocation.
void BM_HeapPerAllocation(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  double per_allocation = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto f = std::make_unique<Fixture>();
    std::vector<std::vector<uint8_t>> requests;
    for (int i = 0; i < n; ++i) {
      SocketAddress source(kClient.ip(), static_cast<uint16_t>(1024 + i));
      requests.push_back(f->AllocateRequest(source));
    }
    state.ResumeTiming();
    size_t before = mallinfo2().uordblks;
    for (int i = 0; i < n; ++i) {
      SocketAddress source(kClient.ip(), static_cast<uint16_t>(1024 + i));
      f->server().HandleInput(Fixture::FromClient(source, requests[static_cast<size_t>(i)]), f->now());
      std::optional<Transmit> out = f->server().PollTransmit();
      f->server().RecycleBuffer(std::move(out->payload));
    }
    while (f->server().PollEvent()) {
    }
    size_t after = mallinfo2().uordblks;
    if (f->server().allocation_count() != static_cast<size_t>(n) + 1) Die("allocations failed");
    per_allocation = static_cast<double>(after - before) / n;
    state.PauseTiming();
    f.reset();
    state.ResumeTiming();
  }
  state.counters["heap_bytes/allocation"] = per_allocation;
}
BENCHMARK(BM_HeapPerAllocation)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_BindingRequest(benchmark::State& state) {
  Fixture f;
  std::vector<uint8_t> req = f.Build(kClient, stun::method::kBinding, false, [](stun::MessageBuilder&) {});
  Datagram d = Fixture::FromClient(kClient, req);
  AllocationCounter allocations;
  for (auto _ : state) {
    f.server().HandleInput(d, f.now());
    std::optional<Transmit> out = f.server().PollTransmit();
    benchmark::DoNotOptimize(out->payload.data());
    f.server().RecycleBuffer(std::move(out->payload));
  }
  allocations.Report(state);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_BindingRequest);

}  // namespace
}  // namespace tern::turn

BENCHMARK_MAIN();
