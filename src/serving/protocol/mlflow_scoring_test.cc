// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/mlflow_scoring.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "common/json_reader.h"

namespace mlhub::serving {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kJson = "application/json";

// A model with a column-based signature: one [-1, 3] input fed by columns a, b, c.
ModelMetadata ColumnModel(DataType type = DataType::kFp32) {
  ModelMetadata m;
  m.inputs.push_back({"input-0", type, {-1, 3}});
  m.input_columns = {"a", "b", "c"};
  return m;
}

// A model with a tensor signature (or none): values are taken by position.
ModelMetadata TensorModel(std::vector<int64_t> shape = {-1, 3}, DataType type = DataType::kFp32) {
  ModelMetadata m;
  m.inputs.push_back({"input-0", type, std::move(shape)});
  return m;
}

using Decoded = std::variant<std::vector<Tensor>, ScoringError>;

Decoded Decode(std::string_view body, const ModelMetadata& m, std::string_view type = kJson) {
  return DecodeInvocations(type, body, m);
}

// The single decoded tensor; fails the test (with the error body) when decoding failed.
Tensor Input(const Decoded& decoded) {
  if (const auto* error = std::get_if<ScoringError>(&decoded)) {
    ADD_FAILURE() << "decoding failed: " << error->status << " " << error->body;
    return {};
  }
  const auto& tensors = std::get<std::vector<Tensor>>(decoded);
  EXPECT_EQ(tensors.size(), 1u);
  return tensors.empty() ? Tensor{} : tensors[0];
}

ScoringError Error(const Decoded& decoded) {
  if (const auto* error = std::get_if<ScoringError>(&decoded)) return *error;
  ADD_FAILURE() << "decoding succeeded where it should have failed";
  return {};
}

// The message of a 400, after checking the body is MLflow's error JSON.
std::string BadRequestMessage(const Decoded& decoded) {
  ScoringError error = Error(decoded);
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.content_type, "application/json");
  auto root = json::ParseJson(error.body);
  if (!root.ok()) {
    ADD_FAILURE() << "not JSON: " << error.body;
    return "";
  }
  EXPECT_EQ(std::string_view(root->at_key("error_code").get_string().value()), "BAD_REQUEST");
  return std::string(root->at_key("message").get_string().value());
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  std::vector<T> out(t.data.size() / sizeof(T));
  std::memcpy(out.data(), t.data.data(), out.size() * sizeof(T));
  return out;
}

TEST(DecodeInvocationsTest, SplitMapsColumnsByName) {
  // The payload's column order differs from the signature's: values must follow the names.
  Tensor t = Input(Decode(
      R"({"dataframe_split": {"columns": ["c", "a", "b"], "index": [7, 8], "data": [[3, 1, 2], [6, 4, 5.5]]}})",
      ColumnModel()));
  EXPECT_EQ(t.name, "input-0");
  EXPECT_EQ(t.datatype, DataType::kFp32);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<float>(t), (std::vector<float>{1, 2, 3, 4, 5.5f, 6}));
}

TEST(DecodeInvocationsTest, ExtraColumnsAreDropped) {
  // MLflow's schema enforcement ignores columns the signature does not name.
  Tensor t = Input(Decode(
      R"({"dataframe_split": {"columns": ["a", "extra", "b", "c"], "data": [[1, "text", 2, 3]]}})",
      ColumnModel()));
  EXPECT_EQ(Values<float>(t), (std::vector<float>{1, 2, 3}));
}

TEST(DecodeInvocationsTest, MissingColumnIsABadRequestNamingIt) {
  std::string message = BadRequestMessage(
      Decode(R"({"dataframe_split": {"columns": ["a", "c"], "data": [[1, 3]]}})", ColumnModel()));
  EXPECT_EQ(message, "Model is missing inputs ['b'].");
}

TEST(DecodeInvocationsTest, SplitWithoutColumnsIsPositional) {
  Tensor t =
      Input(Decode(R"({"dataframe_split": {"data": [[1, 2, 3], [4, 5, 6]]}})", ColumnModel()));
  EXPECT_EQ(Values<float>(t), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(DecodeInvocationsTest, WrongRowLengthIsABadRequest) {
  EXPECT_THAT(BadRequestMessage(
                  Decode(R"({"dataframe_split": {"data": [[1, 2, 3], [4, 5]]}})", ColumnModel())),
              HasSubstr("row 1 has 2 values"));
  // Named columns: each row must have one value per named column.
  EXPECT_THAT(BadRequestMessage(Decode(
                  R"({"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 3, 4]]}})",
                  ColumnModel())),
              HasSubstr("row 0 has 4 values"));
}

