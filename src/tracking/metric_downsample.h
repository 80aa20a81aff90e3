// SPDX-License-Identifier: Apache-2.0
// Long metric histories for charts (the web UI's route metrics/get-history-downsampled): at most
// `max_points` points, the history cut into that many buckets of consecutive points along the
// x axis (step, or time), each answered by its last point plus the bucket's minimum and maximum
// value, so a spike inside a bucket stays visible. A history of at most `max_points` points comes
// back whole (min = max = value). The full history stays available through get-history.
#pragma once

#include <cstdint>
#include <vector>

#include "store/tracking_types.h"

namespace mlhub::tracking {

enum class HistoryAxis { kStep, kTime };

struct HistoryPoint {
  int64_t step = 0;
  int64_t timestamp = 0;
  double value = 0;
  double min = 0;  // over the bucket; NaN values are left out unless all are NaN
  double max = 0;
};

// `points` in any order; they are ordered along `axis` (ties: the other coordinate, then
// value). `max_points` >= 1.
std::vector<HistoryPoint> DownsampleHistory(std::vector<store::Metric> points, size_t max_points,
                                            HistoryAxis axis);

}  // namespace mlhub::tracking
