// SPDX-License-Identifier: Apache-2.0
#include "registry/registry_service.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/store_test_util.h"

namespace mlhub::registry {
namespace {

using store::FakeClock;
using store::ModelVersion;
using store::RegisteredModel;
using store::Tag;
using Strings = std::vector<std::string>;

// The value of `result`, or a default one after recording the failure.
template <typename T>
T Ok(StatusOr<T> result) {
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? std::move(result).value() : T{};
}

void ExpectOk(const Status& status) { EXPECT_TRUE(status.ok()) << status.ToString(); }

void ExpectInvalid(const Status& status, const std::string& what) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << what << ": " << status.ToString();
}

std::vector<int64_t> Numbers(const std::vector<ModelVersion>& versions) {
  std::vector<int64_t> out;
  for (const ModelVersion& v : versions) out.push_back(v.version);
  return out;
}

CreateVersionRequest VersionOf(const std::string& name, const std::string& source,
                               const std::string& run_id = "") {
  CreateVersionRequest request;
  request.name = name;
  request.source = source;
  request.run_id = run_id;
  return request;
}

RegistrySearchRequest SearchFor(const std::string& filter, Strings order_by = {},
                                std::optional<int64_t> max_results = std::nullopt,
                                int64_t offset = 0) {
  RegistrySearchRequest request;
  request.filter = filter;
  request.order_by = std::move(order_by);
  request.max_results = max_results;
  request.offset = offset;
  return request;
}

class RegistryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreConfig config;
    config.backend_store_uri = "sqlite:///:memory:";
    config.clock = &clock_;
    StatusOr<store::Stores> stores = store::OpenStores(config);
    ASSERT_TRUE(stores.ok()) << stores.status().ToString();
    stores_ = std::move(stores).value();
    service_ = std::make_unique<RegistryService>(*stores_.registry, *stores_.tracking, clock_);
  }

  void CreateModel(const std::string& name) {
    ASSERT_TRUE(service_->CreateRegisteredModel(name, "", {}).ok());
  }

  // Creates a version of `name` from `source` (without a run); returns its number.
  int64_t AddVersion(const std::string& name, const std::string& source = "s3://bucket/model") {
    return Ok(service_->CreateModelVersion(VersionOf(name, source))).version;
  }

  Status CreateVersionFrom(const std::string& source, const std::string& run_id = "") {
    return service_->CreateModelVersion(VersionOf("m", source, run_id)).status();
  }

  // A run in a new experiment whose artifacts live at `artifact_location`; returns its id.
  std::string MakeRun(const std::string& artifact_location) {
    store::NewExperiment experiment;
    experiment.name = "exp-" + std::to_string(next_experiment_++);
    experiment.artifact_location = artifact_location;
    std::string id = Ok(stores_.tracking->CreateExperiment(experiment));
    return store::MakeRun(*stores_.tracking, id);
  }

  std::string ArtifactUri(const std::string& run_id) {
    return Ok(stores_.tracking->GetRun(run_id)).info.artifact_uri;
  }

  FakeClock clock_{1'000};
  store::Stores stores_;
  std::unique_ptr<RegistryService> service_;
  int next_experiment_ = 0;
};

// --- Validation.

TEST_F(RegistryServiceTest, RejectsEmptyModelNames) {
  StatusOr<RegisteredModel> created = service_->CreateRegisteredModel("", "", {});
  ExpectInvalid(created.status(), "create");
  EXPECT_EQ(created.status().message(), "Missing value for required parameter 'name'.");
  ExpectInvalid(service_->GetRegisteredModel("").status(), "get");
  ExpectInvalid(service_->UpdateRegisteredModel("", "d").status(), "update");
  ExpectInvalid(service_->DeleteRegisteredModel(""), "delete");
  ExpectInvalid(service_->GetLatestVersions("", {}).status(), "latest");
  ExpectInvalid(service_->SetRegisteredModelTag("", {"k", "v"}), "tag");
  ExpectInvalid(service_->GetModelVersion("", "1").status(), "get version");
  ExpectInvalid(service_->SetAlias("", "a", "1"), "alias");
  ExpectInvalid(service_->CreateModelVersion(VersionOf("", "s3://bucket/model")).status(),
                "create version");

  CreateModel("m");
  ExpectInvalid(service_->RenameRegisteredModel("", "x").status(), "rename from");
  StatusOr<RegisteredModel> renamed = service_->RenameRegisteredModel("m", "");
  ExpectInvalid(renamed.status(), "rename to");
  EXPECT_EQ(renamed.status().message(), "Missing value for required parameter 'new_name'.");
  EXPECT_TRUE(service_->GetRegisteredModel("m").ok());
}

