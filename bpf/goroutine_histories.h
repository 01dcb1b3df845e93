// What the tracer knows of each goroutine beyond its g, kept from one snapshot to the next by
// the g's slot in runtime.allgs: a flat array read in the table's order, where a hash map of
// 640,000 nodes cost a malloc and a scattered lookup each.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "bpf/goroutine_table_reader.h"

namespace leakscan::trace {

using TimePoint = std::chrono::system_clock::time_point;

// What the tracer knows about one goroutine beyond its g.
struct GoroutineHistory {
  uint64_t goid = 0;
  // Exact from a creation event; else the capture time of the snapshot before the one that
  // first showed it (so its age is exact to within one snapshot interval); else unknown.
  std::optional<TimePoint> created_at;
  // Since when it has been seen in its current wait: blocked at the same place in the same
  // state, without having run in between (its park count and waitsince unchanged).
  std::optional<TimePoint> blocked_since;
  // A capture at which it was not yet in its current wait (seen running, elsewhere, or not yet
  // created): the wait began after it, so it is at most captured_at minus this.
  std::optional<TimePoint> awake_at;
  uint64_t blocked_key = 0;
  int64_t waitsince = 0;
  uint64_t creator_goid = 0;
  std::vector<uint64_t> creator_stack;  // from the creation event, leaf first
  uint8_t park_count = 0;
  bool created_at_exact = false;
};

class GoroutineHistories {
 public:
  // A creation event: kept by goid until a table read first shows the goroutine.
  void created(uint64_t goid, TimePoint at, uint64_t creator_goid,
               std::vector<uint64_t> creator_stack);
  // An exit event: a goroutine no read showed is forgotten (one that was shown is forgotten by
  // the first read without it).
  void exited(uint64_t goid) { pending_.erase(goid); }

  // The histories of `goroutines` (one table read, captured at `captured_at`) by allgs slot:
  // a goroutine's is element goroutine.slot, valid until the next call. A goroutine no read
  // showed before starts with its creation event's, else with created_at = `previous_capture`.
  // Creation events before `captured_at` of goroutines the read lacks are forgotten.
  std::span<GoroutineHistory> line_up(std::span<const LiveGoroutine> goroutines,
                                      TimePoint captured_at,
                                      std::optional<TimePoint> previous_capture);

  size_t pending() const { return pending_.size(); }

 private:
  static void take_creation(GoroutineHistory& event, GoroutineHistory& known);

  // By allgs slot; a slot whose g now runs another goroutine (a new goid) starts afresh.
  std::vector<GoroutineHistory> by_slot_;
  std::unordered_map<uint64_t, GoroutineHistory> pending_;  // creation events by goid
};

}  // namespace leakscan::trace
