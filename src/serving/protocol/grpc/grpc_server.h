// SPDX-License-Identifier: Apache-2.0
// GrpcServer: `inference.GRPCInferenceService` (KServe V2 over gRPC, plus Triton's repository and
// statistics calls) and the standard `grpc.health.v1.Health` service, over a ModelRepository.
// The same semantics as the V2 REST routes (v2_routes.cc), with gRPC status codes for errors.
//
// Threading: gRPC's own threads run the handlers, and none of them waits. ModelInfer decodes,
// enqueues on the model's scheduler and answers from the model's thread; load and unload (which
// block) each run on a thread of their own that Shutdown waits for.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "serving/protocol/api_keys.h"
#include "serving/repository/model_repository.h"

namespace mlhub::serving {

struct GrpcServerConfig {
  std::string host = "127.0.0.1";
  int port = 8081;  // 0: any free port (see GrpcServer::port)
  std::string server_name = "mlhub";
  std::string server_version;
  int max_message_bytes = 256 << 20;  // both directions; gRPC's default receive limit is 4 MiB
  int shutdown_grace_s = 30;          // in-flight calls still running after this are cancelled
  std::shared_ptr<const ApiKeys> api_keys;  // --api-key-file (null: open)
  std::string tls_cert_file;                // PEM; with tls_key_file: TLS (else plaintext)
  std::string tls_key_file;
  std::string tls_client_ca_file;  // PEM CA(s): require and verify client certificates
};

class GrpcServer {
 public:
  // Binds and starts serving. `repository` must outlive the server. Unavailable when the address
  // cannot be bound (in use, or a bad host).
  static StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerConfig& config,
                                                     ModelRepository* repository);
  virtual ~GrpcServer() = default;  // implementations shut down first

  // The bound port (the chosen one when the config asked for 0).
  virtual int port() const = 0;
  // Stops accepting calls, lets in-flight ones finish (up to the grace period) and joins the
  // load/unload threads. Graceful and idempotent; thread-safe.
  virtual void Shutdown() = 0;
};

}  // namespace mlhub::serving
