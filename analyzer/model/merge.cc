#include "analyzer/model/merge.h"

#include <algorithm>
#include <span>
#include <unordered_map>
#include <utility>

namespace leakscan {
namespace {

class Remapper {
 public:
  // `from`'s text is copied into `into`'s pool as needed.
  Remapper(Snapshot& into, const Snapshot& from)
      : into_(into), from_(from), frames_(from.frames().size(), kNoFrame) {}
  // `from`'s text is in `into`'s pool already (StringPool::absorb); `copies` is the text both
  // held, with the copy `into` keeps.
  Remapper(Snapshot& into, const Snapshot& from,
           std::unordered_map<const char*, std::string_view> copies)
      : into_(into),
        from_(from),
        frames_(from.frames().size(), kNoFrame),
        copies_(std::move(copies)),
        pooled_(true) {}

  FrameId frame(FrameId id) {
    if (id == kNoFrame) return kNoFrame;
    FrameId& mapped = frames_[id];
    if (mapped != kNoFrame) return mapped;
    const Frame& frame = from_.frame(id);
    mapped = pooled_ ? into_.frames().intern_pooled(
                           Frame{pooled(frame.function), pooled(frame.file), frame.line})
                     : into_.frames().intern(frame);
    return mapped;
  }

  // Stacks are interned, so equal stacks share data() and are remapped once.
  Stack stack(Stack stack) {
    if (stack.empty()) return {};
    if (stack.data() == last_stack_from_) return last_stack_to_;
    auto [it, added] = stacks_.try_emplace(stack.data(), Stack{});
    if (added) {
      scratch_.clear();
      for (FrameId id : stack) scratch_.push_back(frame(id));
      it->second = into_.intern_stack(scratch_);
    }
    last_stack_from_ = stack.data();
    last_stack_to_ = it->second;
    return it->second;
  }

  // Interned text repeats with the same pointer: one hash lookup per distinct string.
  std::string_view text(std::string_view text) {
    if (text.empty()) return {};
    auto [it, added] = strings_.try_emplace(text.data(), std::string_view{});
    if (added || it->second.size() != text.size()) it->second = into_.intern(text);
    return it->second;
  }

  void labels(std::span<Label> labels) {
    for (auto& label : labels) {
      label.key = text(label.key);
      label.str = text(label.str);
      label.unit = text(label.unit);
    }
  }

 private:
  // `from`'s text as `into` keeps it: the same view unless both pools held it.
  std::string_view pooled(std::string_view text) const {
    auto it = copies_.find(text.data());
    return it == copies_.end() ? text : it->second;
  }

  Snapshot& into_;
  const Snapshot& from_;
  std::vector<FrameId> frames_;
  std::unordered_map<const char*, std::string_view> copies_;
  bool pooled_ = false;
  std::unordered_map<const FrameId*, Stack> stacks_;
  std::unordered_map<const char*, std::string_view> strings_;
  std::vector<FrameId> scratch_;
  // Neighbouring threads mostly share their stack: a one-entry cache before the map.
  const FrameId* last_stack_from_ = nullptr;
  Stack last_stack_to_;
};

// Moves `records`' threads and samples, whose ids and text belong to the table `remap` reads,
// into `into`.
void remap_into(Remapper& remap, Snapshot& into, Snapshot&& records) {
  Snapshot& from = records;
  const auto offset = static_cast<uint32_t>(into.threads.size());
  for (ArgumentValue argument : from.arguments) {
    argument.thread += offset;
    into.arguments.push_back(argument);
  }
  from.arguments.clear();
  into.threads.reserve(into.threads.size() + from.threads.size());
  for (auto& thread : from.threads) {
    thread.status = remap.text(thread.status);
    thread.wait_reason = remap.text(thread.wait_reason);
    thread.stack = remap.stack(thread.stack);
    thread.created_by = remap.frame(thread.created_by);
    remap.labels(thread.labels);
    for (auto& ancestor : thread.ancestors) {
      ancestor.stack = remap.stack(ancestor.stack);
      ancestor.created_by = remap.frame(ancestor.created_by);
    }
    into.threads.push_back(std::move(thread));
  }
  for (auto& sample : from.samples) {
    sample.stack = remap.stack(sample.stack);
    remap.labels(sample.labels);
    into.samples.push_back(std::move(sample));
  }
  for (auto& warning : from.warnings) into.warnings.push_back(std::move(warning));
  from.threads.clear();
  from.samples.clear();
}

}  // namespace

void append_snapshot(Snapshot& into, Snapshot&& from) {
  // `from` is consumed: its text joins `into` uncopied, and its indexes go before `into`'s
  // grow, so that a wide dump's two halves do not hold three tables at once.
  auto copies = into.frames().strings().absorb(std::move(from.frames().strings()));
  from.frames().drop_indexes();
  Remapper remap(into, from, std::move(copies));
  remap_into(remap, into, std::move(from));
}

Snapshot subset_snapshot(const Snapshot& from, std::span<const size_t> threads,
                         std::span<const size_t> samples) {
  Snapshot chosen;
  chosen.source = from.source;
  chosen.format = from.format;
  chosen.runtime = from.runtime;
  chosen.captured_at = from.captured_at;
  chosen.capture_time_origin = from.capture_time_origin;
  chosen.reason = from.reason;
  Snapshot copy;  // the chosen records, still in `from`'s tables, then moved across
  for (size_t index : threads) {
    const auto thread = static_cast<uint32_t>(copy.threads.size());
    copy.threads.push_back(from.threads.at(index));
    // Arguments are in thread order: those of thread `index` are one run.
    auto run = std::equal_range(
        from.arguments.begin(), from.arguments.end(), ArgumentValue{.thread = uint32_t(index)},
        [](const ArgumentValue& a, const ArgumentValue& b) { return a.thread < b.thread; });
    for (auto it = run.first; it != run.second; ++it) {
      ArgumentValue argument = *it;
      argument.thread = thread;
      copy.arguments.push_back(argument);
    }
  }
  for (size_t index : samples) copy.samples.push_back(from.samples.at(index));
  Remapper remap(chosen, from);
  remap_into(remap, chosen, std::move(copy));
  return chosen;
}

}  // namespace leakscan
