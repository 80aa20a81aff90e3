// SPDX-License-Identifier: Apache-2.0
#include "store/write_combiner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace mlhub::store {
namespace {

// Spins (with short sleeps) until `done` holds; the test's own timeout bounds it.
template <typename Condition>
void WaitUntil(const Condition& done) {
  while (!done()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TEST(WriteCombinerTest, WritesQueuedBehindAWriterGoTogetherAndShareItsStatus) {
  WriteCombiner<int> combiner(/*max_group=*/8);
  std::atomic<bool> release{false};
  std::vector<std::vector<int>> groups;
  std::mutex groups_mu;
  auto write = [&](const std::vector<int*>& group) -> Status {
    std::vector<int> values;
    for (int* v : group) values.push_back(*v);
    {
      std::lock_guard<std::mutex> lock(groups_mu);
      groups.push_back(values);
    }
    if (values.front() == 1) WaitUntil([&] { return release.load(); });  // hold the first write
    return values.size() > 1 ? InternalError("group failed") : OkStatus();
  };
  int a = 1, b = 2, c = 3, other = 9;
  Status sa, sb, sc;
  std::thread ta([&] { sa = combiner.Submit("run", &a, write); });
  WaitUntil([&] {
    std::lock_guard<std::mutex> lock(groups_mu);
    return !groups.empty();
  });
  std::thread tb([&] { sb = combiner.Submit("run", &b, write); });
  WaitUntil([&] { return combiner.WaitingForTest("run") == 1; });
  std::thread tc([&] { sc = combiner.Submit("run", &c, write); });
  WaitUntil([&] { return combiner.WaitingForTest("run") == 2; });
  // Another key does not wait for "run".
  EXPECT_TRUE(combiner.Submit("other", &other, write).ok());
  release = true;
  ta.join();
  tb.join();
  tc.join();
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0], std::vector<int>({1}));
  EXPECT_EQ(groups[1], std::vector<int>({9}));
  EXPECT_EQ(groups[2], std::vector<int>({2, 3}));  // arrival order
  EXPECT_TRUE(sa.ok());
  EXPECT_EQ(sb.code(), StatusCode::kInternal);  // each member gets its group's status
  EXPECT_EQ(sc.code(), StatusCode::kInternal);
  EXPECT_EQ(combiner.WaitingForTest("run"), 0u);
}

TEST(WriteCombinerTest, AFullGroupLeavesTheRestForTheNext) {
  WriteCombiner<int> combiner(/*max_group=*/2);
  std::atomic<bool> release{false};
  std::atomic<int> writes{0};
  std::vector<size_t> sizes;
  std::mutex mu;
  auto write = [&](const std::vector<int*>& group) -> Status {
    {
      std::lock_guard<std::mutex> lock(mu);
      sizes.push_back(group.size());
    }
    if (writes++ == 0) WaitUntil([&] { return release.load(); });
    return OkStatus();
  };
  int values[5] = {0, 1, 2, 3, 4};
  std::vector<std::thread> threads;
  threads.emplace_back([&] { EXPECT_TRUE(combiner.Submit("k", &values[0], write).ok()); });
  WaitUntil([&] { return writes.load() == 1; });
  for (int i = 1; i < 5; ++i) {
    threads.emplace_back([&, i] { EXPECT_TRUE(combiner.Submit("k", &values[i], write).ok()); });
    WaitUntil([&] { return combiner.WaitingForTest("k") == static_cast<size_t>(i); });
  }
  release = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(sizes, std::vector<size_t>({1, 2, 2}));
}

}  // namespace
}  // namespace mlhub::store
