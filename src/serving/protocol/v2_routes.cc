// SPDX-License-Identifier: Apache-2.0
// V2 REST routes. Paths under /v2/models/ and /v2/repository/models/ carry the model name (and
// version) in the middle, so they are prefix routes that split the rest of the path themselves.
#include <fmt/format.h>

#include "common/json_reader.h"
#include "common/json_writer.h"
#include "common/percent_encoding.h"
#include "serving/protocol/inference.h"
#include "serving/protocol/serving_routes.h"
#include "serving/protocol/v2_codec.h"

namespace mlhub::serving {
namespace {

using http::Method;
using http::Request;
using http::Responder;
using http::Response;

// `{model}[/versions/{version}][/{action}]`, percent-decoded.
struct ModelPath {
  std::string model;
  std::string version;
  std::string action;  // "", "ready", "infer", "load", "unload", ...
};

StatusOr<ModelPath> ParseModelPath(std::string_view suffix) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= suffix.size()) {
    size_t slash = suffix.find('/', start);
    if (slash == std::string_view::npos) slash = suffix.size();
    parts.push_back(suffix.substr(start, slash - start));
    start = slash + 1;
  }
  ModelPath path;
  if (parts.empty() || parts[0].empty()) return NotFoundError("no model name in the path");
  ASSIGN_OR_RETURN(path.model, PercentDecode(parts[0], /*plus_is_space=*/false));
  size_t next = 1;
  if (parts.size() >= 3 && parts[1] == "versions") {
    if (parts[2].empty()) return NotFoundError("no version in the path");
    ASSIGN_OR_RETURN(path.version, PercentDecode(parts[2], false));
    next = 3;
  }
  if (parts.size() == next + 1) {
    path.action = std::string(parts[next]);
  } else if (parts.size() > next + 1) {
    return NotFoundError("unknown path");
  }
  return path;
}

Response ErrorFor(const Status& status) { return V2Error(HttpStatusFor(status), status.message()); }

void AppendSpecs(JsonWriter& w, std::string_view key, const std::vector<TensorSpec>& specs) {
  w.Key(key).StartArray();
  for (const TensorSpec& spec : specs) {
    w.StartObject().Field("name", spec.name).Field("datatype", DataTypeName(spec.datatype));
    w.Key("shape").StartArray();
    for (int64_t dim : spec.shape) w.Int(dim);
    w.EndArray().EndObject();
  }
  w.EndArray();
}

Response ModelMetadataResponse(const ServedModel& model) {
  std::string out;
  JsonWriter w(&out);
  w.StartObject().Field("name", model.name());
  w.Key("versions").StartArray().String(model.version()).EndArray();
  w.Field("platform", model.metadata().platform);
  AppendSpecs(w, "inputs", model.metadata().inputs);
  AppendSpecs(w, "outputs", model.metadata().outputs);
  w.EndObject();
  return Response::Json(200, std::move(out));
}

// Triton's statistics extension over REST (the gRPC ModelStatistics answers the same counters).
// Only successes are timed; queue and compute times are totals over the requests that ran.
Response StatisticsResponse(const std::vector<std::shared_ptr<ServedModel>>& models) {
  const auto duration = [](JsonWriter& w, std::string_view key, uint64_t count, uint64_t us) {
    w.Key(key).StartObject();
    w.Field("count", static_cast<int64_t>(count)).Field("ns", static_cast<int64_t>(us * 1000));
    w.EndObject();
  };
  std::string out;
  JsonWriter w(&out);
  w.StartObject().Key("model_stats").StartArray();
  for (const auto& model : models) {
    const ModelStats& stats = model->stats();
    const uint64_t success = stats.request_success.load();
    w.StartObject().Field("name", model->name()).Field("version", model->version());
    w.Field("inference_count", static_cast<int64_t>(stats.inference_count.load()));
    w.Field("execution_count", static_cast<int64_t>(stats.execution_count.load()));
    w.Key("inference_stats").StartObject();
    duration(w, "success", success, stats.request_duration_us.load());
    duration(w, "fail", stats.request_failure.load(), 0);
    duration(w, "queue", success, stats.queue_duration_us.load());
    duration(w, "compute_infer", success, stats.compute_duration_us.load());
    w.EndObject().EndObject();
  }
  w.EndArray().EndObject();
  return Response::Json(200, std::move(out));
}

void Infer(ModelRepository* repository, const ModelPath& path, Request& request,
           Responder respond) {
  auto model = repository->Get(path.model, path.version);
  if (!model.ok()) return respond(ErrorFor(model.status()));
  std::optional<std::string_view> header_length = request.Header("inference-header-content-length");
  auto decoded = header_length == "0"
                     ? DecodeV2RawRequest(request.body, (*model)->metadata().inputs)
                     : DecodeV2Request(request.body, header_length);
  if (!decoded.ok()) {
    ModelStats& stats = (*model)->stats();
    stats.Add(stats.request_failure, 1);
    return respond(ErrorFor(decoded.status()));
  }
  auto shared = std::make_shared<V2InferRequest>(*std::move(decoded));
  std::vector<Tensor> inputs = std::move(shared->inputs);
  ServedModel& served = **model;
  RunInference(served, std::move(inputs),
               [shared, name = served.name(), version = served.version(),
                respond = std::move(respond)](StatusOr<std::vector<Tensor>> outputs) {
                 if (!outputs.ok()) return respond(ErrorFor(outputs.status()));
                 std::vector<std::string> wanted;
                 for (const auto& output : shared->outputs) wanted.push_back(output.name);
                 auto selected = SelectOutputs(*std::move(outputs), wanted);
                 if (!selected.ok()) return respond(ErrorFor(selected.status()));
                 V2Response encoded = EncodeV2Response(name, version, *shared, *selected);
                 Response response = Response::Json(200, std::move(encoded.body));
                 if (encoded.header_length) {
                   response.content_type = "application/octet-stream";
                   response.headers.emplace_back("Inference-Header-Content-Length",
                                                 std::to_string(*encoded.header_length));
                 }
                 respond(std::move(response));
               });
}

}  // namespace

