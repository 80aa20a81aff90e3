// SPDX-License-Identifier: Apache-2.0
// Translation of parsed searches (search_query.h) into parameterised SQL: filter trees become
// JOINs (top-level AND clauses on metrics/params/tags) and EXISTS conditions (everything under an
// OR, datasets), order_by keys become LEFT JOINs and ORDER BY terms with MLflow's tie-breakers.
// User values only ever travel as bound parameters. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
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
};

// The variable parts of a search query over `runs r` or `experiments e`:
//   SELECT ... FROM runs r <joins> WHERE <fixed conditions> AND <where> ORDER BY <order_by>
struct SearchSql {
  SqlFragment joins;     // " JOIN ...", " LEFT JOIN ..." (their parameters come first)
  SqlFragment where;     // a condition; "1 = 1" when the filter is empty
  std::string order_by;  // complete ORDER BY list, tie-breakers included
};

StatusOr<SearchSql> TranslateRunSearch(const std::optional<FilterExpr>& filter,
                                       const std::vector<OrderBy>& order_by,
                                       const SqlDialect& dialect);

StatusOr<SearchSql> TranslateExperimentSearch(const std::optional<FilterExpr>& filter,
                                              const std::vector<OrderBy>& order_by,
                                              const SqlDialect& dialect);

}  // namespace mlhub::store
