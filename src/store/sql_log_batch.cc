// SPDX-License-Identifier: Apache-2.0
// SqlTrackingStore: LogBatch (metrics, params, tags in one transaction) and metric history.
//
// A metric key's history is a sequence of chunks (metric_chunks rows) of packed points. A write
// appends its points for a key to the key's tail chunk while that stays small (so one-point
// writes do not leave one row per point), or else inserts a new chunk. latest_metrics keeps each
// key's latest point and where its tail chunk is, updated in the same transaction.
#include <bit>
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
// Where an update writes a whole new row version (PostgreSQL), only small writes of a key are
// appended to its tail (so one-point writes do not leave one row per point) and a larger one is
// a chunk of its own: inserting a row is then cheaper than growing one. SQLite updates in place.
constexpr int64_t kMaxAppendedPointsWhereUpdatesCopy = 4;
constexpr size_t kMaxChunkPoints = 4096;  // points per inserted chunk
constexpr int kCursorOffsetBits = 16;     // cursor = chunk_id << 16 | offset in the chunk
static_assert(kMaxChunkPoints < (size_t{1} << kCursorOffsetBits));

std::string Str(std::string_view s) { return std::string(s); }

struct LatestRow {
  MetricPoint point;
  int64_t tail_chunk = 0;
  int64_t tail_points = 0;
};

