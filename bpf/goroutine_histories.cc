#include "bpf/goroutine_histories.h"

#include <algorithm>
#include <utility>

namespace leakscan::trace {

void GoroutineHistories::created(uint64_t goid, TimePoint at, uint64_t creator_goid,
                                 std::vector<uint64_t> creator_stack) {
  GoroutineHistory& known = pending_[goid];
  known.goid = goid;
  known.created_at = at;
  known.created_at_exact = true;
  known.creator_goid = creator_goid;
  known.creator_stack = std::move(creator_stack);
}

void GoroutineHistories::take_creation(GoroutineHistory& event, GoroutineHistory& known) {
  known.created_at = event.created_at;
  known.created_at_exact = true;
  known.creator_goid = event.creator_goid;
  known.creator_stack = std::move(event.creator_stack);
}

std::span<GoroutineHistory> GoroutineHistories::line_up(std::span<const LiveGoroutine> goroutines,
                                                        TimePoint captured_at,
                                                        std::optional<TimePoint> previous_capture) {
  if (!goroutines.empty() && goroutines.back().slot >= by_slot_.size()) {
    by_slot_.resize(goroutines.back().slot + 1);  // allgs only grows: its last g's slot
  }
  for (const LiveGoroutine& goroutine : goroutines) {
    if (goroutine.slot >= by_slot_.size()) by_slot_.resize(goroutine.slot + 1);
    GoroutineHistory& known = by_slot_[goroutine.slot];
    auto event = pending_.empty() ? pending_.end() : pending_.find(goroutine.goid);
    if (known.goid != goroutine.goid) {  // first shown by this read
      if (event != pending_.end()) {
        known = std::move(event->second);
      } else {
        known = {.goid = goroutine.goid, .created_at = previous_capture};
      }
    } else if (event != pending_.end()) {
      // Its creation event was polled after the read that first showed it.
      take_creation(event->second, known);
    }
    if (event != pending_.end()) pending_.erase(event);
  }
  // A creation event from before this capture whose goroutine the read lacks: it has ended.
  std::erase_if(pending_, [&](const auto& entry) {
    return !(entry.second.created_at && *entry.second.created_at > captured_at);
  });
  return by_slot_;
}

}  // namespace leakscan::trace
