#pragma once

#include <chrono>
#include <optional>

#include "analyzer/model/snapshot.h"

namespace leakscan {

// A snapshot's captured_at when it is the time the snapshot was taken (the profile's own, or
// its fetch's), not a file's modification time standing in for it.
inline std::optional<std::chrono::system_clock::time_point> time_taken(const Snapshot& snapshot) {
  if (snapshot.capture_time_origin != CaptureTimeOrigin::kProfile &&
      snapshot.capture_time_origin != CaptureTimeOrigin::kFetched) {
    return std::nullopt;
  }
  return snapshot.captured_at;
}

}  // namespace leakscan
