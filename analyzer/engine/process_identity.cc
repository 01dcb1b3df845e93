#include "analyzer/engine/process_identity.h"

#include <fmt/format.h>

#include <algorithm>

namespace leakscan {
namespace {

// Ids Go may hand out of order: 16 per P, for up to 8 Ps holding a part-used batch.
constexpr uint64_t kIdReorderSlack = uint64_t{16} * 8;

// The kernel maps the legacy vsyscall page at one fixed address in every process.
bool randomised(const Snapshot::MappedObject& object) { return object.name != "[vsyscall]"; }

}  // namespace

uint64_t highest_id(const Snapshot& snapshot) {
  uint64_t highest = 0;
  for (const auto& thread : snapshot.threads) highest = std::max(highest, thread.id);
  return highest;
}

std::optional<std::string> restart_between(const Snapshot& previous, const Snapshot& next) {
  uint64_t before = highest_id(previous);
  uint64_t now = highest_id(next);
  if (before != 0 && now != 0) {
    if (now + kIdReorderSlack >= before) return std::nullopt;
    return fmt::format("highest goroutine id fell from {} to {}", before, now);
  }
  return remapped_object(previous, next);
}

std::optional<std::string> remapped_object(const Snapshot& previous, const Snapshot& next) {
  // An object mapped in both at different addresses; one loaded or unloaded meanwhile (dlopen)
  // says nothing.
  for (const auto& object : next.mapped_objects) {
    if (!randomised(object)) continue;
    for (const auto& earlier : previous.mapped_objects) {
      if (earlier.name == object.name && earlier.start != object.start) {
        return fmt::format("{} is mapped at {:#x}, not {:#x}", object.name, object.start,
                           earlier.start);
      }
    }
  }
  return std::nullopt;
}

bool shows_restarts(const Snapshot& snapshot) {
  return highest_id(snapshot) != 0 ||
         std::any_of(snapshot.mapped_objects.begin(), snapshot.mapped_objects.end(), randomised);
}

}  // namespace leakscan
