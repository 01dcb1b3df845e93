// Ground truth from real Go: samples/go/zoo starts a known goroutine population and serves
// net/http/pprof on 127.0.0.1; these tests capture its real debug=0/1/2 output, panic,
// deadlock and SIGQUIT dumps, and check what the readers, `leakscan convert`, Go's own profile
// package (pprofcheck) and `go tool pprof` make of them. The zoo runs as built by each Go
// toolchain the tests run on (go1.19, go1.26, go1.27).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "analyzer/readers/read_snapshots.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using namespace std::chrono_literals;
using testing::go_bin;
using testing::run_command;

struct Population {
  std::string function;  // main.blockChanSend
  int64_t count = 0;
  std::string status;  // as Go prints it in the brackets, without annotations
  bool locked = false;
};

// zoo prints "EXPECT blockLocked 1 chan_receive,_locked_to_thread" per population.
Population parse_expect(const std::string& line) {
  std::istringstream in(line);
  std::string tag, state;
  Population p;
  in >> tag >> p.function >> p.count >> state;
  p.function = "main." + p.function;
  std::replace(state.begin(), state.end(), '_', ' ');
  if (auto comma = state.find(", locked to thread"); comma != std::string::npos) {
    p.locked = true;
    state.erase(comma);
  }
  p.status = state;
  return p;
}

bool stack_has(const Snapshot& snapshot, Stack stack, std::string_view function) {
  return std::any_of(stack.begin(), stack.end(),
                     [&](FrameId id) { return snapshot.frame(id).function == function; });
}

Snapshot read_one(const std::string& bytes, const std::string& name) {
  auto snapshots = read_snapshots_from_memory(bytes, name);
  EXPECT_TRUE(snapshots.has_value()) << (snapshots ? "" : snapshots.error().message);
  if (!snapshots) return Snapshot{};
  EXPECT_EQ(snapshots->size(), 1u) << name;
  return std::move(snapshots->front());
}

// Goroutines of one population, whatever the format.
int64_t count_of(const Snapshot& snapshot, std::string_view function) {
  int64_t count = 0;
  for (const auto& thread : snapshot.threads) count += stack_has(snapshot, thread.stack, function);
  for (const auto& sample : snapshot.samples) {
    if (stack_has(snapshot, sample.stack, function)) count += sample.count;
  }
  return count;
}

// The zoo's own goroutines with the runtime's frames removed: debug=0 shows runtime.gopark and
// friends, debug=1 and debug=2 hide them, so only this part is comparable across formats.
std::map<std::string, int64_t> zoo_stacks(const Snapshot& snapshot) {
  std::map<std::string, int64_t> out;
  auto add = [&](Stack stack, int64_t count) {
    std::string key;
    bool zoo = false;
    for (FrameId id : stack) {
      std::string_view function = snapshot.frame(id).function;
      zoo = zoo || function.starts_with("main.block");
      if (function.starts_with("runtime.")) continue;
      key += fmt::format("{}:{};", function, snapshot.frame(id).line);
    }
    if (zoo) out[key] += count;
  };
  for (const auto& thread : snapshot.threads) add(thread.stack, 1);
  for (const auto& sample : snapshot.samples) add(sample.stack, sample.count);
  return out;
}

// pprofcheck prints "COUNT\tf1;f2;...\tlabels" per sample, sorted, then "total N".
std::map<std::string, int64_t> pprofcheck_stacks(const std::string& output, int64_t* total) {
  std::map<std::string, int64_t> out;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("total ")) {
      *total = std::stoll(line.substr(6));
      continue;
    }
    auto tab = line.find('\t');
    auto tab2 = line.find('\t', tab + 1);
    out[line.substr(tab + 1, tab2 - tab - 1)] += std::stoll(line.substr(0, tab));
  }
  return out;
}

std::map<std::string, int64_t> function_stacks(const Snapshot& snapshot) {
  std::map<std::string, int64_t> out;
  for (const auto& row : testing::stack_multiset(snapshot)) {
    auto tab = row.find('\t');
    out[row.substr(tab + 1)] += std::stoll(row.substr(0, tab));
  }
  return out;
}

