// SPDX-License-Identifier: Apache-2.0
// SqlTrackingStore::SearchRuns. A page is chosen by one of three query shapes, picked from cheap
// row-count estimates (COUNTs over covering indexes, capped at a few thousand):
//   - filter-driven: the most selective metric/param/tag clause drives the query through its
//     (key, value) index; the matches are sorted. Also used when that clause is on the first
//     order key, whose index then yields rows already in order.
//   - segmented: the first order key is a metric/param/tag; its index is walked in value order
//     (real values, then NaN, then runs without the key), so LIMIT stops the scan early.
//   - run scan: runs of the experiments in start_time order (index) or sorted.
// Clauses other than the driver are EXISTS conditions. Then a few IN-list queries load the
// page's rows, metrics, params, tags and inputs.
#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>

#include "store/sql_search_sql.h"
#include "store/sql_store_internal.h"
#include "store/sql_tracking_store.h"
#include "store/store_util.h"

namespace mlhub::store {
namespace {

// Below this many rows a filter-driven or sorting plan is cheap whatever the order.
constexpr int64_t kFewRows = 2000;

bool IsKeyed(EntityType type) {
  return type == EntityType::kMetric || type == EntityType::kParam || type == EntityType::kTag;
}

class RunPageQuery {
 public:
  RunPageQuery(const RunQuery& query, std::vector<int64_t> experiment_ids,
               const SqlDialect& dialect, RunSearchPlan plan)
      : query_(query),
        plan_(plan),
        experiment_ids_(std::move(experiment_ids)),
        dialect_(dialect),
        builder_(SearchTarget::kRuns, dialect),
        limit_(query.max_results + 1) {}

  Status Prepare() {
    ASSIGN_OR_RETURN(clauses_, builder_.SplitFilter(query_.filter));
    // Validates every order key.
    RETURN_IF_ERROR(builder_.Order(query_.order_by, 0, {}).status());
    base_.sql = "r.experiment_id IN (" + SqlPlaceholders(experiment_ids_.size()) + ")";
    for (int64_t id : experiment_ids_) base_.params.emplace_back(id);
    if (query_.view_type == ViewType::kActiveOnly) {
      base_.sql.append(" AND r.lifecycle_stage = 'active'");
    } else if (query_.view_type == ViewType::kDeletedOnly) {
      base_.sql.append(" AND r.lifecycle_stage = 'deleted'");
    }
    return OkStatus();
  }

  // The page's run keys in order: up to max_results + 1 (one more tells that a next page exists).
  StatusOr<std::vector<int64_t>> Select(SqlConnection& c) {
    const OrderBy* first = query_.order_by.empty() ? nullptr : &query_.order_by.front();
    const bool first_keyed = first != nullptr && IsKeyed(first->type);
    if (plan_ != RunSearchPlan::kAuto) return Forced(c, first_keyed);
    std::vector<size_t> keyed;
    for (size_t i = 0; i < clauses_.size(); ++i) {
      if (!clauses_[i].keyed.has_value()) continue;
      const Comparison& k = *clauses_[i].keyed;
      if (first_keyed && k.type == first->type && k.key == first->key) return FilterDriven(c, i);
      keyed.push_back(i);
    }
    if (keyed.empty() && !first_keyed) return Collect(c, RunScan());

    // A clause matching few rows drives the query; otherwise scan in order and let LIMIT stop
    // early. Counts stop at kFewRows, so estimating stays cheap on big tables.
    double fewest = kFewRows;
    std::optional<size_t> driver;
    for (size_t i : keyed) {
      SqlFragment where;
      const std::string a = builder_.NewAlias("c");
      RETURN_IF_ERROR(builder_.KeyedCondition(*clauses_[i].keyed, a, &where));
      ASSIGN_OR_RETURN(const double matches,
                       Count(c, Capped(std::string(TableFor(i)) + " " + a, where)));
      if (matches < fewest) {
        fewest = matches;
        driver = i;
      }
    }
    if (driver.has_value()) return FilterDriven(c, *driver);
    if (!first_keyed) return Collect(c, RunScan());
    // The first order key's index spans every experiment: for few runs in scope, sort those.
    ASSIGN_OR_RETURN(const double in_scope, Count(c, Capped("runs r", base_)));
    if (in_scope < kFewRows) return Collect(c, RunScan());
    return Segmented(c);
  }

