// The five layers one by one, on small debug=2 dumps written inline in Go's own format (the
// shapes of tests/data/corpus and of Go 1.19's /debug/pprof/goroutine?debug=2), and what they
// read: rules, config files, baselines, CODEOWNERS. Last, a million synthetic goroutines.
#include <fmt/format.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <set>

#include "analyzer/analysis/baseline.h"
#include "analyzer/analysis/business_anchors.h"
#include "analyzer/analysis/codeowners.h"
#include "analyzer/analysis/dead_but_unfreed.h"
#include "analyzer/analysis/goroutine_record.h"
#include "analyzer/analysis/lifetime_thresholds.h"
#include "analyzer/analysis/pattern_clustering.h"
#include "analyzer/analysis/pipeline.h"
#include "analyzer/analysis/rules.h"
#include "analyzer/analysis/system_frame_filter.h"
#include "analyzer/readers/read_snapshots.h"
#include "analyzer/report/reporters.h"
#include "tests/support/snapshot_helpers.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;

// Dumps below indent file lines with four spaces for readability; Go writes a tab.
std::string go_dump(std::string_view text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line.starts_with("    ")) {
      out += '\t';
      line.remove_prefix(4);
    }
    out += line;
    out += '\n';
    start = end + 1;
  }
  return out;
}

Snapshot parse(std::string_view text, const std::string& name = "inline.txt") {
  auto snapshots = read_snapshots_from_memory(go_dump(text), name);
  EXPECT_TRUE(snapshots.has_value()) << (snapshots ? "" : snapshots.error().message);
  if (!snapshots || snapshots->empty()) return Snapshot{};
  EXPECT_EQ(snapshots->size(), 1u) << name;
  return std::move(snapshots->front());
}

// Layers 1 to 5 run by hand, each on what the one before left; `capture_seconds` for layer 5.
struct Layers {
  AnalysisInput input;
  std::vector<Cluster> clusters;
};

Layers run_layers(std::span<const Snapshot> snapshots, int through,
                  std::vector<std::optional<double>> capture_seconds = {},
                  const Rules& rules = default_rules(), const CodeOwners* owners = nullptr) {
  Layers out;
  out.input = make_analysis_input(snapshots);
  SystemFrameFilter(rules).run(out.input);
  if (through >= 2) DeadButUnfreed().run(out.input);
  if (through >= 3) out.clusters = PatternClustering().run(out.input);
  if (through >= 4) BusinessAnchors(rules, owners).run(out.input, out.clusters);
  if (through >= 5) {
    capture_seconds.resize(snapshots.size());
    LifetimeThresholds(rules, capture_seconds, std::nullopt).run(out.input, out.clusters);
  }
  return out;
}

const GoroutineRecord& record_of(const AnalysisInput& input, uint64_t id) {
  for (const auto& record : input.records) {
    if (record.thread != nullptr && record.thread->id == id) return record;
  }
  ADD_FAILURE() << "no goroutine " << id;
  static const GoroutineRecord none;
  return none;
}

std::string_view function_at(const AnalysisInput& input, const GoroutineRecord& record,
                             FrameId id) {
  if (id == kNoFrame) return "(none)";
  return input.snapshots[record.snapshot].frame(id).function;
}

const Cluster* cluster_at(const std::vector<Cluster>& clusters, std::string_view blocked_at,
                          std::string_view created_by = "*") {
  for (const auto& cluster : clusters) {
    if (cluster.blocked_at.function() == blocked_at &&
        (created_by == "*" || cluster.created_by.function() == created_by)) {
      return &cluster;
    }
  }
  return nullptr;
}

bool has_anchor(const Cluster& cluster, std::string_view kind, std::string_view name) {
  return std::any_of(cluster.anchors.begin(), cluster.anchors.end(), [&](const auto& anchor) {
    return anchor.kind() == kind && anchor.name() == name;
  });
}

// ---------------------------------------------------------------------------------------------
// What is the program's own code.

TEST(IsUserFunction, ProgramCodeAgainstRuntimeAndStandardLibrary) {
  EXPECT_TRUE(is_user_function("main.f"));
  EXPECT_TRUE(is_user_function("main.(*OrderService).fetchOrder.func1"));
  EXPECT_TRUE(is_user_function("github.com/x/y.F"));
  EXPECT_TRUE(is_user_function("github.com/x/y.(*T).Run[...]"));
  EXPECT_TRUE(is_user_function("gopkg.in/yaml.v3.Unmarshal"));
  EXPECT_TRUE(is_user_function("myapp/internal/store.(*DB).Get"));  // a module without a dot
  // golang.org/x is code the program chose; the standard library's own vendored copy of it
  // (vendor/golang.org/x/net/..., under net/http) is not.
  EXPECT_TRUE(is_user_function("golang.org/x/net/http2.(*serverConn).serve"));
  EXPECT_FALSE(is_user_function("vendor/golang.org/x/net/http2/hpack.(*Decoder).Write"));

  EXPECT_FALSE(is_user_function("net/http.(*conn).serve"));
  EXPECT_FALSE(is_user_function("net/http.HandlerFunc.ServeHTTP"));
  EXPECT_FALSE(is_user_function("runtime.gopark"));
  EXPECT_FALSE(is_user_function("runtime/pprof.Do"));
  EXPECT_FALSE(is_user_function("sync.(*WaitGroup).Wait"));
  EXPECT_FALSE(is_user_function("internal/poll.runtime_pollWait"));
  EXPECT_FALSE(is_user_function("go/parser.ParseFile"));
  EXPECT_FALSE(is_user_function(""));
  EXPECT_FALSE(is_user_function("0x4a5b6c"));
  EXPECT_FALSE(is_user_function("_cgo_topofstack"));
  EXPECT_FALSE(is_user_function("go.buildid"));
  EXPECT_FALSE(is_user_function("type..eq.main.T"));
}

TEST(IsUserFunction, ModulesUnderGoDotDomainsAreUserCode) {
  // go.uber.org, go.etcd.io, go.opentelemetry.io: module paths whose first label happens to be
  // "go", a standard-library root. They are third-party code the program chose.
  EXPECT_TRUE(is_user_function("go.uber.org/zap.(*Logger).Info"));
  EXPECT_TRUE(is_user_function("go.etcd.io/etcd/raft/v3.(*node).run"));
  EXPECT_TRUE(
      is_user_function("go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor).processQueue"));
  EXPECT_TRUE(is_user_function("net.example.com/lib.F"));
}

TEST(IsUserFunction, CppFrames) {
  EXPECT_TRUE(is_user_function("myapp::Server::run()"));
  EXPECT_TRUE(is_user_function("orders::Service::handle(Request const&)"));
  EXPECT_FALSE(is_user_function("std::thread::_State_impl<>::_M_run()"));
  EXPECT_FALSE(is_user_function("boost::fibers::context::suspend()"));
  EXPECT_FALSE(is_user_function("__gnu_cxx::__exchange_and_add(int volatile*, int)"));
  EXPECT_FALSE(is_user_function("leakscan::agent::Sampler::tick()"));
}

// ---------------------------------------------------------------------------------------------
// CODEOWNERS.

TEST(CodeOwnersPattern, GlobsAgainstModuleAndAbsolutePaths) {
  EXPECT_TRUE(codeowners_pattern_matches("*.go", "leakyservice/main.go"));
  EXPECT_TRUE(codeowners_pattern_matches("*.go", "/home/ci/src/app/main.go"));
  EXPECT_FALSE(codeowners_pattern_matches("*.go", "app/main.gox"));
  EXPECT_TRUE(codeowners_pattern_matches("main.go", "app/main.go"));
  EXPECT_FALSE(codeowners_pattern_matches("main.go", "app/xmain.go"));
  // A trailing slash: that directory and everything below it, wherever it is.
  EXPECT_TRUE(codeowners_pattern_matches("/orders/", "leakscan.dev/orders/api/handler.go"));
  EXPECT_TRUE(codeowners_pattern_matches("orders/", "orders/handler.go"));
  EXPECT_FALSE(codeowners_pattern_matches("orders/", "myorders/handler.go"));
  // Without it, a name matches a file or a directory of that name.
  EXPECT_TRUE(codeowners_pattern_matches("docs", "app/docs/intro.md"));
  // '*' stays within one path element.
  EXPECT_TRUE(codeowners_pattern_matches("orders/*.go", "orders/handler.go"));
  EXPECT_FALSE(codeowners_pattern_matches("orders/*.go", "orders/api/handler.go"));
  // '**' spans elements, including none.
  EXPECT_TRUE(codeowners_pattern_matches("orders/**/handler.go", "orders/handler.go"));
  EXPECT_TRUE(codeowners_pattern_matches("orders/**/handler.go", "orders/a/b/handler.go"));
  EXPECT_TRUE(codeowners_pattern_matches("**/handler.go", "x/y/handler.go"));
  EXPECT_TRUE(codeowners_pattern_matches("orders/**", "orders/a/b/c.go"));
  EXPECT_TRUE(codeowners_pattern_matches("?ain.go", "app/main.go"));
  EXPECT_FALSE(codeowners_pattern_matches("a?b.go", "a/b.go"));
}

