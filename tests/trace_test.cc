// `leakscan trace` against live Go programs with real uprobes (the tests run as root, as CI
// does): samples/go/leaktrace built plain, stripped, PIE and with cgo by each Go toolchain the
// tests run on (go1.19, go1.26, go1.27), and samples/go/leakyservice for the analysis. The
// traced numbers are checked against what the programs themselves say.
#include <curl/curl.h>
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "analyzer/analysis/goroutine_record.h"
#include "analyzer/engine/find_leaks.h"
#include "analyzer/model/text_format.h"
#include "analyzer/readers/read_snapshots.h"
#include "bpf/goroutine_table_reader.h"
#include "bpf/lifecycle_tracer.h"
#include "bpf/load_bias.h"
#include "bpf/process_memory.h"
#include "gobinary/go_binary.h"
#include "gobinary/go_runtime_layout.h"
#include "proto/leakscan_report.pb.h"
#include "proto/trace_sites.pb.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"
#include "tests/support/traced_go_program.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::ChildProcess;
using testing::Target;
using testing::Trace;

constexpr auto kEvery = 500ms;  // snapshot interval in most tests
// The routes leakyservice runs under pprof.Do with label http.route (its main.go says which).
const std::set<std::string> kLabelledRoutes{"/api/orders", "/api/audit", "/api/stream"};

// "site:recv" -> the line of the go statement marked with it in leaktrace/main.go (or another
// sample's).
int site_line(const std::string& marker, const std::string& program = "leaktrace") {
  std::ifstream in(std::string(LEAKSCAN_SAMPLES_GO) + "/" + program + "/main.go");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find("// " + marker) != std::string::npos) return number;
  }
  ADD_FAILURE() << marker << " not found in " << program << "/main.go";
  return -1;
}

std::string site_text(const std::string& function, const std::string& marker) {
  return fmt::format("{} at leakscan.dev/samples/leaktrace/main.go:{}", function,
                     site_line(marker));
}

struct SiteNumbers {
  int64_t born = 0, died = 0, live_first = 0, live_last = 0;
};

std::map<std::string, SiteNumbers> sites_by_text(const trace::TraceSites& json) {
  std::map<std::string, SiteNumbers> out;
  for (const auto& value : json.sites()) {
    auto& site = out[value.site()];
    site.born += static_cast<int64_t>(value.born());
    site.died += static_cast<int64_t>(value.died());
    site.live_first += value.live_first();
    site.live_last += value.live_last();
  }
  return out;
}

std::string_view label(const GreenThread& thread, std::string_view key) {
  for (const auto& l : thread.labels) {
    if (l.key == key) return l.str;
  }
  return {};
}

std::string created_by(const Snapshot& snapshot, const GreenThread& thread) {
  if (thread.created_by == kNoFrame) return {};
  return format_site(snapshot.frame(thread.created_by));
}

// What runtime.NumGoroutine() leaves out: the runtime's own goroutines (Go's
// isSystemGoroutine), which are the ones the runtime creates, goroutine 1 aside.
bool is_system_goroutine(const Snapshot& snapshot, const GreenThread& thread) {
  return thread.id != 1 && thread.created_by != kNoFrame &&
         snapshot.frame(thread.created_by).function.starts_with("runtime.");
}

// The instruction bytes at the probe sites as the target sees them and as the file has them.
struct ProbeBytes {
  std::vector<uint8_t> in_memory, in_file;
};
ProbeBytes probe_bytes(const std::string& program, pid_t pid) {
  ProbeBytes bytes;
  auto binary = gobinary::GoBinary::open(fmt::format("/proc/{}/exe", pid));
  EXPECT_TRUE(binary.has_value());
  if (!binary) return bytes;
  auto sites = trace::find_probe_sites(**binary);
  EXPECT_TRUE(sites.has_value()) << (sites ? "" : sites.error().message);
  if (!sites) return bytes;
  trace::ProcessMemory memory(pid);
  auto bias = trace::load_bias(pid, **binary);
  EXPECT_TRUE(bias.has_value());
  if (!bias) return bytes;
  for (uint64_t address : sites->all()) {
    uint8_t byte = 0;
    EXPECT_TRUE(memory.read(address + *bias, std::span(&byte, 1)).has_value());
    bytes.in_memory.push_back(byte);
    bytes.in_file.push_back((*binary)->bytes_at(address, 1)[0]);
  }
  return bytes;
}

// (Go version, build): ("go1.26", "leaktrace-pie").
using Build = std::tuple<std::string, std::string>;
class TraceVariants : public ::testing::TestWithParam<Build> {
 protected:
  static std::string program() { return std::get<0>(GetParam()) + "/" + std::get<1>(GetParam()); }
};

std::string build_name(const ::testing::TestParamInfo<Build>& info) {
  std::string name = std::get<0>(info.param) + "_" + std::get<1>(info.param);
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
      '_');
  return name;
}

// With every event, each goroutine created or exited while attached is counted at its go
// statement, the counts per site equal what the program was asked to create, the snapshots
// agree with the events (live at the end = live at the start + born - died), and the last
// snapshot holds exactly the goroutines runtime.NumGoroutine() counts.
TEST_P(TraceVariants, AccountsForEveryGoroutineCreatedAndExited) {
  Target target(program());
  ASSERT_FALSE(target.base.empty()) << target.process->stderr_text();
  if (std::get<1>(GetParam()) == "leaktrace-cgo") {
    EXPECT_EQ(target.preamble, std::vector<std::string>{"CGO 3"});
  }
  target.create("/leak?n=7");  // before tracing: seen in memory only
  Trace trace(target.pid(), {"--all-events", "--every", "500ms"});
  ASSERT_TRUE(trace.wait_for("snapshot 1:")) << trace.process->stderr_text();
  target.create("/leak?n=20");
  target.create("/lock?n=5");
  target.create("/churn?n=30");
  target.create("/churn?n=11");
  std::this_thread::sleep_for(1s);  // the HTTP connections' goroutines end
  auto counted = target.num_goroutine();
  ASSERT_TRUE(counted.has_value());
  std::this_thread::sleep_for(2 * kEvery);
  auto code = trace.stop();
  ASSERT_EQ(code, 0) << trace.process->stderr_text();

  auto sites = sites_by_text(trace.sites());
  const auto recv = site_text("main.handleLeak", "site:recv");
  const auto lock = site_text("main.handleLock", "site:lock");
  const auto churn = site_text("main.handleChurn", "site:churn");
  EXPECT_EQ(sites[recv].born, 20);
  EXPECT_EQ(sites[recv].died, 0);
  EXPECT_EQ(sites[recv].live_first, 7);
  EXPECT_EQ(sites[recv].live_last, 27);
  EXPECT_EQ(sites[lock].born, 5);
  EXPECT_EQ(sites[lock].live_last, 5);
  EXPECT_EQ(sites[churn].born, 41);
  EXPECT_EQ(sites[churn].died, 41);
  EXPECT_EQ(sites[churn].live_last, 0);
  int64_t first = 0, last = 0, born = 0, died = 0;
  for (const auto& [text, site] : sites) {
    first += site.live_first;
    last += site.live_last;
    born += site.born;
    died += site.died;
  }
  EXPECT_GT(born, 66);  // and the HTTP server's own per-connection goroutines
  EXPECT_EQ(last, first + born - died);

  Snapshot snapshot = trace.last_snapshot();
  int64_t user_goroutines = 0;
  for (const auto& thread : snapshot.threads) {
    user_goroutines +=
        thread.state != ThreadState::kExited && !is_system_goroutine(snapshot, thread);
  }
  EXPECT_EQ(user_goroutines, *counted);
  EXPECT_NE(trace.process->stderr_text().find("probes detached"), std::string::npos);
  // The target keeps running after the detach.
  EXPECT_TRUE(target.num_goroutine().has_value());
  EXPECT_FALSE(target.process->wait(0ms).has_value());
}

