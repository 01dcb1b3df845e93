#include "bpf/load_bias.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace leakscan::trace {

Result<uint64_t> load_bias(pid_t pid, const gobinary::GoBinary& binary) {
  if (!binary.position_independent()) return uint64_t{0};
  if (binary.segments().empty()) return Error{fmt::format("{}: no PT_LOAD segment", binary.path())};
  const auto& first = binary.segments().front();
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  struct stat exe {};
  std::string exe_path = fmt::format("/proc/{}/exe", pid);
  if (::stat(exe_path.c_str(), &exe) != 0) {
    return Error{fmt::format("{}: cannot stat", exe_path)};
  }
  // "start-end perms offset dev inode path": the executable's mapping of its first segment.
  std::ifstream maps(fmt::format("/proc/{}/maps", pid));
  std::string line;
  for (int lines = 0; lines < 100'000 && std::getline(maps, line); ++lines) {
    std::istringstream in(line);
    std::string range, perms, offset, device;
    uint64_t inode = 0;
    if (!(in >> range >> perms >> offset >> device >> inode) || inode != exe.st_ino) continue;
    uint64_t start = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    if (std::stoull(offset, nullptr, 16) != (first.offset & ~(page - 1))) continue;
    return start - (first.vaddr & ~(page - 1));
  }
  return Error{fmt::format("pid {}: {} is not in /proc/{}/maps", pid, binary.path(), pid)};
}

std::optional<LoadedProgram> loaded_program(pid_t pid, const gobinary::GoBinary& binary) {
  struct stat exe {};
  if (::stat(fmt::format("/proc/{}/exe", pid).c_str(), &exe) != 0) return std::nullopt;
  auto bias = load_bias(pid, binary);
  if (!bias) return std::nullopt;
  return LoadedProgram{exe.st_dev, exe.st_ino, *bias};
}

}  // namespace leakscan::trace
