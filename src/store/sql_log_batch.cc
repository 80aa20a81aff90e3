// SPDX-License-Identifier: Apache-2.0
// SqlTrackingStore: LogBatch (metrics, params, tags in one transaction) and metric history.
//
// A metric key's history is a sequence of chunks (metric_chunks rows) of packed points. A write
// appends its points for a key to the key's tail chunk while that stays small (so one-point
// writes do not leave one row per point), or else inserts a new chunk. latest_metrics keeps each
// key's latest point and where its tail chunk is, updated in the same transaction.
#include <cmath>
#include <optional>
#include <unordered_map>
#include <utility>

#include "store/metric_points.h"
#include "store/sql_store_internal.h"
#include "store/sql_tracking_store.h"
#include "store/store_util.h"

namespace mlhub::store {
namespace {

constexpr int64_t kTailAppendLimit = 128;  // a tail chunk grows by appends up to this many points
constexpr size_t kMaxChunkPoints = 4096;   // points per inserted chunk
constexpr int kCursorOffsetBits = 16;      // cursor = chunk_id << 16 | offset in the chunk
static_assert(kMaxChunkPoints < (size_t{1} << kCursorOffsetBits));

std::string Str(std::string_view s) { return std::string(s); }

struct KeyPoints {
  std::string key;
  std::vector<MetricPoint> points;
  MetricPoint latest;
};

struct LatestRow {
  MetricPoint point;
  int64_t tail_chunk = 0;
  int64_t tail_points = 0;
};

struct RunKeyStage {
  int64_t run_key = 0;
  LifecycleStage stage = LifecycleStage::kActive;
};

StatusOr<RunKeyStage> LoadRunKey(SqlConnection& c, std::string_view run_id) {
  std::optional<RunKeyStage> found;
  RETURN_IF_ERROR(c.Query("SELECT run_key, lifecycle_stage FROM runs WHERE run_id = ?",
                          {Str(run_id)}, [&](const SqlRow& row) {
                            found = RunKeyStage{row.GetInt(0), ParseLifecycleStage(row.GetText(1))};
                            return false;
                          }));
  if (!found.has_value()) return NotFoundError("Run with id=" + Str(run_id) + " not found");
  if (found->stage != LifecycleStage::kActive) {
    return InvalidArgumentError("The run " + Str(run_id) +
                                " must be in the 'active' state. Current state is deleted.");
  }
  return *found;
}

Status WriteParams(SqlConnection& c, int64_t run_key, std::string_view run_id,
                   const std::vector<Param>& params) {
  for (const Param& param : params) {
    int64_t inserted = 0;
    RETURN_IF_ERROR(
        c.Execute("INSERT INTO params (run_key, key, value) VALUES (?, ?, ?) "
                  "ON CONFLICT (run_key, key) DO NOTHING",
                  {run_key, param.key, param.value}, &inserted));
    if (inserted == 1) continue;
    std::string existing;
    RETURN_IF_ERROR(c.Query("SELECT value FROM params WHERE run_key = ? AND key = ?",
                            {run_key, param.key}, [&](const SqlRow& row) {
                              existing = Str(row.GetText(0));
                              return false;
                            }));
    if (existing != param.value) {
      return InvalidArgumentError("Changing param values is not allowed. Param with key='" +
                                  param.key + "' was already logged with value='" + existing +
                                  "' for run ID='" + Str(run_id) +
                                  "'. Attempted logging new value '" + param.value + "'.");
    }
  }
  return OkStatus();
}

Status WriteTags(SqlConnection& c, int64_t run_key, const std::vector<Tag>& tags) {
  const std::string upsert = "INSERT INTO tags (run_key, key, value) VALUES (?, ?, ?)" +
                             c.dialect().UpsertSuffix("run_key, key", {"value"});
  for (const Tag& tag : tags) {
    RETURN_IF_ERROR(c.Execute(upsert, {run_key, tag.key, tag.value}));
    if (tag.key == kRunNameTag) {
      RETURN_IF_ERROR(
          c.Execute("UPDATE runs SET name = ? WHERE run_key = ?", {tag.value, run_key}));
    }
  }
  return OkStatus();
}

std::string Pack(const std::vector<MetricPoint>& points, size_t begin, size_t end) {
  std::string out;
  out.reserve((end - begin) * kPackedPointSize);
  for (size_t i = begin; i < end; ++i) AppendPackedPoint(points[i], &out);
  return out;
}

// The latest_metrics rows of `keys` (those that exist), read with one query per slice of keys.
Status LoadLatest(SqlConnection& c, int64_t run_key, const std::vector<KeyPoints>& keys,
                  std::unordered_map<std::string, LatestRow>* out) {
  constexpr size_t kKeysPerQuery = 200;
  for (size_t begin = 0; begin < keys.size(); begin += kKeysPerQuery) {
    const size_t end = std::min(keys.size(), begin + kKeysPerQuery);
    std::string sql =
        "SELECT key, value, timestamp, step, is_nan, tail_chunk, tail_points FROM latest_metrics "
        "WHERE run_key = ? AND key IN (?";
    std::vector<SqlValue> params{run_key, keys[begin].key};
    for (size_t i = begin + 1; i < end; ++i) {
      sql += ", ?";
      params.emplace_back(keys[i].key);
    }
    sql += ")";
    sql += c.dialect().ForUpdate();
    RETURN_IF_ERROR(c.Query(sql, params, [&](const SqlRow& row) {
      LatestRow latest;
      latest.point.value = row.GetInt(4) != 0 ? std::nan("") : row.GetDouble(1);
      latest.point.timestamp = row.GetInt(2);
      latest.point.step = row.GetInt(3);
      latest.tail_chunk = row.GetInt(5);
      latest.tail_points = row.GetInt(6);
      out->emplace(std::string(row.GetText(0)), latest);
      return true;
    }));
  }
  return OkStatus();
}

// Appends `key`'s points to its history (to the tail chunk while it is small, else in new chunks)
// and returns the key's new latest_metrics row.
// `append_sql` is the dialect's "append a blob to a tail chunk" statement, built once per batch.
StatusOr<LatestRow> AppendPoints(SqlConnection& c, const std::string& append_sql, int64_t run_key,
                                 const KeyPoints& key, const std::optional<LatestRow>& current) {
  LatestRow next;
  next.point = key.latest;
  if (current.has_value() && !ReplacesLatest(key.latest, current->point)) {
    next.point = current->point;
  }
  const int64_t count = static_cast<int64_t>(key.points.size());
  if (current.has_value() && current->tail_points + count <= kTailAppendLimit) {
    RETURN_IF_ERROR(c.Execute(
        append_sql, {SqlBlob{Pack(key.points, 0, key.points.size())}, current->tail_chunk}));
    next.tail_chunk = current->tail_chunk;
    next.tail_points = current->tail_points + count;
    return next;
  }
  for (size_t begin = 0; begin < key.points.size(); begin += kMaxChunkPoints) {
    const size_t end = std::min(key.points.size(), begin + kMaxChunkPoints);
    RETURN_IF_ERROR(c.Query(
        "INSERT INTO metric_chunks (run_key, key, points) VALUES (?, ?, ?) RETURNING chunk_id",
        {run_key, key.key, SqlBlob{Pack(key.points, begin, end)}}, [&](const SqlRow& row) {
          next.tail_chunk = row.GetInt(0);
          return true;
        }));
    next.tail_points = static_cast<int64_t>(end - begin);
  }
  return next;
}

// Writes the new latest_metrics rows with multi-row upserts (one statement per slice of keys).
Status UpsertLatest(SqlConnection& c, int64_t run_key, const std::vector<KeyPoints>& keys,
                    const std::vector<LatestRow>& rows) {
  constexpr size_t kRowsPerStatement = 100;
  for (size_t begin = 0; begin < keys.size(); begin += kRowsPerStatement) {
    const size_t end = std::min(keys.size(), begin + kRowsPerStatement);
    std::string sql =
        "INSERT INTO latest_metrics (run_key, key, value, timestamp, step, is_nan, tail_chunk, "
        "tail_points) VALUES ";
    std::vector<SqlValue> params;
    params.reserve((end - begin) * 8);
    for (size_t i = begin; i < end; ++i) {
      const LatestRow& row = rows[i];
      const bool is_nan = std::isnan(row.point.value);
      sql += i == begin ? "(?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?)";
      params.insert(params.end(),
                    {run_key, keys[i].key, is_nan ? 0.0 : row.point.value, row.point.timestamp,
                     row.point.step, int64_t{is_nan}, row.tail_chunk, row.tail_points});
    }
    sql +=
        " ON CONFLICT (run_key, key) DO UPDATE SET value = excluded.value, "
        "timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan, "
        "tail_chunk = excluded.tail_chunk, tail_points = excluded.tail_points";
    RETURN_IF_ERROR(c.Execute(sql, params));
  }
  return OkStatus();
}

Status WriteMetrics(SqlConnection& c, int64_t run_key, const std::vector<KeyPoints>& keys) {
  if (keys.empty()) return OkStatus();
  std::unordered_map<std::string, LatestRow> current;
  RETURN_IF_ERROR(LoadLatest(c, run_key, keys, &current));
  const std::string append_sql =
      "UPDATE metric_chunks SET points = " + c.dialect().BlobAppend("points") +
      " WHERE chunk_id = ?";
  std::vector<LatestRow> next;
  next.reserve(keys.size());
  for (const KeyPoints& key : keys) {
    auto found = current.find(key.key);
    std::optional<LatestRow> existing;
    if (found != current.end()) existing = found->second;
    ASSIGN_OR_RETURN(LatestRow row, AppendPoints(c, append_sql, run_key, key, existing));
    next.push_back(row);
  }
  return UpsertLatest(c, run_key, keys, next);
}

}  // namespace

Status SqlTrackingStore::LogBatch(std::string_view run_id, const RunBatch& batch) {
  // Shape the batch before taking the write lock.
  std::vector<Param> params;
  for (const Param& param : batch.params) {
    bool duplicate = false;
    for (const Param& seen : params) {
      if (seen.key != param.key) continue;
      if (seen.value != param.value) {
        return InvalidArgumentError("Duplicate parameter keys have been submitted: ['" + param.key +
                                    "']. Please ensure the request contains only one param "
                                    "value per param key.");
      }
      duplicate = true;
    }
    if (!duplicate) params.push_back(param);
  }
  std::vector<Tag> tags;
  for (const Tag& tag : batch.tags) {
    bool replaced = false;
    for (Tag& seen : tags) {
      if (seen.key == tag.key) {
        seen.value = tag.value;
        replaced = true;
      }
    }
    if (!replaced) tags.push_back(tag);
  }
  std::vector<KeyPoints> metrics;
  std::unordered_map<std::string_view, size_t> metric_index;
  for (const Metric& metric : batch.metrics) {
    auto [it, added] = metric_index.emplace(metric.key, metrics.size());
    if (added) {
      metrics.emplace_back();
      metrics.back().key = metric.key;
    }
    KeyPoints& key = metrics[it->second];
    const MetricPoint point{metric.timestamp, metric.step, ClampMetricValue(metric.value)};
    if (key.points.empty() || ReplacesLatest(point, key.latest)) key.latest = point;
    key.points.push_back(point);
  }

  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    ASSIGN_OR_RETURN(RunKeyStage run, LoadRunKey(c, run_id));
    if (!params.empty()) RETURN_IF_ERROR(WriteParams(c, run.run_key, run_id, params));
    if (!tags.empty()) RETURN_IF_ERROR(WriteTags(c, run.run_key, tags));
    RETURN_IF_ERROR(WriteMetrics(c, run.run_key, metrics));
    return OkStatus();
  });
}

