// SPDX-License-Identifier: Apache-2.0
// Parser for MLflow search filters and order_by clauses (runs, experiments, registered models,
// model versions), producing the store's FilterExpr / OrderBy. Accepts MLflow's grammar plus OR and
// parentheses. Pure functions over immutable schema tables: safe to call from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/search_query.h"

namespace mlhub::tracking {

// Which search endpoint a filter belongs to; selects the identifiers and operators allowed.
enum class SearchEntity {
  kRuns,
  kExperiments,
  kRegisteredModels,
  kModelVersions,
  kLoggedModels,
  kTraces,  // request metadata ("metadata.<key>") is parsed as EntityType::kParam
};

// Parses `filter`. Empty or all-whitespace → std::nullopt. Identifiers are validated against the
// entity's schema and normalised (aliases such as `created` or `run name` are resolved). Errors are
// InvalidArgument with the character offset (0-based) of the failure and an excerpt of the input.
StatusOr<std::optional<store::FilterExpr>> ParseFilter(SearchEntity entity,
                                                       std::string_view filter);

// Parses each `<identifier> [ASC|DESC]` element (default ASC). Duplicate keys are rejected.
// MLflow's tie-breakers are not appended here; the store does that.
StatusOr<std::vector<store::OrderBy>> ParseOrderBy(SearchEntity entity,
                                                   const std::vector<std::string>& order_by);

// kInvalidArgument when a parsed search is too big to run: more than 50 comparisons or 20
// order_by keys (each becomes a join or subquery, and past these the database refuses the
// statement, which must be the client's 400, not a server error).
Status CheckSearchSize(const std::optional<store::FilterExpr>& filter,
                       const std::vector<store::OrderBy>& order_by);

}  // namespace mlhub::tracking
