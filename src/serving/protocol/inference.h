// SPDX-License-Identifier: Apache-2.0
// What every inference protocol (V2 REST, V2 gRPC, /invocations, /predict) does the same way once
// it has decoded its tensors: check them against the model's metadata, run them through the
// model's scheduler, count the request, and pick the requested outputs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "serving/repository/model_repository.h"

namespace mlhub::serving {

// Checks `inputs` against the model's inputs and puts them in the model's order: every model input
// present once, no unknown names (a single-input model takes one tensor under any name, as KServe's
// servers do), datatypes equal (a backend that converts, like XGBoost, accepts any numeric type),
// ranks and fixed dimensions equal, a common dimension 0, data sized to the shape.
// InvalidArgument otherwise, with a message that names the input. A model with a column-based
// signature also takes MLServer's form: one [N] or [N, 1] input per column, named as the column
// (gathered here into its single [N, columns] input).
Status CheckInputs(const ModelMetadata& metadata, std::vector<Tensor>* inputs);

// Keeps the outputs named in `requested` (all when empty), in the requested order.
// InvalidArgument for a name the model does not produce, or one requested twice.
StatusOr<std::vector<Tensor>> SelectOutputs(std::vector<Tensor> outputs,
                                            const std::vector<std::string>& requested);

// Checks `inputs`, enqueues them on `model`'s scheduler and calls `done` once with the outputs or
// the error, counting the request in the model's stats. `done` runs on a model thread, or here
// when the inputs are refused. Does not keep `model` (its scheduler answers before it dies).
void RunInference(ServedModel& model, std::vector<Tensor> inputs, InferenceCallback done);

// The protocol-neutral status of "model not found / not ready" etc. is the repository's; this maps
// a Status to the V2 REST HTTP status (400, 404, 503, 501, 500).
int HttpStatusFor(const Status& status);

}  // namespace mlhub::serving
