// Whether two snapshots fetched from one address can be of one process: a target restarted
// between polls starts a new series, and growth is never measured across the restart.
#pragma once

#include "analyzer/model/snapshot.h"

namespace leakscan {

// Go and the agent number their green threads from 1 upwards for the life of a process, so a
// restart shows as the highest id falling. Go hands ids out in batches of 16 per P, so the
// newest goroutine can carry a lower id than an older one; a fall within that slack is no
// restart. Snapshots without ids (aggregated profiles) never say so.
bool is_new_process(const Snapshot& previous, const Snapshot& next);

// The highest green-thread id in `snapshot`, 0 when it names none.
uint64_t highest_id(const Snapshot& snapshot);

}  // namespace leakscan