TEST_F(RegistryServiceTest, ValidatesAliases) {
  CreateModel("m");
  AddVersion("m");
  for (const std::string& alias :
       {std::string(), std::string("latest"), std::string("LATEST"), std::string("Latest"),
        std::string("v1"), std::string("V12"), std::string("a/b"), std::string("a.b"),
        std::string("a b"), std::string(256, 'a')}) {
    ExpectInvalid(service_->SetAlias("m", alias, "1"), "set '" + alias + "'");
    ExpectInvalid(service_->GetVersionByAlias("m", alias).status(), "get '" + alias + "'");
    ExpectInvalid(service_->DeleteAlias("m", alias), "delete '" + alias + "'");
  }
  EXPECT_EQ(service_->SetAlias("m", "latest", "1").message(),
            "'latest' alias name (case insensitive) is reserved.");
  EXPECT_EQ(service_->SetAlias("m", "V12", "1").message(), "Version alias name 'V12' is reserved.");

  for (const std::string& alias : {std::string("v"), std::string("v1a"), std::string("latest2"),
                                   std::string("champion-2_x"), std::string(255, 'a')}) {
    ExpectOk(service_->SetAlias("m", alias, "1"));
    EXPECT_EQ(Ok(service_->GetVersionByAlias("m", alias)).version, 1) << alias;
  }
}

TEST_F(RegistryServiceTest, ValidatesStages) {
  CreateModel("m");
  AddVersion("m");
  for (const char* stage : {"", "Prod", "Deleted", "staging "}) {
    ExpectInvalid(service_->TransitionStage("m", "1", stage, false).status(), stage);
    ExpectInvalid(service_->GetLatestVersions("m", {stage}).status(), stage);
  }
  StatusOr<ModelVersion> bad = service_->TransitionStage("m", "1", "Prod", false);
  EXPECT_EQ(bad.status().message(),
            "Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, "
            "Archived.");
  // Archiving the others only makes sense for an active stage.
  for (const char* stage : {"None", "none", "Archived", "ARCHIVED"}) {
    ExpectInvalid(service_->TransitionStage("m", "1", stage, true).status(), stage);
  }
  EXPECT_EQ(Ok(service_->GetModelVersion("m", "1")).current_stage, "None");
}

TEST_F(RegistryServiceTest, CanonicalisesStages) {
  EXPECT_EQ(Ok(CanonicalStage("staging")), "Staging");
  EXPECT_EQ(Ok(CanonicalStage("PRODUCTION")), "Production");
  EXPECT_EQ(Ok(CanonicalStage("aRcHiVeD")), "Archived");
  EXPECT_EQ(Ok(CanonicalStage("none")), "None");

  CreateModel("m");
  AddVersion("m");
  AddVersion("m");
  EXPECT_EQ(Ok(service_->TransitionStage("m", "1", "staging", false)).current_stage, "Staging");
  EXPECT_EQ(Ok(service_->TransitionStage("m", "2", "production", true)).current_stage,
            "Production");
  EXPECT_EQ(Ok(service_->GetModelVersion("m", "1")).current_stage, "Staging");
  EXPECT_EQ(Numbers(Ok(service_->GetLatestVersions("m", {"PRODUCTION", "staging", "Staging"}))),
            (std::vector<int64_t>{2, 1}));
}

