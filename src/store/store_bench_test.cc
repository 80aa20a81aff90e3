// SPDX-License-Identifier: Apache-2.0
// Rough throughput of the SQLite-backed store, printed rather than asserted (timings vary by
// machine). Disabled by default; run with
//   store_test --gtest_also_run_disabled_tests --gtest_filter='StoreBench*'
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "store/store_test_util.h"

namespace mlhub::store {
namespace {

class Stopwatch {
 public:
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

void Report(const char* what, double count, double seconds, const char* unit) {
  std::printf("%-52s %12.0f %s/s  (%.3f s)\n", what, count / seconds, unit, seconds);
}

class StoreBench : public ::testing::Test {
 protected:
  void SetUp() override {
    // MLHUB_STORE_BENCH_DB keeps the database for inspection (e.g. EXPLAIN QUERY PLAN).
    const char* keep = std::getenv("MLHUB_STORE_BENCH_DB");
    store_ = OpenOrDie(FileConfig(keep != nullptr ? keep : dir_.File("bench.db"), &clock_));
    ASSERT_NE(store_, nullptr);
  }
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<TrackingStore> store_;
};

TEST_F(StoreBench, DISABLED_LogOneMetricPerCall) {
  const std::string id = MakeRun(*store_);
  constexpr int kCalls = 20000;
  Stopwatch watch;
  for (int i = 0; i < kCalls; ++i) {
    RunBatch batch;
    batch.metrics = {M("loss", 1.0 / (i + 1), 1000 + i, i)};
    ASSERT_TRUE(store_->LogBatch(id, batch).ok());
  }
  Report("log 1 metric per call, 1 thread", kCalls, watch.Seconds(), "calls");

  const int threads = 4;
  Stopwatch parallel;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::string run = MakeRun(*store_);
      for (int i = 0; i < kCalls / threads; ++i) {
        RunBatch batch;
        batch.metrics = {M("m" + std::to_string(t), i, i, i)};
        ASSERT_TRUE(store_->LogBatch(run, batch).ok());
      }
    });
  }
  for (std::thread& w : workers) w.join();
  Report("log 1 metric per call, 4 threads", kCalls, parallel.Seconds(), "calls");
}

void LogBatches(TrackingStore& store, int keys, int batches, const char* label) {
  const std::string id = MakeRun(store);
  const int per_key = 1000 / keys;
  std::vector<RunBatch> prepared(batches);
  for (int b = 0; b < batches; ++b) {
    for (int k = 0; k < keys; ++k) {
      for (int s = 0; s < per_key; ++s) {
        prepared[b].metrics.push_back(
            M("key" + std::to_string(k), s * 0.1, 1000 + b, b * per_key + s));
      }
    }
  }
  Stopwatch watch;
  for (const RunBatch& batch : prepared) ASSERT_TRUE(store.LogBatch(id, batch).ok());
  Report(label, batches * 1000.0, watch.Seconds(), "metrics");
}

TEST_F(StoreBench, DISABLED_LogBatchOf1000Metrics) {
  LogBatches(*store_, 1, 300, "log-batch 1000 metrics: 1 key x 1000 steps");
  LogBatches(*store_, 10, 300, "log-batch 1000 metrics: 10 keys x 100 steps");
  LogBatches(*store_, 100, 100, "log-batch 1000 metrics: 100 keys x 10 steps");
  LogBatches(*store_, 1000, 30, "log-batch 1000 metrics: 1000 keys x 1 step");
}

TEST_F(StoreBench, DISABLED_CreateRuns) {
  constexpr int kRuns = 10000;
  Stopwatch watch;
  for (int i = 0; i < kRuns; ++i) MakeRun(*store_, "0", i, "run" + std::to_string(i));
  Report("create run (with mlflow.runName tag)", kRuns, watch.Seconds(), "runs");
}

