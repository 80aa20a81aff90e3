// SPDX-License-Identifier: Apache-2.0
// Metric points as the SQL store keeps them: the latest-value rule, MLflow's clamping of
// infinities, and the packed form of history chunks (24 bytes per point, little-endian
// timestamp int64, step int64, value double). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlhub::store {

struct MetricPoint {
  int64_t timestamp = 0;
  int64_t step = 0;
  double value = 0;
};

// One metric key's points in one write, in log order, and the latest of them.
struct KeyPoints {
  std::string key;
  std::vector<MetricPoint> points;
  MetricPoint latest;
};

inline constexpr size_t kPackedPointSize = 24;

// +/-Inf become +/-1.7976931348623157e308 (MLflow's SQL store does the same); NaN stays NaN.
double ClampMetricValue(double value);

// Whether `candidate` replaces `current` as a key's latest value: higher step wins, then higher
// timestamp, then higher value (NaN counting as 0, the value MLflow stores for it); a full tie
// goes to the candidate, the later-logged point.
bool ReplacesLatest(const MetricPoint& candidate, const MetricPoint& current);

void AppendPackedPoint(const MetricPoint& point, std::string* out);
// `packed` must hold at least kPackedPointSize bytes.
MetricPoint UnpackPoint(const char* packed);

}  // namespace mlhub::store
