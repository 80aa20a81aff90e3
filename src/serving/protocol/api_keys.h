// SPDX-License-Identifier: Apache-2.0
// Bearer tokens for the inference endpoints (`mlhub serve --api-key-file FILE`): every HTTP
// route and gRPC call needs `Authorization: Bearer <key>` with one of the file's keys, except the
// health probes (/health, /ready, /ping, /v2/health/live|ready, gRPC ServerLive/ServerReady and
// grpc.health.v1) and /metrics (Prometheus scrapes it). Refusals: HTTP 401 `{"error": ...}` with
// `WWW-Authenticate: Bearer`, gRPC UNAUTHENTICATED. Keys are kept as SHA-256 digests and
// compared in constant time.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/router.h"

namespace mlhub::serving {

class ApiKeys {
 public:
  // One key per line; blank lines and lines starting with # are skipped, surrounding blanks
  // trimmed. InvalidArgument for an unreadable file or one without keys.
  static StatusOr<std::shared_ptr<const ApiKeys>> FromFile(const std::filesystem::path& file);
  static std::shared_ptr<const ApiKeys> FromKeys(const std::vector<std::string>& keys);

  // True for "Bearer <a key>" (the scheme in any case).
  bool Accepts(std::string_view authorization) const;

 private:
  std::vector<std::string> digests_;
};

// The HTTP side: refuses what Accepts refuses, except the open paths above.
std::shared_ptr<http::RouteFilter> NewApiKeyFilter(std::shared_ptr<const ApiKeys> keys);

}  // namespace mlhub::serving