TEST(CodeOwnersPattern, DoubleStarSlashMatchesWholeElementsOnly) {
  // "**/" stands for whole directories: what follows it starts a path element.
  EXPECT_FALSE(codeowners_pattern_matches("**/handler.go", "orders/myhandler.go"));
  EXPECT_FALSE(codeowners_pattern_matches("orders/**/handler.go", "orders/xhandler.go"));
  EXPECT_FALSE(codeowners_pattern_matches("orders/**/handler.go", "orders/a/xhandler.go"));
}

TEST(CodeOwnersPattern, StarAfterDirectoryMatchesOnlyItsDirectChildren) {
  // GitHub's documentation: "docs/*" matches docs/getting-started.md but not
  // docs/build-app/troubleshooting.md.
  EXPECT_TRUE(codeowners_pattern_matches("docs/*", "docs/getting-started.md"));
  EXPECT_FALSE(codeowners_pattern_matches("docs/*", "docs/build-app/troubleshooting.md"));
}

TEST(CodeOwners, LastMatchingLineWins) {
  CodeOwners owners = CodeOwners::parse(
      "# owners of the order service\n"
      "*            @everyone\n"
      "\n"
      "/orders/     @team-orders   # the service\n"
      "orders/*_test.go @team-qa\n"
      "/orders/fetch.go @alice @bob\n");
  EXPECT_EQ(owners.owners_of("/src/app/orders/fetch.go"),
            (std::vector<std::string>{"@alice", "@bob"}));
  EXPECT_EQ(owners.owners_of("leakscan.dev/orders/audit.go"),
            (std::vector<std::string>{"@team-orders"}));
  EXPECT_EQ(owners.owners_of("orders/audit_test.go"), (std::vector<std::string>{"@team-qa"}));
  EXPECT_EQ(owners.owners_of("cmd/main.go"), (std::vector<std::string>{"@everyone"}));
  EXPECT_TRUE(CodeOwners::parse("/orders/ @o\n").owners_of("cmd/main.go").empty());
}

// ---------------------------------------------------------------------------------------------
// Rules and durations.

TEST(ParseDuration, GoUnits) {
  EXPECT_EQ(parse_duration("90s"), std::chrono::nanoseconds(90s));
  EXPECT_EQ(parse_duration("1h30m"), std::chrono::nanoseconds(90min));
  EXPECT_EQ(parse_duration("250ms"), std::chrono::nanoseconds(250ms));
  EXPECT_EQ(parse_duration("1.5h"), std::chrono::nanoseconds(90min));
  EXPECT_EQ(parse_duration("24h"), std::chrono::nanoseconds(24h));
  EXPECT_EQ(parse_duration("10us"), std::chrono::nanoseconds(10us));
  EXPECT_EQ(parse_duration("10\xc2\xb5s"), std::chrono::nanoseconds(10us));
  EXPECT_EQ(parse_duration("0"), std::chrono::nanoseconds(0));
}

