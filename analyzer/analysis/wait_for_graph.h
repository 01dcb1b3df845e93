// Who can still wake each blocked goroutine of a snapshot: the question an expert asks of one
// dump, and the one that decides deadlocks, hung tests and young processes, where the clock
// (waits, growth) has nothing to say yet.
//
// A goroutine parked on a channel, a lock, a WaitGroup or a Cond is woken only by another
// goroutine that can still run and can reach the object. A dump shows reach only through the
// values printed in frames' arguments (receivers, channels, structs), so the graph is an
// under-approximation of the heap: a goroutine that can run and holds an address at or just
// before the object may wake it; one that holds nothing the waiter holds, as far as the dump
// shows, may still reach it through a global or a long-lived struct. The findings say which.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analyzer/analysis/goroutine_record.h"

namespace leakscan {

// What a parked goroutine waits for, as far as waking it goes.
enum class WaitKind : uint8_t {
  kNotWaiting,    // running, runnable, in a system call: it can act
  kMayWakeAlone,  // sleeping, on I/O, a timer, the network: something outside the graph wakes it
  kChannelSend,
  kChannelReceive,
  kSelect,         // its cases are not printed: a timer or a done channel may be among them
  kNilChannel,     // "chan send (nil chan)", "chan receive (nil chan)": nothing can wake it
  kSelectNoCases,  // "select (no cases)": nothing can wake it
  kLock,           // sync.Mutex, sync.RWMutex, a runtime semaphore
  kWaitGroup,
  kCond,
};

std::string_view to_string(WaitKind kind);

// What the graph concluded of one blocked goroutine, strongest first.
enum class WakeVerdict : uint8_t {
  kDeadlocked,   // a member of a cycle: each waits for what another member holds
  kNeverWakes,   // a nil channel or an empty select
  kHolderStuck,  // it waits for a lock whose holder is itself stuck for good
  kNoWaker,      // nothing of the program can run, and nothing that can holds what it waits on
  kNoWakerSeen,  // no goroutine that can run holds what it waits on, as far as the dump shows;
                 // but some of the program's can run, and may reach it through memory
  kMayWake,      // a goroutine that can run holds what it waits on
  kUnjudged,     // not parked on something the graph reads, or not the program's own
};

class WaitForGraph {
 public:
  // The last snapshot's goroutines, after layer 1 (it tells the program's own from the
  // runtime's). Snapshots that are neither Go's nor Boost.Fiber's, or hold aggregated samples,
  // are not judged.
  void build(const AnalysisInput& input);

  bool built() const { return !verdicts_.empty(); }
  // Of a thread of the last snapshot, by its index in Snapshot::threads.
  WakeVerdict verdict(uint32_t thread) const;
  WaitKind kind(uint32_t thread) const;
  // The goroutine's creator has ended: the `go` statement's caller returned ("created by ... in
  // goroutine N", Go 1.21 on, where N is no longer in the dump).
  bool creator_ended(uint32_t thread) const;
  // Its creator has ended, or is the main goroutine idling or the one writing the dump: no
  // creator that will act holds what it handed it.
  bool creator_gone_or_idle(uint32_t thread) const;
  // The program has goroutines that can run, besides the one writing the dump and main idling.
  bool program_active() const { return program_active_; }
  // The last snapshot shows addresses (a debug=2 dump's arguments, the agent's wait objects):
  // without any, who holds what cannot be told, and no waiter's waker can be ruled out.
  bool addresses_shown() const { return addresses_shown_; }

  // The holder inferred of the lock a thread waits for, where one is: a goroutine inside a
  // method of the object that owns the lock, blocked on something else.
  struct Holder {
    uint32_t thread = 0;
    uint32_t depth = 0;  // the frame whose receiver owns the lock
  };
  const Holder* holder_of(uint32_t thread) const;
  // The members of the cycle a thread is in, in the cycle's order; empty when it is in none.
  std::span<const uint32_t> cycle_of(uint32_t thread) const;

  // Words for one thread's verdict, naming goroutines, objects and frames: the evidence a
  // report shows for a cluster whose verdict rests on the graph.
  std::string explain(const Snapshot& snapshot, uint32_t thread) const;

 private:
  void classify(const AnalysisInput& input, const Snapshot& snapshot, uint32_t last);
  void infer_creators_ended(const Snapshot& snapshot);
  void infer_holders(const Snapshot& snapshot);
  void find_stuck(const Snapshot& snapshot);
  void find_cycles(const Snapshot& snapshot);

  static constexpr uint32_t kNone = UINT32_MAX;
  struct Thread {
    uint32_t creator = kNone;  // the creator's thread index, where it is in the dump
    WaitKind kind = WaitKind::kNotWaiting;
    WakeVerdict verdict = WakeVerdict::kUnjudged;
    bool program = false;  // kept by layer 1: the program's own
    bool creator_ended = false;
    bool universal_waker = false;  // can run and may reach anything: its reach is not shown
    // Writes the dump, or is the main goroutine idling in main.main: it wakes nobody.
    bool bystander = false;
  };
  std::vector<Thread> verdicts_;
  // Where each thread's arguments start in Snapshot::arguments (in thread order); one past the
  // last thread's end last.
  std::vector<uint32_t> arguments_begin_;
  std::unordered_map<uint32_t, Holder> holders_;
  std::unordered_map<uint32_t, uint64_t> lock_owners_;  // lock waiter -> the object owning it
  std::unordered_map<uint32_t, uint32_t> cycle_index_;  // thread -> index into cycles_
  std::vector<std::vector<uint32_t>> cycles_;
  bool program_active_ = false;
  bool addresses_shown_ = true;
};

}  // namespace leakscan
