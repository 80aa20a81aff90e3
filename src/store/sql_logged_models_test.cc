// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "store/store_test_util.h"

namespace mlhub::store {
namespace {

using LoggedModelsTest = MemoryStoreTest;

LoggedModel Model(std::string id_digit, std::string name, int64_t created) {
  LoggedModel model;
  model.model_id = "m-" + std::string(32, id_digit[0]);
  model.experiment_id = "0";
  model.name = std::move(name);
  model.artifact_location = "mlflow-artifacts:/0/models/" + model.model_id + "/artifacts";
  model.creation_timestamp_ms = model.last_updated_timestamp_ms = created;
  return model;
}

FilterExpr Equals(EntityType type, std::string key, std::string value) {
  FilterExpr expr;
  expr.comparison = {type, std::move(key), Comparator::kEq, std::move(value)};
  return expr;
}

TEST_F(LoggedModelsTest, CreateGetFinalizeTagParamDelete) {
  LoggedModel model = Model("a", "model", 1000);
  model.params = {{"alpha", "0.5"}};
  model.tags = {{"mlflow.user", "bob"}};
  model.model_type = "classifier";
  ASSERT_TRUE(store_->CreateLoggedModel(model).ok());
  LoggedModel got = store_->GetLoggedModel(model.model_id).value();
  EXPECT_EQ(got.name, "model");
  EXPECT_EQ(got.experiment_id, "0");
  EXPECT_EQ(got.status, LoggedModelStatus::kPending);
  EXPECT_EQ(got.model_type, "classifier");
  ASSERT_EQ(got.params.size(), 1u);
  EXPECT_EQ(got.params[0].value, "0.5");
  ASSERT_EQ(got.tags.size(), 1u);

  LoggedModel ready =
      store_->SetLoggedModelStatus(model.model_id, LoggedModelStatus::kReady, 2000).value();
  EXPECT_EQ(ready.status, LoggedModelStatus::kReady);
  EXPECT_EQ(ready.last_updated_timestamp_ms, 2000);

  ASSERT_TRUE(
      store_->SetLoggedModelTags(model.model_id, {{"k", "v"}, {"mlflow.user", "al"}}, 3000).ok());
  EXPECT_EQ(store_->GetLoggedModel(model.model_id)->tags.size(), 2u);
  ASSERT_TRUE(store_->DeleteLoggedModelTag(model.model_id, "k", 3001).ok());
  EXPECT_EQ(store_->DeleteLoggedModelTag(model.model_id, "k", 3002).code(), StatusCode::kNotFound);

  EXPECT_TRUE(store_->LogLoggedModelParams(model.model_id, {{"alpha", "0.5"}, {"b", "1"}}, 4000)
                  .ok());  // the same value again is fine
  EXPECT_EQ(store_->LogLoggedModelParams(model.model_id, {{"alpha", "0.7"}}, 4001).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetLoggedModel(model.model_id)->params.size(), 2u);  // nothing half-written

  ASSERT_TRUE(store_->DeleteLoggedModel(model.model_id).ok());
  EXPECT_EQ(store_->GetLoggedModel(model.model_id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteLoggedModel(model.model_id).code(), StatusCode::kNotFound);
  EXPECT_EQ(
      store_->SetLoggedModelStatus(model.model_id, LoggedModelStatus::kReady, 1).status().code(),
      StatusCode::kNotFound);
}

TEST_F(LoggedModelsTest, MetricsArePointsKeptOnce) {
  LoggedModel model = Model("d", "m", 1);
  ASSERT_TRUE(store_->CreateLoggedModel(model).ok());
  ModelMetric acc{model.model_id, "0123456789abcdef0123456789abcdef", {"acc", 0.5, 10, 0}, "", ""};
  ModelMetric nan = acc;
  nan.metric = {"loss", std::numeric_limits<double>::quiet_NaN(), 11, 1};
  nan.dataset_name = "eval";
  ASSERT_TRUE(store_->LogLoggedModelMetrics({acc, nan}).ok());
  ASSERT_TRUE(store_->LogLoggedModelMetrics({acc, nan}).ok());  // the same points again
  ModelMetric later = acc;
  later.metric.step = 1;
  ASSERT_TRUE(store_->LogLoggedModelMetrics({later}).ok());
  std::vector<ModelMetric> got = store_->GetLoggedModel(model.model_id)->metrics;
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].metric.key, "acc");
  EXPECT_TRUE(std::isnan(got[1].metric.value));
  EXPECT_EQ(got[1].dataset_name, "eval");
  EXPECT_EQ(got[2].metric.step, 1);
  ModelMetric unknown = acc;
  unknown.model_id = "m-" + std::string(32, 'e');
  EXPECT_EQ(store_->LogLoggedModelMetrics({later, unknown}).code(), StatusCode::kNotFound);
  FilterExpr filter;
  filter.comparison = {EntityType::kMetric, "acc", Comparator::kGt, 0.4};
  LoggedModelQuery query;
  query.experiment_ids = {"0"};
  query.filter = filter;
  EXPECT_EQ(store_->SearchLoggedModels(query)->models.size(), 1u);
  query.filter->comparison.value = 0.6;
  EXPECT_TRUE(store_->SearchLoggedModels(query)->models.empty());
}

TEST_F(LoggedModelsTest, NeedsAnActiveExperiment) {
  LoggedModel model = Model("b", "m", 1);
  model.experiment_id = "12345";
  EXPECT_EQ(store_->CreateLoggedModel(model).code(), StatusCode::kNotFound);
  NewExperiment experiment;
  experiment.name = "gone";
  const std::string id = store_->CreateExperiment(experiment).value();
  ASSERT_TRUE(store_->SetExperimentLifecycle(id, LifecycleStage::kDeleted, 5).ok());
  model.experiment_id = id;
  EXPECT_EQ(store_->CreateLoggedModel(model).code(), StatusCode::kInvalidArgument);
}

TEST_F(LoggedModelsTest, SearchFiltersOrdersAndPages) {
  for (int i = 0; i < 5; ++i) {
    LoggedModel model =
        Model(std::string(1, static_cast<char>('1' + i)), i % 2 ? "odd" : "even", 100 + i);
    model.tags = {{"i", std::to_string(i)}};
    ASSERT_TRUE(store_->CreateLoggedModel(model).ok());
  }
  LoggedModelQuery query;
  query.experiment_ids = {"0"};
  LoggedModelPage all = store_->SearchLoggedModels(query).value();
  ASSERT_EQ(all.models.size(), 5u);
  EXPECT_EQ(all.models[0].creation_timestamp_ms, 104);  // newest first
  EXPECT_FALSE(all.next_offset.has_value());

  query.filter = Equals(EntityType::kAttribute, "name", "even");
  LoggedModelPage even = store_->SearchLoggedModels(query).value();
  ASSERT_EQ(even.models.size(), 3u);
  for (const LoggedModel& model : even.models) EXPECT_EQ(model.name, "even");

  query.filter = Equals(EntityType::kTag, "i", "3");
  ASSERT_EQ(store_->SearchLoggedModels(query)->models.size(), 1u);
  query.filter = Equals(EntityType::kParam, "i", "3");  // no such param
  EXPECT_TRUE(store_->SearchLoggedModels(query)->models.empty());

  query.filter.reset();
  query.order_by = {{{EntityType::kAttribute, "creation_timestamp", true}, {}}};
  query.max_results = 2;
  LoggedModelPage first = store_->SearchLoggedModels(query).value();
  ASSERT_EQ(first.models.size(), 2u);
  EXPECT_EQ(first.models[0].creation_timestamp_ms, 100);
  ASSERT_TRUE(first.next_offset.has_value());
  query.offset = *first.next_offset;
  EXPECT_EQ(store_->SearchLoggedModels(query)->models[0].creation_timestamp_ms, 102);

  query.experiment_ids = {"999", "nonsense"};
  query.offset = 0;
  EXPECT_TRUE(store_->SearchLoggedModels(query)->models.empty());
}

TEST_F(LoggedModelsTest, RunOutputsNameExistingModels) {
  NewRun run;
  run.run_id = "0123456789abcdef0123456789abcdef";
  run.experiment_id = "0";
  run.run_name = "r";
  run.tags = {{kRunNameTag, "r"}};
  ASSERT_TRUE(store_->CreateRun(run).ok());
  LoggedModel model = Model("c", "model", 10);
  model.source_run_id = run.run_id;
  ASSERT_TRUE(store_->CreateLoggedModel(model).ok());
  ASSERT_TRUE(store_->LogRunOutputs(run.run_id, {{model.model_id, 0}}).ok());
  ASSERT_TRUE(store_->LogRunOutputs(run.run_id, {{model.model_id, 3}}).ok());  // step updated
  store::Run got = store_->GetRun(run.run_id).value();
  ASSERT_EQ(got.model_outputs.size(), 1u);
  EXPECT_EQ(got.model_outputs[0].model_id, model.model_id);
  EXPECT_EQ(got.model_outputs[0].step, 3);
  EXPECT_EQ(store_->LogRunOutputs(run.run_id, {{"m-" + std::string(32, 'f'), 0}}).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(store_->LogRunModelInputs(run.run_id, {model.model_id}).ok());
  ASSERT_TRUE(store_->LogRunModelInputs(run.run_id, {model.model_id}).ok());  // again: no-op
  EXPECT_EQ(store_->GetRun(run.run_id)->model_inputs, std::vector<std::string>{model.model_id});
  EXPECT_EQ(store_->LogRunModelInputs(run.run_id, {"m-" + std::string(32, 'f')}).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(store_->DeleteLoggedModel(model.model_id).ok());
  EXPECT_TRUE(store_->GetRun(run.run_id)->model_outputs.empty());
  EXPECT_TRUE(store_->GetRun(run.run_id)->model_inputs.empty());
}

}  // namespace
}  // namespace mlhub::store
