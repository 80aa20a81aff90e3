// SPDX-License-Identifier: Apache-2.0
#include "server/app.h"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <thread>

#include "artifacts/artifact_store_factory.h"
#include "artifacts/s3/s3_client.h"
#include "auth/auth_routes.h"
#include "auth/authorizer.h"
#include "common/clock.h"
#include "common/cpu_count.h"
#include "common/json_writer.h"
#include "common/termination_signals.h"
#include "http/http_server.h"
#include "http/metrics.h"
#include "http/router.h"
#include "registry/api/registry_routes.h"
#include "registry/registry_service.h"
#include "rest/mlflow_error.h"
#include "store/store_factory.h"
#include "tracking/api/tracking_routes.h"
#include "tracking/tracking_service.h"
#include "ui/static_site.h"

namespace mlhub::server {
namespace {

void AddOperationalRoutes(http::Router& router, const http::HttpMetrics& metrics) {
  router.Add(http::Method::kGet, "/health",
             [](http::Request&) { return http::Response::Text(200, "OK"); });
  router.Add(http::Method::kGet, "/version",
             [](http::Request&) { return http::Response::Text(200, MLHUB_VERSION); });
  router.Add(http::Method::kGet, "/metrics", [&metrics](http::Request&) {
    http::Response response = http::Response::Text(200, "");
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    metrics.Render(&response.body);
    return response;
  });
}

// Answers the artifact API with 503 when artifact serving is off, as `mlflow server` does.
void AddArtifactsDisabledRoutes(http::Router& router) {
  for (const char* prefix : {"/api/2.0/mlflow-artifacts/", "/ajax-api/2.0/mlflow-artifacts/"}) {
    for (http::Method method :
         {http::Method::kGet, http::Method::kPut, http::Method::kDelete, http::Method::kPost}) {
      router.AddPrefix(method, prefix, [](http::Request&) {
        return http::Response::Text(
            503, "Endpoint disabled: the server was started with --no-serve-artifacts.");
      });
    }
  }
}

// glibc gives each of up to 8 x cores threads a malloc arena of its own, and memory freed in one
// stays there: with many handler threads a large response leaves its memory in every arena that
// ever served one (measured on PostgreSQL, 16 handlers: 18 MB RSS growth over 21 100k-point
// get-history calls, against 1.6 MB with two arenas and the same throughput). One arena per core
// is enough for threads that mostly wait; MALLOC_ARENA_MAX, when set, still wins.
void LimitMallocArenas(int cores) {
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, std::max(2, cores));
}

// The UI compiled in, or the folder $MLHUB_UI_DIR names (UI development, unembedded builds).
StatusOr<std::shared_ptr<const ui::StaticSite>> OpenUi() {
  const char* dir = std::getenv("MLHUB_UI_DIR");
  if (dir == nullptr || *dir == '\0') {
    return std::make_shared<const ui::StaticSite>(ui::StaticSite::Embedded());
  }
  auto site = ui::StaticSite::FromDirectory(dir);
  if (!site.ok()) return InvalidArgumentError("MLHUB_UI_DIR: " + site.status().message());
  spdlog::info("serving the web UI from {}", dir);
  return std::make_shared<const ui::StaticSite>(*std::move(site));
}

}  // namespace