// One zoo per Go version, started by the first test of that version and ended with the suite.
class ZooCapture : public ::testing::TestWithParam<std::string> {
 protected:
  struct Zoo {
    std::unique_ptr<testing::ChildProcess> process;
    std::vector<Population> populations;
    std::string address;
    std::map<int, std::string> captures;
  };

  void SetUp() override {
    auto [it, started] = zoos_.try_emplace(GetParam());
    zoo_ = &it->second;
    if (!started) {
      ASSERT_FALSE(zoo_->address.empty()) << GetParam() << "'s zoo did not start";
      return;
    }
    zoo_->process = std::make_unique<testing::ChildProcess>(std::vector<std::string>{bin("zoo")});
    for (int i = 0; i < 100; ++i) {
      auto line = zoo_->process->read_line(30s);
      ASSERT_TRUE(line.has_value())
          << "zoo printed no LISTENING line: " << zoo_->process->stderr_text();
      if (line->starts_with("EXPECT ")) zoo_->populations.push_back(parse_expect(*line));
      if (line->starts_with("LISTENING ")) {
        zoo_->address = line->substr(10);
        break;
      }
    }
    ASSERT_FALSE(zoo_->address.empty());
    for (int debug : {0, 1, 2}) {
      auto body = testing::http_get(
          fmt::format("http://{}/debug/pprof/goroutine?debug={}", zoo_->address, debug));
      ASSERT_TRUE(body.has_value()) << "debug=" << debug;
      zoo_->captures[debug] = *body;
    }
  }
  static void TearDownTestSuite() { zoos_.clear(); }

  std::string bin(const std::string& program) const { return go_bin(GetParam(), program); }
  std::string save(int debug) const {
    std::string path = fmt::format("{}/zoo-debug{}", testing::temp_dir(), debug);
    testing::write_file(path, zoo_->captures[debug]);
    return path;
  }

  Zoo* zoo_ = nullptr;
  static inline std::map<std::string, Zoo> zoos_;
};

std::string version_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

TEST_P(ZooCapture, Debug2HasEveryPopulationWithItsState) {
  Snapshot snapshot = read_one(zoo_->captures[2], "debug2");
  EXPECT_EQ(snapshot.format, SourceFormat::kGoTraceback);
  ASSERT_FALSE(zoo_->populations.empty());
  for (const auto& p : zoo_->populations) {
    int64_t found = 0;
    for (const auto& thread : snapshot.threads) {
      if (!stack_has(snapshot, thread.stack, p.function)) continue;
      ++found;
      EXPECT_EQ(thread.status, p.status) << p.function;
      EXPECT_EQ(thread.locked_to_thread, p.locked) << p.function;
      EXPECT_EQ(thread.state, p.status == "sleep"     ? ThreadState::kSleeping
                              : p.status == "syscall" ? ThreadState::kSyscall
                                                      : ThreadState::kWaiting)
          << p.function;
      ASSERT_NE(thread.created_by, kNoFrame) << p.function;
      EXPECT_EQ(snapshot.frame(thread.created_by).function, "main.startN");
      EXPECT_TRUE(snapshot.frame(thread.created_by).file.ends_with("zoo/main.go"));
      EXPECT_GT(thread.id, 0u);
    }
    EXPECT_EQ(found, p.count) << p.function;
  }
}

TEST_P(ZooCapture, Debug1AndDebug0CountEveryPopulationAndKeepLabels) {
  for (int debug : {0, 1}) {
    Snapshot snapshot = read_one(zoo_->captures[debug], fmt::format("debug{}", debug));
    EXPECT_TRUE(snapshot.aggregated());
    EXPECT_EQ(snapshot.format, debug == 0 ? SourceFormat::kPprofProto : SourceFormat::kGoDebug1);
    for (const auto& p : zoo_->populations) {
      EXPECT_EQ(count_of(snapshot, p.function), p.count) << p.function << " debug=" << debug;
    }
    int64_t labeled = 0;
    for (const auto& sample : snapshot.samples) {
      if (!stack_has(snapshot, sample.stack, "main.blockLabeled")) continue;
      std::map<std::string, std::string> labels;
      for (const auto& label : sample.labels) labels[std::string(label.key)] = label.str;
      EXPECT_EQ(labels["leakscan_test"], "labeled");
      EXPECT_EQ(labels["route"], "/api/orders");
      labeled += sample.count;
    }
    EXPECT_EQ(labeled, 3) << "debug=" << debug;
  }
}

