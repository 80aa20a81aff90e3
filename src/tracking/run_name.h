// SPDX-License-Identifier: Apache-2.0
// Friendly random run names ("adjective-animal-NNN"), given to runs created without a name, as
// MLflow does. Thread-safe.
#pragma once

#include <string>

namespace mlhub::tracking {

std::string GenerateRunName();

}  // namespace mlhub::tracking
