// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/mlflow_scoring.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "common/ascii.h"
#include "common/json_reader.h"
#include "common/json_writer.h"
#include "common/utf8.h"
#include "serving/protocol/tensor_json.h"

namespace mlhub::serving {
namespace {

using json::Element;
using simdjson::SUCCESS;

constexpr std::string_view kRequiredFormat =
    "The input must be a JSON dictionary with exactly one of the input fields "
    "{dataframe_split, dataframe_records, instances, inputs}";
constexpr std::string_view kFormats[] = {"dataframe_split", "dataframe_records", "instances",
                                         "inputs"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ScoringError Unsupported(std::string message) { return {415, "text/plain", message, message}; }

// MLflow's checks, in its order: the charset, then unknown parameters, then the media type.
std::optional<ScoringError> CheckContentType(std::string_view header, bool* csv) {
  std::string_view rest = header, charset = "utf-8";
  size_t semi = rest.find(';');
  std::string_view media = Trim(rest.substr(0, semi));
  std::vector<std::string_view> unknown;
  while (semi != std::string_view::npos) {
    rest.remove_prefix(semi + 1);
    semi = rest.find(';');
    std::string_view param = Trim(rest.substr(0, semi));
    if (param.empty()) continue;  // a trailing ';' is harmless
    size_t eq = param.find('=');
    std::string_view key = Trim(param.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? "" : Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (EqualsIgnoreCase(key, "charset")) {
      charset = value;
    } else {
      unknown.push_back(key);
    }
  }
  if (!EqualsIgnoreCase(charset, "utf-8"))
    return Unsupported("The scoring server only supports UTF-8");
  if (!unknown.empty()) {
    return Unsupported(fmt::format(
        "Unrecognized content type parameters: {}. Since MLflow 2.0 the scoring protocol takes no "
        "format parameter: wrap the data in dataframe_split, dataframe_records, instances or "
        "inputs instead.",
        fmt::join(unknown, ", ")));
  }
  *csv = EqualsIgnoreCase(media, "text/csv");
  if (*csv || EqualsIgnoreCase(media, "application/json")) return std::nullopt;
  return Unsupported(fmt::format(
      "This predictor only supports the following content types: text/csv, application/json. "
      "Got '{}'.",
      header));
}

// One payload value before it is converted to the input's datatype.
struct Scalar {
  enum Kind { kNull, kInt, kDouble, kBool, kText, kNested } kind = kNull;
  int64_t i = 0;  // kInt, kBool
  double d = 0;
  std::string_view text;
};

Scalar BoolScalar(bool value) { return {Scalar::kBool, value, 0, {}}; }

Scalar FromJson(Element v) {
  Scalar s;
  bool b;
  if (v.get_int64().get(s.i) == SUCCESS) {
    s.kind = Scalar::kInt;
  } else if (v.get_double().get(s.d) == SUCCESS) {
    s.kind = Scalar::kDouble;  // also an integer beyond int64: only a float can take it
  } else if (v.get_bool().get(b) == SUCCESS) {
    s = BoolScalar(b);
  } else if (v.get_string().get(s.text) == SUCCESS) {
    s.kind = Scalar::kText;
  } else if (!v.is_null()) {
    s.kind = Scalar::kNested;
  }
  return s;
}

// A CSV cell as pandas' read_csv sees it: empty and the usual NA spellings are missing values.
Scalar FromText(std::string_view text) {
  std::string_view t = Trim(text);
  if (t.empty() || t == "NA" || t == "N/A" || t == "null" || t == "NULL" || t == "None") return {};
  for (std::string_view word : {"True", "true", "TRUE"})
    if (t == word) return BoolScalar(true);
  for (std::string_view word : {"False", "false", "FALSE"})
    if (t == word) return BoolScalar(false);
  if (t.front() == '+') t.remove_prefix(1);
  const char* end = t.data() + t.size();
  Scalar s{Scalar::kInt, 0, 0, {}};
  if (auto [p, ec] = std::from_chars(t.data(), end, s.i); ec == std::errc() && p == end) return s;
  s.kind = Scalar::kDouble;  // from_chars also reads nan, inf and infinity
  if (auto [p, ec] = std::from_chars(t.data(), end, s.d); ec == std::errc() && p == end) return s;
  return {Scalar::kText, 0, 0, text};
}

std::string Describe(const Scalar& s) {
  if (s.kind == Scalar::kInt) return std::to_string(s.i);
  if (s.kind == Scalar::kDouble) return fmt::format("{}", s.d);
  if (s.kind == Scalar::kBool) return s.i ? "true" : "false";
  if (s.kind == Scalar::kText) return fmt::format("the string \"{}\"", Utf8Prefix(s.text, 50));
  return s.kind == Scalar::kNull ? "a missing value (null)" : "a nested list or object";
}

// Stores `s` as a T at `dst`; false when T cannot hold it (no silent truncation or wrap-around).
template <typename T>
bool StoreAs(const Scalar& s, char* dst) {
  T out{};
  if constexpr (std::is_floating_point_v<T>) {
    if (s.kind == Scalar::kNull) {
      out = std::numeric_limits<T>::quiet_NaN();  // a missing value, to XGBoost
    } else if (s.kind == Scalar::kInt || s.kind == Scalar::kBool) {
      out = static_cast<T>(s.i);
    } else if (s.kind == Scalar::kDouble) {  // parsed as double, then cast, as xgboost does
      bool overflow = std::isfinite(s.d) && std::abs(s.d) > std::numeric_limits<T>::max();
      out = overflow ? (s.d > 0 ? 1 : -1) * std::numeric_limits<T>::infinity()  // as numpy
                     : static_cast<T>(s.d);
    } else {
      return false;
    }
  } else {
    int64_t v = s.i;
    if (s.kind == Scalar::kDouble) {  // a whole number in int64's range ("3.0" is fine, "3.5" not)
      if (std::trunc(s.d) != s.d || s.d < -0x1p63 || s.d >= 0x1p63) return false;
      v = static_cast<int64_t>(s.d);
    } else if (s.kind != Scalar::kInt && s.kind != Scalar::kBool) {
      return false;
    }
    if (!std::in_range<T>(v)) return false;
    out = static_cast<T>(v);
  }
  std::memcpy(dst, &out, sizeof(T));
  return true;
}

// BOOL takes true/false and the numbers 0 and 1 (std::in_range excludes bool itself).
bool StoreBool(const Scalar& s, char* dst) {
  return StoreAs<uint8_t>(s, dst) && static_cast<uint8_t>(*dst) <= 1;
}

// Indexed by DataType; null for what JSON and CSV values cannot fill (FP16, BF16, BYTES).
using StoreFn = bool (*)(const Scalar&, char*);
constexpr StoreFn kStore[] = {
    StoreBool,         StoreAs<uint8_t>, StoreAs<uint16_t>, StoreAs<uint32_t>,
    StoreAs<uint64_t>, StoreAs<int8_t>,  StoreAs<int16_t>,  StoreAs<int32_t>,
    StoreAs<int64_t>,  nullptr,          StoreAs<float>,    StoreAs<double>,
    nullptr,           nullptr};
static_assert(std::size(kStore) == static_cast<size_t>(DataType::kBytes) + 1);

// Builds the tensor for metadata.inputs[0] ([rows, columns], or [rows] for one column) row by row:
// MapNames or MapPositional says which input column each payload column fills, then
// BeginRow / Set / EndRow per row.
class InputBuilder {
 public:
  explicit InputBuilder(const ModelMetadata& metadata)
      : spec_(metadata.inputs[0]),
        columns_(metadata.input_columns),
        labels_(columns_),
        esize_(ElementSize(spec_.datatype)),
        store_(kStore[static_cast<size_t>(spec_.datatype)]) {
    if (spec_.shape.size() == 1) cols_ = 1;
    if (spec_.shape.size() == 2) cols_ = spec_.shape[1] >= 0 ? spec_.shape[1] : -1;
    if (cols_ < 0 && !columns_.empty()) cols_ = columns_.size();
  }

  Status Check() const {
    if (spec_.shape.empty() || spec_.shape.size() > 2) {
      return InvalidArgumentError(fmt::format(
          "input '{}' has shape {}: only [rows] and [rows, columns] inputs take this format",
          spec_.name, ShapeString(spec_.shape)));
    }
    if (store_ == nullptr) {
      return InvalidArgumentError(fmt::format("input '{}': {} cannot be built from JSON or CSV",
                                              spec_.name, DataTypeName(spec_.datatype)));
    }
    // Signature columns must be the input's last dimension, or a column index could overrun.
    if (!columns_.empty() && cols_ != static_cast<int64_t>(columns_.size())) {
      return InternalError(fmt::format("input '{}' {} does not match its {} signature columns",
                                       spec_.name, ShapeString(spec_.shape), columns_.size()));
    }
    return OkStatus();
  }
  bool IsColumn(std::string_view name) const {
    return std::find(columns_.begin(), columns_.end(), name) != columns_.end();
  }
  const std::string& input_name() const { return spec_.name; }
  bool has_columns() const { return !columns_.empty(); }
  int64_t cols() const { return cols_; }  // -1 until known
  size_t width() const { return target_.size(); }
  int64_t rows() const { return rows_; }

  Status MapNames(const std::vector<std::string_view>& names) {
    if (!has_columns()) {
      labels_.assign(names.begin(), names.end());
      return MapPositional(names.size());
    }
    std::unordered_map<std::string_view, int> index;
    for (size_t j = 0; j < columns_.size(); ++j) index.emplace(columns_[j], static_cast<int>(j));
    target_.assign(names.size(), -1);  // columns the model lacks are dropped, as MLflow does
    std::vector<bool> seen(columns_.size(), false);
    for (size_t p = 0; p < names.size(); ++p) {
      if (auto it = index.find(names[p]); it != index.end()) seen[target_[p] = it->second] = true;
    }
    std::vector<std::string> missing;
    for (size_t j = 0; j < columns_.size(); ++j)
      if (!seen[j]) missing.push_back(fmt::format("'{}'", columns_[j]));
    if (missing.empty()) return OkStatus();
    return InvalidArgumentError(
        fmt::format("Model is missing inputs [{}].", fmt::join(missing, ", ")));
  }

  Status MapPositional(size_t width) {
    if (cols_ < 0) cols_ = width;
    if (static_cast<int64_t>(width) != cols_) {
      return InvalidArgumentError(
          fmt::format("input '{}' takes {} columns, the request has {}", spec_.name, cols_, width));
    }
    target_.resize(width);
    for (size_t p = 0; p < width; ++p) target_[p] = static_cast<int>(p);
    return OkStatus();
  }

  void BeginRow() {
    row_start_ = data_.size();
    data_.resize(data_.size() + cols_ * esize_);
    filled_.assign(cols_, false);
  }
  Status Set(size_t payload_col, const Scalar& value) {
    int j = target_[payload_col];
    if (j < 0) return OkStatus();
    filled_[j] = true;
    return Put(value, j);
  }
  // Cells no value was given for (a record without the key, a short CSV row) are missing values.
  Status EndRow() {
    for (int64_t j = 0; j < cols_; ++j)
      if (!filled_[j]) RETURN_IF_ERROR(Put(Scalar{}, j));
    ++rows_;
    if (static_cast<uint64_t>(rows_) * static_cast<uint64_t>(cols_) > max_elements_) {
      return InvalidArgumentError(fmt::format(
          "input '{}' would hold more than {} values ({} rows of {} columns so far), too many for "
          "a request of {} bytes: missing values (short CSV rows, records without a column) "
          "fill the rest",
          spec_.name, max_elements_, rows_, cols_, body_bytes_));
    }
    return OkStatus();
  }

  // Bounds the input by the request's size: every value given takes a byte or more of it, but
  // a missing one takes none, so without a bound a small request (a wide CSV header, then short
  // rows; records with disjoint keys) would expand quadratically, to gigabytes.
  void LimitToBody(size_t body_bytes) {
    body_bytes_ = body_bytes;
    max_elements_ = 4 * static_cast<uint64_t>(body_bytes) + 65536;
  }

  Tensor Finish() {
    Tensor t{spec_.name, spec_.datatype, {rows_}, std::move(data_)};
    if (spec_.shape.size() == 2) t.shape.push_back(std::max<int64_t>(cols_, 0));
    return t;
  }

 private:
  Status Put(const Scalar& value, int64_t column) {
    if (store_(value, data_.data() + row_start_ + column * esize_)) return OkStatus();
    std::string label = static_cast<size_t>(column) < labels_.size()
                            ? fmt::format("'{}'", labels_[column])
                            : std::to_string(column);
    return InvalidArgumentError(
        fmt::format("Incompatible input types for column {} (row {}): cannot convert {} to {}",
                    label, rows_, Describe(value), DataTypeName(spec_.datatype)));
  }

  const TensorSpec& spec_;
  const std::vector<std::string>& columns_;
  std::vector<std::string> labels_;  // column names for messages
  const size_t esize_;
  const StoreFn store_;      // null for datatypes Check refuses
  int64_t cols_ = -1;        // the input's columns, -1 until the payload says
  std::vector<int> target_;  // per payload column: the input column it fills, or -1
  std::vector<bool> filled_;
  std::string data_;
  size_t row_start_ = 0;
  int64_t rows_ = 0;
  size_t body_bytes_ = 0;
  uint64_t max_elements_ = std::numeric_limits<uint64_t>::max();
};

// One row: a list of values, or a bare value for a one-column input.
Status AddRow(Element row, InputBuilder& b) {
  b.BeginRow();
  json::Array values;
  if (row.get_array().get(values) == SUCCESS) {
    if (values.size() != b.width()) {
      return InvalidArgumentError(fmt::format("row {} has {} values, the input takes {}", b.rows(),
                                              values.size(), b.width()));
    }
    size_t p = 0;
    for (Element v : values) RETURN_IF_ERROR(b.Set(p++, FromJson(v)));
  } else {
    if (b.width() != 1) return InvalidArgumentError(fmt::format("row {} is not a list", b.rows()));
    RETURN_IF_ERROR(b.Set(0, FromJson(row)));
  }
  return b.EndRow();
}

// Rows whose values are taken by position; when the input's width is open, the first row sets it.
Status AddPositionalRows(json::Array rows, InputBuilder& b) {
  size_t width = b.cols() >= 0 ? b.cols() : 0;
  json::Array first;
  if (b.cols() < 0 && rows.size() > 0 && rows.at(0).get_array().get(first) == SUCCESS)
    width = first.size();
  RETURN_IF_ERROR(b.MapPositional(width));
  for (Element row : rows) RETURN_IF_ERROR(AddRow(row, b));
  return OkStatus();
}

Status DecodeSplit(Element split, InputBuilder& b) {
  ASSIGN_OR_RETURN(json::Object object, json::AsObject(split, "dataframe_split"));
  auto data = json::Find(object, "data");
  if (!data) return InvalidArgumentError("dataframe_split has no \"data\"");
  ASSIGN_OR_RETURN(json::Array rows, json::AsArray(*data, "dataframe_split.data"));
  auto columns = json::Find(object, "columns");
  if (!columns) return AddPositionalRows(rows, b);
  ASSIGN_OR_RETURN(json::Array list, json::AsArray(*columns, "dataframe_split.columns"));
  std::vector<std::string_view> names;
  for (Element name : list) {
    ASSIGN_OR_RETURN(std::string_view text, json::AsString(name, "dataframe_split.columns"));
    names.push_back(text);
  }
  RETURN_IF_ERROR(b.MapNames(names));
  for (Element row : rows) RETURN_IF_ERROR(AddRow(row, b));
  return OkStatus();
}

// pandas' records orient: a column exists when any record has it; a record without it is missing.
Status DecodeRecords(json::Array records, InputBuilder& b, std::string_view format) {
  std::vector<std::string_view> names;
  std::unordered_map<std::string_view, size_t> index;
  for (Element record : records) {
    ASSIGN_OR_RETURN(json::Object object, json::AsObject(record, format));
    for (auto field : object)
      if (index.emplace(field.key, names.size()).second) names.push_back(field.key);
  }
  if (records.size() == 0) return OkStatus();  // no rows: an empty batch
  RETURN_IF_ERROR(b.MapNames(names));
  for (Element record : records) {
    b.BeginRow();
    json::Object object = record.get_object().value_unsafe();  // named: a temporary would dangle
    for (auto field : object) RETURN_IF_ERROR(b.Set(index[field.key], FromJson(field.value)));
    RETURN_IF_ERROR(b.EndRow());
  }
  return OkStatus();
}

// TF serving's row format: a list of rows, or of records ({column: value} objects).
Status DecodeInstances(Element value, InputBuilder& b) {
  ASSIGN_OR_RETURN(json::Array items, json::AsArray(value, "instances"));
  if (items.size() > 0 && items.at(0).value_unsafe().is_object())
    return DecodeRecords(items, b, "instances");
  return AddPositionalRows(items, b);
}

Status DecodeInputs(Element value, InputBuilder& b) {
  json::Object object;
  if (value.get_object().get(object) != SUCCESS) {
    ASSIGN_OR_RETURN(json::Array rows, json::AsArray(value, "inputs"));
    return AddPositionalRows(rows, b);
  }
  if (object.size() == 1) {
    // {"<input name>": rows} is the tensor itself, as is a single list of lists when the model
    // has no column names; otherwise each key is a column.
    auto [key, rows] = *object.begin();
    json::Array list;
    bool nested = rows.get_array().get(list) == SUCCESS && list.size() > 0 &&
                  list.at(0).value_unsafe().is_array();
    if ((key == b.input_name() && !b.IsColumn(key)) || (!b.has_columns() && nested)) {
      ASSIGN_OR_RETURN(json::Array tensor, json::AsArray(rows, "inputs"));
      return AddPositionalRows(tensor, b);
    }
  }
  std::vector<std::string_view> names;
  std::vector<json::Array::iterator> cursors;
  size_t rows = 0;
  for (auto field : object) {
    ASSIGN_OR_RETURN(json::Array column, json::AsArray(field.value, field.key));
    if (!names.empty() && column.size() != rows)
      return InvalidArgumentError(
          "The length of values for each input/column name are not the same");
    rows = column.size();
    names.push_back(field.key);
    cursors.push_back(column.begin());
  }
  RETURN_IF_ERROR(b.MapNames(names));
  for (size_t r = 0; r < rows; ++r) {
    b.BeginRow();
    for (size_t p = 0; p < cursors.size(); ++p) {
      RETURN_IF_ERROR(b.Set(p, FromJson(*cursors[p])));
      ++cursors[p];
    }
    RETURN_IF_ERROR(b.EndRow());
  }
  return OkStatus();
}

Status DecodeJson(std::string_view body, InputBuilder& b, bool* dataframe) {
  StatusOr<Element> root = json::ParseJson(body);
  if (!root.ok()) {
    return InvalidArgumentError(
        fmt::format("Invalid input. Ensure that input is a valid JSON formatted string. {}",
                    root.status().message()));
  }
  json::Object object;
  if (root->get_object().get(object) != SUCCESS) {
    return InvalidArgumentError(
        fmt::format("{}. Received {}.", kRequiredFormat, root->is_array() ? "a list" : "a scalar"));
  }
  std::vector<std::string_view> keys;
  std::string_view format;
  Element value;
  int formats = 0;
  for (auto field : object) {  // other keys, such as "params", are ignored
    keys.push_back(field.key);
    if (std::find(std::begin(kFormats), std::end(kFormats), field.key) != std::end(kFormats)) {
      ++formats;
      format = field.key, value = field.value;
    }
  }
  if (formats != 1) {
    return InvalidArgumentError(fmt::format("{}. Received dictionary with input fields: [{}].",
                                            kRequiredFormat, fmt::join(keys, ", ")));
  }
  *dataframe = format.starts_with("dataframe_");
  if (format == "dataframe_split") return DecodeSplit(value, b);
  if (format == "instances") return DecodeInstances(value, b);
  if (format == "inputs") return DecodeInputs(value, b);
  ASSIGN_OR_RETURN(json::Array records, json::AsArray(value, "dataframe_records"));
  return DecodeRecords(records, b, "dataframe_records");
}

// Reads the RFC 4180 record at `*pos` into fields[0, *count) (the strings are reused): quoted
// fields may hold commas, line breaks and "" for a quote; lines end in LF, CRLF or CR.
StatusOr<bool> NextCsvRecord(std::string_view text, size_t* pos, std::vector<std::string>* fields,
                             size_t* count) {
  size_t& i = *pos;
  if (i >= text.size()) return false;
  for (*count = 0;;) {
    if (*count == fields->size()) fields->emplace_back();
    std::string& field = (*fields)[(*count)++];
    field.clear();
    if (i < text.size() && text[i] == '"') {
      for (++i;; ++i) {
        if (i >= text.size()) return InvalidArgumentError("CSV input has an unterminated quote");
        if (text[i] == '"' && (i + 1 == text.size() || text[i + 1] != '"')) break;  // closing
        if (text[i] == '"') ++i;  // "" is one quote
        field += text[i];
      }
      ++i;
    }
    while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
      field += text[i++];
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (i < text.size() && text[i] == '\r') ++i;
    if (i < text.size() && text[i] == '\n') ++i;
    return true;
  }
}

Status DecodeCsv(std::string_view body, InputBuilder& b) {
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);  // a UTF-8 BOM, as pandas skips it
  size_t pos = 0, count = 0;
  std::vector<std::string> fields;
  auto next = [&]() -> StatusOr<bool> {
    while (true) {  // pandas skips blank lines
      ASSIGN_OR_RETURN(bool more, NextCsvRecord(body, &pos, &fields, &count));
      if (!more || count > 1 || !fields[0].empty()) return more;
    }
  };
  ASSIGN_OR_RETURN(bool has_header, next());
  if (!has_header) return InvalidArgumentError("CSV input has no header row of column names");
  std::vector<std::string> header(fields.begin(), fields.begin() + count);
  RETURN_IF_ERROR(b.MapNames(std::vector<std::string_view>(header.begin(), header.end())));
  while (true) {
    ASSIGN_OR_RETURN(bool more, next());
    if (!more) return OkStatus();
    if (count > header.size()) {
      return InvalidArgumentError(fmt::format("CSV row {} has {} fields, the header names {}",
                                              b.rows(), count, header.size()));
    }
    b.BeginRow();
    for (size_t p = 0; p < count; ++p) RETURN_IF_ERROR(b.Set(p, FromText(fields[p])));
    RETURN_IF_ERROR(b.EndRow());
  }
}

}  // namespace

ScoringError MlflowBadRequest(std::string_view message) {
  ScoringError error{400, "application/json", "", std::string(message)};
  JsonWriter(&error.body)
      .StartObject()
      .Field("error_code", "BAD_REQUEST")
      .Field("message", message)
      .EndObject();
  return error;
}

std::variant<std::vector<Tensor>, ScoringError> DecodeInvocations(std::string_view content_type,
                                                                  std::string_view body,
                                                                  const ModelMetadata& metadata,
                                                                  bool* dataframe) {
  bool csv = false;
  bool from_dataframe = false;
  if (auto error = CheckContentType(content_type, &csv)) return *std::move(error);
  if (metadata.inputs.empty()) return MlflowBadRequest("the model declares no inputs");
  InputBuilder builder(metadata);
  builder.LimitToBody(body.size());
  Status status = builder.Check();
  if (status.ok()) {
    from_dataframe = csv;
    status = csv ? DecodeCsv(body, builder) : DecodeJson(body, builder, &from_dataframe);
  }
  if (!status.ok()) return MlflowBadRequest(status.message());
  if (dataframe != nullptr) *dataframe = from_dataframe;
  return std::vector<Tensor>{builder.Finish()};
}

StatusOr<std::vector<Tensor>> DecodePredict(std::string_view body, const ModelMetadata& metadata) {
  if (metadata.inputs.empty()) return InvalidArgumentError("the model declares no inputs");
  ASSIGN_OR_RETURN(Element root, json::ParseJson(body));
  json::Object object;
  if (root.get_object().get(object) != SUCCESS)
    return InvalidArgumentError("the body must be a JSON object {\"features\": [[...], ...]}");
  auto features = json::Find(object, "features");
  if (!features) return InvalidArgumentError("the body has no \"features\"");
  ASSIGN_OR_RETURN(json::Array rows, json::AsArray(*features, "features"));
  if (rows.size() == 0) return InvalidArgumentError("\"features\" holds no rows");
  InputBuilder builder(metadata);
  RETURN_IF_ERROR(builder.Check());
  // A list of lists is rows; a flat list is one row, unless the input takes one value per row.
  if (rows.at(0).value_unsafe().is_array() || builder.cols() == 1) {
    RETURN_IF_ERROR(AddPositionalRows(rows, builder));
  } else {
    RETURN_IF_ERROR(builder.MapPositional(builder.cols() >= 0 ? builder.cols() : rows.size()));
    RETURN_IF_ERROR(AddRow(*features, builder));
  }
  return std::vector<Tensor>{builder.Finish()};
}

}  // namespace mlhub::serving
