// SPDX-License-Identifier: Apache-2.0
#include "tracking/validation.h"

#include <gtest/gtest.h>

#include <string>

namespace mlhub::tracking {
namespace {

TEST(ValidationTest, AcceptsMlflowKeyCharacters) {
  for (const char* key : {"loss", "val/loss", "a b", "x-y_z.1", "mlflow.runName", "éclair"}) {
    EXPECT_TRUE(ValidateKey("metric", key).ok()) << key;
  }
}

TEST(ValidationTest, RejectsKeysThatAreNotSafeNames) {
  for (const char* key :
       {"", "a:b", "a\\b", "..", "a/../b", "/abs", "a//b", ".", "a/", "x\ny", "q?"}) {
    Status status = ValidateKey("metric", key);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << key;
  }
}

TEST(ValidationTest, LengthLimits) {
  EXPECT_TRUE(ValidateParam({std::string(250, 'k'), std::string(6000, 'v')}).ok());
  EXPECT_FALSE(ValidateParam({std::string(251, 'k'), "v"}).ok());
  EXPECT_FALSE(ValidateParam({"k", std::string(6001, 'v')}).ok());
  EXPECT_TRUE(ValidateRunTag({"k", std::string(5000, 'v')}).ok());
  EXPECT_FALSE(ValidateRunTag({"k", std::string(5001, 'v')}).ok());
}

TEST(ValidationTest, BatchLimits) {
  store::RunBatch batch;
  batch.metrics.resize(1001, store::Metric{"m", 1, 0, 0});
  EXPECT_FALSE(ValidateBatch(batch).ok());
  batch.metrics.resize(1000);
  EXPECT_TRUE(ValidateBatch(batch).ok());
  batch.params.resize(1, store::Param{"p", "v"});
  EXPECT_FALSE(ValidateBatch(batch).ok()) << "more than 1000 entities";
  batch.metrics.clear();
  batch.params.resize(101, store::Param{"p", "v"});
  EXPECT_FALSE(ValidateBatch(batch).ok());
}

TEST(ValidationTest, DuplicateParamsMustAgreeWithinABatch) {
  store::RunBatch batch;
  batch.params = {{"p", "1"}, {"p", "1"}};
  EXPECT_TRUE(ValidateBatch(batch).ok());
  batch.params = {{"p", "1"}, {"p", "2"}};
  EXPECT_FALSE(ValidateBatch(batch).ok());
}

TEST(ValidationTest, NegativeTimestampRejected) {
  EXPECT_FALSE(ValidateMetric({"m", 1.0, -1, 0}).ok());
}

TEST(ValidationTest, Ids) {
  EXPECT_TRUE(ValidateRunId("0123456789abcdef0123456789abcdef").ok());
  EXPECT_FALSE(ValidateRunId("").ok());
  EXPECT_FALSE(ValidateRunId("../x").ok());
  EXPECT_FALSE(ValidateRunId("_a").ok());
  EXPECT_TRUE(ValidateExperimentId("0").ok());
  EXPECT_FALSE(ValidateExperimentId(std::string(65, '1')).ok());
}

}  // namespace
}  // namespace mlhub::tracking
