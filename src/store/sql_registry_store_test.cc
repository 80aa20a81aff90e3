// SPDX-License-Identifier: Apache-2.0
#include "store/sql_registry_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/sql_registry_test_util.h"
#include "store/store_test_util.h"

namespace mlhub::store {
namespace {

// --- Registered models.

TEST_F(RegistryStoreTest, CreatesAndGetsAModelWithTags) {
  NewRegisteredModel model = Model("m", 123, {{"b", "2"}, {"a", "1"}});
  model.description = "my model";
  model.user_id = "alice";
  RegisteredModel created = Ok(store_->CreateRegisteredModel(model));
  EXPECT_EQ(created.name, "m");
  EXPECT_EQ(created.description, "my model");
  EXPECT_EQ(created.user_id, "alice");
  EXPECT_EQ(created.creation_timestamp, 123);
  EXPECT_EQ(created.last_updated_timestamp, 123);
  EXPECT_EQ(TagPairs(created.tags), (Strings{"a=1", "b=2"}));
  EXPECT_TRUE(created.latest_versions.empty());
  EXPECT_TRUE(created.aliases.empty());

  RegisteredModel got = Ok(store_->GetRegisteredModel("m"));
  EXPECT_EQ(got.name, "m");
  EXPECT_EQ(got.description, "my model");
  EXPECT_EQ(got.user_id, "alice");
  EXPECT_EQ(got.creation_timestamp, 123);
  EXPECT_EQ(TagPairs(got.tags), (Strings{"a=1", "b=2"}));
}

TEST_F(RegistryStoreTest, RejectsATakenName) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m")).ok());
  StatusOr<RegisteredModel> again = store_->CreateRegisteredModel(Model("m", 200));
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "Registered Model (name=m) already exists.");
  // Names are case-sensitive.
  EXPECT_TRUE(store_->CreateRegisteredModel(Model("M")).ok());
  EXPECT_EQ(Ok(store_->GetRegisteredModel("m")).creation_timestamp, 100);
}

