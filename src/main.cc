// SPDX-License-Identifier: Apache-2.0
// mlhub: flags → config → server::App. Nothing else lives here.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "common/termination_signals.h"
#include "server/app.h"
#include "serving/backends/torch/torch_backend.h"
#include "serving/server/serve_app.h"

namespace {

// `mlhub server --serve-models`: the inference server beside the tracking server, in the same
// process, serving every registered model that has the alias (through the tracking server's own
// REST API on loopback, like any other `mlhub serve`).
struct EmbeddedServe {
  bool enabled = false;
  std::string alias = "champion";
  uint16_t http_port = 8080;
  int grpc_port = 8081;
};

int RunServerWithModels(const mlhub::server::ServerConfig& config, const EmbeddedServe& embedded,
                        mlhub::serving::ServeConfig serve_config) {
  // Before the inference server starts threads: only the watcher may see SIGTERM/SIGINT.
  mlhub::BlockTerminationSignals();
  const bool wildcard = config.host == "0.0.0.0" || config.host == "::" || config.host.empty();
  serve_config.host = config.host;
  serve_config.http_port = embedded.http_port;
  serve_config.grpc_port = embedded.grpc_port;
  serve_config.serve_alias = embedded.alias;
  serve_config.tracking_uri =
      fmt::format("http://{}:{}", wildcard ? "127.0.0.1" : config.host, config.port);
  auto serving = mlhub::serving::ServeApp::Create(serve_config);
  if (!serving.ok()) {
    spdlog::error("--serve-models: {}", serving.status().message());
    return 2;
  }
  spdlog::info("serving every registered model with alias '{}'", embedded.alias);
  mlhub::server::Companion companion{[&serving] { (*serving)->Run(); },
                                     [&serving] { (*serving)->Shutdown(); }};
  return mlhub::server::RunServer(config, &companion);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mlhub: an MLflow-compatible tracking server and model server in one binary"};
  app.set_version_flag("--version", MLHUB_VERSION);
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "Log level: trace, debug, info, warn, error, critical")
      ->envname("MLHUB_LOG_LEVEL")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical"}));

