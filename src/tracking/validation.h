// SPDX-License-Identifier: Apache-2.0
// MLflow's server-side validation limits (key names, value lengths, batch sizes, ids). Every
// failure is kInvalidArgument with a message in MLflow's words, which the REST layer turns into a
// 400 INVALID_PARAMETER_VALUE. Stateless and thread-safe.
#pragma once

#include <string_view>

#include "common/status.h"
#include "store/tracking_types.h"

namespace mlhub::tracking {

inline constexpr size_t kMaxKeyLength = 250;
inline constexpr size_t kMaxParamValueLength = 6000;
inline constexpr size_t kMaxTagValueLength = 5000;
inline constexpr size_t kMaxMetricsPerBatch = 1000;
inline constexpr size_t kMaxParamsOrTagsPerBatch = 100;
inline constexpr size_t kMaxEntitiesPerBatch = 1000;
inline constexpr size_t kMaxBatchRequestBytes = 1000 * 1000;
inline constexpr int64_t kMaxSearchResults = 50000;

// `kind` is "metric", "param" or "tag": it appears in the message.
Status ValidateKey(std::string_view kind, std::string_view key);
Status ValidateMetric(const store::Metric& metric);
Status ValidateParam(const store::Param& param);
Status ValidateRunTag(const store::Tag& tag);
Status ValidateExperimentTag(const store::Tag& tag);
Status ValidateBatch(const store::RunBatch& batch);
Status ValidateDatasetInputs(const std::vector<store::DatasetInput>& inputs);
Status ValidateRunId(std::string_view run_id);
Status ValidateExperimentId(std::string_view experiment_id);
Status ValidateExperimentName(std::string_view name);
Status ValidateMaxResults(int64_t max_results, int64_t limit);

}  // namespace mlhub::tracking
