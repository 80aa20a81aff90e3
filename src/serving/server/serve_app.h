// SPDX-License-Identifier: Apache-2.0
// The composition root of `mlhub serve`: ServeConfig → model repository (backends, sources,
// schedulers) → HTTP and gRPC servers; loads every model in the background so the servers answer
// health checks at once; drains on SIGTERM/SIGINT (stop accepting, answer in-flight requests,
// then stop the models).
#pragma once

#include "serving/server/serve_config.h"

namespace mlhub::serving {

// Runs until SIGTERM/SIGINT; returns the process exit code (2 for a bad configuration).
int RunServe(const ServeConfig& config);

}  // namespace mlhub::serving
