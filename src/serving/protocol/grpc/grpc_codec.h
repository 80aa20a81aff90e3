// SPDX-License-Identifier: Apache-2.0
// ModelInfer messages ⇄ Tensors, and our Status ⇄ gRPC status. Pure functions, no I/O: the server
// (grpc_server.cc) and the unit tests use the same code.
//
// Inputs come either all raw (`raw_input_contents`, one blob per input, in order, already in the
// Tensor byte layout) or all typed (`contents`, the field chosen by the datatype). Outputs always
// go out raw: it is the fast path, Triton answers that way, and every V2 client reads both forms.
#pragma once

#include <grpcpp/support/status.h>

#include <vector>

#include "common/status.h"
#include "grpc_predict_v2.pb.h"
#include "serving/backends/tensor.h"

namespace mlhub::serving {

// The request's inputs as Tensors, each checked against its shape (ValidateTensorData).
// InvalidArgument for an unknown datatype, a negative dimension, a raw blob count that differs
// from the input count, raw and typed contents mixed, typed contents in the wrong field, element
// counts or sizes that do not match the shape, an 8/16-bit value out of range, and FP16/BF16
// sent typed. The model-level checks (names, datatypes, shapes) are CheckInputs'.
StatusOr<std::vector<Tensor>> DecodeInferInputs(const inference::ModelInferRequest& request);

// The names in the request's `outputs`, in order (empty: the client wants every output).
std::vector<std::string> RequestedOutputs(const inference::ModelInferRequest& request);

// Appends `outputs` to the response: a tensor header each and its bytes in raw_output_contents
// (moved, not copied).
void EncodeInferOutputs(std::vector<Tensor> outputs, inference::ModelInferResponse* response);

// The gRPC status for one of ours. The one place the mapping lives: our codes are abseil's
// canonical set, which gRPC shares, so each keeps its meaning; kUnknown becomes INTERNAL so that
// no server failure reaches a client as UNKNOWN.
grpc::Status ToGrpcStatus(const Status& status);

}  // namespace mlhub::serving