TEST_P(ZooCapture, AllThreeFormatsGiveTheSameStacks) {
  auto debug0 = zoo_stacks(read_one(zoo_->captures[0], "debug0"));
  auto debug1 = zoo_stacks(read_one(zoo_->captures[1], "debug1"));
  auto debug2 = zoo_stacks(read_one(zoo_->captures[2], "debug2"));
  EXPECT_FALSE(debug2.empty());
  EXPECT_EQ(debug0, debug1);
  EXPECT_EQ(debug1, debug2);
}

TEST_P(ZooCapture, ConvertedDebug2OpensInGoProfilePackageWithSameStacks) {
  std::string out = testing::temp_dir() + "/debug2.pb.gz";
  auto convert = run_command({testing::cli_path(), "convert", save(2), "-o", out});
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  auto check = run_command({bin("pprofcheck"), out});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  int64_t total = 0;
  auto theirs = pprofcheck_stacks(check.out, &total);
  Snapshot snapshot = read_one(zoo_->captures[2], "debug2");
  EXPECT_EQ(total, snapshot.goroutine_count());
  EXPECT_EQ(theirs, function_stacks(snapshot));
  // One sample per goroutine, carrying the thread labels.
  EXPECT_NE(check.out.find("goid="), std::string::npos);
  EXPECT_NE(check.out.find("state=chan receive (nil chan)"), std::string::npos);
  EXPECT_NE(check.out.find("created_by=main.startN at "), std::string::npos);
}

TEST_P(ZooCapture, ConvertedDebug0KeepsWhatGoWrote) {
  std::string original = save(0);
  std::string out = testing::temp_dir() + "/debug0.pb.gz";
  auto convert = run_command({testing::cli_path(), "convert", original, "-o", out});
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  auto before = run_command({bin("pprofcheck"), original});
  auto after = run_command({bin("pprofcheck"), out});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(before.out, after.out);  // stacks, counts and pprof.Do labels
}

TEST_P(ZooCapture, GoToolPprofReadsConvertedDumps) {
  std::string out = testing::temp_dir() + "/debug2.pb.gz";
  ASSERT_EQ(run_command({testing::cli_path(), "convert", save(2), "-o", out}).exit_code, 0);
  auto traces = run_command({LEAKSCAN_GO_PPROF, "-traces", out});
  ASSERT_EQ(traces.exit_code, 0) << traces.err;
  EXPECT_NE(traces.out.find("main.blockChanSend"), std::string::npos);
  EXPECT_NE(traces.out.find("state:  chan send"), std::string::npos) << traces.out.substr(0, 2000);

  // -tagfocus on the state label selects exactly the channel-blocked goroutines.
  auto top = run_command({LEAKSCAN_GO_PPROF, "-tagfocus=state=chan", "-top", out});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  Snapshot snapshot = read_one(zoo_->captures[2], "debug2");
  int64_t on_chan = 0;
  for (const auto& thread : snapshot.threads)
    on_chan += thread.status.find("chan") != std::string_view::npos;
  EXPECT_NE(top.out.find(fmt::format("Showing nodes accounting for {}, ", on_chan)),
            std::string::npos)
      << top.out;
}