TEST(ParseDuration, RejectsWhatIsNotADuration) {
  for (std::string_view bad : {"", "5", "s", "abc", "5x", "1h 30m", "1h30", "ms5", " 5s", "5s "}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(ParseDuration, RejectsValuesNoNanosecondCountHolds) {
  // Infinity, NaN and durations past int64 nanoseconds (about 292 years) have no value to
  // return; converting them would be undefined behaviour.
  for (std::string_view bad : {"infs", "nanh", "inf", "1e300h", "9999999999999h"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(Rules, DefaultRulesFileParses) {
  // default_rules() falls back to empty rules if the embedded file is broken; check the file.
  auto rules = parse_rules(testing::read_file(LEAKSCAN_DEFAULT_RULES_TOML), "default_rules.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  EXPECT_FALSE(rules->version.empty());
  EXPECT_EQ(rules->version, default_rules().version);
  EXPECT_EQ(rules->blocking.size(), default_rules().blocking.size());
  EXPECT_FALSE(rules->system.empty());
  EXPECT_FALSE(rules->anchor_labels.empty());
  EXPECT_FALSE(rules->entries.empty());
  EXPECT_EQ(rules->threshold_for("http_handler"), std::chrono::nanoseconds(30s));
  EXPECT_EQ(rules->threshold_for("no such kind"), rules->threshold_for("default"));
}

TEST(Rules, ErrorsNameFileLineAndColumn) {
  auto syntax = parse_rules("rules_version = \"1\"\n[[blocking]\n", "leakscan.toml");
  ASSERT_FALSE(syntax.has_value());
  EXPECT_TRUE(syntax.error().message.starts_with("leakscan.toml:2:")) << syntax.error().message;

  auto incomplete = parse_rules("\n[[blocking]]\nfunctions = [\"main.wait\"]\n", "leakscan.toml");
  ASSERT_FALSE(incomplete.has_value());
  EXPECT_TRUE(incomplete.error().message.starts_with("leakscan.toml:2:"))
      << incomplete.error().message;
  EXPECT_NE(incomplete.error().message.find("needs functions and operation"), std::string::npos);

  auto threshold = parse_rules("[thresholds]\ndefault = \"soon\"\n", "leakscan.toml");
  ASSERT_FALSE(threshold.has_value());
  EXPECT_TRUE(threshold.error().message.starts_with("leakscan.toml:2:11: threshold default"))
      << threshold.error().message;

  auto not_a_string = parse_rules("[thresholds]\n\ndefault = 30\n", "leakscan.toml");
  ASSERT_FALSE(not_a_string.has_value());
  EXPECT_TRUE(not_a_string.error().message.starts_with("leakscan.toml:3:"));

  auto vague = parse_rules("[[system]]\nwhy = \"everything\"\n", "leakscan.toml");
  ASSERT_FALSE(vague.has_value());
  EXPECT_TRUE(vague.error().message.starts_with("leakscan.toml:1:")) << vague.error().message;
  EXPECT_NE(vague.error().message.find("must match on something"), std::string::npos);

  auto no_why = parse_rules("[[system]]\nany_function = \"main.*\"\n", "leakscan.toml");
  ASSERT_FALSE(no_why.has_value());
  EXPECT_NE(no_why.error().message.find("needs why"), std::string::npos);

  auto entry = parse_rules("[anchors]\n[[anchors.entry]]\nkind = \"job\"\n", "leakscan.toml");
  ASSERT_FALSE(entry.has_value());
  EXPECT_NE(entry.error().message.find("needs under and kind"), std::string::npos);
}

TEST(Rules, LoadConfigAppendsRulesAndOverridesThresholds) {
  std::string path = testing::temp_dir() + "/leakscan.toml";
  testing::write_file(path,
                      "[[blocking]]\n"
                      "functions = [\"github.com/acme/queue.(*Q).Pop\"]\n"
                      "operation = \"queue pop\"\n"
                      "[[system]]\n"
                      "any_function = \"github.com/acme/metrics.*\"\n"
                      "why = \"metrics flusher\"\n"
                      "[anchors]\n"
                      "labels = [\"tenant\"]\n"
                      "[thresholds]\n"
                      "default = \"1s\"\n"
                      "job = \"2h\"\n"
                      "[verdict]\n"
                      "pile_up = 50\n");
  const Rules& base = default_rules();
  auto rules = load_config(base, path);
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  ASSERT_EQ(rules->blocking.size(), base.blocking.size() + 1);
  EXPECT_EQ(rules->blocking.back().operation, "queue pop");
  ASSERT_EQ(rules->system.size(), base.system.size() + 1);
  EXPECT_EQ(rules->system.back().why, "metrics flusher");
  EXPECT_EQ(rules->anchor_labels.back(), "tenant");
  EXPECT_EQ(rules->anchor_labels.size(), base.anchor_labels.size() + 1);
  EXPECT_EQ(rules->threshold_for("default"), std::chrono::nanoseconds(1s));
  EXPECT_EQ(rules->threshold_for("job"), std::chrono::nanoseconds(2h));
  EXPECT_EQ(rules->threshold_for("http_handler"), base.threshold_for("http_handler"));
  EXPECT_EQ(rules->pile_up, 50);
  EXPECT_EQ(rules->growth_two_snapshots, base.growth_two_snapshots);
  EXPECT_EQ(rules->version, base.version);  // the config names no version of its own
}

TEST(Rules, LoadConfigErrors) {
  auto missing = load_config(default_rules(), "/nonexistent/leakscan.toml");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message, "/nonexistent/leakscan.toml: cannot open config file");

  std::string path = testing::temp_dir() + "/broken.toml";
  testing::write_file(path, "[thresholds]\ndefault = \"1s\"\nhttp_handler = \"fast\"\n");
  auto broken = load_config(default_rules(), path);
  ASSERT_FALSE(broken.has_value());
  EXPECT_TRUE(broken.error().message.starts_with(path + ":3:")) << broken.error().message;
}

// ---------------------------------------------------------------------------------------------
// Baselines.

TEST(Baseline, ParseErrorsNameFileAndLine) {
  auto load = [](const std::string& text) {
    std::string path = testing::temp_dir() + "/known-leaks.toml";
    testing::write_file(path, text);
    return std::pair{path, load_baseline(path)};
  };
  {
    auto [path, result] = load("# accepted\n[[accepted]]\nblocked_at = \"main.f\"\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().message, path + ":2: an accepted leak needs a reason");
  }
  {
    auto [path, result] = load("[[accepted]]\nreason = \"why not\"\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().message,
              path + ":1: an accepted leak needs cluster, blocked_at or created_by");
  }
  {
    auto [path, result] = load(
        "[[accepted]]\nblocked_at = \"main.f\"\nreason = \"r\"\nexpires = 2027-01-31\n\n"
        "[[accepted]]\ncreated_by = \"main.g\"\nreason = \"r\"\nexpires = \"2027-01-31\"\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().message, path + ":6: expires must be a date like 2027-01-31");
  }
  {
    auto [path, result] = load("[[accepted]]\nblocked_at = main.f\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_TRUE(result.error().message.starts_with(path + ":2:")) << result.error().message;
  }
  {
    auto [path, result] = load("accepted = [1, 2]\n");
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message.find("expected an [[accepted]] table"), std::string::npos);
  }
  auto missing = load_baseline("/nonexistent/known-leaks.toml");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message, "/nonexistent/known-leaks.toml: cannot open baseline file");
}

TEST(Baseline, ExpiredEntriesWarnAndMatchNothing) {
  std::string path = testing::temp_dir() + "/known-leaks.toml";
  testing::write_file(path,
                      "[[accepted]]\n"
                      "blocked_at = \"main.(*Cache).refresh*\"\n"
                      "reason = \"refresh loop, fixed in v2.3\"\n"
                      "expires = 2030-01-31\n"
                      "\n"
                      "[[accepted]]\n"
                      "created_by = \"main.startPoller\"\n"
                      "reason = \"poller, JIRA-9\"\n"
                      "expires = 2024-06-01\n"
                      "\n"
                      "[[accepted]]\n"
                      "cluster = \"00000000000000aa\"\n"
                      "reason = \"by id, no expiry\"\n");
  auto entries = load_baseline(path);
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].where, path + ":1");
  EXPECT_TRUE((*entries)[0].has_expiry);
  EXPECT_FALSE((*entries)[2].has_expiry);

  std::vector<Cluster> clusters(4);
  clusters[0].blocked_at.set_function("main.(*Cache).refreshLoop");
  clusters[1].blocked_at.set_function("main.poll");
  clusters[1].created_by.set_function("main.startPoller");
  clusters[2].id = "00000000000000aa";
  clusters[2].blocked_at.set_function("main.other");
  clusters[3].blocked_at.set_function("main.(*Cache).get");
  auto today = std::chrono::sys_days(std::chrono::year_month_day(
      std::chrono::year(2025), std::chrono::month(3), std::chrono::day(1)));
  auto warnings = apply_baseline(*entries, today, clusters);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(warnings[0].starts_with(path + ":6: accepted leak expired on 2024-06-01"))
      << warnings[0];
  EXPECT_EQ(clusters[0].baseline_reason, "refresh loop, fixed in v2.3");
  EXPECT_EQ(clusters[1].baseline_reason, "");  // expired: counts again
  EXPECT_EQ(clusters[2].baseline_reason, "by id, no expiry");
  EXPECT_EQ(clusters[3].baseline_reason, "");
}

// ---------------------------------------------------------------------------------------------
// Layer 1: SystemFrameFilter.

// Go 1.19's debug=2 (runtime frames hidden; "semacquire" for every sema wait) and a SIGQUIT
// style goroutine with runtime frames shown.
constexpr std::string_view kLayerOneDump = R"(goroutine 12 [running]:
runtime/pprof.writeGoroutineStacks({0x7648c0, 0xc00014c540})
    /usr/lib/go-1.19/src/runtime/pprof/pprof.go:692 +0x70
runtime/pprof.writeGoroutine({0x7648c0?, 0xc00014c540?}, 0xc0000991e0?)
    /usr/lib/go-1.19/src/runtime/pprof/pprof.go:681 +0x2b
runtime/pprof.(*Profile).WriteTo(0x6c4480?, {0x7648c0?, 0xc00014c540?}, 0xc?)
    /usr/lib/go-1.19/src/runtime/pprof/pprof.go:330 +0x14b
net/http/pprof.handler.ServeHTTP({0xc0000ba221, 0x9}, {0x766820, 0xc00014c540}, 0x2e302e302e373231?)
    /usr/lib/go-1.19/src/net/http/pprof/pprof.go:253 +0x4a5
net/http/pprof.Index({0x766820?, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/pprof/pprof.go:371 +0x13e
net/http.HandlerFunc.ServeHTTP(0xc000085af0?, {0x766820?, 0xc00014c540?}, 0x0?)
    /usr/lib/go-1.19/src/net/http/server.go:2109 +0x2f
net/http.(*ServeMux).ServeHTTP(0xc0000ba22b?, {0x766820, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/server.go:2487 +0x149
net/http.serverHandler.ServeHTTP({0xc000070540?}, {0x766820, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/server.go:2947 +0x30c
net/http.(*conn).serve(0xc0000001e0, {0x766ce0, 0xc00008f470})
    /usr/lib/go-1.19/src/net/http/server.go:1991 +0x607
created by net/http.(*Server).Serve
    /usr/lib/go-1.19/src/net/http/server.go:3102 +0x4db

goroutine 1 [IO wait]:
internal/poll.runtime_pollWait(0x7fb43af5f918, 0x72)
    /usr/lib/go-1.19/src/runtime/netpoll.go:305 +0x89
internal/poll.(*pollDesc).wait(0xc0000fed00?, 0x6?, 0x0)
    /usr/lib/go-1.19/src/internal/poll/fd_poll_runtime.go:84 +0x32
internal/poll.(*pollDesc).waitRead(...)
    /usr/lib/go-1.19/src/internal/poll/fd_poll_runtime.go:89
internal/poll.(*FD).Accept(0xc0000fed00)
    /usr/lib/go-1.19/src/internal/poll/fd_unix.go:614 +0x234
net.(*netFD).accept(0xc0000fed00)
    /usr/lib/go-1.19/src/net/fd_unix.go:172 +0x35
net.(*TCPListener).accept(0xc000096108)
    /usr/lib/go-1.19/src/net/tcpsock_posix.go:142 +0x28
net.(*TCPListener).Accept(0xc000096108)
    /usr/lib/go-1.19/src/net/tcpsock.go:288 +0x3d
net/http.(*Server).Serve(0xc000142000, {0x766670, 0xc000096108})
    /usr/lib/go-1.19/src/net/http/server.go:3070 +0x385
main.main()
    /app/main.go:325 +0x857

goroutine 39 [semacquire]:
sync.runtime_SemacquireMutex(0x0?, 0x0?, 0x0?)
    /usr/lib/go-1.19/src/runtime/sema.go:77 +0x25
sync.(*Mutex).lockSlow(0xc00008d1f0)
    /usr/lib/go-1.19/src/sync/mutex.go:171 +0x165
sync.(*Mutex).Lock(...)
    /usr/lib/go-1.19/src/sync/mutex.go:90
main.(*OrderService).syncInventory(0x0?, 0xc00008d1f0?)
    /app/main.go:202 +0x57
created by main.(*OrderService).handleLock
    /app/main.go:198 +0x14d

goroutine 36 [semacquire]:
sync.runtime_Semacquire(0x0?)
    /usr/lib/go-1.19/src/runtime/sema.go:62 +0x25
sync.(*WaitGroup).Wait(0x0?)
    /usr/lib/go-1.19/src/sync/waitgroup.go:139 +0x52
main.(*OrderService).handleBatch.func2()
    /app/main.go:168 +0x26
created by main.(*OrderService).handleBatch
    /app/main.go:167 +0x1fc

goroutine 48 [chan receive (nil chan)]:
main.(*OrderService).watchSubscription(0xc0000805f0, 0x0?)
    /app/main.go:268 +0x4e
created by main.(*OrderService).handleNilChan
    /app/main.go:263 +0xed

goroutine 50 [chan receive (nil chan)]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
    /usr/lib/go-1.19/src/runtime/proc.go:363 +0xd6
runtime.chanrecv(0x0, 0x0, 0x1)
    /usr/lib/go-1.19/src/runtime/chan.go:469 +0x4e
runtime.chanrecv2(0x0?, 0x0?)
    /usr/lib/go-1.19/src/runtime/chan.go:447 +0x18
main.(*OrderService).watchSubscription(0xc0000805f0, 0x0?)
    /app/main.go:268 +0x4e
created by main.(*OrderService).handleNilChan
    /app/main.go:263 +0xed

goroutine 51 [chan send]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
    /usr/lib/go-1.19/src/runtime/proc.go:363 +0xd6
runtime.chansend(0xc0000a2060, 0xc0000b5f58, 0x1, 0x1)
    /usr/lib/go-1.19/src/runtime/chan.go:259 +0x42e
runtime.chansend1(0x0?, 0x0?)
    /usr/lib/go-1.19/src/runtime/chan.go:145 +0x1d
main.(*OrderService).fetchOrder.func1()
    /app/main.go:124 +0x85
created by main.(*OrderService).fetchOrder
    /app/main.go:122 +0xf1

goroutine 49 [IO wait]:
internal/poll.runtime_pollWait(0x7fb43af5f828, 0x72)
    /usr/lib/go-1.19/src/runtime/netpoll.go:305 +0x89
internal/poll.(*pollDesc).wait(0xc000078100?, 0xc000070551?, 0x0)
    /usr/lib/go-1.19/src/internal/poll/fd_poll_runtime.go:84 +0x32
internal/poll.(*pollDesc).waitRead(...)
    /usr/lib/go-1.19/src/internal/poll/fd_poll_runtime.go:89
internal/poll.(*FD).Read(0xc000078100, {0xc000070551, 0x1000, 0x1000})
    /usr/lib/go-1.19/src/internal/poll/fd_unix.go:167 +0x25a
net.(*netFD).Read(0xc000078100, {0xc000070551?, 0xc0000a4f18?, 0xc00011cf68?})
    /usr/lib/go-1.19/src/net/fd_posix.go:55 +0x29
net.(*conn).Read(0xc000012038, {0xc000070551?, 0xc000080870?, 0x0?})
    /usr/lib/go-1.19/src/net/net.go:183 +0x45
net/http.(*connReader).Read(0xc000070540, {0xc000070551, 0x1000, 0x1000})
    /usr/lib/go-1.19/src/net/http/server.go:786 +0x171
bufio.(*Reader).fill(0xc00008e2a0)
    /usr/lib/go-1.19/src/bufio/bufio.go:106 +0xff
bufio.(*Reader).Peek(0xc00008e2a0, 0x4)
    /usr/lib/go-1.19/src/bufio/bufio.go:144 +0x5d
net/http.(*conn).serve(0xc0000001e0, {0x766ce0, 0xc00008f470})
    /usr/lib/go-1.19/src/net/http/server.go:1915 +0x112d
created by net/http.(*Server).Serve
    /usr/lib/go-1.19/src/net/http/server.go:3102 +0x4db

goroutine 60 [select]:
main.(*OrderService).slowQuery(0xc0000805f0, {0x766c38, 0xc00007a1c0})
    /app/report.go:90 +0x7b
main.(*OrderService).handleReport(0xc0000805f0, {0x766820, 0xc00014c540}, 0xc000074800)
    /app/report.go:80 +0x45
net/http.HandlerFunc.ServeHTTP(0xc000085af0?, {0x766820?, 0xc00014c540?}, 0x0?)
    /usr/lib/go-1.19/src/net/http/server.go:2109 +0x2f
net/http.(*ServeMux).ServeHTTP(0xc0000ba22b?, {0x766820, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/server.go:2487 +0x149
net/http.serverHandler.ServeHTTP({0xc000070540?}, {0x766820, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/server.go:2947 +0x30c
net/http.(*conn).serve(0xc0000001e0, {0x766ce0, 0xc00008f470})
    /usr/lib/go-1.19/src/net/http/server.go:1991 +0x607
created by net/http.(*Server).Serve
    /usr/lib/go-1.19/src/net/http/server.go:3102 +0x4db

goroutine 61 [chan receive]:
main.(*OrderService).handleOrders(0xc0000805f0, {0x766820, 0xc00014c540}, 0xc000074800)
    /app/orders.go:100 +0x45
main.instrumented.func1.1({0x766c38, 0xc00007a1c0})
    /app/middleware.go:12 +0x6e
runtime/pprof.Do({0x766ce0, 0xc00008f470}, {{0xc0000a4e80, 0x2, 0x2}}, 0xc000085ab0)
    /usr/lib/go-1.19/src/runtime/pprof/runtime.go:40 +0xa3
main.instrumented.func1({0x766820, 0xc00014c540}, 0xc000074800)
    /app/middleware.go:11 +0x12c
net/http.HandlerFunc.ServeHTTP(0xc000085af0?, {0x766820?, 0xc00014c540?}, 0x0?)
    /usr/lib/go-1.19/src/net/http/server.go:2109 +0x2f
net/http.(*ServeMux).ServeHTTP(0xc0000ba22b?, {0x766820, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/server.go:2487 +0x149
net/http.serverHandler.ServeHTTP({0xc000070540?}, {0x766820, 0xc00014c540}, 0xc000074800)
    /usr/lib/go-1.19/src/net/http/server.go:2947 +0x30c
net/http.(*conn).serve(0xc0000001e0, {0x766ce0, 0xc00008f470})
    /usr/lib/go-1.19/src/net/http/server.go:1991 +0x607
created by net/http.(*Server).Serve
    /usr/lib/go-1.19/src/net/http/server.go:3102 +0x4db

goroutine 28 [syscall]:
os/signal.signal_recv()
    /usr/lib/go-1.19/src/runtime/sigqueue.go:152 +0x2f
os/signal.loop()
    /usr/lib/go-1.19/src/os/signal/signal_unix.go:23 +0x19
created by os/signal.Notify.func1.1
    /usr/lib/go-1.19/src/os/signal/signal.go:151 +0x2a
)";

class SystemFrameFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshots_.push_back(parse(kLayerOneDump, "layer1.txt"));
    ASSERT_EQ(snapshots_[0].threads.size(), 11u);
    input_ = make_analysis_input(snapshots_);
    SystemFrameFilter(default_rules()).run(input_);
  }
  const GoroutineRecord& goroutine(uint64_t id) { return record_of(input_, id); }
  std::string_view blocked_at(uint64_t id) {
    return function_at(input_, goroutine(id), goroutine(id).blocked_at);
  }

  std::vector<Snapshot> snapshots_;
  AnalysisInput input_;
};

TEST_F(SystemFrameFilterTest, MutexUnderSemacquireIsMutexLock) {
  // Go before 1.20 says "semacquire" for every semaphore; the frames say which.
  EXPECT_EQ(goroutine(39).thread->status, "semacquire");
  EXPECT_EQ(goroutine(39).blocking_operation, "sync.Mutex.Lock");
  EXPECT_EQ(goroutine(39).disposition, Disposition::kKept);
}

TEST_F(SystemFrameFilterTest, WaitGroupUnderSemacquireIsWaitGroupWait) {
  // The outermost blocking frame wins: (*WaitGroup).Wait, not the runtime_Semacquire it calls.
  EXPECT_EQ(goroutine(36).blocking_operation, "sync.WaitGroup.Wait");
}

TEST_F(SystemFrameFilterTest, StatusThatRefinesTheOperationIsKept) {
  // No runtime frames (debug=2): the status is all there is.
  EXPECT_EQ(goroutine(48).blocking_operation, "chan receive (nil chan)");
  // Runtime frames say "chan receive"; the status says more.
  EXPECT_EQ(goroutine(50).blocking_operation, "chan receive (nil chan)");
  EXPECT_EQ(goroutine(51).blocking_operation, "chan send");
  EXPECT_EQ(goroutine(60).blocking_operation, "select");
}

TEST_F(SystemFrameFilterTest, BlockedAtIsTheFirstFrameOfTheProgramsOwnCode) {
  EXPECT_EQ(blocked_at(39), "main.(*OrderService).syncInventory");
  EXPECT_EQ(goroutine(39).blocked_depth, 3u);
  EXPECT_EQ(blocked_at(36), "main.(*OrderService).handleBatch.func2");
  EXPECT_EQ(goroutine(36).blocked_depth, 2u);
  EXPECT_EQ(blocked_at(50), "main.(*OrderService).watchSubscription");
  EXPECT_EQ(goroutine(50).blocked_depth, 3u);
  EXPECT_EQ(blocked_at(48), "main.(*OrderService).watchSubscription");
  EXPECT_EQ(goroutine(48).blocked_depth, 0u);
  EXPECT_EQ(blocked_at(60), "main.(*OrderService).slowQuery");
  EXPECT_EQ(function_at(input_, goroutine(60), goroutine(60).created_by()),
            "net/http.(*Server).Serve");
}

TEST_F(SystemFrameFilterTest, IdleKeepAliveConnectionIsSetAside) {
  EXPECT_EQ(goroutine(49).disposition, Disposition::kSystem);
  EXPECT_EQ(goroutine(49).why, "idle HTTP keep-alive connection");
  EXPECT_EQ(goroutine(49).blocking_operation, "IO wait");
}

TEST_F(SystemFrameFilterTest, ProfileCaptureIsSetAside) {
  EXPECT_EQ(goroutine(12).disposition, Disposition::kSystem);
  EXPECT_EQ(goroutine(12).why, "the profile capture itself");
}

TEST_F(SystemFrameFilterTest, UserFrameUnderServerServeIsSetAside) {
  // main.main is the program's own frame, but the goroutine is the server's accept loop.
  EXPECT_EQ(goroutine(1).disposition, Disposition::kSystem);
  EXPECT_EQ(goroutine(1).why, "HTTP server accept loop");
  EXPECT_EQ(blocked_at(1), "main.main");
}

TEST_F(SystemFrameFilterTest, RuntimeGoroutineIsSetAside) {
  EXPECT_EQ(goroutine(28).disposition, Disposition::kSystem);
  EXPECT_EQ(goroutine(28).why, "os/signal delivery loop");
}

TEST_F(SystemFrameFilterTest, HandlersStayInTheAnalysis) {
  EXPECT_EQ(goroutine(60).disposition, Disposition::kKept);
  for (uint64_t id : {39, 36, 48, 50, 51}) {
    EXPECT_EQ(goroutine(id).disposition, Disposition::kKept) << "goroutine " << id;
  }
}

TEST_F(SystemFrameFilterTest, HandlerBlockedUnderPprofDoStaysInTheAnalysis) {
  // Tracing middleware runs handlers under pprof.Do to label them (leakyservice does); a
  // handler blocked there is the program's own wait, not the profile capture.
  EXPECT_EQ(goroutine(61).disposition, Disposition::kKept) << goroutine(61).why;
  EXPECT_EQ(blocked_at(61), "main.(*OrderService).handleOrders");
  EXPECT_EQ(goroutine(61).blocking_operation, "chan receive");
}

TEST(SystemFrameFilter, RulesFromAConfigApply) {
  auto rules = parse_rules(
      "[[blocking]]\nfunctions = [\"github.com/acme/queue.(*Q).Pop\"]\noperation = \"queue pop\"\n"
      "[[system]]\nany_function = \"github.com/acme/metrics.*\"\nwhy = \"metrics flusher\"\n",
      "leakscan.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(R"(goroutine 5 [chan receive]:
github.com/acme/queue.(*Q).Pop(0xc000010000)
    /src/acme/queue/q.go:40 +0x4e
main.consume()
    /app/main.go:12 +0x25
created by main.main
    /app/main.go:8 +0x1d

goroutine 6 [sleep]:
time.Sleep(0x3b9aca00)
    /usr/lib/go-1.19/src/runtime/time.go:195 +0x135
github.com/acme/metrics.(*Flusher).loop(0xc000012000)
    /src/acme/metrics/flush.go:22 +0x31
created by github.com/acme/metrics.Start
    /src/acme/metrics/flush.go:10 +0x6a
)"));
  AnalysisInput input = make_analysis_input(snapshots);
  SystemFrameFilter(*rules).run(input);
  // A user frame named by a rule is still the first user frame; the blocking rule looks at
  // frames above the program's own only, so "chan receive" stands.
  EXPECT_EQ(record_of(input, 5).blocking_operation, "chan receive");
  EXPECT_EQ(record_of(input, 6).disposition, Disposition::kSystem);
  EXPECT_EQ(record_of(input, 6).why, "metrics flusher");
}

// ---------------------------------------------------------------------------------------------
// Layer 2: DeadButUnfreed.

TEST(DeadButUnfreed, GoexitIsFinishingNotLeaking) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(R"(goroutine 21 [chan receive]:
main.flushOnExit(0xc0000a2060)
    /app/worker.go:51 +0x3d
runtime.Goexit()
    /usr/lib/go-1.19/src/runtime/panic.go:523 +0x1a5
main.worker(0xc0000a2060)
    /app/worker.go:40 +0x85
created by main.startWorkers
    /app/worker.go:20 +0x4a

goroutine 22 [chan receive]:
main.worker(0xc0000a2060)
    /app/worker.go:38 +0x6e
created by main.startWorkers
    /app/worker.go:20 +0x4a
)"));
  Layers layers = run_layers(snapshots, 3);
  EXPECT_EQ(record_of(layers.input, 21).disposition, Disposition::kFinishing);
  EXPECT_EQ(record_of(layers.input, 22).disposition, Disposition::kKept);
  ASSERT_EQ(layers.clusters.size(), 1u);
  EXPECT_EQ(layers.clusters[0].blocked_at.function(), "main.worker");
  EXPECT_EQ(layers.clusters[0].last_count(), 1);

  auto findings = DeadButUnfreed().findings(layers.input);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind(), "finishing");
  EXPECT_EQ(findings[0].count(), 1);
  EXPECT_EQ(findings[0].created_by().function(), "main.startWorkers");

  auto analysis = analyze(snapshots, {}, AnalysisOptions{});
  ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
  EXPECT_EQ(analysis->report.summary().finishing(), 1);
  ASSERT_EQ(analysis->report.dead_but_unfreed_size(), 1);
  EXPECT_EQ(analysis->report.dead_but_unfreed(0).kind(), "finishing");
}

// ---------------------------------------------------------------------------------------------
// Layer 3: PatternClustering.

// `count` goroutines from `first_id` on, each with `body` (frames and creator) under `status`.
std::string goroutines(int count, uint64_t first_id, std::string_view status,
                       std::string_view body) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    out +=
        fmt::format("goroutine {} [{}]:\n{}\n", first_id + static_cast<uint64_t>(i), status, body);
  }
  return out;
}

// A consumer blocked at the same place, reached through different callers and recursion depths.
constexpr std::string_view kConsumeShallow = R"(main.(*Pipeline).consume(0xc000010000)
    /app/pipeline.go:40 +0x4e
main.(*Pipeline).stage(0xc000010000, 0x1)
    /app/pipeline.go:30 +0x25
main.(*Pipeline).run(0xc000010000)
    /app/pipeline.go:20 +0x1d
created by main.(*Pipeline).Start
    /app/pipeline.go:10 +0x6a)";
constexpr std::string_view kConsumeDeep = R"(main.(*Pipeline).consume(0xc000010000)
    /app/pipeline.go:40 +0x4e
main.(*Pipeline).stage(0xc000010000, 0x3)
    /app/pipeline.go:31 +0x25
main.(*Pipeline).stage(0xc000010000, 0x2)
    /app/pipeline.go:31 +0x25
main.(*Pipeline).stage(0xc000010000, 0x1)
    /app/pipeline.go:31 +0x25
main.(*Pipeline).runNested(0xc000010000)
    /app/pipeline.go:25 +0x1d
created by main.(*Pipeline).Start
    /app/pipeline.go:10 +0x6a)";
constexpr std::string_view kConsumeOtherCreator = R"(main.(*Pipeline).consume(0xc000010000)
    /app/pipeline.go:40 +0x4e
main.(*Pipeline).run(0xc000010000)
    /app/pipeline.go:20 +0x1d
created by main.(*Pipeline).Restart
    /app/pipeline.go:14 +0x6a)";

TEST(PatternClustering, SameOperationFrameAndCreatorMergeWhateverIsBelow) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(1, 10, "chan receive", kConsumeShallow) +
                            goroutines(3, 20, "chan receive", kConsumeDeep)));
  Layers layers = run_layers(snapshots, 3);
  ASSERT_EQ(layers.clusters.size(), 1u);
  const Cluster& cluster = layers.clusters[0];
  EXPECT_EQ(cluster.last_count(), 4);
  EXPECT_EQ(cluster.blocking_operation, "chan receive");
  EXPECT_EQ(cluster.blocked_at.function(), "main.(*Pipeline).consume");
  EXPECT_EQ(cluster.blocked_at.file(), "/app/pipeline.go");
  EXPECT_EQ(cluster.blocked_at.line(), 40);
  EXPECT_EQ(cluster.created_by.function(), "main.(*Pipeline).Start");
  EXPECT_EQ(cluster.min_id, 10u);
  EXPECT_EQ(cluster.max_id, 22u);
  EXPECT_EQ(cluster.records.size(), 4u);
  for (const auto& record : layers.input.records) EXPECT_EQ(record.cluster, 0u);
}

TEST(PatternClustering, DifferentCreatorOrOperationSplits) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(2, 10, "chan receive", kConsumeShallow) +
                            goroutines(3, 20, "chan receive", kConsumeOtherCreator) +
                            goroutines(1, 30, "chan send", kConsumeShallow)));
  Layers layers = run_layers(snapshots, 3);
  ASSERT_EQ(layers.clusters.size(), 3u);
  const Cluster* start = nullptr;
  const Cluster* restart = nullptr;
  const Cluster* send = nullptr;
  for (const auto& cluster : layers.clusters) {
    if (cluster.blocking_operation == "chan send")
      send = &cluster;
    else if (cluster.created_by.function() == "main.(*Pipeline).Start")
      start = &cluster;
    else if (cluster.created_by.function() == "main.(*Pipeline).Restart")
      restart = &cluster;
  }
  ASSERT_TRUE(start && restart && send);
  EXPECT_EQ(start->last_count(), 2);
  EXPECT_EQ(restart->last_count(), 3);
  EXPECT_EQ(send->last_count(), 1);
  EXPECT_NE(start->id, restart->id);
  EXPECT_NE(start->id, send->id);
}

uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

TEST(PatternClustering, IdsAreStableHashesOfTheFingerprint) {
  // Another run, other goroutine ids, arguments, line numbers and deeper frames: the same id.
  std::string moved(kConsumeShallow);
  moved.replace(moved.find("pipeline.go:40"), 14, "pipeline.go:47");
  moved.replace(moved.find("0xc000010000"), 12, "0xc000fff000");
  std::vector<Snapshot> first;
  first.push_back(parse(goroutines(2, 10, "chan receive", kConsumeShallow)));
  std::vector<Snapshot> second;
  second.push_back(parse(goroutines(1, 900, "chan receive", moved) +
                         goroutines(1, 901, "chan receive", kConsumeDeep)));
  Layers a = run_layers(first, 3);
  Layers b = run_layers(second, 3);
  ASSERT_EQ(a.clusters.size(), 1u);
  ASSERT_EQ(b.clusters.size(), 1u);
  EXPECT_EQ(a.clusters[0].id, b.clusters[0].id);
  // FNV-1a of "operation \x1f blocked-at function" (the creator joins only when two clusters
  // share that site), in 16 hex digits: the same on every machine, so baselines can name
  // clusters.
  EXPECT_EQ(a.clusters[0].id,
            fmt::format("{:016x}", fnv1a("chan receive\x1fmain.(*Pipeline).consume")));
}

TEST(PatternClustering, RepresentativeStackIsTheMostCommon) {
  std::vector<Snapshot> snapshots;
  // The shallow stack comes first, the deep one is more common.
  snapshots.push_back(parse(goroutines(2, 10, "chan receive", kConsumeShallow) +
                            goroutines(3, 20, "chan receive", kConsumeDeep) +
                            goroutines(1, 30, "chan receive", kConsumeShallow)));
  Layers layers = run_layers(snapshots, 3);
  ASSERT_EQ(layers.clusters.size(), 1u);
  auto names = testing::functions(snapshots[0], layers.clusters[0].representative_stack);
  ASSERT_EQ(names.size(), 5u);
  EXPECT_EQ(names[4], "main.(*Pipeline).runNested");
}

TEST(PatternClustering, CountsEverySnapshot) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(1, 10, "chan receive", kConsumeShallow)));
  snapshots.push_back(parse(goroutines(4, 10, "chan receive", kConsumeDeep)));
  snapshots.push_back(parse(goroutines(2, 10, "chan receive", kConsumeOtherCreator)));
  Layers layers = run_layers(snapshots, 3);
  ASSERT_EQ(layers.clusters.size(), 2u);
  const Cluster* start =
      cluster_at(layers.clusters, "main.(*Pipeline).consume", "main.(*Pipeline).Start");
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(start->count_per_snapshot, (std::vector<int64_t>{1, 4, 0}));
  // Gone by the last snapshot: its representative comes from where it was seen.
  EXPECT_FALSE(start->representative_stack.empty());
  EXPECT_EQ(start->min_id, UINT64_MAX);  // ids and waits are the last snapshot's
}

