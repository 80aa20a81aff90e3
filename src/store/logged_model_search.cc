// SPDX-License-Identifier: Apache-2.0
#include "store/logged_model_search.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mlhub::store::internal {
namespace {

// SQL's LIKE: '%' any run of characters, '_' any one character.
bool Like(std::string_view text, std::string_view pattern) {
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '_' || pattern[p] == text[t])) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// =, !=, <, <=, >, >= between values of one type; false for other operators.
template <typename T>
bool Ordered(const T& actual, Comparator op, const T& wanted) {
  switch (op) {
    case Comparator::kEq:
      return actual == wanted;
    case Comparator::kNe:
      return actual != wanted;
    case Comparator::kLt:
      return actual < wanted;
    case Comparator::kLe:
      return actual <= wanted;
    case Comparator::kGt:
      return actual > wanted;
    case Comparator::kGe:
      return actual >= wanted;
    default:
      return false;
  }
}

bool CompareText(std::string_view actual, const Comparison& cmp) {
  if (const auto* list = std::get_if<std::vector<std::string>>(&cmp.value)) {
    const bool in = std::find(list->begin(), list->end(), actual) != list->end();
    return cmp.op == Comparator::kNotIn ? !in : in;
  }
  const std::string* wanted = std::get_if<std::string>(&cmp.value);
  if (wanted == nullptr) return false;
  if (cmp.op == Comparator::kLike) return Like(actual, *wanted);
  if (cmp.op == Comparator::kILike) return Like(Lower(actual), Lower(*wanted));
  return Ordered(actual, cmp.op, std::string_view(*wanted));
}

bool CompareNumber(double actual, const Comparison& cmp) {
  const double* wanted = std::get_if<double>(&cmp.value);
  return wanted != nullptr && Ordered(actual, cmp.op, *wanted);
}

template <typename KeyValue>
bool CompareKeyValue(const std::vector<KeyValue>& items, const Comparison& cmp) {
  for (const KeyValue& item : items) {
    if (item.key == cmp.key) return CompareText(item.value, cmp);
  }
  return false;  // a missing key matches nothing, `!=` included (as in SQL)
}

std::string_view StatusName(LoggedModelStatus status) {
  switch (status) {
    case LoggedModelStatus::kPending:
      return "LOGGED_MODEL_PENDING";
    case LoggedModelStatus::kReady:
      return "LOGGED_MODEL_READY";
    case LoggedModelStatus::kUploadFailed:
      return "LOGGED_MODEL_UPLOAD_FAILED";
    case LoggedModelStatus::kUnspecified:
      break;
  }
  return "LOGGED_MODEL_STATUS_UNSPECIFIED";
}

// LOGGED_MODEL_READY for READY (and the other short names, FAILED among them, as MLflow's
// Python LoggedModelStatus spells them); anything else as it is.
std::string CanonicalStatus(std::string_view text) {
  const std::string upper = [&] {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  }();
  if (upper == "PENDING") return "LOGGED_MODEL_PENDING";
  if (upper == "READY") return "LOGGED_MODEL_READY";
  if (upper == "FAILED" || upper == "UPLOAD_FAILED") return "LOGGED_MODEL_UPLOAD_FAILED";
  return std::string(text);
}

bool MatchesAttribute(const LoggedModel& model, const Comparison& cmp) {
  if (cmp.key == "creation_timestamp") {
    return CompareNumber(static_cast<double>(model.creation_timestamp_ms), cmp);
  }
  if (cmp.key == "last_updated_timestamp") {
    return CompareNumber(static_cast<double>(model.last_updated_timestamp_ms), cmp);
  }
  if (cmp.key == "status") {
    // Compared by canonical name, whichever spelling the filter uses.
    Comparison canonical = cmp;
    if (auto* one = std::get_if<std::string>(&canonical.value)) *one = CanonicalStatus(*one);
    if (auto* list = std::get_if<std::vector<std::string>>(&canonical.value)) {
      for (std::string& item : *list) item = CanonicalStatus(item);
    }
    return CompareText(StatusName(model.status), canonical);
  }
  const std::string* text = cmp.key == "name"            ? &model.name
                            : cmp.key == "model_id"      ? &model.model_id
                            : cmp.key == "model_type"    ? &model.model_type
                            : cmp.key == "source_run_id" ? &model.source_run_id
                                                         : nullptr;
  return text != nullptr && CompareText(*text, cmp);
}

bool OnDataset(const ModelMetric& m, const DatasetMatch& dataset) {
  return (dataset.name.empty() || m.dataset_name == dataset.name) &&
         (dataset.digest.empty() || m.dataset_digest == dataset.digest);
}

bool OnAnyDataset(const ModelMetric& m, const std::vector<DatasetMatch>& datasets) {
  return datasets.empty() || std::any_of(datasets.begin(), datasets.end(),
                                         [&](const DatasetMatch& d) { return OnDataset(m, d); });
}