 private:
  StatusOr<std::vector<int64_t>> Forced(SqlConnection& c, bool first_keyed) {
    if (plan_ == RunSearchPlan::kSegmented && first_keyed) return Segmented(c);
    if (plan_ == RunSearchPlan::kFilterDriven) {
      for (size_t i = 0; i < clauses_.size(); ++i) {
        if (clauses_[i].keyed.has_value()) return FilterDriven(c, i);
      }
    }
    return Collect(c, RunScan());
  }

  std::string_view TableFor(size_t clause) const {
    return builder_.TableFor(clauses_[clause].keyed->type);
  }

  // base_ AND every clause but `skip`.
  SqlFragment Where(size_t skip = std::numeric_limits<size_t>::max()) const {
    SqlFragment where = base_;
    for (size_t i = 0; i < clauses_.size(); ++i) {
      if (i == skip) continue;
      where.Append(" AND ");
      where.Append(clauses_[i].condition);
    }
    return where;
  }

  // PostgreSQL wants every subquery in FROM named.
  static SqlFragment Capped(const std::string& from, const SqlFragment& where) {
    SqlFragment sql;
    sql.sql = "SELECT COUNT(*) FROM (SELECT 1 FROM " + from + " WHERE ";
    sql.Append(where);
    sql.Append(" LIMIT ?) capped");
    sql.params.emplace_back(kFewRows);
    return sql;
  }

  static StatusOr<double> Count(SqlConnection& c, const SqlFragment& sql) {
    double count = 0;
    RETURN_IF_ERROR(c.Query(sql.sql, sql.params, [&](const SqlRow& row) {
      count = static_cast<double>(row.GetInt(0));
      return false;
    }));
    return count;
  }

  // "SELECT r.run_key FROM <from><joins> WHERE <where> ORDER BY <order> LIMIT ? OFFSET ?"
  static SqlFragment PageSql(const std::string& from, const SqlFragment& joins,
                             const SqlFragment& where, const std::string& order, int64_t limit,
                             int64_t offset) {
    SqlFragment sql;
    sql.sql = "SELECT r.run_key FROM " + from;
    sql.Append(joins);
    sql.Append(" WHERE ");
    sql.Append(where);
    sql.Append(" ORDER BY " + order + " LIMIT ? OFFSET ?");
    sql.params.emplace_back(limit);
    sql.params.emplace_back(offset);
    return sql;
  }

  StatusOr<std::vector<int64_t>> Collect(SqlConnection& c, StatusOr<SqlFragment> sql) {
    if (!sql.ok()) return sql.status();
    std::vector<int64_t> keys;
    RETURN_IF_ERROR(c.Query(sql->sql, sql->params, [&](const SqlRow& row) {
      keys.push_back(row.GetInt(0));
      return true;
    }));
    return keys;
  }

  StatusOr<SqlFragment> RunScan() {
    ASSIGN_OR_RETURN(OrderSql order, builder_.Order(query_.order_by, 0, {}));
    return PageSql("runs r", order.joins, Where(), order.terms, limit_, query_.offset);
  }

  StatusOr<std::vector<int64_t>> FilterDriven(SqlConnection& c, size_t driver) {
    const Comparison& k = *clauses_[driver].keyed;
    const std::string d = builder_.NewAlias("d");
    ASSIGN_OR_RETURN(OrderSql order, builder_.Order(query_.order_by, 0, {{{k.type, k.key}, d}}));
    SqlFragment where;
    RETURN_IF_ERROR(builder_.KeyedCondition(k, d, &where));
    where.Append(" AND ");
    where.Append(Where(driver));
    // The driver stays the outer loop.
    const std::string from = std::string(TableFor(driver)) + " " + d +
                             std::string(dialect_.OrderedJoin()) + "runs r ON r.run_key = " + d +
                             ".run_key";
    return Collect(c, PageSql(from, order.joins, where, order.terms, limit_, query_.offset));
  }