TEST_F(RegistryServiceTest, ValidatesVersionNumbers) {
  CreateModel("m");
  AddVersion("m");
  for (const char* version : {"abc", "-1", "", "1.5", "1a", " 1", "+1"}) {
    ExpectInvalid(service_->GetModelVersion("m", version).status(), version);
    ExpectInvalid(service_->UpdateModelVersion("m", version, "d").status(), version);
    ExpectInvalid(service_->TransitionStage("m", version, "Staging", false).status(), version);
    ExpectInvalid(service_->DeleteModelVersion("m", version), version);
    ExpectInvalid(service_->SetAlias("m", "a", version), version);
    ExpectInvalid(service_->SetModelVersionTag("m", version, {"k", "v"}), version);
    ExpectInvalid(service_->DeleteModelVersionTag("m", version, "k"), version);
    ExpectInvalid(service_->GetDownloadUri("m", version).status(), version);
  }
  EXPECT_EQ(service_->GetModelVersion("m", "abc").status().message(),
            "Model version must be an integer, got 'abc'");
  EXPECT_EQ(service_->GetModelVersion("m", "2").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Ok(service_->GetModelVersion("m", "1")).version, 1);
}

TEST_F(RegistryServiceTest, ValidatesTags) {
  CreateModel("m");
  AddVersion("m");
  const std::vector<Tag> bad = {{"", "v"},
                                {"a!b", "v"},
                                {"../x", "v"},
                                {std::string(251, 'k'), "v"},
                                {"k", std::string(5001, 'x')}};
  for (const Tag& tag : bad) {
    const std::string what = tag.key.substr(0, 10) + "=" + tag.value.substr(0, 10);
    ExpectInvalid(service_->CreateRegisteredModel("n", "", {tag}).status(), "create " + what);
    ExpectInvalid(service_->SetRegisteredModelTag("m", tag), "model " + what);
    ExpectInvalid(service_->SetModelVersionTag("m", "1", tag), "version " + what);
    CreateVersionRequest request = VersionOf("m", "s3://bucket/model");
    request.tags = {tag};
    ExpectInvalid(service_->CreateModelVersion(request).status(), "create version " + what);
  }
  EXPECT_EQ(service_->GetRegisteredModel("n").status().code(), StatusCode::kNotFound);
  ExpectInvalid(service_->DeleteRegisteredModelTag("m", ""), "delete model tag");
  ExpectInvalid(service_->DeleteModelVersionTag("m", "1", "a!b"), "delete version tag");

  // The limits themselves are accepted.
  ExpectOk(service_->SetRegisteredModelTag("m", {std::string(250, 'k'), std::string(5000, 'x')}));
  ExpectOk(service_->SetModelVersionTag("m", "1", {"a.b/c d-e_f", std::string(5000, 'x')}));
  EXPECT_EQ(Ok(service_->GetRegisteredModel("m")).tags.size(), 1u);
  ExpectOk(service_->DeleteRegisteredModelTag("m", std::string(250, 'k')));
  EXPECT_TRUE(Ok(service_->GetRegisteredModel("m")).tags.empty());
}

TEST_F(RegistryServiceTest, ValidatesSearchLimitsAndFilters) {
  RegistrySearchRequest request;
  for (int64_t bad : {int64_t{0}, int64_t{-1}, kMaxModelSearchResults + 1}) {
    request.max_results = bad;
    ExpectInvalid(service_->SearchRegisteredModels(request).status(), std::to_string(bad));
  }
  request.max_results = kMaxModelSearchResults;
  EXPECT_TRUE(service_->SearchRegisteredModels(request).ok());

  for (int64_t bad : {int64_t{0}, kMaxVersionSearchResults + 1}) {
    request.max_results = bad;
    ExpectInvalid(service_->SearchModelVersions(request).status(), std::to_string(bad));
  }
  request.max_results = kMaxVersionSearchResults;
  EXPECT_TRUE(service_->SearchModelVersions(request).ok());
  request.max_results = kMaxModelSearchResults + 1;  // fine for versions
  EXPECT_TRUE(service_->SearchModelVersions(request).ok());

  request.max_results.reset();
  for (const char* filter : {"name = ", "name ~ 'x'", "foo = 'x'", "name = 'a' AND", "name = a",
                             "version_number > 'x'"}) {
    request.filter = filter;
    ExpectInvalid(service_->SearchModelVersions(request).status(), filter);
  }
  for (const char* filter : {"name = ", "run_id = 'r'", "tags.k = "}) {
    request.filter = filter;
    ExpectInvalid(service_->SearchRegisteredModels(request).status(), filter);
  }
  request.filter.clear();
  request.order_by = {"nonsense ASC"};
  ExpectInvalid(service_->SearchRegisteredModels(request).status(), "order_by");
  ExpectInvalid(service_->SearchModelVersions(request).status(), "order_by");

  // Searches too big to run are the client's error too (each clause is a join or subquery).
  request.order_by.clear();
  std::string big = "name = 'm0'";
  for (int i = 1; i <= 50; ++i) big += " OR name = 'm" + std::to_string(i) + "'";
  request.filter = big;  // 51 comparisons
  ExpectInvalid(service_->SearchRegisteredModels(request).status(), "51 comparisons");
  ExpectInvalid(service_->SearchModelVersions(request).status(), "51 comparisons");
}