TEST(DecodeInvocationsTest, PositionalCountMustMatchTheInput) {
  EXPECT_THAT(BadRequestMessage(Decode(R"({"instances": [[1, 2]]})", TensorModel())),
              HasSubstr("row 0 has 2 values, the input takes 3"));
  // Columns named for a model without signature columns are positional too: count matters.
  EXPECT_THAT(
      BadRequestMessage(Decode(R"({"dataframe_records": [{"x": 1, "y": 2}]})", TensorModel())),
      HasSubstr("takes 3 columns, the request has 2"));
}

TEST(DecodeInvocationsTest, OpenWidthIsSetByTheFirstRow) {
  Tensor t = Input(Decode(R"({"inputs": [[1, 2], [3, 4]]})", TensorModel({-1, -1})));
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_THAT(BadRequestMessage(Decode(R"({"inputs": [[1, 2], [3]]})", TensorModel({-1, -1}))),
              HasSubstr("row 1 has 1 values"));
}

TEST(DecodeInvocationsTest, RecordsMapByNameAndAbsentKeysAreMissingValues) {
  Tensor t = Input(Decode(R"({"dataframe_records": [{"b": 2, "a": 1, "c": 3}, {"a": 4, "c": 6}]})",
                          ColumnModel()));
  std::vector<float> v = Values<float>(t);
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(std::vector<float>(v.begin(), v.begin() + 3), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(v[3], 4);
  EXPECT_TRUE(std::isnan(v[4]));  // pandas fills the absent key with NaN: XGBoost's "missing"
  EXPECT_EQ(v[5], 6);
  // A column no record has is a missing column.
  EXPECT_EQ(BadRequestMessage(Decode(R"({"dataframe_records": [{"a": 1}]})", ColumnModel())),
            "Model is missing inputs ['b', 'c'].");
}

TEST(DecodeInvocationsTest, InstancesAsRowsOrRecords) {
  Tensor rows = Input(Decode(R"({"instances": [[1, 2, 3], [4, 5, 6]]})", ColumnModel()));
  EXPECT_EQ(Values<float>(rows), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  Tensor records = Input(Decode(R"({"instances": [{"c": 3, "b": 2, "a": 1}]})", ColumnModel()));
  EXPECT_EQ(Values<float>(records), (std::vector<float>{1, 2, 3}));
}

TEST(DecodeInvocationsTest, InputsAsRowsColumnsOrANamedTensor) {
  Tensor rows = Input(Decode(R"({"inputs": [[1, 2, 3]]})", ColumnModel()));
  EXPECT_EQ(Values<float>(rows), (std::vector<float>{1, 2, 3}));
  // TF serving's columnar form: each key a column, in any order.
  Tensor columns =
      Input(Decode(R"({"inputs": {"c": [3, 6], "a": [1, 4], "b": [2, 5]}})", ColumnModel()));
  EXPECT_EQ(Values<float>(columns), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // One key naming the input: its value is the whole tensor.
  Tensor named = Input(Decode(R"({"inputs": {"input-0": [[1, 2, 3]]}})", ColumnModel()));
  EXPECT_EQ(Values<float>(named), (std::vector<float>{1, 2, 3}));
  EXPECT_THAT(BadRequestMessage(
                  Decode(R"({"inputs": {"a": [1, 4], "b": [2], "c": [3, 6]}})", ColumnModel())),
              HasSubstr("length of values"));
}

TEST(DecodeInvocationsTest, ParamsAreIgnored) {
  Tensor t = Input(Decode(R"({"params": {"top_k": 3}, "instances": [[1, 2, 3]]})", ColumnModel()));
  EXPECT_EQ(Values<float>(t), (std::vector<float>{1, 2, 3}));
}

TEST(DecodeInvocationsTest, ExactlyOneFormatKey) {
  EXPECT_THAT(BadRequestMessage(
                  Decode(R"({"instances": [[1, 2, 3]], "inputs": [[1, 2, 3]]})", ColumnModel())),
              HasSubstr("exactly one of the input fields"));
  EXPECT_THAT(BadRequestMessage(Decode(R"({"data": [[1, 2, 3]]})", ColumnModel())),
              HasSubstr("Received dictionary with input fields: [data]"));
  EXPECT_THAT(BadRequestMessage(Decode(R"([[1, 2, 3]])", ColumnModel())),
              HasSubstr("Received a list"));
}

TEST(DecodeInvocationsTest, MalformedJsonIsMlflowsBadRequest) {
  EXPECT_THAT(BadRequestMessage(Decode(R"({"instances": [[1, 2, )", ColumnModel())),
              HasSubstr("valid JSON"));
}

TEST(DecodeInvocationsTest, StringsAndNestedValuesForNumericColumnsAreBadRequests) {
  EXPECT_EQ(BadRequestMessage(Decode(
                R"({"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, "2", 3]]}})",
                ColumnModel())),
            "Incompatible input types for column 'b' (row 0): cannot convert the string \"2\" "
            "to FP32");
  EXPECT_THAT(BadRequestMessage(Decode(R"({"instances": [[1, [2], 3]]})", ColumnModel())),
              HasSubstr("nested list"));
}

