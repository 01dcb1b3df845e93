#include "analyzer/model/user_code.h"

#include <algorithm>
#include <array>

#include "analyzer/model/cpp_frame.h"

namespace leakscan {
namespace {

// Top-level packages of Go's standard library (Go 1.2 to 1.25), plus the runtime's assembly
// and cgo helpers. golang.org/x is not here: it is code the program chose.
constexpr std::array<std::string_view, 50> kStandardRoots{
    "archive", "arena",   "bufio",    "builtin", "bytes",   "cmp",      "compress", "container",
    "context", "crypto",  "database", "debug",   "embed",   "encoding", "errors",   "expvar",
    "flag",    "fmt",     "go",       "hash",    "html",    "image",    "index",    "internal",
    "io",      "iter",    "log",      "maps",    "math",    "mime",     "net",      "os",
    "path",    "plugin",  "reflect",  "regexp",  "runtime", "slices",   "sort",     "strconv",
    "strings", "structs", "sync",     "syscall", "testing", "text",     "time",     "unicode",
    "unique",  "vendor"};

// Where a C++ frame's object or source file is the system's: its C and C++ libraries, Boost
// and their headers.
constexpr std::array<std::string_view, 5> kSystemDirectories{"/usr/lib/", "/lib/", "/lib64/",
                                                             "/usr/include/", "/usr/lib64/"};

}  // namespace

bool is_user_function(std::string_view function) {
  if (function.empty() || function.starts_with("0x")) return false;
  // C++ frames from the agent: the standard library, Boost's fiber machinery, compiler helpers.
  if (function.find("::") != std::string_view::npos) {
    return !(function.starts_with("std::") || function.starts_with("boost::") ||
             function.starts_with("__") || function.starts_with("leakscan::"));
  }
  if (function.starts_with("_cgo_") || function.starts_with("type..")) return false;
  // The first element of the package path: "github.com" of github.com/x/y, "net" of net/http,
  // "main" of main.f. With a '/' in the path it ends there, not at the first dot: go.uber.org
  // and go.etcd.io are modules, not the standard library's go/... (nor go.buildid). One pass up
  // to the first '/', '(' or '[', since layer 1 asks this of every frame of a wide dump.
  size_t dot = std::string_view::npos;
  size_t end = 0;
  for (; end < function.size(); ++end) {
    const char c = function[end];
    if (c == '/' || c == '(' || c == '[') break;
    if (c == '.' && dot == std::string_view::npos) dot = end;
  }
  if (dot == std::string_view::npos) dot = function.find('.', end);
  // No package at all: the C functions of Go 1.2-1.4's runtime (timerproc, runfinq, bgsweep,
  // netpollblock, selectgo) and cgo's C code.
  if (dot == std::string_view::npos) return false;
  std::string_view root = end < function.size() && function[end] == '/' ? function.substr(0, end)
                                                                        : function.substr(0, dot);
  return std::find(kStandardRoots.begin(), kStandardRoots.end(), root) == kStandardRoots.end();
}

bool is_user_frame(const Snapshot& snapshot, const Frame& frame) {
  // The readers say whose a snapshot is (an agent's text by its frames), so a Go snapshot's
  // frames, the hot path of wide dumps, are not asked one by one whether they are C++.
  const bool cpp = snapshot.runtime == RuntimeKind::kBoostFiber ||
                   snapshot.runtime == RuntimeKind::kCppCoroutine ||
                   (snapshot.runtime != RuntimeKind::kGo && is_cpp_frame(frame));
  if (!cpp) return is_user_function(frame.function);
  std::string_view function = frame.function;
  if (function.empty() || function.starts_with("0x")) return false;
  if (function.starts_with("std::") || function.starts_with("boost::") ||
      function.starts_with("__") || function.starts_with("leakscan::") || function == "_start") {
    return false;
  }
  // A C function from C or assembly source is a runtime's or library's a C++ service links (a
  // program's own C is rare, and cgo's is not the program's in Go either).
  if (function.find("::") == std::string_view::npos &&
      (frame.file.ends_with(".c") || frame.file.ends_with(".S"))) {
    return false;
  }
  // Without debug information the agent names the object a function is in; with it, the
  // source file. Either under the system's directories is not the program's.
  return !std::any_of(
      kSystemDirectories.begin(), kSystemDirectories.end(),
      [&](std::string_view directory) { return frame.file.starts_with(directory); });
}

bool is_user_frame(const Snapshot& snapshot, FrameId frame) {
  return frame != kNoFrame && is_user_frame(snapshot, snapshot.frame(frame));
}

FrameId first_user_frame(const Snapshot& snapshot, Stack stack) {
  for (FrameId id : stack) {
    if (is_user_frame(snapshot, id)) return id;
  }
  return kNoFrame;
}

}  // namespace leakscan