TEST_F(RegistryServiceTest, ValidatesSources) {
  CreateModel("m");
  StatusOr<ModelVersion> empty = service_->CreateModelVersion(VersionOf("m", ""));
  ExpectInvalid(empty.status(), "empty");
  EXPECT_EQ(empty.status().message(), "Missing value for required parameter 'source'.");

  // Local paths need the run they come from.
  for (const char* source : {"/tmp/x", "file:///x", "relative/model", "FILE:/x"}) {
    ExpectInvalid(CreateVersionFrom(source), source);
  }
  // Relative segments are refused, even percent-encoded.
  for (const char* source :
       {"s3://bucket/a/../b", "s3://bucket/..", "s3://bucket/a/%2e%2e/b", "s3://bucket/a/%2E%2E/b",
        "s3://bucket/a/%252e%252e/b", "https://host/a/..%2fb", "s3://bucket/a\\..\\b",
        "s3://bucket/a?x=1", "s3://bucket/a#frag"}) {
    ExpectInvalid(CreateVersionFrom(source), source);
  }
  for (const char* source :
       {"s3://bucket/a..b/c", "s3://bucket/...", "mlflow-artifacts:/1/x/m", "gs://bucket/model"}) {
    ExpectOk(CreateVersionFrom(source));
  }
}

TEST_F(RegistryServiceTest, AcceptsLocalSourcesOnlyInsideTheRunsArtifacts) {
  CreateModel("m");
  const std::string run = MakeRun("/data/exp");
  const std::string artifacts = ArtifactUri(run);
  ASSERT_EQ(artifacts, "/data/exp/" + run + "/artifacts");

  ExpectOk(CreateVersionFrom(artifacts + "/model", run));
  ExpectOk(CreateVersionFrom(artifacts, run));
  ExpectOk(CreateVersionFrom("file://" + artifacts + "/model", run));
  for (const std::string& source :
       {std::string("/data/other/model"), "/data/exp/" + run + "/artifactsX/model",
        artifacts + "/../../other", artifacts + "/%2e%2e/%2e%2e/other", std::string("relative"),
        std::string("/tmp/x")}) {
    ExpectInvalid(CreateVersionFrom(source, run), source);
  }
  EXPECT_EQ(CreateVersionFrom("/tmp/x", "0123456789abcdef0123456789abcdef").code(),
            StatusCode::kNotFound);

  // A run whose artifacts are a file: URI vouches for plain paths inside them, and vice versa.
  const std::string file_run = MakeRun("file:///data/fexp");
  ASSERT_EQ(ArtifactUri(file_run), "file:///data/fexp/" + file_run + "/artifacts");
  ExpectOk(CreateVersionFrom("/data/fexp/" + file_run + "/artifacts/model", file_run));
  ExpectInvalid(CreateVersionFrom("/data/exp/" + run + "/artifacts/model", file_run),
                "another run's artifacts");

  // A run whose artifacts are not local vouches for no local path; its own URI is fine.
  const std::string remote = MakeRun("s3://bucket/exp");
  ExpectInvalid(CreateVersionFrom("/bucket/exp/" + remote + "/artifacts/model", remote),
                "remote run, local path");
  ExpectOk(CreateVersionFrom(ArtifactUri(remote) + "/model", remote));
}

// --- Behaviour.

