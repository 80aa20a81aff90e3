// SPDX-License-Identifier: Apache-2.0
// ServeConfig: everything `mlhub serve` is started with (flags, then env, then these defaults).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mlhub::serving {

struct ServeConfig {
  std::string host = "127.0.0.1";  // containers pass 0.0.0.0
  uint16_t http_port = 8080;
  int grpc_port = 8081;             // -1: no gRPC server
  std::vector<std::string> models;  // NAME=URI
  // KServe's single-model form: --model-name/--model-dir (the storage initializer unpacks
  // STORAGE_URI into /mnt/models).
  std::string model_name;
  std::string model_dir;
  std::string tracking_uri;  // for runs:/ and models:/ (env MLFLOW_TRACKING_URI)
  std::string cache_dir;     // downloads of remote models (default: a temp folder)
  // Also serve every registered model that has this alias, as models:/<name>@<alias> (needs
  // tracking_uri; `mlhub server --serve-models` sets it).
  std::string serve_alias;
  double registry_poll_s = 1.0;  // how often moving models:/ URIs are checked (0: never)
  int64_t max_batch_size = 64;
  int64_t max_queue_delay_us = 0;
  int64_t max_queue_size = 4096;
  int instances = 0;           // model instances (execution threads) per model; 0: one per core for
                               // models that run inline (XGBoost, small TorchScript models), else 1
  int torch_threads = 1;       // LibTorch intra-op threads
  std::string device = "cpu";  // TorchScript models: cpu, cuda or cuda:N
  std::string xgboost_predictor = "compiled";  // XGBoost models: compiled (ADR 0006) or library
  int workers = 0;                             // HTTP I/O threads (0: the number of cores)
  int max_body_mb = 256;
  size_t max_header_kb = 64;       // request line + headers
  int idle_timeout_s = 60;         // an idle connection closes after this
  size_t max_connections = 10000;  // HTTP connections open at once; more are answered 503
  std::string api_key_file;        // bearer tokens for everything but the health probes
                                   // (empty: open)
  std::string tls_cert_file;       // HTTPS and gRPC over TLS: PEM certificate (chain) and key
  std::string tls_key_file;
  std::string tls_client_ca_file;  // mutual TLS (HTTP and gRPC): clients must show a certificate
                                   // this CA signed
  int shutdown_grace_s = 30;
};

}  // namespace mlhub::serving