TEST_F(RegistryStoreTest, UnknownModelsVersionsAndAliasesAreNotFound) {
  const std::string no_model = "Registered Model with name=nope not found";
  auto expect_no_model = [&](const Status& status, const char* what) {
    EXPECT_EQ(status.code(), StatusCode::kNotFound) << what;
    EXPECT_EQ(status.message(), no_model) << what;
  };
  expect_no_model(store_->GetRegisteredModel("nope").status(), "get");
  expect_no_model(store_->RenameRegisteredModel("nope", "x", 1).status(), "rename");
  expect_no_model(store_->UpdateRegisteredModel("nope", "d", 1).status(), "update");
  expect_no_model(store_->DeleteRegisteredModel("nope"), "delete");
  expect_no_model(store_->GetLatestVersions("nope", {}).status(), "latest");
  expect_no_model(store_->SetRegisteredModelTag("nope", {"k", "v"}), "set tag");
  expect_no_model(store_->DeleteRegisteredModelTag("nope", "k"), "delete tag");
  expect_no_model(store_->CreateModelVersion(Version("nope")).status(), "create version");
  expect_no_model(store_->SetAlias("nope", "a", 1), "set alias");
  expect_no_model(store_->DeleteAlias("nope", "a"), "delete alias");
  expect_no_model(store_->GetVersionByAlias("nope", "a").status(), "get alias");

  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m")).ok());
  AddVersions("m", 1);
  const std::string no_version = "Model Version (name=m, version=7) not found";
  auto expect_no_version = [&](const Status& status, const char* what) {
    EXPECT_EQ(status.code(), StatusCode::kNotFound) << what;
    EXPECT_EQ(status.message(), no_version) << what;
  };
  expect_no_version(store_->GetModelVersion("m", 7).status(), "get");
  expect_no_version(store_->UpdateModelVersion("m", 7, "d", 1).status(), "update");
  expect_no_version(store_->TransitionStage("m", 7, kStageStaging, false, 1).status(), "stage");
  expect_no_version(store_->DeleteModelVersion("m", 7, 1), "delete");
  expect_no_version(store_->SetModelVersionTag("m", 7, {"k", "v"}), "set tag");
  expect_no_version(store_->DeleteModelVersionTag("m", 7, "k"), "delete tag");
  expect_no_version(store_->SetAlias("m", "a", 7), "set alias");

  StatusOr<ModelVersion> alias = store_->GetVersionByAlias("m", "champion");
  EXPECT_EQ(alias.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(alias.status().message(), "Registered model alias champion not found.");
}

TEST_F(RegistryStoreTest, RenameMovesVersionsTagsAndAliases) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("old", 100, {{"team", "ads"}})).ok());
  AddVersions("old", 2, 110);
  Stage("old", 2, kStageProduction, 120);
  ExpectOk(store_->SetAlias("old", "champion", 2));
  ExpectOk(store_->SetModelVersionTag("old", 1, {"k", "v"}));

  RegisteredModel renamed = Ok(store_->RenameRegisteredModel("old", "new", 500));
  EXPECT_EQ(renamed.name, "new");
  EXPECT_EQ(renamed.creation_timestamp, 100);
  EXPECT_EQ(renamed.last_updated_timestamp, 500);
  EXPECT_EQ(TagPairs(renamed.tags), (Strings{"team=ads"}));
  EXPECT_EQ(AliasNames(renamed), (Strings{"champion->2"}));
  EXPECT_EQ(Ids(renamed.latest_versions), (Strings{"new/1", "new/2"}));

  EXPECT_EQ(store_->GetRegisteredModel("old").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetModelVersion("old", 1).status().code(), StatusCode::kNotFound);
  ModelVersion v1 = Ok(store_->GetModelVersion("new", 1));
  EXPECT_EQ(v1.name, "new");
  EXPECT_EQ(TagPairs(v1.tags), (Strings{"k=v"}));
  EXPECT_EQ(Ok(store_->GetVersionByAlias("new", "champion")).version, 2);
  // Numbering carries on.
  EXPECT_EQ(Ok(store_->CreateModelVersion(Version("new"))).version, 3);
  // The old name is free again.
  EXPECT_TRUE(store_->CreateRegisteredModel(Model("old")).ok());
}

TEST_F(RegistryStoreTest, RenameToATakenNameIsAlreadyExists) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("a")).ok());
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("b")).ok());
  StatusOr<RegisteredModel> renamed = store_->RenameRegisteredModel("a", "b", 200);
  EXPECT_EQ(renamed.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(renamed.status().message(), "Registered Model (name=b) already exists.");
  EXPECT_EQ(Ok(store_->GetRegisteredModel("a")).last_updated_timestamp, 100);
}

TEST_F(RegistryStoreTest, UpdateSetsTheDescriptionAndTimestamp) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m", 100)).ok());
  RegisteredModel updated = Ok(store_->UpdateRegisteredModel("m", "better", 300));
  EXPECT_EQ(updated.description, "better");
  EXPECT_EQ(updated.creation_timestamp, 100);
  EXPECT_EQ(updated.last_updated_timestamp, 300);
  EXPECT_EQ(Ok(store_->GetRegisteredModel("m")).description, "better");
  EXPECT_EQ(Ok(store_->UpdateRegisteredModel("m", "", 400)).description, "");
}

