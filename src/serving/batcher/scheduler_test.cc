// SPDX-License-Identifier: Apache-2.0
// The scheduler's threads with a fake model: every request gets its own rows back, under
// concurrency, and batches really form. No sleeps: tests wait on the answers themselves.
#include "serving/batcher/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

namespace mlhub::serving {
namespace {

// Doubles every value; records batch sizes; can be held at the start of Execute.
class DoublingModel final : public LoadedModel {
 public:
  DoublingModel() {
    metadata_.platform = "fake";
    metadata_.inputs.push_back({"x", DataType::kFp32, {-1, 1}});
    metadata_.outputs.push_back({"y", DataType::kFp32, {-1, 1}});
  }
  const ModelMetadata& metadata() const override { return metadata_; }
  bool RunsInline() const override { return runs_inline; }

  StatusOr<std::vector<Tensor>> Execute(const std::vector<Tensor>& inputs) override {
    {
      std::unique_lock<std::mutex> lock(mu);
      ++entered;
      entered_cv.notify_all();
      release_cv.wait(lock, [&] { return !hold; });
      batch_rows.push_back(inputs[0].shape[0]);
      batch_threads.push_back(std::this_thread::get_id());
    }
    Tensor out = inputs[0];
    out.name = "y";
    for (int64_t i = 0; i < out.shape[0]; ++i) out.MutableAs<float>()[i] *= 2;
    if (fail) return InternalError("boom");
    return std::vector<Tensor>{std::move(out)};
  }

  std::mutex mu;
  std::condition_variable entered_cv, release_cv;
  int entered = 0;
  bool hold = false;
  bool fail = false;
  bool runs_inline = false;
  std::vector<int64_t> batch_rows;
  std::vector<std::thread::id> batch_threads;

