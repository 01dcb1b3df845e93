#include "bpf/go_free_lists.h"

#include <fmt/format.h>

#include <algorithm>
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

Status FreeListWalker::mark(const ProcessMemory& memory, const gobinary::GoRuntimeLayout& layout,
                            uint64_t load_bias, std::span<const DeadLink> links,
                            std::span<FreeList> lists) {
  std::fill(lists.begin(), lists.end(), FreeList::kUnknown);
  if (!layout.has_free_lists()) return Error{"the binary does not say where its free lists are"};
  heads_.clear();
  const uint64_t sched = layout.sched + load_bias;
  for (uint32_t offset : {layout.sched_gfree_stack, layout.sched_gfree_nostack}) {
    auto head = memory.read_value<uint64_t>(sched + offset);
    if (!head) return head.error();
    heads_.emplace_back(*head, FreeList::kGlobal);
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
  processors_.resize(allp[1]);
  if (auto status = memory.read(allp[0], std::span(reinterpret_cast<uint8_t*>(processors_.data()),
                                                   processors_.size() * sizeof(uint64_t)));
      !processors_.empty() && !status) {
    return status;
  }
  for (uint64_t p : processors_) {
    if (p == 0) continue;
    auto head = memory.read_value<uint64_t>(p + layout.p_gfree);
    if (!head) return head.error();
    heads_.emplace_back(*head, FreeList::kProcessor);
  }

  by_address_.resize(links.size());
  for (size_t i = 0; i < links.size(); ++i) {
    by_address_[i] = {links[i].g, static_cast<uint32_t>(i)};
  }
  std::sort(by_address_.begin(), by_address_.end());
  std::fill(lists.begin(), lists.end(), FreeList::kNone);
  for (const auto& [head, list] : heads_) {
    uint64_t at = head;
    for (size_t step = 0; at != 0 && step < links.size(); ++step) {
      auto it = std::lower_bound(by_address_.begin(), by_address_.end(),
                                 std::pair<uint64_t, uint32_t>{at, 0});
      // Not a dead g of the table, or one already on a list: the list changed as it was read.
      if (it == by_address_.end() || it->first != at || lists[it->second] != FreeList::kNone) {
        break;
      }
      lists[it->second] = list;
      at = links[it->second].next;
    }
  }
  return Ok{};
}

}  // namespace leakscan::trace
