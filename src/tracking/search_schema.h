// SPDX-License-Identifier: Apache-2.0
// What each searchable entity accepts in filters and order_by clauses: its attributes (with
// MLflow's aliases, e.g. "run name" for run_name), their value kinds and whether IN is allowed.
// The search-filter parser (search_filter.cc) is generic; these tables make it MLflow's. Internal
// to the tracking module; constant data, thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "tracking/search_filter.h"

namespace mlhub::tracking::internal {

enum class ValueKind { kString, kNumber };

// One identifier an entity accepts. `name` is what users write, `canonical` what the store sees.
struct AttributeSpec {
  std::string_view name;
  std::string_view canonical;
  ValueKind kind = ValueKind::kString;
  bool allows_in = false;  // IN / NOT IN with a list of strings
};

struct Schema {
  std::string_view noun;  // "runs", "experiments", ...
  std::span<const AttributeSpec> filter_attributes;
  std::span<const AttributeSpec> order_attributes;
  bool runs_like;  // metrics / params / datasets and the `run` prefix exist (runs only)
  // The `trace` prefix (attributes) and `metadata` / `request_metadata` (kParam) exist.
  bool traces_like = false;
};

const Schema& SchemaFor(SearchEntity entity);

// The fields of `datasets.<field>` in run filters.
std::span<const AttributeSpec> DatasetFields();

// Lists the canonical spellings (aliases left out) for error messages.
std::string ListNames(std::span<const AttributeSpec> specs);

}  // namespace mlhub::tracking::internal
