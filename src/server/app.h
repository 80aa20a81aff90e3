// SPDX-License-Identifier: Apache-2.0
// The composition root: turns a ServerConfig into a running `mlhub server` (store, artifact store,
// services, routes, HTTP server), handles SIGTERM/SIGINT with a graceful drain, and tears down in
// order. Nothing else in mlhub creates long-lived objects.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/server_config.h"

namespace mlhub::server {

// Something that runs beside the tracking server in the same process and stops with it
// (`--serve-models`: the inference server). `run` blocks until `shutdown` is called.
struct Companion {
  std::function<void()> run;
  std::function<void()> shutdown;
};

// Runs the server (and `companion`, on a thread of its own, once the server listens) until
// SIGTERM/SIGINT; returns the process exit code.
int RunServer(const ServerConfig& config, const Companion* companion = nullptr);

// `mlhub db upgrade`: applies schema migrations to the database and exits.
int RunDbUpgrade(const std::string& backend_store_uri);

// `mlhub storage init s3://bucket ...`: creates each bucket unless it exists (ours) and exits.
int RunStorageInit(const std::vector<std::string>& bucket_uris);

}  // namespace mlhub::server