TEST(DecodeInvocationsTest, NullIsNanForFloatsAndAnErrorForIntegers) {
  Tensor t = Input(Decode(R"({"instances": [[1, null, 3]]})", ColumnModel()));
  EXPECT_TRUE(std::isnan(Values<float>(t)[1]));
  EXPECT_THAT(
      BadRequestMessage(Decode(R"({"instances": [[1, null, 3]]})", ColumnModel(DataType::kInt64))),
      HasSubstr("cannot convert a missing value (null) to INT64"));
}

TEST(DecodeInvocationsTest, NumbersConvertToTheInputDatatypeWithoutLoss) {
  // Integers, floats and booleans all feed float inputs; a double is cast to float32 as xgboost
  // casts it (0.1 -> the float nearest 0.1), and beyond FLT_MAX becomes infinity, as numpy does.
  Tensor f =
      Input(Decode(R"({"instances": [[1, 0.1, true], [1e39, -1e39, false]]})", ColumnModel()));
  std::vector<float> v = Values<float>(f);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], 0.1f);
  EXPECT_EQ(v[2], 1.0f);
  EXPECT_EQ(v[3], std::numeric_limits<float>::infinity());
  EXPECT_EQ(v[4], -std::numeric_limits<float>::infinity());
  // FP64 inputs keep the double.
  Tensor d = Input(Decode(R"({"instances": [[0.1, 2, 3]]})", ColumnModel(DataType::kFp64)));
  EXPECT_EQ(Values<double>(d)[0], 0.1);
  // INT64 inputs: whole numbers exactly (2^53 + 1 does not survive a double), 3.0 is 3, 3.5 fails.
  Tensor i = Input(
      Decode(R"({"instances": [[9007199254740993, 3.0, true]]})", ColumnModel(DataType::kInt64)));
  EXPECT_EQ(Values<int64_t>(i), (std::vector<int64_t>{9007199254740993, 3, 1}));
  EXPECT_THAT(
      BadRequestMessage(Decode(R"({"instances": [[1, 3.5, 3]]})", ColumnModel(DataType::kInt64))),
      HasSubstr("cannot convert 3.5 to INT64"));
  // No wrap-around: 300 does not fit UINT8, 2 is not a BOOL.
  EXPECT_THAT(BadRequestMessage(Decode(R"({"instances": [[1, 300, 3]]})",
                                       TensorModel({-1, 3}, DataType::kUint8))),
              HasSubstr("cannot convert 300 to UINT8"));
  EXPECT_THAT(BadRequestMessage(
                  Decode(R"({"instances": [[1, 2, 0]]})", TensorModel({-1, 3}, DataType::kBool))),
              HasSubstr("cannot convert 2 to BOOL"));
}

TEST(DecodeInvocationsTest, EmptyDataIsAnEmptyBatch) {
  for (std::string_view body : {R"({"dataframe_split": {"columns": ["a", "b", "c"], "data": []}})",
                                R"({"dataframe_records": []})", R"({"instances": []})",
                                R"({"inputs": {"a": [], "b": [], "c": []}})"}) {
    Tensor t = Input(Decode(body, ColumnModel()));
    EXPECT_EQ(t.shape, (std::vector<int64_t>{0, 3})) << body;
    EXPECT_TRUE(t.data.empty()) << body;
  }
}

