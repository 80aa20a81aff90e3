// SPDX-License-Identifier: Apache-2.0
#include "store/metric_points.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace mlhub::store {
namespace {

uint64_t ToLittleEndian(uint64_t v) {
  if constexpr (std::endian::native == std::endian::big) return __builtin_bswap64(v);
  return v;
}

void PutU64(uint64_t v, std::string* out) {
  v = ToLittleEndian(v);
  char bytes[8];
  std::memcpy(bytes, &v, 8);
  out->append(bytes, 8);
}

uint64_t GetU64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return ToLittleEndian(v);
}

double TieBreakValue(double value) { return std::isnan(value) ? 0.0 : value; }

}  // namespace

double ClampMetricValue(double value) {
  if (std::isinf(value)) {
    return value > 0 ? std::numeric_limits<double>::max() : std::numeric_limits<double>::lowest();
  }
  return value;
}

bool ReplacesLatest(const MetricPoint& candidate, const MetricPoint& current) {
  if (candidate.step != current.step) return candidate.step > current.step;
  if (candidate.timestamp != current.timestamp) return candidate.timestamp > current.timestamp;
  return TieBreakValue(candidate.value) >= TieBreakValue(current.value);
}

void AppendPackedPoint(const MetricPoint& point, std::string* out) {
  PutU64(static_cast<uint64_t>(point.timestamp), out);
  PutU64(static_cast<uint64_t>(point.step), out);
  PutU64(std::bit_cast<uint64_t>(point.value), out);
}

MetricPoint UnpackPoint(const char* packed) {
  MetricPoint point;
  point.timestamp = static_cast<int64_t>(GetU64(packed));
  point.step = static_cast<int64_t>(GetU64(packed + 8));
  point.value = std::bit_cast<double>(GetU64(packed + 16));
  return point;
}

}  // namespace mlhub::store