// The creator's stack names the go statement, its handler and net/http's serve loop; the
// creator is another goroutine; blocked goroutines carry the runtime's wait reason.
TEST_P(TraceVariants, CreationStacksNameTheGoStatement) {
  Target target(program());
  ASSERT_FALSE(target.base.empty()) << target.process->stderr_text();
  Trace trace(target.pid(), {"--all-events", "--every", "500ms"});
  ASSERT_TRUE(trace.wait_for("snapshot 1:")) << trace.process->stderr_text();
  target.create("/leak?n=3");
  target.create("/lock?n=2");
  ASSERT_TRUE(trace.wait_for("snapshot 3:"));
  ASSERT_EQ(trace.stop(), 0) << trace.process->stderr_text();

  Snapshot snapshot = trace.last_snapshot();
  const auto recv = site_text("main.handleLeak", "site:recv");
  const auto lock = site_text("main.handleLock", "site:lock");
  int seen_recv = 0, seen_lock = 0;
  for (const auto& thread : snapshot.threads) {
    if (thread.state == ThreadState::kExited) continue;  // a dead g (TraceDead)
    std::string site = created_by(snapshot, thread);
    if (site != recv && site != lock) continue;
    SCOPED_TRACE(site);
    std::string_view stack = label(thread, "creation_stack");
    EXPECT_TRUE(stack.starts_with(site)) << stack;
    EXPECT_NE(stack.find("net/http.(*conn).serve at net/http/server.go:"), std::string::npos)
        << stack;
    EXPECT_NE(thread.creator_id, 0u);
    EXPECT_NE(thread.creator_id, thread.id);
    EXPECT_TRUE(thread.created_at.has_value());
    ASSERT_FALSE(thread.stack.empty());
    if (site == recv) {
      ++seen_recv;
      EXPECT_EQ(thread.status, "chan receive");
      EXPECT_EQ(snapshot.frame(thread.stack[0]).function, "runtime.gopark");
      EXPECT_TRUE(std::any_of(thread.stack.begin(), thread.stack.end(), [&](FrameId id) {
        return snapshot.frame(id).function == "main.blockOnReceive";
      }));
    } else {
      ++seen_lock;
      // Go 1.24 named the mutex wait: the reason is read from the binary's own table.
      EXPECT_EQ(thread.status,
                std::get<0>(GetParam()) == "go1.19" ? "semacquire" : "sync.Mutex.Lock");
      // Inlined frames are expanded as Go's own traceback does.
      EXPECT_TRUE(std::any_of(thread.stack.begin(), thread.stack.end(), [&](FrameId id) {
        return snapshot.frame(id).function == "sync.(*Mutex).Lock";
      }));
    }
  }
  EXPECT_EQ(seen_recv, 3);
  EXPECT_EQ(seen_lock, 2);

  // The report shows them: under each leak, its oldest goroutine's creation and creation stack.
  auto files = trace.snapshots();
  ASSERT_GE(files.size(), 2u);
  auto report = testing::run_command(
      {testing::cli_path(), files.front(), files.back(), "--min-wait", "1ms"}, 60s);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  size_t leak = report.out.find("created by main.handleLeak (");
  ASSERT_NE(leak, std::string::npos) << report.out;
  size_t oldest = report.out.find("oldest, goroutine ", leak);
  ASSERT_NE(oldest, std::string::npos) << report.out;
  EXPECT_NE(report.out.find(" by goroutine ", oldest), std::string::npos) << report.out;
  size_t stack = report.out.find("creation stack:\n", oldest);
  ASSERT_NE(stack, std::string::npos) << report.out;
  EXPECT_NE(report.out.find("net/http.(*conn).serve (", stack), std::string::npos) << report.out;
}

// Without probes, a goroutine's creation time is bounded by the snapshots before and after it
// appeared (label created_at_precision "inferred"); with every event it is the moment of the go
// statement ("measured").
TEST_P(TraceVariants, AgesAreExactToWithinTheSnapshotInterval) {
  for (const std::string mode : {"--probe-duty=0", "--all-events"}) {
    SCOPED_TRACE(mode);
    Target target(program());
    ASSERT_FALSE(target.base.empty()) << target.process->stderr_text();
    Trace trace(target.pid(), {mode, "--every", "500ms"});
    ASSERT_TRUE(trace.wait_for("snapshot 2:")) << trace.process->stderr_text();
    auto [leak_start, leak_end] = target.create("/leak?n=4");
    std::this_thread::sleep_for(3 * kEvery);
    auto [lock_start, lock_end] = target.create("/lock?n=3");
    std::this_thread::sleep_for(3 * kEvery);
    ASSERT_EQ(trace.stop(), 0) << trace.process->stderr_text();

    const bool exact = mode == "--all-events";
    // Clock conversions (monotonic to wall) are allowed a millisecond.
    const int64_t slack = 1'000'000;
    const int64_t interval = std::chrono::nanoseconds(kEvery).count() + 50'000'000;
    Snapshot snapshot = trace.last_snapshot();
    // Without probes a goroutine is dated by the last snapshot that did not hold it: one begun
    // before the go statement, or the one before that if its reading outlasted the statement.
    // Bounded by the snapshots actually taken, which a busy machine (a sanitizer build) spaces
    // wider than --every.
    std::vector<int64_t> captures;
    for (const auto& file : trace.snapshots()) {
      auto read = read_snapshots(file);
      if (!read || read->empty() || !read->front().captured_at) continue;
      captures.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                             read->front().captured_at->time_since_epoch())
                             .count());
    }
    std::sort(captures.begin(), captures.end());
    auto earliest_dating = [&](int64_t start) {
      auto after = std::upper_bound(captures.begin(), captures.end(), start);
      size_t begun = static_cast<size_t>(after - captures.begin());  // snapshots begun by start
      if (begun < 2) return start - interval;
      return std::min(start - interval, captures[begun - 2] - slack);
    };
    const auto recv = site_text("main.handleLeak", "site:recv");
    const auto lock = site_text("main.handleLock", "site:lock");
    int checked = 0;
    for (const auto& thread : snapshot.threads) {
      if (thread.state == ThreadState::kExited) continue;  // a dead g (TraceDead)
      std::string site = created_by(snapshot, thread);
      if (site != recv && site != lock) continue;
      auto [start, end] =
          site == recv ? std::pair{leak_start, leak_end} : std::pair{lock_start, lock_end};
      ASSERT_TRUE(thread.created_at.has_value()) << site;
      int64_t at = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       thread.created_at->time_since_epoch())
                       .count();
      EXPECT_GE(at, exact ? start - slack : earliest_dating(start)) << site;
      EXPECT_LE(at, end + slack) << site;
      // Written beside created_at and read back: a time the snapshots dated is a bound.
      EXPECT_EQ(thread.created_at_precision,
                exact ? CreationPrecision::kMeasured : CreationPrecision::kInferred)
          << site;
      ++checked;
    }
    EXPECT_EQ(checked, 7);
  }
}