bool Matches(const LoggedModel& model, const FilterExpr& filter,
             const std::vector<DatasetMatch>& datasets) {
  switch (filter.kind) {
    case FilterExpr::Kind::kAnd:
      return std::all_of(filter.children.begin(), filter.children.end(),
                         [&](const FilterExpr& child) { return Matches(model, child, datasets); });
    case FilterExpr::Kind::kOr:
      return std::any_of(filter.children.begin(), filter.children.end(),
                         [&](const FilterExpr& child) { return Matches(model, child, datasets); });
    case FilterExpr::Kind::kComparison:
      break;
  }
  const Comparison& cmp = filter.comparison;
  switch (cmp.type) {
    case EntityType::kAttribute:
      return MatchesAttribute(model, cmp);
    case EntityType::kParam:
      return CompareKeyValue(model.params, cmp);
    case EntityType::kTag:
      return CompareKeyValue(model.tags, cmp);
    case EntityType::kMetric:
      // Any of the model's values of that metric (from any run), on the datasets asked for.
      return std::any_of(model.metrics.begin(), model.metrics.end(), [&](const ModelMetric& m) {
        return m.metric.key == cmp.key && OnAnyDataset(m, datasets) &&
               CompareNumber(m.metric.value, cmp);
      });
    case EntityType::kDataset:
      return false;  // not a filter of logged models
  }
  return false;
}

bool HasMetricComparison(const FilterExpr& filter) {
  if (filter.kind != FilterExpr::Kind::kComparison) {
    return std::any_of(filter.children.begin(), filter.children.end(), HasMetricComparison);
  }
  return filter.comparison.type == EntityType::kMetric;
}

// The value an order key sorts a model by; nullopt sorts last in both directions.
using SortValue = std::optional<std::variant<double, std::string>>;

SortValue AttributeValue(const LoggedModel& model, std::string_view key) {
  if (key == "creation_timestamp") return static_cast<double>(model.creation_timestamp_ms);
  if (key == "last_updated_timestamp") return static_cast<double>(model.last_updated_timestamp_ms);
  if (key == "status") return static_cast<double>(model.status);  // as MLflow: the enum's number
  if (key == "name") return model.name;
  if (key == "model_id") return model.model_id;
  const std::string& text = key == "model_type" ? model.model_type : model.source_run_id;
  if (text.empty()) return std::nullopt;  // unset: NULL in MLflow's table
  return text;
}

// The metric's latest value (by timestamp, then step) on the dataset.
SortValue LatestMetric(const LoggedModel& model, const LoggedModelOrder& order) {
  const ModelMetric* latest = nullptr;
  for (const ModelMetric& m : model.metrics) {
    if (m.metric.key != order.by.key || !OnDataset(m, order.dataset)) continue;
    if (latest == nullptr || std::pair(m.metric.timestamp, m.metric.step) >=
                                 std::pair(latest->metric.timestamp, latest->metric.step)) {
      latest = &m;
    }
  }
  if (latest == nullptr) return std::nullopt;
  return latest->metric.value;
}

// -1, 0 or 1 for present values, NaN after every number (as PostgreSQL orders it).
int ThreeWay(const std::variant<double, std::string>& a,
             const std::variant<double, std::string>& b) {
  if (a.index() != b.index()) return a.index() < b.index() ? -1 : 1;
  if (const double* x = std::get_if<double>(&a)) {
    const double y = std::get<double>(b);
    if (std::isnan(*x) || std::isnan(y)) return std::isnan(*x) - std::isnan(y);
    return *x < y ? -1 : (y < *x ? 1 : 0);
  }
  return std::get<std::string>(a).compare(std::get<std::string>(b)) < 0   ? -1
         : std::get<std::string>(b).compare(std::get<std::string>(a)) < 0 ? 1
                                                                          : 0;
}

}  // namespace

bool MatchesLoggedModelQuery(const LoggedModel& model, const LoggedModelQuery& query) {
  if (query.filter.has_value() && !Matches(model, *query.filter, query.datasets)) return false;
  if (!query.datasets.empty() &&
      !(query.filter.has_value() && HasMetricComparison(*query.filter))) {
    return std::any_of(model.metrics.begin(), model.metrics.end(),
                       [&](const ModelMetric& m) { return OnAnyDataset(m, query.datasets); });
  }
  return true;
}

void SortLoggedModels(const LoggedModelQuery& query, std::vector<LoggedModel>* models) {
  // Each model's sort values, computed once rather than per comparison.
  struct Keyed {
    std::vector<SortValue> values;
    LoggedModel* model;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(models->size());
  for (LoggedModel& model : *models) {
    Keyed k{{}, &model};
    for (const LoggedModelOrder& order : query.order_by) {
      k.values.push_back(order.by.type == EntityType::kMetric
                             ? LatestMetric(model, order)
                             : AttributeValue(model, order.by.key));
    }
    keyed.push_back(std::move(k));
  }
  std::sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
    for (size_t i = 0; i < query.order_by.size(); ++i) {
      const SortValue& x = a.values[i];
      const SortValue& y = b.values[i];
      if (!x.has_value() || !y.has_value()) {
        if (x.has_value() != y.has_value()) return x.has_value();  // missing values last
        continue;
      }
      const int c = ThreeWay(*x, *y);
      if (c != 0) return query.order_by[i].by.ascending ? c < 0 : c > 0;
    }
    if (a.model->creation_timestamp_ms != b.model->creation_timestamp_ms) {
      return a.model->creation_timestamp_ms > b.model->creation_timestamp_ms;  // newest first
    }
    return a.model->model_id < b.model->model_id;
  });
  std::vector<LoggedModel> sorted;
  sorted.reserve(models->size());
  for (Keyed& k : keyed) sorted.push_back(std::move(*k.model));
  *models = std::move(sorted);
}

}  // namespace mlhub::store::internal
