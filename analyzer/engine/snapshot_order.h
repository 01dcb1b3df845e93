// The order of snapshots of one process. Capture times order them where the snapshots carry
// them (a profile's own, or when leakscan fetched it); a file's modification time does not
// (a plain `cp` resets it). Goroutine ids are a clock too: within one process every goroutine
// created after a snapshot has an id larger than any that snapshot holds, so a later snapshot
// never holds a new goroutine with a smaller id. That orders snapshots without times and
// refuses snapshots that cannot come from one process.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"

namespace leakscan {

enum class SnapshotOrder : uint8_t {
  // By capture time where every snapshot has one, else by the goroutine-id clock, else as
  // given; a dump's several snapshots keep their order.
  kByCaptureTime,
  kAsGiven,  // as read, in the order given (leakscan diff: the user says which is older)
};

// True when `later` can follow `earlier` in one process: every goroutine of `later` that
// `earlier` does not hold has an id above all of `earlier`'s. Vacuously true without ids.
bool ids_can_follow(const Snapshot& earlier, const Snapshot& later);

// The order to analyze `snapshots` in (indices), and in `warnings` what a user should know
// about it; an error when no order makes them one process by their goroutine ids. Profiles
// without ids that map their objects at other addresses are of several processes: only the
// newest process's indices are returned, with a warning naming the rest. `input_of` names each
// snapshot's input: the snapshots of one input (a log with two dumps) keep their order and are not
// checked against each other.
Result<std::vector<size_t>> order_snapshots(std::span<const Snapshot> snapshots,
                                            std::span<const uint32_t> input_of, SnapshotOrder order,
                                            std::vector<std::string>& warnings);

}  // namespace leakscan