TEST_P(ZooCapture, TextConversionReadsBackTheSame) {
  for (int debug : {0, 2}) {
    auto text = run_command({testing::cli_path(), "convert", save(debug), "--to", "text"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    Snapshot back = read_one(text.out, "text");
    Snapshot original = read_one(zoo_->captures[debug], "original");
    EXPECT_EQ(testing::stack_multiset(back), testing::stack_multiset(original))
        << "debug=" << debug;
    EXPECT_EQ(back.aggregated(), original.aggregated());
  }
}

TEST_P(ZooCapture, AnalyzesLiveEndpointsInCaptureOrder) {
  // Two fetches of the live endpoint: time fetched orders them and gives the growth rate.
  std::string url = fmt::format("http://{}/debug/pprof/goroutine", zoo_->address);
  // Without Go's leak profile, which Go 1.27 serves and proves the zoo's real leaks with.
  auto result = run_command(
      {testing::cli_path(), url + "?debug=2", url, "--format", "json", "--no-leak-profile"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find(R"("capture_time_origin": "time fetched")"), std::string::npos)
      << result.out.substr(0, 2000);
  EXPECT_NE(result.out.find(R"("format": "debug=2")"), std::string::npos);
  EXPECT_NE(result.out.find(R"("format": "pprof")"), std::string::npos);
  // The zoo holds still: nothing grows, nothing leaks.
  EXPECT_NE(result.out.find(R"("leaks": "0")"), std::string::npos) << result.out.substr(0, 3000);

  auto missing =
      run_command({testing::cli_path(), fmt::format("http://{}/nothing", zoo_->address)});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/nothing: HTTP status 404"), std::string::npos) << missing.err;

  // Go 1.27 serves its leak profile beside the goroutine profile: fetched by default and listed;
  // Go 1.19 and 1.26 (without the experiment) answer 404, and nothing is said of it.
  auto with_proof = run_command({testing::cli_path(), url + "?debug=2", "--format", "json"});
  ASSERT_EQ(with_proof.exit_code, 0) << with_proof.err;
  const bool served = GetParam() == "go1.27";
  EXPECT_EQ(with_proof.out.find("/debug/pprof/goroutineleak?debug=1") != std::string::npos, served)
      << with_proof.out.substr(0, 2000);
  EXPECT_EQ(with_proof.err.find("goroutineleak?debug=1: Go's goroutineleak profile (") !=
                std::string::npos,
            served)
      << with_proof.err;
}

TEST_P(ZooCapture, ColourOnlyWhenAskedOrOnATerminal) {
  std::string dump = save(2);
  // Not a terminal (a pipe): plain text, whatever NO_COLOR says.
  auto plain = run_command({testing::cli_path(), dump, "--min-wait", "0s"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.find('\x1b'), std::string::npos);
  auto forced = run_command({testing::cli_path(), dump, "--min-wait", "0s", "--color", "always"});
  EXPECT_NE(forced.out.find("\x1b["), std::string::npos) << forced.out.substr(0, 500);
}

TEST_P(ZooCapture, SummaryReadsStandardInput) {
  auto result = run_command({testing::cli_path(), "-"}, 60s, zoo_->captures[2]);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  Snapshot snapshot = read_one(zoo_->captures[2], "debug2");
  EXPECT_NE(
      result.out.find(fmt::format("<stdin>: {} goroutines (debug=2)", snapshot.goroutine_count())),
      std::string::npos)
      << result.out;
}

INSTANTIATE_TEST_SUITE_P(EveryGo, ZooCapture, ::testing::ValuesIn(testing::go_versions()),
                         version_name);

// Populations from the EXPECT lines a zoo run printed on stdout.
std::vector<Population> expected_populations(const std::string& stdout_text) {
  std::vector<Population> out;
  std::istringstream in(stdout_text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("EXPECT ")) out.push_back(parse_expect(line));
  }
  return out;
}

void expect_populations(const Snapshot& snapshot, const std::vector<Population>& populations) {
  ASSERT_FALSE(populations.empty());
  for (const auto& p : populations)
    EXPECT_EQ(count_of(snapshot, p.function), p.count) << p.function;
}

class ZooCrash : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooCrash, PanicWithTracebackAll) {
  auto run =
      run_command({go_bin(GetParam(), "zoo"), "-mode", "panic"}, 60s, {}, {"GOTRACEBACK=all"});
  EXPECT_EQ(run.exit_code, 2);
  Snapshot snapshot = read_one(run.err, "panic");
  EXPECT_EQ(snapshot.reason, "panic: leakscan zoo panic");
  expect_populations(snapshot, expected_populations(run.out));
  // The panicking goroutine comes first, running, in main.zooPanic.
  ASSERT_FALSE(snapshot.threads.empty());
  EXPECT_EQ(snapshot.threads.front().status, "running");
  EXPECT_EQ(snapshot.frame(snapshot.threads.front().stack.front()).function, "main.zooPanic");
}

TEST_P(ZooCrash, Deadlock) {
  auto run = run_command({go_bin(GetParam(), "zoo"), "-mode", "deadlock"}, 60s);
  EXPECT_EQ(run.exit_code, 2);
  Snapshot snapshot = read_one(run.err, "deadlock");
  EXPECT_EQ(snapshot.reason, "fatal error: all goroutines are asleep - deadlock!");
  expect_populations(snapshot, expected_populations(run.out));
}

// What a started zoo printed up to its LISTENING line (its EXPECT lines among it).
std::string stdout_until_listening(testing::ChildProcess& zoo) {
  std::string text;
  for (int i = 0; i < 100; ++i) {
    auto line = zoo.read_line(30s);
    if (!line) break;
    text += *line + "\n";
    if (line->starts_with("LISTENING ")) break;
  }
  return text;
}

TEST_P(ZooCrash, SigquitDumpsEveryGoroutineWithRuntimeFrames) {
  testing::ChildProcess zoo({go_bin(GetParam(), "zoo")});
  std::string stdout_text = stdout_until_listening(zoo);
  ASSERT_NE(stdout_text.find("LISTENING "), std::string::npos) << zoo.stderr_text();
  zoo.signal(SIGQUIT);
  auto code = zoo.wait(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
  Snapshot snapshot = read_one(zoo.stderr_text(), "sigquit");
  EXPECT_EQ(snapshot.reason, "SIGQUIT: quit");
  expect_populations(snapshot, expected_populations(stdout_text));
  // SIGQUIT shows what debug=2 hides: runtime frames and the runtime's own goroutines.
  EXPECT_GT(count_of(snapshot, "runtime.gopark"), 0);
  bool runtime_goroutine =
      std::any_of(snapshot.threads.begin(), snapshot.threads.end(),
                  [](const GreenThread& t) { return t.state == ThreadState::kIdle; });
  EXPECT_TRUE(runtime_goroutine);
}

TEST_P(ZooCrash, GotracebackCrashIsOneDumpWhateverItsThreadSections) {
  // GOTRACEBACK=crash prints the goroutines, then for every other thread "-----", its own
  // "SIGQUIT: quit" and its scheduler stack as goroutine 0, repeating goroutines they run.
  testing::ChildProcess zoo({go_bin(GetParam(), "zoo")}, {"GOTRACEBACK=crash"});
  std::string stdout_text = stdout_until_listening(zoo);
  ASSERT_NE(stdout_text.find("LISTENING "), std::string::npos) << zoo.stderr_text();
  zoo.signal(SIGQUIT);
  ASSERT_TRUE(zoo.wait(30s).has_value());
  std::string dump = zoo.stderr_text();
  ASSERT_NE(dump.find("\n-----\n"), std::string::npos) << "no per-thread sections to test";
  Snapshot snapshot = read_one(dump, "crash");
  EXPECT_EQ(snapshot.reason, "SIGQUIT: quit");
  expect_populations(snapshot, expected_populations(stdout_text));
  // Every goroutine once: the headers before the first thread section.
  size_t headers = 0;
  std::istringstream in(dump.substr(0, dump.find("\n-----\n")));
  for (std::string line; std::getline(in, line);) headers += line.starts_with("goroutine ");
  EXPECT_EQ(snapshot.threads.size(), headers);
}

INSTANTIATE_TEST_SUITE_P(EveryGo, ZooCrash, ::testing::ValuesIn(testing::go_versions()),
                         version_name);

// Go 1.26's goroutine leak profile (zoo built with GOEXPERIMENT=goroutineleakprofile): the GC
// proves leaked the goroutines blocked on what nothing reachable can wake, here the zoo's
// receivers on a nil channel and its empty select. Its debug=0 and debug=1 forms hold only
// those and are read as proven leaks; its debug=2 form lists every goroutine, the proven ones
// "(leaked)"; the ordinary goroutine profile proves nothing.
class ZooLeakProfile : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooLeakProfile, ProvenLeaksAreReadAsSuch) {
  testing::ChildProcess zoo({go_bin(GetParam(), "zoo-leakprofile")});
  std::string stdout_text = stdout_until_listening(zoo);
  size_t listening = stdout_text.find("LISTENING ");
  ASSERT_NE(listening, std::string::npos) << zoo.stderr_text();
  std::string address = stdout_text.substr(listening + 10);
  address.erase(address.find('\n'));
  int64_t unwakeable = 0;
  for (const auto& p : expected_populations(stdout_text)) {
    if (p.status.ends_with("(nil chan)") || p.status == "select (no cases)") unwakeable += p.count;
  }
  ASSERT_GT(unwakeable, 0);
  auto fetch = [&](const std::string& profile, int debug) {
    auto body = testing::http_get(
        fmt::format("http://{}/debug/pprof/{}?debug={}", address, profile, debug));
    EXPECT_TRUE(body.has_value()) << profile << " debug=" << debug;
    return read_one(body.value_or(""), fmt::format("{} debug={}", profile, debug));
  };
  for (int debug : {0, 1}) {
    Snapshot leaks = fetch("goroutineleak", debug);
    EXPECT_TRUE(leaks.proven_leaked) << "debug=" << debug;
    EXPECT_EQ(leaks.goroutine_count(), unwakeable) << "debug=" << debug;
    EXPECT_EQ(count_of(leaks, "main.blockNilChan") + count_of(leaks, "main.blockSelectNoCases"),
              unwakeable);
  }
  Snapshot all = fetch("goroutineleak", 2);
  EXPECT_FALSE(all.proven_leaked);
  int64_t marked = 0;
  for (const auto& thread : all.threads) {
    bool leaked = thread.proven_leaked;
    marked += leaked;
    // The proof is read apart: the status is the runtime's word for the wait alone.
    EXPECT_FALSE(thread.status.ends_with(" (leaked)")) << thread.status;
    if (leaked) {
      EXPECT_EQ(thread.state, ThreadState::kWaiting) << thread.status;
    }
  }
  EXPECT_EQ(marked, unwakeable);
  EXPECT_GT(all.goroutine_count(), unwakeable);
  EXPECT_FALSE(fetch("goroutine", 0).proven_leaked);
}

INSTANTIATE_TEST_SUITE_P(Go126, ZooLeakProfile, ::testing::Values("go1.26", "go1.27"),
                         version_name);

TEST(Cli, MissingFileIsOneLineAndExitTwo) {
  auto run = run_command({testing::cli_path(), "/nonexistent/goroutines.txt"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find("/nonexistent/goroutines.txt: cannot open"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace leakscan

namespace leakscan {
namespace {

// Every corpus dump, whatever its format and Go version, converts to a profile that Go's own
// profile package accepts (CheckValid) with the same goroutine count.
class CorpusOpensInGoProfilePackage : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(CorpusOpensInGoProfilePackage, SameGoroutineCount) {
  const auto& row = GetParam();
  std::string input = testing::data_path("corpus/" + row.at(0));
  std::string out = testing::temp_dir() + "/corpus.pb.gz";
  auto convert = run_command({testing::cli_path(), "convert", input, "-o", out});
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  auto check = run_command({go_bin("pprofcheck"), out});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  int64_t total = -1;
  pprofcheck_stacks(check.out, &total);
  EXPECT_GE(total, std::stoll(row.at(1)));
  EXPECT_LE(total, std::stoll(row.at(2)));
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, CorpusOpensInGoProfilePackage,
    ::testing::ValuesIn(testing::read_tsv(testing::data_path("corpus/expected.tsv"))),
    [](const auto& info) {
      std::string name = info.param.at(0);
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace leakscan
