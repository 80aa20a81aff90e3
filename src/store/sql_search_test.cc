// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "store/store_test_util.h"

namespace mlhub::store {
namespace {

using Names = std::vector<std::string>;

FilterExpr Cmp(EntityType type, std::string key, Comparator op,
               std::variant<double, std::string, std::vector<std::string>> value) {
  FilterExpr expr;
  expr.kind = FilterExpr::Kind::kComparison;
  expr.comparison = {type, std::move(key), op, std::move(value)};
  return expr;
}
FilterExpr And(std::vector<FilterExpr> children) {
  return {FilterExpr::Kind::kAnd, {}, std::move(children)};
}
FilterExpr Or(std::vector<FilterExpr> children) {
  return {FilterExpr::Kind::kOr, {}, std::move(children)};
}
FilterExpr MetricIs(std::string key, Comparator op, double v) {
  return Cmp(EntityType::kMetric, std::move(key), op, v);
}
FilterExpr ParamIs(std::string key, Comparator op, std::string v) {
  return Cmp(EntityType::kParam, std::move(key), op, std::move(v));
}
FilterExpr TagIs(std::string key, Comparator op, std::string v) {
  return Cmp(EntityType::kTag, std::move(key), op, std::move(v));
}

// Runs (start_time): alpha(100) beta(200) gamma(300) delta(400) in experiment "1", plus a deleted
// epsilon(250):
//   alpha: acc 0.9, loss 0.1; lr 0.01, model cnn; team red, note Hello; FINISHED, end 500;
//          dataset train/d1 (context training)
//   beta:  acc 0.5, loss NaN; lr 0.1, model rnn; team blue; dataset eval/d2 (context eval)
//   gamma: acc 0.7; lr 0.01
//   delta: team Red
class SearchRunsTest : public ::testing::TestWithParam<RunSearchPlan> {
 protected:
  void SetUp() override {
    store_ = OpenMemoryStoreWithPlan(&clock_, GetParam());
    ASSERT_NE(store_, nullptr);
    NewExperiment experiment;
    experiment.name = "search";
    experiment_ = store_->CreateExperiment(experiment).value();
    Add("alpha", 100, {M("acc", 0.9), M("loss", 0.1)}, {{"lr", "0.01"}, {"model", "cnn"}},
        {{"team", "red"}, {"note", "Hello"}});
    Add("beta", 200, {M("acc", 0.5), M("loss", NAN)}, {{"lr", "0.1"}, {"model", "rnn"}},
        {{"team", "blue"}});
    Add("gamma", 300, {M("acc", 0.7)}, {{"lr", "0.01"}}, {});
    Add("delta", 400, {}, {}, {{"team", "Red"}});
    Add("epsilon", 250, {M("acc", 1.0)}, {}, {});
    ASSERT_TRUE(store_->SetRunLifecycle(ids_["epsilon"], LifecycleStage::kDeleted).ok());
    RunUpdate finish;
    finish.run_id = ids_["alpha"];
    finish.status = RunStatus::kFinished;
    finish.end_time = 500;
    ASSERT_TRUE(store_->UpdateRun(finish).ok());
    DatasetInput train;
    train.dataset = {"train", "d1", "local", "/train", "", ""};
    train.tags = {{"mlflow.data.context", "training"}};
    ASSERT_TRUE(store_->LogInputs(ids_["alpha"], {train}).ok());
    DatasetInput eval;
    eval.dataset = {"eval", "d2", "local", "/eval", "", ""};
    eval.tags = {{"mlflow.data.context", "eval"}};
    ASSERT_TRUE(store_->LogInputs(ids_["beta"], {eval}).ok());
  }

  void Add(const std::string& name, int64_t start, std::vector<Metric> metrics,
           std::vector<Param> params, std::vector<Tag> tags) {
    const std::string id = MakeRun(*store_, experiment_, start, name);
    ids_[name] = id;
    RunBatch batch;
    batch.metrics = std::move(metrics);
    batch.params = std::move(params);
    batch.tags = std::move(tags);
    ASSERT_TRUE(store_->LogBatch(id, batch).ok());
  }

  StatusOr<RunPage> Page(std::optional<FilterExpr> filter, std::vector<OrderBy> order_by = {},
                         ViewType view = ViewType::kActiveOnly) {
    RunQuery query;
    query.experiment_ids = {experiment_};
    query.filter = std::move(filter);
    query.order_by = std::move(order_by);
    query.view_type = view;
    return store_->SearchRuns(query);
  }