TEST_F(RegistryStoreTest, DeletingAModelDeletesItsVersionsTagsAndAliases) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m", 100, {{"k", "v"}})).ok());
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("other")).ok());
  AddVersions("m", 3);
  AddVersions("other", 1);
  ExpectOk(store_->SetAlias("m", "champion", 2));

  ExpectOk(store_->DeleteRegisteredModel("m"));
  EXPECT_EQ(store_->GetRegisteredModel("m").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetModelVersion("m", 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Ids(Ok(store_->SearchModelVersions(Query()))), (Strings{"other/1"}));
  EXPECT_EQ(store_->DeleteRegisteredModel("m").code(), StatusCode::kNotFound);

  // A model created under the name again starts afresh.
  RegisteredModel again = Ok(store_->CreateRegisteredModel(Model("m", 900)));
  EXPECT_TRUE(again.tags.empty());
  EXPECT_TRUE(again.aliases.empty());
  EXPECT_TRUE(again.latest_versions.empty());
  EXPECT_EQ(Ok(store_->CreateModelVersion(Version("m"))).version, 1);
  EXPECT_EQ(store_->GetVersionByAlias("m", "champion").status().code(), StatusCode::kNotFound);
}

// --- Model versions.

TEST_F(RegistryStoreTest, CreatesVersionsWithTheirFields) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m", 100)).ok());
  NewModelVersion version = Version("m", 250, "run1", {{"z", "1"}, {"a", "2"}});
  version.source = "runs:/run1/model";
  version.run_link = "http://link";
  version.description = "first";
  version.user_id = "bob";
  ModelVersion created = Ok(store_->CreateModelVersion(version));
  EXPECT_EQ(created.name, "m");
  EXPECT_EQ(created.version, 1);
  EXPECT_EQ(created.creation_timestamp, 250);
  EXPECT_EQ(created.last_updated_timestamp, 250);
  EXPECT_EQ(created.user_id, "bob");
  EXPECT_EQ(created.current_stage, "None");
  EXPECT_EQ(created.description, "first");
  EXPECT_EQ(created.source, "runs:/run1/model");
  EXPECT_EQ(created.run_id, "run1");
  EXPECT_EQ(created.run_link, "http://link");
  EXPECT_EQ(created.status, "READY");
  EXPECT_EQ(TagPairs(created.tags), (Strings{"a=2", "z=1"}));
  EXPECT_TRUE(created.aliases.empty());

  ModelVersion got = Ok(store_->GetModelVersion("m", 1));
  EXPECT_EQ(got.source, "runs:/run1/model");
  EXPECT_EQ(TagPairs(got.tags), (Strings{"a=2", "z=1"}));
  // Creating a version touches its model.
  EXPECT_EQ(Ok(store_->GetRegisteredModel("m")).last_updated_timestamp, 250);

  ModelVersion updated = Ok(store_->UpdateModelVersion("m", 1, "second", 400));
  EXPECT_EQ(updated.description, "second");
  EXPECT_EQ(updated.creation_timestamp, 250);
  EXPECT_EQ(updated.last_updated_timestamp, 400);
}

TEST_F(RegistryStoreTest, VersionNumbersCountPerModelAndAreNeverReused) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m")).ok());
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("other")).ok());
  EXPECT_EQ(AddVersions("m", 3), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(AddVersions("other", 1), (std::vector<int64_t>{1}));

  ExpectOk(store_->DeleteModelVersion("m", 3, 500));
  EXPECT_EQ(store_->GetModelVersion("m", 3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Ok(store_->GetRegisteredModel("m")).last_updated_timestamp, 500);
  EXPECT_EQ(AddVersions("m", 1), (std::vector<int64_t>{4}));
  ExpectOk(store_->DeleteModelVersion("m", 4, 600));
  ExpectOk(store_->DeleteModelVersion("m", 2, 600));
  EXPECT_EQ(AddVersions("m", 1), (std::vector<int64_t>{5}));
  EXPECT_EQ(Ids(Ok(store_->SearchModelVersions(
                Query(Attr("name", Comparator::kEq, "m"), {By("version_number", true)})))),
            (Strings{"m/1", "m/5"}));
  EXPECT_EQ(store_->DeleteModelVersion("m", 4, 700).code(), StatusCode::kNotFound);
}

TEST_F(RegistryStoreTest, TransitionWithoutArchivingLeavesOtherVersionsAlone) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m")).ok());
  AddVersions("m", 2);
  ModelVersion v1 = Ok(store_->TransitionStage("m", 1, kStageProduction, false, 300));
  EXPECT_EQ(v1.current_stage, "Production");
  EXPECT_EQ(v1.last_updated_timestamp, 300);
  EXPECT_EQ(Ok(store_->GetRegisteredModel("m")).last_updated_timestamp, 300);
  Stage("m", 2, kStageProduction, 400);
  EXPECT_EQ(Ok(store_->GetModelVersion("m", 1)).current_stage, "Production");
  EXPECT_EQ(Ok(store_->GetModelVersion("m", 1)).last_updated_timestamp, 300);
  EXPECT_EQ(Ok(store_->GetModelVersion("m", 2)).current_stage, "Production");
  // Back to None.
  EXPECT_EQ(Ok(store_->TransitionStage("m", 2, kStageNone, false, 500)).current_stage, "None");
}