// ---------------------------------------------------------------------------------------------
// Layer 4: BusinessAnchors.

// A debug=0 profile: `count` goroutines in main.(*OrderService).consume, labelled by pprof.Do.
std::string labelled_profile() {
  perftools::profiles::Profile profile;
  for (const char* text :
       {"", "goroutine", "count", "runtime.gopark", "runtime.chanrecv1",
        "main.(*OrderService).consume", "runtime/proc.go", "runtime/chan.go", "/app/orders.go",
        "http.route", "/api/orders", "/api/audit", "tenant", "acme"}) {
    profile.add_string_table(text);
  }
  auto* type = profile.add_sample_type();
  type->set_type(1);
  type->set_unit(2);
  const int64_t names[] = {3, 4, 5};
  const int64_t files[] = {6, 7, 8};
  for (uint64_t i = 0; i < 3; ++i) {
    auto* function = profile.add_function();
    function->set_id(i + 1);
    function->set_name(names[i]);
    function->set_filename(files[i]);
    auto* location = profile.add_location();
    location->set_id(i + 1);
    auto* line = location->add_line();
    line->set_function_id(i + 1);
    line->set_line(static_cast<int64_t>(100 + i));
  }
  for (int64_t route : {10, 11}) {
    auto* sample = profile.add_sample();
    for (uint64_t id : {1, 2, 3}) sample->add_location_id(id);
    sample->add_value(route == 10 ? 3 : 2);
    auto* label = sample->add_label();
    label->set_key(9);
    label->set_str(route);
    auto* other = sample->add_label();  // not an anchor label
    other->set_key(12);
    other->set_str(13);
  }
  profile.set_time_nanos(1'700'000'000'000'000'000);
  return profile.SerializeAsString();
}