int RunServer(const ServerConfig& config, const Companion* companion) {
  // Before any thread exists, so every thread inherits the mask and only the watcher sees them.
  BlockTerminationSignals();

  int cores = AvailableCores();
  LimitMallocArenas(cores);
  http::HttpServerConfig http_config;
  http_config.host = config.host;
  http_config.port = config.port;
  // Measured on 2 cores (docs/benchmarks.md): half the cores moving bytes and one handler thread
  // per core plus one beat "a thread per core each" by 40%; extra threads only add switching.
  http_config.io_threads = config.workers > 0 ? config.workers : std::max(1, cores / 2);
  // On PostgreSQL a handler mostly waits for the database's answers, not for a core, and writers
  // of one run that wait together are written together: more threads, bigger groups (measured:
  // log-metric at 16 clients, 3.7k req/s with 3 threads, 9.9k with 16).
  auto location = store::ParseBackendStoreUri(config.backend_store_uri);
  const bool postgres = location.ok() && location->kind == store::StoreLocation::Kind::kPostgres;
  const int default_handlers = postgres ? std::max(16, 4 * cores) : cores + 1;
  http_config.blocking_threads =
      config.handler_threads > 0 ? config.handler_threads : default_handlers;
  http_config.max_body_bytes = config.max_body_mb * 1024 * 1024;
  http_config.max_header_bytes = config.max_header_kb * 1024;
  http_config.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
  http_config.max_connections = config.max_connections;
  http_config.tls_cert_file = config.tls_cert_file;
  http_config.tls_key_file = config.tls_key_file;
  http_config.tls_client_ca_file = config.tls_client_ca_file;
  http_config.shutdown_grace = std::chrono::seconds(config.shutdown_grace_s);

  store::StoreConfig store_config;
  store_config.backend_store_uri = config.backend_store_uri;
  store_config.default_artifact_root =
      config.default_artifact_root.empty() ? "mlflow-artifacts:" : config.default_artifact_root;
  store_config.pool_size =
      config.db_pool_size > 0 ? config.db_pool_size : http_config.blocking_threads;
  store_config.connect_timeout_s = config.db_connect_timeout_s;
  store_config.statement_timeout_s = config.db_statement_timeout_s;
  const std::string store_uri = store::RedactBackendStoreUri(config.backend_store_uri);
  auto stores = store::OpenStores(store_config);
  if (!stores.ok()) {
    spdlog::error("cannot open the backend store {}: {}", store_uri, stores.status().message());
    return 1;
  }
  auto artifact_store = artifacts::CreateArtifactStore(config.artifacts_destination);
  if (!artifact_store.ok()) {
    spdlog::error("cannot open the artifact destination {}: {}", config.artifacts_destination,
                  artifact_store.status().message());
    return 1;
  }

  SystemClock clock;
  tracking::TrackingService tracking(*stores->tracking, clock);
  registry::RegistryService registry(*stores->registry, *stores->tracking, clock);
  http::HttpMetrics metrics;
  http::Router router;
  // Authentication wraps every route added after it (auth/authorizer.h).
  std::unique_ptr<auth::AuthStore> auth_store;
  if (!config.auth.empty()) {
    auto default_permission = auth::ParsePermission(config.auth_default_permission);
    if (config.auth != "basic" || !default_permission) {
      spdlog::error(
          "--auth takes 'basic' and --auth-default-permission READ, EDIT, MANAGE or "
          "NO_PERMISSIONS");
      return 2;
    }
    if (config.auth_admin_password.empty()) {
      spdlog::error(
          "--auth basic needs the admin's password: --auth-admin-password or "
          "MLHUB_AUTH_ADMIN_PASSWORD");
      return 2;
    }
    auth_store = std::make_unique<auth::AuthStore>(stores->database);
    auto admin = auth_store->CreateUser(config.auth_admin_username, config.auth_admin_password,
                                        /*is_admin=*/true);
    if (admin.ok()) {
      spdlog::info("created the admin user '{}'", config.auth_admin_username);
    } else if (admin.status().code() != StatusCode::kAlreadyExists) {
      spdlog::error("cannot create the admin user: {}", admin.status().message());
      return 1;
    }
    auth::ResourceLookups lookups;
    lookups.experiment_of_run = [&tracking](std::string_view run_id) -> StatusOr<std::string> {
      ASSIGN_OR_RETURN(store::Run run, tracking.GetRun(run_id));
      return run.info.experiment_id;
    };
    lookups.experiment_by_name = [&tracking](std::string_view name) -> StatusOr<std::string> {
      ASSIGN_OR_RETURN(store::Experiment experiment, tracking.GetExperimentByName(name));
      return experiment.experiment_id;
    };
    lookups.experiment_of_logged_model =
        [&tracking](std::string_view model_id) -> StatusOr<std::string> {
      return tracking.GetLoggedModelExperiment(model_id);
    };
    lookups.experiment_of_trace = [&tracking](std::string_view trace_id) -> StatusOr<std::string> {
      ASSIGN_OR_RETURN(store::TraceInfo trace, tracking.GetTraceInfo(trace_id));
      return trace.experiment_id;
    };
    router.SetFilter(std::make_shared<auth::Authorizer>(
        auth_store.get(), auth::AuthConfig{*default_permission}, std::move(lookups)));
    auth::AddAuthRoutes(router, *auth_store);
  }
  // Requests the transport refuses (too large, malformed) are answered as MLflow errors too.
  router.SetTransportErrorResponder([](int status, std::string_view message) {
    // Each status with an MLflow error code that does not claim another status (MLflow has none
    // for 413 / 431; its client retries only 429 and 5xx).
    const char* code = status >= 500   ? "INTERNAL_ERROR"
                       : status == 413 ? "MAX_BLOB_SIZE_EXCEEDED"
                       : status == 431 ? "MAX_READ_SIZE_EXCEEDED"
                                       : "INVALID_PARAMETER_VALUE";
    std::string body;
    JsonWriter(&body).StartObject().Field("error_code", code).Field("message", message).EndObject();
    return http::Response::Json(status, std::move(body));
  });
  // No route (or not for this method): an MLflow error too, so API clients can parse it.
  router.SetNotFound([](http::Request& request) {
    return rest::ErrorResponse(NotFoundError(fmt::format("No API endpoint for {}", request.path)));
  });
  AddOperationalRoutes(router, metrics);
  tracking::api::AddExperimentRoutes(router, tracking);
  tracking::api::AddRunRoutes(router, tracking, **artifact_store);
  tracking::api::AddLoggedModelRoutes(router, tracking, **artifact_store);
  tracking::api::AddTraceRoutes(router, tracking);
  registry::api::AddRegistryRoutes(router, registry);
  if (config.serve_artifacts) {
    tracking::api::AddArtifactProxyRoutes(router, **artifact_store);
  } else {
    AddArtifactsDisabledRoutes(router);
  }

  // The web UI last: its prefix route takes what no API route does.
  auto site = OpenUi();
  if (!site.ok()) {
    spdlog::error("{}", site.status().message());
    return 2;
  }
  ui::AddUiRoutes(router, *std::move(site));

  auto server = http::HttpServer::Create(http_config, router, &metrics);
  if (!server.ok()) {
    spdlog::error("{}", server.status().message());
    return 1;
  }
  spdlog::info("mlhub server listening on {}://{}:{} (backend store {}, artifacts {})",
               config.tls_cert_file.empty() ? "http" : "https", config.host, (*server)->port(),
               store_uri, config.artifacts_destination);
  std::thread beside;
  if (companion) beside = std::thread(companion->run);
  {
    TerminationWatcher watcher([&server, companion] {
      (*server)->Shutdown();
      if (companion) companion->shutdown();
    });
    (*server)->Run();
  }
  if (companion) {
    companion->shutdown();  // when the tracking server stopped on its own
    beside.join();
  }
  spdlog::info("mlhub server stopped");
  return 0;
}

int RunDbUpgrade(const std::string& backend_store_uri) {
  store::StoreConfig store_config;
  store_config.backend_store_uri = backend_store_uri;
  store_config.pool_size = 1;
  const std::string store_uri = store::RedactBackendStoreUri(backend_store_uri);
  auto version = store::UpgradeDatabase(store_config);
  if (!version.ok()) {
    spdlog::error("database upgrade failed for {}: {}", store_uri, version.status().message());
    return 1;
  }
  spdlog::info("database {} is at schema version {}", store_uri, *version);
  return 0;
}

int RunStorageInit(const std::vector<std::string>& bucket_uris) {
  auto config = artifacts::s3::S3ConfigFromEnvironment();
  if (!config.ok()) {
    spdlog::error("{}", config.status().message());
    return 1;
  }
  artifacts::s3::S3Client client(*config);
  int failures = 0;
  for (const std::string& uri : bucket_uris) {
    auto location = artifacts::s3::ParseS3Uri(uri);
    Status created = location.ok() ? client.CreateBucket(location->bucket) : location.status();
    if (created.ok()) {
      spdlog::info("bucket s3://{} is ready", location->bucket);
    } else {
      spdlog::error("{}: {}", uri, created.message());
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace mlhub::server
