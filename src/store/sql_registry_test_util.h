// SPDX-License-Identifier: Apache-2.0
// Helpers of the SqlRegistryStore tests: stores on SQLite, entities to create, filters and
// orders built by hand, and the RegistryStoreTest fixture. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "store/registry_store.h"
#include "store/sql_registry_store.h"
#include "store/store_test_util.h"

namespace mlhub::store {

// The value of `result`, or a default one after recording the failure.
template <typename T>
inline T Ok(StatusOr<T> result) {
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? std::move(result).value() : T{};
}

inline void ExpectOk(const Status& status) { EXPECT_TRUE(status.ok()) << status.ToString(); }

inline std::unique_ptr<RegistryStore> OpenRegistry(const StoreConfig& config) {
  StatusOr<Stores> stores = OpenStores(config);
  if (!stores.ok()) {
    ADD_FAILURE() << stores.status().ToString();
    return nullptr;
  }
  return std::move(stores->registry);
}

inline NewRegisteredModel Model(const std::string& name, int64_t now = 100,
                                std::vector<Tag> tags = {}) {
  NewRegisteredModel model;
  model.name = name;
  model.now = now;
  model.tags = std::move(tags);
  return model;
}

inline NewModelVersion Version(const std::string& name, int64_t now = 100,
                               const std::string& run_id = "", std::vector<Tag> tags = {}) {
  NewModelVersion version;
  version.name = name;
  version.source = "s3://bucket/" + name;
  version.run_id = run_id;
  version.now = now;
  version.tags = std::move(tags);
  return version;
}

// --- Hand-built filters and orders (what tracking's parser produces).
inline FilterExpr Where(EntityType type, const std::string& key, Comparator op,
                        std::variant<double, std::string, std::vector<std::string>> value) {
  FilterExpr expr;
  expr.comparison.type = type;
  expr.comparison.key = key;
  expr.comparison.op = op;
  expr.comparison.value = std::move(value);
  return expr;
}

inline FilterExpr Attr(const std::string& key, Comparator op,
                       std::variant<double, std::string, std::vector<std::string>> value) {
  return Where(EntityType::kAttribute, key, op, std::move(value));
}

inline FilterExpr TagIs(const std::string& key, const std::string& value) {
  return Where(EntityType::kTag, key, Comparator::kEq, value);
}

inline FilterExpr And(std::vector<FilterExpr> children) {
  FilterExpr expr;
  expr.kind = FilterExpr::Kind::kAnd;
  expr.children = std::move(children);
  return expr;
}

inline OrderBy By(const std::string& key, bool ascending) {
  OrderBy order;
  order.key = key;
  order.ascending = ascending;
  return order;
}

inline RegistryQuery Query(std::optional<FilterExpr> filter = std::nullopt,
                           std::vector<OrderBy> order_by = {}, int64_t max_results = 100,
                           int64_t offset = 0) {
  RegistryQuery query;
  query.filter = std::move(filter);
  query.order_by = std::move(order_by);
  query.max_results = max_results;
  query.offset = offset;
  return query;
}

inline std::vector<std::string> Names(const RegisteredModelPage& page) {
  std::vector<std::string> names;
  for (const RegisteredModel& m : page.models) names.push_back(m.name);
  return names;
}

// "name/version" of each version, in order.
inline std::vector<std::string> Ids(const std::vector<ModelVersion>& versions) {
  std::vector<std::string> ids;
  for (const ModelVersion& v : versions) ids.push_back(v.name + "/" + std::to_string(v.version));
  return ids;
}

inline std::vector<std::string> Ids(const ModelVersionPage& page) { return Ids(page.versions); }

inline std::vector<std::string> AliasNames(const RegisteredModel& model) {
  std::vector<std::string> out;
  for (const ModelAlias& a : model.aliases)
    out.push_back(a.alias + "->" + std::to_string(a.version));
  return out;
}

inline std::vector<std::string> TagPairs(const std::vector<Tag>& tags) {
  std::vector<std::string> out;
  for (const Tag& t : tags) out.push_back(t.key + "=" + t.value);
  return out;
}

using Strings = std::vector<std::string>;

class RegistryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenRegistry(MemoryConfig(&clock_));
    ASSERT_NE(store_, nullptr);
  }

  // Creates `count` versions of `name` at `now`; returns their numbers.
  std::vector<int64_t> AddVersions(const std::string& name, int count, int64_t now = 100) {
    std::vector<int64_t> numbers;
    for (int i = 0; i < count; ++i)
      numbers.push_back(Ok(store_->CreateModelVersion(Version(name, now))).version);
    return numbers;
  }

  void Stage(const std::string& name, int64_t version, const char* stage, int64_t now = 100,
             bool archive_existing = false) {
    ExpectOk(store_->TransitionStage(name, version, stage, archive_existing, now).status());
  }

  FakeClock clock_;
  std::unique_ptr<RegistryStore> store_;
};

}  // namespace mlhub::store