INSTANTIATE_TEST_SUITE_P(LeakTrace, TraceVariants,
                         ::testing::Combine(::testing::ValuesIn(testing::go_versions()),
                                            ::testing::Values("leaktrace", "leaktrace-stripped",
                                                              "leaktrace-pie", "leaktrace-cgo")),
                         build_name);

std::string version_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

// Waits are true: a goroutine that wakes every 100 ms and blocks again at the same receive
// starts a new wait each time (its park count moves), so its wait stays under a snapshot
// interval however long it lives; goroutines blocked since their creation wait at least as
// long as they have been seen, and no wait is longer than the goroutine's age. Every wait says
// how it is known: a lower bound, or capped.
class TraceWaits : public ::testing::TestWithParam<std::string> {};

TEST_P(TraceWaits, AWaitEndsWhenTheGoroutineWakesAndNeverOutlivesIt) {
  Target target(GetParam() + "/leaktrace");
  ASSERT_FALSE(target.base.empty()) << target.process->stderr_text();
  Trace trace(target.pid(), {"--probe-duty=0", "--every", "300ms"});
  ASSERT_TRUE(trace.wait_for("snapshot 1:")) << trace.process->stderr_text();
  target.create("/leak?n=3");
  target.create("/pulse?n=3");
  ASSERT_TRUE(trace.wait_for("snapshot 10:")) << trace.process->stderr_text();
  ASSERT_EQ(trace.stop(), 0) << trace.process->stderr_text();

  Snapshot snapshot = trace.last_snapshot();
  ASSERT_TRUE(snapshot.captured_at.has_value());
  const auto recv = site_text("main.handleLeak", "site:recv");
  const auto pulse = site_text("main.handlePulse", "site:pulse");
  int pulses = 0, leaks = 0;
  for (const auto& thread : snapshot.threads) {
    if (thread.state == ThreadState::kExited) continue;  // a dead g (TraceDead)
    std::string site = created_by(snapshot, thread);
    SCOPED_TRACE(fmt::format("goroutine {} created at {}", thread.id, site));
    if (thread.wait) {
      EXPECT_NE(thread.wait_precision, WaitPrecision::kUnknown);
      EXPECT_NE(thread.wait_precision, WaitPrecision::kExact);  // the runtime keeps no park time
      if (thread.created_at) {
        EXPECT_LE(*thread.wait, *snapshot.captured_at - *thread.created_at);
      }
    }
    if (site == pulse) {
      ++pulses;
      EXPECT_EQ(thread.status, "chan receive");
      ASSERT_TRUE(thread.wait.has_value());
      EXPECT_LT(*thread.wait, 400ms);  // one interval, and a little for the snapshot itself
    } else if (site == recv) {
      ++leaks;
      ASSERT_TRUE(thread.wait.has_value());
      EXPECT_GT(*thread.wait, 1500ms);  // seen blocked in the same wait since snapshot 2 or 3
    }
  }
  EXPECT_EQ(pulses, 3);
  EXPECT_EQ(leaks, 3);
}

INSTANTIATE_TEST_SUITE_P(EveryGo, TraceWaits, ::testing::ValuesIn(testing::go_versions()),
                         version_name);

// The tracer keeps a goroutine's frames from one snapshot to the next while its g says it has
// not run (same park count, saved registers and stack): goroutines that were parked in one
// place for several snapshots and then moved on show where they block now.
class TraceStacks : public ::testing::TestWithParam<std::string> {};

TEST_P(TraceStacks, AGoroutineThatRanIsReadAgain) {
  Target target(GetParam() + "/leaktrace");
  ASSERT_FALSE(target.base.empty()) << target.process->stderr_text();
  Trace trace(target.pid(), {"--probe-duty=0", "--every", "200ms"});
  ASSERT_TRUE(trace.wait_for("snapshot 1:")) << trace.process->stderr_text();
  target.create("/move?n=4");
  ASSERT_TRUE(trace.wait_for("snapshot 5:")) << trace.process->stderr_text();
  Snapshot parked = trace.last_snapshot();
  target.create("/moveon");
  ASSERT_TRUE(trace.wait_for("snapshot 9:")) << trace.process->stderr_text();
  ASSERT_EQ(trace.stop(), 0) << trace.process->stderr_text();
  Snapshot moved = trace.last_snapshot();

  // The innermost function of the program's own for each goroutine the movers' site made.
  const auto site = site_text("main.handleMove", "site:move");
  auto blocked_in = [&](const Snapshot& snapshot) {
    std::map<std::string, int> functions;
    for (const auto& thread : snapshot.threads) {
      if (thread.state == ThreadState::kExited) continue;  // a dead g (TraceDead)
      if (created_by(snapshot, thread) != site) continue;
      std::string innermost = "(none)";
      for (FrameId id : thread.stack) {
        if (snapshot.frame(id).function.starts_with("main.")) {
          innermost = snapshot.frame(id).function;
          break;
        }
      }
      ++functions[innermost];
    }
    return functions;
  };
  EXPECT_EQ(blocked_in(parked), (std::map<std::string, int>{{"main.moveLater", 4}}));
  EXPECT_EQ(blocked_in(moved), (std::map<std::string, int>{{"main.blockOnReceive", 4}}));
}

INSTANTIATE_TEST_SUITE_P(EveryGo, TraceStacks, ::testing::ValuesIn(testing::go_versions()),
                         version_name);

// Go 1.26's leak detection (GOEXPERIMENT=goroutineleakprofile) moves the goroutines the GC
// proves leaked to _Gleaked: read from memory, they are named as Go's traceback names them.
class TraceLeaked : public ::testing::TestWithParam<std::string> {};

TEST_P(TraceLeaked, GoroutinesTheGcProvedLeakedSaySo) {
  Target target(GetParam() + "/zoo-leakprofile");
  ASSERT_FALSE(target.base.empty()) << target.process->stderr_text();
  // The zoo's own expectations: its receivers on a nil channel and its empty select.
  int64_t unwakeable = 0;
  for (const auto& line : target.preamble) {
    std::istringstream in(line);
    std::string tag, function, state;
    int64_t count = 0;
    if (in >> tag >> function >> count >> state && tag == "EXPECT" &&
        (state.ends_with("(nil_chan)") || state == "select_(no_cases)")) {
      unwakeable += count;
    }
  }
  ASSERT_GT(unwakeable, 0);
  auto leaks = testing::http_get(target.base + "/debug/pprof/goroutineleak?debug=1", 30s);
  ASSERT_TRUE(leaks.has_value());
  ASSERT_TRUE(leaks->starts_with(fmt::format("goroutineleak profile: total {}", unwakeable)))
      << *leaks;
  Trace trace(target.pid(), {"--probe-duty=0", "--every", "500ms"});
  ASSERT_TRUE(trace.wait_for("snapshot 1:")) << trace.process->stderr_text();
  ASSERT_EQ(trace.stop(), 0) << trace.process->stderr_text();
  Snapshot snapshot = trace.last_snapshot();
  std::map<std::string, int64_t> leaked;
  for (const auto& thread : snapshot.threads) {
    if (thread.proven_leaked) ++leaked[std::string(thread.status)];
  }
  int64_t total = 0;
  for (const auto& [status, count] : leaked) {
    EXPECT_TRUE(status == "chan receive (nil chan)" || status == "select (no cases)") << status;
    total += count;
  }
  EXPECT_EQ(total, unwakeable);
}

