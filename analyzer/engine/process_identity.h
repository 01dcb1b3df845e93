// Whether two snapshots can be of one process: watch starts a new series at a restart, and the
// analysis of several snapshots analyses the newest process's alone; growth is never measured
// across a restart.
#pragma once

#include <optional>
#include <string>

#include "analyzer/model/snapshot.h"

namespace leakscan {

// Why `next` is of another process than `previous`, or nothing when neither tells.
//
// Go and the agent number their green threads from 1 upwards for the life of a process, so a
// restart shows as the highest id falling. Go hands ids out in batches of 16 per P, so the
// newest goroutine can carry a lower id than an older one; a fall within that slack is no
// restart. A pprof profile (debug=0) names no ids but lists where each executable object is
// mapped: under address-space randomisation a new process maps the vDSO (and any shared
// library or PIE binary) elsewhere, while one process keeps them where they are.
std::optional<std::string> restart_between(const Snapshot& previous, const Snapshot& next);

// The mapping-address half of restart_between: an object `next` maps where `previous` did not.
std::optional<std::string> remapped_object(const Snapshot& previous, const Snapshot& next);

// Whether restart_between can ever see a restart after `snapshot`: it names goroutine ids, or
// maps an object at a randomised address.
bool shows_restarts(const Snapshot& snapshot);

// The highest green-thread id in `snapshot`, 0 when it names none.
uint64_t highest_id(const Snapshot& snapshot);

}  // namespace leakscan
