// SPDX-License-Identifier: Apache-2.0
#include "serving/batcher/batch_queue.h"

#include <fmt/format.h>

#include <cstring>

namespace mlhub::serving {
namespace {

// Bytes of `count` leading BYTES elements starting at `data[pos]`.
size_t BytesElementsSpan(const std::string& data, size_t pos, int64_t count) {
  size_t start = pos;
  for (int64_t i = 0; i < count && pos + 4 <= data.size(); ++i) {
    uint32_t length;
    std::memcpy(&length, data.data() + pos, sizeof(length));
    pos += sizeof(length) + length;
  }
  return pos - start;
}

}  // namespace

bool CanBatchTogether(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].datatype != b[i].datatype ||
        a[i].shape.size() != b[i].shape.size() || a[i].shape.empty()) {
      return false;
    }
    for (size_t d = 1; d < a[i].shape.size(); ++d) {
      if (a[i].shape[d] != b[i].shape[d]) return false;
    }
  }
  return true;
}

std::pair<size_t, bool> BatchQueue::HeadRun() const {
  const PendingRequest& head = queue_.front();
  int64_t rows = head.rows;
  size_t n = 1;
  while (n < queue_.size()) {
    const PendingRequest& next = queue_[n];
    if (rows + next.rows > policy_.max_batch_size || !CanBatchTogether(head.inputs, next.inputs))
      return {n, true};
    rows += next.rows;
    ++n;
  }
  return {n, rows >= policy_.max_batch_size};
}

BatchQueue::Decision BatchQueue::Take(int64_t now_ns) {
  Decision decision;
  if (queue_.empty()) return decision;
  auto [count, full] = HeadRun();
  const int64_t deadline = queue_.front().enqueue_ns + policy_.max_queue_delay_ns;
  if (policy_.max_queue_delay_ns > 0 && !full && now_ns < deadline) {
    decision.wake_ns = deadline;
    return decision;
  }
  decision.batch.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    decision.batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return decision;
}

std::vector<Tensor> GatherInputs(std::vector<PendingRequest>& batch) {
  if (batch.size() == 1) return std::move(batch[0].inputs);
  std::vector<Tensor> inputs;
  const std::vector<Tensor>& first = batch[0].inputs;
  inputs.reserve(first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    Tensor tensor;
    tensor.name = first[i].name;
    tensor.datatype = first[i].datatype;
    tensor.shape = first[i].shape;
    tensor.shape[0] = 0;
    size_t bytes = 0;
    for (const PendingRequest& request : batch) bytes += request.inputs[i].data.size();
    tensor.data.reserve(bytes);
    for (const PendingRequest& request : batch) {
      tensor.shape[0] += request.inputs[i].shape[0];
      tensor.data.append(request.inputs[i].data);
    }
    inputs.push_back(std::move(tensor));
  }
  return inputs;
}

StatusOr<std::vector<std::vector<Tensor>>> ScatterOutputs(const std::vector<Tensor>& outputs,
                                                          const std::vector<int64_t>& rows) {
  int64_t total = 0;
  for (int64_t r : rows) total += r;
  std::vector<std::vector<Tensor>> split(rows.size());
  for (const Tensor& output : outputs) {
    if (output.shape.empty() || output.shape[0] != total) {
      return InternalError(fmt::format("model output '{}' has shape {} for a batch of {} rows",
                                       output.name, ShapeString(output.shape), total));
    }
    int64_t per_row = 1;
    for (size_t d = 1; d < output.shape.size(); ++d) per_row *= output.shape[d];
    const size_t element = ElementSize(output.datatype);
    size_t pos = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      Tensor part;
      part.name = output.name;
      part.datatype = output.datatype;
      part.shape = output.shape;
      part.shape[0] = rows[i];
      size_t length = element != 0 ? static_cast<size_t>(rows[i] * per_row) * element
                                   : BytesElementsSpan(output.data, pos, rows[i] * per_row);
      part.data.assign(output.data, pos, length);
      pos += length;
      split[i].push_back(std::move(part));
    }
  }
  return split;
}

}  // namespace mlhub::serving
