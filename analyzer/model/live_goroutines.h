#pragma once

#include <algorithm>
#include <cstdint>

#include "analyzer/model/snapshot.h"

namespace leakscan {

// The process's goroutines as runtime.NumGoroutine counts them: a green thread that ended (a
// dead g kept in allgs, a fiber not yet joined) is none of them; dead_but_unfreed reports it.
inline int64_t live_goroutines(const Snapshot& snapshot) {
  if (snapshot.threads.empty()) return snapshot.goroutine_count();
  return std::ranges::count_if(snapshot.threads, [](const GreenThread& thread) {
    return thread.state != ThreadState::kExited;
  });
}

}  // namespace leakscan
