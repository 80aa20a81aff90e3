// SPDX-License-Identifier: Apache-2.0
#include "serving/protocol/grpc/grpc_server.h"

#include <absl/synchronization/mutex.h>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "grpc_predict_v2.grpc.pb.h"
#include "http/tls_certificate.h"
#include "serving/protocol/grpc/grpc_codec.h"
#include "serving/protocol/inference.h"

namespace mlhub::serving {
namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

constexpr char kServiceName[] = "inference.GRPCInferenceService";

ServerUnaryReactor* Answer(CallbackServerContext* context, const Status& status) {
  ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// One thread per blocking call (load, unload: rare, and each may take seconds), joined as soon as
// a later call finds it done, and all of them at shutdown.
class BlockingCalls {
 public:
  ~BlockingCalls() { JoinAll(); }

  void Run(std::function<void()> work) {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(workers_, [](Worker& worker) {
      if (!worker.done->load()) return false;
      worker.thread.join();
      return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back({std::thread([work = std::move(work), done] {
                          work();
                          done->store(true);
                        }),
                        done});
  }

  void JoinAll() {
    std::vector<Worker> workers;
    {
      std::lock_guard<std::mutex> lock(mu_);
      workers.swap(workers_);
    }
    for (Worker& worker : workers) worker.thread.join();
  }

 private:
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex mu_;
  std::vector<Worker> workers_;  // GUARDED_BY(mu_)
};

void AddSpecs(
    const std::vector<TensorSpec>& specs,
    google::protobuf::RepeatedPtrField<inference::ModelMetadataResponse::TensorMetadata>* out) {
  for (const TensorSpec& spec : specs) {
    auto* tensor = out->Add();
    tensor->set_name(spec.name);
    tensor->set_datatype(std::string(DataTypeName(spec.datatype)));
    for (int64_t dim : spec.shape) tensor->add_shape(dim);
  }
}

void FillStatistics(ServedModel& model, inference::ModelStatistics* out) {
  ModelStats& stats = model.stats();
  const uint64_t success = stats.request_success.load();
  out->set_name(model.name());
  out->set_version(model.version());
  out->set_inference_count(stats.inference_count.load());
  out->set_execution_count(stats.execution_count.load());
  inference::InferStatistics* infer = out->mutable_inference_stats();
  infer->mutable_success()->set_count(success);
  infer->mutable_success()->set_ns(stats.request_duration_us.load() * 1000);
  // We time failures only as part of the total, so `fail` carries a count and no duration.
  infer->mutable_fail()->set_count(stats.request_failure.load());
  // Queue and compute times are totals over the requests that ran (Triton counts those too).
  infer->mutable_queue()->set_count(success);
  infer->mutable_queue()->set_ns(stats.queue_duration_us.load() * 1000);
  infer->mutable_compute_infer()->set_count(success);
  infer->mutable_compute_infer()->set_ns(stats.compute_duration_us.load() * 1000);
}

// ModelInfer is a raw method (its bytes parsed here): gRPC itself answers a message that does not
// parse with UNIMPLEMENTED and no text, which tells a client the wrong thing.
using InferenceServiceBase = inference::GRPCInferenceService::WithRawCallbackMethod_ModelInfer<
    inference::GRPCInferenceService::CallbackService>;

class InferenceService final : public InferenceServiceBase {
 public:
  InferenceService(const GrpcServerConfig& config, ModelRepository* repository,
                   BlockingCalls* blocking)
      : config_(config), repository_(repository), blocking_(blocking) {}

  // --api-key-file: every call but the liveness and readiness probes carries a key.
  bool Refused(CallbackServerContext* context) const {
    if (!config_.api_keys) return false;
    auto it = context->client_metadata().find("authorization");
    std::string_view value;
    if (it != context->client_metadata().end()) value = {it->second.data(), it->second.size()};
    return !config_.api_keys->Accepts(value);
  }
  static ServerUnaryReactor* Unauthenticated(CallbackServerContext* context) {
    return Answer(context,
                  Status(StatusCode::kUnauthenticated,
                         "a valid API key is required: send 'authorization: Bearer <key>'"));
  }

  ServerUnaryReactor* ServerLive(CallbackServerContext* context,
                                 const inference::ServerLiveRequest*,
                                 inference::ServerLiveResponse* response) override {
    response->set_live(true);
    return Answer(context, OkStatus());
  }

  // Not ready is an answer (ready=false), not an error, as in Triton and KServe.
  ServerUnaryReactor* ServerReady(CallbackServerContext* context,
                                  const inference::ServerReadyRequest*,
                                  inference::ServerReadyResponse* response) override {
    response->set_ready(repository_->AllReady());
    return Answer(context, OkStatus());
  }

  // A known model that is not ready answers ready=false; an unknown model or version is
  // NOT_FOUND (KServe's servers do the same), so a typo does not look like a slow load.
  ServerUnaryReactor* ModelReady(CallbackServerContext* context,
                                 const inference::ModelReadyRequest* request,
                                 inference::ModelReadyResponse* response) override {
    if (Refused(context)) return Unauthenticated(context);
    auto model = repository_->Get(request->name(), request->version());
    if (!model.ok() && model.status().code() != StatusCode::kUnavailable) {
      return Answer(context, model.status());
    }
    response->set_ready(model.ok());
    return Answer(context, OkStatus());
  }

  ServerUnaryReactor* ServerMetadata(CallbackServerContext* context,
                                     const inference::ServerMetadataRequest*,
                                     inference::ServerMetadataResponse* response) override {
    if (Refused(context)) return Unauthenticated(context);
    response->set_name(config_.server_name);
    response->set_version(config_.server_version);
    response->add_extensions("model_repository");
    response->add_extensions("statistics");
    return Answer(context, OkStatus());
  }

  ServerUnaryReactor* ModelMetadata(CallbackServerContext* context,
                                    const inference::ModelMetadataRequest* request,
                                    inference::ModelMetadataResponse* response) override {
    if (Refused(context)) return Unauthenticated(context);
    auto model = repository_->Get(request->name(), request->version());
    if (!model.ok()) return Answer(context, model.status());
    const ServedModel& served = **model;
    response->set_name(served.name());
    response->add_versions(served.version());
    response->set_platform(served.metadata().platform);
    AddSpecs(served.metadata().inputs, response->mutable_inputs());
    AddSpecs(served.metadata().outputs, response->mutable_outputs());
    return Answer(context, OkStatus());
  }

  // Decodes here, then lets the model's thread finish the call: no gRPC thread waits for a model.
  ServerUnaryReactor* ModelInfer(CallbackServerContext* context, const grpc::ByteBuffer* raw,
                                 grpc::ByteBuffer* raw_response) override {
    if (Refused(context)) return Unauthenticated(context);
    inference::ModelInferRequest parsed;
    grpc::ByteBuffer bytes(*raw);  // shares the slices
    if (!grpc::SerializationTraits<inference::ModelInferRequest>::Deserialize(&bytes, &parsed)
             .ok()) {
      return Answer(context,
                    InvalidArgumentError("the request is not a ModelInferRequest message"));
    }
    const inference::ModelInferRequest* request = &parsed;
    // Lives until the model's thread has written it into `raw_response`.
    auto owned = std::make_shared<inference::ModelInferResponse>();
    inference::ModelInferResponse* response = owned.get();
    auto model = repository_->Get(request->model_name(), request->model_version());
    if (!model.ok()) return Answer(context, model.status());
    ServedModel& served = **model;
    StatusOr<std::vector<Tensor>> inputs = DecodeInferInputs(*request);
    if (!inputs.ok()) {
      served.stats().Add(served.stats().request_failure, 1);
      return Answer(context, inputs.status());
    }
    response->set_model_name(served.name());
    response->set_model_version(served.version());
    response->set_id(request->id());
    ServerUnaryReactor* reactor = context->DefaultReactor();
    // What the callback needs from `request` (on this stack) it copies.
    RunInference(
        served, std::move(inputs).value(),
        [reactor, owned, raw_response,
         wanted = RequestedOutputs(*request)](StatusOr<std::vector<Tensor>> outputs) {
          if (!outputs.ok()) return reactor->Finish(ToGrpcStatus(outputs.status()));
          auto selected = SelectOutputs(std::move(outputs).value(), wanted);
          if (!selected.ok()) return reactor->Finish(ToGrpcStatus(selected.status()));
          EncodeInferOutputs(std::move(selected).value(), owned.get());
          bool own_buffer = false;
          reactor->Finish(grpc::SerializationTraits<inference::ModelInferResponse>::Serialize(
              *owned, raw_response, &own_buffer));
        });
    return reactor;
  }

  ServerUnaryReactor* ModelStatistics(CallbackServerContext* context,
                                      const inference::ModelStatisticsRequest* request,
                                      inference::ModelStatisticsResponse* response) override {
    if (Refused(context)) return Unauthenticated(context);
    std::vector<std::shared_ptr<ServedModel>> models;
    if (request->name().empty()) {
      models = repository_->Loaded();
    } else {
      auto model = repository_->Get(request->name(), request->version());
      if (!model.ok()) return Answer(context, model.status());
      models.push_back(std::move(model).value());
    }
    for (const auto& model : models) FillStatistics(*model, response->add_model_stats());
    return Answer(context, OkStatus());
  }

  ServerUnaryReactor* RepositoryIndex(CallbackServerContext* context,
                                      const inference::RepositoryIndexRequest* request,
                                      inference::RepositoryIndexResponse* response) override {
    if (Refused(context)) return Unauthenticated(context);
    for (const ModelStatus& status : repository_->Index()) {
      if (request->ready() && status.state != ModelState::kReady) continue;
      auto* entry = response->add_models();
      entry->set_name(status.name);
      entry->set_version(status.version);
      entry->set_state(std::string(ModelStateName(status.state)));
      entry->set_reason(status.reason);
    }
    return Answer(context, OkStatus());
  }

  ServerUnaryReactor* RepositoryModelLoad(CallbackServerContext* context,
                                          const inference::RepositoryModelLoadRequest* request,
                                          inference::RepositoryModelLoadResponse*) override {
    if (Refused(context)) return Unauthenticated(context);
    return RunBlocking(context, request->model_name(), request->parameters(),
                       [this](const std::string& name) { return repository_->Load(name); });
  }

  ServerUnaryReactor* RepositoryModelUnload(CallbackServerContext* context,
                                            const inference::RepositoryModelUnloadRequest* request,
                                            inference::RepositoryModelUnloadResponse*) override {
    if (Refused(context)) return Unauthenticated(context);
    return RunBlocking(context, request->model_name(), request->parameters(),
                       [this](const std::string& name) { return repository_->Unload(name); });
  }

 private:
  using RepositoryParameters =
      google::protobuf::Map<std::string, inference::ModelRepositoryParameter>;

  // Load and unload block (download, parse, wait for in-flight requests), so they finish the
  // call from a thread of their own.
  ServerUnaryReactor* RunBlocking(CallbackServerContext* context, const std::string& name,
                                  const RepositoryParameters& parameters,
                                  std::function<Status(const std::string&)> operation) {
    if (name.empty()) return Answer(context, InvalidArgumentError("model_name is required"));
    for (const auto& [key, value] : parameters) {
      // Triton's model-override parameters would change what is loaded: refusing beats
      // silently loading something else. Others (unload_dependents) have nothing to act on.
      if (key == "config" || key.starts_with("file:")) {
        return Answer(context,
                      UnimplementedError(fmt::format("load parameter '{}' is not supported", key)));
      }
    }
    ServerUnaryReactor* reactor = context->DefaultReactor();
    blocking_->Run([reactor, name, operation = std::move(operation)] {
      reactor->Finish(ToGrpcStatus(operation(name)));
    });
    return reactor;
  }

  const GrpcServerConfig config_;
  ModelRepository* repository_;
  BlockingCalls* blocking_;
};

class GrpcServerImpl final : public GrpcServer {
 public:
  GrpcServerImpl(const GrpcServerConfig& config, ModelRepository* repository)
      : config_(config), repository_(repository), service_(config, repository, &blocking_) {}
  ~GrpcServerImpl() override { Shutdown(); }

  Status Start() {
    if (config_.port < 0 || config_.port > 65535) {
      return InvalidArgumentError(fmt::format("bad gRPC port {}", config_.port));
    }
    const bool bare_ipv6 = config_.host.find(':') != std::string::npos && config_.host[0] != '[';
    const std::string address = bare_ipv6 ? fmt::format("[{}]:{}", config_.host, config_.port)
                                          : fmt::format("{}:{}", config_.host, config_.port);
    // Process-wide switch, read when the server is built: adds grpc.health.v1.Health.
    grpc::EnableDefaultHealthCheckService(true);
    // Debian's Abseil is built without NDEBUG, so its Mutex deadlock detector is on: every lock
    // gRPC takes also updates a lock-order graph (5 % of the server's CPU per call and 20 % of
    // the p50 latency here). Builds with NDEBUG do not track it either.
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
    grpc::ServerBuilder builder;
    // gRPC sets SO_REUSEPORT by default, which lets a second server share a port that is in use
    // (and split its traffic) instead of failing to start.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.SetMaxReceiveMessageSize(config_.max_message_bytes);
    builder.SetMaxSendMessageSize(config_.max_message_bytes);
    std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
    if (!config_.tls_cert_file.empty()) {
      // Checked here as the HTTP server checks them: gRPC's watcher would start with a bad pair
      // and fail every handshake.
      StatusOr<std::unique_ptr<http::TlsCertificate>> usable = http::TlsCertificate::Load(
          config_.tls_cert_file, config_.tls_key_file, config_.tls_client_ca_file);
      if (!usable.ok()) return InvalidArgumentError("gRPC " + usable.status().message());
      const bool client_certs = !config_.tls_client_ca_file.empty();
      // gRPC's own watcher reads the files again every second and takes a new pair whose key
      // matches its certificate: a rotated Secret is served without a restart, as over HTTP.
      auto files = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          config_.tls_key_file, config_.tls_cert_file, config_.tls_client_ca_file,
          /*refresh_interval_sec=*/1);
      grpc::experimental::TlsServerCredentialsOptions tls(files);
      tls.watch_identity_key_cert_pairs();
      if (client_certs) {
        tls.watch_root_certs();
        tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
      }
      credentials = grpc::experimental::TlsServerCredentials(tls);
    }
    builder.AddListeningPort(address, credentials, &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) {
      server_.reset();
      return UnavailableError(fmt::format("gRPC server cannot listen on {}", address));
    }
    UpdateHealth();
    health_watcher_ = std::thread([this] { WatchHealth(); });
    return OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    std::call_once(shutdown_once_, [this] {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
      }
      wake_.notify_all();
      if (health_watcher_.joinable()) health_watcher_.join();
      if (server_) {
        // Waits for every call, ModelInfer and load/unload included, to finish (or be cancelled
        // at the deadline); it also turns the health service to NOT_SERVING.
        server_->Shutdown(std::chrono::system_clock::now() +
                          std::chrono::seconds(config_.shutdown_grace_s));
      }
      blocking_.JoinAll();
    });
  }

 private:
  // The health service answers SERVING once every model is ready, for the empty service name
  // (what Kubernetes gRPC probes ask by default, as Triton answers) and for ours by name. The
  // repository has no readiness callback, so a short poll keeps the status current.
  void UpdateHealth() {
    const bool ready = repository_->AllReady();
    if (health_known_ && ready == health_serving_) return;
    grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
    if (health == nullptr) return;
    health->SetServingStatus("", ready);
    health->SetServingStatus(kServiceName, ready);
    health_known_ = true;
    health_serving_ = ready;
  }

  void WatchHealth() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; })) {
      lock.unlock();
      UpdateHealth();
      lock.lock();
    }
  }

  const GrpcServerConfig config_;
  ModelRepository* repository_;
  BlockingCalls blocking_;  // before service_ and server_: joined last
  InferenceService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  std::once_flag shutdown_once_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread health_watcher_;
  bool health_known_ = false;  // only the watcher (and Start, before it) touch these
  bool health_serving_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerConfig& config,
                                                        ModelRepository* repository) {
  auto server = std::make_unique<GrpcServerImpl>(config, repository);
  RETURN_IF_ERROR(server->Start());
  return std::unique_ptr<GrpcServer>(std::move(server));
}

}  // namespace mlhub::serving
