// SPDX-License-Identifier: Apache-2.0
// SqlTrackingStore: MLflow's traces (their info, tags, request metadata and links to runs).
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>

#include "store/sql_search_sql.h"
#include "store/sql_store_internal.h"
#include "store/sql_tracking_store.h"
#include "store/store_util.h"

namespace mlhub::store {
namespace {

std::string Str(std::string_view s) { return std::string(s); }

std::string TraceNotFound(std::string_view trace_id) {
  return "Trace with ID '" + Str(trace_id) + "' not found.";
}

constexpr char kTraceColumns[] =
    "t.trace_id, t.experiment_id, t.client_request_id, t.request_time_ms, "
    "t.execution_duration_ms, t.state, t.request_preview, t.response_preview";

TraceInfo ReadTraceRow(const SqlRow& row) {
  TraceInfo trace;
  trace.trace_id = Str(row.GetText(0));
  trace.experiment_id = std::to_string(row.GetInt(1));
  trace.client_request_id = Str(row.GetText(2));
  trace.request_time_ms = row.GetInt(3);
  if (!row.IsNull(4)) trace.execution_duration_ms = row.GetInt(4);
  trace.state = Str(row.GetText(5));
  trace.request_preview = Str(row.GetText(6));
  trace.response_preview = Str(row.GetText(7));
  return trace;
}

// Adds their tags and metadata (each sorted by key) and assessments to traces just read.
Status LoadTraceDetails(SqlConnection& c, std::vector<TraceInfo>* traces) {
  if (traces->empty()) return OkStatus();
  std::unordered_map<std::string, TraceInfo*> by_id;
  std::vector<SqlValue> ids;
  for (TraceInfo& trace : *traces) {
    by_id.emplace(trace.trace_id, &trace);
    ids.emplace_back(trace.trace_id);
  }
  const std::string in = SqlPlaceholders(ids.size());
  for (auto [table, member] : {std::pair{"trace_tags", &TraceInfo::tags},
                               std::pair{"trace_metadata", &TraceInfo::metadata}}) {
    RETURN_IF_ERROR(
        c.Query(std::string("SELECT trace_id, key, value FROM ") + table + " WHERE trace_id IN (" +
                    in + ") ORDER BY key",
                ids, [&](const SqlRow& row) {
                  auto it = by_id.find(Str(row.GetText(0)));
                  if (it != by_id.end()) {
                    (it->second->*member).push_back({Str(row.GetText(1)), Str(row.GetText(2))});
                  }
                  return true;
                }));
  }
  return internal::LoadTraceAssessments(c, by_id, ids);
}

Status UpsertPair(SqlConnection& c, const char* table, std::string_view trace_id, const Tag& tag) {
  return c.Execute(std::string("INSERT INTO ") + table +
                       " (trace_id, key, value) VALUES (?, ?, ?)" +
                       c.dialect().UpsertSuffix("trace_id, key", {"value"}),
                   {Str(trace_id), tag.key, tag.value});
}

}  // namespace

namespace internal {

Status RequireTrace(SqlConnection& c, std::string_view trace_id) {
  bool exists = false;
  RETURN_IF_ERROR(
      c.Query("SELECT 1 FROM trace_info WHERE trace_id = ?", {Str(trace_id)}, [&](const SqlRow&) {
        exists = true;
        return false;
      }));
  return exists ? OkStatus() : NotFoundError(TraceNotFound(trace_id));
}

}  // namespace internal

Status SqlTrackingStore::UpsertTrace(const TraceInfo& trace) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(internal::ExperimentState experiment,
                     internal::LoadExperimentState(c, trace.experiment_id));
    RETURN_IF_ERROR(internal::CheckExperimentActive(experiment));
    // A trace stays in its experiment: its id sent again for another one is refused (the
    // caller's right to the one named says nothing of the other).
    std::optional<int64_t> existing;
    RETURN_IF_ERROR(c.Query("SELECT experiment_id FROM trace_info WHERE trace_id = ?",
                            {trace.trace_id}, [&](const SqlRow& row) {
                              existing = row.GetInt(0);
                              return false;
                            }));
    if (existing.has_value() && *existing != experiment.id) {
      return InvalidArgumentError("Trace with ID '" + trace.trace_id +
                                  "' already exists in another experiment.");
    }
    const SqlValue duration = trace.execution_duration_ms.has_value()
                                  ? SqlValue(*trace.execution_duration_ms)
                                  : SqlValue(std::monostate());
    RETURN_IF_ERROR(c.Execute(
        "INSERT INTO trace_info (trace_id, experiment_id, client_request_id, request_time_ms, "
        "execution_duration_ms, state, request_preview, response_preview) VALUES (?, ?, ?, ?, ?, "
        "?, ?, ?)" +
            c.dialect().UpsertSuffix("trace_id", {"experiment_id", "client_request_id",
                                                  "request_time_ms", "execution_duration_ms",
                                                  "state", "request_preview", "response_preview"}),
        {trace.trace_id, experiment.id, trace.client_request_id, trace.request_time_ms, duration,
         trace.state, trace.request_preview, trace.response_preview}));
    for (const Tag& tag : trace.tags) {
      RETURN_IF_ERROR(UpsertPair(c, "trace_tags", trace.trace_id, tag));
    }
    for (const Tag& entry : trace.metadata) {
      RETURN_IF_ERROR(UpsertPair(c, "trace_metadata", trace.trace_id, entry));
    }
    return OkStatus();
  });
}