INSTANTIATE_TEST_SUITE_P(Go126, TraceLeaked, ::testing::Values("go1.26", "go1.27"), version_name);

// A PIE build of the machine's Go: the probe sites are found in memory at the load bias.
const std::string kDetachTarget = "go1.26/leaktrace-pie";

// While attached, the target's instructions at the probe sites are breakpoints; after
// SIGINT or SIGTERM to leakscan they are the file's bytes again and the target keeps
// serving. When the target exits first, leakscan notices, detaches and ends by itself.
// The ids of the BPF programs a trace loaded, from its "BPF programs loaded, ids 12, 13" line.
std::vector<std::string> loaded_program_ids(const std::string& stderr_text) {
  static const std::regex kLine(R"(BPF programs loaded, ids ([0-9, ]+))");
  std::vector<std::string> ids;
  for (std::sregex_iterator it(stderr_text.begin(), stderr_text.end(), kLine), end; it != end;
       ++it) {
    std::istringstream in((*it)[1].str());
    for (std::string id; std::getline(in >> std::ws, id, ',');) ids.push_back(id);
  }
  return ids;
}

// After a spike of goroutines that all ended, allgs keeps every g and the free lists keep their
// stacks: the tracer reads the dead g's as layer 2's dead but unfreed (state dead), at the
// spike's go statement, with the stack bytes they hold, never as a leak; a GC frees the stacks
// and not the g's (issue 25). samples/go/spike says how many it made and its StackInuse.
// (Go version, "spike" or its PIE, stripped (no DWARF: the g size is its version's table row) or
// cgo build, ended by runtime.Goexit)
using DeadCase = std::tuple<std::string, std::string, bool>;
class TraceDead : public ::testing::TestWithParam<DeadCase> {};

struct DeadSite {
  int64_t count = 0, stacks_held = 0, stack_bytes = 0, g_struct_bytes = 0, alive_at_site = 0;
  int64_t goroutines = 0;  // the report's count of the process's goroutines
  std::string explanation;
  report::DeadButUnfreed finding;
};

// The spike's dead-but-unfreed finding, and the report's leaks, from one traced snapshot.
std::optional<DeadSite> spike_finding(const std::string& file, int line, int64_t& leaks) {
  auto read = read_snapshots(file);
  EXPECT_TRUE(read.has_value()) << (read ? "" : read.error().message);
  if (!read) return std::nullopt;
  auto analysis = analyze(*read, AnalysisOptions{});
  EXPECT_TRUE(analysis.has_value()) << (analysis ? "" : analysis.error().message);
  if (!analysis) return std::nullopt;
  leaks = analysis->report.summary().leaks();
  for (const auto& finding : analysis->report.dead_but_unfreed()) {
    if (finding.kind() == "exited_not_released" && finding.runtime() == "go" &&
        finding.created_by().function() == "main.spike" && finding.created_by().line() == line) {
      return DeadSite{finding.count(),         finding.stacks_held(),
                      finding.stack_bytes(),   finding.g_struct_bytes(),
                      finding.alive_at_site(), analysis->report.summary().goroutines(),
                      finding.explanation(),   finding};
    }
  }
  ADD_FAILURE() << "no dead-but-unfreed finding at spike/main.go:" << line << " in " << file;
  return std::nullopt;
}