 private:
  ModelMetadata metadata_;
};

std::vector<Tensor> Input(std::vector<float> values) {
  Tensor t;
  t.name = "x";
  t.shape = {static_cast<int64_t>(values.size()), 1};
  t.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  return {std::move(t)};
}

struct Fixture {
  explicit Fixture(SchedulerConfig config, int instances = 1, bool runs_inline = false) {
    std::vector<std::unique_ptr<LoadedModel>> models;
    for (int i = 0; i < instances; ++i) {
      auto m = std::make_unique<DoublingModel>();
      m->runs_inline = runs_inline;
      raw.push_back(m.get());
      models.push_back(std::move(m));
    }
    scheduler = std::make_unique<Scheduler>(std::move(models), config, &stats);
  }
  std::future<StatusOr<std::vector<Tensor>>> Submit(std::vector<float> values) {
    auto promise = std::make_shared<std::promise<StatusOr<std::vector<Tensor>>>>();
    auto future = promise->get_future();
    scheduler->Enqueue(Input(std::move(values)), [promise](StatusOr<std::vector<Tensor>> r) {
      promise->set_value(std::move(r));
    });
    return future;
  }
  ModelStats stats;
  std::vector<DoublingModel*> raw;
  std::unique_ptr<Scheduler> scheduler;
};

TEST(Scheduler, RequestsQueuedWhileABatchRunsFormTheNextBatch) {
  Fixture f({/*max_batch_size=*/8, /*max_queue_delay_us=*/0, /*max_queue_size=*/100});
  DoublingModel* model = f.raw[0];
  {
    std::lock_guard<std::mutex> lock(model->mu);
    model->hold = true;
  }
  auto first = f.Submit({1});
  {
    std::unique_lock<std::mutex> lock(model->mu);
    model->entered_cv.wait(lock, [&] { return model->entered == 1; });
  }
  // The instance is busy with `first`: these three wait, then run as one batch.
  auto a = f.Submit({10, 11});
  auto b = f.Submit({20});
  auto c = f.Submit({30, 31, 32});
  EXPECT_EQ(f.scheduler->InFlight(), 4);
  {
    std::lock_guard<std::mutex> lock(model->mu);
    model->hold = false;
  }
  model->release_cv.notify_all();
  auto ra = a.get();
  auto rc = c.get();
  ASSERT_TRUE(ra.ok());
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ((*ra)[0].shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ((*ra)[0].As<float>()[1], 22);
  EXPECT_EQ((*rc)[0].As<float>()[2], 64);
  EXPECT_EQ((*b.get())[0].As<float>()[0], 40);
  EXPECT_EQ((*first.get())[0].As<float>()[0], 2);
  f.scheduler->Stop();
  EXPECT_EQ(model->batch_rows, (std::vector<int64_t>{1, 6}));
  EXPECT_EQ(f.stats.execution_count.load(), 2u);
  EXPECT_EQ(f.stats.inference_count.load(), 7u);
}

TEST(Scheduler, InlineCallerRunsItsRequestAndWhatQueuedMeanwhile) {
  Fixture f({8, 0, 100}, /*instances=*/1, /*runs_inline=*/true);
  DoublingModel* model = f.raw[0];
  {
    std::lock_guard<std::mutex> lock(model->mu);
    model->hold = true;
  }
  std::thread::id caller;
  std::future<StatusOr<std::vector<Tensor>>> first;
  std::thread client([&] {
    caller = std::this_thread::get_id();
    first = f.Submit({1});  // runs here, held at Execute until released
  });
  {
    std::unique_lock<std::mutex> lock(model->mu);
    model->entered_cv.wait(lock, [&] { return model->entered == 1; });
  }
  auto a = f.Submit({10});  // the only instance is busy: these queue
  auto b = f.Submit({20, 21});
  {
    std::lock_guard<std::mutex> lock(model->mu);
    model->hold = false;
  }
  model->release_cv.notify_all();
  client.join();
  EXPECT_EQ((*a.get())[0].As<float>()[0], 20);
  EXPECT_EQ((*b.get())[0].As<float>()[1], 42);
  EXPECT_EQ((*first.get())[0].As<float>()[0], 2);
  f.scheduler->Stop();
  EXPECT_EQ(model->batch_rows, (std::vector<int64_t>{1, 3}));
  // Both batches ran on the submitting thread: no instance thread was woken for them.
  ASSERT_EQ(model->batch_threads.size(), 2u);
  EXPECT_EQ(model->batch_threads[0], caller);
  EXPECT_EQ(model->batch_threads[1], caller);
}

TEST(Scheduler, ConcurrentDistinctRequestsEachGetTheirOwnAnswer) {
  for (bool runs_inline : {false, true}) {
    Fixture f({8, 0, 1000}, /*instances=*/2, runs_inline);
    std::vector<std::thread> clients;
    std::atomic<int> wrong{0};
    for (int c = 0; c < 8; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0; i < 12; ++i) {
          float base = c * 1000 + i * 10;
          int rows = 1 + (i % 3);
          std::vector<float> values;
          for (int r = 0; r < rows; ++r) values.push_back(base + r);
          auto result = f.Submit(values).get();
          if (!result.ok() || (*result)[0].shape[0] != rows) {
            ++wrong;
            continue;
          }
          for (int r = 0; r < rows; ++r) {
            if ((*result)[0].As<float>()[r] != 2 * values[r]) ++wrong;
          }
        }
      });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(f.stats.inference_count.load(), 8u * (4 * 1 + 4 * 2 + 4 * 3));
  }
}

TEST(Scheduler, AFailedExecutionFailsEveryRequestInTheBatch) {
  Fixture f({8, 0, 100});
  f.raw[0]->fail = true;
  auto r = f.Submit({1}).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(Scheduler, AFullQueueAndAStoppedSchedulerRefuseWithUnavailable) {
  Fixture f({8, 0, /*max_queue_size=*/1});
  DoublingModel* model = f.raw[0];
  {
    std::lock_guard<std::mutex> lock(model->mu);
    model->hold = true;
  }
  auto running = f.Submit({1});
  {
    std::unique_lock<std::mutex> lock(model->mu);
    model->entered_cv.wait(lock, [&] { return model->entered == 1; });
  }
  auto queued = f.Submit({2});
  auto refused = f.Submit({3}).get();
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  {
    std::lock_guard<std::mutex> lock(model->mu);
    model->hold = false;
  }
  model->release_cv.notify_all();
  f.scheduler->Stop();  // answers what was queued first
  EXPECT_TRUE(queued.get().ok());
  EXPECT_TRUE(running.get().ok());
  EXPECT_EQ(f.Submit({4}).get().status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace mlhub::serving
