// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "store/store_test_util.h"

namespace mlhub::store {
namespace {

using RunsTest = MemoryStoreTest;

std::string TagValue(const store::Run& run, const std::string& key) {
  for (const Tag& tag : run.tags) {
    if (tag.key == key) return tag.value;
  }
  return "<missing>";
}

TEST_F(RunsTest, CreateRunFillsInfoAndStoresTheNameTag) {
  NewRun request;
  request.run_id = "0123456789abcdef0123456789abcdef";
  request.experiment_id = "0";
  request.user_id = "bob";
  request.run_name = "brave-fox-1";
  request.start_time = 1234;
  request.tags = {{"a", "1"}, {kRunNameTag, "brave-fox-1"}};
  StatusOr<store::Run> created = store_->CreateRun(request);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->info.artifact_uri,
            "mlflow-artifacts:/0/0123456789abcdef0123456789abcdef/artifacts");
  store::Run got = store_->GetRun(request.run_id).value();
  EXPECT_EQ(got.info.run_id, request.run_id);
  EXPECT_EQ(got.info.run_name, "brave-fox-1");
  EXPECT_EQ(got.info.experiment_id, "0");
  EXPECT_EQ(got.info.user_id, "bob");
  EXPECT_EQ(got.info.status, RunStatus::kRunning);
  EXPECT_EQ(got.info.start_time, 1234);
  EXPECT_FALSE(got.info.end_time.has_value());
  EXPECT_EQ(got.info.artifact_uri, created->info.artifact_uri);
  EXPECT_EQ(got.info.lifecycle_stage, LifecycleStage::kActive);
  EXPECT_EQ(got.tags.size(), 2u);
  EXPECT_EQ(TagValue(got, "a"), "1");
  EXPECT_EQ(TagValue(got, kRunNameTag), "brave-fox-1");
  EXPECT_TRUE(got.metrics.empty());
  EXPECT_TRUE(got.params.empty());
  EXPECT_EQ(store_->CreateRun(request).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(RunsTest, CreateRunUsesTheExperimentsArtifactLocationAndAddsAMissingNameTag) {
  NewExperiment experiment;
  experiment.name = "custom";
  experiment.artifact_location = "s3://bucket/path/";
  const std::string id = store_->CreateExperiment(experiment).value();
  NewRun request;
  request.run_id = "r1";
  request.experiment_id = id;
  request.run_name = "named";
  ASSERT_TRUE(store_->CreateRun(request).ok());
  store::Run got = store_->GetRun("r1").value();
  EXPECT_EQ(got.info.artifact_uri, "s3://bucket/path/r1/artifacts");
  EXPECT_EQ(TagValue(got, kRunNameTag), "named");
}

TEST_F(RunsTest, CreateRunNeedsAnActiveExistingExperiment) {
  NewRun request;
  request.run_id = "r1";
  request.experiment_id = "77";
  StatusOr<store::Run> missing = store_->CreateRun(request);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "No Experiment with id=77 exists");
  request.experiment_id = "x";
  EXPECT_EQ(store_->CreateRun(request).status().code(), StatusCode::kNotFound);
}

TEST_F(RunsTest, UnknownRunsAreNotFound) {
  StatusOr<store::Run> missing = store_->GetRun("nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "Run with id=nope not found");
  RunUpdate update;
  update.run_id = "nope";
  EXPECT_EQ(store_->UpdateRun(update).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->SetRunLifecycle("nope", LifecycleStage::kDeleted).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->LogBatch("nope", {}).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteRunTag("nope", "k").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->LogInputs("nope", {}).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->AppendLoggedModel("nope", "{}").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ReadMetricHistory("nope", "m", 0, 10).status().code(), StatusCode::kNotFound);
}

TEST_F(RunsTest, UpdateRunSetsStatusEndTimeAndNameTag) {
  const std::string id = MakeRun(*store_, "0", 1000, "before");
  RunUpdate update;
  update.run_id = id;
  update.status = RunStatus::kFinished;
  update.end_time = 2000;
  update.run_name = "after";
  StatusOr<RunInfo> info = store_->UpdateRun(update);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->status, RunStatus::kFinished);
  EXPECT_EQ(info->end_time, 2000);
  EXPECT_EQ(info->run_name, "after");
  store::Run got = store_->GetRun(id).value();
  EXPECT_EQ(got.info.status, RunStatus::kFinished);
  EXPECT_EQ(got.info.end_time, 2000);
  EXPECT_EQ(got.info.run_name, "after");
  EXPECT_EQ(TagValue(got, kRunNameTag), "after");
  // Only status: the rest stays.
  RunUpdate status_only;
  status_only.run_id = id;
  status_only.status = RunStatus::kKilled;
  ASSERT_TRUE(store_->UpdateRun(status_only).ok());
  got = store_->GetRun(id).value();
  EXPECT_EQ(got.info.status, RunStatus::kKilled);
  EXPECT_EQ(got.info.end_time, 2000);
  EXPECT_EQ(got.info.run_name, "after");
  // Logging into a finished run is fine.
  RunBatch batch;
  batch.metrics = {M("m", 1)};
  EXPECT_TRUE(store_->LogBatch(id, batch).ok());
}

TEST_F(RunsTest, DeletedRunsRefuseWritesButCanBeReadAndRestored) {
  const std::string id = MakeRun(*store_);
  clock_.Set(5000);
  ASSERT_TRUE(store_->SetRunLifecycle(id, LifecycleStage::kDeleted).ok());
  EXPECT_EQ(store_->GetRun(id).value().info.lifecycle_stage, LifecycleStage::kDeleted);
  RunBatch batch;
  batch.metrics = {M("m", 1)};
  Status refused = store_->LogBatch(id, batch);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(),
            "The run " + id + " must be in the 'active' state. Current state is deleted.");
  RunUpdate update;
  update.run_id = id;
  update.status = RunStatus::kFailed;
  EXPECT_EQ(store_->UpdateRun(update).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->DeleteRunTag(id, kRunNameTag).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->LogInputs(id, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AppendLoggedModel(id, "{}").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->SetRunLifecycle(id, LifecycleStage::kDeleted).ok());  // idempotent
  ASSERT_TRUE(store_->SetRunLifecycle(id, LifecycleStage::kActive).ok());
  EXPECT_TRUE(store_->LogBatch(id, batch).ok());
}

TEST_F(RunsTest, DeleteRunTag) {
  const std::string id = MakeRun(*store_);
  RunBatch batch;
  batch.tags = {{"k", "v"}};
  ASSERT_TRUE(store_->LogBatch(id, batch).ok());
  ASSERT_TRUE(store_->DeleteRunTag(id, "k").ok());
  EXPECT_EQ(TagValue(store_->GetRun(id).value(), "k"), "<missing>");
  Status missing = store_->DeleteRunTag(id, "k");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "No tag with name: k in run with id " + id);
}

TEST_F(RunsTest, RunNameTagInABatchRenamesTheRun) {
  const std::string id = MakeRun(*store_, "0", 1000, "first");
  RunBatch batch;
  batch.tags = {{kRunNameTag, "second"}, {"other", "x"}};
  ASSERT_TRUE(store_->LogBatch(id, batch).ok());
  store::Run got = store_->GetRun(id).value();
  EXPECT_EQ(got.info.run_name, "second");
  EXPECT_EQ(TagValue(got, kRunNameTag), "second");
  // Tags overwrite.
  batch.tags = {{"other", "y"}, {"other", "z"}};
  ASSERT_TRUE(store_->LogBatch(id, batch).ok());
  EXPECT_EQ(TagValue(store_->GetRun(id).value(), "other"), "z");
}

TEST_F(RunsTest, LogInputsSharesDatasetsAndKeepsFirstTags) {
  const std::string r1 = MakeRun(*store_);
  const std::string r2 = MakeRun(*store_);
  DatasetInput input;
  input.dataset = {"train", "d1", "local", "/data/train", "{\"cols\":1}", "{}"};
  input.tags = {{"mlflow.data.context", "training"}};
  DatasetInput eval;
  eval.dataset = {"eval", "d2", "local", "/data/eval", "", ""};
  ASSERT_TRUE(store_->LogInputs(r1, {input, eval}).ok());
  DatasetInput retagged = input;
  retagged.tags = {{"mlflow.data.context", "other"}};
  ASSERT_TRUE(store_->LogInputs(r1, {retagged}).ok());  // already linked: no change
  ASSERT_TRUE(store_->LogInputs(r2, {retagged}).ok());

  store::Run got = store_->GetRun(r1).value();
  ASSERT_EQ(got.inputs.size(), 2u);
  EXPECT_EQ(got.inputs[0].dataset.name, "train");
  EXPECT_EQ(got.inputs[0].dataset.digest, "d1");
  EXPECT_EQ(got.inputs[0].dataset.source_type, "local");
  EXPECT_EQ(got.inputs[0].dataset.source, "/data/train");
  EXPECT_EQ(got.inputs[0].dataset.schema, "{\"cols\":1}");
  EXPECT_EQ(got.inputs[0].dataset.profile, "{}");
  ASSERT_EQ(got.inputs[0].tags.size(), 1u);
  EXPECT_EQ(got.inputs[0].tags[0].value, "training");
  EXPECT_EQ(got.inputs[1].dataset.name, "eval");
  EXPECT_TRUE(got.inputs[1].tags.empty());
  store::Run other = store_->GetRun(r2).value();
  ASSERT_EQ(other.inputs.size(), 1u);
  EXPECT_EQ(other.inputs[0].tags[0].value, "other");
}

TEST_F(RunsTest, AppendLoggedModelBuildsAJsonList) {
  const std::string id = MakeRun(*store_);
  ASSERT_TRUE(store_->AppendLoggedModel(id, "{\"a\": 1}").ok());
  EXPECT_EQ(TagValue(store_->GetRun(id).value(), kLogModelHistoryTag), "[{\"a\": 1}]");
  ASSERT_TRUE(store_->AppendLoggedModel(id, "{\"b\": 2}").ok());
  EXPECT_EQ(TagValue(store_->GetRun(id).value(), kLogModelHistoryTag), "[{\"a\": 1}, {\"b\": 2}]");
}

}  // namespace
}  // namespace mlhub::store