StatusOr<TraceInfo> SqlTrackingStore::GetTraceInfo(std::string_view trace_id) {
  std::vector<TraceInfo> found;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    found.clear();  // the transaction may run again
    RETURN_IF_ERROR(
        c.Query(std::string("SELECT ") + kTraceColumns + " FROM trace_info t WHERE t.trace_id = ?",
                {Str(trace_id)}, [&](const SqlRow& row) {
                  found.push_back(ReadTraceRow(row));
                  return false;
                }));
    return LoadTraceDetails(c, &found);
  }));
  if (found.empty()) return NotFoundError(TraceNotFound(trace_id));
  return std::move(found.front());
}

StatusOr<TracePage> SqlTrackingStore::SearchTraces(const TraceQuery& query) {
  RETURN_IF_ERROR(internal::CheckPageWindow(query.max_results, query.offset));
  std::vector<SqlValue> ids;
  for (const std::string& id : query.experiment_ids) {
    std::optional<int64_t> parsed = ParseExperimentId(id);
    if (parsed.has_value()) ids.emplace_back(*parsed);  // others name no experiment
  }
  TracePage page;
  if (ids.empty()) return page;
  // The experiment ids are bound after the ORDER BY joins' parameters (there are none for
  // traces: they order by attributes only) and before the filter's.
  ASSIGN_OR_RETURN(SqlFragment sql,
                   SearchPageSql(SearchTarget::kTraces, db_->dialect(),
                                 std::string("SELECT ") + kTraceColumns + " FROM trace_info t",
                                 "t.experiment_id IN (" + SqlPlaceholders(ids.size()) + ")",
                                 query.filter, query.order_by, query.max_results, query.offset));
  sql.params.insert(sql.params.begin(), ids.begin(), ids.end());
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    page = TracePage();  // the transaction may run again
    RETURN_IF_ERROR(c.Query(sql.sql, sql.params, [&](const SqlRow& row) {
      page.traces.push_back(ReadTraceRow(row));
      return true;
    }));
    if (static_cast<int64_t>(page.traces.size()) > query.max_results) {
      page.traces.pop_back();
      page.next_offset = query.offset + query.max_results;
    }
    return LoadTraceDetails(c, &page.traces);
  }));
  return page;
}

Status SqlTrackingStore::SetTraceTag(std::string_view trace_id, const Tag& tag) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    RETURN_IF_ERROR(internal::RequireTrace(c, trace_id));
    return UpsertPair(c, "trace_tags", trace_id, tag);
  });
}

Status SqlTrackingStore::DeleteTraceTag(std::string_view trace_id, std::string_view key) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    RETURN_IF_ERROR(internal::RequireTrace(c, trace_id));
    int64_t deleted = 0;
    RETURN_IF_ERROR(c.Execute("DELETE FROM trace_tags WHERE trace_id = ? AND key = ?",
                              {Str(trace_id), Str(key)}, &deleted));
    if (deleted == 0) {
      return NotFoundError("No trace tag with key '" + Str(key) + "' for trace with ID '" +
                           Str(trace_id) + "'");
    }
    return OkStatus();
  });
}

StatusOr<int64_t> SqlTrackingStore::DeleteTraces(const TraceDeletion& deletion) {
  std::optional<int64_t> experiment = ParseExperimentId(deletion.experiment_id);
  if (!experiment.has_value()) return int64_t{0};
  int64_t deleted = 0;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    if (!deletion.trace_ids.empty()) {
      std::vector<SqlValue> params = {*experiment};
      for (const std::string& id : deletion.trace_ids) params.emplace_back(id);
      return c.Execute("DELETE FROM trace_info WHERE experiment_id = ? AND trace_id IN (" +
                           SqlPlaceholders(deletion.trace_ids.size()) + ")",
                       params, &deleted);
    }
    // The oldest first, as MLflow deletes them.
    std::vector<SqlValue> params = {*experiment, deletion.max_timestamp_ms.value_or(INT64_MAX)};
    std::string limit;
    if (deletion.max_traces.has_value()) {
      limit = " LIMIT ?";
      params.emplace_back(*deletion.max_traces);
    }
    return c.Execute(
        "DELETE FROM trace_info WHERE trace_id IN (SELECT trace_id FROM trace_info WHERE "
        "experiment_id = ? AND request_time_ms <= ? ORDER BY request_time_ms, trace_id" +
            limit + ")",
        params, &deleted);
  }));
  return deleted;
}

Status SqlTrackingStore::LinkTracesToRun(const std::vector<std::string>& trace_ids,
                                         std::string_view run_id) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    RETURN_IF_ERROR(internal::LoadRunRow(c, run_id).status());
    for (const std::string& trace_id : trace_ids) {
      RETURN_IF_ERROR(internal::RequireTrace(c, trace_id));
      RETURN_IF_ERROR(c.Execute(
          "INSERT INTO trace_run_links (trace_id, run_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
          {trace_id, Str(run_id)}));
    }
    return OkStatus();
  });
}

}  // namespace mlhub::store
