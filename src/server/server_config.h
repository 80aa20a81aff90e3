// SPDX-License-Identifier: Apache-2.0
// ServerConfig: everything `mlhub server` is told, from flags, then environment, then defaults
// (flag names follow `mlflow server`).
#pragma once

#include <cstdint>
#include <string>

namespace mlhub::server {

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 5000;
  int workers = 0;          // I/O threads; 0 = half the cores (at least 1)
  int handler_threads = 0;  // pool that runs handlers (SQL, files); 0 = by backend (app.cc)
  std::string backend_store_uri = "sqlite:///mlhub.db";
  std::string artifacts_destination = "./mlartifacts";
  // Where new experiments' artifacts go. Empty: "mlflow-artifacts:" (proxied through this server).
  std::string default_artifact_root;
  bool serve_artifacts = true;
  int db_pool_size = 0;             // 0 = sized to the blocking pool
  int db_connect_timeout_s = 5;     // PostgreSQL: connect (and wait for a pooled connection)
  int db_statement_timeout_s = 30;  // PostgreSQL: statement_timeout; 0 = none
  uint64_t max_body_mb = 64;        // non-upload request bodies
  size_t max_header_kb = 64;        // request line + headers
  int idle_timeout_s = 60;
  size_t max_connections = 10000;  // open at once; more are answered 503
  std::string tls_cert_file;       // HTTPS: PEM certificate (chain) and key; both empty: plain HTTP
  std::string tls_key_file;
  std::string tls_client_ca_file;  // mutual TLS: clients must show a certificate this CA signed
  // Authentication (MLflow's basic-auth app): "" (off) or "basic". The admin is created at
  // startup when missing; users without a permission row get the default permission.
  std::string auth;
  std::string auth_admin_username = "admin";
  std::string auth_admin_password;  // required with auth
  std::string auth_default_permission = "READ";
  int shutdown_grace_s = 30;
};

}  // namespace mlhub::server
