// SPDX-License-Identifier: Apache-2.0
#include "store/store_util.h"

#include <charconv>

namespace mlhub::store {

std::string JoinArtifactUri(std::string_view root, std::string_view child) {
  std::string out(root);
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(child);
  return out;
}

std::optional<int64_t> ParseExperimentId(std::string_view id) {
  if (id.empty() || id.size() > 18) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
  if (ec != std::errc() || end != id.data() + id.size() || value < 0) return std::nullopt;
  if (id.size() > 1 && id[0] == '0') return std::nullopt;  // one spelling per id
  return value;
}

std::string_view LifecycleStageName(LifecycleStage stage) {
  return stage == LifecycleStage::kDeleted ? "deleted" : "active";
}

LifecycleStage ParseLifecycleStage(std::string_view name) {
  return name == "deleted" ? LifecycleStage::kDeleted : LifecycleStage::kActive;
}

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "RUNNING";
    case RunStatus::kScheduled:
      return "SCHEDULED";
    case RunStatus::kFinished:
      return "FINISHED";
    case RunStatus::kFailed:
      return "FAILED";
    case RunStatus::kKilled:
      return "KILLED";
  }
  return "RUNNING";
}

RunStatus ParseRunStatus(std::string_view name) {
  if (name == "SCHEDULED") return RunStatus::kScheduled;
  if (name == "FINISHED") return RunStatus::kFinished;
  if (name == "FAILED") return RunStatus::kFailed;
  if (name == "KILLED") return RunStatus::kKilled;
  return RunStatus::kRunning;
}

}  // namespace mlhub::store
