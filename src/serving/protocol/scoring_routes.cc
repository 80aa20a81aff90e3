// SPDX-License-Identifier: Apache-2.0
// The JSON row protocols: MLflow's scoring routes (what `mlflow models serve` answers), KServe's V1
// protocol and the seed API. With several models, `?model=NAME` picks one for /invocations and
// /predict; the default is the first --model.
#include <fmt/format.h>

#include "common/json_writer.h"
#include "common/percent_encoding.h"
#include "serving/protocol/inference.h"
#include "serving/protocol/mlflow_scoring.h"
#include "serving/protocol/serving_routes.h"

namespace mlhub::serving {
namespace {

using http::Method;
using http::Request;
using http::Responder;
using http::Response;

std::string MlflowErrorBody(std::string_view code, std::string_view message) {
  std::string out;
  JsonWriter(&out).StartObject().Field("error_code", code).Field("message", message).EndObject();
  return out;
}

// MLflow's error JSON, with its codes: BAD_REQUEST for bad input, else the closest one.
Response MlflowError(const Status& status) {
  int http_status = HttpStatusFor(status);
  std::string_view code = http_status == 400   ? "BAD_REQUEST"
                          : http_status == 404 ? "RESOURCE_DOES_NOT_EXIST"
                          : http_status == 503 ? "TEMPORARILY_UNAVAILABLE"
                                               : "INTERNAL_ERROR";
  return Response::Json(http_status, MlflowErrorBody(code, status.message()));
}

std::string ModelName(const Request& request, const ServingInfo& info,
                      const ModelRepository& repository) {
  if (auto model = request.query.Get("model")) return std::string(*model);
  if (!info.default_model.empty()) return info.default_model;
  // Models found by alias only: the one model, when there is exactly one.
  std::vector<ModelStatus> index = repository.Index();
  return index.size() == 1 ? index[0].name : std::string();
}

// Runs decoded inputs and answers with `encode(outputs)` or `error(status)`.
template <typename Encode, typename Error>
void Run(ServedModel& served, std::vector<Tensor> inputs, bool pyfunc, Responder respond,
         Encode encode, Error error) {
  Scheduler* scheduler = &served.scheduler();
  RunInference(served, std::move(inputs),
               [scheduler, pyfunc, respond = std::move(respond), encode,
                error](StatusOr<std::vector<Tensor>> outputs) {
                 if (!outputs.ok()) return respond(error(outputs.status()));
                 std::vector<Tensor> result = *std::move(outputs);
                 if (pyfunc) result = scheduler->PyfuncPredictions(std::move(result));
                 respond(encode(result));
               });
}

}  // namespace

void AddScoringRoutes(http::Router* router, ModelRepository* repository, const ServingInfo& info) {
  // Liveness: answers as soon as the process serves HTTP (loading can take long; a liveness
  // probe must not kill a pod for it). MLflow's /health answers only after its one model loaded,
  // which is when its HTTP server starts: the same observable behaviour.
  router->AddAsync(Method::kGet, "/health",
                   [](Request&, Responder respond) { respond(Response::Json(200, "\n")); });
  // /ping (MLflow) and /ready (seed API): 200 only when every model is loaded.
  for (const char* path : {"/ping", "/ready"}) {
    router->AddAsync(Method::kGet, path, [repository](Request&, Responder respond) {
      bool ready = repository->AllReady();
      respond(
          Response::Json(ready ? 200 : 503, ready ? R"({"ready":true})" : R"({"ready":false})"));
    });
  }
  std::string version = info.server_version;
  router->AddAsync(Method::kGet, "/version", [version](Request&, Responder respond) {
    respond(Response::Text(200, version));
  });

  router->AddAsync(
      Method::kPost, "/invocations", [repository, info](Request& request, Responder respond) {
        std::string name = ModelName(request, info, *repository);
        auto model = repository->Get(name);
        if (!model.ok()) return respond(MlflowError(model.status()));
        bool dataframe = false;
        auto decoded = DecodeInvocations(request.Header("content-type").value_or(""), request.body,
                                         (*model)->metadata(), &dataframe);
        if (auto* failure = std::get_if<ScoringError>(&decoded)) {
          ModelStats& stats = (*model)->stats();
          stats.Add(stats.request_failure, 1);
          Response response;
          response.status = failure->status;
          response.content_type = failure->content_type;
          response.body = std::move(failure->body);
          return respond(std::move(response));
        }
        Run(
            **model, std::get<std::vector<Tensor>>(std::move(decoded)),
            /*pyfunc=*/true, std::move(respond),
            [records = dataframe && (*model)->metadata().pyfunc_returns_dataframe](
                const std::vector<Tensor>& outputs) {
              return Response::Json(200, EncodePredictions(outputs, records));
            },
            MlflowError);
      });

  // KServe's V1 protocol, what its xgbserver and sklearnserver answer by default: the model list,
  // model readiness, and `:predict` with TF Serving's rows (`{"instances": [[...], ...]}`, or
  // records, or "inputs"), answered `{"predictions": [...]}` with the model's own outputs
  // (probabilities for classifiers, as xgbserver's booster.predict gives them). Errors are
  // `{"error": ...}`: 400, 404 for an unknown model, 503 for one not ready.
  router->AddAsync(Method::kGet, "/v1/models", [repository](Request&, Responder respond) {
    std::string out;
    JsonWriter w(&out);
    w.StartObject().Key("models").StartArray();
    for (const ModelStatus& model : repository->Index()) w.String(model.name);
    w.EndArray().EndObject();
    respond(Response::Json(200, std::move(out)));
  });
  router->AddAsyncPrefix(
      Method::kGet, "/v1/models/", [repository](Request& request, Responder respond) {
        auto name = PercentDecode(request.path_suffix, /*plus_is_space=*/false);
        if (!name.ok()) return respond(V2Error(400, name.status().message()));
        auto model = repository->Get(*name);
        if (!model.ok())
          return respond(V2Error(HttpStatusFor(model.status()), model.status().message()));
        std::string out;
        JsonWriter(&out).StartObject().Field("name", *name).Field("ready", true).EndObject();
        respond(Response::Json(200, std::move(out)));
      });
  router->AddAsyncPrefix(
      Method::kPost, "/v1/models/", [repository](Request& request, Responder respond) {
        constexpr std::string_view kPredict = ":predict";
        auto target = PercentDecode(request.path_suffix, /*plus_is_space=*/false);
        if (!target.ok()) return respond(V2Error(400, target.status().message()));
        if (!target->ends_with(kPredict) || target->size() == kPredict.size()) {
          return respond(V2Error(404, "unknown path: V1 serves /v1/models/{name}:predict"));
        }
        const std::string name = target->substr(0, target->size() - kPredict.size());
        auto model = repository->Get(name);
        if (!model.ok())
          return respond(V2Error(HttpStatusFor(model.status()), model.status().message()));
        // The body is JSON whatever its Content-Type says, as in KServe.
        auto decoded = DecodeInvocations("application/json", request.body, (*model)->metadata());
        if (auto* failure = std::get_if<ScoringError>(&decoded)) {
          ModelStats& stats = (*model)->stats();
          stats.Add(stats.request_failure, 1);
          return respond(V2Error(failure->status, failure->message));
        }
        Run(
            **model, std::get<std::vector<Tensor>>(std::move(decoded)), /*pyfunc=*/false,
            std::move(respond),
            [](const std::vector<Tensor>& outputs) {
              return Response::Json(200, EncodePredictions(outputs));
            },
            [](const Status& status) { return V2Error(HttpStatusFor(status), status.message()); });
      });

  router->AddAsync(
      Method::kPost, "/predict", [repository, info](Request& request, Responder respond) {
        std::string name = ModelName(request, info, *repository);
        auto model = repository->Get(name);
        if (!model.ok())
          return respond(V2Error(HttpStatusFor(model.status()), model.status().message()));
        auto inputs = DecodePredict(request.body, (*model)->metadata());
        if (!inputs.ok()) {
          ModelStats& stats = (*model)->stats();
          stats.Add(stats.request_failure, 1);
          return respond(V2Error(400, inputs.status().message()));
        }
        std::string version = (*model)->version();
        Run(
            **model, *std::move(inputs), /*pyfunc=*/true, std::move(respond),
            [name, version](const std::vector<Tensor>& outputs) {
              // {"predictions": [...], "model": ..., "model_version": ...}
              std::string body = EncodePredictions(outputs);
              body.pop_back();
              std::string tail;
              JsonWriter(&tail)
                  .StartObject()
                  .Field("model", name)
                  .Field("model_version", version)
                  .EndObject();
              body.push_back(',');
              body.append(tail, 1, std::string::npos);
              return Response::Json(200, std::move(body));
            },
            [](const Status& status) { return V2Error(HttpStatusFor(status), status.message()); });
      });
}

}  // namespace mlhub::serving
