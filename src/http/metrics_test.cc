// SPDX-License-Identifier: Apache-2.0
#include "http/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlhub::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(HttpMetricsTest, EmptyRenderHasHeaders) {
  HttpMetrics m;
  std::string out = "prefix\n";
  m.Render(&out);
  EXPECT_EQ(out.rfind("prefix\n", 0), 0u);
  EXPECT_THAT(out, HasSubstr("# TYPE mlhub_http_requests_total counter\n"));
  EXPECT_THAT(out, HasSubstr("# TYPE mlhub_http_request_duration_seconds histogram\n"));
  EXPECT_THAT(out, HasSubstr("# HELP mlhub_http_requests_total "));
  EXPECT_THAT(out, Not(HasSubstr("_bucket")));
}

TEST(HttpMetricsTest, CountsAndHistogram) {
  HttpMetrics m;
  m.Record("GET", "/a", 200, 0.0001);
  m.Record("GET", "/a", 200, 0.003);
  m.Record("GET", "/a", 404, 20.0);
  m.Record("POST", "unmatched", 404, 0.5);
  std::string out;
  m.Render(&out);
  EXPECT_THAT(
      out, HasSubstr("mlhub_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2\n"));
  EXPECT_THAT(
      out, HasSubstr("mlhub_http_requests_total{method=\"GET\",route=\"/a\",status=\"404\"} 1\n"));
  EXPECT_THAT(
      out,
      HasSubstr(
          "mlhub_http_requests_total{method=\"POST\",route=\"unmatched\",status=\"404\"} 1\n"));
  const std::string b = "mlhub_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\",";
  EXPECT_THAT(out, HasSubstr(b + "le=\"0.0005\"} 1\n"));
  EXPECT_THAT(out, HasSubstr(b + "le=\"0.0025\"} 1\n"));
  EXPECT_THAT(out, HasSubstr(b + "le=\"0.005\"} 2\n"));
  EXPECT_THAT(out, HasSubstr(b + "le=\"10\"} 2\n"));
  EXPECT_THAT(out, HasSubstr(b + "le=\"+Inf\"} 3\n"));
  EXPECT_THAT(
      out, HasSubstr("mlhub_http_request_duration_seconds_count{method=\"GET\",route=\"/a\"} 3\n"));
  EXPECT_THAT(
      out,
      HasSubstr("mlhub_http_request_duration_seconds_sum{method=\"GET\",route=\"/a\"} 20.0031\n"));
  EXPECT_THAT(out, HasSubstr("route=\"unmatched\",le=\"0.5\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("route=\"unmatched\",le=\"0.25\"} 0\n"));
}

TEST(HttpMetricsTest, EscapesLabelValues) {
  HttpMetrics m;
  m.Record("GET", "/a\"b\\c\nd", 200, 0.01);
  std::string out;
  m.Render(&out);
  EXPECT_THAT(out, HasSubstr("route=\"/a\\\"b\\\\c\\nd\",status=\"200\"} 1\n"));
}

}  // namespace
}  // namespace mlhub::http
