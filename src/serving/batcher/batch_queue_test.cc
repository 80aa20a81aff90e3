// SPDX-License-Identifier: Apache-2.0
// The batching policy with explicit times (nanoseconds): no threads, no sleeps.
#include "serving/batcher/batch_queue.h"

#include <gtest/gtest.h>

#include <cstring>

namespace mlhub::serving {
namespace {

Tensor Rows(int64_t rows, float first, int64_t width = 2, DataType type = DataType::kFp32) {
  Tensor t;
  t.name = "x";
  t.datatype = type;
  t.shape = {rows, width};
  t.data.resize(rows * width * ElementSize(type));
  if (type == DataType::kFp32) {
    for (int64_t i = 0; i < rows * width; ++i) t.MutableAs<float>()[i] = first + i;
  }
  return t;
}

PendingRequest Request(int64_t rows, int64_t enqueue_ns, int64_t width = 2,
                       DataType type = DataType::kFp32) {
  PendingRequest r;
  r.inputs.push_back(Rows(rows, 0, width, type));
  r.rows = rows;
  r.enqueue_ns = enqueue_ns;
  return r;
}

std::vector<int64_t> RowsOf(const std::vector<PendingRequest>& batch) {
  std::vector<int64_t> rows;
  for (const auto& r : batch) rows.push_back(r.rows);
  return rows;
}

TEST(BatchQueue, EmptyQueueWaitsForAPush) {
  BatchQueue queue({8, 0});
  auto d = queue.Take(100);
  EXPECT_TRUE(d.batch.empty());
  EXPECT_FALSE(d.wake_ns.has_value());
}

TEST(BatchQueue, WithoutDelayTakesEverythingQueuedUpToTheMaximum) {
  BatchQueue queue({8, 0});
  for (int64_t rows : {3, 4, 2, 1}) queue.Push(Request(rows, 0));
  // 3 + 4 fit; 2 more would make 9 > 8, so the batch ends there.
  EXPECT_EQ(RowsOf(queue.Take(0).batch), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(RowsOf(queue.Take(0).batch), (std::vector<int64_t>{2, 1}));
  EXPECT_TRUE(queue.empty());
}

TEST(BatchQueue, ARequestLargerThanTheMaximumRunsAlone) {
  BatchQueue queue({8, 0});
  queue.Push(Request(20, 0));
  queue.Push(Request(1, 0));
  EXPECT_EQ(RowsOf(queue.Take(0).batch), (std::vector<int64_t>{20}));
  EXPECT_EQ(RowsOf(queue.Take(0).batch), (std::vector<int64_t>{1}));
}

TEST(BatchQueue, WithDelayWaitsUntilTheOldestRequestsDeadline) {
  BatchQueue queue({8, 1000});
  queue.Push(Request(1, 5000));
  auto early = queue.Take(5200);
  EXPECT_TRUE(early.batch.empty());
  EXPECT_EQ(early.wake_ns, 6000);
  queue.Push(Request(2, 5500));
  EXPECT_TRUE(queue.Take(5999).batch.empty());
  EXPECT_EQ(RowsOf(queue.Take(6000).batch), (std::vector<int64_t>{1, 2}));
}

TEST(BatchQueue, WithDelayAFullBatchRunsAtOnce) {
  BatchQueue queue({4, 1'000'000});
  queue.Push(Request(2, 0));
  queue.Push(Request(2, 10));
  EXPECT_EQ(RowsOf(queue.Take(20).batch), (std::vector<int64_t>{2, 2}));
  // A next request that does not fit also makes the batch full.
  queue.Push(Request(3, 30));
  queue.Push(Request(2, 40));
  EXPECT_EQ(RowsOf(queue.Take(50).batch), (std::vector<int64_t>{3}));
}

TEST(BatchQueue, IncompatibleRequestsAreNotBatchedTogether) {
  BatchQueue queue({64, 0});
  queue.Push(Request(1, 0, /*width=*/2));
  queue.Push(Request(1, 0, /*width=*/3));
  queue.Push(Request(1, 0, /*width=*/3, DataType::kFp64));
  EXPECT_EQ(queue.Take(0).batch.size(), 1u);
  EXPECT_EQ(queue.Take(0).batch.size(), 1u);
  EXPECT_EQ(queue.Take(0).batch.size(), 1u);
}

TEST(BatchQueue, GatherConcatenatesAndScatterSplitsByRows) {
  std::vector<PendingRequest> batch;
  batch.push_back(Request(1, 0));
  batch.push_back(Request(3, 0));
  batch[0].inputs[0] = Rows(1, 100);
  batch[1].inputs[0] = Rows(3, 200);
  std::vector<Tensor> inputs = GatherInputs(batch);
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_EQ(inputs[0].shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(inputs[0].As<float>()[0], 100);
  EXPECT_EQ(inputs[0].As<float>()[2], 200);
  EXPECT_EQ(inputs[0].As<float>()[7], 205);

  // Outputs of shape [4, 2]: request 0 gets row 0, request 1 rows 1..3.
  auto split = ScatterOutputs(inputs, {1, 3});
  ASSERT_TRUE(split.ok());
  ASSERT_EQ(split->size(), 2u);
  EXPECT_EQ((*split)[0][0].shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ((*split)[0][0].As<float>()[1], 101);
  EXPECT_EQ((*split)[1][0].shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ((*split)[1][0].As<float>()[5], 205);
}

TEST(BatchQueue, ScatterSplitsBytesOutputsByElements) {
  Tensor out;
  out.name = "labels";
  out.datatype = DataType::kBytes;
  out.shape = {3};
  for (std::string s : {"a", "bcd", ""}) {
    uint32_t n = s.size();
    out.data.append(reinterpret_cast<const char*>(&n), 4);
    out.data.append(s);
  }
  auto split = ScatterOutputs({out}, {2, 1});
  ASSERT_TRUE(split.ok());
  EXPECT_EQ((*split)[0][0].data.size(), 4u + 1 + 4 + 3);
  EXPECT_EQ((*split)[1][0].data.size(), 4u);
  EXPECT_TRUE(ValidateTensorData((*split)[0][0]).ok());
}

TEST(BatchQueue, ScatterRejectsOutputsOfTheWrongBatchSize) {
  Tensor out = Rows(3, 0);
  EXPECT_FALSE(ScatterOutputs({out}, {1, 1}).ok());
}

}  // namespace
}  // namespace mlhub::serving
