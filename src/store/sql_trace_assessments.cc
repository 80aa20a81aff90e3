// SPDX-License-Identifier: Apache-2.0
// SqlTrackingStore: assessments (feedback, expectations) of traces.
#include <optional>
#include <string>
#include <unordered_map>

#include "common/json_reader.h"
#include "common/json_writer.h"
#include "store/sql_store_internal.h"
#include "store/sql_tracking_store.h"

namespace mlhub::store {
namespace {

std::string Str(std::string_view s) { return std::string(s); }

constexpr char kAssessmentColumns[] =
    "assessment_id, trace_id, name, span_id, source_type, source_id, create_time_ms, "
    "last_update_time_ms, kind, value, rationale, metadata, overrides, valid";

std::string MetadataJson(const std::vector<Tag>& metadata) {
  std::string out;
  JsonWriter w(&out);
  w.StartObject();
  for (const Tag& entry : metadata) w.Field(entry.key, entry.value);
  w.EndObject();
  return out;
}

// `parser` is the caller's: the thread's shared one may hold a request being handled.
TraceAssessment ReadAssessmentRow(const SqlRow& row, simdjson::dom::parser& parser) {
  TraceAssessment a;
  a.assessment_id = Str(row.GetText(0));
  a.trace_id = Str(row.GetText(1));
  a.name = Str(row.GetText(2));
  a.span_id = Str(row.GetText(3));
  a.source_type = Str(row.GetText(4));
  a.source_id = Str(row.GetText(5));
  a.create_time_ms = row.GetInt(6);
  a.last_update_time_ms = row.GetInt(7);
  a.kind = Str(row.GetText(8));
  a.value = Str(row.GetText(9));
  a.rationale = Str(row.GetText(10));
  json::Object metadata;
  const std::string text(row.GetText(11));
  if (parser.parse(text).get(metadata) == simdjson::SUCCESS) {
    for (auto entry : metadata) {
      std::string_view value;
      if (entry.value.get(value) == simdjson::SUCCESS) {
        a.metadata.push_back({Str(entry.key), Str(value)});
      }
    }
  }
  a.overrides = Str(row.GetText(12));
  a.valid = row.GetInt(13) != 0;
  return a;
}

std::string AssessmentNotFound(std::string_view trace_id, std::string_view assessment_id) {
  return "Assessment with ID '" + Str(assessment_id) + "' not found for trace '" + Str(trace_id) +
         "'.";
}

Status SetValid(SqlConnection& c, std::string_view trace_id, std::string_view assessment_id,
                bool valid) {
  int64_t changed = 0;
  RETURN_IF_ERROR(
      c.Execute("UPDATE trace_assessments SET valid = ? WHERE trace_id = ? AND assessment_id = ?",
                {int64_t{valid}, Str(trace_id), Str(assessment_id)}, &changed));
  return changed == 0 ? NotFoundError(AssessmentNotFound(trace_id, assessment_id)) : OkStatus();
}

}  // namespace

namespace internal {

Status LoadTraceAssessments(SqlConnection& c,
                            const std::unordered_map<std::string, TraceInfo*>& by_id,
                            const std::vector<SqlValue>& ids) {
  if (ids.empty()) return OkStatus();
  simdjson::dom::parser parser;
  return c.Query(std::string("SELECT ") + kAssessmentColumns +
                     " FROM trace_assessments WHERE trace_id IN (" + SqlPlaceholders(ids.size()) +
                     ") ORDER BY create_time_ms, assessment_id",
                 ids, [&](const SqlRow& row) {
                   TraceAssessment a = ReadAssessmentRow(row, parser);
                   auto it = by_id.find(a.trace_id);
                   if (it != by_id.end()) it->second->assessments.push_back(std::move(a));
                   return true;
                 });
}

}  // namespace internal

Status SqlTrackingStore::CreateAssessment(const TraceAssessment& a) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    RETURN_IF_ERROR(internal::RequireTrace(c, a.trace_id));
    if (!a.overrides.empty()) RETURN_IF_ERROR(SetValid(c, a.trace_id, a.overrides, false));
    return c.Execute(std::string("INSERT INTO trace_assessments (") + kAssessmentColumns +
                         ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     {a.assessment_id, a.trace_id, a.name, a.span_id, a.source_type, a.source_id,
                      a.create_time_ms, a.last_update_time_ms, a.kind, a.value, a.rationale,
                      MetadataJson(a.metadata), a.overrides, int64_t{a.valid}});
  });
}

namespace {

// The assessment, read inside the caller's transaction.
StatusOr<TraceAssessment> LoadAssessment(SqlConnection& c, std::string_view trace_id,
                                         std::string_view assessment_id) {
  std::optional<TraceAssessment> found;
  simdjson::dom::parser parser;
  RETURN_IF_ERROR(c.Query(std::string("SELECT ") + kAssessmentColumns +
                              " FROM trace_assessments WHERE trace_id = ? AND assessment_id = ?",
                          {Str(trace_id), Str(assessment_id)}, [&](const SqlRow& row) {
                            found = ReadAssessmentRow(row, parser);
                            return false;
                          }));
  if (!found.has_value()) return NotFoundError(AssessmentNotFound(trace_id, assessment_id));
  return std::move(*found);
}

}  // namespace

StatusOr<TraceAssessment> SqlTrackingStore::GetAssessment(std::string_view trace_id,
                                                          std::string_view assessment_id) {
  std::optional<TraceAssessment> found;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(found, LoadAssessment(c, trace_id, assessment_id));
    return OkStatus();
  }));
  return std::move(*found);
}

StatusOr<TraceAssessment> SqlTrackingStore::UpdateAssessment(
    std::string_view trace_id, std::string_view assessment_id,
    const std::function<Status(TraceAssessment*)>& edit) {
  std::optional<TraceAssessment> updated;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(TraceAssessment a, LoadAssessment(c, trace_id, assessment_id));
    RETURN_IF_ERROR(edit(&a));
    RETURN_IF_ERROR(c.Execute(
        "UPDATE trace_assessments SET name = ?, last_update_time_ms = ?, kind = ?, value = ?, "
        "rationale = ?, metadata = ? WHERE trace_id = ? AND assessment_id = ?",
        {a.name, a.last_update_time_ms, a.kind, a.value, a.rationale, MetadataJson(a.metadata),
         Str(trace_id), Str(assessment_id)}));
    updated = std::move(a);
    return OkStatus();
  }));
  return std::move(*updated);
}

Status SqlTrackingStore::DeleteAssessment(std::string_view trace_id,
                                          std::string_view assessment_id) {
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(TraceAssessment gone, LoadAssessment(c, trace_id, assessment_id));
    // A chain A <- B <- C without B: C now supersedes A.
    RETURN_IF_ERROR(
        c.Execute("UPDATE trace_assessments SET overrides = ? WHERE trace_id = ? AND overrides = ?",
                  {gone.overrides, Str(trace_id), Str(assessment_id)}));
    RETURN_IF_ERROR(
        c.Execute("DELETE FROM trace_assessments WHERE assessment_id = ?", {Str(assessment_id)}));
    if (gone.overrides.empty()) return OkStatus();
    // What it superseded counts again once nothing supersedes it.
    return c.Execute(
        "UPDATE trace_assessments SET valid = 1 WHERE trace_id = ? AND assessment_id = ? AND NOT "
        "EXISTS (SELECT 1 FROM trace_assessments o WHERE o.trace_id = ? AND o.overrides = ?)",
        {Str(trace_id), gone.overrides, Str(trace_id), gone.overrides});
  });
}

}  // namespace mlhub::store
