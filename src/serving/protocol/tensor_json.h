// SPDX-License-Identifier: Apache-2.0
// Tensor elements ⇄ JSON arrays, shared by the V2 JSON codec and the MLflow scoring codec.
// Reading accepts flat or nested arrays (row-major); numbers are parsed exactly (simdjson) and
// cast to the datatype; writing prints the shortest form that round-trips at the tensor's own
// precision (float32 values as float32, not widened), flat.
#pragma once

#include <string>

#include "common/json_reader.h"
#include "common/status.h"
#include "serving/backends/tensor.h"

namespace mlhub::serving {

// Appends the elements of `value` (a number, bool, string or arbitrarily nested array of them) to
// `tensor->data` in `tensor->datatype`, and adds their count to `*count`. InvalidArgument for a
// value the datatype cannot hold (a string or `true` for FP32, 1.5 for INT32, 300 for UINT8, ...); FP16 and
// BF16 have no JSON form.
Status AppendJsonElements(json::Element value, Tensor* tensor, int64_t* count);

// Appends `[e0,e1,...]`: every element of the tensor, flat. NaN and infinities are written as
// null (JSON has no form for them).
void AppendJsonData(const Tensor& tensor, std::string* out);

// Appends one element, `index` in row-major order (for nested writers).
void AppendJsonElement(const Tensor& tensor, size_t index, std::string* out);

}  // namespace mlhub::serving
