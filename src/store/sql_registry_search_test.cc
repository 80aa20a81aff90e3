// SPDX-License-Identifier: Apache-2.0
// SqlRegistryStore's searches: filters, MLflow's default orders and tie-breakers, pages.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/sql_registry_test_util.h"

namespace mlhub::store {
namespace {

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

}  // namespace
}  // namespace mlhub::store
