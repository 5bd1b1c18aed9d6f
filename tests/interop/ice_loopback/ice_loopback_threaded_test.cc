// Two tern ICE agents on two loop threads of one tern::Runtime (the production threading), over
// 127.0.0.1: signaling between the loops with EventLoop::Post, the test thread talking to each loop
// only through RunSync. Labelled "threaded": `make test` runs it under ThreadSanitizer.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "interop/ice_loopback/loopback_ice_peer.h"
#include "tern/base/random.h"
#include "tern/net/runtime.h"

namespace tern::ice::testing {
namespace {

std::vector<std::vector<uint8_t>> MakePayloads(Random& random, int count, uint8_t tag) {
  std::vector<std::vector<uint8_t>> out;
  for (int i = 0; i < count; ++i) {
    std::vector<uint8_t> p(static_cast<size_t>(1 + (i * 467) % 1200));
    random.Fill(p);
    p[0] = tag;
    out.push_back(std::move(p));
  }
  return out;
}

TEST(IceLoopbackThreaded, AgentsOnTwoLoopThreadsConnectAndCarryData) {
  RuntimeOptions options;
  options.num_loops = 2;
  absl::StatusOr<std::unique_ptr<Runtime>> runtime = Runtime::Create(options);
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  EventLoop& la = (*runtime)->loop(0);
  EventLoop& lb = (*runtime)->loop(1);
  CryptoRandom random_a, random_b;  // one per thread
  std::unique_ptr<LoopbackIcePeer> a, b;
  IceCredentials credentials_a, credentials_b;
  absl::Status start_a, start_b;
  ASSERT_TRUE(la.RunSync([&] {
    a = std::make_unique<LoopbackIcePeer>(la, random_a, LoopbackIcePeerOptions{.role = IceRole::kControlling});
    a->on_candidate = [&](const Candidate& c) { lb.Post([&b, c] { (void)b->AddRemoteCandidate(c); }); };
    a->on_end_of_candidates = [&] { lb.Post([&b] { b->SetRemoteEndOfCandidates(); }); };
  }));
  ASSERT_TRUE(lb.RunSync([&] {
    b = std::make_unique<LoopbackIcePeer>(lb, random_b, LoopbackIcePeerOptions{.role = IceRole::kControlled});
    b->on_candidate = [&](const Candidate& c) { la.Post([&a, c] { (void)a->AddRemoteCandidate(c); }); };
    b->on_end_of_candidates = [&] { la.Post([&a] { a->SetRemoteEndOfCandidates(); }); };
  }));
  ASSERT_TRUE(la.RunSync([&] {
    start_a = a->Start();
    credentials_a = a->agent().local_credentials();
  }));
  ASSERT_TRUE(lb.RunSync([&] {
    start_b = b->Start();
    credentials_b = b->agent().local_credentials();
  }));
  ASSERT_TRUE(start_a.ok()) << start_a;
  ASSERT_TRUE(start_b.ok()) << start_b;
  ASSERT_TRUE(la.RunSync([&] { (void)a->SetRemoteCredentials(credentials_b); }));
  ASSERT_TRUE(lb.RunSync([&] { (void)b->SetRemoteCredentials(credentials_a); }));

  // Polls a condition on each loop's own thread until both hold (bounded).
  auto wait_both = [&](const std::function<bool(LoopbackIcePeer&)>& done) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < end) {
      bool da = false, db = false;
      la.RunSync([&] { da = done(*a); });
      lb.RunSync([&] { db = done(*b); });
      if (da && db) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  };
  ASSERT_TRUE(wait_both([](LoopbackIcePeer& p) { return p.connected(); }));

  // 100 datagrams each way in rounds of 10, each side sending on its own thread.
  std::vector<std::vector<uint8_t>> from_a = MakePayloads(random_a, 100, 0xA1);
  std::vector<std::vector<uint8_t>> from_b = MakePayloads(random_b, 100, 0xB2);
  std::string errors;
  for (size_t round = 0; round < 10; ++round) {
    la.RunSync([&] {
      for (size_t i = round * 10; i < round * 10 + 10; ++i) {
        if (absl::Status s = a->Send(from_a[i]); !s.ok()) errors += s.ToString();
      }
    });
    lb.RunSync([&] {
      for (size_t i = round * 10; i < round * 10 + 10; ++i) {
        if (absl::Status s = b->Send(from_b[i]); !s.ok()) errors += s.ToString();
      }
    });
    ASSERT_TRUE(wait_both([&](LoopbackIcePeer& p) { return p.received().size() >= round * 10 + 10; }))
        << "round " << round;
  }
  EXPECT_TRUE(errors.empty()) << errors;
  std::vector<std::vector<uint8_t>> at_a, at_b;
  std::vector<Candidate> gathered_a, gathered_b;
  la.RunSync([&] {
    at_a = a->received();
    gathered_a = a->gathered();
    a->on_candidate = nullptr;
    a->on_end_of_candidates = nullptr;
  });
  lb.RunSync([&] {
    at_b = b->received();
    gathered_b = b->gathered();
    b->on_candidate = nullptr;
    b->on_end_of_candidates = nullptr;
  });
  EXPECT_EQ(at_b, from_a);
  EXPECT_EQ(at_a, from_b);
  for (const Candidate& c : gathered_a) EXPECT_EQ(c.address.ip(), IpAddress::LoopbackV4());
  for (const Candidate& c : gathered_b) EXPECT_EQ(c.address.ip(), IpAddress::LoopbackV4());
  EXPECT_FALSE(gathered_a.empty());
  // Everything bound to a loop is destroyed on it (after any task either side posted).
  la.RunSync([] {});
  lb.RunSync([] {});
  la.RunSync([&] { a.reset(); });
  lb.RunSync([&] { b.reset(); });
  (*runtime)->Stop();
}

}  // namespace
}  // namespace tern::ice::testing
