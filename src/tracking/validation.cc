// SPDX-License-Identifier: Apache-2.0
#include "tracking/validation.h"

#include <fmt/format.h>

#include "common/utf8.h"

namespace mlhub::tracking {
namespace {

// Letters (any script: bytes >= 0x80 belong to UTF-8 letters), digits, '_', '-', '.', ' ', '/'.
bool IsKeyChar(unsigned char c) {
  return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == '.' || c == ' ' || c == '/';
}

// A key is also used as a file name: it must not normalise to another path.
bool NormalisesToItself(std::string_view key) {
  if (key.front() == '/' || key.back() == '/') return false;
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view segment = key.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

Status CheckLength(std::string_view what, std::string_view value, size_t limit) {
  if (value.size() <= limit) return OkStatus();
  return InvalidArgumentError(
      fmt::format("{} '{}' had length {}, which exceeded length limit of {}", what,
                  Utf8Prefix(value, 50), value.size(), limit));
}

}  // namespace

Status ValidateKey(std::string_view kind, std::string_view key) {
  if (key.empty()) {
    return InvalidArgumentError(fmt::format("Invalid {} name: ''. Names must not be empty.", kind));
  }
  for (unsigned char c : key) {
    if (!IsKeyChar(c)) {
      return InvalidArgumentError(
          fmt::format("Invalid {} name: '{}'. Names may only contain alphanumerics, underscores "
                      "(_), dashes (-), "
                      "periods (.), spaces ( ), and slashes (/).",
                      kind, key));
    }
  }
  if (!NormalisesToItself(key)) {
    return InvalidArgumentError(
        fmt::format("Invalid {} name: '{}'. Names may be treated as files in certain cases, and "
                    "must not resolve "
                    "to other names when treated as such.",
                    kind, key));
  }
  return CheckLength(fmt::format("{} name", kind), key, kMaxKeyLength);
}

Status ValidateMetric(const store::Metric& metric) {
  RETURN_IF_ERROR(ValidateKey("metric", metric.key));
  if (metric.timestamp < 0) {
    return InvalidArgumentError(fmt::format(
        "Got invalid timestamp {} for metric '{}'. Timestamp must be a non-negative integer.",
        metric.timestamp, metric.key));
  }
  return OkStatus();
}

Status ValidateParam(const store::Param& param) {
  RETURN_IF_ERROR(ValidateKey("parameter", param.key));
  return CheckLength("Param value", param.value, kMaxParamValueLength);
}

Status ValidateRunTag(const store::Tag& tag) {
  RETURN_IF_ERROR(ValidateKey("tag", tag.key));
  return CheckLength("Tag value", tag.value, kMaxTagValueLength);
}

Status ValidateExperimentTag(const store::Tag& tag) { return ValidateRunTag(tag); }

Status ValidateBatch(const store::RunBatch& batch) {
  if (batch.metrics.size() > kMaxMetricsPerBatch) {
    return InvalidArgumentError(
        fmt::format("A batch logging request can contain at most {} metrics. Got {} metrics.",
                    kMaxMetricsPerBatch, batch.metrics.size()));
  }
  if (batch.params.size() > kMaxParamsOrTagsPerBatch) {
    return InvalidArgumentError(
        fmt::format("A batch logging request can contain at most {} params. Got {} params.",
                    kMaxParamsOrTagsPerBatch, batch.params.size()));
  }
  if (batch.tags.size() > kMaxParamsOrTagsPerBatch) {
    return InvalidArgumentError(
        fmt::format("A batch logging request can contain at most {} tags. Got {} tags.",
                    kMaxParamsOrTagsPerBatch, batch.tags.size()));
  }
  size_t total = batch.metrics.size() + batch.params.size() + batch.tags.size();
  if (total > kMaxEntitiesPerBatch) {
    return InvalidArgumentError(fmt::format(
        "A batch logging request can contain at most {} metrics, params and tags in total. Got {}.",
        kMaxEntitiesPerBatch, total));
  }
  for (const auto& metric : batch.metrics) RETURN_IF_ERROR(ValidateMetric(metric));
  for (const auto& param : batch.params) RETURN_IF_ERROR(ValidateParam(param));
  for (const auto& tag : batch.tags) RETURN_IF_ERROR(ValidateRunTag(tag));
  for (size_t i = 0; i < batch.params.size(); ++i) {
    for (size_t j = i + 1; j < batch.params.size(); ++j) {
      if (batch.params[i].key == batch.params[j].key &&
          batch.params[i].value != batch.params[j].value) {
        return InvalidArgumentError(
            fmt::format("Duplicate parameter keys with different values in one batch: '{}'",
                        batch.params[i].key));
      }
    }
  }
  return OkStatus();
}

Status ValidateDatasetInputs(const std::vector<store::DatasetInput>& inputs) {
  for (const auto& input : inputs) {
    const auto& d = input.dataset;
    if (d.name.empty()) return InvalidArgumentError("Dataset name must be set");
    if (d.digest.empty()) return InvalidArgumentError("Dataset digest must be set");
    if (d.source_type.empty()) return InvalidArgumentError("Dataset source_type must be set");
    if (d.source.empty()) return InvalidArgumentError("Dataset source must be set");
    RETURN_IF_ERROR(CheckLength("Dataset name", d.name, 500));
    RETURN_IF_ERROR(CheckLength("Dataset digest", d.digest, 36));
    RETURN_IF_ERROR(CheckLength("Dataset schema", d.schema, 65535));
    RETURN_IF_ERROR(CheckLength("Dataset source", d.source, 65535));
    RETURN_IF_ERROR(CheckLength("Dataset profile", d.profile, 16 * 1024 * 1024));
    for (const auto& tag : input.tags) {
      if (tag.key.empty()) return InvalidArgumentError("Input tag key must be set");
      RETURN_IF_ERROR(CheckLength("Input tag key", tag.key, 255));
      RETURN_IF_ERROR(CheckLength("Input tag value", tag.value, 500));
    }
  }
  return OkStatus();
}

namespace {
Status ValidateId(std::string_view what, std::string_view id, size_t max_tail) {
  bool ok = !id.empty() && id.size() <= max_tail + 1;
  for (size_t i = 0; ok && i < id.size(); ++i) {
    unsigned char c = id[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    ok = alnum || (i > 0 && (c == '_' || c == '-'));
  }
  if (ok) return OkStatus();
  return InvalidArgumentError(fmt::format("Invalid {} ID: '{}'", what, Utf8Prefix(id, 300)));
}
}  // namespace

Status ValidateRunId(std::string_view run_id) { return ValidateId("run", run_id, 255); }

Status ValidateExperimentId(std::string_view experiment_id) {
  return ValidateId("experiment", experiment_id, 63);
}

Status ValidateExperimentName(std::string_view name) {
  if (name.empty()) return InvalidArgumentError("Invalid experiment name: ''");
  return CheckLength("Experiment name", name, 500);
}

Status ValidateMaxResults(int64_t max_results, int64_t limit) {
  if (max_results < 1 || max_results > limit) {
    return InvalidArgumentError(fmt::format(
        "Invalid value {} for parameter 'max_results' supplied. It must be at most {}, and at "
        "least 1.",
        max_results, limit));
  }
  return OkStatus();
}

}  // namespace mlhub::tracking