TEST(DecodeInvocationsTest, RankOneInputTakesOneValuePerRow) {
  Tensor t = Input(Decode(R"({"instances": [1, 2, 3]})", TensorModel({-1})));
  EXPECT_EQ(t.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(Values<float>(t), (std::vector<float>{1, 2, 3}));
}

TEST(DecodeInvocationsTest, InputsWithoutAJsonOrCsvFormAreRefused) {
  EXPECT_THAT(BadRequestMessage(
                  Decode(R"({"instances": [[1, 2, 3]]})", TensorModel({-1, 3}, DataType::kFp16))),
              HasSubstr("FP16 cannot be built"));
  EXPECT_THAT(BadRequestMessage(Decode(R"({"instances": [[1, 2, 3]]})", TensorModel({-1, 3, 2}))),
              HasSubstr("only [rows] and [rows, columns]"));
}

TEST(DecodeInvocationsTest, ContentTypes) {
  const std::string body = R"({"instances": [[1, 2, 3]]})";
  // Only charset=utf-8 may follow the media type, in any case, quoted or not.
  for (std::string_view type :
       {"application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8",
        "Application/JSON", "application/json; charset=\"utf-8\""}) {
    EXPECT_TRUE(std::holds_alternative<std::vector<Tensor>>(Decode(body, ColumnModel(), type)))
        << type;
  }
  ScoringError latin = Error(Decode(body, ColumnModel(), "application/json; charset=latin-1"));
  EXPECT_EQ(latin.status, 415);
  EXPECT_EQ(latin.content_type, "text/plain");
  EXPECT_EQ(latin.body, "The scoring server only supports UTF-8");
  // MLflow 1.x clients sent format=pandas-split: refused with a hint.
  ScoringError format = Error(Decode(body, ColumnModel(), "application/json; format=pandas-split"));
  EXPECT_EQ(format.status, 415);
  EXPECT_THAT(format.body, HasSubstr("Unrecognized content type parameters: format."));
  for (std::string_view type : {"text/plain", "application/x-www-form-urlencoded", ""}) {
    ScoringError other = Error(Decode(body, ColumnModel(), type));
    EXPECT_EQ(other.status, 415) << type;
    EXPECT_EQ(other.content_type, "text/plain");
    EXPECT_THAT(other.body, HasSubstr("text/csv, application/json"));
  }
}

TEST(DecodeInvocationsTest, CsvMapsHeaderNamesAndHonoursQuoting) {
  // The ignored "note" column holds a comma, a doubled quote and a line break: a naive split on
  // commas or lines would misalign every value after it.
  std::string csv =
      "c,\"a\",note,b\r\n"
      "3,1,\"hello, \"\"world\"\"\",2\r\n"
      "\n"
      "6, 4 ,\"two\nlines\",\"5\"\n";
  Tensor t = Input(Decode(csv, ColumnModel(), "text/csv; charset=utf-8"));
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<float>(t), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // A closing quote as the very last byte (no line end) still closes the field.
  Tensor last = Input(Decode("a,b,c\n1,2,\"3\"", ColumnModel(), "text/csv"));
  EXPECT_EQ(Values<float>(last), (std::vector<float>{1, 2, 3}));
}

TEST(DecodeInvocationsTest, CsvMissingValuesAndErrors) {
  // Empty cells, NA spellings and short rows are missing values, as in pandas' read_csv.
  Tensor t = Input(Decode("a,b,c\n1,,NA\n4,5\n", ColumnModel(), "text/csv"));
  std::vector<float> v = Values<float>(t);
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[0], 1);
  EXPECT_TRUE(std::isnan(v[1]) && std::isnan(v[2]) && std::isnan(v[5]));
  EXPECT_EQ(BadRequestMessage(Decode("a,b\n1,2\n", ColumnModel(), "text/csv")),
            "Model is missing inputs ['c'].");
  EXPECT_THAT(BadRequestMessage(Decode("a,b,c\n1,x,3\n", ColumnModel(), "text/csv")),
              HasSubstr("column 'b' (row 0): cannot convert the string \"x\""));
  EXPECT_THAT(BadRequestMessage(Decode("a,b,c\n1,2,3,4\n", ColumnModel(), "text/csv")),
              HasSubstr("has 4 fields"));
  EXPECT_THAT(BadRequestMessage(Decode("a,b,c\n1,\"2,3\n", ColumnModel(), "text/csv")),
              HasSubstr("unterminated"));
  EXPECT_THAT(BadRequestMessage(Decode("", ColumnModel(), "text/csv")), HasSubstr("header"));
  // Without signature columns the header only counts.
  EXPECT_THAT(BadRequestMessage(Decode("x,y\n1,2\n", TensorModel(), "text/csv")),
              HasSubstr("takes 3 columns, the request has 2"));
}

