// SPDX-License-Identifier: Apache-2.0
// The filter and the order of a logged-model search, applied to models already loaded with their
// tags, params and metrics (SqlTrackingStore::SearchLoggedModels): an experiment holds models by
// the dozen (one per log_model call), so this is simpler than SQL and behaves the same on SQLite
// and PostgreSQL.
#pragma once

#include <vector>

#include "store/search_query.h"
#include "store/tracking_types.h"

namespace mlhub::store::internal {

// True when `model` passes the query's filter and dataset clause.
bool MatchesLoggedModelQuery(const LoggedModel& model, const LoggedModelQuery& query);

// Sorts by the query's order keys, then newest first, then by model id.
void SortLoggedModels(const LoggedModelQuery& query, std::vector<LoggedModel>* models);

}  // namespace mlhub::store::internal
