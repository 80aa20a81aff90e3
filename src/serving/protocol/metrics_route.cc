// SPDX-License-Identifier: Apache-2.0
// GET /metrics: per-model counters in the Prometheus text format, named after Triton's
// (nv_inference_* there, mlhub_inference_* here), plus model readiness and the HTTP metrics.
#include <fmt/format.h>

#include "serving/protocol/serving_routes.h"

namespace mlhub::serving {
namespace {

struct Counter {
  std::string_view name;
  std::string_view help;
  std::atomic<uint64_t> ModelStats::*field;
};

constexpr Counter kCounters[] = {
    {"mlhub_inference_request_success", "Inference requests answered successfully",
     &ModelStats::request_success},
    {"mlhub_inference_request_failure", "Inference requests that failed",
     &ModelStats::request_failure},
    {"mlhub_inference_count", "Inferences performed (a batch of N rows counts N)",
     &ModelStats::inference_count},
    {"mlhub_inference_exec_count", "Model executions (batches run)", &ModelStats::execution_count},
    {"mlhub_inference_request_duration_us", "Total request time, arrival to answer",
     &ModelStats::request_duration_us},
    {"mlhub_inference_queue_duration_us", "Total time requests waited in the batch queue",
     &ModelStats::queue_duration_us},
    {"mlhub_inference_compute_infer_duration_us", "Total time requests spent in the model",
     &ModelStats::compute_duration_us},
};

// Model names come from flags or load calls: escape what Prometheus label values require.
std::string Escaped(std::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') escaped.push_back('\\');
    if (c == '\n') {
      escaped.append("\\n");
      continue;
    }
    escaped.push_back(c);
  }
  return escaped;
}

std::string Labels(std::string_view model, std::string_view version) {
  return fmt::format(R"({{model="{}",version="{}"}})", Escaped(model), Escaped(version));
}

std::string RenderServing(const ModelRepository& repository) {
  std::string out;
  auto models = repository.Loaded();
  for (const Counter& counter : kCounters) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} counter\n", counter.name,
                   counter.help, counter.name);
    for (const auto& model : models) {
      fmt::format_to(std::back_inserter(out), "{}{} {}\n", counter.name,
                     Labels(model->name(), model->version()),
                     (model->stats().*counter.field).load(std::memory_order_relaxed));
    }
  }
  out.append("# HELP mlhub_model_ready 1 when the model is loaded and serving\n");
  out.append("# TYPE mlhub_model_ready gauge\n");
  const std::vector<ModelStatus> index = repository.Index();
  for (const ModelStatus& status : index) {
    fmt::format_to(std::back_inserter(out), "mlhub_model_ready{} {}\n",
                   Labels(status.name, status.version), status.state == ModelState::kReady ? 1 : 0);
  }
  out.append("# HELP mlhub_model_loads_total Loads (and reloads) of the model that succeeded\n");
  out.append("# TYPE mlhub_model_loads_total counter\n");
  for (const ModelStatus& status : index) {
    fmt::format_to(std::back_inserter(out), "mlhub_model_loads_total{{model=\"{}\"}} {}\n",
                   Escaped(status.name), status.loads);
  }
  out.append("# HELP mlhub_model_load_failures_total Loads of the model that failed\n");
  out.append("# TYPE mlhub_model_load_failures_total counter\n");
  for (const ModelStatus& status : index) {
    fmt::format_to(std::back_inserter(out), "mlhub_model_load_failures_total{{model=\"{}\"}} {}\n",
                   Escaped(status.name), status.load_failures);
  }
  out.append(
      "# HELP mlhub_registry_checks_total Rounds of checks of models:/ URIs that can move\n");
  out.append("# TYPE mlhub_registry_checks_total counter\n");
  fmt::format_to(std::back_inserter(out), "mlhub_registry_checks_total {}\n",
                 repository.registry_checks());
  return out;
}

}  // namespace

void AddMetricsRoute(http::Router* router, ModelRepository* repository,
                     const http::HttpMetrics* http_metrics) {
  router->AddAsync(http::Method::kGet, "/metrics",
                   [repository, http_metrics](http::Request&, http::Responder respond) {
                     http::Response response;
                     response.content_type = "text/plain; version=0.0.4; charset=utf-8";
                     response.body = RenderServing(*repository);
                     if (http_metrics != nullptr) http_metrics->Render(&response.body);
                     respond(std::move(response));
                   });
}

}  // namespace mlhub::serving
