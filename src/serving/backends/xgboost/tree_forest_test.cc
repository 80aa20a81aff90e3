// SPDX-License-Identifier: Apache-2.0
#include "serving/backends/xgboost/tree_forest.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <xgboost/c_api.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace mlhub::serving {
namespace {

// A model in XGBoost's JSON layout with the given trees (each a JSON object of the node arrays)
// and learner settings.
std::string ModelJson(const std::vector<std::string>& trees, const std::string& tree_info,
                      const std::string& objective = "reg:squarederror",
                      const std::string& num_class = "0", const std::string& booster = "gbtree",
                      const std::string& base_score = "5E-1") {
  std::string joined;
  for (const std::string& tree : trees) joined += (joined.empty() ? "" : ",") + tree;
  return fmt::format(
      R"({{"learner": {{"attributes": {{}}, "feature_names": [], "feature_types": [],
      "gradient_booster": {{"name": "{}", "model": {{"gbtree_model_param": {{"num_trees": "{}"}},
      "tree_info": [{}], "trees": [{}]}}}},
      "learner_model_param": {{"base_score": "{}", "num_class": "{}", "num_feature": "2",
      "num_target": "1"}}, "objective": {{"name": "{}"}}}}, "version": [1, 7, 4]}})",
      booster, trees.size(), tree_info, joined, base_score, num_class, objective);
}

// Root: feature 0 < 0.5 (missing: left) -> leaf 1; else feature 1 < 2 (missing: right) ->
// leaves 2 / 3. The left side is shallower than the right.
constexpr const char* kUnevenTree = R"({"left_children": [1, -1, 3, -1, -1],
    "right_children": [2, -1, 4, -1, -1], "split_indices": [0, 0, 1, 0, 0],
    "split_conditions": [0.5, 1.0, 2.0, 2.0, 3.0], "default_left": [1, 0, 0, 0, 0],
    "split_type": [0, 0, 0, 0, 0]})";
// A single leaf of value 0.25.
constexpr const char* kLeafTree = R"({"left_children": [-1], "right_children": [-1],
    "split_indices": [0], "split_conditions": [0.25], "default_left": [0], "split_type": [0]})";

std::vector<float> Predict(const TreeForest& forest, const std::vector<float>& rows) {
  std::vector<float> out(rows.size() / forest.num_features() * forest.num_outputs());
  forest.Predict(rows.data(), rows.size() / forest.num_features(), out.data());
  return out;
}

TEST(TreeForestTest, FollowsSplitsThresholdsAndMissingDefaults) {
  auto forest = TreeForest::FromXgboostJson(ModelJson({kUnevenTree}, "0"));
  ASSERT_TRUE(forest.ok()) << forest.status().message();
  EXPECT_EQ(forest->depth(), 2);
  const float nan = std::nanf("");
  std::vector<float> rows = {
      0.4f,      9.0f,      // left at the root: leaf 1
      0.5f,      1.9f,      // equal to the threshold goes right, then left: leaf 2
      0.6f,      2.0f,      // right, right: leaf 3
      nan,       0.0f,      // missing at the root: default left
      0.7f,      nan,       // missing at the second split: default right
      -INFINITY, INFINITY,  // infinities are values, not missing
  };
  EXPECT_EQ(Predict(*forest, rows), (std::vector<float>{1.5f, 2.5f, 3.5f, 1.5f, 3.5f, 1.5f}));
}

TEST(TreeForestTest, ComparesSignedZerosDenormalsAndInfinitiesAsFloats) {
  // Feature 0 < 0 goes left (leaf 1), else right (leaf 2).
  const std::string zero_split = R"({"left_children": [1, -1, -1], "right_children": [2, -1, -1],
      "split_indices": [0, 0, 0], "split_conditions": [0.0, 1.0, 2.0], "default_left": [1, 0, 0],
      "split_type": [0, 0, 0]})";
  auto forest = TreeForest::FromXgboostJson(
      ModelJson({zero_split}, "0", "reg:squarederror", "0", "gbtree", "0"));
  ASSERT_TRUE(forest.ok()) << forest.status().message();
  const float tiny = std::numeric_limits<float>::denorm_min();
  std::vector<float> rows = {-0.0f, 0, 0.0f, 0, -tiny, 0, tiny, 0, -INFINITY, 0, INFINITY, 0};
  EXPECT_EQ(Predict(*forest, rows), (std::vector<float>{2, 2, 1, 2, 1, 2}));
}

