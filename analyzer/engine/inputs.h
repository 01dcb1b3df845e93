// What the engine reads snapshots from, and how it puts them in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "analyzer/engine/http_fetch.h"
#include "analyzer/engine/snapshot_order.h"
#include "analyzer/model/result.h"
#include "analyzer/model/snapshot.h"
#include "analyzer/readers/byte_source.h"

namespace leakscan {

enum class InputOrigin : uint8_t {
  kFile,       // a path
  kStdin,      // "-"
  kUrl,        // http:// or https://, a pprof endpoint
  kBytes,      // data in memory, with a name for messages
  kSnapshots,  // snapshots already read (Python, the tracer, the agent)
};

// One input: files, standard input, URLs, bytes, or snapshots already read. A dump may hold
// several snapshots (a log with two SIGQUIT dumps).
struct Input {
  InputOrigin origin = InputOrigin::kFile;
  std::string name;                 // the path, "-", the URL, or the name of the bytes
  std::string data;                 // kBytes only
  std::vector<Snapshot> snapshots;  // kSnapshots only

  // A command-line argument: "-" is stdin, http(s):// a URL, anything else a path.
  static Input from_argument(std::string argument);
  static Input from_bytes(std::string data, std::string name);
  static Input from_snapshots(std::vector<Snapshot> snapshots);
};

struct LoadOptions {
  ReadLimits limits;
  SnapshotOrder order = SnapshotOrder::kByCaptureTime;
  // Beside a URL of /debug/pprof/goroutine, also fetch Go's goroutineleak profile where the
  // target serves it (engine/leak_profile_fetch.h).
  bool fetch_leak_profile = true;
  HttpOptions http;  // URL inputs: timeout, headers
};

struct LoadedSnapshots {
  std::vector<Snapshot> snapshots;
  std::vector<uint32_t> input_of;     // per snapshot: the index of the input it came from
  std::vector<std::string> warnings;  // the readers' warnings, each naming its input
};

// Reads every input and orders the snapshots (snapshot_order.h), Go's goroutineleak profiles
// given beside other snapshots first and out of the order; the first input that cannot
// be read at all, or snapshots that cannot be of one process, are the error.
Result<LoadedSnapshots> load_snapshots(std::vector<Input> inputs, const LoadOptions& options);

}  // namespace leakscan
