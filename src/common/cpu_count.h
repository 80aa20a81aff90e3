// SPDX-License-Identifier: Apache-2.0
// How many cores this process may use, for sizing thread pools: the CPUs of its affinity mask
// (taskset, cpusets), capped by its cgroup's CPU quota (a Kubernetes CPU limit), at least 1.
// std::thread::hardware_concurrency counts every CPU of the machine, so a pod limited to 2 CPUs
// on a 64-core node would otherwise start 64 I/O threads and 64 model instances.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace mlhub {

int AvailableCores();

// The parts, for tests. The CPU quota in whole cores (rounded up) from a cgroup v2 `cpu.max`
// ("200000 100000") or v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`; nullopt for no limit.
std::optional<int> QuotaCoresV2(std::string_view cpu_max);
std::optional<int> QuotaCoresV1(std::string_view quota_us, std::string_view period_us);
// The quota of this process's cgroup under `root` (normally /sys/fs/cgroup), v2 or v1, given
// the text of /proc/self/cgroup.
std::optional<int> CgroupQuotaCores(const std::filesystem::path& root,
                                    std::string_view proc_self_cgroup);

}  // namespace mlhub
