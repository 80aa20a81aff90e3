// SPDX-License-Identifier: Apache-2.0
#include "store/sql_registry_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/store_test_util.h"

namespace mlhub::store {
namespace {

// The value of `result`, or a default one after recording the failure.
template <typename T>
T Ok(StatusOr<T> result) {
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? std::move(result).value() : T{};
}

void ExpectOk(const Status& status) { EXPECT_TRUE(status.ok()) << status.ToString(); }

std::unique_ptr<RegistryStore> OpenRegistry(const StoreConfig& config) {
  StatusOr<Stores> stores = OpenStores(config);
  if (!stores.ok()) {
    ADD_FAILURE() << stores.status().ToString();
    return nullptr;
  }
  return std::move(stores->registry);
}

NewRegisteredModel Model(const std::string& name, int64_t now = 100, std::vector<Tag> tags = {}) {
  NewRegisteredModel model;
  model.name = name;
  model.now = now;
  model.tags = std::move(tags);
  return model;
}

NewModelVersion Version(const std::string& name, int64_t now = 100, const std::string& run_id = "",
                        std::vector<Tag> tags = {}) {
  NewModelVersion version;
  version.name = name;
  version.source = "s3://bucket/" + name;
  version.run_id = run_id;
  version.now = now;
  version.tags = std::move(tags);
  return version;
}

// --- Hand-built filters and orders (what tracking's parser produces).
FilterExpr Where(EntityType type, const std::string& key, Comparator op,
                 std::variant<double, std::string, std::vector<std::string>> value) {
  FilterExpr expr;
  expr.comparison.type = type;
  expr.comparison.key = key;
  expr.comparison.op = op;
  expr.comparison.value = std::move(value);
  return expr;
}

FilterExpr Attr(const std::string& key, Comparator op,
                std::variant<double, std::string, std::vector<std::string>> value) {
  return Where(EntityType::kAttribute, key, op, std::move(value));
}

FilterExpr TagIs(const std::string& key, const std::string& value) {
  return Where(EntityType::kTag, key, Comparator::kEq, value);
}

FilterExpr And(std::vector<FilterExpr> children) {
  FilterExpr expr;
  expr.kind = FilterExpr::Kind::kAnd;
  expr.children = std::move(children);
  return expr;
}

OrderBy By(const std::string& key, bool ascending) {
  OrderBy order;
  order.key = key;
  order.ascending = ascending;
  return order;
}

RegistryQuery Query(std::optional<FilterExpr> filter = std::nullopt,
                    std::vector<OrderBy> order_by = {}, int64_t max_results = 100,
                    int64_t offset = 0) {
  RegistryQuery query;
  query.filter = std::move(filter);
  query.order_by = std::move(order_by);
  query.max_results = max_results;
  query.offset = offset;
  return query;
}

std::vector<std::string> Names(const RegisteredModelPage& page) {
  std::vector<std::string> names;
  for (const RegisteredModel& m : page.models) names.push_back(m.name);
  return names;
}

// "name/version" of each version, in order.
std::vector<std::string> Ids(const std::vector<ModelVersion>& versions) {
  std::vector<std::string> ids;
  for (const ModelVersion& v : versions) ids.push_back(v.name + "/" + std::to_string(v.version));
  return ids;
}

std::vector<std::string> Ids(const ModelVersionPage& page) { return Ids(page.versions); }

std::vector<std::string> AliasNames(const RegisteredModel& model) {
  std::vector<std::string> out;
  for (const ModelAlias& a : model.aliases)
    out.push_back(a.alias + "->" + std::to_string(a.version));
  return out;
}

std::vector<std::string> TagPairs(const std::vector<Tag>& tags) {
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

class SearchModelsTest : public RegistryStoreTest {
 protected:
  void SetUp() override {
    RegistryStoreTest::SetUp();
    ASSERT_TRUE(store_->CreateRegisteredModel(Model("ads-ctr", 400, {{"team", "ads"}})).ok());
    ASSERT_TRUE(store_->CreateRegisteredModel(Model("ads-cvr", 100, {{"team", "ads"}})).ok());
    ASSERT_TRUE(store_->CreateRegisteredModel(Model("fraud", 300, {{"team", "risk"}})).ok());
    ASSERT_TRUE(store_->CreateRegisteredModel(Model("Fraud-v2", 200)).ok());
  }

  Strings Search(std::optional<FilterExpr> filter, std::vector<OrderBy> order_by = {}) {
    return Names(Ok(store_->SearchRegisteredModels(Query(std::move(filter), std::move(order_by)))));
  }
};

TEST_F(SearchModelsTest, DefaultOrderIsNameAscending) {
  // Byte order: upper case sorts before lower case.
  EXPECT_EQ(Search(std::nullopt), (Strings{"Fraud-v2", "ads-ctr", "ads-cvr", "fraud"}));
}

TEST_F(SearchModelsTest, FiltersByNameAndTags) {
  EXPECT_EQ(Search(Attr("name", Comparator::kEq, "fraud")), (Strings{"fraud"}));
  EXPECT_EQ(Search(Attr("name", Comparator::kNe, "fraud")),
            (Strings{"Fraud-v2", "ads-ctr", "ads-cvr"}));
  EXPECT_EQ(Search(Attr("name", Comparator::kLike, "ads-%")), (Strings{"ads-ctr", "ads-cvr"}));
  EXPECT_EQ(Search(Attr("name", Comparator::kLike, "ads-c_r")), (Strings{"ads-ctr", "ads-cvr"}));
  // LIKE is case-sensitive, ILIKE is not.
  EXPECT_EQ(Search(Attr("name", Comparator::kLike, "fraud%")), (Strings{"fraud"}));
  EXPECT_EQ(Search(Attr("name", Comparator::kILike, "FRAUD%")), (Strings{"Fraud-v2", "fraud"}));
  EXPECT_EQ(Search(TagIs("team", "ads")), (Strings{"ads-ctr", "ads-cvr"}));
  EXPECT_EQ(Search(TagIs("team", "nobody")), Strings{});
  EXPECT_EQ(Search(And({Attr("name", Comparator::kLike, "%cvr"), TagIs("team", "ads")})),
            (Strings{"ads-cvr"}));
  EXPECT_EQ(Search(And({Attr("name", Comparator::kLike, "%cvr"), TagIs("team", "risk")})),
            Strings{});
}

TEST_F(SearchModelsTest, OrdersByTheGivenKeys) {
  EXPECT_EQ(Search(std::nullopt, {By("creation_timestamp", true)}),
            (Strings{"ads-cvr", "Fraud-v2", "fraud", "ads-ctr"}));
  EXPECT_EQ(Search(std::nullopt, {By("name", false)}),
            (Strings{"fraud", "ads-cvr", "ads-ctr", "Fraud-v2"}));
  ASSERT_TRUE(store_->UpdateRegisteredModel("ads-cvr", "touched", 1000).ok());
  EXPECT_EQ(Search(std::nullopt, {By("last_updated_timestamp", false)}),
            (Strings{"ads-cvr", "ads-ctr", "fraud", "Fraud-v2"}));
  // Ties fall back to name ASC.
  ASSERT_TRUE(store_->UpdateRegisteredModel("fraud", "touched", 1000).ok());
  EXPECT_EQ(Search(std::nullopt, {By("last_updated_timestamp", false)}),
            (Strings{"ads-cvr", "fraud", "ads-ctr", "Fraud-v2"}));
}

TEST_F(SearchModelsTest, PagesWithNextOffset) {
  RegisteredModelPage first = Ok(store_->SearchRegisteredModels(Query(std::nullopt, {}, 3)));
  EXPECT_EQ(Names(first), (Strings{"Fraud-v2", "ads-ctr", "ads-cvr"}));
  ASSERT_TRUE(first.next_offset.has_value());
  EXPECT_EQ(*first.next_offset, 3);
  RegisteredModelPage second =
      Ok(store_->SearchRegisteredModels(Query(std::nullopt, {}, 3, *first.next_offset)));
  EXPECT_EQ(Names(second), (Strings{"fraud"}));
  EXPECT_FALSE(second.next_offset.has_value());

  // A page that ends exactly at the last model has no next page.
  RegisteredModelPage exact = Ok(store_->SearchRegisteredModels(Query(std::nullopt, {}, 2, 2)));
  EXPECT_EQ(Names(exact), (Strings{"ads-cvr", "fraud"}));
  EXPECT_FALSE(exact.next_offset.has_value());
  // Pages carry their models' extras.
  RegisteredModelPage tagged = Ok(store_->SearchRegisteredModels(Query(std::nullopt, {}, 1, 1)));
  ASSERT_EQ(tagged.models.size(), 1u);
  EXPECT_EQ(TagPairs(tagged.models[0].tags), (Strings{"team=ads"}));
  EXPECT_EQ(*tagged.next_offset, 2);
}

TEST_F(SearchModelsTest, LoadsLatestVersionsAndAliasesOfFoundModels) {
  AddVersions("fraud", 2);
  Stage("fraud", 1, kStageProduction);
  ExpectOk(store_->SetAlias("fraud", "champion", 1));
  RegisteredModelPage page =
      Ok(store_->SearchRegisteredModels(Query(Attr("name", Comparator::kEq, "fraud"))));
  ASSERT_EQ(page.models.size(), 1u);
  EXPECT_EQ(Ids(page.models[0].latest_versions), (Strings{"fraud/2", "fraud/1"}));
  EXPECT_EQ(AliasNames(page.models[0]), (Strings{"champion->1"}));
}

TEST_F(SearchModelsTest, RejectsInvalidQueries) {
  EXPECT_EQ(
      store_->SearchRegisteredModels(Query(Attr("run_id", Comparator::kEq, "x"))).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->SearchRegisteredModels(Query(std::nullopt, {By("version_number", true)}))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->SearchRegisteredModels(Query(std::nullopt, {}, 0)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->SearchRegisteredModels(Query(std::nullopt, {}, 10, -1)).status().code(),
            StatusCode::kInvalidArgument);
}

// --- Searching model versions.

class SearchVersionsTest : public RegistryStoreTest {
 protected:
  void SetUp() override {
    RegistryStoreTest::SetUp();
    ASSERT_TRUE(store_->CreateRegisteredModel(Model("a")).ok());
    ASSERT_TRUE(store_->CreateRegisteredModel(Model("b")).ok());
    // a/1, a/2 and b/1 share a timestamp; a/3 is newer; b/2 newest.
    ASSERT_TRUE(store_->CreateModelVersion(Version("a", 100, "r1", {{"k", "v"}})).ok());
    ASSERT_TRUE(store_->CreateModelVersion(Version("a", 100, "r2")).ok());
    ASSERT_TRUE(store_->CreateModelVersion(Version("b", 100, "r1", {{"k", "w"}})).ok());
    ASSERT_TRUE(store_->CreateModelVersion(Version("a", 200, "r3", {{"k", "v"}})).ok());
    ASSERT_TRUE(store_->CreateModelVersion(Version("b", 300, "r3")).ok());
  }

  Strings Search(std::optional<FilterExpr> filter, std::vector<OrderBy> order_by = {}) {
    return Ids(Ok(store_->SearchModelVersions(Query(std::move(filter), std::move(order_by)))));
  }
};

TEST_F(SearchVersionsTest, DefaultOrderIsLastUpdatedDescThenNameThenVersionDesc) {
  EXPECT_EQ(Search(std::nullopt), (Strings{"b/2", "a/3", "a/2", "a/1", "b/1"}));
  Stage("a", 1, kStageStaging, 400);  // now the most recently updated
  EXPECT_EQ(Search(std::nullopt), (Strings{"a/1", "b/2", "a/3", "a/2", "b/1"}));
}

TEST_F(SearchVersionsTest, FiltersByAttributesAndTags) {
  EXPECT_EQ(Search(Attr("name", Comparator::kEq, "b")), (Strings{"b/2", "b/1"}));
  EXPECT_EQ(Search(Attr("name", Comparator::kLike, "%")),
            (Strings{"b/2", "a/3", "a/2", "a/1", "b/1"}));
  EXPECT_EQ(Search(Attr("name", Comparator::kILike, "B")), (Strings{"b/2", "b/1"}));
  EXPECT_EQ(Search(Attr("run_id", Comparator::kIn, Strings{"r1", "r2"})),
            (Strings{"a/2", "a/1", "b/1"}));
  EXPECT_EQ(Search(Attr("run_id", Comparator::kNotIn, Strings{"r1", "r2"})),
            (Strings{"b/2", "a/3"}));
  EXPECT_EQ(Search(Attr("version_number", Comparator::kGt, 1.0)), (Strings{"b/2", "a/3", "a/2"}));
  EXPECT_EQ(Search(Attr("version_number", Comparator::kLe, 1.0)), (Strings{"a/1", "b/1"}));
  EXPECT_EQ(Search(TagIs("k", "v")), (Strings{"a/3", "a/1"}));
  EXPECT_EQ(Search(And({Attr("name", Comparator::kEq, "a"),
                        Attr("version_number", Comparator::kGt, 1.0)})),
            (Strings{"a/3", "a/2"}));
  EXPECT_EQ(Search(And({TagIs("k", "w"), Attr("run_id", Comparator::kEq, "r1")})),
            (Strings{"b/1"}));
  EXPECT_EQ(Search(Attr("source_path", Comparator::kEq, "s3://bucket/a")),
            (Strings{"a/3", "a/2", "a/1"}));
}

TEST_F(SearchVersionsTest, OrdersByTheGivenKeys) {
  // Equal numbers fall back to last_updated_timestamp DESC, then name ASC.
  EXPECT_EQ(Search(std::nullopt, {By("version_number", true)}),
            (Strings{"a/1", "b/1", "b/2", "a/2", "a/3"}));
  EXPECT_EQ(Search(std::nullopt, {By("version_number", false)}),
            (Strings{"a/3", "b/2", "a/2", "a/1", "b/1"}));
  EXPECT_EQ(Search(std::nullopt, {By("name", true), By("version_number", true)}),
            (Strings{"a/1", "a/2", "a/3", "b/1", "b/2"}));
  EXPECT_EQ(Search(std::nullopt, {By("creation_timestamp", true)}),
            (Strings{"a/2", "a/1", "b/1", "a/3", "b/2"}));
}

TEST_F(SearchVersionsTest, PagesWithNextOffset) {
  ModelVersionPage first = Ok(store_->SearchModelVersions(Query(std::nullopt, {}, 2)));
  EXPECT_EQ(Ids(first), (Strings{"b/2", "a/3"}));
  ASSERT_TRUE(first.next_offset.has_value());
  EXPECT_EQ(*first.next_offset, 2);
  ModelVersionPage second = Ok(store_->SearchModelVersions(Query(std::nullopt, {}, 2, 2)));
  EXPECT_EQ(Ids(second), (Strings{"a/2", "a/1"}));
  ASSERT_TRUE(second.next_offset.has_value());
  EXPECT_EQ(*second.next_offset, 4);
  ModelVersionPage last = Ok(store_->SearchModelVersions(Query(std::nullopt, {}, 2, 4)));
  EXPECT_EQ(Ids(last), (Strings{"b/1"}));
  EXPECT_FALSE(last.next_offset.has_value());
  // Versions in a page carry their tags and aliases.
  ExpectOk(store_->SetAlias("a", "champion", 1));
  ModelVersionPage filtered =
      Ok(store_->SearchModelVersions(Query(Attr("version_number", Comparator::kEq, 1.0), {}, 1)));
  ASSERT_EQ(filtered.versions.size(), 1u);
  EXPECT_EQ(Ids(filtered), (Strings{"a/1"}));
  EXPECT_EQ(TagPairs(filtered.versions[0].tags), (Strings{"k=v"}));
  EXPECT_EQ(filtered.versions[0].aliases, (Strings{"champion"}));
  EXPECT_EQ(*filtered.next_offset, 1);
}

TEST_F(SearchVersionsTest, RejectsInvalidQueries) {
  EXPECT_EQ(store_->SearchModelVersions(Query(Attr("version_number", Comparator::kEq, "1")))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      store_->SearchModelVersions(Query(Attr("stage", Comparator::kEq, "None"))).status().code(),
      StatusCode::kInvalidArgument);
  OrderBy tag_order = By("k", true);
  tag_order.type = EntityType::kTag;
  EXPECT_EQ(store_->SearchModelVersions(Query(std::nullopt, {tag_order})).status().code(),
            StatusCode::kInvalidArgument);
}

// --- Construction and concurrency.

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
