// SPDX-License-Identifier: Apache-2.0
#include "store/logged_model_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace mlhub::store::internal {
namespace {

LoggedModel Model(std::string name, int64_t created) {
  LoggedModel model;
  model.model_id = "m-" + name;
  model.name = std::move(name);
  model.creation_timestamp_ms = created;
  return model;
}

void AddMetric(LoggedModel* model, std::string key, double value, int64_t timestamp,
               int64_t step = 0, std::string dataset = "", std::string digest = "") {
  model->metrics.push_back(
      {model->model_id, "run", {std::move(key), value, timestamp, step}, dataset, digest});
}

std::vector<std::string> Names(const std::vector<LoggedModel>& models) {
  std::vector<std::string> out;
  for (const LoggedModel& m : models) out.push_back(m.name);
  return out;
}

std::vector<std::string> Sorted(std::vector<LoggedModel> models, const LoggedModelQuery& query) {
  SortLoggedModels(query, &models);
  return Names(models);
}

LoggedModelOrder ByMetric(std::string key, bool ascending, DatasetMatch dataset = {}) {
  return {{EntityType::kMetric, std::move(key), ascending}, std::move(dataset)};
}

FilterExpr MetricAbove(std::string key, double value) {
  FilterExpr expr;
  expr.comparison = {EntityType::kMetric, std::move(key), Comparator::kGt, value};
  return expr;
}

TEST(LoggedModelSearchTest, OrdersByTheLatestValueOfAMetricWithMissingValuesLast) {
  LoggedModel a = Model("a", 1), b = Model("b", 2), c = Model("c", 3), d = Model("d", 4);
  AddMetric(&a, "acc", 0.9, 100);
  AddMetric(&a, "acc", 0.5, 200);  // a's latest: 0.5
  AddMetric(&b, "acc", 0.7, 100, 1);
  AddMetric(&b, "acc", 0.1, 100, 0);  // same time, lower step: b's latest stays 0.7
  AddMetric(&c, "loss", 1.0, 100);    // no acc: last in both directions
  AddMetric(&d, "acc", 0.6, 50);
  LoggedModelQuery query;
  query.order_by = {ByMetric("acc", false)};
  EXPECT_EQ(Sorted({a, b, c, d}, query), (std::vector<std::string>{"b", "d", "a", "c"}));
  query.order_by = {ByMetric("acc", true)};
  EXPECT_EQ(Sorted({a, b, c, d}, query), (std::vector<std::string>{"a", "d", "b", "c"}));
}

TEST(LoggedModelSearchTest, OrdersByAMetricOnOneDataset) {
  LoggedModel a = Model("a", 1), b = Model("b", 2), c = Model("c", 3);
  AddMetric(&a, "acc", 0.9, 100, 0, "train", "t1");
  AddMetric(&a, "acc", 0.2, 100, 0, "eval", "e1");
  AddMetric(&b, "acc", 0.1, 100, 0, "train", "t1");
  AddMetric(&b, "acc", 0.8, 100, 0, "eval", "e1");
  AddMetric(&c, "acc", 0.99, 100, 0, "eval", "e2");  // another digest of eval
  LoggedModelQuery query;
  query.order_by = {ByMetric("acc", false, {"eval", "e1"})};
  EXPECT_EQ(Sorted({a, b, c}, query), (std::vector<std::string>{"b", "a", "c"}));
  query.order_by = {ByMetric("acc", false, {"train", ""})};
  EXPECT_EQ(Sorted({a, b, c}, query), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(LoggedModelSearchTest, NanSortsAfterNumbersAndTiesFallBackToNewestFirst) {
  LoggedModel a = Model("a", 1), b = Model("b", 2), c = Model("c", 3);
  AddMetric(&a, "acc", std::nan(""), 100);
  AddMetric(&b, "acc", 0.5, 100);
  AddMetric(&c, "acc", 0.5, 100);
  LoggedModelQuery query;
  query.order_by = {ByMetric("acc", true)};
  EXPECT_EQ(Sorted({a, b, c}, query), (std::vector<std::string>{"c", "b", "a"}));
}

TEST(LoggedModelSearchTest, OrdersByAttributesWithUnsetOnesLast) {
  LoggedModel a = Model("a", 1), b = Model("b", 2), c = Model("c", 3);
  a.model_type = "regressor";
  c.model_type = "classifier";
  a.status = LoggedModelStatus::kReady;
  b.status = LoggedModelStatus::kPending;
  c.status = LoggedModelStatus::kUploadFailed;
  LoggedModelQuery query;
  query.order_by = {{{EntityType::kAttribute, "model_type", false}, {}}};
  EXPECT_EQ(Sorted({a, b, c}, query), (std::vector<std::string>{"a", "c", "b"}));
  query.order_by = {{{EntityType::kAttribute, "status", true}, {}}};
  EXPECT_EQ(Sorted({a, b, c}, query), (std::vector<std::string>{"b", "a", "c"}));
  query.order_by = {{{EntityType::kAttribute, "name", false}, {}}};
  EXPECT_EQ(Sorted({a, b, c}, query), (std::vector<std::string>{"c", "b", "a"}));
}

TEST(LoggedModelSearchTest, DatasetsNarrowMetricComparisonsOrRequireAMetricOnThem) {
  LoggedModel a = Model("a", 1), b = Model("b", 2), c = Model("c", 3);
  AddMetric(&a, "acc", 0.9, 100, 0, "train", "t1");
  AddMetric(&b, "acc", 0.9, 100, 0, "eval", "e1");
  AddMetric(&c, "loss", 0.3, 100);  // on no dataset
  auto matching = [&](const LoggedModelQuery& query) {
    std::vector<std::string> out;
    for (const LoggedModel* m : {&a, &b, &c}) {
      if (MatchesLoggedModelQuery(*m, query)) out.push_back(m->name);
    }
    return out;
  };
  LoggedModelQuery query;
  query.filter = MetricAbove("acc", 0.5);
  EXPECT_EQ(matching(query), (std::vector<std::string>{"a", "b"}));
  query.datasets = {{"eval", ""}};
  EXPECT_EQ(matching(query), (std::vector<std::string>{"b"}));
  query.datasets = {{"eval", "other-digest"}};
  EXPECT_TRUE(matching(query).empty());
  query.datasets = {{"train", "t1"}, {"eval", "e1"}};
  EXPECT_EQ(matching(query), (std::vector<std::string>{"a", "b"}));
  query.filter.reset();  // no metric comparison: any metric on the datasets
  query.datasets = {{"train", ""}};
  EXPECT_EQ(matching(query), (std::vector<std::string>{"a"}));
  query.datasets.clear();
  EXPECT_EQ(matching(query), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace mlhub::store::internal