  Names Search(std::optional<FilterExpr> filter, std::vector<OrderBy> order_by = {},
               ViewType view = ViewType::kActiveOnly) {
    StatusOr<RunPage> page = Page(std::move(filter), std::move(order_by), view);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) return {"error: " + page.status().ToString()};
    Names names;
    for (const store::Run& run : page->runs) names.push_back(run.info.run_name);
    return names;
  }

  Names Ordered(std::vector<OrderBy> order_by) { return Search(std::nullopt, order_by); }

  FakeClock clock_;
  std::unique_ptr<TrackingStore> store_;
  std::string experiment_;
  std::map<std::string, std::string> ids_;
};

INSTANTIATE_TEST_SUITE_P(AllPlans, SearchRunsTest,
                         ::testing::Values(RunSearchPlan::kAuto, RunSearchPlan::kRunScan,
                                           RunSearchPlan::kSegmented,
                                           RunSearchPlan::kFilterDriven));

constexpr auto kMetric = EntityType::kMetric;
constexpr auto kParam = EntityType::kParam;
constexpr auto kTag = EntityType::kTag;
constexpr auto kAttr = EntityType::kAttribute;
constexpr auto kData = EntityType::kDataset;

TEST_P(SearchRunsTest, DefaultOrderIsNewestStartThenRunId) {
  EXPECT_EQ(Search(std::nullopt), (Names{"delta", "gamma", "beta", "alpha"}));
  const std::string x = MakeRun(*store_, experiment_, 400, "x");
  Names names = Search(std::nullopt);
  ASSERT_EQ(names.size(), 5u);
  EXPECT_EQ(names[0], x < ids_["delta"] ? "x" : "delta");
}

TEST_P(SearchRunsTest, MetricComparators) {
  using C = Comparator;
  EXPECT_EQ(Search(MetricIs("acc", C::kGt, 0.6)), (Names{"gamma", "alpha"}));
  EXPECT_EQ(Search(MetricIs("acc", C::kGe, 0.7)), (Names{"gamma", "alpha"}));
  EXPECT_EQ(Search(MetricIs("acc", C::kLt, 0.7)), (Names{"beta"}));
  EXPECT_EQ(Search(MetricIs("acc", C::kLe, 0.7)), (Names{"gamma", "beta"}));
  EXPECT_EQ(Search(MetricIs("acc", C::kEq, 0.5)), (Names{"beta"}));
  EXPECT_EQ(Search(MetricIs("acc", C::kNe, 0.5)), (Names{"gamma", "alpha"}));  // delta lacks acc
  EXPECT_EQ(Search(MetricIs("loss", C::kLt, 1)), (Names{"alpha"}));            // NaN never <
  EXPECT_EQ(Search(MetricIs("loss", C::kNe, 0.1)), (Names{"beta"}));           // NaN differs
  EXPECT_EQ(Search(MetricIs("missing", C::kNe, 0)), Names{});
}

TEST_P(SearchRunsTest, ParamComparators) {
  using C = Comparator;
  EXPECT_EQ(Search(ParamIs("lr", C::kEq, "0.01")), (Names{"gamma", "alpha"}));
  EXPECT_EQ(Search(ParamIs("lr", C::kNe, "0.01")), (Names{"beta"}));
  EXPECT_EQ(Search(ParamIs("model", C::kLike, "c%")), (Names{"alpha"}));
  EXPECT_EQ(Search(ParamIs("model", C::kLike, "C%")), Names{});
  EXPECT_EQ(Search(ParamIs("model", C::kILike, "C_N")), (Names{"alpha"}));
  EXPECT_EQ(Search(Cmp(kParam, "model", C::kIn, Names{"cnn", "rnn"})), (Names{"beta", "alpha"}));
  EXPECT_EQ(Search(Cmp(kParam, "model", C::kNotIn, Names{"cnn"})), (Names{"beta"}));
}

TEST_P(SearchRunsTest, TagComparators) {
  using C = Comparator;
  EXPECT_EQ(Search(TagIs("team", C::kEq, "red")), (Names{"alpha"}));
  EXPECT_EQ(Search(TagIs("team", C::kNe, "red")), (Names{"delta", "beta"}));
  EXPECT_EQ(Search(TagIs("team", C::kLike, "R%")), (Names{"delta"}));
  EXPECT_EQ(Search(TagIs("team", C::kILike, "r%")), (Names{"delta", "alpha"}));
  EXPECT_EQ(Search(TagIs("note", C::kILike, "%ELL%")), (Names{"alpha"}));
  EXPECT_EQ(Search(TagIs(kRunNameTag, C::kEq, "gamma")), (Names{"gamma"}));
}

TEST_P(SearchRunsTest, AttributeComparators) {
  using C = Comparator;
  using S = std::string;
  EXPECT_EQ(Search(Cmp(kAttr, "run_name", C::kEq, S("beta"))), (Names{"beta"}));
  EXPECT_EQ(Search(Cmp(kAttr, "run_name", C::kLike, S("%ta"))), (Names{"delta", "beta"}));
  EXPECT_EQ(Search(Cmp(kAttr, "status", C::kEq, S("FINISHED"))), (Names{"alpha"}));
  EXPECT_EQ(Search(Cmp(kAttr, "status", C::kNe, S("FINISHED"))), (Names{"delta", "gamma", "beta"}));
  EXPECT_EQ(Search(Cmp(kAttr, "user_id", C::kIn, Names{"alice"})).size(), 4u);
  EXPECT_EQ(Search(Cmp(kAttr, "run_id", C::kIn, Names{ids_["beta"], ids_["gamma"]})),
            (Names{"gamma", "beta"}));
  EXPECT_EQ(Search(Cmp(kAttr, "run_id", C::kNotIn, Names{ids_["beta"]})),
            (Names{"delta", "gamma", "alpha"}));
  EXPECT_EQ(Search(Cmp(kAttr, "artifact_uri", C::kLike, "%" + ids_["gamma"] + "%")),
            (Names{"gamma"}));
  EXPECT_EQ(Search(Cmp(kAttr, "start_time", C::kGt, 150.0)), (Names{"delta", "gamma", "beta"}));
  EXPECT_EQ(Search(Cmp(kAttr, "start_time", C::kLe, 200.0)), (Names{"beta", "alpha"}));
  EXPECT_EQ(Search(Cmp(kAttr, "end_time", C::kLt, 1000.0)), (Names{"alpha"}));
  EXPECT_EQ(Search(Cmp(kAttr, "end_time", C::kNe, 1.0)), (Names{"alpha"}));  // NULL never matches
}

TEST_P(SearchRunsTest, DatasetComparators) {
  using C = Comparator;
  using S = std::string;
  EXPECT_EQ(Search(Cmp(kData, "name", C::kEq, S("train"))), (Names{"alpha"}));
  EXPECT_EQ(Search(Cmp(kData, "name", C::kILike, S("TR%"))), (Names{"alpha"}));
  EXPECT_EQ(Search(Cmp(kData, "name", C::kNe, S("train"))), (Names{"beta"}));
  EXPECT_EQ(Search(Cmp(kData, "digest", C::kIn, Names{"d2"})), (Names{"beta"}));
  EXPECT_EQ(Search(Cmp(kData, "context", C::kEq, S("eval"))), (Names{"beta"}));
  EXPECT_EQ(Search(Cmp(kData, "context", C::kLike, S("train%"))), (Names{"alpha"}));
}

TEST_P(SearchRunsTest, AndOrNesting) {
  using C = Comparator;
  EXPECT_EQ(Search(And({MetricIs("acc", C::kGt, 0.6), ParamIs("lr", C::kEq, "0.01")})),
            (Names{"gamma", "alpha"}));
  EXPECT_EQ(Search(And({Or({MetricIs("acc", C::kGt, 0.8), TagIs("team", C::kEq, "blue")}),
                        ParamIs("lr", C::kEq, "0.1")})),
            (Names{"beta"}));
  EXPECT_EQ(Search(And({MetricIs("acc", C::kGt, 0.6),
                        Or({ParamIs("model", C::kEq, "cnn"), ParamIs("model", C::kEq, "rnn")})})),
            (Names{"alpha"}));
  EXPECT_EQ(Search(Or({TagIs("team", C::kEq, "red"), MetricIs("acc", C::kLt, 0.6)})),
            (Names{"beta", "alpha"}));
  EXPECT_EQ(Search(Or({And({MetricIs("acc", C::kGe, 0.7), MetricIs("acc", C::kLe, 0.7)}),
                       TagIs("team", C::kEq, "Red")})),
            (Names{"delta", "gamma"}));
  EXPECT_EQ(Search(And({MetricIs("acc", C::kGt, 0.1), MetricIs("acc", C::kLt, 0.8),
                        Cmp(kAttr, "start_time", C::kGt, 250.0)})),
            (Names{"gamma"}));
}

TEST_P(SearchRunsTest, OrdersByMetricsWithNanAndMissingLast) {
  EXPECT_EQ(Ordered({{kMetric, "acc", false}}), (Names{"alpha", "gamma", "beta", "delta"}));
  EXPECT_EQ(Ordered({{kMetric, "acc", true}}), (Names{"beta", "gamma", "alpha", "delta"}));
  EXPECT_EQ(Ordered({{kMetric, "loss", true}}), (Names{"alpha", "beta", "delta", "gamma"}));
  EXPECT_EQ(Ordered({{kMetric, "loss", false}}), (Names{"alpha", "beta", "delta", "gamma"}));
  // With a filter on the same metric (the join doubles as the sort key).
  EXPECT_EQ(Search(MetricIs("acc", Comparator::kGt, 0.6), {{kMetric, "acc", true}}),
            (Names{"gamma", "alpha"}));
}

TEST_P(SearchRunsTest, OrdersByParamsTagsAndAttributes) {
  EXPECT_EQ(Ordered({{kParam, "lr", true}}), (Names{"gamma", "alpha", "beta", "delta"}));
  EXPECT_EQ(Ordered({{kParam, "lr", false}}), (Names{"beta", "gamma", "alpha", "delta"}));
  EXPECT_EQ(Ordered({{kTag, "team", true}}), (Names{"delta", "beta", "alpha", "gamma"}));
  EXPECT_EQ(Ordered({{kTag, "team", false}}), (Names{"alpha", "beta", "delta", "gamma"}));
  EXPECT_EQ(Ordered({{kParam, "lr", true}, {kMetric, "acc", true}}),
            (Names{"gamma", "alpha", "beta", "delta"}));
  EXPECT_EQ(Ordered({{kAttr, "run_name", true}}), (Names{"alpha", "beta", "delta", "gamma"}));
  EXPECT_EQ(Ordered({{kAttr, "start_time", true}}), (Names{"alpha", "beta", "gamma", "delta"}));
  EXPECT_EQ(Ordered({{kAttr, "end_time", false}}), (Names{"alpha", "delta", "gamma", "beta"}));
  EXPECT_EQ(Ordered({{kAttr, "end_time", true}}), (Names{"alpha", "delta", "gamma", "beta"}));
  EXPECT_EQ(Ordered({{kAttr, "status", true}, {kAttr, "run_name", false}}),
            (Names{"alpha", "gamma", "delta", "beta"}));
}

TEST_P(SearchRunsTest, PagesByOffsetAndLoadsRunData) {
  RunQuery query;
  query.experiment_ids = {experiment_};
  query.max_results = 3;
  RunPage first = store_->SearchRuns(query).value();
  ASSERT_EQ(first.runs.size(), 3u);
  ASSERT_TRUE(first.next_offset.has_value());
  EXPECT_EQ(*first.next_offset, 3);
  query.offset = 3;
  RunPage second = store_->SearchRuns(query).value();
  ASSERT_EQ(second.runs.size(), 1u);
  EXPECT_FALSE(second.next_offset.has_value());
  const store::Run& alpha = second.runs[0];
  EXPECT_EQ(alpha.info.run_name, "alpha");
  EXPECT_EQ(alpha.info.status, RunStatus::kFinished);
  EXPECT_EQ(alpha.metrics.size(), 2u);
  EXPECT_EQ(alpha.params.size(), 2u);
  EXPECT_EQ(alpha.tags.size(), 3u);
  ASSERT_EQ(alpha.inputs.size(), 1u);
  EXPECT_EQ(alpha.inputs[0].dataset.name, "train");
  EXPECT_EQ(alpha.inputs[0].tags.size(), 1u);
  const store::Run& beta = first.runs[2];
  EXPECT_EQ(beta.info.run_name, "beta");
  for (const Metric& m : beta.metrics) {
    if (m.key == "loss") {
      EXPECT_TRUE(std::isnan(m.value));
    }
  }
  query.offset = 10;
  EXPECT_TRUE(store_->SearchRuns(query).value().runs.empty());
}

TEST_P(SearchRunsTest, PagesOneRunAtATimeAcrossValueNanAndMissingRuns) {
  for (bool ascending : {true, false}) {
    Names all;
    RunQuery query;
    query.experiment_ids = {experiment_};
    query.order_by = {{kMetric, "loss", ascending}};
    query.max_results = 1;
    for (int guard = 0; guard < 10; ++guard) {
      RunPage page = store_->SearchRuns(query).value();
      for (const store::Run& run : page.runs) all.push_back(run.info.run_name);
      if (!page.next_offset.has_value()) break;
      query.offset = *page.next_offset;
    }
    EXPECT_EQ(all, (Names{"alpha", "beta", "delta", "gamma"}));
    query.offset = 2;
    query.max_results = 5;
    EXPECT_EQ(store_->SearchRuns(query).value().runs.size(), 2u);
    query.offset = 1;
    query.max_results = 2;
    RunPage middle = store_->SearchRuns(query).value();
    ASSERT_EQ(middle.runs.size(), 2u);
    EXPECT_EQ(middle.runs[0].info.run_name, "beta");
    EXPECT_EQ(middle.runs[1].info.run_name, "delta");
    EXPECT_EQ(middle.next_offset, 3);
  }
}

TEST_P(SearchRunsTest, ViewTypesAndExperimentLists) {
  EXPECT_EQ(Search(std::nullopt, {}, ViewType::kDeletedOnly), (Names{"epsilon"}));
  EXPECT_EQ(Search(std::nullopt, {}, ViewType::kAll).size(), 5u);
  MakeRun(*store_, "0", 50, "in-default");
  RunQuery query;
  query.experiment_ids = {"0", experiment_, "bogus", "999"};
  EXPECT_EQ(store_->SearchRuns(query).value().runs.size(), 5u);
  query.experiment_ids = {"999"};
  EXPECT_TRUE(store_->SearchRuns(query).value().runs.empty());
  query.experiment_ids = {};
  EXPECT_TRUE(store_->SearchRuns(query).value().runs.empty());
}

TEST_P(SearchRunsTest, RejectsMistypedClausesAndOrderKeys) {
  using C = Comparator;
  auto code = [&](std::optional<FilterExpr> filter, std::vector<OrderBy> order = {}) {
    return Page(std::move(filter), std::move(order)).status().code();
  };
  const auto kInvalid = StatusCode::kInvalidArgument;
  EXPECT_EQ(code(Cmp(kMetric, "acc", C::kEq, std::string("x"))), kInvalid);
  EXPECT_EQ(code(Cmp(kMetric, "acc", C::kLike, 1.0)), kInvalid);
  EXPECT_EQ(code(Cmp(kParam, "lr", C::kGt, 1.0)), kInvalid);
  EXPECT_EQ(code(Cmp(kAttr, "start_time", C::kEq, std::string("x"))), kInvalid);
  EXPECT_EQ(code(Cmp(kAttr, "bogus", C::kEq, std::string("x"))), kInvalid);
  EXPECT_EQ(code(Cmp(kData, "bogus", C::kEq, std::string("x"))), kInvalid);
  EXPECT_EQ(code(Cmp(kAttr, "run_id", C::kIn, std::string("x"))), kInvalid);
  EXPECT_EQ(code(std::nullopt, {{kData, "name", true}}), kInvalid);
  EXPECT_EQ(code(std::nullopt, {{kAttr, "bogus", true}}), kInvalid);
  RunQuery query;
  query.experiment_ids = {experiment_};
  query.max_results = 0;
  EXPECT_EQ(store_->SearchRuns(query).status().code(), kInvalid);
  query.max_results = 10;
  query.offset = -1;
  EXPECT_EQ(store_->SearchRuns(query).status().code(), kInvalid);
}

TEST_P(SearchRunsTest, UserTextNeverBecomesSql) {
  using C = Comparator;
  const std::string evil = "x' OR '1'='1";
  EXPECT_EQ(Search(ParamIs(evil, C::kEq, evil)), Names{});
  EXPECT_EQ(Search(Cmp(kAttr, "run_name", C::kEq, evil)), Names{});
  EXPECT_EQ(Ordered({{kTag, evil, true}}).size(), 4u);
}

}  // namespace
}  // namespace mlhub::store