TEST_F(RegistryStoreTest, TransitionWithArchivingArchivesTheStagesOtherVersions) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m")).ok());
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("other")).ok());
  AddVersions("m", 4);
  AddVersions("other", 1);
  Stage("m", 1, kStageProduction);
  Stage("m", 2, kStageProduction);
  Stage("m", 3, kStageStaging);
  Stage("other", 1, kStageProduction);

  ModelVersion promoted = Ok(store_->TransitionStage("m", 4, kStageProduction, true, 900));
  EXPECT_EQ(promoted.current_stage, "Production");
  for (int64_t archived : {1, 2}) {
    ModelVersion v = Ok(store_->GetModelVersion("m", archived));
    EXPECT_EQ(v.current_stage, "Archived") << archived;
    EXPECT_EQ(v.last_updated_timestamp, 900) << archived;
  }
  ModelVersion staging = Ok(store_->GetModelVersion("m", 3));
  EXPECT_EQ(staging.current_stage, "Staging");
  EXPECT_EQ(staging.last_updated_timestamp, 100);
  EXPECT_EQ(Ok(store_->GetModelVersion("other", 1)).current_stage, "Production");

  // Archiving when the version already is in the stage keeps it there.
  EXPECT_EQ(Ok(store_->TransitionStage("m", 4, kStageProduction, true, 950)).current_stage,
            "Production");
}

TEST_F(RegistryStoreTest, LatestVersionsHaveOnePerStageInStageOrder) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m")).ok());
  AddVersions("m", 6);
  Stage("m", 1, kStageProduction);
  Stage("m", 3, kStageStaging);
  Stage("m", 4, kStageArchived);
  Stage("m", 5, kStageStaging);
  // None: 2, 6; Staging: 3, 5; Production: 1; Archived: 4.

  EXPECT_EQ(Ids(Ok(store_->GetLatestVersions("m", {}))), (Strings{"m/6", "m/5", "m/1", "m/4"}));
  EXPECT_EQ(Ids(Ok(store_->GetRegisteredModel("m")).latest_versions),
            (Strings{"m/6", "m/5", "m/1", "m/4"}));
  EXPECT_EQ(Ids(Ok(store_->GetLatestVersions("m", {kStageArchived, kStageNone}))),
            (Strings{"m/4", "m/6"}));
  EXPECT_EQ(Ids(Ok(store_->GetLatestVersions("m", {kStageProduction}))), (Strings{"m/1"}));

  ExpectOk(store_->DeleteModelVersion("m", 1, 200));
  EXPECT_TRUE(Ok(store_->GetLatestVersions("m", {kStageProduction})).empty());
  EXPECT_EQ(Ids(Ok(store_->GetLatestVersions("m", {}))), (Strings{"m/6", "m/5", "m/4"}));
}

