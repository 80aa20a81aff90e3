// SPDX-License-Identifier: Apache-2.0
#include "serving/server/serve_app.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <thread>

#include "common/cpu_count.h"
#include "common/termination_signals.h"
#include "http/http_server.h"
#include "http/metrics.h"
#include "http/router.h"
#include "serving/backends/module_backend.h"
#include "serving/backends/torch/torch_backend.h"
#include "serving/backends/xgboost/xgboost_backend.h"
#include "serving/protocol/api_keys.h"
#include "serving/protocol/grpc/grpc_server.h"
#include "serving/protocol/serving_routes.h"
#include "serving/repository/model_repository.h"

namespace mlhub::serving {
namespace {

struct ModelFlag {
  std::string name;
  std::string uri;
};

// NAME=URI pairs, plus KServe's --model-name/--model-dir form.
StatusOr<std::vector<ModelFlag>> ParseModelFlags(const ServeConfig& config) {
  std::vector<ModelFlag> models;
  for (const std::string& flag : config.models) {
    size_t eq = flag.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == flag.size()) {
      return InvalidArgumentError("--model takes NAME=URI, got '" + flag + "'");
    }
    models.push_back({flag.substr(0, eq), flag.substr(eq + 1)});
  }
  std::string model_dir = config.model_dir;
  // A KServe custom container with STORAGE_URI set gets the model unpacked in /mnt/models by the
  // storage initializer; serve it when no model was named explicitly.
  if (model_dir.empty() && models.empty() && std::getenv("STORAGE_URI") != nullptr) {
    model_dir = "/mnt/models";
  }
  if (!model_dir.empty()) {
    models.push_back({config.model_name.empty() ? "model" : config.model_name, model_dir});
  }
  if (models.empty() && config.serve_alias.empty()) {
    return InvalidArgumentError(
        "no model to serve: give --model NAME=URI, or --model-dir (or set STORAGE_URI for "
        "/mnt/models)");
  }
  return models;
}

// LibTorch lives in a module loaded with the first pytorch model (ADR 0005).
std::unique_ptr<ModelBackend> NewTorchModuleBackend(const ServeConfig& config) {
  // OpenBLAS reads its thread count when LibTorch pulls it in; one per intra-op thread, unless
  // the environment says otherwise.
  setenv("OPENBLAS_NUM_THREADS", std::to_string(config.torch_threads).c_str(), /*overwrite=*/0);
  TorchOptions options{config.torch_threads, config.device};
  BackendModule module;
  module.flavor = "pytorch";
  module.file = kTorchModuleFile;
  module.entry = kTorchModuleEntry;
  module.create = [options](void* entry) {
    return reinterpret_cast<NewTorchBackendFn>(entry)(&options);
  };
  module.missing_hint = "; mlhub was built without it (-DMLHUB_WITH_TORCH=OFF?)";
  return NewModuleBackend(std::move(module));
}

}  // namespace