Response V2Error(int status, std::string_view message) {
  std::string out;
  JsonWriter(&out).StartObject().Field("error", message).EndObject();
  return Response::Json(status, std::move(out));
}

void AddV2Routes(http::Router* router, ModelRepository* repository, const ServingInfo& info) {
  router->AddAsync(Method::kGet, "/v2/health/live", [](Request&, Responder respond) {
    respond(Response::Json(200, R"({"live":true})"));
  });
  router->AddAsync(Method::kGet, "/v2/health/ready", [repository](Request&, Responder respond) {
    bool ready = repository->AllReady();
    respond(Response::Json(ready ? 200 : 503, ready ? R"({"ready":true})" : R"({"ready":false})"));
  });
  std::string metadata;
  JsonWriter(&metadata)
      .StartObject()
      .Field("name", info.server_name)
      .Field("version", info.server_version)
      .Key("extensions")
      .StartArray()
      .String("binary_tensor_data")
      .String("model_repository")
      .EndArray()
      .EndObject();
  router->AddAsync(Method::kGet, "/v2", [metadata](Request&, Responder respond) {
    respond(Response::Json(200, metadata));
  });

  router->AddAsyncPrefix(
      Method::kGet, "/v2/models/", [repository](Request& request, Responder respond) {
        if (request.path_suffix == "stats") {  // every model, as Triton
          return respond(StatisticsResponse(repository->Loaded()));
        }
        auto path = ParseModelPath(request.path_suffix);
        if (!path.ok()) return respond(ErrorFor(path.status()));
        if (path->action != "" && path->action != "ready" && path->action != "stats") {
          return respond(V2Error(404, "unknown path"));
        }
        auto model = repository->Get(path->model, path->version);
        if (!model.ok()) return respond(ErrorFor(model.status()));
        if (path->action == "stats") return respond(StatisticsResponse({*model}));
        if (path->action == "ready") {
          std::string out;
          JsonWriter(&out)
              .StartObject()
              .Field("name", path->model)
              .Field("ready", true)
              .EndObject();
          return respond(Response::Json(200, std::move(out)));
        }
        respond(ModelMetadataResponse(**model));
      });
  router->AddAsyncPrefix(Method::kPost, "/v2/models/",
                         [repository](Request& request, Responder respond) {
                           auto path = ParseModelPath(request.path_suffix);
                           if (!path.ok()) return respond(ErrorFor(path.status()));
                           if (path->action != "infer")
                             return respond(V2Error(404, "unknown path"));
                           Infer(repository, *path, request, std::move(respond));
                         });

  router->AddAsync(
      Method::kPost, "/v2/repository/index", [repository](Request& request, Responder respond) {
        bool ready_only = false;
        if (!request.body.empty()) {
          auto root = json::ParseJson(request.body);
          if (!root.ok()) return respond(ErrorFor(root.status()));
          auto object = json::AsObject(*root, "request");
          if (!object.ok()) return respond(ErrorFor(object.status()));
          if (auto ready = json::Find(*object, "ready")) {
            auto value = json::AsBool(*ready, "ready");
            if (!value.ok()) return respond(ErrorFor(value.status()));
            ready_only = *value;
          }
        }
        std::string out;
        JsonWriter w(&out);
        w.StartArray();
        for (const ModelStatus& status : repository->Index()) {
          if (ready_only && status.state != ModelState::kReady) continue;
          w.StartObject().Field("name", status.name);
          if (!status.version.empty()) w.Field("version", status.version);
          w.Field("state", ModelStateName(status.state)).Field("reason", status.reason).EndObject();
        }
        w.EndArray();
        respond(Response::Json(200, std::move(out)));
      });
  // Loading reads files and may download: it runs on the blocking pool.
  router->AddPrefix(Method::kPost, "/v2/repository/models/", [repository](Request& request) {
    auto path = ParseModelPath(request.path_suffix);
    if (!path.ok()) return ErrorFor(path.status());
    if (!path->version.empty()) return V2Error(400, "load and unload take no version");
    Status status;
    if (path->action == "load") {
      status = repository->Load(path->model);
    } else if (path->action == "unload") {
      status = repository->Unload(path->model);
    } else {
      return V2Error(404, "unknown path");
    }
    if (!status.ok()) return ErrorFor(status);
    return Response::Json(200, "");
  });
  router->SetNotFound([](Request&) { return V2Error(404, "not found"); });
  // What the transport refuses (malformed, too large) may be meant for any of the protocols: the
  // body carries V2's "error" and MLflow's "error_code" / "message" alike.
  router->SetTransportErrorResponder([](int status, std::string_view message) {
    std::string body;
    JsonWriter(&body)
        .StartObject()
        .Field("error", message)
        .Field("error_code", status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST")
        .Field("message", message)
        .EndObject();
    return Response::Json(status, std::move(body));
  });
}

}  // namespace mlhub::serving
