// SPDX-License-Identifier: Apache-2.0
// The composition root of `mlhub serve`: ServeConfig → model repository (backends, sources,
// schedulers) → HTTP and gRPC servers; loads every model in the background so the servers answer
// health checks at once; drains on shutdown (stop accepting, answer in-flight requests, then stop
// the models). `mlhub server --serve-models` runs one beside the tracking server.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "http/http_server.h"
#include "http/metrics.h"
#include "http/router.h"
#include "serving/server/serve_config.h"

namespace mlhub::serving {

class GrpcServer;
class ModelRepository;

class ServeApp {
 public:
  // Builds everything and binds the ports; InvalidArgument / AlreadyExists for a bad
  // configuration, another error when a port cannot be bound.
  static StatusOr<std::unique_ptr<ServeApp>> Create(const ServeConfig& config);
  ~ServeApp();  // stops the models (after Run has returned)

  // Serves until Shutdown; starts loading the models first.
  void Run();
  // Thread-safe; Run returns once in-flight requests are answered.
  void Shutdown();

 private:
  ServeApp() = default;

  std::unique_ptr<ModelRepository> repository_;  // outlives the servers (declared first)
  std::vector<std::string> model_names_;
  http::Router router_;
  http::HttpMetrics http_metrics_;
  std::unique_ptr<http::HttpServer> http_server_;
  std::unique_ptr<GrpcServer> grpc_server_;
  std::vector<std::thread> loaders_;
};

// `mlhub serve`: runs until SIGTERM/SIGINT; returns the process exit code (2 for a bad
// configuration).
int RunServe(const ServeConfig& config);

}  // namespace mlhub::serving