TEST(BusinessAnchors, LabelsFromAProfileNameTheRoute) {
  auto read = read_snapshots_from_memory(labelled_profile(), "labels.pb");
  ASSERT_TRUE(read.has_value()) << read.error().message;
  ASSERT_EQ(read->size(), 1u);
  ASSERT_EQ(read->front().samples.size(), 2u);
  Layers layers = run_layers(*read, 5);
  ASSERT_EQ(layers.clusters.size(), 1u);
  const Cluster& cluster = layers.clusters[0];
  EXPECT_EQ(cluster.last_count(), 5);
  EXPECT_EQ(cluster.blocking_operation, "chan receive");
  EXPECT_EQ(cluster.blocked_at.function(), "main.(*OrderService).consume");
  EXPECT_TRUE(has_anchor(cluster, "label", "http.route=/api/orders"));
  EXPECT_TRUE(has_anchor(cluster, "label", "http.route=/api/audit"));
  EXPECT_FALSE(has_anchor(cluster, "label", "tenant=acme"));
  EXPECT_EQ(cluster.anchor_kind, "http_handler");
  EXPECT_EQ(cluster.threshold_seconds, 30);
}

TEST(BusinessAnchors, EntryUnderConnServeIsAnHttpHandlerWithItsThreshold) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(kLayerOneDump));
  Layers layers = run_layers(snapshots, 5);
  const Cluster* report = cluster_at(layers.clusters, "main.(*OrderService).slowQuery");
  ASSERT_NE(report, nullptr);
  EXPECT_TRUE(has_anchor(*report, "http_handler", "main.(*OrderService).handleReport"));
  EXPECT_EQ(report->anchor_kind, "http_handler");
  EXPECT_EQ(report->threshold_seconds, 30);
  EXPECT_TRUE(
      has_anchor(*report, "created_by",
                 "net/http.(*Server).Serve at /usr/lib/go-1.19/src/net/http/server.go:3102"));

  // Spawned goroutines are not under the server's frame: the default kind and threshold.
  const Cluster* spawned = cluster_at(layers.clusters, "main.(*OrderService).syncInventory");
  ASSERT_NE(spawned, nullptr);
  EXPECT_EQ(spawned->anchor_kind, "default");
  EXPECT_EQ(spawned->threshold_seconds, 300);
  EXPECT_TRUE(
      has_anchor(*spawned, "created_by", "main.(*OrderService).handleLock at /app/main.go:198"));
}

