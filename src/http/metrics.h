// SPDX-License-Identifier: Apache-2.0
// HttpMetrics: request counts and latency histograms by route and status, rendered in the
// Prometheus text format for `/metrics`. Thread-safe; Record is cheap enough for every request.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace mlhub::http {

class HttpMetrics {
 public:
  // `route` is the matched route pattern ("unmatched" when none matched), `method` e.g. "GET".
  void Record(std::string_view method, std::string_view route, int status, double seconds);
  // Appends the exposition text: mlhub_http_requests_total{method,route,status} and
  // mlhub_http_request_duration_seconds{method,route} histogram.
  void Render(std::string* out) const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // count per bucket (not cumulative); one per upper bound + Inf
    uint64_t count = 0;
    double sum = 0;
  };
  // std::less<> lets Record look keys up by string_view without allocating.
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t, std::less<>>
      counts_;  // GUARDED_BY(mu_)
  std::map<std::tuple<std::string, std::string>, Histogram, std::less<>>
      latency_;  // GUARDED_BY(mu_)
};

}  // namespace mlhub::http
