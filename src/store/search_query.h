// SPDX-License-Identifier: Apache-2.0
// Parsed search requests: a filter expression tree (comparisons joined by AND / OR, grouped by
// parentheses), an ordering and a page window. Produced by tracking's search-filter parser,
// executed by the store as parameterised SQL. Identifiers are already validated and normalised by
// the parser.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "store/tracking_types.h"

namespace mlhub::store {

enum class EntityType { kMetric, kParam, kTag, kAttribute, kDataset };

enum class Comparator { kEq, kNe, kLt, kLe, kGt, kGe, kLike, kILike, kIn, kNotIn };

// `type.key op value`. Attribute keys are normalised: for runs one of run_id, run_name, status,
// user_id, artifact_uri, start_time, end_time; for experiments name, creation_time,
// last_update_time; for registered models / versions their own names. Dataset keys: name, digest,
// context.
struct Comparison {
  EntityType type = EntityType::kAttribute;
  std::string key;
  Comparator op = Comparator::kEq;
  // double for numeric comparisons, string for string ones, list for IN / NOT IN.
  std::variant<double, std::string, std::vector<std::string>> value;
};

struct FilterExpr {
  enum class Kind { kComparison, kAnd, kOr };
  Kind kind = Kind::kComparison;
  Comparison comparison;             // kComparison
  std::vector<FilterExpr> children;  // kAnd / kOr, two or more
};

struct OrderBy {
  EntityType type = EntityType::kAttribute;
  std::string key;
  bool ascending = true;
};

struct RunQuery {
  std::vector<std::string> experiment_ids;
  std::optional<FilterExpr> filter;
  ViewType view_type = ViewType::kActiveOnly;
  int64_t max_results = 1000;
  std::vector<OrderBy> order_by;  // as given; the store appends MLflow's tie-breakers
  int64_t offset = 0;
};

struct RunPage {
  std::vector<Run> runs;
  std::optional<int64_t> next_offset;  // absent on the last page
};

// A dataset a logged model's metric was computed on; an empty field matches any value.
struct DatasetMatch {
  std::string name;
  std::string digest;
};

// An order key of a logged-model search: an attribute (name, model_id, model_type, status,
// source_run_id, creation_timestamp, last_updated_timestamp) or a metric, by its latest value
// (timestamp, then step) among the model's values on `dataset`. Models without a value sort last
// either way, as in MLflow.
struct LoggedModelOrder {
  OrderBy by;
  DatasetMatch dataset;  // metrics only
};

// Logged models of some experiments. The filter may compare attributes, params, tags and
// metrics (any of the model's values of the key). With `datasets`, a metric comparison counts
// only values on one of them, and a filter without one keeps only models that have a metric on
// one of them (MLflow's semantics).
struct LoggedModelQuery {
  std::vector<std::string> experiment_ids;
  std::optional<FilterExpr> filter;
  std::vector<DatasetMatch> datasets;      // names are set
  std::vector<LoggedModelOrder> order_by;  // then creation_timestamp DESC, then model_id
  int64_t max_results = 50;
  int64_t offset = 0;
};

struct LoggedModelPage {
  std::vector<LoggedModel> models;
  std::optional<int64_t> next_offset;
};

// Traces of some experiments. The filter compares attributes (trace_id, timestamp_ms,
// execution_time_ms, status, client_request_id, run_id: the trace's mlflow.sourceRun metadata or
// a run it is linked to), tags and, as EntityType::kParam, request metadata. Order: attributes,
// then timestamp_ms DESC, then trace_id.
struct TraceQuery {
  std::vector<std::string> experiment_ids;
  std::optional<FilterExpr> filter;
  std::vector<OrderBy> order_by;
  int64_t max_results = 100;
  int64_t offset = 0;
};

struct TracePage {
  std::vector<TraceInfo> traces;
  std::optional<int64_t> next_offset;
};

// Which traces of an experiment DeleteTraces removes: those named, or the oldest ones up to
// `max_traces` among those that started at or before `max_timestamp_ms`.
struct TraceDeletion {
  std::string experiment_id;
  std::vector<std::string> trace_ids;
  std::optional<int64_t> max_timestamp_ms;
  std::optional<int64_t> max_traces;
};

struct ExperimentQuery {
  std::optional<FilterExpr> filter;
  ViewType view_type = ViewType::kActiveOnly;
  int64_t max_results = 1000;
  std::vector<OrderBy> order_by;
  int64_t offset = 0;
};

struct ExperimentPage {
  std::vector<Experiment> experiments;
  std::optional<int64_t> next_offset;
};

}  // namespace mlhub::store
