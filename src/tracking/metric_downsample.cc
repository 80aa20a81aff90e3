// SPDX-License-Identifier: Apache-2.0
#include "tracking/metric_downsample.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace mlhub::tracking {

std::vector<HistoryPoint> DownsampleHistory(std::vector<store::Metric> points, size_t max_points,
                                            HistoryAxis axis) {
  std::sort(points.begin(), points.end(), [axis](const store::Metric& a, const store::Metric& b) {
    if (axis == HistoryAxis::kStep) {
      return std::tie(a.step, a.timestamp) < std::tie(b.step, b.timestamp);
    }
    return std::tie(a.timestamp, a.step) < std::tie(b.timestamp, b.step);
  });
  const size_t n = points.size();
  const size_t buckets = std::min(n, std::max<size_t>(1, max_points));
  std::vector<HistoryPoint> out;
  out.reserve(buckets);
  for (size_t b = 0; b < buckets; ++b) {
    // Bucket b holds points [b*n/buckets, (b+1)*n/buckets): sizes differ by at most one.
    const size_t begin = b * n / buckets;
    const size_t end = (b + 1) * n / buckets;
    const store::Metric& last = points[end - 1];
    HistoryPoint point{last.step, last.timestamp, last.value, NAN, NAN};
    for (size_t i = begin; i < end; ++i) {
      const double v = points[i].value;
      if (std::isnan(v)) continue;
      if (std::isnan(point.min) || v < point.min) point.min = v;
      if (std::isnan(point.max) || v > point.max) point.max = v;
    }
    out.push_back(point);
  }
  return out;
}

}  // namespace mlhub::tracking
