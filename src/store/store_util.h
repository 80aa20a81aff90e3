// SPDX-License-Identifier: Apache-2.0
// Small conversions shared by the SQL stores: how ids, lifecycle stages and run statuses are
// spelled in the database, and how artifact locations are joined. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/tracking_types.h"

namespace mlhub::store {

// "<root>/<child>", without doubling a '/' that `root` already ends with.
std::string JoinArtifactUri(std::string_view root, std::string_view child);

// Experiment ids are database integers rendered in decimal; anything else is no id.
std::optional<int64_t> ParseExperimentId(std::string_view id);

// "active" / "deleted", as MLflow stores and returns them.
std::string_view LifecycleStageName(LifecycleStage stage);
LifecycleStage ParseLifecycleStage(std::string_view name);

// "RUNNING", "FINISHED", ... as MLflow stores them (and as search filters compare them).
std::string_view RunStatusName(RunStatus status);
RunStatus ParseRunStatus(std::string_view name);

}  // namespace mlhub::store
