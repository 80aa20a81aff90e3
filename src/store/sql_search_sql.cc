// SPDX-License-Identifier: Apache-2.0
#include "store/sql_search_sql.h"

#include <set>
#include <span>
#include <string_view>
#include <utility>

namespace mlhub::store {
namespace {

enum class ColumnKind { kString, kNumeric };

struct AttributeColumn {
  std::string_view key;
  std::string_view column;
  ColumnKind kind;
  bool nullable;
};

constexpr AttributeColumn kRunAttributes[] = {
    {"run_id", "r.run_id", ColumnKind::kString, false},
    {"run_name", "r.name", ColumnKind::kString, false},
    {"status", "r.status", ColumnKind::kString, false},
    {"user_id", "r.user_id", ColumnKind::kString, false},
    {"artifact_uri", "r.artifact_uri", ColumnKind::kString, false},
    {"lifecycle_stage", "r.lifecycle_stage", ColumnKind::kString, false},
    {"start_time", "r.start_time", ColumnKind::kNumeric, false},
    {"created", "r.start_time", ColumnKind::kNumeric, false},
    {"end_time", "r.end_time", ColumnKind::kNumeric, true},
};

constexpr AttributeColumn kExperimentAttributes[] = {
    {"name", "e.name", ColumnKind::kString, false},
    {"experiment_id", "e.experiment_id", ColumnKind::kNumeric, false},
    {"creation_time", "e.creation_time", ColumnKind::kNumeric, false},
    {"last_update_time", "e.last_update_time", ColumnKind::kNumeric, false},
    {"lifecycle_stage", "e.lifecycle_stage", ColumnKind::kString, false},
};

constexpr AttributeColumn kRegisteredModelAttributes[] = {
    {"name", "m.name", ColumnKind::kString, false},
    {"creation_timestamp", "m.creation_timestamp", ColumnKind::kNumeric, false},
    {"last_updated_timestamp", "m.last_updated_timestamp", ColumnKind::kNumeric, false},
};

constexpr AttributeColumn kModelVersionAttributes[] = {
    {"name", "m.name", ColumnKind::kString, false},
    {"run_id", "v.run_id", ColumnKind::kString, false},
    {"source_path", "v.source", ColumnKind::kString, false},
    {"version_number", "v.version", ColumnKind::kNumeric, false},
    {"creation_timestamp", "v.creation_timestamp", ColumnKind::kNumeric, false},
    {"last_updated_timestamp", "v.last_updated_timestamp", ColumnKind::kNumeric, false},
};

// run_id is special: the trace's mlflow.sourceRun metadata, or a run it is linked to.
constexpr AttributeColumn kTraceAttributes[] = {
    {"trace_id", "t.trace_id", ColumnKind::kString, false},
    {"client_request_id", "t.client_request_id", ColumnKind::kString, false},
    {"timestamp_ms", "t.request_time_ms", ColumnKind::kNumeric, false},
    {"execution_time_ms", "t.execution_duration_ms", ColumnKind::kNumeric, true},
    {"status", "t.state", ColumnKind::kString, false},
};

std::string_view TypeName(EntityType type) {
  switch (type) {
    case EntityType::kMetric:
      return "metric";
    case EntityType::kParam:
      return "param";
    case EntityType::kTag:
      return "tag";
    case EntityType::kAttribute:
      return "attribute";
    case EntityType::kDataset:
      return "dataset";
  }
  return "?";
}

std::string_view OperatorSql(Comparator op) {
  switch (op) {
    case Comparator::kEq:
      return " = ?";
    case Comparator::kNe:
      return " <> ?";
    case Comparator::kLt:
      return " < ?";
    case Comparator::kLe:
      return " <= ?";
    case Comparator::kGt:
      return " > ?";
    case Comparator::kGe:
      return " >= ?";
    default:
      return "";
  }
}

bool IsOrdering(Comparator op) {
  return op == Comparator::kEq || op == Comparator::kNe || op == Comparator::kLt ||
         op == Comparator::kLe || op == Comparator::kGt || op == Comparator::kGe;
}

Status Invalid(const Comparison& c, std::string_view why) {
  return InvalidArgumentError("invalid search clause on " + std::string(TypeName(c.type)) + " '" +
                              c.key + "': " + std::string(why));
}

bool IsKeyed(EntityType type) {
  return type == EntityType::kMetric || type == EntityType::kParam || type == EntityType::kTag;
}

std::span<const AttributeColumn> AttributesOf(SearchTarget target) {
  switch (target) {
    case SearchTarget::kRuns:
      return kRunAttributes;
    case SearchTarget::kExperiments:
      return kExperimentAttributes;
    case SearchTarget::kRegisteredModels:
      return kRegisteredModelAttributes;
    case SearchTarget::kModelVersions:
      return kModelVersionAttributes;
    case SearchTarget::kTraces:
      return kTraceAttributes;
  }
  return {};
}

const AttributeColumn* FindAttribute(SearchTarget target, std::string_view key) {
  for (const AttributeColumn& column : AttributesOf(target)) {
    if (column.key == key) return &column;
  }
  return nullptr;
}

Status ValueCondition(std::string_view column, ColumnKind kind, const Comparison& c,
                      const SqlDialect& dialect, SqlFragment* out) {
  if (kind == ColumnKind::kNumeric) {
    const double* number = std::get_if<double>(&c.value);
    if (number == nullptr || !IsOrdering(c.op)) {
      return Invalid(c, "compares with = != < <= > >= and a number");
    }
    out->sql.append(column).append(OperatorSql(c.op));
    out->params.emplace_back(*number);
    return OkStatus();
  }
  if (c.op == Comparator::kIn || c.op == Comparator::kNotIn) {
    const auto* list = std::get_if<std::vector<std::string>>(&c.value);
    if (list == nullptr) return Invalid(c, "IN takes a list of strings");
    const bool negate = c.op == Comparator::kNotIn;
    if (list->empty()) {
      out->sql.append(negate ? "1 = 1" : "1 = 0");
      return OkStatus();
    }
    out->sql.append(column).append(negate ? " NOT IN (" : " IN (");
    out->sql.append(SqlPlaceholders(list->size())).append(")");
    for (const std::string& item : *list) out->params.emplace_back(item);
    return OkStatus();
  }
  const std::string* text = std::get_if<std::string>(&c.value);
  if (text == nullptr) return Invalid(c, "compares with a quoted string");
  if (c.op == Comparator::kLike) {
    out->sql.append(dialect.CaseSensitiveLike(column));
  } else if (c.op == Comparator::kILike) {
    out->sql.append(dialect.CaseInsensitiveLike(column));
  } else {
    out->sql.append(column).append(OperatorSql(c.op));
  }
  out->params.emplace_back(*text);
  return OkStatus();
}

void CollectAnd(const FilterExpr& expr, std::vector<const FilterExpr*>* out) {
  if (expr.kind == FilterExpr::Kind::kAnd) {
    for (const FilterExpr& child : expr.children) CollectAnd(child, out);
  } else {
    out->push_back(&expr);
  }
}

}  // namespace

std::string_view SearchSqlBuilder::TableFor(EntityType type) const {
  if (target_ == SearchTarget::kTraces) {
    return type == EntityType::kTag     ? "trace_tags"
           : type == EntityType::kParam ? "trace_metadata"
                                        : "";
  }
  if (target_ != SearchTarget::kRuns) {
    if (type != EntityType::kTag) return "";
    switch (target_) {
      case SearchTarget::kExperiments:
        return "experiment_tags";
      case SearchTarget::kRegisteredModels:
        return "registered_model_tags";
      default:
        return "model_version_tags";
    }
  }
  switch (type) {
    case EntityType::kMetric:
      return "latest_metrics";
    case EntityType::kParam:
      return "params";
    case EntityType::kTag:
      return "tags";
    default:
      return "";
  }
}

std::string_view SearchSqlBuilder::OwnerColumn() const {
  switch (target_) {
    case SearchTarget::kRuns:
      return "run_key";
    case SearchTarget::kExperiments:
      return "experiment_id";
    case SearchTarget::kRegisteredModels:
      return "model_key";
    case SearchTarget::kModelVersions:
      return "version_key";
    case SearchTarget::kTraces:
      return "trace_id";
  }
  return "";
}

std::string_view SearchSqlBuilder::OwnerExpr() const {
  switch (target_) {
    case SearchTarget::kRuns:
      return "r.run_key";
    case SearchTarget::kExperiments:
      return "e.experiment_id";
    case SearchTarget::kRegisteredModels:
      return "m.model_key";
    case SearchTarget::kModelVersions:
      return "v.version_key";
    case SearchTarget::kTraces:
      return "t.trace_id";
  }
  return "";
}

std::string SearchSqlBuilder::NewAlias(std::string_view prefix) {
  return std::string(prefix) + std::to_string(next_alias_++);
}

StatusOr<std::vector<FilterClause>> SearchSqlBuilder::SplitFilter(
    const std::optional<FilterExpr>& filter) {
  std::vector<FilterClause> clauses;
  if (!filter.has_value()) return clauses;
  std::vector<const FilterExpr*> parts;
  CollectAnd(*filter, &parts);
  for (const FilterExpr* part : parts) {
    FilterClause clause;
    RETURN_IF_ERROR(Condition(*part, &clause.condition));
    if (part->kind == FilterExpr::Kind::kComparison && IsKeyed(part->comparison.type)) {
      clause.keyed = part->comparison;
    }
    clauses.push_back(std::move(clause));
  }
  return clauses;
}

Status SearchSqlBuilder::Condition(const FilterExpr& expr, SqlFragment* out) {
  if (expr.kind == FilterExpr::Kind::kComparison) return ComparisonCondition(expr.comparison, out);
  if (expr.children.empty()) return InvalidArgumentError("empty AND/OR in search filter");
  const char* joiner = expr.kind == FilterExpr::Kind::kAnd ? " AND " : " OR ";
  out->sql.append("(");
  for (size_t i = 0; i < expr.children.size(); ++i) {
    if (i > 0) out->sql.append(joiner);
    RETURN_IF_ERROR(Condition(expr.children[i], out));
  }
  out->sql.append(")");
  return OkStatus();
}

Status SearchSqlBuilder::ComparisonCondition(const Comparison& c, SqlFragment* out) {
  if (target_ == SearchTarget::kTraces && c.type == EntityType::kAttribute && c.key == "run_id") {
    const std::string n = std::to_string(next_alias_++);
    out->sql.append("(EXISTS (SELECT 1 FROM trace_metadata s" + n + " WHERE s" + n +
                    ".trace_id = t.trace_id AND s" + n + ".key = 'mlflow.sourceRun' AND ");
    RETURN_IF_ERROR(ValueCondition("s" + n + ".value", ColumnKind::kString, c, dialect_, out));
    out->sql.append(") OR EXISTS (SELECT 1 FROM trace_run_links l" + n + " WHERE l" + n +
                    ".trace_id = t.trace_id AND ");
    RETURN_IF_ERROR(ValueCondition("l" + n + ".run_id", ColumnKind::kString, c, dialect_, out));
    out->sql.append("))");
    return OkStatus();
  }
  if (c.type == EntityType::kAttribute) {
    const AttributeColumn* column = FindAttribute(target_, c.key);
    if (column == nullptr) return Invalid(c, "unknown attribute");
    return ValueCondition(column->column, column->kind, c, dialect_, out);
  }
  if (IsKeyed(c.type)) {
    std::string_view table = TableFor(c.type);
    if (table.empty()) return Invalid(c, "not searchable here");
    const std::string a = NewAlias("x");
    // In the registry, `tags.k != 'v'` holds for models and versions without the tag too, as in
    // MLflow: its clients (2.21 on) add tags.`mlflow.prompt.is_prompt` != 'true' to every
    // registry search, to leave prompts out. So it is "no tag k with value v" there.
    const bool missing_matches =
        c.type == EntityType::kTag && c.op == Comparator::kNe &&
        (target_ == SearchTarget::kRegisteredModels || target_ == SearchTarget::kModelVersions);
    out->sql.append(missing_matches ? "NOT EXISTS (SELECT 1 FROM " : "EXISTS (SELECT 1 FROM ");
    out->sql.append(table).append(" ").append(a);
    out->sql.append(" WHERE ").append(a).append(".").append(OwnerColumn()).append(" = ");
    out->sql.append(OwnerExpr()).append(" AND ");
    if (missing_matches) {
      Comparison equal = c;
      equal.op = Comparator::kEq;
      RETURN_IF_ERROR(KeyedCondition(equal, a, out));
    } else {
      RETURN_IF_ERROR(KeyedCondition(c, a, out));
    }
    out->sql.append(")");
    return OkStatus();
  }
  if (target_ != SearchTarget::kRuns) return Invalid(c, "not searchable here");
  const std::string n = std::to_string(next_alias_++);
  if (c.key == "name" || c.key == "digest") {
    out->sql.append("EXISTS (SELECT 1 FROM run_inputs i" + n + " JOIN datasets d" + n + " ON d" +
                    n + ".dataset_id = i" + n + ".dataset_id WHERE i" + n +
                    ".run_key = r.run_key AND ");
    RETURN_IF_ERROR(ValueCondition("d" + n + "." + c.key, ColumnKind::kString, c, dialect_, out));
    out->sql.append(")");
    return OkStatus();
  }
  if (c.key == "context") {
    out->sql.append("EXISTS (SELECT 1 FROM run_inputs i" + n + " JOIN input_tags t" + n + " ON t" +
                    n + ".input_id = i" + n + ".input_id WHERE i" + n +
                    ".run_key = r.run_key AND t" + n + ".key = 'mlflow.data.context' AND ");
    RETURN_IF_ERROR(ValueCondition("t" + n + ".value", ColumnKind::kString, c, dialect_, out));
    out->sql.append(")");
    return OkStatus();
  }
  return Invalid(c, "datasets can be searched by name, digest and context");
}

Status SearchSqlBuilder::KeyedCondition(const Comparison& c, const std::string& a,
                                        SqlFragment* out) const {
  out->sql.append(a).append(".key = ?");
  out->params.emplace_back(c.key);
  out->sql.append(" AND ");
  if (c.type != EntityType::kMetric) {
    return ValueCondition(a + ".value", ColumnKind::kString, c, dialect_, out);
  }
  const double* number = std::get_if<double>(&c.value);
  if (number == nullptr || !IsOrdering(c.op)) {
    return Invalid(c, "metrics compare with = != < <= > >= and a number");
  }
  // NaN is stored as value 0 with is_nan set; it equals nothing and differs from everything.
  if (c.op == Comparator::kNe) {
    out->sql.append("(").append(a).append(".is_nan = 1 OR ").append(a).append(".value <> ?)");
  } else {
    out->sql.append(a).append(".is_nan = 0 AND ").append(a).append(".value");
    out->sql.append(OperatorSql(c.op));
  }
  out->params.emplace_back(*number);
  return OkStatus();
}

StatusOr<OrderSql> SearchSqlBuilder::Order(const std::vector<OrderBy>& order_by, size_t first,
                                           const JoinedKeys& joined) {
  OrderSql out;
  std::vector<std::string> terms;
  std::set<std::string_view> attributes;  // attribute columns among all the keys
  for (size_t i = 0; i < order_by.size(); ++i) {
    const OrderBy& key = order_by[i];
    const std::string direction = key.ascending ? " ASC" : " DESC";
    if (key.type == EntityType::kAttribute) {
      const AttributeColumn* column = FindAttribute(target_, key.key);
      if (column == nullptr || column->key == "lifecycle_stage") {
        return InvalidArgumentError("invalid order_by attribute '" + key.key + "'");
      }
      attributes.insert(column->column);
      if (i < first) continue;
      std::string term;
      if (column->nullable) term.append("(").append(column->column).append(" IS NULL), ");
      term.append(column->column).append(direction);
      terms.push_back(std::move(term));
      continue;
    }
    if (!IsKeyed(key.type) || target_ != SearchTarget::kRuns) {
      return InvalidArgumentError("invalid order_by key " + std::string(TypeName(key.type)) + ".'" +
                                  key.key + "'");
    }
    if (i < first) continue;
    const bool metric = key.type == EntityType::kMetric;
    auto found = joined.find({key.type, key.key});
    if (found != joined.end()) {
      const std::string& a = found->second;
      terms.push_back(metric ? a + ".is_nan, " + a + ".value" + direction
                             : a + ".value" + direction);
      continue;
    }
    const std::string a = NewAlias("o");
    SqlFragment& j = out.joins;
    j.sql.append(" LEFT JOIN ").append(TableFor(key.type)).append(" ").append(a);
    j.sql.append(" ON ").append(a).append(".").append(OwnerColumn()).append(" = ");
    j.sql.append(OwnerExpr()).append(" AND ").append(a).append(".key = ?");
    j.params.emplace_back(key.key);
    if (metric) {
      terms.push_back("(" + a + ".run_key IS NULL), " + a + ".is_nan, " + a + ".value" + direction);
    } else {
      terms.push_back("(" + a + ".value IS NULL), " + a + ".value" + direction);
    }
  }
  // MLflow's tie-breakers (and default orders) per entity.
  switch (target_) {
    case SearchTarget::kRuns:
      if (!attributes.contains("r.start_time")) terms.push_back("r.start_time DESC");
      if (!attributes.contains("r.run_id")) terms.push_back("r.run_id ASC");
      break;
    case SearchTarget::kExperiments:
      if (order_by.empty()) terms.push_back("e.creation_time DESC");
      if (!attributes.contains("e.experiment_id")) terms.push_back("e.experiment_id ASC");
      break;
    case SearchTarget::kRegisteredModels:
      if (!attributes.contains("m.name")) terms.push_back("m.name ASC");
      break;
    case SearchTarget::kTraces:
      if (!attributes.contains("t.request_time_ms")) terms.push_back("t.request_time_ms DESC");
      if (!attributes.contains("t.trace_id")) terms.push_back("t.trace_id ASC");
      break;
    case SearchTarget::kModelVersions:
      if (!attributes.contains("v.last_updated_timestamp")) {
        terms.push_back("v.last_updated_timestamp DESC");
      }
      if (!attributes.contains("m.name")) terms.push_back("m.name ASC");
      if (!attributes.contains("v.version")) terms.push_back("v.version DESC");
      break;
  }
  for (size_t i = 0; i < terms.size(); ++i) {
    if (i > 0) out.terms.append(", ");
    out.terms.append(terms[i]);
  }
  return out;
}

StatusOr<SqlFragment> SearchPageSql(SearchTarget target, const SqlDialect& dialect,
                                    std::string select_from, std::string_view base_condition,
                                    const std::optional<FilterExpr>& filter,
                                    const std::vector<OrderBy>& order_by, int64_t max_results,
                                    int64_t offset) {
  SearchSqlBuilder builder(target, dialect);
  ASSIGN_OR_RETURN(std::vector<FilterClause> clauses, builder.SplitFilter(filter));
  ASSIGN_OR_RETURN(OrderSql order, builder.Order(order_by, 0, {}));
  SqlFragment sql;
  sql.sql = std::move(select_from);
  sql.Append(order.joins);
  sql.sql.append(" WHERE ").append(base_condition);
  for (const FilterClause& clause : clauses) {
    sql.Append(" AND ");
    sql.Append(clause.condition);
  }
  sql.sql.append(" ORDER BY ").append(order.terms).append(" LIMIT ? OFFSET ?");
  sql.params.emplace_back(max_results + 1);
  sql.params.emplace_back(offset);
  return sql;
}

}  // namespace mlhub::store
