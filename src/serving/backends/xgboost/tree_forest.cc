// SPDX-License-Identifier: Apache-2.0
#include "serving/backends/xgboost/tree_forest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/json_reader.h"

namespace mlhub::serving {
namespace {

// Deeper forests are left to XGBoost: padding doubles the size with every level.
constexpr int kMaxDepth = 16;
constexpr size_t kMaxPaddedBytes = size_t{256} << 20;
// A thread's feature-major chunk (features × kRowChunk 4-byte keys) stays within 2 MiB.
constexpr double kMaxFeatures = 4096;
// Rows walked side by side through one tree, or trees side by side for one row: enough
// independent chains to hide the load latency of each step.
constexpr int kLanes = 8;

// Floats are compared as integer keys in the same order (a negative float's bits inverted, a
// positive one's sign bit set, -0 as +0): the compiler then folds a compare and its result into
// one carry-using add. NaN, the missing value, gets the largest key.
constexpr uint32_t kMissingKey = 0xffffffffu;

uint32_t OrderKey(float value) {
  if (value != value) return kMissingKey;
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if (bits == 0x80000000u) bits = 0;
  return (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
}

float KeyValue(uint32_t key) {
  const uint32_t bits = (key & 0x80000000u) ? key & 0x7fffffffu : ~key;
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

Status Unsupported(std::string what) {
  return UnimplementedError(fmt::format("the compiled forest does not cover {}", what));
}

// One tree as XGBoost's JSON has it: parallel arrays, -1 for no child.
struct SourceTree {
  std::vector<int64_t> left, right, feature;
  std::vector<double> condition;
  std::vector<bool> default_left;
};

StatusOr<json::Array> ArrayAt(json::Element object, std::string_view pointer) {
  json::Array array;
  if (object.at_pointer(pointer).get(array) != simdjson::SUCCESS)
    return InvalidArgumentError(fmt::format("XGBoost model JSON: no array at {}", pointer));
  return array;
}

// A number that XGBoost writes as a string ("5E-1", "13") or as a number.
StatusOr<double> NumberAt(json::Element object, std::string_view pointer) {
  json::Element value;
  if (object.at_pointer(pointer).get(value) != simdjson::SUCCESS)
    return InvalidArgumentError(fmt::format("XGBoost model JSON: no value at {}", pointer));
  if (value.is_string()) {
    std::string text(value.get_string().value());
    char* end = nullptr;
    double number = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0')
      return InvalidArgumentError(fmt::format("XGBoost model JSON: {} is not a number", pointer));
    return number;
  }
  double number = 0;
  if (value.get(number) != simdjson::SUCCESS)
    return InvalidArgumentError(fmt::format("XGBoost model JSON: {} is not a number", pointer));
  return number;
}

template <typename T>
Status ReadNumbers(json::Element tree, std::string_view key, std::vector<T>* out) {
  ASSIGN_OR_RETURN(json::Array array, ArrayAt(tree, key));
  out->clear();
  for (json::Element item : array) {
    double value = 0;
    if (item.is_bool()) {
      value = item.get_bool().value() ? 1 : 0;
    } else if (item.get(value) != simdjson::SUCCESS) {
      return InvalidArgumentError(fmt::format("XGBoost model JSON: {} holds a non-number", key));
    }
    out->push_back(static_cast<T>(value));
  }
  return OkStatus();
}

StatusOr<SourceTree> ReadTree(json::Element tree) {
  ASSIGN_OR_RETURN(json::Array split_type, ArrayAt(tree, "/split_type"));
  for (json::Element type : split_type) {
    int64_t value = 0;
    if (type.get(value) != simdjson::SUCCESS || value != 0)
      return Unsupported("categorical splits");
  }
  SourceTree out;
  std::vector<double> default_left;
  RETURN_IF_ERROR(ReadNumbers(tree, "/left_children", &out.left));
  RETURN_IF_ERROR(ReadNumbers(tree, "/right_children", &out.right));
  RETURN_IF_ERROR(ReadNumbers(tree, "/split_indices", &out.feature));
  RETURN_IF_ERROR(ReadNumbers(tree, "/split_conditions", &out.condition));
  RETURN_IF_ERROR(ReadNumbers(tree, "/default_left", &default_left));
  const size_t n = out.left.size();
  if (n == 0 || out.right.size() != n || out.feature.size() != n || out.condition.size() != n ||
      default_left.size() != n) {
    return InvalidArgumentError("XGBoost model JSON: a tree's arrays differ in length");
  }
  for (double value : default_left) out.default_left.push_back(value != 0);
  return out;
}

// The depth of `tree` below `node`; fails on child indices out of range or loops (depth cap).
StatusOr<int> Depth(const SourceTree& tree, int64_t node, int level, uint32_t num_features) {
  if (node < 0 || static_cast<size_t>(node) >= tree.left.size())
    return InvalidArgumentError("XGBoost model JSON: a child index is out of range");
  if (tree.left[node] == -1) return 0;
  if (level >= kMaxDepth) return Unsupported(fmt::format("trees deeper than {}", kMaxDepth));
  if (tree.feature[node] < 0 || tree.feature[node] >= num_features)
    return InvalidArgumentError("XGBoost model JSON: a split uses a feature out of range");
  ASSIGN_OR_RETURN(int left, Depth(tree, tree.left[node], level + 1, num_features));
  ASSIGN_OR_RETURN(int right, Depth(tree, tree.right[node], level + 1, num_features));
  return 1 + std::max(left, right);
}

}  // namespace

StatusOr<TreeForest> TreeForest::FromXgboostJson(std::string_view text) {
  // A parser of its own, freed on return: the thread's shared one would keep a model-sized
  // buffer for as long as the thread lives.
  simdjson::dom::parser parser;
  json::Element root;
  if (auto error = parser.parse(text.data(), text.size()).get(root); error != simdjson::SUCCESS)
    return InvalidArgumentError(
        fmt::format("XGBoost model JSON: {}", simdjson::error_message(error)));
  json::Element learner;
  if (root.at_pointer("/learner").get(learner) != simdjson::SUCCESS)
    return InvalidArgumentError("XGBoost model JSON: no learner");

  std::string_view booster;
  if (learner.at_pointer("/gradient_booster/name").get(booster) != simdjson::SUCCESS)
    return InvalidArgumentError("XGBoost model JSON: no booster name");
  if (booster != "gbtree") return Unsupported(fmt::format("the {} booster", booster));

  ASSIGN_OR_RETURN(double num_target, NumberAt(learner, "/learner_model_param/num_target"));
  if (num_target > 1) return Unsupported("multi-target models");
  ASSIGN_OR_RETURN(double num_class, NumberAt(learner, "/learner_model_param/num_class"));
  ASSIGN_OR_RETURN(double num_feature, NumberAt(learner, "/learner_model_param/num_feature"));
  ASSIGN_OR_RETURN(double base_score, NumberAt(learner, "/learner_model_param/base_score"));
  if (num_feature < 1 || num_feature > 1e6 || num_class < 0 || num_class > 1e4)
    return InvalidArgumentError("XGBoost model JSON: feature or class count out of range");
  if (num_feature > kMaxFeatures) return Unsupported(fmt::format("over {} features", kMaxFeatures));

  TreeForest forest;
  forest.num_features_ = static_cast<uint32_t>(num_feature);
  std::string_view objective;
  if (learner.at_pointer("/objective/name").get(objective) != simdjson::SUCCESS)
    return InvalidArgumentError("XGBoost model JSON: no objective");
  // The base margin as XGBoost's ObjFunction::ProbToMargin makes it, and the transform of
  // PredTransform, per objective.
  const float base = static_cast<float>(base_score);
  if (objective == "reg:squarederror" || objective == "reg:squaredlogerror" ||
      objective == "reg:pseudohubererror" || objective == "reg:absoluteerror" ||
      objective == "reg:linear" || objective == "binary:logitraw") {
    forest.base_margin_ = base;  // logitraw too: measured against XGBoost 1.7
  } else if (objective == "reg:logistic" || objective == "binary:logistic") {
    forest.base_margin_ = -std::log(1.0f / base - 1.0f);
    forest.transform_ = Transform::kSigmoid;
  } else if (objective == "count:poisson" || objective == "reg:gamma" ||
             objective == "reg:tweedie") {
    forest.base_margin_ = std::log(base);
    forest.transform_ = Transform::kExp;
  } else if (objective == "multi:softprob" && num_class >= 2) {
    forest.base_margin_ = base;
    forest.transform_ = Transform::kSoftmax;
    forest.num_groups_ = static_cast<uint32_t>(num_class);
  } else {
    return Unsupported(fmt::format("the objective {}", objective));
  }

  ASSIGN_OR_RETURN(json::Array trees, ArrayAt(learner, "/gradient_booster/model/trees"));
  ASSIGN_OR_RETURN(json::Array tree_info, ArrayAt(learner, "/gradient_booster/model/tree_info"));
  std::vector<SourceTree> source;
  for (json::Element tree : trees) {
    ASSIGN_OR_RETURN(SourceTree one, ReadTree(tree));
    ASSIGN_OR_RETURN(int depth, Depth(one, 0, 0, forest.num_features_));
    forest.depth_ = std::max(forest.depth_, depth);
    source.push_back(std::move(one));
  }
  for (json::Element group : tree_info) {
    int64_t value = -1;
    if (group.get(value) != simdjson::SUCCESS || value < 0 || value >= forest.num_groups_)
      return InvalidArgumentError("XGBoost model JSON: tree_info names a group out of range");
    forest.tree_group_.push_back(static_cast<uint32_t>(value));
  }
  if (forest.tree_group_.size() != source.size())
    return InvalidArgumentError("XGBoost model JSON: tree_info and trees differ in length");

  forest.leaves_per_tree_ = size_t{1} << forest.depth_;
  forest.inner_per_tree_ = forest.leaves_per_tree_ - 1;
  const size_t bytes =
      source.size() * (forest.inner_per_tree_ * sizeof(Node) + forest.leaves_per_tree_ * 4);
  if (bytes > kMaxPaddedBytes) return Unsupported("a forest this large once padded");
  forest.nodes_.resize(source.size() * forest.inner_per_tree_);
  forest.missing_right_.resize(forest.nodes_.size());
  forest.leaves_.resize(source.size() * forest.leaves_per_tree_);

  // Places node `from` of a source tree at padded index `to` on `level`; a leaf fills every
  // padded leaf below `to` (the padded inner nodes above them stay {0, feature 0}: any path
  // through them ends at the same value).
  for (size_t t = 0; t < source.size(); ++t) {
    const SourceTree& tree = source[t];
    Node* nodes = forest.nodes_.data() + t * forest.inner_per_tree_;
    float* leaves = forest.leaves_.data() + t * forest.leaves_per_tree_;
    struct Step {
      int64_t from;
      size_t to;
      int level;
    };
    std::vector<Step> stack = {{0, 0, 0}};
    while (!stack.empty()) {
      const Step step = stack.back();
      stack.pop_back();
      if (tree.left[step.from] == -1) {
        size_t first = step.to;
        size_t count = 1;
        for (int level = step.level; level < forest.depth_; ++level) {
          first = 2 * first + 1;
          count *= 2;
        }
        std::fill_n(leaves + (first - forest.inner_per_tree_), count,
                    static_cast<float>(tree.condition[step.from]));
        continue;
      }
      nodes[step.to].threshold = OrderKey(static_cast<float>(tree.condition[step.from]));
      nodes[step.to].column = static_cast<uint32_t>(tree.feature[step.from] * kRowChunk);
      forest.missing_right_[t * forest.inner_per_tree_ + step.to] = !tree.default_left[step.from];
      stack.push_back({tree.left[step.from], 2 * step.to + 1, step.level + 1});
      stack.push_back({tree.right[step.from], 2 * step.to + 2, step.level + 1});
    }
  }
  return forest;
}

namespace {

// 1 when a row takes the right branch: XGBoost goes left when value < threshold and sends a
// missing value (NaN) to the node's default side. No branch: the compare is data. With kMissing
// false the caller knows no value is NaN and `missing_right` is not read.
template <bool kMissing>
inline uint32_t GoRight(uint32_t value, uint32_t threshold, const uint8_t* missing_right) {
  const uint32_t not_less = value >= threshold;  // 1 for NaN too: its key is the largest
  if constexpr (!kMissing) return not_less;
  const uint32_t missing_left = static_cast<uint32_t>(value == kMissingKey) & (*missing_right ^ 1u);
  return not_less & ~missing_left;
}

bool AnyNan(const float* values, size_t count) {
  bool any = false;
  for (size_t i = 0; i < count; ++i) any |= std::isnan(values[i]);
  return any;
}

}  // namespace

template <bool kMissing>
void TreeForest::WalkRows(size_t tree, const uint32_t* columns, float* margins) const {
  const Node* nodes = nodes_.data() + tree * inner_per_tree_;
  // An empty asm that "changes" the pointer: without it GCC re-adds the tree's offset to every
  // node index in the loop below (one more instruction per step, measured 9 % of the walk).
  asm("" : "+r"(nodes));
  const uint8_t* missing_right = missing_right_.data() + tree * inner_per_tree_;
  size_t index[kLanes] = {};  // 64-bit, and the lane a constant offset: fewer instructions
  for (int level = 0; level < depth_; ++level) {
    for (int lane = 0; lane < kLanes; ++lane) {
      const Node node = nodes[index[lane]];
      const uint32_t value = (columns + lane)[node.column];
      index[lane] = 2 * index[lane] + 1 +
                    GoRight<kMissing>(value, node.threshold, missing_right + index[lane]);
    }
  }
  const float* leaves = leaves_.data() + tree * leaves_per_tree_ - inner_per_tree_;
  const uint32_t group = tree_group_[tree];
  for (int lane = 0; lane < kLanes; ++lane)
    margins[lane * num_groups_ + group] += leaves[index[lane]];
}

template <int kCount, bool kMissing>
void TreeForest::WalkTrees(size_t first_tree, const uint32_t* column, float* leaves_out) const {
  const Node* nodes[kCount];
  const uint8_t* missing_right[kCount];
  for (int lane = 0; lane < kCount; ++lane) {
    nodes[lane] = nodes_.data() + (first_tree + lane) * inner_per_tree_;
    missing_right[lane] = missing_right_.data() + (first_tree + lane) * inner_per_tree_;
  }
  size_t index[kCount] = {};
  for (int level = 0; level < depth_; ++level) {
    for (int lane = 0; lane < kCount; ++lane) {
      const Node node = nodes[lane][index[lane]];
      const uint32_t value = column[node.column];
      index[lane] = 2 * index[lane] + 1 +
                    GoRight<kMissing>(value, node.threshold, missing_right[lane] + index[lane]);
    }
  }
  for (int lane = 0; lane < kCount; ++lane) {
    leaves_out[lane] =
        leaves_[(first_tree + lane) * leaves_per_tree_ + index[lane] - inner_per_tree_];
  }
}

void TreeForest::Predict(const float* rows, size_t num_rows, float* out) const {
  if (AnyNan(rows, num_rows * num_features_)) {
    PredictAll<true>(rows, num_rows, out);
  } else {
    PredictAll<false>(rows, num_rows, out);
  }
  Finish(out, num_rows);
}

template <bool kMissing>
void TreeForest::PredictAll(const float* rows, size_t num_rows, float* out) const {
  const size_t trees = tree_group_.size();
  std::fill_n(out, num_rows * num_groups_, base_margin_);
  // Rows are read feature-major, a chunk at a time (row r's feature f at
  // columns[f * kRowChunk + r]), so a lane finds its value at one offset from its node's.
  // Per thread, kept: Predict runs for every request.
  thread_local std::vector<uint32_t> columns;
  if (columns.size() < num_features_ * kRowChunk) columns.resize(num_features_ * kRowChunk);
  auto transpose = [&](size_t first, size_t count) {
    for (size_t r = 0; r < count; ++r) {
      const float* row = rows + (first + r) * num_features_;
      for (uint32_t f = 0; f < num_features_; ++f) columns[f * kRowChunk + r] = OrderKey(row[f]);
    }
  };
  // Whole blocks of kLanes rows: per tree, kLanes rows side by side.
  const size_t blocked = num_rows / kLanes * kLanes;
  for (size_t start = 0; start < blocked; start += kRowChunk) {
    const size_t count = std::min(blocked - start, kRowChunk);
    transpose(start, count);
    float* margins = out + start * num_groups_;
    for (size_t t = 0; t < trees; ++t) {
      for (size_t r = 0; r < count; r += kLanes)
        WalkRows<kMissing>(t, columns.data() + r, margins + r * num_groups_);
    }
  }
  // The rows left over, one at a time: kLanes trees side by side, their leaves then added in
  // tree order.
  for (size_t r = blocked; r < num_rows; ++r) {
    transpose(r, 1);
    float* margins = out + r * num_groups_;
    float leaf[kLanes];
    size_t t = 0;
    for (; t + kLanes <= trees; t += kLanes) {
      WalkTrees<kLanes, kMissing>(t, columns.data(), leaf);
      for (int lane = 0; lane < kLanes; ++lane) margins[tree_group_[t + lane]] += leaf[lane];
    }
    for (; t < trees; ++t) {
      WalkTrees<1, kMissing>(t, columns.data(), leaf);
      margins[tree_group_[t]] += leaf[0];
    }
  }
}

std::vector<float> TreeForest::ProbeRows(size_t count) const {
  std::vector<std::vector<float>> thresholds(num_features_);
  for (const Node& node : nodes_) {
    thresholds[node.column / kRowChunk].push_back(KeyValue(node.threshold));
  }
  std::vector<float> rows(count * num_features_);
  uint64_t state = 0x9e3779b97f4a7c15u;  // a fixed xorshift sequence: the same probes every load
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (size_t r = 0; r < count; ++r) {
    for (uint32_t f = 0; f < num_features_; ++f) {
      const std::vector<float>& options = thresholds[f];
      const uint64_t pick = next();
      float value = std::nanf("");
      if (!options.empty() && pick % 8 != 0) {
        value = options[(pick >> 8) % options.size()];
        if (pick % 8 >= 5) value = std::nextafter(value, -INFINITY);
      }
      rows[r * num_features_ + f] = value;
    }
  }
  return rows;
}

void TreeForest::Finish(float* margins, size_t num_rows) const {
  const size_t count = num_rows * num_groups_;
  switch (transform_) {
    case Transform::kIdentity:
      break;
    case Transform::kSigmoid:
      for (size_t i = 0; i < count; ++i) margins[i] = 1.0f / (1.0f + std::exp(-margins[i]));
      break;
    case Transform::kExp:
      for (size_t i = 0; i < count; ++i) margins[i] = std::exp(margins[i]);
      break;
    case Transform::kSoftmax:
      for (size_t r = 0; r < num_rows; ++r) {
        float* row = margins + r * num_groups_;
        const float top = *std::max_element(row, row + num_groups_);
        double sum = 0;
        for (uint32_t g = 0; g < num_groups_; ++g) {
          row[g] = std::exp(row[g] - top);
          sum += row[g];
        }
        for (uint32_t g = 0; g < num_groups_; ++g) row[g] /= static_cast<float>(sum);
      }
      break;
  }
}

}  // namespace mlhub::serving
