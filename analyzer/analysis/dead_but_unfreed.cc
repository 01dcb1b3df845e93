#include "analyzer/analysis/dead_but_unfreed.h"

#include <algorithm>
#include <map>

namespace leakscan {
namespace {

bool is_finishing(const Snapshot& snapshot, const GoroutineRecord& record) {
  for (FrameId id : record.stack()) {
    std::string_view function = snapshot.frame(id).function;
    if (function == "runtime.Goexit" || function == "runtime.goexit0" ||
        function == "runtime.goexit1") {
      return true;
    }
  }
  return false;
}

}  // namespace

void DeadButUnfreed::run(AnalysisInput& input) const {
  // Neighbouring goroutines mostly share their stack: look at each run of one stack once.
  const FrameId* last_stack = nullptr;
  bool last_finishing = false;
  for (auto& record : input.records) {
    if (record.disposition != Disposition::kKept) continue;
    const Snapshot& snapshot = input.snapshots[record.snapshot];
    if (record.stack().data() != last_stack || record.stack().empty()) {
      last_stack = record.stack().data();
      last_finishing = is_finishing(snapshot, record);
    }
    if (record.thread != nullptr && record.thread->state == ThreadState::kExited) {
      record.disposition = Disposition::kExited;
      record.why = "ended, memory not yet released";
    } else if (last_finishing ||
               (record.thread != nullptr && record.thread->state == ThreadState::kExiting)) {
      record.disposition = Disposition::kFinishing;
      record.why = "finishing (deferred calls after runtime.Goexit), not blocked";
    }
  }
}

std::vector<DeadButUnfreedFinding> DeadButUnfreed::findings(const AnalysisInput& input) const {
  if (input.snapshots.empty()) return {};
  auto last = static_cast<uint32_t>(input.snapshots.size() - 1);
  const Snapshot& snapshot = input.snapshots[last];
  // (kind, creation site) -> count
  std::map<std::pair<Disposition, FrameId>, int64_t> counts;
  for (const auto& record : input.records) {
    if (record.snapshot != last) continue;
    if (record.disposition != Disposition::kExited &&
        record.disposition != Disposition::kFinishing) {
      continue;
    }
    counts[{record.disposition, record.created_by()}] += record.count();
  }
  std::vector<DeadButUnfreedFinding> out;
  for (const auto& [key, count] : counts) {
    bool exited = key.first == Disposition::kExited;
    out.push_back(DeadButUnfreedFinding{
        .kind = exited ? DeadButUnfreedKind::kExitedNotReleased : DeadButUnfreedKind::kFinishing,
        .count = count,
        .created_by = key.second != kNoFrame ? snapshot.frame(key.second) : Frame{},
    });
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.count > b.count; });
  return out;
}

std::string_view DeadButUnfreedFinding::explanation() const {
  return kind == DeadButUnfreedKind::kExitedNotReleased
             ? "ended, but their stacks and records are still held"
             : "finishing (running deferred calls), not blocked";
}

}  // namespace leakscan
