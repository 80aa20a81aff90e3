// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "store/store_test_util.h"

namespace mlhub::store {
namespace {

using LogBatchTest = MemoryStoreTest;

const Metric* Latest(const store::Run& run, const std::string& key) {
  for (const Metric& metric : run.metrics) {
    if (metric.key == key) return &metric;
  }
  return nullptr;
}

std::vector<Metric> History(TrackingStore& store, const std::string& run_id, const std::string& key,
                            size_t page_size = 1'000'000) {
  std::vector<Metric> all;
  int64_t cursor = 0;
  for (int guard = 0; guard < 100'000; ++guard) {
    StatusOr<MetricHistoryPage> page = store.ReadMetricHistory(run_id, key, cursor, page_size);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    EXPECT_LE(page->points.size(), page_size);
    all.insert(all.end(), page->points.begin(), page->points.end());
    if (page->done) break;
    cursor = page->next_cursor;
  }
  return all;
}

Status Log(TrackingStore& store, const std::string& run_id, std::vector<Metric> metrics,
           std::vector<Param> params = {}, std::vector<Tag> tags = {}) {
  RunBatch batch;
  batch.metrics = std::move(metrics);
  batch.params = std::move(params);
  batch.tags = std::move(tags);
  return store.LogBatch(run_id, batch);
}

TEST_F(LogBatchTest, LatestMetricIsTheHighestStepAcrossBatches) {
  const std::string id = MakeRun(*store_);
  ASSERT_TRUE(Log(*store_, id, {M("loss", 0.5, 100, 0)}).ok());
  ASSERT_TRUE(Log(*store_, id, {M("loss", 0.3, 101, 2)}).ok());
  ASSERT_TRUE(Log(*store_, id, {M("loss", 0.4, 102, 1)}).ok());
  const store::Run run = store_->GetRun(id).value();
  const Metric* latest = Latest(run, "loss");
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(latest->value, 0.3);
  EXPECT_EQ(latest->step, 2);
  EXPECT_EQ(latest->timestamp, 101);
  std::vector<Metric> history = History(*store_, id, "loss");
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].value, 0.5);  // in logging order
  EXPECT_EQ(history[1].value, 0.3);
  EXPECT_EQ(history[2].value, 0.4);
  EXPECT_EQ(history[2].step, 1);
  EXPECT_EQ(history[2].timestamp, 102);
  EXPECT_TRUE(history[0].key.empty());
}

TEST_F(LogBatchTest, LatestMetricWithinOneBatchAndTieBreaks) {
  const std::string id = MakeRun(*store_);
  ASSERT_TRUE(
      Log(*store_, id,
          {M("a", 1, 10, 0), M("a", 2, 10, 2), M("a", 3, 10, 1), M("b", 5, 20, 1), M("b", 4, 30, 1),
           M("b", 6, 25, 1), M("c", 1, 5, 0), M("c", 9, 5, 0), M("c", 3, 5, 0)})
          .ok());
  store::Run run = store_->GetRun(id).value();
  EXPECT_EQ(Latest(run, "a")->value, 2);  // highest step
  EXPECT_EQ(Latest(run, "b")->value, 4);  // same step: highest timestamp
  EXPECT_EQ(Latest(run, "c")->value, 9);  // same step and timestamp: highest value
  // A later batch with an older step does not replace it; one at the same step and a later
  // timestamp does.
  ASSERT_TRUE(Log(*store_, id, {M("b", 100, 99, 0)}).ok());
  EXPECT_EQ(Latest(store_->GetRun(id).value(), "b")->value, 4);
  ASSERT_TRUE(Log(*store_, id, {M("b", -1, 31, 1)}).ok());
  EXPECT_EQ(Latest(store_->GetRun(id).value(), "b")->value, -1);
}

TEST_F(LogBatchTest, NanIsKeptAndInfinitiesAreClamped) {
  const std::string id = MakeRun(*store_);
  ASSERT_TRUE(
      Log(*store_, id, {M("nan", NAN, 1, 0), M("inf", INFINITY, 1, 0), M("ninf", -INFINITY, 1, 0)})
          .ok());
  store::Run run = store_->GetRun(id).value();
  EXPECT_TRUE(std::isnan(Latest(run, "nan")->value));
  EXPECT_EQ(Latest(run, "inf")->value, 1.7976931348623157e308);
  EXPECT_EQ(Latest(run, "ninf")->value, -1.7976931348623157e308);
  EXPECT_TRUE(std::isnan(History(*store_, id, "nan").at(0).value));
  EXPECT_EQ(History(*store_, id, "inf").at(0).value, 1.7976931348623157e308);
  // A real value at a later step replaces NaN, and NaN at a later step replaces a real value.
  ASSERT_TRUE(Log(*store_, id, {M("nan", 2, 1, 1)}).ok());
  EXPECT_EQ(Latest(store_->GetRun(id).value(), "nan")->value, 2);
  ASSERT_TRUE(Log(*store_, id, {M("nan", NAN, 1, 2)}).ok());
  EXPECT_TRUE(std::isnan(Latest(store_->GetRun(id).value(), "nan")->value));
}

