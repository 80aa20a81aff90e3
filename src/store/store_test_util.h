// SPDX-License-Identifier: Apache-2.0
// Test helpers for the store: a settable clock, temporary directories, and fresh stores in
// memory or in a temporary SQLite file. Test-only; not thread-safe except FakeClock.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/ids.h"
#include "store/schema.h"
#include "store/sql_tracking_store.h"
#include "store/store_factory.h"
#include "store/tracking_store.h"

namespace mlhub::store {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now = 1'700'000'000'000) : now_(now) {}
  int64_t NowMillis() const override { return now_.load(); }
  void Set(int64_t now) { now_.store(now); }

 private:
  std::atomic<int64_t> now_;
};

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mlhub-store-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline StoreConfig MemoryConfig(const Clock* clock) {
  StoreConfig config;
  config.backend_store_uri = "sqlite://";
  config.clock = clock;
  return config;
}

inline StoreConfig FileConfig(const std::string& path, const Clock* clock) {
  StoreConfig config;
  config.backend_store_uri = "sqlite:///" + path;  // absolute path: four slashes
  config.clock = clock;
  return config;
}

inline std::unique_ptr<TrackingStore> OpenOrDie(const StoreConfig& config) {
  StatusOr<std::unique_ptr<TrackingStore>> store = OpenTrackingStore(config);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
}

// An in-memory store whose SearchRuns always uses `plan`.
inline std::unique_ptr<TrackingStore> OpenMemoryStoreWithPlan(const Clock* clock,
                                                              RunSearchPlan plan) {
  const StoreConfig config = MemoryConfig(clock);
  StatusOr<std::shared_ptr<SqlDatabase>> db = OpenSqlDatabase(config);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  MigrationContext context;
  context.default_artifact_root = config.default_artifact_root;
  context.now = clock->NowMillis();
  EXPECT_TRUE(MigrateSchema(**db, context).ok());
  SqlTrackingStoreOptions options;
  options.clock = clock;
  options.run_search_plan_for_test = plan;
  StatusOr<std::unique_ptr<SqlTrackingStore>> store = SqlTrackingStore::Create(*db, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return std::move(store).value();
}

// Creates an active run and returns its id.
inline std::string MakeRun(TrackingStore& store, const std::string& experiment_id = "0",
                           int64_t start_time = 1000, const std::string& name = "run") {
  NewRun run;
  run.run_id = NewUuidHex();
  run.experiment_id = experiment_id;
  run.user_id = "alice";
  run.run_name = name;
  run.start_time = start_time;
  run.tags = {{kRunNameTag, name}};
  StatusOr<Run> created = store.CreateRun(run);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return run.run_id;
}

inline Metric M(const std::string& key, double value, int64_t timestamp = 0, int64_t step = 0) {
  Metric metric;
  metric.key = key;
  metric.value = value;
  metric.timestamp = timestamp;
  metric.step = step;
  return metric;
}

// A test fixture holding an in-memory store.
class MemoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(MemoryConfig(&clock_));
    ASSERT_NE(store_, nullptr);
  }

  FakeClock clock_;
  std::unique_ptr<TrackingStore> store_;
};

}  // namespace mlhub::store