StatusOr<MetricHistoryPage> SqlTrackingStore::ReadMetricHistory(std::string_view run_id,
                                                                std::string_view key,
                                                                int64_t cursor, size_t max_points) {
  if (cursor < 0) return InvalidArgumentError("invalid metric history page token");
  const int64_t start_chunk = cursor >> kCursorOffsetBits;
  const size_t skip = static_cast<size_t>(cursor & ((int64_t{1} << kCursorOffsetBits) - 1));
  MetricHistoryPage page;
  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    std::optional<int64_t> run_key;
    RETURN_IF_ERROR(
        c.Query("SELECT run_key FROM runs WHERE run_id = ?", {Str(run_id)}, [&](const SqlRow& row) {
          run_key = row.GetInt(0);
          return false;
        }));
    if (!run_key.has_value()) return NotFoundError("Run with id=" + Str(run_id) + " not found");
    page = MetricHistoryPage();
    page.next_cursor = cursor;
    Status corrupt;
    RETURN_IF_ERROR(
        c.Query("SELECT chunk_id, points FROM metric_chunks WHERE run_key = ? AND key = ? "
                "AND chunk_id >= ? ORDER BY chunk_id",
                {*run_key, Str(key), start_chunk}, [&](const SqlRow& row) {
                  const int64_t chunk_id = row.GetInt(0);
                  const std::string_view blob = row.GetBlob(1);
                  if (blob.size() % kPackedPointSize != 0) {
                    corrupt = {StatusCode::kDataLoss, "damaged metric history chunk"};
                    return false;
                  }
                  const size_t count = blob.size() / kPackedPointSize;
                  size_t i = chunk_id == start_chunk ? skip : 0;
                  if (i < count && page.points.size() >= max_points) {
                    page.done = false;
                    return false;
                  }
                  if (page.points.capacity() == 0) {
                    page.points.reserve(std::min(max_points, std::max<size_t>(count, 1024)));
                  }
                  for (; i < count; ++i) {
                    if (page.points.size() >= max_points) {
                      page.next_cursor = (chunk_id << kCursorOffsetBits) | static_cast<int64_t>(i);
                      page.done = false;
                      return false;
                    }
                    const MetricPoint point = UnpackPoint(blob.data() + i * kPackedPointSize);
                    Metric& metric = page.points.emplace_back();
                    metric.value = point.value;
                    metric.timestamp = point.timestamp;
                    metric.step = point.step;
                  }
                  page.next_cursor = (chunk_id + 1) << kCursorOffsetBits;
                  return true;
                }));
    return corrupt;
  }));
  return page;
}

}  // namespace mlhub::store