TEST(BusinessAnchors, CodeOwnersOfTheCreationSite) {
  CodeOwners owners = CodeOwners::parse(
      "* @platform\n"
      "/app/ @team-orders\n"
      "/app/report.go @team-reports\n");
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(kLayerOneDump));
  Layers layers = run_layers(snapshots, 4, {}, default_rules(), &owners);
  const Cluster* lock = cluster_at(layers.clusters, "main.(*OrderService).syncInventory");
  ASSERT_NE(lock, nullptr);
  EXPECT_TRUE(has_anchor(*lock, "owner", "@team-orders"));
  EXPECT_FALSE(has_anchor(*lock, "owner", "@platform"));
  // Created by the standard library's server: its file names the owners (the last match wins:
  // everything else is @platform's).
  const Cluster* report = cluster_at(layers.clusters, "main.(*OrderService).slowQuery");
  ASSERT_NE(report, nullptr);
  EXPECT_TRUE(has_anchor(*report, "owner", "@platform"));
}

// ---------------------------------------------------------------------------------------------
// Layer 5: LifetimeThresholds.

constexpr std::string_view kOrdersLeak = R"(main.(*OrderService).fetchOrder.func1()
    /app/orders.go:124 +0x85
created by main.(*OrderService).fetchOrder
    /app/orders.go:122 +0xf1)";
constexpr std::string_view kStartupWorker = R"(main.(*OrderService).reconcile(0xc0000805f0)
    /app/orders.go:300 +0x53
created by main.main
    /app/main.go:40 +0xba)";
constexpr std::string_view kClientReader = R"(internal/poll.runtime_pollWait(0x7fb43af5f828, 0x72)
    /usr/lib/go-1.19/src/runtime/netpoll.go:305 +0x89
internal/poll.(*pollDesc).wait(0xc000078100?, 0xc000070551?, 0x0)
    /usr/lib/go-1.19/src/internal/poll/fd_poll_runtime.go:84 +0x32
internal/poll.(*pollDesc).waitRead(...)
    /usr/lib/go-1.19/src/internal/poll/fd_poll_runtime.go:89
