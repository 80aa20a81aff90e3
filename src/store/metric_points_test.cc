// SPDX-License-Identifier: Apache-2.0
#include "store/metric_points.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace mlhub::store {
namespace {

TEST(MetricPointsTest, HigherStepWinsRegardlessOfTimestampAndValue) {
  EXPECT_TRUE(ReplacesLatest({/*timestamp=*/1, /*step=*/2, /*value=*/0}, {9, 1, 100}));
  EXPECT_FALSE(ReplacesLatest({9, 1, 100}, {1, 2, 0}));
}

TEST(MetricPointsTest, TimestampThenValueBreakTies) {
  EXPECT_TRUE(ReplacesLatest({5, 1, 0}, {4, 1, 9}));
  EXPECT_FALSE(ReplacesLatest({4, 1, 9}, {5, 1, 0}));
  EXPECT_TRUE(ReplacesLatest({5, 1, 3}, {5, 1, 2}));
  EXPECT_FALSE(ReplacesLatest({5, 1, 2}, {5, 1, 3}));
  EXPECT_TRUE(ReplacesLatest({5, 1, 2}, {5, 1, 2}));  // a full tie goes to the later point
}

TEST(MetricPointsTest, NanCountsAsZeroInTheValueTieBreak) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(ReplacesLatest({5, 1, 1}, {5, 1, nan}));
  EXPECT_FALSE(ReplacesLatest({5, 1, nan}, {5, 1, 1}));
  EXPECT_TRUE(ReplacesLatest({5, 1, nan}, {5, 1, -1}));
}

TEST(MetricPointsTest, ClampsInfinitiesOnly) {
  EXPECT_EQ(ClampMetricValue(INFINITY), 1.7976931348623157e308);
  EXPECT_EQ(ClampMetricValue(-INFINITY), -1.7976931348623157e308);
  EXPECT_EQ(ClampMetricValue(2.5), 2.5);
  EXPECT_TRUE(std::isnan(ClampMetricValue(NAN)));
}

TEST(MetricPointsTest, PackedPointsRoundTrip) {
  std::string packed;
  AppendPackedPoint({-7, 1LL << 40, -0.5}, &packed);
  AppendPackedPoint({1'700'000'000'000, -3, NAN}, &packed);
  ASSERT_EQ(packed.size(), 2 * kPackedPointSize);
  EXPECT_EQ(packed[0], static_cast<char>(0xf9));  // little-endian -7
  MetricPoint a = UnpackPoint(packed.data());
  EXPECT_EQ(a.timestamp, -7);
  EXPECT_EQ(a.step, 1LL << 40);
  EXPECT_EQ(a.value, -0.5);
  MetricPoint b = UnpackPoint(packed.data() + kPackedPointSize);
  EXPECT_EQ(b.timestamp, 1'700'000'000'000);
  EXPECT_EQ(b.step, -3);
  EXPECT_TRUE(std::isnan(b.value));
}

}  // namespace
}  // namespace mlhub::store
