// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "store/store_test_util.h"

namespace mlhub::store {
namespace {

using ExperimentsTest = MemoryStoreTest;

std::string Create(TrackingStore& store, const std::string& name, int64_t creation_time = 100,
                   std::vector<Tag> tags = {}) {
  NewExperiment experiment;
  experiment.name = name;
  experiment.creation_time = creation_time;
  experiment.tags = std::move(tags);
  StatusOr<std::string> id = store.CreateExperiment(experiment);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : "";
}

std::vector<std::string> Names(const ExperimentPage& page) {
  std::vector<std::string> names;
  for (const Experiment& e : page.experiments) names.push_back(e.name);
  return names;
}

TEST_F(ExperimentsTest, FreshStoreHasTheDefaultExperiment) {
  StatusOr<Experiment> e = store_->GetExperiment("0");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->name, "Default");
  EXPECT_EQ(e->artifact_location, "mlflow-artifacts:/0");
  EXPECT_EQ(e->lifecycle_stage, LifecycleStage::kActive);
  EXPECT_EQ(e->creation_time, clock_.NowMillis());
}

TEST_F(ExperimentsTest, CreatesWithIdsLocationsAndTags) {
  const std::string a = Create(*store_, "a", 100, {{"k", "v"}, {"k2", "v2"}});
  EXPECT_EQ(a, "1");
  NewExperiment custom;
  custom.name = "b";
  custom.artifact_location = "s3://bucket/b";
  EXPECT_EQ(store_->CreateExperiment(custom).value(), "2");

  Experiment got = store_->GetExperiment(a).value();
  EXPECT_EQ(got.experiment_id, "1");
  EXPECT_EQ(got.artifact_location, "mlflow-artifacts:/1");
  EXPECT_EQ(got.creation_time, 100);
  EXPECT_EQ(got.last_update_time, 100);
  ASSERT_EQ(got.tags.size(), 2u);
  EXPECT_EQ(got.tags[0].key, "k");
  EXPECT_EQ(got.tags[0].value, "v");
  Experiment b = store_->GetExperimentByName("b").value();
  EXPECT_EQ(b.artifact_location, "s3://bucket/b");
  EXPECT_EQ(b.creation_time, clock_.NowMillis());  // no creation_time given
}

TEST_F(ExperimentsTest, RejectsTakenAndEmptyNamesEvenOfDeletedExperiments) {
  const std::string id = Create(*store_, "taken");
  NewExperiment again;
  again.name = "taken";
  StatusOr<std::string> dup = store_->CreateExperiment(again);
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "Experiment(name=taken) already exists.");
  ASSERT_TRUE(store_->SetExperimentLifecycle(id, LifecycleStage::kDeleted, 5).ok());
  EXPECT_EQ(store_->CreateExperiment(again).status().code(), StatusCode::kAlreadyExists);
  again.name = "";
  EXPECT_EQ(store_->CreateExperiment(again).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ExperimentsTest, UnknownExperimentsAreNotFound) {
  StatusOr<Experiment> missing = store_->GetExperiment("42");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "No Experiment with id=42 exists");
  EXPECT_EQ(store_->GetExperiment("abc").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetExperiment("").status().code(), StatusCode::kNotFound);
  StatusOr<Experiment> by_name = store_->GetExperimentByName("nope");
  EXPECT_EQ(by_name.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(by_name.status().message(), "Experiment 'nope' does not exist.");
  EXPECT_EQ(store_->RenameExperiment("42", "x", 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->SetExperimentLifecycle("42", LifecycleStage::kDeleted, 1).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->SetExperimentTag("42", {"k", "v"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteExperimentTag("42", "k").code(), StatusCode::kNotFound);
}

TEST_F(ExperimentsTest, RenameChecksNamesAndStage) {
  const std::string a = Create(*store_, "a");
  Create(*store_, "b");
  ASSERT_TRUE(store_->RenameExperiment(a, "a2", 500).ok());
  Experiment got = store_->GetExperiment(a).value();
  EXPECT_EQ(got.name, "a2");
  EXPECT_EQ(got.last_update_time, 500);
  EXPECT_TRUE(store_->RenameExperiment(a, "a2", 501).ok());  // its own name
  EXPECT_EQ(store_->RenameExperiment(a, "b", 502).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->RenameExperiment(a, "", 502).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->SetExperimentLifecycle(a, LifecycleStage::kDeleted, 503).ok());
  Status renamed = store_->RenameExperiment(a, "c", 504);
  EXPECT_EQ(renamed.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(renamed.message(), "Cannot rename a non-active experiment.");
}

TEST_F(ExperimentsTest, DeleteAndRestoreCascadeToRuns) {
  const std::string id = Create(*store_, "e");
  const std::string r1 = MakeRun(*store_, id);
  const std::string r2 = MakeRun(*store_, id);
  const std::string other = MakeRun(*store_, "0");
  ASSERT_TRUE(store_->SetExperimentLifecycle(id, LifecycleStage::kDeleted, 700).ok());
  Experiment deleted = store_->GetExperiment(id).value();
  EXPECT_EQ(deleted.lifecycle_stage, LifecycleStage::kDeleted);
  EXPECT_EQ(deleted.last_update_time, 700);
  EXPECT_EQ(store_->GetExperimentByName("e").value().lifecycle_stage, LifecycleStage::kDeleted);
  EXPECT_EQ(store_->GetRun(r1).value().info.lifecycle_stage, LifecycleStage::kDeleted);
  EXPECT_EQ(store_->GetRun(r2).value().info.lifecycle_stage, LifecycleStage::kDeleted);
  EXPECT_EQ(store_->GetRun(other).value().info.lifecycle_stage, LifecycleStage::kActive);
  // No new runs, no logging, no tags in a deleted experiment.
  NewRun run;
  run.run_id = "r3";
  run.experiment_id = id;
  StatusOr<store::Run> refused = store_->CreateRun(run);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(),
            "The experiment " + id + " must be in the 'active' state. Current state is deleted.");
  EXPECT_EQ(store_->LogBatch(r1, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->SetExperimentTag(id, {"k", "v"}).code(), StatusCode::kInvalidArgument);
  // Deleting twice / restoring an active experiment: not found among the right stage.
  EXPECT_EQ(store_->SetExperimentLifecycle(id, LifecycleStage::kDeleted, 701).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(store_->SetExperimentLifecycle(id, LifecycleStage::kActive, 800).ok());
  EXPECT_EQ(store_->GetExperiment(id).value().last_update_time, 800);
  EXPECT_EQ(store_->GetRun(r1).value().info.lifecycle_stage, LifecycleStage::kActive);
  EXPECT_EQ(store_->SetExperimentLifecycle(id, LifecycleStage::kActive, 801).code(),
            StatusCode::kNotFound);
}

TEST_F(ExperimentsTest, TagsOverwriteDeleteAndTouchTheExperiment) {
  const std::string id = Create(*store_, "t", 100);
  clock_.Set(2000);
  ASSERT_TRUE(store_->SetExperimentTag(id, {"k", "1"}).ok());
  ASSERT_TRUE(store_->SetExperimentTag(id, {"k", "2"}).ok());
  Experiment got = store_->GetExperiment(id).value();
  ASSERT_EQ(got.tags.size(), 1u);
  EXPECT_EQ(got.tags[0].value, "2");
  EXPECT_EQ(got.last_update_time, 2000);
  clock_.Set(3000);
  ASSERT_TRUE(store_->DeleteExperimentTag(id, "k").ok());
  got = store_->GetExperiment(id).value();
  EXPECT_TRUE(got.tags.empty());
  EXPECT_EQ(got.last_update_time, 3000);
  Status missing = store_->DeleteExperimentTag(id, "k");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "No tag with name: k in experiment with id " + id);
}

TEST_F(ExperimentsTest, SearchDefaultsToNewestFirstThenIdAndHonoursViewType) {
  Create(*store_, "old", 10);
  Create(*store_, "new", 30);
  const std::string gone = Create(*store_, "gone", 20);
  Create(*store_, "tie", 30);
  ASSERT_TRUE(store_->SetExperimentLifecycle(gone, LifecycleStage::kDeleted, 40).ok());
  ExperimentQuery query;
  ExperimentPage page = store_->SearchExperiments(query).value();
  // Default was created at the clock's time, the newest.
  EXPECT_EQ(Names(page), (std::vector<std::string>{"Default", "new", "tie", "old"}));
  EXPECT_FALSE(page.next_offset.has_value());
  query.view_type = ViewType::kDeletedOnly;
  EXPECT_EQ(Names(store_->SearchExperiments(query).value()), (std::vector<std::string>{"gone"}));
  query.view_type = ViewType::kAll;
  EXPECT_EQ(store_->SearchExperiments(query).value().experiments.size(), 5u);
}

TEST_F(ExperimentsTest, SearchFiltersByNameTimesAndTags) {
  Create(*store_, "alpha", 10, {{"team", "x"}});
  Create(*store_, "Alphabet", 20, {{"team", "y"}});
  Create(*store_, "beta", 30);
  auto search = [&](Comparison c) {
    ExperimentQuery query;
    query.filter = FilterExpr{FilterExpr::Kind::kComparison, std::move(c), {}};
    query.order_by = {{EntityType::kAttribute, "name", true}};
    StatusOr<ExperimentPage> page = store_->SearchExperiments(query);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? Names(*page) : std::vector<std::string>{"error"};
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(search({EntityType::kAttribute, "name", Comparator::kEq, std::string("beta")}),
            V{"beta"});
  EXPECT_EQ(search({EntityType::kAttribute, "name", Comparator::kNe, std::string("beta")}),
            (V{"Alphabet", "Default", "alpha"}));
  EXPECT_EQ(search({EntityType::kAttribute, "name", Comparator::kLike, std::string("alpha%")}),
            V{"alpha"});
  EXPECT_EQ(search({EntityType::kAttribute, "name", Comparator::kILike, std::string("alpha%")}),
            (V{"Alphabet", "alpha"}));
  EXPECT_EQ(search({EntityType::kAttribute, "creation_time", Comparator::kLe, 20.0}),
            (V{"Alphabet", "alpha"}));
  EXPECT_EQ(search({EntityType::kAttribute, "last_update_time", Comparator::kGt, 20.0}),
            (V{"Default", "beta"}));
  EXPECT_EQ(search({EntityType::kTag, "team", Comparator::kEq, std::string("x")}), V{"alpha"});
  EXPECT_EQ(search({EntityType::kTag, "team", Comparator::kNe, std::string("x")}),
            V{"Alphabet"});  // experiments without the tag never match

  ExperimentQuery bad;
  bad.filter = FilterExpr{
      FilterExpr::Kind::kComparison, {EntityType::kMetric, "m", Comparator::kGt, 1.0}, {}};
  EXPECT_EQ(store_->SearchExperiments(bad).status().code(), StatusCode::kInvalidArgument);
  bad.filter = FilterExpr{
      FilterExpr::Kind::kComparison, {EntityType::kAttribute, "name", Comparator::kGt, 1.0}, {}};
  EXPECT_EQ(store_->SearchExperiments(bad).status().code(), StatusCode::kInvalidArgument);
  bad.filter.reset();
  bad.order_by = {{EntityType::kAttribute, "bogus", true}};
  EXPECT_EQ(store_->SearchExperiments(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ExperimentsTest, SearchPagesByOffset) {
  for (int i = 0; i < 5; ++i) Create(*store_, "e" + std::to_string(i), 10 + i);
  ExperimentQuery query;
  query.max_results = 2;
  query.order_by = {{EntityType::kAttribute, "name", false}};
  std::vector<std::string> all;
  int pages = 0;
  while (true) {
    ExperimentPage page = store_->SearchExperiments(query).value();
    for (const std::string& n : Names(page)) all.push_back(n);
    ++pages;
    if (!page.next_offset.has_value()) break;
    query.offset = *page.next_offset;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(all, (std::vector<std::string>{"e4", "e3", "e2", "e1", "e0", "Default"}));
  query.max_results = 0;
  EXPECT_EQ(store_->SearchExperiments(query).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlhub::store