internal/poll.(*FD).Read(0xc000078100, {0xc000070551, 0x1000, 0x1000})
    /usr/lib/go-1.19/src/internal/poll/fd_unix.go:167 +0x25a
net.(*netFD).Read(0xc000078100, {0xc000070551?, 0xc0000a4f18?, 0xc00011cf68?})
    /usr/lib/go-1.19/src/net/fd_posix.go:55 +0x29
net.(*conn).Read(0xc000012038, {0xc000070551?, 0xc000080870?, 0x0?})
    /usr/lib/go-1.19/src/net/net.go:183 +0x45
main.(*upstream).readLoop(0xc0000a4000)
    /app/upstream.go:55 +0x91
created by main.(*upstream).dial
    /app/upstream.go:40 +0x1c5)";
constexpr std::string_view kJanitor = R"(time.Sleep(0x34630b8a000)
    /usr/lib/go-1.19/src/runtime/time.go:195 +0x135
main.(*OrderService).janitor(0x0?)
    /app/orders.go:88 +0x25
created by main.(*OrderService).startJanitor
    /app/orders.go:74 +0x14a)";

const Cluster& verdict_of(const std::vector<Cluster>& clusters, std::string_view blocked_at) {
  const Cluster* cluster = cluster_at(clusters, blocked_at);
  EXPECT_NE(cluster, nullptr) << blocked_at;
  static const Cluster none;
  return cluster != nullptr ? *cluster : none;
}

std::string all_reasons(const Cluster& cluster) {
  std::string out;
  for (const auto& reason : cluster.reasons) out += reason + "\n";
  return out;
}

TEST(LifetimeThresholds, OneSnapshotJudgesTheWaitAgainstTheThreshold) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(2, 100, "chan send, 10 minutes", kOrdersLeak) +
                            goroutines(1, 300, "chan receive, 10 minutes", kStartupWorker) +
                            goroutines(1, 400, "IO wait, 10 minutes", kClientReader) +
                            goroutines(1, 500, "sleep, 10 minutes", kJanitor)));
  Layers layers = run_layers(snapshots, 5);

  const Cluster& leak = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(leak.verdict, report::LEAK) << all_reasons(leak);
  EXPECT_EQ(leak.threshold_seconds, 300);
  EXPECT_NE(all_reasons(leak).find("past the 5m threshold"), std::string::npos)
      << all_reasons(leak);

  const Cluster& startup = verdict_of(layers.clusters, "main.(*OrderService).reconcile");
  EXPECT_EQ(startup.verdict, report::SUSPECT) << all_reasons(startup);
  EXPECT_NE(all_reasons(startup).find("started at startup"), std::string::npos);

  const Cluster& network = verdict_of(layers.clusters, "main.(*upstream).readLoop");
  EXPECT_EQ(network.blocking_operation, "IO wait");
  EXPECT_EQ(network.verdict, report::SUSPECT) << all_reasons(network);

  const Cluster& sleeper = verdict_of(layers.clusters, "main.(*OrderService).janitor");
  EXPECT_EQ(sleeper.blocking_operation, "sleep");
  EXPECT_EQ(sleeper.verdict, report::EXPECTED) << all_reasons(sleeper);
}

TEST(LifetimeThresholds, OneSnapshotUnderTheThresholdIsExpected) {
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(goroutines(2, 100, "chan send, 4 minutes", kOrdersLeak) +
                            goroutines(2, 200, "chan receive", kStartupWorker)));
  Layers layers = run_layers(snapshots, 5);
  EXPECT_EQ(verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1").verdict,
            report::EXPECTED);
  EXPECT_EQ(verdict_of(layers.clusters, "main.(*OrderService).reconcile").verdict,
            report::EXPECTED);

  // A config's threshold replaces the built-in one.
  auto rules = parse_rules("[thresholds]\ndefault = \"3m\"\n", "leakscan.toml");
  ASSERT_TRUE(rules.has_value());
  Rules merged = default_rules();
  merged.thresholds["default"] = rules->thresholds["default"];
  Layers strict = run_layers(snapshots, 5, {}, merged);
  EXPECT_EQ(verdict_of(strict.clusters, "main.(*OrderService).fetchOrder.func1").verdict,
            report::LEAK);
}

// Three snapshots a minute apart with `counts` orders leaks (the same goroutines stay, new ones
// come with higher ids) and a steady pool of 4.
std::vector<Snapshot> three_snapshots(std::array<int, 3> counts) {
  std::vector<Snapshot> snapshots;
  auto start = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  for (size_t i = 0; i < 3; ++i) {
    snapshots.push_back(parse(goroutines(4, 10, "chan receive", kStartupWorker) +
                                  goroutines(counts[i], 1000, "chan send", kOrdersLeak),
                              fmt::format("snapshot{}.txt", i)));
    snapshots.back().captured_at = start + std::chrono::minutes(i);
  }
  return snapshots;
}

std::vector<std::optional<double>> capture_seconds(const std::vector<Snapshot>& snapshots) {
  std::vector<std::optional<double>> out;
  for (const auto& snapshot : snapshots) {
    out.push_back(std::chrono::duration<double>(snapshot.captured_at->time_since_epoch()).count());
  }
  return out;
}

TEST(LifetimeThresholds, GrowingInEverySnapshotIsALeak) {
  auto snapshots = three_snapshots({2, 5, 8});
  Layers layers = run_layers(snapshots, 5, capture_seconds(snapshots));
  const Cluster& leak = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(leak.verdict, report::LEAK) << all_reasons(leak);
  EXPECT_TRUE(leak.monotonic_growth);
  EXPECT_EQ(leak.count_per_snapshot, (std::vector<int64_t>{2, 5, 8}));
  EXPECT_DOUBLE_EQ(leak.growth_per_minute, 3.0);  // 2 → 8 over two minutes
  EXPECT_NE(all_reasons(leak).find("2 → 8 over 3 snapshots (+3.0/min)"), std::string::npos)
      << all_reasons(leak);
  // The oldest leaked goroutine (id 1000) was already there in the first snapshot, two minutes
  // before the last.
  EXPECT_NE(all_reasons(leak).find("at least 2m old by its goroutine id"), std::string::npos)
      << all_reasons(leak);

  const Cluster& pool = verdict_of(layers.clusters, "main.(*OrderService).reconcile");
  EXPECT_EQ(pool.verdict, report::EXPECTED) << all_reasons(pool);
  EXPECT_FALSE(pool.monotonic_growth);
  EXPECT_EQ(pool.growth_per_minute, 0);
}

TEST(LifetimeThresholds, SteadyIsExpectedHoweverLongItWaits) {
  auto snapshots = three_snapshots({3, 3, 3});
  Layers layers = run_layers(snapshots, 5, capture_seconds(snapshots));
  const Cluster& steady = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(steady.verdict, report::EXPECTED) << all_reasons(steady);
  EXPECT_NE(all_reasons(steady).find("steady"), std::string::npos);
}

TEST(LifetimeThresholds, GrewThenShrankIsSuspect) {
  auto snapshots = three_snapshots({2, 6, 4});
  Layers layers = run_layers(snapshots, 5, capture_seconds(snapshots));
  const Cluster& cluster = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(cluster.verdict, report::SUSPECT) << all_reasons(cluster);
  EXPECT_FALSE(cluster.monotonic_growth);
  EXPECT_DOUBLE_EQ(cluster.growth_per_minute, 1.0);
}

