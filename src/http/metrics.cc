// SPDX-License-Identifier: Apache-2.0
#include "http/metrics.h"

#include <array>
#include <charconv>

namespace mlhub::http {
namespace {

constexpr std::array<double, 14> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                            0.1,    0.25,  0.5,    1,     2.5,  5,     10};
constexpr std::array<const char*, 15> kBoundLabels = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                                      "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                                      "1",      "2.5",   "5",      "10",    "+Inf"};

// Appends `value` escaped for a Prometheus label value.
void AppendLabel(std::string* out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

template <typename T>
void AppendNumber(std::string* out, T value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, ec == std::errc() ? end : buf);
}

void AppendMethodRoute(std::string* out, std::string_view method, std::string_view route) {
  out->append("method=\"");
  AppendLabel(out, method);
  out->append("\",route=\"");
  AppendLabel(out, route);
  out->push_back('"');
}

}  // namespace

void HttpMetrics::Record(std::string_view method, std::string_view route, int status,
                         double seconds) {
  size_t bucket = 0;
  while (bucket < kBounds.size() && seconds > kBounds[bucket]) ++bucket;
  std::lock_guard<std::mutex> lock(mu_);
  auto count_key = std::make_tuple(method, route, status);
  auto count_it = counts_.find(count_key);
  if (count_it == counts_.end()) {
    count_it =
        counts_.emplace(std::make_tuple(std::string(method), std::string(route), status), 0).first;
  }
  ++count_it->second;

  auto latency_key = std::make_tuple(method, route);
  auto latency_it = latency_.find(latency_key);
  if (latency_it == latency_.end()) {
    Histogram fresh;
    fresh.buckets.assign(kBoundLabels.size(), 0);
    latency_it =
        latency_.emplace(std::make_tuple(std::string(method), std::string(route)), std::move(fresh))
            .first;
  }
  Histogram& h = latency_it->second;
  ++h.buckets[bucket];
  ++h.count;
  h.sum += seconds;
}

void HttpMetrics::Render(std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  out->append(
      "# HELP mlhub_http_requests_total HTTP requests answered, by method, route and status.\n"
      "# TYPE mlhub_http_requests_total counter\n");
  for (const auto& [key, count] : counts_) {
    out->append("mlhub_http_requests_total{");
    AppendMethodRoute(out, std::get<0>(key), std::get<1>(key));
    out->append(",status=\"");
    AppendNumber(out, std::get<2>(key));
    out->append("\"} ");
    AppendNumber(out, count);
    out->push_back('\n');
  }
  out->append(
      "# HELP mlhub_http_request_duration_seconds HTTP request latency, from request headers "
      "received to response ready (streamed bodies excluded).\n"
      "# TYPE mlhub_http_request_duration_seconds histogram\n");
  for (const auto& [key, h] : latency_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBoundLabels.size(); ++i) {
      cumulative += h.buckets[i];
      out->append("mlhub_http_request_duration_seconds_bucket{");
      AppendMethodRoute(out, std::get<0>(key), std::get<1>(key));
      out->append(",le=\"");
      out->append(kBoundLabels[i]);
      out->append("\"} ");
      AppendNumber(out, cumulative);
      out->push_back('\n');
    }
    out->append("mlhub_http_request_duration_seconds_sum{");
    AppendMethodRoute(out, std::get<0>(key), std::get<1>(key));
    out->append("} ");
    AppendNumber(out, h.sum);
    out->append("\nmlhub_http_request_duration_seconds_count{");
    AppendMethodRoute(out, std::get<0>(key), std::get<1>(key));
    out->append("} ");
    AppendNumber(out, h.count);
    out->push_back('\n');
  }
}

}  // namespace mlhub::http