TEST_F(LogBatchTest, ParamsAreImmutable) {
  const std::string id = MakeRun(*store_);
  ASSERT_TRUE(Log(*store_, id, {}, {{"lr", "0.1"}, {"depth", "3"}}).ok());
  EXPECT_TRUE(Log(*store_, id, {}, {{"lr", "0.1"}}).ok());           // same value: fine
  EXPECT_TRUE(Log(*store_, id, {}, {{"x", "1"}, {"x", "1"}}).ok());  // same duplicate: fine

  // A changed value fails the whole batch: nothing of it lands.
  Status changed = Log(*store_, id, {M("m", 1)}, {{"new", "1"}, {"lr", "0.2"}}, {{"t", "v"}});
  EXPECT_EQ(changed.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(changed.message(),
            "Changing param values is not allowed. Param with key='lr' was already logged with "
            "value='0.1' for run ID='" +
                id + "'. Attempted logging new value '0.2'.");
  store::Run run = store_->GetRun(id).value();
  EXPECT_EQ(run.params.size(), 3u);
  EXPECT_TRUE(run.metrics.empty());
  EXPECT_EQ(run.tags.size(), 1u);  // just mlflow.runName
  EXPECT_TRUE(History(*store_, id, "m").empty());

  // Conflicting duplicates inside one batch fail it too.
  Status duplicate = Log(*store_, id, {M("m", 1)}, {{"y", "1"}, {"y", "2"}});
  EXPECT_EQ(duplicate.code(), StatusCode::kInvalidArgument);
  run = store_->GetRun(id).value();
  EXPECT_EQ(run.params.size(), 3u);
  EXPECT_TRUE(run.metrics.empty());
}

TEST_F(LogBatchTest, HistoryPagesCoverEveryPointInOrder) {
  const std::string id = MakeRun(*store_);
  // One-point writes (tail appends), a big batch (split in chunks) and more small writes.
  std::vector<Metric> expected;
  for (int i = 0; i < 300; ++i) {
    Metric m = M("x", i * 0.5, 1000 + i, i);
    expected.push_back(m);
    ASSERT_TRUE(Log(*store_, id, {m}).ok());
  }
  std::vector<Metric> big;
  for (int i = 300; i < 300 + 9000; ++i) big.push_back(M("x", i * 0.5, 1000 + i, i));
  ASSERT_TRUE(Log(*store_, id, big).ok());
  expected.insert(expected.end(), big.begin(), big.end());
  for (int i = 9300; i < 9310; ++i) {
    Metric m = M("x", i * 0.5, 1000 + i, i);
    expected.push_back(m);
    ASSERT_TRUE(Log(*store_, id, {m}).ok());
  }
  for (size_t page_size : {1ul, 7ul, 128ul, 4096ul, 9310ul, 100000ul}) {
    std::vector<Metric> got = History(*store_, id, "x", page_size);
    ASSERT_EQ(got.size(), expected.size()) << "page size " << page_size;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].step, expected[i].step) << i;
      ASSERT_EQ(got[i].timestamp, expected[i].timestamp) << i;
      ASSERT_EQ(got[i].value, expected[i].value) << i;
    }
  }
  // Many chunks (each 200-point write is a chunk of its own): pages that end on a chunk
  // boundary, also where the store's batched chunk reads end (8, 8 + 16, ... chunks).
  std::vector<Metric> many;
  for (int b = 0; b < 40; ++b) {
    std::vector<Metric> batch;
    for (int i = 0; i < 200; ++i) batch.push_back(M("y", b, 1, b * 200 + i));
    ASSERT_TRUE(Log(*store_, id, batch).ok());
    many.insert(many.end(), batch.begin(), batch.end());
  }
  for (size_t page_size : {200ul, 1600ul, 4800ul, 3333ul, 8000ul}) {
    std::vector<Metric> got = History(*store_, id, "y", page_size);
    ASSERT_EQ(got.size(), many.size()) << "page size " << page_size;
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].step, many[i].step) << i;
  }
  StatusOr<MetricHistoryPage> none = store_->ReadMetricHistory(id, "unknown", 0, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->points.empty());
  EXPECT_TRUE(none->done);
  StatusOr<MetricHistoryPage> exact = store_->ReadMetricHistory(id, "x", 0, expected.size());
  EXPECT_TRUE(exact->done);
  EXPECT_EQ(store_->ReadMetricHistory(id, "x", -1, 10).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(LogBatchTest, EightThreadsLoggingToOneRunLoseNothing) {
  TempDir dir;
  auto store = OpenOrDie(FileConfig(dir.File("concurrent.db"), &clock_));
  ASSERT_NE(store, nullptr);
  const std::string id = MakeRun(*store);
  constexpr int kThreads = 8;
  constexpr int kWrites = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string mine = "t" + std::to_string(t);
      for (int i = 0; i < kWrites; ++i) {
        RunBatch batch;
        batch.metrics = {M("shared", t * 1000 + i, i, i), M(mine, i, i, i)};
        batch.params = {{mine + "_p" + std::to_string(i), "v"}};
        batch.tags = {{mine, std::to_string(i)}};
        ASSERT_TRUE(store->LogBatch(id, batch).ok());
        if (i % 50 == 0) {
          ASSERT_TRUE(store->GetRun(id).ok());
          ASSERT_TRUE(store->ReadMetricHistory(id, "shared", 0, 100).ok());
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  store::Run run = store->GetRun(id).value();
  EXPECT_EQ(run.params.size(), static_cast<size_t>(kThreads * kWrites));
  EXPECT_EQ(run.metrics.size(), static_cast<size_t>(kThreads + 1));
  EXPECT_EQ(run.tags.size(), static_cast<size_t>(kThreads + 1));
  EXPECT_EQ(History(*store, id, "shared").size(), static_cast<size_t>(kThreads * kWrites));
  for (int t = 0; t < kThreads; ++t) {
    std::vector<Metric> own = History(*store, id, "t" + std::to_string(t));
    ASSERT_EQ(own.size(), static_cast<size_t>(kWrites));
    for (int i = 0; i < kWrites; ++i) EXPECT_EQ(own[i].step, i);  // each thread's order kept
    EXPECT_EQ(Latest(run, "t" + std::to_string(t))->value, kWrites - 1);
  }
  EXPECT_EQ(Latest(run, "shared")->step, kWrites - 1);
}

}  // namespace
}  // namespace mlhub::store
