// SPDX-License-Identifier: Apache-2.0
// A compiled copy of an XGBoost tree ensemble that predicts several times faster than XGBoost's
// own CPU predictor (ADR 0006). Every tree is padded to the forest's full depth D and stored
// level by level (node i has children 2i+1 and 2i+2, a leaf that sits higher up is copied into
// every leaf below it), so a row takes exactly D steps per tree, each a compare and an index
// update without a branch, and several rows (or several trees) walk side by side.
//
// It computes what XGBoost computes, in the same order: the base margin, plus each tree's leaf in
// tree order (float32), then the objective's transform. Missing values are NaN and follow each
// split's default direction. Models it does not cover (dart, gblinear, categorical splits,
// multi-target, other objectives, very deep trees) are refused at build time; the backend then
// uses XGBoost's predictor.
//
// Threading: immutable after FromXgboostJson; Predict may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mlhub::serving {

class TreeForest {
 public:
  // Builds from the JSON form of an XGBoost 1.x model (XGBoosterSaveModelToBuffer "json").
  // Unimplemented when the model holds something the forest does not evaluate.
  static StatusOr<TreeForest> FromXgboostJson(std::string_view json);

  uint32_t num_features() const { return num_features_; }
  // Values per row: 1, or the class count for multi:softprob.
  uint32_t num_outputs() const { return num_groups_; }
  int depth() const { return depth_; }
  size_t num_trees() const { return tree_group_.size(); }

  // Predicts `rows` rows of num_features() float32 values each (row-major, NaN = missing) into
  // `out` (rows × num_outputs()): the transformed prediction, as XGBoost's "type 0".
  void Predict(const float* rows, size_t num_rows, float* out) const;

  // `count` rows that take every kind of branch: each value is a split threshold of its feature,
  // the float just below one, or NaN. The backend checks Predict against XGBoost's own predictor
  // on them before it trusts the forest.
  std::vector<float> ProbeRows(size_t count) const;

 private:
  enum class Transform { kIdentity, kSigmoid, kExp, kSoftmax };
  // Rows per pass over the forest, turned feature-major: row r's feature f is at
  // columns[f * kRowChunk + r].
  static constexpr size_t kRowChunk = 128;
  // An inner node: go left when value < threshold, both compared as order keys (tree_forest.cc).
  // `column` is the split feature times kRowChunk, the feature's offset in a feature-major chunk.
  struct Node {
    uint32_t threshold;
    uint32_t column;
  };

  template <bool kMissing>
  void PredictAll(const float* rows, size_t num_rows, float* margins) const;
  template <bool kMissing>
  void WalkRows(size_t tree, const uint32_t* columns, float* margins) const;
  template <int kCount, bool kMissing>
  void WalkTrees(size_t first_tree, const uint32_t* column, float* leaves) const;
  void Finish(float* margins, size_t num_rows) const;

  uint32_t num_features_ = 0;
  uint32_t num_groups_ = 1;
  int depth_ = 0;
  size_t inner_per_tree_ = 0;   // 2^D - 1
  size_t leaves_per_tree_ = 1;  // 2^D
  float base_margin_ = 0;
  Transform transform_ = Transform::kIdentity;
  std::vector<Node> nodes_;             // tree t's inner nodes at t * inner_per_tree_
  std::vector<uint8_t> missing_right_;  // per node: 1 when a missing value goes right
  std::vector<float> leaves_;           // tree t's leaves at t * leaves_per_tree_
  std::vector<uint32_t> tree_group_;    // output group of each tree (tree_info)
};

}  // namespace mlhub::serving