TEST(TreeForestTest, ManyRowsGiveWhatEachRowGivesAlone) {
  auto forest =
      TreeForest::FromXgboostJson(ModelJson({kUnevenTree, kLeafTree, kUnevenTree}, "0, 0, 0"));
  ASSERT_TRUE(forest.ok()) << forest.status().message();
  std::vector<float> rows = forest->ProbeRows(203);  // blocks of rows plus a remainder
  std::vector<float> together = Predict(*forest, rows);
  for (size_t r = 0; r < 203; ++r) {
    std::vector<float> one(rows.begin() + 2 * r, rows.begin() + 2 * r + 2);
    EXPECT_EQ(Predict(*forest, one)[0], together[r]) << "row " << r;
  }
}

TEST(TreeForestTest, AppliesTheObjectivesTransform) {
  auto logistic = TreeForest::FromXgboostJson(ModelJson({kLeafTree}, "0", "binary:logistic"));
  ASSERT_TRUE(logistic.ok()) << logistic.status().message();
  // Base score 0.5 is margin 0; one leaf of 0.25.
  EXPECT_FLOAT_EQ(Predict(*logistic, {0, 0})[0], 1.0f / (1.0f + std::exp(-0.25f)));

  auto poisson = TreeForest::FromXgboostJson(ModelJson({kLeafTree}, "0", "count:poisson"));
  ASSERT_TRUE(poisson.ok()) << poisson.status().message();
  EXPECT_FLOAT_EQ(Predict(*poisson, {0, 0})[0], std::exp(std::log(0.5f) + 0.25f));

  auto softprob = TreeForest::FromXgboostJson(
      ModelJson({kLeafTree, kUnevenTree, kLeafTree}, "0, 1, 2", "multi:softprob", "3"));
  ASSERT_TRUE(softprob.ok()) << softprob.status().message();
  EXPECT_EQ(softprob->num_outputs(), 3u);
  std::vector<float> p = Predict(*softprob, {0.6f, 2.0f});  // margins 0.75, 3.5, 0.75
  const double e1 = std::exp(0.75 - 3.5), e2 = 1.0;
  EXPECT_NEAR(p[0], e1 / (2 * e1 + e2), 1e-6);
  EXPECT_NEAR(p[1], e2 / (2 * e1 + e2), 1e-6);
  EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-6);
}

// The same model with 5,000 features: more than a thread's feature-major chunk may hold.
std::string Wide(std::string json) {
  const std::string narrow = R"("num_feature": "2")";
  return json.replace(json.find(narrow), narrow.size(), R"("num_feature": "5000")");
}

TEST(TreeForestTest, RefusesWhatItDoesNotCover) {
  const std::string categorical = R"({"left_children": [1, -1, -1], "right_children": [2, -1, -1],
      "split_indices": [0, 0, 0], "split_conditions": [0, 1, 2], "default_left": [0, 0, 0],
      "split_type": [1, 0, 0]})";
  for (const std::string& json : {
           ModelJson({kLeafTree}, "0", "reg:squarederror", "0", "dart"),
           ModelJson({kLeafTree}, "0", "reg:squarederror", "0", "gblinear"),
           ModelJson({categorical}, "0"),
           ModelJson({kLeafTree}, "0", "rank:pairwise"),
           ModelJson({kLeafTree}, "0", "multi:softmax", "3"),
           Wide(ModelJson({kLeafTree}, "0")),
       }) {
    auto forest = TreeForest::FromXgboostJson(json);
    ASSERT_FALSE(forest.ok());
    EXPECT_EQ(forest.status().code(), StatusCode::kUnimplemented) << forest.status().message();
  }
}

TEST(TreeForestTest, RejectsBrokenModels) {
  const std::string child_out_of_range = R"({"left_children": [1, -1], "right_children": [7, -1],
      "split_indices": [0, 0], "split_conditions": [0, 1], "default_left": [0, 0],
      "split_type": [0, 0]})";
  const std::string feature_out_of_range = R"({"left_children": [1, -1, -1],
      "right_children": [2, -1, -1], "split_indices": [5, 0, 0], "split_conditions": [0, 1, 2],
      "default_left": [0, 0, 0], "split_type": [0, 0, 0]})";
  const std::string self_loop = R"({"left_children": [0], "right_children": [0],
      "split_indices": [0], "split_conditions": [0], "default_left": [0], "split_type": [0]})";
  for (const std::string& json : {
           ModelJson({child_out_of_range}, "0"),
           ModelJson({feature_out_of_range}, "0"),
           ModelJson({kLeafTree}, "3"),     // tree_info names a group that does not exist
           ModelJson({kLeafTree}, "0, 0"),  // tree_info longer than the trees
           std::string("{\"learner\": 1}"),
           std::string("not json"),
       }) {
    EXPECT_FALSE(TreeForest::FromXgboostJson(json).ok()) << json;
  }
  // A loop is caught by the depth limit: refused, never walked.
  EXPECT_FALSE(TreeForest::FromXgboostJson(ModelJson({self_loop}, "0")).ok());
}