TEST_P(TraceDead, ASpikesDeadGoroutinesAreHeldNotLeakedUntilAGcFreesTheirStacks) {
  const auto& [version, program, goexit] = GetParam();
  constexpr int64_t kSpike = 100'000;
  std::vector<std::string> args{"-n", std::to_string(kSpike)};
  if (goexit) args.emplace_back("-goexit");
  Target target(version + "/" + program, args);
  ASSERT_EQ(target.preamble.size(), 1u) << target.process->stderr_text();
  int64_t made = 0, live = 0, stack_inuse = 0;
  ASSERT_EQ(std::sscanf(target.preamble[0].c_str(), "SPIKE %ld GOROUTINES %ld STACKINUSE %ld",
                        &made, &live, &stack_inuse),
            3)
      << target.preamble[0];
  ASSERT_EQ(made, kSpike);

  Trace trace(target.pid(), {"--every", "1s"});
  ASSERT_TRUE(trace.wait_for("snapshot 1:")) << trace.process->stderr_text();
  target.process->signal(SIGUSR2);  // runtime.GC()
  auto collected = target.process->read_line(30s);
  ASSERT_TRUE(collected.has_value());
  int64_t stack_inuse_after_gc = 0;
  ASSERT_EQ(std::sscanf(collected->c_str(), "GC STACKINUSE %ld", &stack_inuse_after_gc), 1)
      << *collected;
  // The snapshot leakscan takes on stopping comes after the GC.
  ASSERT_EQ(trace.stop(), 0) << trace.process->stderr_text();
  auto files = trace.snapshots();
  ASSERT_GE(files.size(), 2u);

  const int line = site_line("site:spike", "spike");
  int64_t leaks = -1;
  auto before = spike_finding(files.front(), line, leaks);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(leaks, 0);
  // allgs keeps them all; a goroutine made since the spike (the runtime's) may reuse a few.
  EXPECT_LE(before->count, kSpike);
  EXPECT_GE(before->count, kSpike - 100);
  // Each holds its starting stack (2 KB; Go frees a grown one at exit) until a GC: what
  // StackInuse counts, with the live goroutines' stacks and the free stack spans beside it.
  EXPECT_GE(before->stacks_held, kSpike / 2);
  EXPECT_GT(before->stack_bytes, 0);
  EXPECT_LE(before->stack_bytes, stack_inuse);
  EXPECT_GE(before->stack_bytes, stack_inuse / 2);
  EXPECT_NE(before->explanation.find("allgs only grows"), std::string::npos);
  // The dead are none of the process's goroutines: the report counts what NumGoroutine does,
  // with the runtime's own beside them.
  EXPECT_GE(before->goroutines, live);
  EXPECT_LE(before->goroutines, live + 100);
  // Every g is held for good, sizeof(runtime.g) each, as the binary's own DWARF (or, stripped,
  // its version's table) gives it; none of the spike's goroutines is alive.
  auto binary = gobinary::GoBinary::open(testing::go_bin(version, program));
  ASSERT_TRUE(binary.has_value()) << binary.error().message;
  auto layout = gobinary::read_runtime_layout(**binary);
  ASSERT_TRUE(layout.has_value()) << layout.error().message;
  ASSERT_GT(layout->g_size, 0u);
  EXPECT_EQ(before->g_struct_bytes, before->count * layout->g_size);
  EXPECT_EQ(before->alive_at_site, 0);
  // Which free list each waits on, where the binary says where they are: all but a P's own (64
  // at most each, stacks and all) overflowed to the global list, whose stacks a GC frees.
  const report::DeadButUnfreed& lists = before->finding;
  const int64_t processor_lists = 64 * static_cast<int64_t>(std::thread::hardware_concurrency());
  const bool symtab = (*binary)->has_symtab();
  EXPECT_EQ(lists.free_lists_read(), symtab);
  if (symtab) {
    EXPECT_EQ(
        lists.on_global_free_list() + lists.on_processor_free_lists() + lists.on_no_free_list(),
        before->count);
    EXPECT_LE(lists.on_processor_free_lists(), processor_lists);
    EXPECT_LE(lists.on_no_free_list(), 100);
    EXPECT_GE(lists.on_global_free_list(), before->count - processor_lists - 100);
    EXPECT_LE(lists.global_stack_bytes(), before->stack_bytes);
    EXPECT_GE(lists.global_stack_bytes(), before->stack_bytes / 2);
  }

  auto after = spike_finding(files.back(), line, leaks);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(leaks, 0);
  // The g's stay (but for the GC's own workers, which may reuse a few), their stacks do not:
  // only the P-local free lists (at most 64 each) keep theirs.
  EXPECT_LE(after->count, before->count);
  EXPECT_GE(after->count, before->count - 100);
  EXPECT_LT(after->stack_bytes, before->stack_bytes / 4);
  EXPECT_EQ(after->g_struct_bytes, after->count * layout->g_size);
  EXPECT_LE(after->stack_bytes, std::max<int64_t>(stack_inuse_after_gc, 1));
  // The GC freed the global list's stacks and left the g's on it; a P's keep theirs.
  if (symtab) {
    EXPECT_TRUE(after->finding.free_lists_read());
    EXPECT_GE(after->finding.on_global_free_list(), lists.on_global_free_list() - 100);
    EXPECT_LE(after->finding.global_stack_bytes(), lists.global_stack_bytes() / 100);
  }
  fmt::print(stderr,
             "{} {} {}: {} made, dead {} -> {}; stack bytes {} (StackInuse {}) -> {} (StackInuse "
             "{})\n",
             version, program, goexit ? "Goexit" : "return", kSpike, before->count, after->count,
             before->stack_bytes, stack_inuse, after->stack_bytes, stack_inuse_after_gc);

  // The text report says it in words, apart from the leaks.
  auto text = testing::run_command({testing::cli_path(), files.front()}, 60s);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(
      text.out.find(fmt::format("{} dead goroutines retained, ", with_thousands(before->count))),
      std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find(fmt::format("created by main.spike (spike/main.go:{}), 0 of its "
                                      "goroutines alive now",
                                      line)),
            std::string::npos)
      << text.out;
  // allgs: every g, alive or dead, the spike's and the runtime's own.
  std::smatch allgs;
  ASSERT_TRUE(std::regex_search(text.out, allgs, std::regex("allgs holds ([0-9,]+) g's, ")))
      << text.out;
  std::string held_gs = allgs[1];
  std::erase(held_gs, ',');
  EXPECT_GE(std::stoll(held_gs), before->goroutines + before->count);
  EXPECT_LE(std::stoll(held_gs), before->goroutines + before->count + 100);
  EXPECT_EQ(text.out.find("LEAK"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(" dead but unfreed\n"), std::string::npos) << text.out;
  if (symtab) {
    EXPECT_NE(text.out.find(fmt::format("  free lists: {} on the global one (the next GC frees "
                                        "their ",
                                        with_thousands(lists.on_global_free_list()))),
              std::string::npos)
        << text.out;
  }
  EXPECT_NE(trace.process->stderr_text().find(" dead g's -> "), std::string::npos)
      << trace.process->stderr_text();
}

std::string dead_case_name(const ::testing::TestParamInfo<DeadCase>& info) {
  std::string name = std::get<0>(info.param) + "_" + std::get<1>(info.param) +
                     (std::get<2>(info.param) ? "_goexit" : "_return");
  std::erase(name, '.');
  std::erase(name, '-');
  return name;
}

// A spike the tracer saw alive: the finding names the snapshot that caught it at its peak, and
// none of its goroutines alive now.
class TraceSpikeSeen : public ::testing::TestWithParam<std::string> {};

TEST_P(TraceSpikeSeen, ThePeakIsTheSnapshotThatCaughtItAlive) {
  constexpr int64_t kSpike = 20'000;
  Target target(GetParam() + "/spike", {"-n", std::to_string(kSpike), "-hold"});
  ASSERT_EQ(target.preamble, std::vector<std::string>{"HOLDING 20000"})
      << target.process->stderr_text();
  Trace trace(target.pid(), {"--every", "1s"});
  ASSERT_TRUE(trace.wait_for("snapshot 2:")) << trace.process->stderr_text();
  target.process->signal(SIGUSR1);
  auto ended = target.process->read_line(30s);
  ASSERT_TRUE(ended.has_value() && ended->starts_with("SPIKE ")) << ended.value_or("");
  ASSERT_TRUE(trace.wait_for("snapshot 4:")) << trace.process->stderr_text();
  ASSERT_EQ(trace.stop(), 0) << trace.process->stderr_text();

  std::vector<Snapshot> snapshots;
  for (const auto& file : trace.snapshots()) {
    auto read = read_snapshots(file);
    ASSERT_TRUE(read.has_value()) << read.error().message;
    for (auto& snapshot : *read) snapshots.push_back(std::move(snapshot));
  }
  auto analysis = analyze(snapshots, AnalysisOptions{});
  ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
  EXPECT_EQ(analysis->report.summary().leaks(), 0);
  const int line = site_line("site:spike", "spike");
  bool found = false;
  for (const auto& finding : analysis->report.dead_but_unfreed()) {
    if (finding.created_by().function() != "main.spike" || finding.created_by().line() != line) {
      continue;
    }
    found = true;
    EXPECT_GE(finding.count(), kSpike - 100);
    EXPECT_EQ(finding.alive_at_site(), 0);
    EXPECT_EQ(finding.peak_alive(), kSpike);
    // Snapshots 1 and 2 (indexes 0, 1) were taken while they were held.
    EXPECT_EQ(finding.peak_snapshot(), 0u);
  }
  EXPECT_TRUE(found) << "no dead-but-unfreed finding at spike/main.go:" << line;
}

INSTANTIATE_TEST_SUITE_P(EveryGo, TraceSpikeSeen, ::testing::ValuesIn(testing::go_versions()),
                         version_name);

// Every build kind the tracer supports ends its goroutines by returning; the plain build ends
// them by runtime.Goexit too.
std::vector<DeadCase> dead_cases() {
  std::vector<DeadCase> cases;
  for (const auto& version : testing::go_versions()) {
    for (const char* build : {"spike", "spike-pie", "spike-stripped", "spike-cgo"}) {
      cases.emplace_back(version, build, false);
    }
    cases.emplace_back(version, "spike", true);
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EveryGo, TraceDead, ::testing::ValuesIn(dead_cases()), dead_case_name);

TEST(TraceDetach, NoUprobeLeftBehindAfterSigintSigtermOrTargetExit) {
  std::vector<std::string> program_ids;
  for (int signo : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(strsignal(signo));
    Target target(kDetachTarget);
    ASSERT_FALSE(target.base.empty());
    auto before = probe_bytes(kDetachTarget, target.pid());
    ASSERT_FALSE(before.in_file.empty());
    EXPECT_EQ(before.in_memory, before.in_file);
    Trace trace(target.pid(), {"--all-events", "--every", "500ms"});
    ASSERT_TRUE(trace.wait_for("snapshot 1:")) << trace.process->stderr_text();
    auto during = probe_bytes(kDetachTarget, target.pid());
    EXPECT_EQ(during.in_memory, std::vector<uint8_t>(during.in_file.size(), 0xcc));
    target.create("/churn?n=50");
    EXPECT_EQ(trace.stop(signo), 0) << trace.process->stderr_text();
    std::ranges::copy(loaded_program_ids(trace.process->stderr_text()),
                      std::back_inserter(program_ids));
    auto after = probe_bytes(kDetachTarget, target.pid());
    EXPECT_EQ(after.in_memory, after.in_file);
    target.create("/churn?n=50");
    EXPECT_TRUE(target.num_goroutine().has_value());
  }
  // The duty cycle attaches and detaches on its own: after the run, nothing is left either.
  {
    Target target(kDetachTarget);
    Trace trace(target.pid(),
                {"--probe-duty", "50%", "--every", "200ms", "--duration", "3s", "--retain", "2"});
    auto code = trace.process->wait(60s);
    EXPECT_EQ(code, 0) << trace.process->stderr_text();
    EXPECT_NE(trace.process->stderr_text().find("snapshot 10:"), std::string::npos);
    EXPECT_EQ(trace.snapshots().size(), 2u);  // --retain 2
    std::ranges::copy(loaded_program_ids(trace.process->stderr_text()),
                      std::back_inserter(program_ids));
    auto after = probe_bytes(kDetachTarget, target.pid());
    EXPECT_EQ(after.in_memory, after.in_file);
  }
  {
    Target target(kDetachTarget);
    Trace trace(target.pid(), {"--all-events", "--every", "500ms"});
    ASSERT_TRUE(trace.wait_for("snapshot 1:")) << trace.process->stderr_text();
    target.process->signal(SIGKILL);
    EXPECT_TRUE(target.process->wait(10s).has_value());
    auto code = trace.process->wait(30s);
    EXPECT_EQ(code, 0) << trace.process->stderr_text();
    EXPECT_NE(trace.process->stderr_text().find("ended (target exited)"), std::string::npos)
        << trace.process->stderr_text();
    std::ranges::copy(loaded_program_ids(trace.process->stderr_text()),
                      std::back_inserter(program_ids));
  }
  // Two programs a run, each unloaded: the kernel no longer knows its id.
  EXPECT_EQ(program_ids.size(), 8u);
  for (const auto& id : program_ids) {
    auto shown = testing::run_command({"bpftool", "prog", "show", "id", id}, 30s);
    EXPECT_NE(shown.exit_code, 0) << "BPF program " << id << " is still loaded:\n" << shown.out;
  }
}

// The tracer's snapshots alone, taken in the default mode (10% probe duty) while
// leakyservice is under load, are enough for the analysis to find all eight seeded leaks and
// call none of the five benign populations a leak.
class TraceAnalysis : public ::testing::TestWithParam<std::string> {};

TEST_P(TraceAnalysis, AnalyzerFindsTheSeededLeaksFromTracedSnapshots) {
  Target target(GetParam() + "/leakyservice",
                {"-work", "20ms", "-handler-timeout", "5ms", "-poll", "10m"});
  ASSERT_FALSE(target.base.empty());
  struct Population {
    bool seeded;
    std::string top, creator, route;
  };
  std::vector<Population> populations;
  for (const auto& line : target.preamble) {
    std::istringstream in(line);
    std::string tag, kind, top, creator, route, state;
    if (in >> tag >> kind >> top >> creator >> route >> state) {
      populations.push_back({tag == "SEEDED", top, creator, route});
    }
  }
  ASSERT_EQ(populations.size(), 13u);
  Trace trace(target.pid(), {"--every", "2s"});
  for (int round = 1; round <= 3; ++round) {
    ASSERT_TRUE(trace.wait_for(fmt::format("snapshot {}:", round))) << trace.process->stderr_text();
    for (const auto& p : populations) {
      if (!p.seeded) continue;
      for (int k = 0; k < 5; ++k)
        EXPECT_GE(testing::http_status(target.base + p.route), 200) << p.route;
    }
  }
  ASSERT_TRUE(trace.wait_for("snapshot 4:")) << trace.process->stderr_text();
  ASSERT_EQ(trace.stop(), 0) << trace.process->stderr_text();

  std::string config = testing::temp_dir() + "/leakscan.toml";
  testing::write_file(config,
                      "[thresholds]\ndefault = \"1s\"\nhttp_handler = \"1s\"\nlabel = \"1s\"\n");
  // Snapshots 1 to 4, one before each round and one after the last; the one leakscan takes on
  // stopping would repeat the fourth.
  auto files = trace.snapshots();
  ASSERT_GE(files.size(), 4u);
  files.resize(4);
  std::vector<Snapshot> snapshots;
  for (const auto& file : files) {
    auto read = read_snapshots(file);
    ASSERT_TRUE(read.has_value()) << read.error().message;
    ASSERT_TRUE(read->front().captured_at.has_value());
    snapshots.push_back(std::move(read->front()));
  }
  AnalysisOptions options;
  auto rules = load_config(options.rules, config);
  ASSERT_TRUE(rules.has_value());
  options.rules = std::move(*rules);
  auto analysis = analyze(snapshots, options);
  ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
  const auto& report = analysis->report;
  for (const auto& p : populations) {
    SCOPED_TRACE(p.top + " created by " + p.creator);
    int leaks = 0;
    for (const auto& cluster : report.clusters()) {
      if (cluster.blocked_at().function() != p.top ||
          cluster.created_by().function() != p.creator) {
        continue;
      }
      leaks += cluster.verdict() == report::LEAK;
      // pprof.Do labels are read from the goroutines' memory (g.labels) and anchor the leak.
      bool labelled =
          std::any_of(cluster.anchors().begin(), cluster.anchors().end(), [&](const auto& a) {
            return a.kind() == "label" && a.name() == "http.route=" + p.route;
          });
      EXPECT_EQ(labelled, kLabelledRoutes.contains(p.route)) << p.route;
    }
    EXPECT_EQ(leaks, p.seeded ? 1 : 0);
  }
}

// pprof labels are a map before Go 1.24 and a sorted slice since: each version's are read.
INSTANTIATE_TEST_SUITE_P(EveryGo, TraceAnalysis, ::testing::ValuesIn(testing::go_versions()),
                         version_name);

// The address the program leakscan started prints: on leakscan's stderr with --report, whose
// stdout holds only the reports.
std::string listening_address(const ChildProcess& trace) {
  auto deadline = Clock::now() + 60s;
  while (Clock::now() < deadline) {
    std::string err = trace.stderr_text();
    if (size_t at = err.find("LISTENING "); at != std::string::npos) {
      size_t end = err.find('\n', at);
      if (end != std::string::npos) return "http://" + err.substr(at + 10, end - at - 10);
    }
    std::this_thread::sleep_for(20ms);
  }
  return {};
}

// `leakscan trace --report -- PROGRAM` starts the program, runs the analysis on each snapshot
// as it is written, and ends the program with the trace.
TEST(TraceReport, ReportRunsTheAnalyzerOnLiveSnapshots) {
  std::string out = testing::temp_dir() + "/trace";
  ChildProcess trace({testing::cli_path(), "trace", "--report", "--every", "1s", "--duration", "5s",
                      "--min-wait", "1s", "--out", out, "--",
                      testing::go_bin("go1.26", "leaktrace")});
  std::string base = listening_address(trace);
  ASSERT_FALSE(base.empty()) << trace.stderr_text();
  std::string output;
  for (int round = 0; round < 3; ++round) {
    EXPECT_TRUE(testing::http_get(base + "/leak?n=10", 10s));
    std::this_thread::sleep_for(1s);
  }
  for (int i = 0; i < 100000; ++i) {  // until leakscan and the program it started end
    auto line = trace.read_line(30s);
    if (!line) break;
    output += *line + "\n";
  }
  EXPECT_EQ(trace.wait(30s), 0) << trace.stderr_text();
  EXPECT_NE(output.find("LEAK"), std::string::npos) << output;
  EXPECT_NE(output.find("main.blockOnReceive"), std::string::npos) << output;
  EXPECT_NE(output.find("main.handleLeak at leakscan.dev/samples/leaktrace/main.go"),
            std::string::npos)
      << output;
}

// With --format json each report is one compact JSON document on its own line (NDJSON), so a
// consumer reads the stream line by line: every line of stdout, the program's own output (its
// LISTENING line) having gone to stderr.
TEST(TraceReport, JsonReportsAreOneDocumentPerLine) {
  std::string out = testing::temp_dir() + "/trace";
  ChildProcess trace({testing::cli_path(), "trace", "--report", "--format", "json", "--every", "1s",
                      "--duration", "4s", "--min-wait", "1s", "--out", out, "--",
                      testing::go_bin("go1.26", "leaktrace")});
  std::string base = listening_address(trace);
  ASSERT_FALSE(base.empty()) << trace.stderr_text();
  EXPECT_TRUE(testing::http_get(base + "/leak?n=10", 10s));
  int documents = 0, clustered = 0;
  for (int i = 0; i < 100000; ++i) {  // until leakscan and the program it started end
    auto line = trace.read_line(30s);
    if (!line) break;
    ASSERT_TRUE(line->starts_with("{") && line->ends_with("}")) << *line;
    report::Report report;
    auto parsed = google::protobuf::util::JsonStringToMessage(*line, &report);
    ASSERT_TRUE(parsed.ok()) << parsed.ToString() << "\n" << *line;
    ++documents;
    clustered += line->find("main.blockOnReceive") != std::string::npos;
  }
  EXPECT_EQ(trace.wait(30s), 0) << trace.stderr_text();
  EXPECT_GE(documents, 4);  // one per snapshot: every second for 4 s, and one on stopping
  EXPECT_GE(clustered, 1);  // the ten leaked receivers, once the snapshots hold them
}

// "(N born, M died, ...)" of the summary's header.
std::optional<std::pair<int64_t, int64_t>> header_counts(const std::string& summary) {
  std::smatch match;
  static const std::regex header(
      R"(creation sites, .* \((\d+) born, (\d+) died, \d+ events dropped\):)");
  if (!std::regex_search(summary, match, header)) return std::nullopt;
  return std::pair{std::stoll(match[1]), std::stoll(match[2])};
}

// In the default mode exits send no event but are counted per site: the summary's header
// gives the same totals as its site lines and sites.json (it once said "0 exit events" above
// sites with deaths).
TEST(TraceSummary, HeaderCountsTheExitsItsSitesCount) {
  Target target("go1.26/leaktrace");
  ASSERT_FALSE(target.base.empty()) << target.process->stderr_text();
  Trace trace(target.pid(), {"--probe-duty", "100%", "--every", "500ms"});
  ASSERT_TRUE(trace.wait_for("snapshot 1:")) << trace.process->stderr_text();
  target.create("/churn?n=30");
  target.create("/leak?n=3");
  std::this_thread::sleep_for(2 * kEvery);
  ASSERT_EQ(trace.stop(), 0) << trace.process->stderr_text();
  std::string summary;
  while (auto line = trace.process->read_line(5s)) summary += *line + "\n";
  auto counts = header_counts(summary);
  ASSERT_TRUE(counts.has_value()) << summary;
  auto json = trace.sites();
  int64_t born = 0, died = 0;
  for (const auto& [text, site] : sites_by_text(json)) {
    born += site.born;
    died += site.died;
  }
  EXPECT_GE(died, 30) << summary;
  EXPECT_EQ(counts->first, born) << summary;
  EXPECT_EQ(counts->second, died) << summary;
  EXPECT_EQ(json.born(), static_cast<uint64_t>(born));
  EXPECT_EQ(json.died(), static_cast<uint64_t>(died));
}

// leaktrace, traced in the default mode from just after a duty period opened (the tracer's
// periods are CLOCK_MONOTONIC's, steady_clock's, 10 s), until the probes are attached.
class TraceWindowBudget : public ::testing::Test {
 protected:
  Trace& start(const std::string& duty, const std::string& duration) {
    EXPECT_FALSE(target_.base.empty()) << target_.process->stderr_text();
    for (;;) {
      auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
              .count() %
          10000;
      if (ms >= 50 && ms < 300) break;
      std::this_thread::sleep_for(20ms);
    }
    trace_ = std::make_unique<Trace>(
        target_.pid(),
        std::vector<std::string>{"--probe-duty", duty, "--every", "200ms", "--duration", duration});
    EXPECT_TRUE(trace_->wait_for("attached")) << trace_->process->stderr_text();
    return *trace_;
  }
  // What the probes counted at each site, once the trace has ended by itself.
  std::map<std::string, SiteNumbers> counted() const {
    EXPECT_EQ(trace_->process->wait(60s), 0) << trace_->process->stderr_text();
    return sites_by_text(trace_->sites());
  }

  Target target_{"go1.26/leaktrace"};
  std::unique_ptr<Trace> trace_;
};

// A default-mode window records at most its budget of 1,000 creations, however fast the target
// makes goroutines (the budget once counted events as they were polled, and a window of 1,000
// recorded 1,058; 15,753 on a busier target). Run inside one 10 s duty period, the probes on
// all of it.
TEST_F(TraceWindowBudget, AWindowRecordsAtMostItsBudget) {
  start("100%", "6s");
  for (int round = 0; round < 4; ++round) target_.create("/churn?n=2000");
  int64_t born = 0, died = 0;
  for (const auto& [text, site] : counted()) {
    born += site.born;
    died += site.died;
  }
  EXPECT_LE(born, 1000);
  EXPECT_GE(born, 900);  // concurrent creations may each see the other's count, never more
  EXPECT_LE(died, born + 20) << "deaths past the budget are not recorded either";
}

// A window ended by the duty cycle counts no death after its last birth: the probes are told
// the window is over before their links go, one at a time. (The exit probe, detached last,
// once counted 900 deaths at a site of 780 births.)
TEST_F(TraceWindowBudget, ADutyWindowEndsForBirthsAndDeathsAlike) {
  start("10%", "3s");
  // About 1,000 short-lived goroutines a second, through the window's end at 1 s into the period
  // (fewer than the window's budget while it is open).
  for (auto end = Clock::now() + 1500ms; Clock::now() < end;) {
    target_.create("/churn?n=20");
    std::this_thread::sleep_for(20ms);
  }
  auto sites = counted();
  const auto churn = site_text("main.handleChurn", "site:churn");
  EXPECT_GT(sites[churn].born, 0);
  EXPECT_LE(sites[churn].died, sites[churn].born);
}

// Refusals name what was expected, with exit code 2.
TEST(TraceErrors, RefusesWithOneClearLine) {
  ChildProcess not_go({"sleep", "60"});
  auto result = testing::run_command(
      {testing::cli_path(), "trace", "--pid", std::to_string(not_go.pid()), "--duration", "1s"},
      60s);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, fmt::format("leakscan trace: pid {}: /proc/{}/exe: not a Go binary (no "
                                    ".gopclntab)\n",
                                    not_go.pid(), not_go.pid()));

  Target target("go1.19/leaktrace");
  ASSERT_FALSE(target.base.empty());
  result = testing::run_command(
      {"setpriv", "--bounding-set=-bpf,-perfmon,-sys_admin", "--", testing::cli_path(), "trace",
       "--pid", std::to_string(target.pid()), "--duration", "1s"},
      60s);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "leakscan trace: needs CAP_BPF and CAP_PERFMON (have: CAP_SYS_PTRACE)\n");

  result = testing::run_command({testing::cli_path(), "trace", "--pid", "999999999"}, 60s);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "leakscan trace: pid 999999999: no such process\n");

  result = testing::run_command(
      {testing::cli_path(), "trace", "--pid", std::to_string(target.pid()), "--probe-duty", "150%"},
      60s);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--probe-duty 150%: expected a share"), std::string::npos);
}

