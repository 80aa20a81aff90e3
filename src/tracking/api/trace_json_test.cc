// SPDX-License-Identifier: Apache-2.0
#include "tracking/api/trace_json.h"

#include <gtest/gtest.h>

namespace mlhub::tracking::api {
namespace {

TEST(TraceJsonTest, TimestampsRoundTripInUtcWithMilliseconds) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimestamp(1767323045678), "2026-01-02T03:04:05.678Z");
  EXPECT_EQ(ParseTimestamp("2026-01-02T03:04:05.678Z").value(), 1767323045678);
  EXPECT_EQ(ParseTimestamp("2026-01-02T03:04:05Z").value(), 1767323045000);
  // an offset, digits past milliseconds dropped, fewer digits padded
  EXPECT_EQ(ParseTimestamp("2026-01-02T05:04:05.678912+02:00").value(), 1767323045678);
  EXPECT_EQ(ParseTimestamp("2026-01-02T03:04:05.5Z").value(), 1767323045500);
  EXPECT_EQ(ParseTimestamp("2024-02-29T00:00:00Z").value(), 1709164800000);  // a leap day
}

TEST(TraceJsonTest, TimestampsThatAreNotRfc3339AreRefused) {
  for (const char* bad :
       {"", "yesterday", "2026-01-02 03:04:05Z", "2026-01-02T03:04:05", "2026-13-02T03:04:05Z",
        "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-02T24:00:00Z",
        "2026-01-02T03:04:60Z", "2026-01-02T03:04:05.Z", "2026-01-02T03:04:05+99:00",
        "2026-01-02T03:04:05+-1:00", "2026-01-02T03:04:05Zjunk", "20260-01-02T03:04:05Z"}) {
    EXPECT_EQ(ParseTimestamp(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TraceJsonTest, DurationsAreSecondsWithAnSSuffix) {
  EXPECT_EQ(FormatDuration(1840), "1.840s");
  EXPECT_EQ(FormatDuration(2000), "2s");
  EXPECT_EQ(FormatDuration(42), "0.042s");
  EXPECT_EQ(ParseDuration("1.840s").value(), 1840);
  EXPECT_EQ(ParseDuration("2s").value(), 2000);
  EXPECT_EQ(ParseDuration("0.0425s").value(), 42);
  for (const char* bad : {"", "s", "5", "1.s", "-1s", "+1s", " 1s", "1e3s", "0x10s", "nans",
                          "1.5ss", "9999999999999999s"}) {
    EXPECT_EQ(ParseDuration(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace mlhub::tracking::api
