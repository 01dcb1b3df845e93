// Goroutine creation and exit events from uprobes on an unmodified Go process: loads the BPF
// skeleton configured with the binary's runtime layout, attaches by file offset to the target's
// executable (for that pid only), polls the ring buffer, reads per-site counts, detaches.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/model/result.h"
#include "gobinary/go_binary.h"
#include "gobinary/go_runtime_layout.h"

struct goroutine_lifecycle_bpf;
struct ring_buffer;
struct bpf_link;

namespace leakscan::trace {

struct GoroutineEvent {
  enum class Kind { kCreated, kExited } kind = Kind::kCreated;
  std::chrono::system_clock::time_point at;
  uint64_t goid = 0;
  uint64_t creator_goid = 0;
  uint64_t gopc = 0;
  uint64_t startpc = 0;
  std::vector<uint64_t> creator_stack;  // leaf first; runtime frames of newproc included
};

struct SiteCounts {
  uint64_t born = 0;
  uint64_t died = 0;
};

// Where the probes go in a binary: the return sites of `CALL runtime.newproc1` and
// runtime.goexit1's entry. An error names what is missing.
struct ProbeSites {
  std::vector<uint64_t> created;  // addresses
  uint64_t exited = 0;
  std::vector<uint64_t> all() const;
};
Result<ProbeSites> find_probe_sites(const gobinary::GoBinary& binary);

class LifecycleTracer {
 public:
  using Handler = std::function<void(const GoroutineEvent&)>;
  using Log = std::function<void(const std::string&)>;

  // Loads the BPF programs; nothing is attached yet. `emit_exits` sends an event per exit (for
  // exact lifetimes); exits are always counted per site. libbpf's own warnings go to `log`
  // (which may be empty) while this tracer lives, instead of to stderr. Events and counts give
  // pcs at the binary's link addresses: `load_bias` (PIE) is taken off.
  static Result<std::unique_ptr<LifecycleTracer>> load(const gobinary::GoBinary& binary,
                                                       const gobinary::GoRuntimeLayout& layout,
                                                       pid_t pid, bool emit_exits, Handler handler,
                                                       Log log, uint64_t load_bias = 0);
  ~LifecycleTracer();  // detaches and unloads
  LifecycleTracer(const LifecycleTracer&) = delete;
  LifecycleTracer& operator=(const LifecycleTracer&) = delete;

  Status attach();
  void detach();
  bool attached() const { return !links_.empty(); }
  const ProbeSites& sites() const { return sites_; }
  // The kernel's ids of the loaded programs: what `bpftool prog show id N` names, and what a
  // test checks is gone after a run without looking at anybody else's programs.
  std::vector<uint32_t> program_ids() const;

  // Delivers pending events to the handler, waiting up to `timeout` for the first.
  Status poll(std::chrono::milliseconds timeout);
  // Births and deaths per gopc counted in the kernel while attached.
  std::unordered_map<uint64_t, SiteCounts> site_counts() const;
  uint64_t dropped_events() const;
  // Opens a duty window: from now on the probes record at most `budget` creations (0: no
  // limit), and no birth or death after the last of them.
  Status open_window(uint64_t budget);
  // Creations the probes took since open_window (past the budget: budget and the refused).
  uint64_t window_creations() const;
  // Ends the window in the probes before they are detached: detaching takes its links one at a
  // time, slowly, and the exit probe, last, once counted a window's 2,000 deaths at a site
  // after the creation probes had stopped at 998 births.
  Status close_window();

 private:
  LifecycleTracer() = default;
  static int on_sample(void* context, void* data, size_t size);

  std::string exe_path_;
  pid_t pid_ = 0;
  uint64_t load_bias_ = 0;
  ProbeSites sites_;
  std::vector<uint64_t> created_offsets_;
  uint64_t exited_offset_ = 0;
  Handler handler_;
  Log log_;
  std::chrono::nanoseconds monotonic_to_realtime_{0};
  goroutine_lifecycle_bpf* skeleton_ = nullptr;
  ring_buffer* ring_ = nullptr;
  std::vector<bpf_link*> links_;
};

}  // namespace leakscan::trace
