#include "analyzer/readers/go_test_output.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <unordered_map>

#include "analyzer/readers/go_traceback_reader.h"

namespace leakscan {
namespace {

constexpr std::string_view kFound = "found unexpected goroutines:";
constexpr std::string_view kGoroutine = "Goroutine ";
constexpr size_t kMaxLines = 10'000'000;

std::string_view trim_left(std::string_view line) {
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  return line;
}

// "--- FAIL: TestLeaks (0.45s)" -> "TestLeaks".
std::string_view failed_test(std::string_view line) {
  line = trim_left(line);
  if (!line.starts_with("--- FAIL: ")) return {};
  line.remove_prefix(10);
  return line.substr(0, line.find(' '));
}

// "Goroutine 19 in state chan receive, with F on top of the stack:" -> "goroutine 19 [chan
// receive]:" as Go's traceback heads it.
std::string goroutine_header(std::string_view line) {
  line.remove_prefix(kGoroutine.size());
  size_t space = line.find(' ');
  constexpr std::string_view kInState = " in state ";
  if (space == std::string_view::npos ||
      line.substr(space).substr(0, kInState.size()) != kInState) {
    return {};
  }
  std::string_view id = line.substr(0, space);
  std::string_view state = line.substr(space + kInState.size());
  size_t with = state.rfind(", with ");
  if (with == std::string_view::npos) return {};
  return fmt::format("goroutine {} [{}]:", id, state.substr(0, with));
}

}  // namespace

bool looks_like_goleak(std::string_view head) {
  size_t found = head.find(kFound);
  if (found == std::string_view::npos) return false;
  return head.find("[Goroutine ", found) != std::string_view::npos &&
         head.find("\ngoroutine ") == std::string_view::npos;
}

Result<std::vector<Snapshot>> read_goleak(std::string_view text, const std::string& name,
                                          const ReadLimits& limits) {
  // goleak's stacks are Go's own traceback lines indented by t.Error: rewrite each report as the
  // dump it quotes, then read that with the traceback reader.
  std::string dump;
  std::unordered_map<uint64_t, std::string> test_of;
  std::string test;
  std::string_view indent;
  bool in_report = false;
  size_t lines = 0;
  for (size_t at = 0; at < text.size() && lines < kMaxLines; ++lines) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (auto failed = failed_test(line); !failed.empty()) {
      test = failed;
      in_report = false;
      continue;
    }
    if (line.find(kFound) != std::string_view::npos) {
      in_report = true;
      continue;
    }
    if (!in_report) continue;
    std::string_view content = trim_left(line);
    if (content.starts_with('[')) content.remove_prefix(1);
    if (content.starts_with(kGoroutine)) {
      std::string header = goroutine_header(content);
      if (header.empty()) continue;
      indent = line.substr(0, line.size() - trim_left(line).size());
      uint64_t id = std::strtoull(header.c_str() + 10, nullptr, 10);
      if (!test.empty()) test_of[id] = test;
      if (!dump.empty()) dump += '\n';
      dump += header;
      dump += '\n';
      continue;
    }
    if (content == "]" || content.empty()) {
      in_report = content.empty() ? in_report : false;
      continue;
    }
    // A frame line: the report's indentation taken off, Go's tab before file lines kept.
    if (line.starts_with(indent)) line.remove_prefix(indent.size());
    if (line.ends_with("]") && !line.ends_with("[]")) line.remove_suffix(1);
    dump += line;
    dump += '\n';
  }
  if (dump.empty()) {
    return Error{fmt::format("{}: goleak's \"{}\" lists no goroutine", name, kFound)};
  }
  auto snapshots = read_go_traceback(dump, name, limits, /*image=*/false);
  if (!snapshots) return snapshots.error();
  for (Snapshot& snapshot : *snapshots) {
    if (snapshot.reason.empty()) snapshot.reason = kGoleakReason;
    for (GreenThread& thread : snapshot.threads) {
      auto it = test_of.find(thread.id);
      if (it == test_of.end()) continue;
      thread.labels.push_back(
          Label{.key = snapshot.intern(kTestLabel), .str = snapshot.intern(it->second)});
    }
  }
  return snapshots;
}

std::vector<std::string> running_tests(std::string_view head) {
  std::vector<std::string> tests;
  size_t panic = head.find("panic: test timed out after ");
  if (panic == std::string_view::npos) return tests;
  size_t running = head.find("running tests:", panic);
  if (running == std::string_view::npos) return tests;
  size_t at = head.find('\n', running);
  // "\t\tTestHang (2s)" lines until a blank one.
  for (int count = 0; at != std::string_view::npos && count < 10'000; ++count) {
    size_t end = head.find('\n', at + 1);
    std::string_view line = head.substr(at + 1, end == std::string_view::npos ? end : end - at - 1);
    while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
    if (line.empty() || !line.starts_with("Test") && !line.starts_with("Example") &&
                            !line.starts_with("Fuzz") && !line.starts_with("Benchmark")) {
      break;
    }
    tests.emplace_back(line.substr(0, line.find(' ')));
    at = end;
  }
  return tests;
}

void label_test_goroutines(std::span<const std::string> tests, Snapshot& snapshot) {
  if (tests.empty()) return;
  // A subtest "TestA/case" runs in a function of its own; its parent's frame names TestA.
  auto test_in_stack = [&](const GreenThread& thread) -> const std::string* {
    for (const std::string& test : tests) {
      std::string_view top = std::string_view(test).substr(0, test.find('/'));
      for (FrameId id : thread.stack) {
        std::string_view function = snapshot.frame(id).function;
        size_t dot = function.rfind('.');
        if (dot != std::string_view::npos && function.substr(dot + 1) == top) return &test;
      }
    }
    return nullptr;
  };
  std::unordered_map<uint64_t, std::string_view> test_of;
  for (const GreenThread& thread : snapshot.threads) {
    if (const std::string* test = test_in_stack(thread)) test_of[thread.id] = *test;
  }
  // Creators before the goroutines they created, as many rounds as the chain is long.
  for (size_t round = 0; round < snapshot.threads.size() && round < 64; ++round) {
    size_t added = 0;
    for (const GreenThread& thread : snapshot.threads) {
      if (thread.creator_id == 0 || test_of.contains(thread.id)) continue;
      if (auto it = test_of.find(thread.creator_id); it != test_of.end()) {
        test_of[thread.id] = it->second;
        ++added;
      }
    }
    if (added == 0) break;
  }
  for (GreenThread& thread : snapshot.threads) {
    auto it = test_of.find(thread.id);
    if (it == test_of.end()) continue;
    thread.labels.push_back(
        Label{.key = snapshot.intern(kTestLabel), .str = snapshot.intern(it->second)});
  }
}

}  // namespace leakscan