// ---- EncodePredictions ----

Tensor MakeTensor(std::string name, DataType type, std::vector<int64_t> shape, const void* data,
                  size_t bytes) {
  return {std::move(name), type, std::move(shape),
          std::string(static_cast<const char*>(data), bytes)};
}

TEST(EncodePredictionsTest, DataFrameAnswersAreRecords) {
  const std::vector<int64_t> two_by_two = {1, 2, 3, 4};
  Tensor t = MakeTensor("y", DataType::kInt64, {2, 2}, two_by_two.data(), 32);
  EXPECT_EQ(EncodePredictions({t}, /*records=*/true),
            R"({"predictions":[{"0":1,"1":2},{"0":3,"1":4}]})");
  EXPECT_EQ(EncodePredictions({t}), R"({"predictions":[[1,2],[3,4]]})");
  Tensor column = MakeTensor("y", DataType::kInt64, {2}, two_by_two.data(), 16);
  EXPECT_EQ(EncodePredictions({column}, true), R"({"predictions":[{"0":1},{"0":2}]})");
}

TEST(EncodePredictionsTest, Float32RoundTripsBitExact) {
  // Values whose shortest decimal form is long or extreme; -0.0 is left out: it is written "-0",
  // which JSON readers take for the integer 0.
  const std::vector<float> values = {0.1f,
                                     1.0f / 3,
                                     123456.789f,
                                     std::numeric_limits<float>::max(),
                                     std::numeric_limits<float>::min(),
                                     std::numeric_limits<float>::denorm_min(),
                                     16777217.0f,
                                     0.99999994f};
  std::string text = EncodePredictions({MakeTensor("y", DataType::kFp32, {int64_t(values.size())},
                                                   values.data(), values.size() * 4)});
  auto root = json::ParseJson(text);
  ASSERT_TRUE(root.ok()) << text;
  json::Array list = root->at_key("predictions").get_array().value();
  ASSERT_EQ(list.size(), values.size());
  size_t i = 0;
  for (json::Element e : list) {
    float back = static_cast<float>(e.get_double().value());  // as a client reads it
    uint32_t want, got;
    std::memcpy(&want, &values[i], 4);
    std::memcpy(&got, &back, 4);
    EXPECT_EQ(got, want) << "element " << i << " in " << text;
    ++i;
  }
}

TEST(EncodePredictionsTest, ShapesNest) {
  const float probabilities[] = {0.25f, 0.75f, 1, 0};
  EXPECT_EQ(EncodePredictions(
                {MakeTensor("y", DataType::kFp32, {2, 2}, probabilities, sizeof(probabilities))}),
            R"({"predictions":[[0.25,0.75],[1,0]]})");
  const double regression[] = {0.1, 2.5};
  EXPECT_EQ(
      EncodePredictions({MakeTensor("y", DataType::kFp64, {2}, regression, sizeof(regression))}),
      R"({"predictions":[0.1,2.5]})");
}

TEST(EncodePredictionsTest, Int64LabelsAreIntegers) {
  const int64_t labels[] = {0, 1, 2, std::numeric_limits<int64_t>::max()};
  EXPECT_EQ(EncodePredictions({MakeTensor("y", DataType::kInt64, {4}, labels, sizeof(labels))}),
            R"({"predictions":[0,1,2,9223372036854775807]})");
}

TEST(EncodePredictionsTest, SeveralOutputsAreKeyedByName) {
  const int64_t labels[] = {1};
  const float scores[] = {0.5f};
  EXPECT_EQ(EncodePredictions({MakeTensor("label", DataType::kInt64, {1}, labels, 8),
                               MakeTensor("score", DataType::kFp32, {1}, scores, 4)}),
            R"({"predictions":{"label":[1],"score":[0.5]}})");
  EXPECT_EQ(EncodePredictions({}), R"({"predictions":[]})");
}