// Boosters trained here with XGBoost's C API, on data with missing values: the forest must give
// exactly XGBoost's own predictions.
struct Trained {
  std::string objective;
  int depth;
  int rounds;
  int num_class;
};

class TreeForestAgreesWithXgboost : public testing::TestWithParam<Trained> {};

TEST_P(TreeForestAgreesWithXgboost, OnRowsWithMissingValues) {
  const Trained& param = GetParam();
  constexpr int kRows = 600, kFeatures = 7;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  std::vector<float> x(kRows * kFeatures), y(kRows);
  for (int r = 0; r < kRows; ++r) {
    for (int f = 0; f < kFeatures; ++f)
      x[r * kFeatures + f] = (rng() % 9 == 0) ? std::nanf("") : normal(rng);
    float v0 = std::isnan(x[r * kFeatures]) ? 0 : x[r * kFeatures];
    float v1 = std::isnan(x[r * kFeatures + 1]) ? 0 : x[r * kFeatures + 1];
    float target = v0 * 2 - v1;
    if (param.num_class > 0) {
      y[r] = static_cast<float>(static_cast<int>(std::fabs(target) * 2) % param.num_class);
    } else if (param.objective == "binary:logistic" || param.objective == "binary:logitraw") {
      y[r] = target > 0 ? 1 : 0;
    } else {
      y[r] = std::fabs(target) + 0.1f;  // positive, for poisson and gamma
    }
  }
  DMatrixHandle train = nullptr;
  ASSERT_EQ(XGDMatrixCreateFromMat(x.data(), kRows, kFeatures, std::nanf(""), &train), 0);
  ASSERT_EQ(XGDMatrixSetFloatInfo(train, "label", y.data(), kRows), 0);
  BoosterHandle booster = nullptr;
  ASSERT_EQ(XGBoosterCreate(&train, 1, &booster), 0);
  XGBoosterSetParam(booster, "objective", param.objective.c_str());
  XGBoosterSetParam(booster, "max_depth", std::to_string(param.depth).c_str());
  XGBoosterSetParam(booster, "nthread", "1");
  XGBoosterSetParam(booster, "seed", "3");
  if (param.num_class > 0)
    XGBoosterSetParam(booster, "num_class", std::to_string(param.num_class).c_str());
  for (int i = 0; i < param.rounds; ++i) ASSERT_EQ(XGBoosterUpdateOneIter(booster, i, train), 0);

  bst_ulong length = 0;
  const char* text = nullptr;
  ASSERT_EQ(XGBoosterSaveModelToBuffer(booster, R"({"format": "json"})", &length, &text), 0);
  auto forest = TreeForest::FromXgboostJson(std::string_view(text, length));
  ASSERT_TRUE(forest.ok()) << forest.status().message();

  // Rows of their own, with missing values, plus the forest's probes; one batch, then one at a
  // time (the two walking orders).
  std::vector<float> rows = forest->ProbeRows(100);
  rows.insert(rows.end(), x.begin(), x.begin() + 77 * kFeatures);
  const size_t n = rows.size() / kFeatures;
  DMatrixHandle test = nullptr;
  ASSERT_EQ(XGDMatrixCreateFromMat(rows.data(), n, kFeatures, std::nanf(""), &test), 0);
  bst_ulong out_length = 0;
  const float* expected = nullptr;
  ASSERT_EQ(XGBoosterPredict(booster, test, 0, 0, 0, &out_length, &expected), 0);
  ASSERT_EQ(out_length, n * forest->num_outputs());
  std::vector<float> want(expected, expected + out_length);
  std::vector<float> got = Predict(*forest, rows);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-6 * std::fabs(want[i])) << "value " << i;
  }
  std::vector<float> first(rows.begin(), rows.begin() + kFeatures);
  EXPECT_NEAR(Predict(*forest, first)[0], want[0], 1e-6 * std::fabs(want[0]));
  XGDMatrixFree(test);
  XGBoosterFree(booster);
  XGDMatrixFree(train);
}

INSTANTIATE_TEST_SUITE_P(
    Objectives, TreeForestAgreesWithXgboost,
    testing::Values(Trained{"reg:squarederror", 6, 30, 0}, Trained{"reg:squarederror", 1, 5, 0},
                    Trained{"reg:squarederror", 10, 8, 0}, Trained{"binary:logistic", 4, 20, 0},
                    Trained{"binary:logitraw", 3, 10, 0}, Trained{"count:poisson", 5, 10, 0},
                    Trained{"reg:gamma", 3, 10, 0}, Trained{"reg:tweedie", 3, 10, 0},
                    Trained{"multi:softprob", 4, 10, 3}));

}  // namespace
}  // namespace mlhub::serving