TEST_F(RegistryStoreTest, ModelWithoutVersionsHasNoLatestVersions) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m")).ok());
  EXPECT_TRUE(Ok(store_->GetLatestVersions("m", {})).empty());
  EXPECT_TRUE(Ok(store_->GetLatestVersions("m", {kStageStaging})).empty());
}

// --- Aliases.

TEST_F(RegistryStoreTest, AliasesPointAtOneVersionAndMove) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m")).ok());
  AddVersions("m", 3);
  ExpectOk(store_->SetAlias("m", "champion", 1));
  ModelVersion v1 = Ok(store_->GetVersionByAlias("m", "champion"));
  EXPECT_EQ(v1.version, 1);
  EXPECT_EQ(v1.aliases, (Strings{"champion"}));

  ExpectOk(store_->SetAlias("m", "champion", 2));
  ExpectOk(store_->SetAlias("m", "backup", 2));
  ExpectOk(store_->SetAlias("m", "canary", 3));
  EXPECT_EQ(Ok(store_->GetVersionByAlias("m", "champion")).version, 2);
  EXPECT_TRUE(Ok(store_->GetModelVersion("m", 1)).aliases.empty());
  EXPECT_EQ(Ok(store_->GetModelVersion("m", 2)).aliases, (Strings{"backup", "champion"}));
  EXPECT_EQ(AliasNames(Ok(store_->GetRegisteredModel("m"))),
            (Strings{"backup->2", "canary->3", "champion->2"}));

  ExpectOk(store_->DeleteAlias("m", "champion"));
  EXPECT_EQ(store_->GetVersionByAlias("m", "champion").status().code(), StatusCode::kNotFound);
  ExpectOk(store_->DeleteAlias("m", "champion"));  // already gone: a no-op
  ExpectOk(store_->DeleteAlias("m", "never-set"));
  EXPECT_EQ(AliasNames(Ok(store_->GetRegisteredModel("m"))), (Strings{"backup->2", "canary->3"}));
}

TEST_F(RegistryStoreTest, AliasesAreScopedToTheirModel) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("a")).ok());
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("b")).ok());
  AddVersions("a", 1);
  AddVersions("b", 2);
  ExpectOk(store_->SetAlias("a", "champion", 1));
  ExpectOk(store_->SetAlias("b", "champion", 2));
  EXPECT_EQ(Ok(store_->GetVersionByAlias("a", "champion")).name, "a");
  EXPECT_EQ(Ok(store_->GetVersionByAlias("b", "champion")).version, 2);
  ExpectOk(store_->DeleteAlias("a", "champion"));
  EXPECT_EQ(Ok(store_->GetVersionByAlias("b", "champion")).version, 2);
}

TEST_F(RegistryStoreTest, DeletingAVersionDropsItsAliases) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m")).ok());
  AddVersions("m", 2);
  ExpectOk(store_->SetAlias("m", "champion", 1));
  ExpectOk(store_->SetAlias("m", "prod", 1));
  ExpectOk(store_->SetAlias("m", "next", 2));
  ExpectOk(store_->DeleteModelVersion("m", 1, 300));
  EXPECT_EQ(store_->GetVersionByAlias("m", "champion").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetVersionByAlias("m", "prod").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(AliasNames(Ok(store_->GetRegisteredModel("m"))), (Strings{"next->2"}));
}

// --- Tags.

TEST_F(RegistryStoreTest, ModelTagsAreSetOverwrittenAndDeleted) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m", 100, {{"a", "1"}})).ok());
  ExpectOk(store_->SetRegisteredModelTag("m", {"b", "2"}));
  ExpectOk(store_->SetRegisteredModelTag("m", {"a", "changed"}));
  EXPECT_EQ(TagPairs(Ok(store_->GetRegisteredModel("m")).tags), (Strings{"a=changed", "b=2"}));
  ExpectOk(store_->DeleteRegisteredModelTag("m", "a"));
  ExpectOk(store_->DeleteRegisteredModelTag("m", "a"));  // missing: a no-op
  ExpectOk(store_->DeleteRegisteredModelTag("m", "never"));
  EXPECT_EQ(TagPairs(Ok(store_->GetRegisteredModel("m")).tags), (Strings{"b=2"}));
}

