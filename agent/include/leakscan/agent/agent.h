// What a service links to expose its green threads the way Go services expose goroutines:
//
//   auto agent = leakscan::agent::Agent::start({.http_port = 6060});
//   // go tool pprof http://127.0.0.1:6060/debug/pprof/goroutine
//   // leakscan http://127.0.0.1:6060/debug/pprof/goroutine?debug=2
//
// Three exposures, each optional: an HTTP endpoint (loopback unless told otherwise), a dump on
// a signal (taken by a sigwait thread: nothing runs in the signal handler), and periodic
// snapshots to a directory (atomically renamed, oldest removed past a retention limit). None
// of them ever blocks a fiber scheduler for longer than the unwinding of its own fibers.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "leakscan/agent/start_result.h"

namespace leakscan::agent {

struct AgentOptions {
  // HTTP endpoint: -1 none, 0 any free port (see Agent::http_port), else that port.
  int http_port = -1;
  std::string http_address = "127.0.0.1";
  // Anything but a loopback address exposes stacks to the network: it must be asked for.
  bool allow_non_loopback = false;
  // When set, requests must carry "Authorization: Bearer <token>". When empty, only requests
  // whose Host header is a loopback name (localhost, 127.0.0.0/8, [::1]) are served: a web
  // page cannot read the stacks through a name rebound to 127.0.0.1 (DNS rebinding).
  std::string bearer_token;

  // Dump on this signal (e.g. SIGUSR2) as Go-style text to dump_path, or to stderr when empty.
  // The signal is blocked in the calling thread and in threads it starts afterwards: call
  // start() before the service starts its threads.
  int dump_signal = 0;
  std::string dump_path;

  // Periodic pprof snapshots into this directory when set, named goroutine-<unix ms>.pb.gz.
  std::string snapshot_dir;
  std::chrono::milliseconds snapshot_every{std::chrono::seconds(60)};
  size_t snapshot_retain = 60;

  // How long a snapshot waits for fiber schedulers to unwind their fibers.
  std::chrono::milliseconds stack_timeout{1000};
};

// Profiles of the process's green threads, on demand; what the endpoint and the dumps serve.
// Thread-safe; snapshots are taken one at a time.
std::string goroutine_profile_gzip();   // pprof protobuf, gzip, one sample per green thread
std::string goroutine_text(int debug);  // 2: Go's debug=2 dump; 1: aggregated, Go's debug=1

// One green thread in words, for tests and logs (the listener in leakscan/testing uses it).
struct GreenThreadSummary {
  uint64_t id = 0;
  std::string state;  // "waiting", "exited"...
  // "sync.Mutex.Lock": what a wrapper recorded, else what the analysis's rules read off the
  // stack (Boost's own types); empty when neither says.
  std::string wait_reason;
  std::string created_by;  // "FUNCTION at FILE:LINE", or empty when unknown
  std::string blocked_at;  // the innermost frame of the program's own code, same form
};
// Live green threads with an id of at least `min_id`; ids only grow, so a test takes
// next_green_thread_id() before and asks for those at or above it after.
std::vector<GreenThreadSummary> describe_green_threads(uint64_t min_id);
uint64_t next_green_thread_id();
size_t live_green_threads_since(uint64_t min_id);
// Tracking schedulers installed now (leakscan::fibers::tracking_algorithm, one per thread that
// runs fibers); with none, fibers are invisible to the agent.
size_t tracking_schedulers();

class Agent {
 public:
  static StartResult start(const AgentOptions& options);
  ~Agent();  // stops every thread it started, waiting for none longer than a request
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // The endpoint's port (the one chosen when asked for 0); 0 without an endpoint.
  uint16_t http_port() const;

  class Impl;

 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  // For start() only: Key is private.
  Agent(Key key, std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace leakscan::agent
