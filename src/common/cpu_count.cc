// SPDX-License-Identifier: Apache-2.0
#include "common/cpu_count.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace mlhub {
namespace {

std::optional<long long> ParseNumber(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int> QuotaCores(long long quota, long long period) {
  if (quota <= 0 || period <= 0) return std::nullopt;
  return static_cast<int>(std::max<long long>(1, (quota + period - 1) / period));
}

std::optional<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The cgroup path of `controller` in /proc/self/cgroup ("0::/path" for v2 when `controller` is
// empty, "N:cpu,cpuacct:/path" for v1).
std::optional<std::string> CgroupPath(std::string_view proc_self_cgroup,
                                      std::string_view controller) {
  std::istringstream lines{std::string(proc_self_cgroup)};
  for (std::string line; std::getline(lines, line);) {
    size_t first = line.find(':');
    size_t second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string_view controllers = std::string_view(line).substr(first + 1, second - first - 1);
    bool match = controller.empty() ? controllers.empty() : false;
    for (size_t start = 0; !controller.empty() && start <= controllers.size();) {
      size_t comma = controllers.find(',', start);
      if (comma == std::string_view::npos) comma = controllers.size();
      if (controllers.substr(start, comma - start) == controller) match = true;
      start = comma + 1;
    }
    if (match) return line.substr(second + 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<int> QuotaCoresV2(std::string_view cpu_max) {
  size_t space = cpu_max.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::optional<long long> quota = ParseNumber(cpu_max.substr(0, space));  // "max": no number
  std::optional<long long> period = ParseNumber(cpu_max.substr(space + 1));
  if (!quota || !period) return std::nullopt;
  return QuotaCores(*quota, *period);
}

std::optional<int> QuotaCoresV1(std::string_view quota_us, std::string_view period_us) {
  std::optional<long long> quota = ParseNumber(quota_us);  // -1: no limit
  std::optional<long long> period = ParseNumber(period_us);
  if (!quota || !period) return std::nullopt;
  return QuotaCores(*quota, *period);
}

std::optional<int> CgroupQuotaCores(const std::filesystem::path& root,
                                    std::string_view proc_self_cgroup) {
  // v2: the process's own cgroup, or the root a container's cgroup namespace shows it as.
  std::vector<std::filesystem::path> v2 = {root / "cpu.max"};
  if (auto path = CgroupPath(proc_self_cgroup, ""); path && *path != "/") {
    v2.insert(v2.begin(), root / path->substr(1) / "cpu.max");
  }
  for (const auto& file : v2) {
    if (auto text = ReadFile(file)) return QuotaCoresV2(*text);
  }
  // v1: the cpu controller's hierarchy, under its usual mount points.
  std::optional<std::string> path = CgroupPath(proc_self_cgroup, "cpu");
  for (const char* mount : {"cpu", "cpu,cpuacct", "cpuacct,cpu"}) {
    std::vector<std::filesystem::path> dirs = {root / mount};
    if (path && *path != "/") dirs.insert(dirs.begin(), root / mount / path->substr(1));
    for (const auto& dir : dirs) {
      auto quota = ReadFile(dir / "cpu.cfs_quota_us");
      auto period = ReadFile(dir / "cpu.cfs_period_us");
      if (quota && period) return QuotaCoresV1(*quota, *period);
    }
  }
  return std::nullopt;
}

int AvailableCores() {
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cores = std::max(1, CPU_COUNT(&set));
  const std::string self = ReadFile("/proc/self/cgroup").value_or("");
  if (std::optional<int> quota = CgroupQuotaCores("/sys/fs/cgroup", self)) {
    cores = std::min(cores, *quota);
  }
  return cores;
}

}  // namespace mlhub