struct RunKeyStage {
  int64_t run_key = 0;
  LifecycleStage stage = LifecycleStage::kActive;
};

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
    RETURN_IF_ERROR(c.ExecuteDeferred(upsert, {run_key, tag.key, tag.value}));
    if (tag.key == kRunNameTag) {
      RETURN_IF_ERROR(
          c.ExecuteDeferred("UPDATE runs SET name = ? WHERE run_key = ?", {tag.value, run_key}));
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

constexpr size_t kKeysPerQuery = 256;  // latest_metrics rows read per statement

// "?, ?, ..." for keys[begin, end) padded to a power of two by repeating the last key (a
// duplicate in an IN list changes nothing), so that few distinct statements reach the caches.
std::string KeyInList(const std::vector<KeyPoints>& keys, size_t begin, size_t end,
                      std::vector<SqlValue>* params) {
  const size_t padded = std::bit_ceil(end - begin);
  for (size_t i = 0; i < padded; ++i) params->emplace_back(keys[std::min(begin + i, end - 1)].key);
  return SqlPlaceholders(padded);
}

// Reads a latest_metrics row from columns first .. first + 6.
void ReadLatest(const SqlRow& row, int first, std::unordered_map<std::string, LatestRow>* out) {
  LatestRow latest;
  latest.point.value = row.GetInt(first + 4) != 0 ? std::nan("") : row.GetDouble(first + 1);
  latest.point.timestamp = row.GetInt(first + 2);
  latest.point.step = row.GetInt(first + 3);
  latest.tail_chunk = row.GetInt(first + 5);
  latest.tail_points = row.GetInt(first + 6);
  out->emplace(std::string(row.GetText(first)), latest);
}

// Locks the run's row until the transaction ends (concurrent writers of one run take turns, so
// two of them never both create the same new metric key), then looks the run up and reads the
// latest_metrics rows of `keys` (those that exist) into `latest`.
//
// The lock is a statement of its own, deferred so that it travels with the lookup in one round
// trip: at READ COMMITTED each statement reads as of its own start, and a statement that had to
// wait for the lock would read the other tables as they were before the previous writer
// committed.
StatusOr<RunKeyStage> LoadRun(SqlConnection& c, std::string_view run_id,
                              const std::vector<KeyPoints>& keys,
                              std::unordered_map<std::string, LatestRow>* latest) {
  const std::string lock = c.dialect().ForUpdate("r");
  if (!lock.empty()) {
    RETURN_IF_ERROR(
        c.ExecuteDeferred("SELECT 1 FROM runs r WHERE r.run_id = ?" + lock, {Str(run_id)}));
  }
  std::vector<SqlValue> params;
  std::string sql = "SELECT r.run_key, r.lifecycle_stage";
  const size_t joined = std::min(keys.size(), kKeysPerQuery);
  if (joined > 0) {
    sql +=
        ", m.key, m.value, m.timestamp, m.step, m.is_nan, m.tail_chunk, m.tail_points FROM runs r "
        "LEFT JOIN latest_metrics m ON m.run_key = r.run_key AND m.key IN (" +
        KeyInList(keys, 0, joined, &params) + ")";
  } else {
    sql += " FROM runs r";
  }
  sql += " WHERE r.run_id = ?";
  params.emplace_back(Str(run_id));
  std::optional<RunKeyStage> found;
  RETURN_IF_ERROR(c.Query(sql, params, [&](const SqlRow& row) {
    found = RunKeyStage{row.GetInt(0), ParseLifecycleStage(row.GetText(1))};
    if (joined > 0 && !row.IsNull(2)) ReadLatest(row, 2, latest);
    return true;
  }));
  if (!found.has_value()) return NotFoundError("Run with id=" + Str(run_id) + " not found");
  if (found->stage != LifecycleStage::kActive) {
    return InvalidArgumentError("The run " + Str(run_id) +
                                " must be in the 'active' state. Current state is deleted.");
  }
  for (size_t begin = joined; begin < keys.size(); begin += kKeysPerQuery) {
    const size_t end = std::min(keys.size(), begin + kKeysPerQuery);
    std::vector<SqlValue> slice{found->run_key};
    const std::string in_list = KeyInList(keys, begin, end, &slice);
    RETURN_IF_ERROR(c.Query(
        "SELECT key, value, timestamp, step, is_nan, tail_chunk, tail_points FROM latest_metrics "
        "WHERE run_key = ? AND key IN (" +
            in_list + ")",
        slice, [&](const SqlRow& row) {
          ReadLatest(row, 0, latest);
          return true;
        }));
  }
  return *found;
}

// Rows per multi-row statement come in a few fixed sizes, so that few distinct statements reach
// the statement caches: n rows go as a greedy sum of these.
constexpr size_t kRowSlices[] = {64, 16, 4, 1};

template <typename Emit>
Status ForEachSlice(size_t count, const Emit& emit) {
  size_t begin = 0;
  for (size_t slice : kRowSlices) {
    for (; count - begin >= slice; begin += slice) RETURN_IF_ERROR(emit(begin, slice));
  }
  return OkStatus();
}

struct ChunkAppend {
  int64_t chunk_id;
  std::string points;
};

struct ChunkInsert {
  size_t key_index;
  std::string points;
};

// Appends packed points to existing tail chunks: one update by primary key each (deferred, so
// on PostgreSQL they all travel in one round trip; SQLite runs them in-process).
Status AppendToChunks(SqlConnection& c, const std::vector<ChunkAppend>& appends) {
  if (appends.empty()) return OkStatus();
  const std::string sql =
      "UPDATE metric_chunks SET points = " + c.dialect().BlobAppend("points", "?") +
      " WHERE chunk_id = ?";
  for (const ChunkAppend& append : appends) {
    RETURN_IF_ERROR(c.ExecuteDeferred(sql, {SqlBlob{append.points}, append.chunk_id}));
  }
  return OkStatus();
}

// Inserts new chunks; each key's last inserted chunk becomes its tail (chunk ids increase).
Status InsertChunks(SqlConnection& c, int64_t run_key, const std::vector<KeyPoints>& keys,
                    const std::vector<ChunkInsert>& inserts, std::vector<LatestRow>* rows) {
  return ForEachSlice(inserts.size(), [&](size_t begin, size_t n) -> Status {
    std::string sql = "INSERT INTO metric_chunks (run_key, key, points) VALUES (?, ?, ?)";
    for (size_t i = 1; i < n; ++i) sql += ", (?, ?, ?)";
    sql += " RETURNING chunk_id, key";
    std::vector<SqlValue> params;
    params.reserve(3 * n);
    std::unordered_map<std::string_view, size_t> key_index;
    for (size_t i = begin; i < begin + n; ++i) {
      const std::string& key = keys[inserts[i].key_index].key;
      params.emplace_back(run_key);
      params.emplace_back(key);
      params.emplace_back(SqlBlob{inserts[i].points});
      key_index[key] = inserts[i].key_index;
    }
    return c.Query(sql, params, [&](const SqlRow& row) {
      auto found = key_index.find(row.GetText(1));
      if (found == key_index.end()) return true;
      LatestRow& latest = (*rows)[found->second];
      latest.tail_chunk = std::max(latest.tail_chunk, row.GetInt(0));
      return true;
    });
  });
}

// Writes the keys' latest_metrics rows with multi-row upserts.
Status UpsertLatest(SqlConnection& c, int64_t run_key, const std::vector<KeyPoints>& keys,
                    const std::vector<LatestRow>& rows) {
  return ForEachSlice(keys.size(), [&](size_t begin, size_t n) -> Status {
    std::string sql =
        "INSERT INTO latest_metrics (run_key, key, value, timestamp, step, is_nan, tail_chunk, "
        "tail_points) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    for (size_t i = 1; i < n; ++i) sql += ", (?, ?, ?, ?, ?, ?, ?, ?)";
    sql +=
        " ON CONFLICT (run_key, key) DO UPDATE SET value = excluded.value, "
        "timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan, "
        "tail_chunk = excluded.tail_chunk, tail_points = excluded.tail_points";
    std::vector<SqlValue> params;
    params.reserve(n * 8);
    for (size_t i = begin; i < begin + n; ++i) {
      const LatestRow& row = rows[i];
      const bool is_nan = std::isnan(row.point.value);
      params.insert(params.end(),
                    {run_key, keys[i].key, is_nan ? 0.0 : row.point.value, row.point.timestamp,
                     row.point.step, int64_t{is_nan}, row.tail_chunk, row.tail_points});
    }
    return c.ExecuteDeferred(sql, params);
  });
}

// Appends each key's points to its history (to the tail chunk while that stays small, else in
// new chunks) and updates its latest_metrics row: a handful of multi-row statements however
// many keys the batch has.
// `current` holds the keys' latest_metrics rows as LoadRun read them.
Status WriteMetrics(SqlConnection& c, int64_t run_key, const std::vector<KeyPoints>& keys,
                    const std::unordered_map<std::string, LatestRow>& current) {
  if (keys.empty()) return OkStatus();
  std::vector<LatestRow> next(keys.size());
  const int64_t max_appended =
      c.dialect().UpdatesCopyRows() ? kMaxAppendedPointsWhereUpdatesCopy : kTailAppendLimit;
  std::vector<ChunkAppend> appends;
  std::vector<ChunkInsert> inserts;
  for (size_t k = 0; k < keys.size(); ++k) {
    const KeyPoints& key = keys[k];
    LatestRow& row = next[k];
    auto found = current.find(key.key);
    row.point = key.latest;
    if (found != current.end() && !ReplacesLatest(key.latest, found->second.point)) {
      row.point = found->second.point;
    }
    const int64_t count = static_cast<int64_t>(key.points.size());
    if (found != current.end() && count <= max_appended &&
        found->second.tail_points + count <= kTailAppendLimit) {
      appends.push_back({found->second.tail_chunk, Pack(key.points, 0, key.points.size())});
      row.tail_chunk = found->second.tail_chunk;
      row.tail_points = found->second.tail_points + count;
      continue;
    }
    for (size_t begin = 0; begin < key.points.size(); begin += kMaxChunkPoints) {
      const size_t end = std::min(key.points.size(), begin + kMaxChunkPoints);
      inserts.push_back({k, Pack(key.points, begin, end)});
      row.tail_points = static_cast<int64_t>(end - begin);
    }
  }
  RETURN_IF_ERROR(AppendToChunks(c, appends));
  RETURN_IF_ERROR(InsertChunks(c, run_key, keys, inserts, &next));
  return UpsertLatest(c, run_key, keys, next);
}

// Merges metric-only batches in arrival order into one (points concatenated per key).
std::vector<KeyPoints> MergeBatches(const std::vector<std::vector<KeyPoints>*>& batches) {
  std::vector<KeyPoints> merged;
  std::unordered_map<std::string, size_t> index;
  for (const std::vector<KeyPoints>* batch : batches) {
    for (const KeyPoints& key : *batch) {
      auto [it, added] = index.emplace(key.key, merged.size());
      if (added) {
        merged.push_back(key);
        continue;
      }
      KeyPoints& into = merged[it->second];
      if (ReplacesLatest(key.latest, into.latest)) into.latest = key.latest;
      into.points.insert(into.points.end(), key.points.begin(), key.points.end());
    }
  }
  return merged;
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

  if (params.empty() && tags.empty() && !db_->groups_writes()) {
    // Metric-only batches of one run are combined with those queued beside them. Sound because
    // such a batch can fail only for reasons every batch of the run shares (the run is missing
    // or not active, the database failed), so the group's status is each member's own. (Where
    // the database already groups writes into shared commits, SQLite, a second queue in front
    // of it only adds thread hand-offs: measured 10 % fewer log-metric requests/s.)
    return metric_writes_.Submit(
        run_id, &metrics, [&](const std::vector<std::vector<KeyPoints>*>& group) -> Status {
          std::vector<KeyPoints> merged;
          if (group.size() > 1) merged = MergeBatches(group);
          const std::vector<KeyPoints>& keys = group.size() > 1 ? merged : *group.front();
          return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
            std::unordered_map<std::string, LatestRow> latest;
            ASSIGN_OR_RETURN(RunKeyStage run, LoadRun(c, run_id, keys, &latest));
            return WriteMetrics(c, run.run_key, keys, latest);
          });
        });
  }
  return db_->Transact(TxnMode::kWrite, [&](SqlConnection& c) -> Status {
    std::unordered_map<std::string, LatestRow> latest;
    ASSIGN_OR_RETURN(RunKeyStage run, LoadRun(c, run_id, metrics, &latest));
    if (!params.empty()) RETURN_IF_ERROR(WriteParams(c, run.run_key, run_id, params));
    if (!tags.empty()) RETURN_IF_ERROR(WriteTags(c, run.run_key, tags));
    RETURN_IF_ERROR(WriteMetrics(c, run.run_key, metrics, latest));
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
    // Chunks are read a few at a time, more each round: a driver may hold a whole result in
    // memory (libpq does), and a page needs only max_points points of a history of any length.
    int64_t from_chunk = start_chunk;
    for (int64_t limit = 8;; limit = std::min<int64_t>(limit * 2, 1024)) {
      int64_t rows = 0;
      RETURN_IF_ERROR(c.Query(
          "SELECT chunk_id, points FROM metric_chunks WHERE run_key = ? AND key = ? "
          "AND chunk_id >= ? ORDER BY chunk_id LIMIT ?",
          {*run_key, Str(key), from_chunk, limit}, [&](const SqlRow& row) {
            ++rows;
            const int64_t chunk_id = row.GetInt(0);
            from_chunk = chunk_id + 1;
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
      if (!corrupt.ok() || !page.done || rows < limit) break;
    }
    return corrupt;
  }));
  return page;
}

}  // namespace mlhub::store