// A target that execs keeps its pid but not its program: the trace ends naming what happened,
// where it once read the new program's memory at the old one's addresses ("not a slice of
// goroutines").
TEST(TraceErrors, ATargetThatExecsEndsTheTraceByName) {
  for (const std::string program : {"go1.26/leaktrace", "go1.26/leaktrace-pie"}) {
    Target target(program);
    ASSERT_FALSE(target.base.empty()) << program;
    testing::CommandResult result;
    std::thread trace([&] {
      result = testing::run_command(
          {testing::cli_path(), "trace", "--pid", std::to_string(target.pid()), "--every", "200ms",
           "--duration", "30s", "--out", testing::temp_dir() + "/exec"},
          90s);
    });
    std::this_thread::sleep_for(2s);
    auto answer = testing::http_get(target.base + "/exec", std::chrono::seconds(10));
    trace.join();
    EXPECT_TRUE(answer.has_value()) << program;
    EXPECT_EQ(result.exit_code, 2) << program << result.err;
    EXPECT_NE(result.err.find(
                  fmt::format("leakscan trace: pid {}: it ran a new program (", target.pid())),
              std::string::npos)
        << program << result.err;
    EXPECT_EQ(result.err.find("not a slice"), std::string::npos) << result.err;
  }
}

// The attach-time check refuses a layout it cannot confirm in the live target.
class TraceBinary : public ::testing::TestWithParam<std::string> {};