TEST_F(RegistryStoreTest, VersionTagsAreSetOverwrittenAndDeleted) {
  ASSERT_TRUE(store_->CreateRegisteredModel(Model("m")).ok());
  AddVersions("m", 2);
  ExpectOk(store_->SetModelVersionTag("m", 1, {"k", "v"}));
  ExpectOk(store_->SetModelVersionTag("m", 1, {"j", "w"}));
  ExpectOk(store_->SetModelVersionTag("m", 1, {"k", "v2"}));
  EXPECT_EQ(TagPairs(Ok(store_->GetModelVersion("m", 1)).tags), (Strings{"j=w", "k=v2"}));
  EXPECT_TRUE(Ok(store_->GetModelVersion("m", 2)).tags.empty());
  ExpectOk(store_->DeleteModelVersionTag("m", 1, "k"));
  ExpectOk(store_->DeleteModelVersionTag("m", 1, "k"));  // missing: a no-op
  EXPECT_EQ(TagPairs(Ok(store_->GetModelVersion("m", 1)).tags), (Strings{"j=w"}));
}

// --- Searching registered models.

TEST(SqlRegistryStoreCreateTest, RefusesADatabaseWithoutTheCurrentSchema) {
  FakeClock clock;
  StatusOr<std::shared_ptr<SqlDatabase>> db = OpenSqlDatabase(MemoryConfig(&clock));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(SqlRegistryStore::Create(*db).status().code(), StatusCode::kFailedPrecondition);
}

TEST(SqlRegistryStoreFileTest, KeepsModelsAcrossReopening) {
  FakeClock clock;
  TempDir dir;
  {
    auto store = OpenRegistry(FileConfig(dir.File("registry.db"), &clock));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->CreateRegisteredModel(Model("m")).ok());
    ASSERT_TRUE(store->CreateModelVersion(Version("m")).ok());
    ExpectOk(store->SetAlias("m", "champion", 1));
  }
  auto store = OpenRegistry(FileConfig(dir.File("registry.db"), &clock));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Ok(store->GetVersionByAlias("m", "champion")).version, 1);
  EXPECT_EQ(Ok(store->CreateModelVersion(Version("m"))).version, 2);
}

TEST(SqlRegistryStoreFileTest, ConcurrentCreatorsGetDistinctConsecutiveNumbers) {
  FakeClock clock;
  TempDir dir;
  auto store = OpenRegistry(FileConfig(dir.File("concurrent.db"), &clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateRegisteredModel(Model("m")).ok());
  constexpr int kThreads = 8;
  constexpr int kVersionsEach = 25;
  std::vector<std::vector<int64_t>> numbers(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kVersionsEach; ++i) {
        StatusOr<ModelVersion> created = store->CreateModelVersion(Version("m", 100 + i));
        ASSERT_TRUE(created.ok()) << created.status().ToString();
        numbers[t].push_back(created->version);
        if (i % 10 == 0) {
          ASSERT_TRUE(store->GetRegisteredModel("m").ok());
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::set<int64_t> all;
  for (const std::vector<int64_t>& mine : numbers) {
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));  // each thread sees them increase
    all.insert(mine.begin(), mine.end());
  }
  constexpr int kTotal = kThreads * kVersionsEach;
  ASSERT_EQ(all.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kTotal);
  ModelVersionPage page = Ok(store->SearchModelVersions(Query(std::nullopt, {}, 1000)));
  EXPECT_EQ(page.versions.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(Ok(store->CreateModelVersion(Version("m"))).version, kTotal + 1);
}

}  // namespace
}  // namespace mlhub::store
