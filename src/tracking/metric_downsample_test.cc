// SPDX-License-Identifier: Apache-2.0
#include "tracking/metric_downsample.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mlhub::tracking {
namespace {

std::vector<store::Metric> Series(int n) {
  std::vector<store::Metric> points;
  for (int i = 0; i < n; ++i) points.push_back({"loss", 1.0 / (i + 1), 1000 + i, i});
  return points;
}

TEST(DownsampleHistory, ShortHistoriesComeBackWhole) {
  auto out = DownsampleHistory(Series(5), 10, HistoryAxis::kStep);
  ASSERT_EQ(out.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(out[i].step, i);
    EXPECT_EQ(out[i].value, out[i].min);
    EXPECT_EQ(out[i].value, out[i].max);
  }
}

TEST(DownsampleHistory, KeepsASpikeInsideABucket) {
  auto points = Series(100000);
  points[54321].value = 1e6;  // one spike among 100,000 points
  points[77777].value = -5;   // and a dip
  auto out = DownsampleHistory(points, 1000, HistoryAxis::kStep);
  ASSERT_EQ(out.size(), 1000u);
  double highest = -INFINITY, lowest = INFINITY;
  for (const HistoryPoint& p : out) {
    highest = std::max(highest, p.max);
    lowest = std::min(lowest, p.min);
    EXPECT_LE(p.min, p.value);
    EXPECT_GE(p.max, p.value);
  }
  EXPECT_EQ(highest, 1e6);
  EXPECT_EQ(lowest, -5);
  // Each bucket is answered by its last point: 100 points per bucket here.
  EXPECT_EQ(out[0].step, 99);
  EXPECT_EQ(out.back().step, 99999);
}

TEST(DownsampleHistory, OrdersAlongTheChosenAxis) {
  std::vector<store::Metric> points = {
      {"m", 1, 300, 0}, {"m", 2, 100, 2}, {"m", 3, 200, 1}};  // logged out of order
  auto by_step = DownsampleHistory(points, 10, HistoryAxis::kStep);
  EXPECT_EQ(by_step[0].value, 1);
  EXPECT_EQ(by_step[2].value, 2);
  auto by_time = DownsampleHistory(points, 10, HistoryAxis::kTime);
  EXPECT_EQ(by_time[0].value, 2);
  EXPECT_EQ(by_time[2].value, 1);
}

TEST(DownsampleHistory, NanValuesDoNotHideTheRange) {
  std::vector<store::Metric> points = {{"m", NAN, 1, 0}, {"m", 4, 2, 1}, {"m", NAN, 3, 2}};
  auto out = DownsampleHistory(points, 1, HistoryAxis::kStep);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(std::isnan(out[0].value));  // the last point's own value
  EXPECT_EQ(out[0].min, 4);
  EXPECT_EQ(out[0].max, 4);
  EXPECT_TRUE(DownsampleHistory({}, 5, HistoryAxis::kStep).empty());
}

}  // namespace
}  // namespace mlhub::tracking