TEST_P(TraceBinary, SanityCheckRefusesAWrongLayout) {
  Target target(GetParam() + "/leaktrace-stripped");
  ASSERT_FALSE(target.base.empty());
  auto binary = gobinary::GoBinary::open(testing::go_bin(GetParam(), "leaktrace-stripped"));
  ASSERT_TRUE(binary.has_value());
  auto layout = gobinary::read_runtime_layout(**binary);
  ASSERT_TRUE(layout.has_value());
  {
    trace::GoroutineTableReader reader(**binary, *layout, target.pid());
    EXPECT_TRUE(reader.verify().has_value());
  }
  gobinary::GoRuntimeLayout wrong = *layout;
  wrong.g_goid += 8;  // Go 1.23's offset on a Go 1.19 binary, say
  trace::GoroutineTableReader reader(**binary, wrong, target.pid());
  auto verified = reader.verify();
  ASSERT_FALSE(verified.has_value());
  EXPECT_NE(verified.error().message.find(
                fmt::format("cannot verify the runtime.g layout ({} table)", GetParam())),
            std::string::npos)
      << verified.error().message;
}

INSTANTIATE_TEST_SUITE_P(EveryGo, TraceBinary, ::testing::ValuesIn(testing::go_versions()),
                         version_name);

// The reader copies g's and stack tops a window at a time into buffers it reuses: windows of a
// few g's and one stack top's bytes read the same goroutines and frames as the default ones.
class TraceWindows : public ::testing::TestWithParam<std::string> {};