TEST_F(StoreBench, DISABLED_ReadHistoryOf100kPoints) {
  const std::string batched = MakeRun(*store_);
  for (int b = 0; b < 100; ++b) {
    RunBatch batch;
    for (int s = 0; s < 1000; ++s) batch.metrics.push_back(M("x", s, b, b * 1000 + s));
    ASSERT_TRUE(store_->LogBatch(batched, batch).ok());
  }
  const std::string single = MakeRun(*store_);
  for (int s = 0; s < 100000; ++s) {
    RunBatch batch;
    batch.metrics = {M("x", s, s, s)};
    ASSERT_TRUE(store_->LogBatch(single, batch).ok());
  }
  for (const auto& [run, label] : {std::pair{batched, "history 100k points (logged 1000/batch)"},
                                   std::pair{single, "history 100k points (logged 1/call)"}}) {
    constexpr int kReads = 20;
    Stopwatch watch;
    for (int i = 0; i < kReads; ++i) {
      auto page = store_->ReadMetricHistory(run, "x", 0, 1'000'000);
      ASSERT_TRUE(page.ok());
      ASSERT_EQ(page->points.size(), 100000u);
    }
    std::printf("%-52s %12.2f ms/read\n", label, watch.Seconds() * 1000 / kReads);
  }
}

TEST_F(StoreBench, DISABLED_SearchOver10kRuns) {
  NewExperiment experiment;
  experiment.name = "bench";
  const std::string eid = store_->CreateExperiment(experiment).value();
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> uniform(0, 1);
  const char* lrs[] = {"0.1", "0.01", "0.001"};
  for (int i = 0; i < 10000; ++i) {
    const std::string id = MakeRun(*store_, eid, 1000 + i, "run" + std::to_string(i));
    RunBatch batch;
    batch.metrics = {M("acc", uniform(rng)), M("loss", uniform(rng)), M("f1", uniform(rng))};
    batch.params = {{"lr", lrs[i % 3]}, {"depth", std::to_string(i % 10)}, {"opt", "adam"}};
    batch.tags = {{"team", i % 2 ? "red" : "blue"}, {"stage", "dev"}};
    ASSERT_TRUE(store_->LogBatch(id, batch).ok());
  }
  auto bench = [&](const char* label, std::optional<FilterExpr> filter,
                   std::vector<OrderBy> order_by) {
    RunQuery query;
    query.experiment_ids = {eid};
    query.filter = filter;
    query.order_by = order_by;
    query.max_results = 100;
    constexpr int kQueries = 50;
    ASSERT_TRUE(store_->SearchRuns(query).ok());  // warm
    Stopwatch watch;
    size_t returned = 0;
    for (int i = 0; i < kQueries; ++i) returned = store_->SearchRuns(query).value().runs.size();
    std::printf("%-52s %12.2f ms/query (%zu runs)\n", label, watch.Seconds() * 1000 / kQueries,
                returned);
  };
  FilterExpr acc;
  acc.comparison = {EntityType::kMetric, "acc", Comparator::kGt, 0.5};
  FilterExpr lr;
  lr.comparison = {EntityType::kParam, "lr", Comparator::kEq, std::string("0.01")};
  FilterExpr both{FilterExpr::Kind::kAnd, {}, {acc, lr}};
  bench("search 10k: no filter, default order", std::nullopt, {});
  bench("search 10k: acc>0.5 AND lr='0.01', default order", both, {});
  bench("search 10k: acc>0.5 AND lr='0.01', order acc DESC", both,
        {{EntityType::kMetric, "acc", false}});
  bench("search 10k: acc>0.5 AND lr='0.01', order loss ASC", both,
        {{EntityType::kMetric, "loss", true}});
  bench("search 10k: no filter, order metrics.f1 DESC", std::nullopt,
        {{EntityType::kMetric, "f1", false}});
  bench("search 10k: no filter, order params.depth ASC", std::nullopt,
        {{EntityType::kParam, "depth", true}});
}

}  // namespace
}  // namespace mlhub::store