  mlhub::server::ServerConfig config;
  CLI::App* server = app.add_subcommand("server", "Run the tracking server (MLflow REST API)");
  server->add_option("--host", config.host, "Address to listen on")->capture_default_str();
  server->add_option("--port,-p", config.port, "Port to listen on")->capture_default_str();
  server->add_option("--workers,-w", config.workers, "I/O threads (0: half the cores)")
      ->capture_default_str();
  server
      ->add_option(
          "--handler-threads", config.handler_threads,
          "Threads that run request handlers (0: cores + 1; PostgreSQL: max(16, 4 x cores))")
      ->capture_default_str();
  server
      ->add_option("--backend-store-uri", config.backend_store_uri,
                   "Metadata store: sqlite:///path.db or postgresql://user:pass@host:port/db")
      ->envname("MLFLOW_BACKEND_STORE_URI")
      ->capture_default_str();
  server
      ->add_option("--artifacts-destination", config.artifacts_destination,
                   "Where proxied artifacts are stored (a folder)")
      ->envname("MLFLOW_ARTIFACTS_DESTINATION")
      ->capture_default_str();
  server->add_option("--default-artifact-root", config.default_artifact_root,
                     "Artifact root for new experiments (default: mlflow-artifacts:, proxied)");
  server
      ->add_flag("--serve-artifacts,!--no-serve-artifacts", config.serve_artifacts,
                 "Serve the proxied artifact API")
      ->capture_default_str();
  server->add_option("--db-pool-size", config.db_pool_size, "Database connections (0: auto)");
  server
      ->add_option("--db-connect-timeout", config.db_connect_timeout_s,
                   "PostgreSQL: seconds to connect, or to wait for a free connection")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  server
      ->add_option("--db-statement-timeout", config.db_statement_timeout_s,
                   "PostgreSQL: seconds a statement may run (0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  server->add_option("--max-body-mb", config.max_body_mb, "Largest JSON request body, in MiB")
      ->capture_default_str();
  server
      ->add_option("--max-header-kb", config.max_header_kb,
                   "Largest request line + headers, in KiB")
      ->capture_default_str();
  server
      ->add_option("--idle-timeout", config.idle_timeout_s,
                   "Seconds before an idle connection closes")
      ->capture_default_str();
  server->add_option("--tls-cert", config.tls_cert_file, "HTTPS: PEM certificate (chain) file")
      ->envname("MLHUB_TLS_CERT");
  server->add_option("--tls-key", config.tls_key_file, "HTTPS: PEM private key file")
      ->envname("MLHUB_TLS_KEY");
  server
      ->add_option("--tls-client-ca", config.tls_client_ca_file,
                   "Mutual TLS: PEM CA certificate(s); clients must show a certificate they signed")
      ->envname("MLHUB_TLS_CLIENT_CA");
  server
      ->add_option("--max-connections", config.max_connections,
                   "Connections open at once; more are answered 503 (0: no limit)")
      ->capture_default_str();
  server
      ->add_option("--shutdown-grace", config.shutdown_grace_s,
                   "Seconds in-flight requests get on SIGTERM")
      ->capture_default_str();

  mlhub::serving::ServeConfig serve_config;
  CLI::App* serve = app.add_subcommand(
      "serve", "Run the inference server (KServe V2 REST + gRPC, MLflow /invocations, /predict)");
  serve->add_option("--model,-m", serve_config.models,
                    "NAME=URI, repeatable; URI: a directory, s3://..., runs:/..., models:/...");
  serve->add_option("--model-name,--model_name", serve_config.model_name,
                    "With --model-dir: the model's name (KServe's single-model form)");
  serve->add_option("--model-dir,--model_dir", serve_config.model_dir,
                    "A model directory to serve as --model-name (e.g. /mnt/models)");
  serve->add_option("--host", serve_config.host, "Address to listen on")->capture_default_str();
  serve->add_option("--http-port,--http_port", serve_config.http_port, "V2 REST / scoring port")
      ->envname("MLHUB_HTTP_PORT")
      ->capture_default_str();
  serve->add_option("--grpc-port,--grpc_port", serve_config.grpc_port, "V2 gRPC port (-1: off)")
      ->envname("MLHUB_GRPC_PORT")
      ->capture_default_str();
  serve
      ->add_option("--tracking-uri", serve_config.tracking_uri,
                   "Tracking server for runs:/ and models:/ URIs")
      ->envname("MLFLOW_TRACKING_URI");
  serve
      ->add_option("--registry-poll-interval", serve_config.registry_poll_s,
                   "Seconds between checks of models:/...@alias, /Stage and /latest URIs; a "
                   "moved URI loads the new version and swaps to it (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  serve->add_option("--model-cache-dir", serve_config.cache_dir,
                    "Where downloaded models go (default: a temporary folder)");
  serve
      ->add_option("--max-batch-size", serve_config.max_batch_size,
                   "Rows per model execution (1: no batching)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  serve
      ->add_option("--max-queue-delay-us", serve_config.max_queue_delay_us,
                   "How long a batch may wait to fill (0: run as soon as an instance is free)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{10'000'000}));
  serve
      ->add_option("--max-queue-size", serve_config.max_queue_size,
                   "Requests that may wait per model; more are refused with 503")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  serve
      ->add_option("--instances", serve_config.instances,
                   "Model instances (execution threads) per model (0: one per core for models "
                   "that take microseconds, e.g. XGBoost, a small TorchScript MLP; else 1)")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  serve
      ->add_option("--torch-threads", serve_config.torch_threads,
                   "LibTorch intra-op threads (1 suits serving: requests run in parallel on "
                   "instances)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  serve
      ->add_option("--xgboost-predictor", serve_config.xgboost_predictor,
                   "XGBoost models: compiled (a compiled copy of the trees, checked against "
                   "XGBoost at load) or library (XGBoost's own predictor)")
      ->capture_default_str()
      ->check(CLI::IsMember({"compiled", "library"}));
  serve
      ->add_option("--device", serve_config.device,
                   "Where TorchScript models run: cpu, cuda or cuda:N")
      ->capture_default_str()
      ->check([](const std::string& device) {
        return mlhub::serving::IsTorchDevice(device) ? "" : "must be cpu, cuda or cuda:N";
      });
  serve->add_option("--workers,-w", serve_config.workers, "HTTP I/O threads (0: the cores)")
      ->capture_default_str();
  serve->add_option("--max-body-mb", serve_config.max_body_mb, "Largest request body, in MiB")
      ->capture_default_str();
  serve
      ->add_option("--api-key-file", serve_config.api_key_file,
                   "Keys (one per line) one of which every request but the health probes and "
                   "/metrics must send as 'Authorization: Bearer <key>'")
      ->envname("MLHUB_API_KEY_FILE");
  serve
      ->add_option("--tls-cert", serve_config.tls_cert_file,
                   "HTTPS and gRPC over TLS: PEM certificate (chain) file")
      ->envname("MLHUB_TLS_CERT");
  serve->add_option("--tls-key", serve_config.tls_key_file, "TLS: PEM private key file")
      ->envname("MLHUB_TLS_KEY");
  serve
      ->add_option("--tls-client-ca", serve_config.tls_client_ca_file,
                   "Mutual TLS (HTTP and gRPC): PEM CA certificate(s); clients must show a "
                   "certificate they signed")
      ->envname("MLHUB_TLS_CLIENT_CA");
  serve
      ->add_option("--max-connections", serve_config.max_connections,
                   "HTTP connections open at once; more are answered 503 (0: no limit)")
      ->capture_default_str();
  serve
      ->add_option("--max-header-kb", serve_config.max_header_kb,
                   "Largest request line + headers, in KiB")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  serve
      ->add_option("--idle-timeout", serve_config.idle_timeout_s,
                   "Seconds before an idle connection closes")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  serve
      ->add_option("--shutdown-grace", serve_config.shutdown_grace_s,
                   "Seconds in-flight requests get on SIGTERM")
      ->capture_default_str();

  server
      ->add_option("--auth,--app-name", config.auth,
                   "Authentication: basic (MLflow's basic-auth app; --app-name basic-auth is "
                   "taken too)")
      ->transform([](std::string value) { return value == "basic-auth" ? "basic" : value; })
      ->check(CLI::IsMember({"basic"}));
  server
      ->add_option("--auth-admin-username", config.auth_admin_username,
                   "With --auth: the admin created at startup when missing")
      ->envname("MLHUB_AUTH_ADMIN_USERNAME")
      ->capture_default_str();
  server
      ->add_option("--auth-admin-password", config.auth_admin_password,
                   "With --auth: the admin's password (prefer the environment variable)")
      ->envname("MLHUB_AUTH_ADMIN_PASSWORD");
  server
      ->add_option("--auth-default-permission", config.auth_default_permission,
                   "With --auth: what users may do where no permission was granted")
      ->capture_default_str()
      ->check(CLI::IsMember({"READ", "EDIT", "MANAGE", "NO_PERMISSIONS"}));
  EmbeddedServe embedded;
  server
      ->add_flag("--serve-models", embedded.enabled,
                 "Also run the inference server (as `mlhub serve`), serving every registered "
                 "model that has --serve-alias, following the alias as it moves")
      ->capture_default_str();
  server->add_option("--serve-alias", embedded.alias, "With --serve-models: the alias to serve")
      ->capture_default_str();
  server
      ->add_option("--serve-http-port", embedded.http_port,
                   "With --serve-models: the inference server's V2 REST / scoring port")
      ->capture_default_str();
  server
      ->add_option("--serve-grpc-port", embedded.grpc_port,
                   "With --serve-models: the inference server's V2 gRPC port (-1: off)")
      ->capture_default_str();
  serve
      ->add_option("--serve-alias", serve_config.serve_alias,
                   "Also serve every registered model that has this alias (needs --tracking-uri)")
      ->capture_default_str();

  CLI::App* db = app.add_subcommand("db", "Database maintenance");
  db->require_subcommand(1);
  std::string db_uri = "sqlite:///mlhub.db";
  CLI::App* upgrade = db->add_subcommand("upgrade", "Apply schema migrations and exit");
  upgrade->add_option("url,--backend-store-uri", db_uri, "Metadata store URI")
      ->capture_default_str();

  CLI::App* storage = app.add_subcommand("storage", "Artifact storage maintenance");
  storage->require_subcommand(1);
  std::vector<std::string> bucket_uris;
  CLI::App* init = storage->add_subcommand(
      "init", "Create S3 buckets (idempotent), configured by MLFLOW_S3_ENDPOINT_URL and AWS_*");
  init->add_option("uris", bucket_uris, "s3://bucket[/prefix] ...")->required();

  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  if (*server && embedded.enabled) return RunServerWithModels(config, embedded, serve_config);
  if (*server) return mlhub::server::RunServer(config);
  if (*serve) return mlhub::serving::RunServe(serve_config);
  if (*upgrade) return mlhub::server::RunDbUpgrade(db_uri);
  if (*init) return mlhub::server::RunStorageInit(bucket_uris);
  return 1;
}
