// How old a goroutine of the last snapshot can be at most, from what the snapshots know: its
// traced creation time, or the goroutine-id clock against an earlier snapshot's capture time
// (an id above everything an earlier snapshot held was made after it). Go's wait can exceed
// that: the runtime keeps the time a reused g first parked in an earlier GC cycle, so a 30 s
// long-poll can show "[select, 1 minutes]". Waits past the bound are capped at it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "analyzer/model/snapshot.h"

namespace leakscan {

// Each snapshot's capture time in seconds where it is exact enough for rates: the profile's
// own, or when leakscan fetched it.
std::vector<std::optional<double>> exact_capture_seconds(std::span<const Snapshot> snapshots);

// Go hands out goroutine ids in batches of 16 per P (runtime.goidcache): the id clock is exact
// to 16 ids times GOMAXPROCS. This allows for 256 Ps.
inline constexpr uint64_t kGoroutineIdSlack = uint64_t{16} * 256;

class AgeBound {
 public:
  explicit AgeBound(std::span<const Snapshot> snapshots);
  // The most `thread`, of the last snapshot, can have waited, in seconds; nothing if unknown.
  std::optional<double> max_age_seconds(const GreenThread& thread) const;

  struct Wait {
    double seconds = 0;
    bool capped = false;  // it exceeded the age bound and is the bound instead
  };
  // `thread`'s wait, of the last snapshot, capped at its age; nothing if it has none.
  std::optional<Wait> wait_of(const GreenThread& thread) const;

 private:
  std::optional<double> last_capture_;
  struct Earlier {
    uint64_t newest_id;
    double captured;
  };
  std::vector<Earlier> earlier_;  // newest first
};

}  // namespace leakscan
