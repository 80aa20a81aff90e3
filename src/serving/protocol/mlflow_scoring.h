// SPDX-License-Identifier: Apache-2.0
// The codecs of MLflow's scoring protocol (`POST /invocations`, as `mlflow models serve` answers
// it) and of the seed API's `POST /predict`: request bodies to input tensors, output tensors to
// `{"predictions": ...}`. Pure functions without HTTP or threads; safe to call from any thread
// (JSON parsing uses the calling thread's parser, see common/json_reader.h).
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "serving/backends/model_backend.h"
#include "serving/backends/tensor.h"

namespace mlhub::serving {

// The answer to a request /invocations refuses, as MLflow gives it: 400 with
// `{"error_code": "BAD_REQUEST", "message": ...}` (application/json), or 415 with a text/plain
// message for a content type it does not take.
struct ScoringError {
  int status = 400;
  std::string content_type;
  std::string body;
  std::string message;  // the text alone, for protocols that answer errors in another shape
};

// A 400 in MLflow's error shape; also for errors found after decoding (e.g. by the model).
ScoringError MlflowBadRequest(std::string_view message);

// Decodes an /invocations body into the model's input: one tensor for metadata.inputs[0] with its
// name and datatype, shape [rows, columns] (or [rows] for a rank-1 input; other ranks, and FP16,
// BF16 and BYTES inputs, are refused with a 400).
//
// `content_type` is `application/json` or `text/csv`; the one parameter allowed is
// `charset=utf-8` (any case). Another charset, another parameter or another media type -> 415.
// JSON bodies hold exactly one of `dataframe_split` {columns?, data, index?}, `dataframe_records`
// [{col: v}], `instances` ([[...]] rows or [{col: v}] records) or `inputs` ([[...]] rows,
// {col: [values]} columns, or {"<input name>": [[...]]}); other keys such as `params` are
// ignored. CSV bodies have a header row of column names, then rows (RFC 4180 quoting).
//
// When the payload names columns and the model has metadata.input_columns, columns are mapped by
// name: a missing column is a 400 naming it, extra columns are dropped (MLflow's schema
// enforcement). Otherwise values are taken by position and their count must match the input.
// Numbers may be integers or floats, booleans count as 0/1; JSON null (and an empty CSV cell or a
// missing record key) is NaN for float inputs, an error for integer ones; strings are errors.
// Empty data gives a tensor with 0 rows.
// `dataframe` (optional) is set when the payload was a DataFrame (dataframe_split,
// dataframe_records or CSV), as MLflow's scoring server parses it.
std::variant<std::vector<Tensor>, ScoringError> DecodeInvocations(std::string_view content_type,
                                                                  std::string_view body,
                                                                  const ModelMetadata& metadata,
                                                                  bool* dataframe = nullptr);

// `{"predictions": [...]}`: a [N] output as a flat list, [N, K] as nested lists (any rank
// nests). Elements as the V2 codec writes them (serving/protocol/tensor_json.h): FP32 in the
// shortest form that reads back as the same float32, FP64 as the same double, integers as
// integers, BOOL as true/false; NaN and infinities as null (MLflow writes Python's non-JSON NaN).
// Several outputs: `{"predictions": {"name": [...], ...}}`; none: `{"predictions": []}`.
// With `records` (a DataFrame answer, see ModelMetadata::pyfunc_returns_dataframe) a single [N]
// or [N, K] output is written as `[{"0": v, ..., "K-1": w}, ...]`, as pandas' to_dict("records").
std::string EncodePredictions(const std::vector<Tensor>& outputs, bool records = false);

// The seed API: `{"features": [[13 numbers], ...]}`, or a single flat row `{"features": [...]}`,
// into the tensor for metadata.inputs[0] (same value rules as DecodeInvocations).
// InvalidArgument, with a message for `{"error": ...}`, otherwise.
StatusOr<std::vector<Tensor>> DecodePredict(std::string_view body, const ModelMetadata& metadata);

}  // namespace mlhub::serving