TEST(EncodePredictionsTest, MalformedOutputIsNullNotAnOverread) {
  const float one[] = {1};  // 4 bytes where the shape asks for 3 floats
  EXPECT_EQ(EncodePredictions({MakeTensor("y", DataType::kFp32, {3}, one, 4)}),
            R"({"predictions":null})");
}

// ---- DecodePredict and MlflowBadRequest ----

TEST(DecodePredictTest, RowsOrOneFlatRow) {
  ModelMetadata m = TensorModel({-1, 3});
  auto rows = DecodePredict(R"({"features": [[1, 2, 3], [4, 5, 6]]})", m);
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  EXPECT_EQ((*rows)[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<float>((*rows)[0]), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  auto flat = DecodePredict(R"({"features": [1, 2, 3]})", m);
  ASSERT_TRUE(flat.ok()) << flat.status().message();
  EXPECT_EQ((*flat)[0].shape, (std::vector<int64_t>{1, 3}));
}

TEST(DecodePredictTest, BadBodiesAreInvalidArgument) {
  ModelMetadata m = TensorModel({-1, 3});
  for (std::string_view body :
       {R"({"features": [[1, 2]]})", R"({"features": [1, 2, 3, 4]})", R"({"features": []})",
        R"({"features": [["1", 2, 3]]})", R"({"rows": [[1, 2, 3]]})", R"([[1, 2, 3]])", "{"}) {
    auto result = DecodePredict(body, m);
    ASSERT_FALSE(result.ok()) << body;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << body;
    EXPECT_FALSE(result.status().message().empty()) << body;
  }
}

TEST(MlflowBadRequestTest, EscapesTheMessage) {
  ScoringError e = MlflowBadRequest("bad \"value\"\n");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.body, R"({"error_code":"BAD_REQUEST","message":"bad \"value\"\n"})");
}

// Missing values take no bytes of the request, so a wide CSV header followed by short rows (or
// records with disjoint keys) expanded quadratically: 46 KB of CSV asked for 2 GB, 440 KB for
// 20 GB (fuzz/corpus/mlflow_scoring/regress_csv_missing_values_blowup). The input is bounded by
// the request's size instead (4 values per byte, plus 65536), and what passes that is a 400.
TEST(MlflowScoring, MissingValuesCannotExpandASmallRequestWithoutBound) {
  std::string csv = std::string(23170, ',') + "\n";
  for (int i = 0; i < 11585; ++i) csv += "1\n";
  EXPECT_THAT(BadRequestMessage(Decode(csv, TensorModel({-1, -1}, DataType::kFp64), "text/csv")),
              HasSubstr("would hold more than"));
  std::string records = "[";
  for (int i = 0; i < 2000; ++i) records += (i ? ",{\"c" : "{\"c") + std::to_string(i) + "\":1}";
  EXPECT_THAT(
      BadRequestMessage(Decode(R"({"dataframe_records":)" + records + "]}", TensorModel({-1, -1}))),
      HasSubstr("would hold more than"));
  // Sparse but not pathological: a few missing values are still NaN.
  Tensor sparse = Input(Decode("a,b,c\n1\n2,3\n", TensorModel({-1, -1}), "text/csv"));
  EXPECT_EQ(sparse.shape, (std::vector<int64_t>{2, 3}));
}

// Found by fuzz/mlflow_scoring_fuzz (fuzz/corpus/mlflow_scoring/string_value): the message quoted
// the first 50 bytes of a string value, splitting a two-byte character, so the 400's body was not
// UTF-8 and not JSON.
TEST(MlflowScoring, QuotedStringsAreCutBetweenCharacters) {
  std::string value = "x";
  for (int i = 0; i < 30; ++i) value += "\xc3\xa9";  // é
  std::string message =
      BadRequestMessage(Decode(R"({"instances":[[")" + value + R"(",1,2]]})", ColumnModel()));
  EXPECT_THAT(message, HasSubstr("the string \"x\xc3\xa9\xc3\xa9"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr(value)));
}

}  // namespace
}  // namespace mlhub::serving