StatusOr<std::unique_ptr<ServeApp>> ServeApp::Create(const ServeConfig& config) {
  ASSIGN_OR_RETURN(std::vector<ModelFlag> models, ParseModelFlags(config));
  if (!config.serve_alias.empty() && config.registry_poll_s <= 0) {
    return InvalidArgumentError(
        "serving the models with an alias needs --registry-poll-interval > 0");
  }
  auto app = std::unique_ptr<ServeApp>(new ServeApp());

  RepositoryConfig repository_config;
  repository_config.scheduler.max_batch_size = config.max_batch_size;
  repository_config.scheduler.max_queue_delay_us = config.max_queue_delay_us;
  repository_config.scheduler.max_queue_size = config.max_queue_size;
  repository_config.instances = config.instances;
  std::vector<std::unique_ptr<ModelBackend>> backends;
  backends.push_back(NewXgboostBackend({config.xgboost_predictor == "compiled"}));
  backends.push_back(NewTorchModuleBackend(config));
  ModelSourceConfig source_config;
  source_config.tracking_uri = config.tracking_uri;
  source_config.cache_dir = config.cache_dir;
  app->repository_ = std::make_unique<ModelRepository>(repository_config, std::move(backends),
                                                       NewModelSource(source_config));
  ModelRepository& repository = *app->repository_;
  for (const ModelFlag& model : models) {
    RETURN_IF_ERROR(repository.Add(model.name, model.uri));
    app->model_names_.push_back(model.name);
  }
  if (!config.serve_alias.empty()) repository.ServeModelsWithAlias(config.serve_alias);
  if (config.registry_poll_s > 0) {
    repository.FollowRegistry(std::chrono::milliseconds(
        static_cast<int64_t>(std::max(1.0, config.registry_poll_s * 1000))));
  }

  std::shared_ptr<const ApiKeys> api_keys;
  if (!config.api_key_file.empty()) {
    ASSIGN_OR_RETURN(api_keys, ApiKeys::FromFile(config.api_key_file));
    app->router_.SetFilter(NewApiKeyFilter(api_keys));  // before any route is added
  }

  ServingInfo info;
  info.server_version = MLHUB_VERSION;
  info.default_model = models.empty() ? std::string() : models[0].name;
  AddV2Routes(&app->router_, &repository, info);
  AddScoringRoutes(&app->router_, &repository, info);
  AddMetricsRoute(&app->router_, &repository, &app->http_metrics_);

  const int cores = AvailableCores();
  http::HttpServerConfig http_config;
  http_config.host = config.host;
  http_config.port = config.http_port;
  http_config.io_threads = config.workers > 0 ? config.workers : cores;
  http_config.blocking_threads = 4;  // only load/unload run there
  http_config.max_body_bytes = static_cast<size_t>(config.max_body_mb) * 1024 * 1024;
  http_config.max_header_bytes = config.max_header_kb * 1024;
  http_config.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
  http_config.shutdown_grace = std::chrono::seconds(config.shutdown_grace_s);
  http_config.max_connections = config.max_connections;
  http_config.tls_cert_file = config.tls_cert_file;
  http_config.tls_key_file = config.tls_key_file;
  http_config.tls_client_ca_file = config.tls_client_ca_file;
  ASSIGN_OR_RETURN(app->http_server_,
                   http::HttpServer::Create(http_config, app->router_, &app->http_metrics_));
  spdlog::info("mlhub serve listening on {}://{}:{}",
               config.tls_cert_file.empty() ? "http" : "https", config.host,
               app->http_server_->port());
  if (config.grpc_port >= 0) {
    GrpcServerConfig grpc_config;
    grpc_config.host = config.host;
    grpc_config.port = config.grpc_port;
    grpc_config.server_name = info.server_name;
    grpc_config.server_version = info.server_version;
    // The HTTP body limit applies to gRPC messages too (gRPC's own limit is a 2 GiB int).
    grpc_config.max_message_bytes =
        static_cast<int>(std::min<int64_t>(int64_t{config.max_body_mb} << 20, INT32_MAX));
    grpc_config.shutdown_grace_s = config.shutdown_grace_s;
    grpc_config.api_keys = api_keys;
    grpc_config.tls_cert_file = config.tls_cert_file;
    grpc_config.tls_key_file = config.tls_key_file;
    grpc_config.tls_client_ca_file = config.tls_client_ca_file;
    ASSIGN_OR_RETURN(app->grpc_server_, GrpcServer::Start(grpc_config, &repository));
    spdlog::info("mlhub serve listening on grpc://{}:{}", config.host, app->grpc_server_->port());
  }
  return app;
}

ServeApp::~ServeApp() {
  for (std::thread& loader : loaders_) loader.join();
}

void ServeApp::Run() {
  // Each model loads on its own thread: a slow or failing one delays or harms no other.
  for (const std::string& name : model_names_) {
    loaders_.emplace_back([this, name] { (void)repository_->Load(name); });
  }
  http_server_->Run();
  // After HTTP has drained and before the models stop: in-flight gRPC calls still get answers.
  if (grpc_server_) grpc_server_->Shutdown();
}

void ServeApp::Shutdown() { http_server_->Shutdown(); }

int RunServe(const ServeConfig& config) {
  BlockTerminationSignals();
  auto app = ServeApp::Create(config);
  if (!app.ok()) {
    spdlog::error("{}", app.status().message());
    return app.status().code() == StatusCode::kInvalidArgument ||
                   app.status().code() == StatusCode::kAlreadyExists
               ? 2
               : 1;
  }
  {
    TerminationWatcher watcher([&app] { (*app)->Shutdown(); });
    (*app)->Run();
  }
  app->reset();
  spdlog::info("mlhub serve stopped");
  return 0;
}

}  // namespace mlhub::serving
