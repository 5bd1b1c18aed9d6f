#include "tern/base/fifo.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tern {
namespace {

TEST(Fifo, EmptyQueueHoldsNoStorage) {
  Fifo<std::vector<uint8_t>> q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.capacity(), 0u);
}

TEST(Fifo, FirstInFirstOut) {
  Fifo<int> q;
  for (int i = 0; i < 1000; ++i) q.push_back(i);
  EXPECT_EQ(q.back(), 999);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(q.empty());
    EXPECT_EQ(q.front(), i);
    EXPECT_EQ(q.size(), static_cast<size_t>(1000 - i));
    q.pop_front();
  }
  EXPECT_TRUE(q.empty());
}

TEST(Fifo, InterleavedPushAndPopKeepOrderAcrossCompaction) {
  Fifo<int> q;
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 500; ++round) {
    for (int i = 0; i < 3; ++i) q.push_back(next_in++);
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(q.front(), next_out++);
      q.pop_front();
    }
    // Never empty, so only compaction bounds the storage: at most twice the live elements (or the kept
    // capacity), plus the vector's own growth slack.
    ASSERT_LE(q.capacity(), 4 * std::max(q.size(), Fifo<int>::kKeptCapacity));
  }
  EXPECT_EQ(q.size(), 500u);
  while (!q.empty()) {
    ASSERT_EQ(q.front(), next_out++);
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}

TEST(Fifo, DrainingABurstGivesTheStorageBack) {
  Fifo<std::string> q;
  for (int i = 0; i < 100; ++i) q.emplace_back(64, 'x');
  EXPECT_GE(q.capacity(), 100u);
  while (!q.empty()) q.pop_front();
  EXPECT_EQ(q.capacity(), 0u);
  // A queue that stays small keeps its storage (no allocation per use in steady state).
  for (int i = 0; i < 4; ++i) q.push_back("a");
  const size_t kept = q.capacity();
  while (!q.empty()) q.pop_front();
  EXPECT_EQ(q.capacity(), kept);
  EXPECT_GT(kept, 0u);
}

TEST(Fifo, KeptStorageIsBoundedInBytes) {
  struct Big {
    uint8_t bytes[400];
  };
  EXPECT_EQ(Fifo<Big>::kKeptCapacity, 1u);
  EXPECT_EQ(Fifo<uint64_t>::kKeptCapacity, 64u);
  Fifo<Big> q;
  for (int i = 0; i < 3; ++i) q.push_back(Big{});
  while (!q.empty()) q.pop_front();
  EXPECT_EQ(q.capacity(), 0u);  // three 400-byte slots are not kept
  q.push_back(Big{});
  q.pop_front();
  EXPECT_EQ(q.capacity(), 1u);  // one is
}

TEST(Fifo, PopReleasesTheElementAtOnce) {
  Fifo<std::shared_ptr<int>> q;
  auto p = std::make_shared<int>(7);
  q.push_back(p);
  q.push_back(std::make_shared<int>(8));
  EXPECT_EQ(p.use_count(), 2);
  q.pop_front();
  EXPECT_EQ(p.use_count(), 1);  // not held by a consumed slot
  EXPECT_EQ(*q.front(), 8);
  q.clear();
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace tern
