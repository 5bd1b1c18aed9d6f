// Associations on several threads at once (as on several Runtime loops): each thread creates, connects,
// uses and destroys its own pairs while usrsctp's shared timer list is advanced from all of them. Run
// under TSan. Time is the real steady clock (one time line for the whole process, as association.h asks).
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sctp/sctp_test_util.h"
#include "tern/sctp/association.h"

namespace tern::sctp {
namespace {

using testing::BackToBack;
using testing::Pattern;

TEST(SctpThreads, PairsOnFourThreadsTransferConcurrently) {
  constexpr int kThreads = 4, kPairsPerThread = 6;
  constexpr size_t kBytes = 256 * 1024, kMessage = 16 * 1024;
  const Timestamp start = testing::FreshStart();
  const auto real_start = std::chrono::steady_clock::now();
  auto clock = [&] {
    return start + Duration::Micros(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now() - real_start)
                                        .count());
  };
  std::atomic<int> finished_pairs{0};
  std::atomic<int> wakes{0};
  size_t live_before = LiveAssociations();

  auto worker = [&](int t) {
    std::vector<std::unique_ptr<BackToBack>> pairs;
    for (int i = 0; i < kPairsPerThread; ++i) {
      pairs.push_back(std::make_unique<BackToBack>(AssociationConfig{}, AssociationConfig{},
                                                   Duration::Millis(1), clock()));
      for (int side = 0; side < 2; ++side) pairs.back()->at(side).SetWakeHandler([&] { ++wakes; });
      pairs.back()->StartConnect();
    }
    std::vector<int> stage(kPairsPerThread, 0);
    std::vector<uint16_t> ids(kPairsPerThread, 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int done = 0;
    while (done < kPairsPerThread && std::chrono::steady_clock::now() < deadline) {
      for (int i = 0; i < kPairsPerThread; ++i) {
        BackToBack& p = *pairs[i];
        p.AdvanceTo(clock());
        switch (stage[i]) {
          case 0:
            if (!p.Connected()) break;
            {
              ChannelOptions options;
              options.label = "t" + std::to_string(t);
              ids[i] = *p.a().OpenChannel(options);
            }
            for (size_t off = 0; off < kBytes; off += kMessage) {
              EXPECT_TRUE(p.a()
                              .Send(ids[i], MessageKind::kBinary,
                                    ByteSpan(Pattern(kBytes, t * 100 + i)).subspan(off, kMessage))
                              .ok());
            }
            stage[i] = 1;
            break;
          case 1:
            if (p.Messages(1, ids[i]).size() < kBytes / kMessage) break;
            {
              std::vector<uint8_t> got;
              for (const Event* e : p.Messages(1, ids[i]))
                got.insert(got.end(), e->data.begin(), e->data.end());
              EXPECT_TRUE(got == Pattern(kBytes, t * 100 + i));
            }
            EXPECT_TRUE(p.b().CloseChannel(ids[i]).ok());
            stage[i] = 2;
            break;
          case 2:
            if (!p.Has(0, Event::Type::kChannelClosed, ids[i]) ||
                !p.Has(1, Event::Type::kChannelClosed, ids[i]))
              break;
            stage[i] = 3;
            ++done;
            ++finished_pairs;
            break;
          default:
            break;
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    pairs.clear();  // destroyed while other threads still drive theirs
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (auto& th : threads) th.join();
  EXPECT_EQ(finished_pairs.load(), kThreads * kPairsPerThread);
  EXPECT_EQ(LiveAssociations(), live_before);
  RecordProperty("wakes", wakes.load());
}

}  // namespace
}  // namespace tern::sctp
