// SPDX-License-Identifier: Apache-2.0
#include "common/cpu_count.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>

namespace mlhub {
namespace {

TEST(CpuCountTest, ReadsQuotas) {
  EXPECT_EQ(QuotaCoresV2("200000 100000\n"), 2);
  EXPECT_EQ(QuotaCoresV2("150000 100000"), 2);  // 1.5 cores: two threads
  EXPECT_EQ(QuotaCoresV2("50000 100000"), 1);
  EXPECT_EQ(QuotaCoresV2("max 100000\n"), std::nullopt);
  EXPECT_EQ(QuotaCoresV2("garbage"), std::nullopt);
  EXPECT_EQ(QuotaCoresV1("400000\n", "100000\n"), 4);
  EXPECT_EQ(QuotaCoresV1("-1\n", "100000\n"), std::nullopt);
}

class CgroupDirTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("mlhub-cgroup-" + std::to_string(::getpid()) + "-" +
             testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::filesystem::path& relative, const std::string& text) {
    std::filesystem::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative) << text;
  }
  std::filesystem::path root_;
};

TEST_F(CgroupDirTest, V2OwnCgroupThenRoot) {
  Write("kubepods/pod1/cpu.max", "300000 100000\n");
  EXPECT_EQ(CgroupQuotaCores(root_, "0::/kubepods/pod1\n"), 3);
  Write("cpu.max", "max 100000\n");  // a container's namespaced root
  EXPECT_EQ(CgroupQuotaCores(root_, "0::/\n"), std::nullopt);
  Write("cpu.max", "100000 100000\n");
  EXPECT_EQ(CgroupQuotaCores(root_, "0::/\n"), 1);
}

TEST_F(CgroupDirTest, V1CpuController) {
  Write("cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "250000\n");
  Write("cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(CgroupQuotaCores(root_, "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n"), 3);
  Write("cpu/cpu.cfs_quota_us", "-1\n");
  Write("cpu/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(CgroupQuotaCores(root_, "1:cpu:/\n"), std::nullopt);
}

TEST_F(CgroupDirTest, NoCgroupFilesMeansNoLimit) {
  EXPECT_EQ(CgroupQuotaCores(root_, "0::/\n"), std::nullopt);
}

TEST(CpuCountTest, AvailableCoresIsAtLeastOneAndAtMostTheMachine) {
  const int cores = AvailableCores();
  EXPECT_GE(cores, 1);
  EXPECT_LE(cores, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

}  // namespace
}  // namespace mlhub