TEST(LifetimeThresholds, GoneByTheLastSnapshotIsExpected) {
  auto snapshots = three_snapshots({2, 5, 0});
  Layers layers = run_layers(snapshots, 5, capture_seconds(snapshots));
  const Cluster& gone = verdict_of(layers.clusters, "main.(*OrderService).fetchOrder.func1");
  EXPECT_EQ(gone.verdict, report::EXPECTED) << all_reasons(gone);
  EXPECT_NE(all_reasons(gone).find("gone by the last snapshot"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The pipeline end to end on one small dump.

TEST(Analyze, ReportOrdersLeaksFirstAndCountsWhatWasSetAside) {
  auto snapshots = three_snapshots({1, 2, 3});
  std::vector<SnapshotOrigin> origins(3, SnapshotOrigin{"profile"});
  AnalysisOptions options;
  auto analysis = analyze(snapshots, origins, options);
  ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
  const auto& report = analysis->report;
  ASSERT_EQ(report.clusters_size(), 2);
  EXPECT_EQ(report.clusters(0).verdict(), report::LEAK);
  EXPECT_EQ(report.clusters(0).count(), 3);
  EXPECT_EQ(report.clusters(1).verdict(), report::EXPECTED);
  EXPECT_EQ(report.summary().leaks(), 1);
  EXPECT_EQ(report.summary().leaked_goroutines(), 3);
  EXPECT_EQ(report.summary().goroutines(), 7);
  EXPECT_EQ(report.snapshots_size(), 3);
  EXPECT_EQ(report.snapshots(2).capture_time_origin(), "profile");
  EXPECT_EQ(report.rules_version(), default_rules().version);

  // --focus / --ignore leave goroutines out before layer 1.
  options.ignore = "fetchOrder";
  auto ignored = analyze(snapshots, origins, options);
  ASSERT_TRUE(ignored.has_value());
  EXPECT_EQ(ignored->report.summary().leaks(), 0);
  options.ignore = "(";
  auto bad = analyze(snapshots, origins, options);
  ASSERT_FALSE(bad.has_value());
  EXPECT_TRUE(bad.error().message.starts_with("--ignore: ")) << bad.error().message;
  EXPECT_FALSE(analyze({}, {}, AnalysisOptions{}).has_value());
}

TEST(Analyze, RecordsDoNotPointIntoTheCallersOptions) {
  // The CLI builds its options in a function that returns the analysis; -v then prints each
  // record's why. What the records point to must belong to the analysis.
  std::vector<Snapshot> snapshots;
  snapshots.push_back(parse(kLayerOneDump));
  std::optional<Analysis> analysis;
  {
    AnalysisOptions options;
    auto result = analyze(snapshots, {}, options);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    analysis = std::move(*result);
    for (auto& rule : options.rules.system) std::fill(rule.why.begin(), rule.why.end(), '#');
    for (auto& rule : options.rules.blocking) {
      std::fill(rule.operation.begin(), rule.operation.end(), '#');
    }
  }
  EXPECT_EQ(record_of(analysis->input, 49).why, "idle HTTP keep-alive connection");
  EXPECT_EQ(record_of(analysis->input, 12).why, "the profile capture itself");
  EXPECT_EQ(record_of(analysis->input, 39).blocking_operation, "sync.Mutex.Lock");
}

TEST(SarifReport, NothingFoundIsAnEmptyResultsList) {
  // SARIF 2.1.0, 3.14.23: a run that found nothing has "results": []; without the list, it
  // says the tool did not run.
  auto sarif = sarif_report(report::Report{});
  ASSERT_TRUE(sarif.has_value()) << sarif.error().message;
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*sarif, &parsed).ok()) << *sarif;
  const auto& run = parsed.fields().at("runs").list_value().values(0).struct_value();
  ASSERT_TRUE(run.fields().contains("results")) << *sarif;
  EXPECT_TRUE(run.fields().at("results").has_list_value());
  EXPECT_EQ(run.fields().at("results").list_value().values_size(), 0);
}

// ---------------------------------------------------------------------------------------------
// A million goroutines: 1,000 distinct stacks, 100 clusters of 10,000.

TEST(PatternClustering, MillionSyntheticGoroutinesClusterExactly) {
  constexpr int kBlockedSites = 50;
  constexpr int kCreators = 2;
  constexpr int kDepths = 10;  // recursion depth below the blocked frame: 0..9
  constexpr int kStacks = kBlockedSites * kCreators * kDepths;
  constexpr int kGoroutines = 1'000'000;

  std::vector<Snapshot> snapshots(1);
  Snapshot& snapshot = snapshots[0];
  FrameTable& frames = snapshot.frames();
  auto frame = [&](const std::string& function, const std::string& file, int64_t line) {
    return frames.intern(Frame{snapshot.intern(function), snapshot.intern(file), line});
  };
  FrameId gopark = frame("runtime.gopark", "/usr/lib/go/src/runtime/proc.go", 363);
  FrameId chanrecv = frame("runtime.chanrecv1", "/usr/lib/go/src/runtime/chan.go", 442);
  FrameId recurse = frame("main.recurse", "/app/recurse.go", 9);
  std::vector<FrameId> blocked, creators;
  for (int i = 0; i < kBlockedSites; ++i) {
    blocked.push_back(frame(fmt::format("main.wait{}", i), "/app/wait.go", 10 + i));
  }
  for (int i = 0; i < kCreators; ++i) {
    creators.push_back(frame(fmt::format("main.spawn{}", i), "/app/spawn.go", 20 + i));
  }
  struct Shape {
    Stack stack;
    FrameId creator;
  };
  std::vector<Shape> shapes;
  for (int s = 0; s < kStacks; ++s) {
    int site = s % kBlockedSites;
    int depth = (s / kBlockedSites) % kDepths;
    int creator = s / (kBlockedSites * kDepths);
    std::vector<FrameId> stack{gopark, chanrecv, blocked[site]};
    for (int d = 0; d < depth; ++d) stack.push_back(recurse);
    shapes.push_back(Shape{snapshot.intern_stack(stack), creators[creator]});
  }
  std::string_view status = snapshot.intern("chan receive");
  snapshot.threads.resize(kGoroutines);
  for (int i = 0; i < kGoroutines; ++i) {
    GreenThread& thread = snapshot.threads[i];
    const Shape& shape = shapes[i % kStacks];
    thread.id = static_cast<uint64_t>(i) + 1;
    thread.status = status;
    thread.state = ThreadState::kWaiting;
    thread.stack = shape.stack;
    thread.created_by = shape.creator;
  }

  auto analysis = analyze(snapshots, {}, AnalysisOptions{});
  ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
  const auto& report = analysis->report;
  EXPECT_EQ(report.summary().goroutines(), kGoroutines);
  EXPECT_EQ(report.summary().dropped_system(), 0);
  ASSERT_EQ(report.clusters_size(), kBlockedSites * kCreators);
  std::set<std::pair<std::string, std::string>> seen;
  int64_t total = 0;
  for (const auto& cluster : report.clusters()) {
    EXPECT_EQ(cluster.count(), kGoroutines / (kBlockedSites * kCreators)) << cluster.id();
    EXPECT_EQ(cluster.blocking_operation(), "chan receive");
    EXPECT_TRUE(cluster.blocked_at().function().starts_with("main.wait"));
    EXPECT_TRUE(cluster.created_by().function().starts_with("main.spawn"));
    seen.emplace(cluster.blocked_at().function(), cluster.created_by().function());
    total += cluster.count();
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kBlockedSites * kCreators));
  EXPECT_EQ(total, kGoroutines);
  // Thread i (goroutine i + 1) has shape i % 1000; main.wait0 by main.spawn0 are shapes 0, 50,
  // ... 450: goroutines 1 to 999,451.
  for (const auto& cluster : analysis->clusters) {
    if (cluster.blocked_at.function() == "main.wait0" &&
        cluster.created_by.function() == "main.spawn0") {
      EXPECT_EQ(cluster.min_id, 1u);
      EXPECT_EQ(cluster.max_id, 999'451u);
    }
  }
}

}  // namespace
}  // namespace leakscan

namespace leakscan {
namespace {

// Every real dump of the corpus goes through all five layers and every reporter: the report
// accounts for each goroutine of the last snapshot exactly once.
class CorpusAnalysis : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusAnalysis, EveryGoroutineIsClusteredOrSetAside) {
  auto snapshots = read_snapshots(testing::data_path("corpus/" + GetParam()));
  ASSERT_TRUE(snapshots.has_value()) << snapshots.error().message;
  auto analysis = analyze(*snapshots, {}, AnalysisOptions{});
  ASSERT_TRUE(analysis.has_value()) << analysis.error().message;
  const auto& summary = analysis->report.summary();
  int64_t clustered = 0;
  for (const auto& cluster : analysis->report.clusters()) {
    clustered += cluster.count();
    EXPECT_FALSE(cluster.reasons().empty()) << cluster.id();
    EXPECT_EQ(cluster.count_per_snapshot_size(), static_cast<int>(snapshots->size()));
  }
  EXPECT_EQ(clustered + summary.dropped_system() + summary.finishing(), summary.goroutines())
      << GetParam();
  EXPECT_EQ(summary.goroutines(), snapshots->back().goroutine_count());
  EXPECT_TRUE(json_report(analysis->report).has_value());
  EXPECT_TRUE(sarif_report(analysis->report).has_value());
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  ASSERT_NE(out, nullptr);
  write_text_report(*analysis, TextOptions{.color = false, .verbose = true}, out);
  write_markdown_report(*analysis, out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  EXPECT_NE(text.find("goroutines"), std::string::npos);
}

std::vector<std::string> corpus_names() {
  std::vector<std::string> names;
  for (const auto& row : testing::read_tsv(testing::data_path("corpus/expected.tsv"))) {
    names.push_back(row.at(0));
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusAnalysis, ::testing::ValuesIn(corpus_names()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace leakscan

namespace leakscan {
namespace {

TEST(CodeOwners, ManyStarsDoNotBacktrackExponentially) {
  // Found by fuzz_config: a backtracking matcher took minutes on this; the table takes
  // microseconds.
  std::string path(200, 'a');
  EXPECT_FALSE(codeowners_pattern_matches("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", path));
  EXPECT_TRUE(codeowners_pattern_matches("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", path));
  EXPECT_TRUE(codeowners_pattern_matches("**/**/**/**/**/**/x.go", "a/b/c/d/e/f/g/x.go"));
  EXPECT_FALSE(codeowners_pattern_matches("**/**/**/**/**/**/x.go", "a/b/c/d/e/f/g/yx.go"));
}

}  // namespace
}  // namespace leakscan
