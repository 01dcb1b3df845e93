#include "bpf/capabilities.h"

#include <fmt/format.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace leakscan::trace {
namespace {

bool has(const __user_cap_data_struct (&data)[2], int capability) {
  return (data[capability / 32].effective & (1U << (capability % 32))) != 0;
}

}  // namespace

Status check_trace_capabilities(bool probes) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) {
    return Error{"cannot read this process's capabilities (capget)"};
  }
  struct Needed {
    int capability;
    const char* name;
  };
  std::vector<Needed> needed = {{CAP_SYS_PTRACE, "CAP_SYS_PTRACE"}};
  const bool admin = has(data, CAP_SYS_ADMIN);
  if (probes && !admin) {
    needed.insert(needed.begin(), {{CAP_BPF, "CAP_BPF"}, {CAP_PERFMON, "CAP_PERFMON"}});
  }
  std::vector<std::string> missing, present;
  for (const auto& need : needed)
    (has(data, need.capability) ? present : missing).emplace_back(need.name);
  if (missing.empty()) return Ok{};
  if (admin) present.emplace_back("CAP_SYS_ADMIN");
  return Error{
      fmt::format("needs {} (have: {})", fmt::join(missing, " and "),
                  present.empty() ? "none of them" : fmt::format("{}", fmt::join(present, ", ")))};
}

}  // namespace leakscan::trace