TEST_F(RegistryServiceTest, StampsTimesFromTheClock) {
  clock_.Set(1'000);
  RegisteredModel created = Ok(service_->CreateRegisteredModel("m", "d", {{"k", "v"}}));
  EXPECT_EQ(created.creation_timestamp, 1'000);
  EXPECT_EQ(created.last_updated_timestamp, 1'000);

  clock_.Set(2'000);
  ModelVersion version = Ok(service_->CreateModelVersion(VersionOf("m", "s3://b/m")));
  EXPECT_EQ(version.creation_timestamp, 2'000);
  EXPECT_EQ(version.last_updated_timestamp, 2'000);
  EXPECT_EQ(Ok(service_->GetRegisteredModel("m")).last_updated_timestamp, 2'000);

  clock_.Set(3'000);
  EXPECT_EQ(Ok(service_->TransitionStage("m", "1", "Staging", false)).last_updated_timestamp,
            3'000);
  clock_.Set(4'000);
  ModelVersion updated = Ok(service_->UpdateModelVersion("m", "1", "better"));
  EXPECT_EQ(updated.creation_timestamp, 2'000);
  EXPECT_EQ(updated.last_updated_timestamp, 4'000);
  clock_.Set(5'000);
  EXPECT_EQ(Ok(service_->UpdateRegisteredModel("m", "new")).last_updated_timestamp, 5'000);
  clock_.Set(6'000);
  RegisteredModel renamed = Ok(service_->RenameRegisteredModel("m", "n"));
  EXPECT_EQ(renamed.creation_timestamp, 1'000);
  EXPECT_EQ(renamed.last_updated_timestamp, 6'000);
  clock_.Set(7'000);
  ExpectOk(service_->DeleteModelVersion("n", "1"));
  EXPECT_EQ(Ok(service_->GetRegisteredModel("n")).last_updated_timestamp, 7'000);
}

TEST_F(RegistryServiceTest, PassesStoreErrorsThrough) {
  CreateModel("m");
  StatusOr<RegisteredModel> again = service_->CreateRegisteredModel("m", "", {});
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  StatusOr<RegisteredModel> missing = service_->GetRegisteredModel("nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "Registered Model with name=nope not found");
  EXPECT_EQ(service_->GetModelVersion("m", "3").status().message(),
            "Model Version (name=m, version=3) not found");
  EXPECT_EQ(service_->GetVersionByAlias("m", "champion").status().message(),
            "Registered model alias champion not found.");
}

TEST_F(RegistryServiceTest, SearchesWithParsedFiltersAndDefaultLimits) {
  for (int i = 0; i < kDefaultModelSearchResults + 1; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "model-%03d", i);
    CreateModel(name);
  }
  ExpectOk(service_->SetRegisteredModelTag("model-007", {"team", "ads"}));
  store::RegisteredModelPage page = Ok(service_->SearchRegisteredModels(SearchFor("")));
  ASSERT_EQ(page.models.size(), static_cast<size_t>(kDefaultModelSearchResults));
  EXPECT_EQ(page.models.front().name, "model-000");
  ASSERT_TRUE(page.next_offset.has_value());
  EXPECT_EQ(*page.next_offset, kDefaultModelSearchResults);
  page = Ok(service_->SearchRegisteredModels(SearchFor("", {}, std::nullopt, *page.next_offset)));
  ASSERT_EQ(page.models.size(), 1u);
  EXPECT_EQ(page.models[0].name, "model-100");
  EXPECT_FALSE(page.next_offset.has_value());

  page = Ok(service_->SearchRegisteredModels(SearchFor("name LIKE 'model-00%'", {"name DESC"}, 3)));
  ASSERT_EQ(page.models.size(), 3u);
  EXPECT_EQ(page.models[0].name, "model-009");
  EXPECT_EQ(page.models[2].name, "model-007");
  page = Ok(service_->SearchRegisteredModels(SearchFor("tags.team = 'ads'")));
  ASSERT_EQ(page.models.size(), 1u);
  EXPECT_EQ(page.models[0].name, "model-007");

  CreateVersionRequest request = VersionOf("model-001", "s3://b/m", "r1");
  ASSERT_TRUE(service_->CreateModelVersion(request).ok());
  request.run_id = "r2";
  ASSERT_TRUE(service_->CreateModelVersion(request).ok());
  request.run_id = "r3";
  ASSERT_TRUE(service_->CreateModelVersion(request).ok());
  store::ModelVersionPage versions =
      Ok(service_->SearchModelVersions(SearchFor("run_id IN ('r1', 'r3') AND version_number > 1")));
  EXPECT_EQ(Numbers(versions.versions), (std::vector<int64_t>{3}));
  versions =
      Ok(service_->SearchModelVersions(SearchFor("name = 'model-001'", {"version_number ASC"})));
  EXPECT_EQ(Numbers(versions.versions), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_FALSE(versions.next_offset.has_value());
}

TEST_F(RegistryServiceTest, DownloadUriIsTheSourceVerbatim) {
  CreateModel("m");
  AddVersion("m", "s3://bucket/path/to/model");
  const std::string run = MakeRun("s3://bucket/exp");
  AddVersion("m", "runs:/" + run + "/model");
  EXPECT_EQ(Ok(service_->GetDownloadUri("m", "1")), "s3://bucket/path/to/model");
  EXPECT_EQ(Ok(service_->GetDownloadUri("m", "2")), "runs:/" + run + "/model");
  EXPECT_EQ(service_->GetDownloadUri("m", "3").status().code(), StatusCode::kNotFound);
}

TEST(RegistryServiceFileTest, WorksOverAFileDatabase) {
  FakeClock clock(5'000);
  store::TempDir dir;
  StatusOr<store::Stores> stores =
      store::OpenStores(store::FileConfig(dir.File("mlhub.db"), &clock));
  ASSERT_TRUE(stores.ok()) << stores.status().ToString();
  RegistryService service(*stores->registry, *stores->tracking, clock);
  ASSERT_TRUE(service.CreateRegisteredModel("m", "", {}).ok());
  ASSERT_TRUE(service.CreateModelVersion(VersionOf("m", "s3://bucket/m/1")).ok());
  ASSERT_TRUE(service.CreateModelVersion(VersionOf("m", "s3://bucket/m/2")).ok());
  ExpectOk(service.SetAlias("m", "champion", "1"));
  ASSERT_TRUE(service.TransitionStage("m", "2", "production", false).ok());

  ResolvedModel champion = Ok(service.Resolve("models:/m@champion"));
  EXPECT_EQ(champion.version.version, 1);
  EXPECT_EQ(champion.artifact_uri, "s3://bucket/m/1");
  EXPECT_EQ(Ok(service.Resolve("models:/m/Production")).version.version, 2);
  EXPECT_EQ(Ok(service.GetRegisteredModel("m")).creation_timestamp, 5'000);
}

// --- models:/ resolution.

class ResolveTest : public RegistryServiceTest {
 protected:
  void SetUp() override {
    RegistryServiceTest::SetUp();
    CreateModel("m");
    for (int i = 1; i <= 5; ++i) AddVersion("m", "s3://bucket/m/" + std::to_string(i));
    ASSERT_TRUE(service_->TransitionStage("m", "1", "Production", false).ok());
    ASSERT_TRUE(service_->TransitionStage("m", "2", "Staging", false).ok());
    ASSERT_TRUE(service_->TransitionStage("m", "3", "Staging", false).ok());
    ASSERT_TRUE(service_->TransitionStage("m", "5", "Archived", false).ok());
    // None: 4; Staging: 2, 3; Production: 1; Archived: 5.
    ASSERT_TRUE(service_->SetAlias("m", "champion", "2").ok());
  }

  int64_t ResolvedVersion(const std::string& uri) {
    ResolvedModel resolved = Ok(service_->Resolve(uri));
    EXPECT_EQ(resolved.artifact_uri, resolved.version.source) << uri;
    return resolved.version.version;
  }
};

TEST_F(ResolveTest, ResolvesVersionsStagesLatestAndAliases) {
  EXPECT_EQ(ResolvedVersion("models:/m/4"), 4);
  ResolvedModel one = Ok(service_->Resolve("models:/m/1"));
  EXPECT_EQ(one.version.name, "m");
  EXPECT_EQ(one.version.current_stage, "Production");
  EXPECT_EQ(one.artifact_uri, "s3://bucket/m/1");

  EXPECT_EQ(ResolvedVersion("models:/m/Staging"), 3);
  EXPECT_EQ(ResolvedVersion("models:/m/staging"), 3);
  EXPECT_EQ(ResolvedVersion("models:/m/STAGING"), 3);
  EXPECT_EQ(ResolvedVersion("models:/m/production"), 1);
  EXPECT_EQ(ResolvedVersion("models:/m/None"), 4);
  EXPECT_EQ(ResolvedVersion("models:/m/Archived"), 5);
  // latest: the highest version in any stage.
  EXPECT_EQ(ResolvedVersion("models:/m/latest"), 5);
  EXPECT_EQ(ResolvedVersion("models:/m/Latest"), 5);
  EXPECT_EQ(ResolvedVersion("models:/m@champion"), 2);

  ASSERT_TRUE(service_->SetAlias("m", "champion", "4").ok());
  EXPECT_EQ(ResolvedVersion("models:/m@champion"), 4);
  ASSERT_TRUE(service_->DeleteModelVersion("m", "5").ok());
  EXPECT_EQ(ResolvedVersion("models:/m/latest"), 4);
}

TEST_F(ResolveTest, ResolvesRunsSourcesThroughTheRun) {
  const std::string run = MakeRun("s3://bucket/exp");
  const std::string artifacts = ArtifactUri(run);
  ASSERT_FALSE(artifacts.empty());
  AddVersion("m", "runs:/" + run + "/model");     // version 6
  AddVersion("m", "runs:/" + run);                // version 7
  AddVersion("m", "runs:/" + run + "/sub/dir/");  // version 8

  ResolvedModel model = Ok(service_->Resolve("models:/m/6"));
  EXPECT_EQ(model.version.source, "runs:/" + run + "/model");
  EXPECT_EQ(model.artifact_uri, artifacts + "/model");
  EXPECT_EQ(Ok(service_->Resolve("models:/m/7")).artifact_uri, artifacts);
  EXPECT_EQ(Ok(service_->Resolve("models:/m/8")).artifact_uri, artifacts + "/sub/dir");
  ASSERT_TRUE(service_->SetAlias("m", "from-run", "6").ok());
  EXPECT_EQ(Ok(service_->Resolve("models:/m@from-run")).artifact_uri, artifacts + "/model");

  AddVersion("m", "runs:/0123456789abcdef0123456789abcdef/model");  // version 9: no such run
  EXPECT_EQ(service_->Resolve("models:/m/9").status().code(), StatusCode::kNotFound);
  // A runs:/ source that is no proper runs:/ URI cannot be resolved through a run.
  AddVersion("m", "runs://profile/" + run + "/model");  // version 10
  StatusOr<ResolvedModel> improper = service_->Resolve("models:/m/10");
  EXPECT_EQ(improper.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(improper.status().message().find("Not a proper runs:/ URI"), std::string::npos);
}

TEST_F(ResolveTest, UnknownTargetsAreNotFound) {
  for (const char* uri : {"models:/nope/1", "models:/nope/Staging", "models:/nope/latest",
                          "models:/nope@champion", "models:/m/99", "models:/m@missing"}) {
    EXPECT_EQ(service_->Resolve(uri).status().code(), StatusCode::kNotFound) << uri;
  }
  CreateModel("empty");
  StatusOr<ResolvedModel> staged = service_->Resolve("models:/empty/Production");
  EXPECT_EQ(staged.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(staged.status().message(),
            "No versions of model with name 'empty' and stage 'Production' found");
  StatusOr<ResolvedModel> latest = service_->Resolve("models:/empty/latest");
  EXPECT_EQ(latest.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(latest.status().message(), "No versions of model with name 'empty' found");
  // A stage no version of m is in.
  ASSERT_TRUE(service_->TransitionStage("m", "1", "Staging", false).ok());
  EXPECT_EQ(service_->Resolve("models:/m/Production").status().code(), StatusCode::kNotFound);
}

TEST_F(ResolveTest, MalformedUrisAreInvalid) {
  for (const char* uri : {"", "m/1", "models:/m", "models:/m/", "models:/m/1/extra",
                          "models://profile/m/1", "runs:/abc/model", "models:/m/1?x=y",
                          "models:/m/Prod", "models:/m@latest", "models:/m@a.b"}) {
    ExpectInvalid(service_->Resolve(uri).status(), uri);
  }
}

}  // namespace
}  // namespace mlhub::registry
