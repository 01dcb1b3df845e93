#include "bpf/go_free_lists.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace leakscan::trace {
namespace {

// GOMAXPROCS beyond this is no P table but a misread.
constexpr uint64_t kMaxProcessors = 1 << 16;

}  // namespace

std::string_view to_string(FreeList list) {
  switch (list) {
    case FreeList::kUnknown:
      return "unknown";
    case FreeList::kNone:
      return "none";
    case FreeList::kProcessor:
      return "p";
    case FreeList::kGlobal:
      return "global";
  }
  return "unknown";
}

Status mark_free_lists(const ProcessMemory& memory, const gobinary::GoRuntimeLayout& layout,
                       uint64_t load_bias, std::span<const DeadLink> links,
                       std::span<FreeList> lists) {
  std::fill(lists.begin(), lists.end(), FreeList::kUnknown);
  if (!layout.has_free_lists()) return Error{"the binary does not say where its free lists are"};
  std::vector<std::pair<uint64_t, FreeList>> heads;
  const uint64_t sched = layout.sched + load_bias;
  for (uint32_t offset : {layout.sched_gfree_stack, layout.sched_gfree_nostack}) {
    auto head = memory.read_value<uint64_t>(sched + offset);
    if (!head) return head.error();
    heads.emplace_back(*head, FreeList::kGlobal);
  }
  uint64_t allp[3] = {};
  if (auto status = memory.read(layout.allp + load_bias,
                                std::span(reinterpret_cast<uint8_t*>(allp), sizeof allp));
      !status) {
    return status;
  }
  if (allp[1] > allp[2] || allp[1] > kMaxProcessors) {
    return Error{fmt::format("runtime.allp at {:#x} is no slice of P's (len {}, cap {})",
                             layout.allp + load_bias, allp[1], allp[2])};
  }
  std::vector<uint64_t> processors(allp[1]);
  if (auto status = memory.read(allp[0], std::span(reinterpret_cast<uint8_t*>(processors.data()),
                                                   processors.size() * sizeof(uint64_t)));
      !processors.empty() && !status) {
    return status;
  }
  for (uint64_t p : processors) {
    if (p == 0) continue;
    auto head = memory.read_value<uint64_t>(p + layout.p_gfree);
    if (!head) return head.error();
    heads.emplace_back(*head, FreeList::kProcessor);
  }

  std::vector<std::pair<uint64_t, uint32_t>> by_address(links.size());
  for (size_t i = 0; i < links.size(); ++i) {
    by_address[i] = {links[i].g, static_cast<uint32_t>(i)};
  }
  std::sort(by_address.begin(), by_address.end());
  std::fill(lists.begin(), lists.end(), FreeList::kNone);
  std::vector<bool> seen(links.size());
  for (const auto& [head, list] : heads) {
    uint64_t at = head;
    for (size_t step = 0; at != 0 && step < links.size(); ++step) {
      auto it = std::lower_bound(by_address.begin(), by_address.end(),
                                 std::pair<uint64_t, uint32_t>{at, 0});
      if (it == by_address.end() || it->first != at || seen[it->second]) break;
      seen[it->second] = true;
      lists[it->second] = list;
      at = links[it->second].next;
    }
  }
  return Ok{};
}

}  // namespace leakscan::trace
