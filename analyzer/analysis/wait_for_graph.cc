#include "analyzer/analysis/wait_for_graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>

#include "analyzer/model/text_format.h"
#include "analyzer/model/trace_window.h"
#include "analyzer/model/user_code.h"

namespace leakscan {
namespace {

// How far past a receiver's address a lock may sit and still be that object's own: a mutex is
// a field, seldom further than this into a struct.
constexpr uint64_t kFieldWindow = 512;
// Bounds on the work done per goroutine, so that one hub object shared by a million goroutines
// keeps the graph linear.
constexpr size_t kMaxEdgesPerThread = 4;
constexpr size_t kMaxHolderCandidates = 64;

WaitKind wait_kind_of(std::string_view status) {
  if (status.ends_with(" (leaked)")) status.remove_suffix(9);
  if (status.ends_with(" (durable)")) status.remove_suffix(10);
  if (status == "running" || status == "runnable" || status == "syscall" ||
      status.starts_with("running") || status.starts_with("runnable")) {
    return WaitKind::kNotWaiting;
  }
  if (status == "chan send (nil chan)" || status == "chan receive (nil chan)") {
    return WaitKind::kNilChannel;
  }
  if (status == "select (no cases)") return WaitKind::kSelectNoCases;
  if (status == "chan send") return WaitKind::kChannelSend;
  if (status == "chan receive") return WaitKind::kChannelReceive;
  if (status == "select") return WaitKind::kSelect;
  if (status.starts_with("sync.Mutex.") || status.starts_with("sync.RWMutex.") ||
      status == "semacquire") {
    return WaitKind::kLock;
  }
  if (status == "sync.WaitGroup.Wait") return WaitKind::kWaitGroup;
  if (status == "sync.Cond.Wait") return WaitKind::kCond;
  return WaitKind::kMayWakeAlone;
}

bool parked(WaitKind kind) {
  return kind != WaitKind::kNotWaiting && kind != WaitKind::kMayWakeAlone;
}

bool has_function(const Snapshot& snapshot, const GreenThread& thread,
                  std::initializer_list<std::string_view> names) {
  for (FrameId id : thread.stack) {
    std::string_view function = snapshot.frame(id).function;
    if (std::find(names.begin(), names.end(), function) != names.end()) return true;
  }
  return false;
}

// The goroutine writing the dump acts only to write it.
bool writes_the_dump(const Snapshot& snapshot, const GreenThread& thread) {
  return has_function(snapshot, thread,
                      {"runtime/pprof.writeGoroutineStacks", "runtime/pprof.writeGoroutine",
                       "runtime.Stack", "runtime/debug.Stack", "runtime/debug.PrintStack",
                       "runtime.goroutineleakcollect", "runtime/pprof.writeGoroutineLeak"});
}

// The main goroutine idling in main.main itself (sleeping, serving, waiting for a signal), or
// a test binary's main goroutine waiting for its tests: the process's frame, not its work.
bool main_idle(const Snapshot& snapshot, const GreenThread& thread) {
  if (thread.created_by != kNoFrame || thread.stack.empty()) return false;
  if (has_function(snapshot, thread, {"testing.(*M).Run", "testing.RunTests", "testing.Main"})) {
    return true;
  }
  size_t own = 0;
  bool in_main = false;
  for (FrameId id : thread.stack) {
    std::string_view function = snapshot.frame(id).function;
    if (!is_user_frame(snapshot, id)) continue;
    ++own;
    in_main = in_main || function == "main.main";
  }
  return in_main && own == 1;
}

// Where each thread's arguments start in Snapshot::arguments (they are in thread order), and
// where the last one's end.
std::vector<uint32_t> argument_offsets(const Snapshot& snapshot) {
  std::vector<uint32_t> begin(snapshot.threads.size() + 1, 0);
  for (const ArgumentValue& argument : snapshot.arguments) {
    if (argument.thread < snapshot.threads.size()) ++begin[argument.thread + 1];
  }
  for (size_t i = 1; i < begin.size(); ++i) begin[i] += begin[i - 1];
  return begin;
}

// A frame of a method on a pointer receiver: its first argument is the receiver.
bool method_on_pointer(std::string_view function) {
  return function.find(".(*") != std::string_view::npos;
}

// The receiver of a method of the program's own: sync's methods (Mutex.Lock, WaitGroup.Wait)
// take the field itself, not the object that owns it.
bool is_receiver(const Snapshot& snapshot, const ArgumentValue& argument) {
  if (!argument.first || argument.thread >= snapshot.threads.size()) return false;
  const GreenThread& thread = snapshot.threads[argument.thread];
  if (argument.depth >= thread.stack.size()) return false;
  std::string_view function = snapshot.frame(thread.stack[argument.depth]).function;
  return method_on_pointer(function) && is_user_frame(snapshot, thread.stack[argument.depth]);
}

}  // namespace

std::string_view to_string(WaitKind kind) {
  switch (kind) {
    case WaitKind::kNotWaiting:
      return "not waiting";
    case WaitKind::kMayWakeAlone:
      return "a wait something outside the program ends";
    case WaitKind::kChannelSend:
      return "chan send";
    case WaitKind::kChannelReceive:
      return "chan receive";
    case WaitKind::kSelect:
      return "select";
    case WaitKind::kNilChannel:
      return "nil channel";
    case WaitKind::kSelectNoCases:
      return "select with no cases";
    case WaitKind::kLock:
      return "lock";
    case WaitKind::kWaitGroup:
      return "WaitGroup";
    case WaitKind::kCond:
      return "Cond";
  }
  return "unknown";
}

void WaitForGraph::build(const AnalysisInput& input) {
  *this = WaitForGraph();
  if (input.snapshots.empty()) return;
  const auto last = static_cast<uint32_t>(input.snapshots.size() - 1);
  const Snapshot& snapshot = input.snapshots[last];
  // Boost.Fiber's channels, mutexes, condition variables and joins block as Go's do, and its
  // agent writes ids and creators as Go does; other runtimes' waits are not read.
  const bool judged =
      snapshot.runtime == RuntimeKind::kGo || snapshot.runtime == RuntimeKind::kBoostFiber;
  if (!judged || snapshot.threads.empty()) return;
  classify(input, snapshot, last);
  arguments_begin_ = argument_offsets(snapshot);
  infer_holders(snapshot);
  find_stuck(snapshot);
  find_cycles(snapshot);
}

void WaitForGraph::classify(const AnalysisInput& input, const Snapshot& snapshot, uint32_t last) {
  verdicts_.resize(snapshot.threads.size());
  std::vector<std::pair<uint64_t, uint32_t>> ids;  // id, thread
  ids.reserve(snapshot.threads.size());
  for (uint32_t i = 0; i < snapshot.threads.size(); ++i)
    ids.emplace_back(snapshot.threads[i].id, i);
  std::sort(ids.begin(), ids.end());
  auto thread_of = [&](uint64_t id) -> std::optional<uint32_t> {
    auto found = std::lower_bound(ids.begin(), ids.end(), std::pair<uint64_t, uint32_t>{id, 0});
    if (found == ids.end() || found->first != id) return std::nullopt;
    return found->second;
  };
  bool any_creator_id = false;
  for (const GoroutineRecord& record : input.records) {
    if (record.snapshot != last || record.thread == nullptr) continue;
    const GreenThread& thread = *record.thread;
    const auto index = static_cast<uint32_t>(&thread - snapshot.threads.data());
    Thread& node = verdicts_[index];
    // Layer 1's name for the operation ("sync.WaitGroup.Wait" where Go 1.19 says
    // "semacquire"), else the runtime's.
    node.kind = wait_kind_of(record.blocking_operation);
    if (node.kind == WaitKind::kMayWakeAlone) node.kind = wait_kind_of(thread.status);
    node.program = record.disposition == Disposition::kKept;
    node.bystander = writes_the_dump(snapshot, thread) || main_idle(snapshot, thread);
    any_creator_id = any_creator_id || thread.creator_id != 0;
    if (thread.creator_id != 0) {
      if (auto creator = thread_of(thread.creator_id)) {
        node.creator = *creator;
      } else {
        node.creator_ended = true;
      }
    }
    if (thread.stack_unavailable) node.kind = WaitKind::kNotWaiting;
    if (parked(node.kind) || !node.program || node.bystander) continue;
    // A process that crashed runs no more: its running goroutine wakes nobody.
    if (reason_ends_process(snapshot.reason) &&
        snapshot.reason.rfind("SIGQUIT", 0) == std::string::npos &&
        node.kind == WaitKind::kNotWaiting) {
      continue;
    }
    program_active_ = true;
    // A goroutine of the program that runs may reach anything through memory.
    node.universal_waker = node.kind == WaitKind::kNotWaiting;
  }
  if (!any_creator_id) infer_creators_ended(snapshot);
}

void WaitForGraph::infer_creators_ended(const Snapshot& snapshot) {
  // Before Go 1.21 a dump names the creating function but not the creating goroutine: the
  // creator has returned where no goroutine but a bystander is still inside that function.
  // Interned text shares its pointer, so functions compare by address.
  std::vector<const char*> running;
  for (uint32_t i = 0; i < verdicts_.size(); ++i) {
    if (verdicts_[i].bystander) continue;
    for (FrameId id : snapshot.threads[i].stack) {
      running.push_back(snapshot.frame(id).function.data());
    }
  }
  std::sort(running.begin(), running.end());
  running.erase(std::unique(running.begin(), running.end()), running.end());
  for (uint32_t i = 0; i < verdicts_.size(); ++i) {
    const GreenThread& thread = snapshot.threads[i];
    if (thread.created_by == kNoFrame || !parked(verdicts_[i].kind)) continue;
    const char* creator = snapshot.frame(thread.created_by).function.data();
    verdicts_[i].creator_ended = !std::binary_search(running.begin(), running.end(), creator);
  }
}

void WaitForGraph::infer_holders(const Snapshot& snapshot) {
  // The program's methods on pointers, by receiver: who is inside a method of which object.
  struct Inside {
    uint64_t receiver;
    uint32_t thread;
    uint32_t depth;
  };
  std::vector<Inside> inside;
  for (const ArgumentValue& argument : snapshot.arguments) {
    if (!argument.hint && is_receiver(snapshot, argument)) {
      inside.push_back({argument.value, argument.thread, argument.depth});
    }
  }
  if (inside.empty()) return;
  std::sort(inside.begin(), inside.end(), [](const Inside& a, const Inside& b) {
    return std::tie(a.receiver, a.thread, a.depth) < std::tie(b.receiver, b.thread, b.depth);
  });
  // The object that owns each waited-for lock, and the frame that is taking it: the lock's
  // address where Go printed it, else the receiver of the innermost method of the program's
  // own (`s.mu.Lock()` inside a method of s; sync.RWMutex's waits print no address).
  struct Wait {
    uint64_t owner = 0;
    uint32_t depth = 0;
  };
  std::vector<Wait> waits(verdicts_.size());
  for (uint32_t i = 0; i < verdicts_.size(); ++i) {
    if (verdicts_[i].kind != WaitKind::kLock) continue;
    const GreenThread& thread = snapshot.threads[i];
    const uint64_t lock = certain_wait_object(thread);
    for (uint32_t depth = 0; depth < thread.stack.size(); ++depth) {
      if (!is_user_frame(snapshot, thread.stack[depth])) continue;
      waits[i].depth = depth;
      break;
    }
    if (lock != 0) {
      // The nearest receiver at or below the lock, within a struct's reach.
      auto above =
          std::upper_bound(inside.begin(), inside.end(), lock,
                           [](uint64_t value, const Inside& x) { return value < x.receiver; });
      if (above != inside.begin() && lock - std::prev(above)->receiver < kFieldWindow) {
        waits[i].owner = std::prev(above)->receiver;
      }
      continue;
    }
    // The innermost of its own methods names the owner: its arguments come leaf first.
    for (uint32_t at = arguments_begin_[i]; at < arguments_begin_[i + 1]; ++at) {
      const ArgumentValue& argument = snapshot.arguments[at];
      if (argument.hint || !is_receiver(snapshot, argument)) continue;
      waits[i].owner = argument.value;
      waits[i].depth = argument.depth;
      break;
    }
  }
  for (uint32_t i = 0; i < verdicts_.size(); ++i) {
    const uint64_t owner = waits[i].owner;
    if (owner == 0) continue;
    lock_owners_.emplace(i, owner);
    auto run =
        std::equal_range(inside.begin(), inside.end(), Inside{owner, 0, 0},
                         [](const Inside& a, const Inside& b) { return a.receiver < b.receiver; });
    size_t looked = 0;
    for (auto it = run.first; it != run.second && looked < kMaxHolderCandidates; ++it, ++looked) {
      // A goroutine inside a method of the owner, further out than where it waits for the
      // owner's lock itself (if it does): it took the lock there and still holds it. The waiter
      // itself too: a second Lock of what an outer method of its own already took.
      const bool waits_on_owner =
          verdicts_[it->thread].kind == WaitKind::kLock && waits[it->thread].owner == owner;
      if (waits_on_owner && it->depth <= waits[it->thread].depth) continue;
      holders_.emplace(i, Holder{it->thread, it->depth});
      break;
    }
  }
}

void WaitForGraph::find_stuck(const Snapshot& snapshot) {
  // The graph is walked from what can run: a goroutine that can run frees every goroutine
  // that waits on what it holds, and those freed may act in turn. What is never reached is
  // stuck.
  std::vector<uint8_t> free(verdicts_.size(), 0);
  std::vector<uint32_t> work;
  bool anything_goes = false;
  addresses_shown_ = !snapshot.arguments.empty() ||
                     std::any_of(snapshot.threads.begin(), snapshot.threads.end(),
                                 [](const GreenThread& thread) { return thread.wait_object != 0; });
  for (uint32_t i = 0; i < verdicts_.size(); ++i) {
    // A receive or a select may be woken by a timer, which no goroutine of the dump stands
    // for: such a goroutine may act again, and wake what it holds.
    const WaitKind kind = verdicts_[i].kind;
    if (kind == WaitKind::kChannelReceive || kind == WaitKind::kSelect) {
      if (!verdicts_[i].bystander) {
        work.push_back(i);
        // What it holds is not shown (a profile, a trace, the tracer's read of memory): it is
        // of the program that may act, and may hold what anyone waits on.
        program_active_ = program_active_ || (!addresses_shown_ && verdicts_[i].program);
      }
      continue;
    }
    if (parked(kind)) continue;
    free[i] = 1;
    if (verdicts_[i].bystander) continue;
    work.push_back(i);
    anything_goes = anything_goes || verdicts_[i].universal_waker;
  }
  // What each parked goroutine can be reached by: its wait object and the addresses it holds.
  // Indexed by address, so that a freed holder finds its waiters.
  struct Handle {
    uint64_t address;
    uint32_t thread;
  };
  std::vector<Handle> handles;
  // A wait object is a field of a larger object more often than not (a struct's mutex, its
  // WaitGroup): the object that holds it starts at the nearest receiver at or below it.
  std::vector<uint64_t> receivers;
  for (const ArgumentValue& argument : snapshot.arguments) {
    if (is_receiver(snapshot, argument)) receivers.push_back(argument.value);
  }
  std::sort(receivers.begin(), receivers.end());
  for (const auto& [thread, owner] : lock_owners_) handles.push_back({owner, thread});
  for (uint32_t i = 0; i < verdicts_.size(); ++i) {
    if (!parked(verdicts_[i].kind)) continue;
    const uint64_t object = snapshot.threads[i].wait_object;
    if (object == 0) continue;
    handles.push_back({object, i});
    auto above = std::upper_bound(receivers.begin(), receivers.end(), object);
    if (above != receivers.begin() && object - *std::prev(above) < kFieldWindow &&
        *std::prev(above) != object) {
      handles.push_back({*std::prev(above), i});
    }
  }
  for (const ArgumentValue& argument : snapshot.arguments) {
    if (argument.thread < verdicts_.size() && parked(verdicts_[argument.thread].kind)) {
      handles.push_back({argument.value, argument.thread});
    }
  }
  std::sort(handles.begin(), handles.end(), [](const Handle& a, const Handle& b) {
    return std::tie(a.address, a.thread) < std::tie(b.address, b.thread);
  });
  // Each handle is freed once: a hub address held by a million goroutines is walked once.
  std::vector<uint8_t> handle_done(handles.size(), 0);
  // The goroutines each one started: a creator that can act may still hold, in locals the dump
  // does not print, the channel it handed them.
  std::vector<std::pair<uint32_t, uint32_t>> children;  // creator, child
  for (uint32_t i = 0; i < verdicts_.size(); ++i) {
    if (verdicts_[i].creator != kNone && parked(verdicts_[i].kind)) {
      children.emplace_back(verdicts_[i].creator, i);
    }
  }
  std::sort(children.begin(), children.end());
  auto release = [&](uint64_t address) {
    // Waiters that hold the address, or wait on a field of the object it starts.
    auto it = std::lower_bound(handles.begin(), handles.end(), address,
                               [](const Handle& h, uint64_t value) { return h.address < value; });
    // A run is walked whole or not at all: its first handle done means all of it is.
    if (it == handles.end() || handle_done[static_cast<size_t>(it - handles.begin())]) return;
    for (; it != handles.end() && it->address == address; ++it) {
      size_t at = static_cast<size_t>(it - handles.begin());
      if (handle_done[at]) continue;
      handle_done[at] = 1;
      if (!free[it->thread]) {
        free[it->thread] = 1;
        work.push_back(it->thread);
      }
    }
  };
  if (!anything_goes) {
    while (!work.empty()) {
      uint32_t thread = work.back();
      work.pop_back();
      for (uint32_t at = arguments_begin_[thread]; at < arguments_begin_[thread + 1]; ++at) {
        release(snapshot.arguments[at].value);
      }
      // A creator that handed a goroutine a channel to answer on waits for that answer: the
      // goroutine it started, once it can act, may wake it.
      if (uint32_t creator = verdicts_[thread].creator;
          creator != kNone && !free[creator] && !verdicts_[thread].bystander) {
        free[creator] = 1;
        work.push_back(creator);
      }
      if (!verdicts_[thread].bystander) {
        auto run = std::equal_range(children.begin(), children.end(),
                                    std::pair<uint32_t, uint32_t>{thread, 0},
                                    [](const auto& a, const auto& b) { return a.first < b.first; });
        for (auto it = run.first; it != run.second; ++it) {
          if (!free[it->second]) {
            free[it->second] = 1;
            work.push_back(it->second);
          }
        }
      }
      // A freed lock holder releases the lock.
      if (uint64_t object = snapshot.threads[thread].wait_object;
          object != 0 && parked(verdicts_[thread].kind)) {
        release(object);
      }
    }
  }
  for (uint32_t i = 0; i < verdicts_.size(); ++i) {
    Thread& node = verdicts_[i];
    if (!parked(node.kind) || !node.program) continue;
    if (node.kind == WaitKind::kNilChannel || node.kind == WaitKind::kSelectNoCases) {
      node.verdict = WakeVerdict::kNeverWakes;
    } else if (anything_goes || free[i]) {
      node.verdict = WakeVerdict::kMayWake;
    } else if (auto holder = holders_.find(i); holder != holders_.end() &&
                                               !free[holder->second.thread] &&
                                               parked(verdicts_[holder->second.thread].kind)) {
      node.verdict = WakeVerdict::kHolderStuck;
    } else {
      node.verdict = program_active_ ? WakeVerdict::kNoWakerSeen : WakeVerdict::kNoWaker;
    }
  }
}

void WaitForGraph::find_cycles(const Snapshot& snapshot) {
  // Edges among stuck goroutines: a lock waiter to its holder; a channel waiter to a stuck
  // goroutine of another kind that holds an address it holds (its partner on the channel).
  auto stuck = [&](uint32_t thread) {
    WakeVerdict verdict = verdicts_[thread].verdict;
    return verdict == WakeVerdict::kHolderStuck || verdict == WakeVerdict::kNoWaker ||
           verdict == WakeVerdict::kNoWakerSeen;
  };
  std::unordered_map<uint32_t, std::vector<uint32_t>> edges;
  for (const auto& [waiter, holder] : holders_) {
    if (stuck(waiter) && stuck(holder.thread)) edges[waiter].push_back(holder.thread);
  }
  std::unordered_map<uint64_t, std::vector<uint32_t>> lock_waiters_by_address;
  for (uint32_t i = 0; i < verdicts_.size(); ++i) {
    if (!stuck(i) || verdicts_[i].kind != WaitKind::kLock) continue;
    for (uint32_t at = arguments_begin_[i]; at < arguments_begin_[i + 1]; ++at) {
      auto& waiters = lock_waiters_by_address[snapshot.arguments[at].value];
      if (waiters.size() < kMaxEdgesPerThread) waiters.push_back(i);
    }
  }
  for (uint32_t i = 0; i < verdicts_.size(); ++i) {
    WaitKind kind = verdicts_[i].kind;
    if (!stuck(i) || (kind != WaitKind::kChannelSend && kind != WaitKind::kChannelReceive)) {
      continue;
    }
    // The lock waiters that hold what this channel waiter holds may be the only ones to take
    // its value, once they have the lock it holds.
    auto& out = edges[i];
    for (uint32_t at = arguments_begin_[i]; at < arguments_begin_[i + 1]; ++at) {
      auto found = lock_waiters_by_address.find(snapshot.arguments[at].value);
      if (found == lock_waiters_by_address.end()) continue;
      for (uint32_t other : found->second) {
        auto holder = holders_.find(other);
        // Only a partner that waits for a lock this goroutine holds closes a cycle.
        if (other != i && holder != holders_.end() && holder->second.thread == i &&
            out.size() < kMaxEdgesPerThread) {
          out.push_back(other);
        }
      }
    }
  }
  // Tarjan's strongly connected components, iteratively, over the few stuck goroutines with
  // edges.
  std::unordered_map<uint32_t, uint32_t> index;
  std::unordered_map<uint32_t, uint32_t> low;
  std::vector<uint32_t> stack;
  std::unordered_map<uint32_t, bool> on_stack;
  uint32_t counter = 0;
  for (const auto& [start, unused] : edges) {
    if (index.contains(start)) continue;
    std::vector<std::pair<uint32_t, size_t>> calls{{start, 0}};
    index[start] = low[start] = counter++;
    stack.push_back(start);
    on_stack[start] = true;
    while (!calls.empty()) {
      auto& [node, next] = calls.back();
      auto found = edges.find(node);
      const std::vector<uint32_t>* out = found == edges.end() ? nullptr : &found->second;
      if (out != nullptr && next < out->size()) {
        uint32_t to = (*out)[next++];
        if (!index.contains(to)) {
          index[to] = low[to] = counter++;
          stack.push_back(to);
          on_stack[to] = true;
          calls.emplace_back(to, 0);
        } else if (on_stack[to]) {
          low[node] = std::min(low[node], index[to]);
        }
        continue;
      }
      if (low[node] == index[node]) {
        std::vector<uint32_t> component;
        uint32_t member = 0;
        do {
          member = stack.back();
          stack.pop_back();
          on_stack[member] = false;
          component.push_back(member);
        } while (member != node);
        const auto self = edges.find(node);
        const bool loop =
            component.size() >= 2 ||
            (self != edges.end() &&
             std::find(self->second.begin(), self->second.end(), node) != self->second.end());
        if (loop) {
          std::reverse(component.begin(), component.end());
          for (uint32_t m : component) {
            cycle_index_[m] = static_cast<uint32_t>(cycles_.size());
            verdicts_[m].verdict = WakeVerdict::kDeadlocked;
          }
          cycles_.push_back(std::move(component));
        }
      }
      uint32_t finished = node;
      calls.pop_back();
      if (!calls.empty()) {
        uint32_t parent = calls.back().first;
        low[parent] = std::min(low[parent], low[finished]);
      }
    }
  }
}

WakeVerdict WaitForGraph::verdict(uint32_t thread) const {
  return thread < verdicts_.size() ? verdicts_[thread].verdict : WakeVerdict::kUnjudged;
}

WaitKind WaitForGraph::kind(uint32_t thread) const {
  return thread < verdicts_.size() ? verdicts_[thread].kind : WaitKind::kNotWaiting;
}

bool WaitForGraph::creator_ended(uint32_t thread) const {
  return thread < verdicts_.size() && verdicts_[thread].creator_ended;
}

bool WaitForGraph::creator_gone_or_idle(uint32_t thread) const {
  if (thread >= verdicts_.size()) return false;
  const Thread& node = verdicts_[thread];
  return node.creator_ended || (node.creator != kNone && verdicts_[node.creator].bystander);
}

const WaitForGraph::Holder* WaitForGraph::holder_of(uint32_t thread) const {
  auto found = holders_.find(thread);
  return found == holders_.end() ? nullptr : &found->second;
}

std::span<const uint32_t> WaitForGraph::cycle_of(uint32_t thread) const {
  auto found = cycle_index_.find(thread);
  if (found == cycle_index_.end()) return {};
  return cycles_[found->second];
}

namespace {

// What a wait of this kind waits on, in a reason's words.
std::string_view object_noun(WaitKind kind) {
  switch (kind) {
    case WaitKind::kChannelSend:
    case WaitKind::kChannelReceive:
    case WaitKind::kNilChannel:
      return "channel";
    case WaitKind::kSelect:
    case WaitKind::kSelectNoCases:
      return "channels of the select";
    case WaitKind::kLock:
    case WaitKind::kWaitGroup:
    case WaitKind::kCond:
      return to_string(kind);
    default:
      return "object";
  }
}

// "goroutine 12 (chan send in main.(*Store).holdAndSend at store.go:18)"
std::string describe(const Snapshot& snapshot, uint32_t thread, WaitKind kind) {
  const GreenThread& g = snapshot.threads[thread];
  std::string site;
  for (FrameId id : g.stack) {
    const Frame& frame = snapshot.frame(id);
    if (is_user_frame(snapshot, frame)) {
      site = format_site(frame);
      break;
    }
  }
  std::string what(g.status.empty() ? to_string(kind) : g.status);
  if (uint64_t object = certain_wait_object(g); object != 0) {
    what += fmt::format(" 0x{:x}", object);
  }
  return site.empty() ? fmt::format("goroutine {} ({})", g.id, what)
                      : fmt::format("goroutine {} ({} in {})", g.id, what, site);
}

}  // namespace

std::string WaitForGraph::explain(const Snapshot& snapshot, uint32_t thread) const {
  if (thread >= verdicts_.size()) return {};
  const Thread& node = verdicts_[thread];
  const GreenThread& g = snapshot.threads[thread];
  auto holder_words = [&](const Holder& holder) {
    const GreenThread& h = snapshot.threads[holder.thread];
    std::string_view taken_in =
        holder.depth < h.stack.size() ? snapshot.frame(h.stack[holder.depth]).function : "";
    return fmt::format(
        "goroutine {} holds it (inferred: it is inside {}, a method of the object "
        "that owns the lock) while it waits on {}",
        h.id, taken_in, h.status);
  };
  switch (node.verdict) {
    case WakeVerdict::kDeadlocked: {
      auto members = cycle_of(thread);
      if (members.size() == 1) {
        const Holder& self = holders_.at(thread);
        return fmt::format(
            "deadlock: {} waits for a lock that it holds itself (taken in {}, an outer method "
            "of the object that owns the lock): a second Lock of a sync.Mutex, or an RLock "
            "behind a waiting writer, never returns",
            describe(snapshot, thread, node.kind),
            snapshot.frame(g.stack[std::min<size_t>(self.depth, g.stack.size() - 1)]).function);
      }
      std::string words = "deadlock: ";
      for (size_t i = 0; i < members.size(); ++i) {
        if (i > 0) words += " → ";
        words += describe(snapshot, members[i], verdicts_[members[i]].kind);
      }
      words += fmt::format(" → goroutine {}: each waits for what the next holds",
                           snapshot.threads[members.front()].id);
      return words;
    }
    case WakeVerdict::kNeverWakes:
      return node.kind == WaitKind::kNilChannel
                 ? "it waits on a nil channel: no goroutine can ever send or receive on it"
                 : "it waits in a select with no cases: nothing can ever wake it";
    case WakeVerdict::kHolderStuck:
      return fmt::format("no possible waker: it waits for lock 0x{:x}; {}, which nothing can end",
                         g.wait_object, holder_words(holders_.at(thread)));
    case WakeVerdict::kNoWaker: {
      std::string object = certain_wait_object(g) != 0 ? fmt::format(" 0x{:x}", g.wait_object) : "";
      return fmt::format(
          "no possible waker: no goroutine of the program can run, and none that could holds "
          "the {}{} it waits on{}",
          object_noun(node.kind), object,
          node.kind == WaitKind::kLock ? " (an Unlock was missed, or its holder is stuck too)"
                                       : "");
    }
    case WakeVerdict::kNoWakerSeen:
      if (!addresses_shown_) {
        return fmt::format(
            "no goroutine is seen to hold the {} it waits on, but this snapshot shows no "
            "addresses (a profile or a trace): others of the program can act and may hold it",
            object_noun(node.kind));
      }
      return fmt::format(
          "no goroutine that can run holds the {} it waits on, as far as the dump shows; "
          "others of the program can run and may reach it through memory the dump does not show",
          object_noun(node.kind));
    case WakeVerdict::kMayWake:
    case WakeVerdict::kUnjudged:
      break;
  }
  return {};
}

}  // namespace leakscan
