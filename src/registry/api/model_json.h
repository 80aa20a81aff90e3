// SPDX-License-Identifier: Apache-2.0
// Registry entities to MLflow's JSON: proto field names, timestamps as numbers, versions as
// strings, empty lists omitted, and the strings MLflow always sets (description, run_link, ...)
// present even when empty.
#pragma once

#include "common/json_writer.h"
#include "store/registry_types.h"

namespace mlhub::registry::api {

void WriteModelVersion(JsonWriter& w, const store::ModelVersion& version);
void WriteRegisteredModel(JsonWriter& w, const store::RegisteredModel& model);

}  // namespace mlhub::registry::api
