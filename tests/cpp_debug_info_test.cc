// Most C++ services ship without debug information. samples/cpp/plain_fibers (free functions
// in the global namespace, plain Boost primitives, a waiting main) built with -g, without it,
// and with its DWARF stripped leaks the same fibers; the agent names their functions from
// DWARF or from the symbol table, and the analysis must find the same leaks in all three: a
// function of the service's own binary is program code with or without a file and line, `main`
// included.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "analyzer/engine/find_leaks.h"
#include "analyzer/readers/read_snapshots.h"
#include "tests/support/process.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;

// (verdict, blocked at, created by) of every cluster that is not expected.
using Finding = std::tuple<std::string, std::string, std::string>;

struct Service {
  std::set<Finding> findings;
  // Of each cluster's creation stack (the agent records the creator's), the functions.
  std::map<std::string, std::vector<std::string>> creation_stacks;  // by blocked-at function
  int64_t set_aside = 0;  // goroutines layer 1 put aside as runtime or library
};

Service run(const std::string& binary) {
  Service out;
  testing::ChildProcess service({binary});
  std::string agent;
  for (int i = 0; i < 10 && agent.empty(); ++i) {
    auto line = service.read_line(30s);
    if (!line) break;
    if (line->starts_with("AGENT ")) agent = line->substr(6);
  }
  EXPECT_FALSE(agent.empty()) << binary << ": " << service.stderr_text();
  if (agent.empty()) return out;
  // The fiber that said so parks just after: a snapshot taken while it switches skips it.
  std::this_thread::sleep_for(300ms);
  // The text dump (which reads back as Go's) gives the findings; the profile, which carries
  // what the agent knows of each fiber, the creation stacks.
  for (int debug : {2, 0}) {
    auto body = testing::http_get(
        fmt::format("http://{}/debug/pprof/goroutine?debug={}", agent, debug), 30s);
    EXPECT_TRUE(body.has_value()) << binary;
    if (!body) return out;
    auto snapshots = read_snapshots_from_memory(*body, binary);
    EXPECT_TRUE(snapshots.has_value()) << snapshots.error().message;
    if (!snapshots) return out;
    auto analysis = analyze(*snapshots, AnalysisOptions{});
    EXPECT_TRUE(analysis.has_value()) << analysis.error().message;
    if (!analysis) return out;
    const auto& report = analysis->report;
    for (const auto& cluster : report.clusters()) {
      if (debug == 0) {
        auto& stack = out.creation_stacks[cluster.blocked_at().function()];
        for (const auto& frame : cluster.creation_stack()) stack.push_back(frame.function());
        continue;
      }
      out.findings.emplace(report::Verdict_Name(cluster.verdict()), cluster.blocked_at().function(),
                           cluster.created_by().function());
    }
    if (debug == 2) out.set_aside = report.summary().dropped_system();
  }
  return out;
}

std::string listed(const std::set<Finding>& findings) {
  std::string out;
  for (const auto& [verdict, blocked_at, created_by] : findings) {
    out += fmt::format("  {} {} created by {}\n", verdict, blocked_at, created_by);
  }
  return out;
}

bool blocked_in(const std::set<Finding>& findings, std::string_view function) {
  return std::any_of(findings.begin(), findings.end(),
                     [&](const Finding& finding) { return std::get<1>(finding) == function; });
}

TEST(CppDebugInfo, BuildsWithAndWithoutDebugInformationGiveTheSameFindings) {
  Service with_g = run(LEAKSCAN_PLAIN_FIBERS);
  Service without_g = run(LEAKSCAN_PLAIN_FIBERS_NODEBUG);
  Service stripped = run(LEAKSCAN_PLAIN_FIBERS_STRIPPED);

  for (const Service* service : {&with_g, &without_g, &stripped}) {
    SCOPED_TRACE(listed(service->findings));
    // Its two leaks at their free functions, not set aside as the runtime's or a library's.
    EXPECT_TRUE(blocked_in(service->findings, "await_reply"));
    EXPECT_TRUE(blocked_in(service->findings, "hold_and_wait"));
    // Where they were made reaches the report: the creation site, then its callers to main.
    auto stack = service->creation_stacks.find("await_reply");
    ASSERT_NE(stack, service->creation_stacks.end());
    const auto& made = stack->second;
    ASSERT_GE(made.size(), 2U);
    EXPECT_EQ(made.front(), "start_requests");
    EXPECT_NE(std::find(made.begin(), made.end(), "main"), made.end());
    EXPECT_EQ(service->set_aside, 0);
  }
  EXPECT_EQ(without_g.findings, with_g.findings) << "without -g:\n"
                                                 << listed(without_g.findings) << "with -g:\n"
                                                 << listed(with_g.findings);
  EXPECT_EQ(stripped.findings, with_g.findings) << "stripped:\n"
                                                << listed(stripped.findings) << "with -g:\n"
                                                << listed(with_g.findings);
}

}  // namespace
}  // namespace leakscan