TEST_P(TraceWindows, SmallWindowsReadWhatOneWindowReads) {
  constexpr int kLeaks = 2000;  // bigleak adds 10,000 waiters and 16 workers, all parked
  Target target(GetParam() + "/bigleak", {"-n", std::to_string(kLeaks)});
  ASSERT_FALSE(target.base.empty()) << target.process->stderr_text();
  auto binary = gobinary::GoBinary::open(testing::go_bin(GetParam(), "bigleak"));
  ASSERT_TRUE(binary.has_value());
  auto layout = gobinary::read_runtime_layout(**binary);
  ASSERT_TRUE(layout.has_value());
  trace::GoroutineTableReader whole(**binary, *layout, target.pid());
  trace::GoroutineTableReader windowed(**binary, *layout, target.pid(), 0,
                                       {.gs = 7, .stack_bytes = 8192});
  using Seen = std::tuple<uint32_t, uint8_t, std::vector<uint64_t>>;  // status, reason, pcs
  auto read = [](trace::GoroutineTableReader& reader) {
    std::map<uint64_t, Seen> by_goid;
    auto goroutines = reader.read();
    EXPECT_TRUE(goroutines.has_value()) << goroutines.error().message;
    if (!goroutines) return by_goid;
    for (const auto& goroutine : *goroutines) {
      by_goid[goroutine.goid] = {goroutine.status, goroutine.wait_reason,
                                 std::vector<uint64_t>(goroutine.pcs.begin(), goroutine.pcs.end())};
    }
    return by_goid;
  };
  auto expected = read(whole);
  // Twice: the second read keeps the frames of goroutines that did not run.
  for (int pass = 0; pass < 2; ++pass) {
    auto got = read(windowed);
    size_t parked_alike = 0, walked = 0;
    for (const auto& [goid, seen] : got) {
      auto it = expected.find(goid);
      if (it == expected.end() || std::get<0>(it->second) != trace::kGoStatusWaiting ||
          std::get<0>(seen) != trace::kGoStatusWaiting) {
        continue;  // a runtime goroutine that ran in between
      }
      EXPECT_EQ(std::get<2>(seen), std::get<2>(it->second)) << "goroutine " << goid;
      parked_alike += std::get<2>(seen) == std::get<2>(it->second);
      walked += std::get<2>(seen).size() >= 3;  // resumption pc and its callers
    }
    EXPECT_GE(parked_alike, kLeaks + 10000) << "pass " << pass;
    EXPECT_GE(walked, kLeaks + 10000) << "pass " << pass;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryGo, TraceWindows, ::testing::ValuesIn(testing::go_versions()),
                         version_name);

}  // namespace
}  // namespace leakscan
