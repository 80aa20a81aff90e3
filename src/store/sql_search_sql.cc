// SPDX-License-Identifier: Apache-2.0
#include "store/sql_search_sql.h"

#include <map>
#include <set>
#include <string_view>
#include <utility>

namespace mlhub::store {
namespace {

enum class Target { kRuns, kExperiments };
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

class Translator {
 public:
  Translator(Target target, const SqlDialect& dialect) : target_(target), dialect_(dialect) {}

  Status AddFilter(const FilterExpr& expr) {
    if (expr.kind == FilterExpr::Kind::kAnd) {
      for (const FilterExpr& child : expr.children) RETURN_IF_ERROR(AddFilter(child));
      return OkStatus();
    }
    if (expr.kind == FilterExpr::Kind::kComparison && IsKeyed(expr.comparison.type)) {
      return AddJoin(expr.comparison);
    }
    SqlFragment condition;
    RETURN_IF_ERROR(Condition(expr, &condition));
    where_.push_back(std::move(condition));
    return OkStatus();
  }

  Status AddOrder(const std::vector<OrderBy>& order_by) {
    std::set<std::string_view> attributes;
    for (const OrderBy& key : order_by) {
      const std::string_view direction = key.ascending ? " ASC" : " DESC";
      if (key.type == EntityType::kAttribute) {
        const AttributeColumn* column = FindAttribute(key.key);
        if (column == nullptr || (target_ == Target::kExperiments && column->key == "lifecycle_stage")) {
          return InvalidArgumentError("invalid order_by attribute '" + key.key + "'");
        }
        attributes.insert(column->column);
        std::string term;
        if (column->nullable) term.append("(").append(column->column).append(" IS NULL), ");
        term.append(column->column).append(direction);
        order_.push_back(std::move(term));
        continue;
      }
      if (!IsKeyed(key.type) || TableFor(key.type).empty() ||
          (target_ == Target::kExperiments)) {
        return InvalidArgumentError("invalid order_by key " + std::string(TypeName(key.type)) +
                                    ".'" + key.key + "'");
      }
      const bool metric = key.type == EntityType::kMetric;
      auto joined = joined_.find({key.type, key.key});
      if (joined != joined_.end()) {  // an inner join guarantees the run has the key
        const std::string& a = joined->second;
        order_.push_back(metric ? a + ".is_nan, " + a + ".value" + std::string(direction)
                                : a + ".value" + std::string(direction));
        continue;
      }
      const std::string a = "o" + std::to_string(next_alias_++);
      left_joins_.sql.append(" LEFT JOIN ").append(TableFor(key.type)).append(" ").append(a);
      left_joins_.sql.append(" ON ").append(a).append(".").append(OwnerColumn());
      left_joins_.sql.append(" = ").append(OwnerExpr()).append(" AND ").append(a);
      left_joins_.sql.append(".key = ?");
      left_joins_.params.emplace_back(key.key);
      // Runs missing the key sort last either way; NaN metrics after every real value.
      if (metric) {
        order_.push_back("(" + a + ".run_key IS NULL), " + a + ".is_nan, " + a + ".value" +
                         std::string(direction));
      } else {
        order_.push_back("(" + a + ".value IS NULL), " + a + ".value" + std::string(direction));
      }
    }
    if (target_ == Target::kRuns) {
      if (!attributes.contains("r.start_time")) order_.push_back("r.start_time DESC");
      if (!attributes.contains("r.run_id")) order_.push_back("r.run_id ASC");
    } else {
      if (order_by.empty()) order_.push_back("e.creation_time DESC");
      if (!attributes.contains("e.experiment_id")) order_.push_back("e.experiment_id ASC");
    }
    return OkStatus();
  }

  SearchSql Finish() {
    SearchSql out;
    out.joins = std::move(inner_joins_);
    out.joins.Append(left_joins_);
    if (where_.empty()) out.where.sql = "1 = 1";
    for (size_t i = 0; i < where_.size(); ++i) {
      if (i > 0) out.where.sql.append(" AND ");
      out.where.Append(where_[i]);
    }
    for (size_t i = 0; i < order_.size(); ++i) {
      if (i > 0) out.order_by.append(", ");
      out.order_by.append(order_[i]);
    }
    return out;
  }

 private:
  static bool IsKeyed(EntityType type) {
    return type == EntityType::kMetric || type == EntityType::kParam || type == EntityType::kTag;
  }

