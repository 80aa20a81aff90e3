// SPDX-License-Identifier: Apache-2.0
// grpc_load: a closed-loop load generator for KServe V2 gRPC ModelInfer (bench/serve.sh).
//
//   grpc_load --target 127.0.0.1:PORT --model reg --batch 64 --connections 8 --duration 10
//             [--threads 2] [--features 13] [--input rows.f32] [--input-name input-0]
//
// Each connection is a channel of its own (its own TCP connection: a local subchannel pool)
// with one call in flight at a time; the calls of all connections are driven by `--threads`
// threads through the async API, one completion queue per thread. Every call sends the same
// prebuilt request: one FP32 input [batch, features] in raw_input_contents (from --input, raw
// little-endian float32 rows, else a fixed pseudo-random pattern). Prints one human-readable
// line and one "GRPC k=v ..." line for scripts; exit status 1 when any call failed.
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "grpc_predict_v2.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;
using Service = inference::GRPCInferenceService;

struct Options {
  std::string target = "127.0.0.1:8081";
  std::string model = "reg";
  std::string input_name = "input-0";
  std::string input_file;
  int batch = 1;
  int features = 13;
  int connections = 8;
  int threads = 2;
  double duration_s = 10;
};

// One connection's call in flight; its address is the completion-queue tag.
struct Call {
  Service::Stub* stub = nullptr;
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientAsyncResponseReader<inference::ModelInferResponse>> reader;
  inference::ModelInferResponse response;
  grpc::Status status;
  Clock::time_point start;
};

struct Result {
  std::vector<int64_t> latencies_ns;
  int64_t errors = 0;
  std::string first_error;
};

bool ResponseOk(const inference::ModelInferResponse& response, int batch, std::string* why) {
  if (response.outputs_size() < 1 || response.outputs(0).shape_size() < 1 ||
      response.outputs(0).shape(0) != batch) {
    *why = "the response has no output of batch size " + std::to_string(batch);
    return false;
  }
  const bool raw = response.raw_output_contents_size() > 0 &&
                   response.raw_output_contents(0).size() >= 4u * batch;
  if (!raw && response.outputs(0).contents().fp32_contents_size() < batch) {
    *why = "the response output holds fewer than " + std::to_string(batch) + " values";
    return false;
  }
  return true;
}

// Drives `calls` until `end`: every completed call is timed and replaced by the next one.
void Drive(std::vector<Call>* calls, const inference::ModelInferRequest& request, int batch,
           Clock::time_point end, Result* result) {
  grpc::CompletionQueue cq;
  auto start_call = [&](Call& call) {
    call.context = std::make_unique<grpc::ClientContext>();
    call.response.Clear();
    call.start = Clock::now();
    call.reader = call.stub->AsyncModelInfer(call.context.get(), request, &cq);
    call.reader->Finish(&call.response, &call.status, &call);
  };
  for (Call& call : *calls) start_call(call);
  size_t active = calls->size();
  void* tag;
  bool ok;
  while (active > 0 && cq.Next(&tag, &ok)) {
    Call& call = *static_cast<Call*>(tag);
    const Clock::time_point now = Clock::now();
    std::string why;
    if (!ok || !call.status.ok()) {
      why =
          "status " + std::to_string(call.status.error_code()) + ": " + call.status.error_message();
    }
    if (why.empty() && ResponseOk(call.response, batch, &why)) {
      result->latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - call.start).count());
    } else {
      if (result->errors++ == 0) result->first_error = why;
    }
    if (now < end) {
      start_call(call);
    } else {
      --active;
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--target")
      o->target = value;
    else if (key == "--model")
      o->model = value;
    else if (key == "--input-name")
      o->input_name = value;
    else if (key == "--input")
      o->input_file = value;
    else if (key == "--batch")
      o->batch = std::stoi(value);
    else if (key == "--features")
      o->features = std::stoi(value);
    else if (key == "--connections")
      o->connections = std::stoi(value);
    else if (key == "--threads")
      o->threads = std::stoi(value);
    else if (key == "--duration")
      o->duration_s = std::stod(value);
    else
      return false;
  }
  return argc % 2 == 1 && o->batch > 0 && o->features > 0 && o->connections > 0 && o->threads > 0 &&
         o->duration_s > 0;
}

double Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p / 100.0 * sorted.size()));
  return sorted[i] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  // As in the server (grpc_server.cc): Debian's Abseil tracks lock order in every Mutex lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Options o;
  if (!ParseArgs(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: %s --target HOST:PORT --model NAME --batch N --connections C "
                 "--duration SECONDS [--threads T] [--features F] [--input FILE] "
                 "[--input-name NAME]\n",
                 argv[0]);
    return 2;
  }
  const size_t bytes = sizeof(float) * o.batch * o.features;
  std::string raw(bytes, '\0');
  if (!o.input_file.empty()) {
    std::ifstream in(o.input_file, std::ios::binary);
    std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (file.size() < bytes) {
      std::fprintf(stderr, "%s holds %zu bytes, the request needs %zu\n", o.input_file.c_str(),
                   file.size(), bytes);
      return 2;
    }
    raw = file.substr(0, bytes);
  } else {
    std::vector<float> values(static_cast<size_t>(o.batch) * o.features);
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<float>((i * 37 % 29) - 14) / 7;
    std::memcpy(raw.data(), values.data(), bytes);
  }
  inference::ModelInferRequest request;
  request.set_model_name(o.model);
  auto* input = request.add_inputs();
  input->set_name(o.input_name);
  input->set_datatype("FP32");
  input->add_shape(o.batch);
  input->add_shape(o.features);
  request.add_raw_input_contents(std::move(raw));

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<Service::Stub>> stubs;
  for (int i = 0; i < o.connections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a TCP connection per channel
    args.SetInt("mlhub.bench.channel", i);
    channels.push_back(
        grpc::CreateCustomChannel(o.target, grpc::InsecureChannelCredentials(), args));
    if (!channels.back()->WaitForConnected(std::chrono::system_clock::now() +
                                           std::chrono::seconds(10))) {
      std::fprintf(stderr, "could not connect to %s\n", o.target.c_str());
      return 1;
    }
    stubs.push_back(Service::NewStub(channels.back()));
  }
  // Connections are dealt round-robin to the threads.
  const int threads = std::min(o.threads, o.connections);
  std::vector<std::vector<Call>> calls(threads);
  for (int i = 0; i < o.connections; ++i) {
    calls[i % threads].emplace_back();
    calls[i % threads].back().stub = stubs[i].get();
  }
  std::vector<Result> results(threads);
  const Clock::time_point begin = Clock::now();
  const Clock::time_point end = begin + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(o.duration_s));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back(Drive, &calls[t], std::cref(request), o.batch, end, &results[t]);
  }
  for (auto& worker : workers) worker.join();
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - begin).count();

  std::vector<int64_t> all;
  int64_t errors = 0;
  std::string first_error;
  for (Result& r : results) {
    all.insert(all.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    if (errors == 0 && r.errors > 0) first_error = r.first_error;
    errors += r.errors;
  }
  std::sort(all.begin(), all.end());
  const double rps = all.size() / elapsed_s;
  const double p50 = Percentile(all, 50), p99 = Percentile(all, 99);
  const double max = all.empty() ? 0 : all.back() / 1000.0;
  std::printf(
      "%s model %s batch %d, %d connections, %d threads, %.1f s: %zu calls, %.0f req/s, "
      "p50 %.1f us, p99 %.1f us, max %.1f us, %lld errors\n",
      o.target.c_str(), o.model.c_str(), o.batch, o.connections, threads, elapsed_s, all.size(),
      rps, p50, p99, max, static_cast<long long>(errors));
  if (errors > 0) std::printf("first error: %s\n", first_error.c_str());
  std::printf(
      "GRPC requests=%zu duration_us=%.0f errors=%lld p50_us=%.1f p99_us=%.1f max_us=%.1f\n",
      all.size(), elapsed_s * 1e6, static_cast<long long>(errors), p50, p99, max);
  return errors > 0 || all.empty() ? 1 : 0;
}
