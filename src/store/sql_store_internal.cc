// SPDX-License-Identifier: Apache-2.0
#include "store/sql_store_internal.h"

#include <bit>
#include <limits>
#include <unordered_map>
#include <utility>

#include "store/store_util.h"

namespace mlhub::store::internal {
namespace {

constexpr size_t kMaxInList = 512;

std::string Str(std::string_view s) { return std::string(s); }

}  // namespace

RunRow ReadRunRow(const SqlRow& row) {
  RunRow out;
  out.run_key = row.GetInt(0);
  RunInfo& info = out.info;
  info.run_id = Str(row.GetText(1));
  info.run_name = Str(row.GetText(2));
  info.experiment_id = std::to_string(row.GetInt(3));
  info.user_id = Str(row.GetText(4));
  info.status = ParseRunStatus(row.GetText(5));
  info.start_time = row.GetInt(6);
  if (!row.IsNull(7)) info.end_time = row.GetInt(7);
  info.artifact_uri = Str(row.GetText(8));
  info.lifecycle_stage = ParseLifecycleStage(row.GetText(9));
  return out;
}

StatusOr<RunRow> LoadRunRow(SqlConnection& connection, std::string_view run_id, RowLock lock) {
  static const std::string select =
      std::string("SELECT ") + kRunColumns + " FROM runs r WHERE r.run_id = ?";
  const std::string sql =
      lock == RowLock::kForUpdate ? select + connection.dialect().ForUpdate("r") : select;
  std::optional<RunRow> found;
  RETURN_IF_ERROR(connection.Query(sql, {Str(run_id)}, [&](const SqlRow& row) {
    found = ReadRunRow(row);
    return false;
  }));
  if (!found.has_value()) return NotFoundError("Run with id=" + Str(run_id) + " not found");
  return std::move(*found);
}

Status CheckRunActive(const RunRow& run) {
  if (run.info.lifecycle_stage == LifecycleStage::kActive) return OkStatus();
  return InvalidArgumentError("The run " + run.info.run_id +
                              " must be in the 'active' state. Current state is deleted.");
}

StatusOr<ExperimentState> LoadExperimentState(SqlConnection& connection,
                                              std::string_view experiment_id) {
  std::optional<int64_t> id = ParseExperimentId(experiment_id);
  if (!id.has_value()) return NotFoundError(ExperimentNotFoundMessage(experiment_id));
  std::optional<ExperimentState> state;
  RETURN_IF_ERROR(
      connection.Query("SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?", {*id},
                       [&](const SqlRow& row) {
                         state = ExperimentState{*id, ParseLifecycleStage(row.GetText(0))};
                         return false;
                       }));
  if (!state.has_value()) return NotFoundError(ExperimentNotFoundMessage(experiment_id));
  return *state;
}

Status CheckExperimentActive(const ExperimentState& state) {
  if (state.stage == LifecycleStage::kActive) return OkStatus();
  return InvalidArgumentError("The experiment " + std::to_string(state.id) +
                              " must be in the 'active' state. Current state is deleted.");
}

Status ForEachKeyBatch(
    const std::vector<int64_t>& keys,
    const std::function<Status(std::string_view in_list, std::span<const SqlValue> params)>& body) {
  std::vector<SqlValue> params;
  for (size_t begin = 0; begin < keys.size(); begin += kMaxInList) {
    const size_t count = std::min(kMaxInList, keys.size() - begin);
    const size_t padded = std::bit_ceil(count);
    params.clear();
    for (size_t i = 0; i < padded; ++i) params.emplace_back(keys[begin + std::min(i, count - 1)]);
    RETURN_IF_ERROR(body(SqlPlaceholders(padded), params));
  }
  return OkStatus();
}

Status LoadRunData(SqlConnection& connection, const std::vector<int64_t>& run_keys,
                   std::vector<Run>* runs) {
  std::unordered_map<int64_t, Run*> by_key;
  by_key.reserve(run_keys.size());
  for (size_t i = 0; i < run_keys.size(); ++i) by_key.emplace(run_keys[i], &(*runs)[i]);
  // input_id -> (run, index in its inputs)
  std::unordered_map<int64_t, std::pair<Run*, size_t>> inputs;
  return ForEachKeyBatch(run_keys, [&](std::string_view in, std::span<const SqlValue> p) {
    const std::string in_list(in);
    // The first three travel with the inputs query in one round trip where the driver can.
    RETURN_IF_ERROR(connection.QueryDeferred(
        "SELECT run_key, key, value, timestamp, step, is_nan FROM latest_metrics "
        "WHERE run_key IN (" +
            in_list + ")",
        p, [&](const SqlRow& row) {
          Metric metric;
          metric.key = Str(row.GetText(1));
          metric.value =
              row.GetInt(5) != 0 ? std::numeric_limits<double>::quiet_NaN() : row.GetDouble(2);
          metric.timestamp = row.GetInt(3);
          metric.step = row.GetInt(4);
          by_key[row.GetInt(0)]->metrics.push_back(std::move(metric));
          return true;
        }));
    RETURN_IF_ERROR(connection.QueryDeferred(
        "SELECT run_key, key, value FROM params WHERE run_key IN (" + in_list + ")", p,
        [&](const SqlRow& row) {
          by_key[row.GetInt(0)]->params.push_back({Str(row.GetText(1)), Str(row.GetText(2))});
          return true;
        }));
    RETURN_IF_ERROR(connection.QueryDeferred(
        "SELECT run_key, key, value FROM tags WHERE run_key IN (" + in_list + ")", p,
        [&](const SqlRow& row) {
          by_key[row.GetInt(0)]->tags.push_back({Str(row.GetText(1)), Str(row.GetText(2))});
          return true;
        }));
    RETURN_IF_ERROR(connection.QueryDeferred(
        "SELECT run_key, model_id FROM run_model_inputs WHERE run_key IN (" + in_list +
            ") ORDER BY model_id",
        p, [&](const SqlRow& row) {
          by_key[row.GetInt(0)]->model_inputs.push_back(Str(row.GetText(1)));
          return true;
        }));
    RETURN_IF_ERROR(connection.QueryDeferred(
        "SELECT run_key, model_id, step FROM run_model_outputs WHERE run_key IN (" + in_list +
            ") ORDER BY step, model_id",
        p, [&](const SqlRow& row) {
          by_key[row.GetInt(0)]->model_outputs.push_back({Str(row.GetText(1)), row.GetInt(2)});
          return true;
        }));
    bool any_inputs = false;
    RETURN_IF_ERROR(connection.Query(
        "SELECT ri.run_key, ri.input_id, d.name, d.digest, d.source_type, d.source, "
        "d.dataset_schema, d.dataset_profile FROM run_inputs ri JOIN datasets d "
        "ON d.dataset_id = ri.dataset_id WHERE ri.run_key IN (" +
            in_list +
            ") "
            "ORDER BY ri.input_id",
        p, [&](const SqlRow& row) {
          Run* run = by_key[row.GetInt(0)];
          DatasetInput input;
          input.dataset.name = Str(row.GetText(2));
          input.dataset.digest = Str(row.GetText(3));
          input.dataset.source_type = Str(row.GetText(4));
          input.dataset.source = Str(row.GetText(5));
          input.dataset.schema = Str(row.GetText(6));
          input.dataset.profile = Str(row.GetText(7));
          inputs[row.GetInt(1)] = {run, run->inputs.size()};
          run->inputs.push_back(std::move(input));
          any_inputs = true;
          return true;
        }));
    if (!any_inputs) return OkStatus();
    return connection.Query(
        "SELECT it.input_id, it.key, it.value FROM input_tags it JOIN run_inputs ri "
        "ON ri.input_id = it.input_id WHERE ri.run_key IN (" +
            in_list + ")",
        p, [&](const SqlRow& row) {
          auto it = inputs.find(row.GetInt(0));
          if (it != inputs.end()) {
            it->second.first->inputs[it->second.second].tags.push_back(
                {Str(row.GetText(1)), Str(row.GetText(2))});
          }
          return true;
        });
  });
}

Experiment ReadExperimentRow(const SqlRow& row) {
  Experiment out;
  out.experiment_id = std::to_string(row.GetInt(0));
  out.name = Str(row.GetText(1));
  out.artifact_location = Str(row.GetText(2));
  out.lifecycle_stage = ParseLifecycleStage(row.GetText(3));
  out.creation_time = row.GetInt(4);
  out.last_update_time = row.GetInt(5);
  return out;
}

Status LoadExperimentTags(SqlConnection& connection, std::vector<Experiment>* experiments) {
  std::vector<int64_t> ids;
  std::unordered_map<int64_t, Experiment*> by_id;
  for (Experiment& experiment : *experiments) {
    const int64_t id = ParseExperimentId(experiment.experiment_id).value_or(-1);
    ids.push_back(id);
    by_id[id] = &experiment;
  }
  return ForEachKeyBatch(ids, [&](std::string_view in, std::span<const SqlValue> p) {
    return connection.Query(
        "SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id IN (" +
            std::string(in) + ")",
        p, [&](const SqlRow& row) {
          by_id[row.GetInt(0)]->tags.push_back({Str(row.GetText(1)), Str(row.GetText(2))});
          return true;
        });
  });
}

std::string ExperimentNotFoundMessage(std::string_view experiment_id) {
  return "No Experiment with id=" + Str(experiment_id) + " exists";
}

Status CheckPageWindow(int64_t max_results, int64_t offset) {
  if (max_results < 1) return InvalidArgumentError("max_results must be at least 1");
  if (offset < 0 || offset > kMaxSearchOffset) {
    return InvalidArgumentError("invalid page token (offset out of range)");
  }
  if (max_results > kMaxSearchResults) {
    return InvalidArgumentError("max_results must be at most " + std::to_string(kMaxSearchResults));
  }
  return OkStatus();
}

}  // namespace mlhub::store::internal