  std::string_view TableFor(EntityType type) const {
    if (target_ == Target::kExperiments) return type == EntityType::kTag ? "experiment_tags" : "";
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
  std::string_view OwnerColumn() const {
    return target_ == Target::kRuns ? "run_key" : "experiment_id";
  }
  std::string_view OwnerExpr() const {
    return target_ == Target::kRuns ? "r.run_key" : "e.experiment_id";
  }

  const AttributeColumn* FindAttribute(std::string_view key) const {
    if (target_ == Target::kRuns) {
      for (const AttributeColumn& column : kRunAttributes) {
        if (column.key == key) return &column;
      }
    } else {
      for (const AttributeColumn& column : kExperimentAttributes) {
        if (column.key == key) return &column;
      }
    }
    return nullptr;
  }

  Status AddJoin(const Comparison& c) {
    std::string_view table = TableFor(c.type);
    if (table.empty()) return Invalid(c, "not searchable here");
    const std::string a = "f" + std::to_string(next_alias_++);
    inner_joins_.sql.append(" JOIN ").append(table).append(" ").append(a).append(" ON ");
    inner_joins_.sql.append(a).append(".").append(OwnerColumn()).append(" = ");
    inner_joins_.sql.append(OwnerExpr()).append(" AND ");
    RETURN_IF_ERROR(KeyedCondition(c, a, &inner_joins_));
    joined_.emplace(std::make_pair(c.type, c.key), a);
    return OkStatus();
  }

  Status Condition(const FilterExpr& expr, SqlFragment* out) {
    if (expr.kind == FilterExpr::Kind::kComparison) {
      return ComparisonCondition(expr.comparison, out);
    }
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

  Status ComparisonCondition(const Comparison& c, SqlFragment* out) {
    if (c.type == EntityType::kAttribute) {
      const AttributeColumn* column = FindAttribute(c.key);
      if (column == nullptr) return Invalid(c, "unknown attribute");
      return ValueCondition(column->column, column->kind, c, out);
    }
    if (IsKeyed(c.type)) {
      std::string_view table = TableFor(c.type);
      if (table.empty()) return Invalid(c, "not searchable here");
      const std::string a = "x" + std::to_string(next_alias_++);
      out->sql.append("EXISTS (SELECT 1 FROM ").append(table).append(" ").append(a);
      out->sql.append(" WHERE ").append(a).append(".").append(OwnerColumn()).append(" = ");
      out->sql.append(OwnerExpr()).append(" AND ");
      RETURN_IF_ERROR(KeyedCondition(c, a, out));
      out->sql.append(")");
      return OkStatus();
    }
    if (target_ != Target::kRuns) return Invalid(c, "not searchable here");
    const std::string n = std::to_string(next_alias_++);
    if (c.key == "name" || c.key == "digest") {
      out->sql.append("EXISTS (SELECT 1 FROM run_inputs i" + n + " JOIN datasets d" + n +
                      " ON d" + n + ".dataset_id = i" + n + ".dataset_id WHERE i" + n +
                      ".run_key = r.run_key AND ");
      RETURN_IF_ERROR(ValueCondition("d" + n + "." + c.key, ColumnKind::kString, c, out));
      out->sql.append(")");
      return OkStatus();
    }
    if (c.key == "context") {
      out->sql.append("EXISTS (SELECT 1 FROM run_inputs i" + n + " JOIN input_tags t" + n +
                      " ON t" + n + ".input_id = i" + n + ".input_id WHERE i" + n +
                      ".run_key = r.run_key AND t" + n + ".key = 'mlflow.data.context' AND ");
      RETURN_IF_ERROR(ValueCondition("t" + n + ".value", ColumnKind::kString, c, out));
      out->sql.append(")");
      return OkStatus();
    }
    return Invalid(c, "datasets can be searched by name, digest and context");
  }

  // `<a>.key = ? AND <condition on a's value>` for a metric/param/tag row aliased `a`.
  Status KeyedCondition(const Comparison& c, const std::string& a, SqlFragment* out) {
    out->sql.append(a).append(".key = ?");
    out->params.emplace_back(c.key);
    out->sql.append(" AND ");
    if (c.type != EntityType::kMetric) {
      return ValueCondition(a + ".value", ColumnKind::kString, c, out);
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

  Status ValueCondition(std::string_view column, ColumnKind kind, const Comparison& c,
                        SqlFragment* out) {
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
      out->sql.append(dialect_.CaseSensitiveLike(column));
    } else if (c.op == Comparator::kILike) {
      out->sql.append(dialect_.CaseInsensitiveLike(column));
    } else {
      out->sql.append(column).append(OperatorSql(c.op));
    }
    out->params.emplace_back(*text);
    return OkStatus();
  }

  const Target target_;
  const SqlDialect& dialect_;
  SqlFragment inner_joins_;
  SqlFragment left_joins_;
  std::vector<SqlFragment> where_;
  std::vector<std::string> order_;
  std::map<std::pair<EntityType, std::string>, std::string> joined_;
  int next_alias_ = 0;
};

StatusOr<SearchSql> Translate(Target target, const std::optional<FilterExpr>& filter,
                              const std::vector<OrderBy>& order_by, const SqlDialect& dialect) {
  Translator translator(target, dialect);
  if (filter.has_value()) RETURN_IF_ERROR(translator.AddFilter(*filter));
  RETURN_IF_ERROR(translator.AddOrder(order_by));
  return translator.Finish();
}

}  // namespace

StatusOr<SearchSql> TranslateRunSearch(const std::optional<FilterExpr>& filter,
                                       const std::vector<OrderBy>& order_by,
                                       const SqlDialect& dialect) {
  return Translate(Target::kRuns, filter, order_by, dialect);
}

StatusOr<SearchSql> TranslateExperimentSearch(const std::optional<FilterExpr>& filter,
                                              const std::vector<OrderBy>& order_by,
                                              const SqlDialect& dialect) {
  return Translate(Target::kExperiments, filter, order_by, dialect);
}

}  // namespace mlhub::store
