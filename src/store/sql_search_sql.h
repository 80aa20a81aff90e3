// SPDX-License-Identifier: Apache-2.0
// Building blocks for searches as parameterised SQL over `runs r`, `experiments e`,
// `registered_models m`, `model_versions v` (joined to its model as m) or `trace_info t`: a filter
// split into its top-level AND clauses (each a WHERE condition; metric/param/tag comparisons also
// kept whole so a query can be driven through their table's index), and ORDER BY terms with the
// LEFT JOINs they need and MLflow's tie-breakers. User values only travel as bound parameters.
// One builder per search (it numbers table aliases); not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/search_query.h"
#include "store/sql_connection.h"

namespace mlhub::store {

// SQL text and the values of its placeholders, in order.
struct SqlFragment {
  std::string sql;
  std::vector<SqlValue> params;

  void Append(const SqlFragment& other) {
    sql.append(other.sql);
    params.insert(params.end(), other.params.begin(), other.params.end());
  }
  void Append(std::string_view text) { sql.append(text); }
};

enum class SearchTarget { kRuns, kExperiments, kRegisteredModels, kModelVersions, kTraces };

// One top-level AND clause of a filter.
struct FilterClause {
  // Set for a metric/param/tag comparison, which a query may drive through that table's index.
  std::optional<Comparison> keyed;
  // The clause as a condition on the outer row (r, e, m or v); EXISTS for keyed clauses.
  SqlFragment condition;
};

// (type, key) -> alias of a row of that key the query inner-joins (so it always exists).
using JoinedKeys = std::map<std::pair<EntityType, std::string>, std::string>;

struct OrderSql {
  SqlFragment joins;  // " LEFT JOIN ..." clauses, to follow the FROM clause
  std::string terms;  // the ORDER BY list
};

class SearchSqlBuilder {
 public:
  SearchSqlBuilder(SearchTarget target, const SqlDialect& dialect)
      : target_(target), dialect_(dialect) {}

  // The filter's top-level AND clauses; empty for no filter. kInvalidArgument for mistyped or
  // unknown clauses.
  StatusOr<std::vector<FilterClause>> SplitFilter(const std::optional<FilterExpr>& filter);

  // "<alias>.key = ? AND <value condition>" for a keyed comparison on a row aliased `alias`.
  Status KeyedCondition(const Comparison& c, const std::string& alias, SqlFragment* out) const;

  // ORDER BY terms for order_by[first..] followed by MLflow's tie-breakers (which look at all
  // of order_by), and their LEFT JOINs. Keys in `joined` sort by that row. Rows missing a key
  // sort last in both directions; NaN metrics after real values.
  StatusOr<OrderSql> Order(const std::vector<OrderBy>& order_by, size_t first,
                           const JoinedKeys& joined);

  // The key/value table of metrics, params or tags ("" where the target has none).
  std::string_view TableFor(EntityType type) const;
  // "run_key" / "experiment_id", and the outer row's column it joins to ("r.run_key"...).
  std::string_view OwnerColumn() const;
  std::string_view OwnerExpr() const;
  // A fresh table alias with `prefix`.
  std::string NewAlias(std::string_view prefix);

 private:
  Status Condition(const FilterExpr& expr, SqlFragment* out);
  Status ComparisonCondition(const Comparison& c, SqlFragment* out);

  const SearchTarget target_;
  const SqlDialect& dialect_;
  int next_alias_ = 0;
};

// One page of a search over a single table (experiments, registered models, model versions):
// `select_from` + the ORDER BY joins + " WHERE <base_condition> AND <filter clauses> ORDER BY ...
// LIMIT max_results + 1 OFFSET offset". The extra row tells the caller whether a next page
// follows. (Runs have search plans of their own, sql_search_runs.cc.)
StatusOr<SqlFragment> SearchPageSql(SearchTarget target, const SqlDialect& dialect,
                                    std::string select_from, std::string_view base_condition,
                                    const std::optional<FilterExpr>& filter,
                                    const std::vector<OrderBy>& order_by, int64_t max_results,
                                    int64_t offset);

}  // namespace mlhub::store
