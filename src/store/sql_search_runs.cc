// SPDX-License-Identifier: Apache-2.0
// SqlTrackingStore::SearchRuns: one query selects the page (filter as JOIN/EXISTS, order keys as
// LEFT JOINs, LIMIT/OFFSET), then a few IN-list queries load the page's metrics, params, tags
// and inputs.
#include <utility>

#include "store/sql_search_sql.h"
#include "store/sql_store_internal.h"
#include "store/sql_tracking_store.h"
#include "store/store_util.h"

namespace mlhub::store {

StatusOr<RunPage> SqlTrackingStore::SearchRuns(const RunQuery& query) {
  if (query.max_results < 1) return InvalidArgumentError("max_results must be at least 1");
  if (query.offset < 0) return InvalidArgumentError("invalid page token (negative offset)");
  std::vector<int64_t> experiment_ids;
  for (const std::string& id : query.experiment_ids) {
    std::optional<int64_t> parsed = ParseExperimentId(id);
    if (parsed.has_value()) experiment_ids.push_back(*parsed);
  }
  RunPage page;
  if (experiment_ids.empty()) return page;
  ASSIGN_OR_RETURN(SearchSql parts,
                   TranslateRunSearch(query.filter, query.order_by, db_->dialect()));

  SqlFragment sql;
  sql.sql = std::string("SELECT ") + internal::kRunColumns + " FROM runs r";
  sql.Append(parts.joins);
  sql.sql.append(" WHERE r.experiment_id IN (")
      .append(SqlPlaceholders(experiment_ids.size()))
      .append(")");
  for (int64_t id : experiment_ids) sql.params.emplace_back(id);
  switch (query.view_type) {
    case ViewType::kActiveOnly:
      sql.sql.append(" AND r.lifecycle_stage = 'active'");
      break;
    case ViewType::kDeletedOnly:
      sql.sql.append(" AND r.lifecycle_stage = 'deleted'");
      break;
    case ViewType::kAll:
      break;
  }
  sql.sql.append(" AND ");
  sql.Append(parts.where);
  sql.sql.append(" ORDER BY ").append(parts.order_by).append(" LIMIT ? OFFSET ?");
  sql.params.emplace_back(query.max_results + 1);
  sql.params.emplace_back(query.offset);

  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    page = RunPage();
    std::vector<int64_t> run_keys;
    RETURN_IF_ERROR(c.Query(sql.sql, sql.params, [&](const SqlRow& row) {
      internal::RunRow run_row = internal::ReadRunRow(row);
      run_keys.push_back(run_row.run_key);
      page.runs.emplace_back().info = std::move(run_row.info);
      return true;
    }));
    if (static_cast<int64_t>(page.runs.size()) > query.max_results) {
      page.runs.pop_back();
      run_keys.pop_back();
      page.next_offset = query.offset + query.max_results;
    }
    return internal::LoadRunData(c, run_keys, &page.runs);
  }));
  return page;
}

}  // namespace mlhub::store