  // Walks the first order key's index: real values in order, then NaN (metrics), then runs
  // without the key. Each segment is asked for what the page still needs; a segment skipped
  // entirely by the offset is counted.
  StatusOr<std::vector<int64_t>> Segmented(SqlConnection& c) {
    const OrderBy& first = query_.order_by.front();
    const bool metric = first.type == EntityType::kMetric;
    const std::string table(builder_.TableFor(first.type));
    ASSIGN_OR_RETURN(OrderSql rest, builder_.Order(query_.order_by, 1, {}));
    const std::string s = builder_.NewAlias("s");
    const std::string keyed_from = table + " " + s + std::string(dialect_.OrderedJoin()) +
                                   "runs r ON r.run_key = " + s + ".run_key";
    struct Segment {
      std::string from;
      SqlFragment condition;
      std::string order;
    };
    std::vector<Segment> segments;
    Segment values{keyed_from, {s + ".key = ?", {first.key}}, ""};
    if (metric) values.condition.sql.append(" AND " + s + ".is_nan = 0");
    values.order = s + ".value" + (first.ascending ? " ASC, " : " DESC, ") + rest.terms;
    segments.push_back(std::move(values));
    if (metric) {
      segments.push_back(
          {keyed_from, {s + ".key = ? AND " + s + ".is_nan = 1", {first.key}}, rest.terms});
    }
    const std::string m = builder_.NewAlias("m");
    segments.push_back({"runs r",
                        {"NOT EXISTS (SELECT 1 FROM " + table + " " + m + " WHERE " + m +
                             ".run_key = r.run_key AND " + m + ".key = ?)",
                         {first.key}},
                        rest.terms});

    std::vector<int64_t> keys;
    int64_t offset = query_.offset;
    for (const Segment& segment : segments) {
      const int64_t need = limit_ - static_cast<int64_t>(keys.size());
      if (need <= 0) break;
      SqlFragment where = segment.condition;
      where.Append(" AND ");
      where.Append(Where());
      const size_t before = keys.size();
      ASSIGN_OR_RETURN(std::vector<int64_t> got, Collect(c, PageSql(segment.from, rest.joins, where,
                                                                    segment.order, need, offset)));
      keys.insert(keys.end(), got.begin(), got.end());
      if (keys.size() > before) {
        offset = 0;
      } else if (offset > 0) {
        SqlFragment count;
        count.sql = "SELECT COUNT(*) FROM " + segment.from + " WHERE ";
        count.Append(where);
        ASSIGN_OR_RETURN(const double rows, Count(c, count));
        offset = std::max<int64_t>(0, offset - static_cast<int64_t>(rows));
      }
    }
    return keys;
  }

  const RunQuery& query_;
  const RunSearchPlan plan_;
  const std::vector<int64_t> experiment_ids_;
  const SqlDialect& dialect_;
  SearchSqlBuilder builder_;
  const int64_t limit_;
  std::vector<FilterClause> clauses_;
  SqlFragment base_;  // experiments and lifecycle stage
};

}  // namespace

StatusOr<RunPage> SqlTrackingStore::SearchRuns(const RunQuery& query) {
  RETURN_IF_ERROR(internal::CheckPageWindow(query.max_results, query.offset));
  std::vector<int64_t> experiment_ids;
  for (const std::string& id : query.experiment_ids) {
    std::optional<int64_t> parsed = ParseExperimentId(id);
    if (parsed.has_value()) experiment_ids.push_back(*parsed);
  }
  RunPage page;
  RunPageQuery page_query(query, experiment_ids, db_->dialect(), run_search_plan_);
  RETURN_IF_ERROR(page_query.Prepare());
  if (experiment_ids.empty()) return page;

  RETURN_IF_ERROR(db_->Transact(TxnMode::kRead, [&](SqlConnection& c) -> Status {
    page = RunPage();
    ASSIGN_OR_RETURN(std::vector<int64_t> keys, page_query.Select(c));
    if (static_cast<int64_t>(keys.size()) > query.max_results) {
      keys.resize(query.max_results);
      page.next_offset = query.offset + query.max_results;
    }
    std::unordered_map<int64_t, size_t> position;
    for (size_t i = 0; i < keys.size(); ++i) position.emplace(keys[i], i);
    page.runs.resize(keys.size());
    RETURN_IF_ERROR(
        internal::ForEachKeyBatch(keys, [&](std::string_view in, std::span<const SqlValue> p) {
          return c.Query(std::string("SELECT ") + internal::kRunColumns +
                             " FROM runs r WHERE r.run_key IN (" + std::string(in) + ")",
                         p, [&](const SqlRow& row) {
                           internal::RunRow run = internal::ReadRunRow(row);
                           page.runs[position[run.run_key]].info = std::move(run.info);
                           return true;
                         });
        }));
    return internal::LoadRunData(c, keys, &page.runs);
  }));
  return page;
}

}  // namespace mlhub::store
