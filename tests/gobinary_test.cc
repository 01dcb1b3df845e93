// Go executables read from disk, as any user: the sample leaktrace built four ways by
// scripts/build-go.sh (with symbols and DWARF, stripped with -s -w, PIE, and with cgo) by each
// Go toolchain the tests run on. No process is started and nothing needs root.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <tuple>

#include "gobinary/go_binary.h"
#include "gobinary/go_runtime_layout.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using gobinary::GoBinary;
using gobinary::GoRuntimeLayout;

std::unique_ptr<GoBinary> open_sample(const std::string& version, const std::string& program) {
  auto binary = GoBinary::open(testing::go_bin(version, program));
  EXPECT_TRUE(binary.has_value()) << program << ": " << binary.error().message;
  return binary ? std::move(*binary) : nullptr;
}

// (Go version directory, program): ("go1.26", "leaktrace-pie").
using Build = std::tuple<std::string, std::string>;
class EveryBuild : public ::testing::TestWithParam<Build> {
 protected:
  std::unique_ptr<GoBinary> open() const {
    return open_sample(std::get<0>(GetParam()), std::get<1>(GetParam()));
  }
};

std::string build_name(const ::testing::TestParamInfo<Build>& info) {
  std::string name = std::get<0>(info.param) + "_" + std::get<1>(info.param);
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
      '_');
  return name;
}

// .go.buildinfo survives stripping: the version is the toolchain's in every build.
TEST_P(EveryBuild, VersionComesFromBuildInfo) {
  auto binary = open();
  ASSERT_NE(binary, nullptr);
  // The directory is named after the release that built it: go1.26 holds go1.26.x builds.
  EXPECT_TRUE(binary->go_version().starts_with(std::get<0>(GetParam()) + "."))
      << binary->go_version();
}

// The line of leaktrace/main.go that starts with `text`.
int64_t source_line(std::string_view text) {
  std::ifstream in(std::string(LEAKSCAN_SAMPLES_GO) + "/leaktrace/main.go");
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.starts_with(text)) return number;
  }
  ADD_FAILURE() << text << " not found in leaktrace/main.go";
  return -1;
}

// .gopclntab names functions and source positions without .symtab or DWARF.
TEST_P(EveryBuild, PclntabResolvesAKnownFunction) {
  auto binary = open();
  ASSERT_NE(binary, nullptr);
  auto function = binary->function("main.blockOnReceive");
  ASSERT_TRUE(function.has_value());
  EXPECT_LT(function->start, function->end);
  EXPECT_EQ(binary->function_name_at(function->start + 1), "main.blockOnReceive");
  EXPECT_EQ(binary->function_entry_at(function->end - 1), function->start);
  auto frames = binary->symbolize(function->start, /*return_address=*/false);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "main.blockOnReceive");
  EXPECT_EQ(frames[0].file, "leakscan.dev/samples/leaktrace/main.go");
  EXPECT_EQ(frames[0].line, source_line("func blockOnReceive() { <-never }"));
  EXPECT_FALSE(binary->function("main.noSuchFunction").has_value());
}

TEST_P(EveryBuild, RuntimeLayoutAndGoroutineTableAreFound) {
  auto binary = open();
  ASSERT_NE(binary, nullptr);
  auto layout = gobinary::read_runtime_layout(*binary);
  ASSERT_TRUE(layout.has_value()) << layout.error().message;
  EXPECT_FALSE(layout->allgs_candidates.empty());
  if (binary->has_symtab()) {
    EXPECT_EQ(layout->allgs_candidates, std::vector{*binary->symbol("runtime.allgs")});
  }
  EXPECT_GE(layout->g_read_size(), layout->g_labels + 8);
  // The free lists a dead g waits on (layer 2), where DWARF and a symbol table say where they
  // are: the runtime's own symbols, a g's link inside what the reader copies of it, and each
  // list's head as a field of its own. A stripped binary says it does not know.
  if (binary->has_symtab()) {
    ASSERT_TRUE(layout->has_free_lists());
    EXPECT_EQ(layout->sched, *binary->symbol("runtime.sched"));
    EXPECT_EQ(layout->allp, *binary->symbol("runtime.allp"));
    EXPECT_GE(layout->g_read_size(), layout->g_schedlink + 8);
    EXPECT_NE(layout->sched_gfree_stack, layout->sched_gfree_nostack);
    EXPECT_GT(layout->p_gfree, 0u);
  } else {
    EXPECT_FALSE(layout->has_free_lists());
  }
}

INSTANTIATE_TEST_SUITE_P(LeakTrace, EveryBuild,
                         ::testing::Combine(::testing::ValuesIn(testing::go_versions()),
                                            ::testing::Values("leaktrace", "leaktrace-stripped",
                                                              "leaktrace-pie", "leaktrace-cgo")),
                         build_name);

class EveryVersion : public ::testing::TestWithParam<std::string> {};

// Stripped binaries lose DWARF and .symtab: the per-version table must give what DWARF gives,
// .gopclntab still names every function, and names are read from the binary's own arrays.
TEST_P(EveryVersion, StrippedBinaryGivesTheSameLayoutAndNames) {
  auto plain = open_sample(GetParam(), "leaktrace");
  auto stripped = open_sample(GetParam(), "leaktrace-stripped");
  ASSERT_TRUE(plain && stripped);
  EXPECT_TRUE(plain->has_symtab());
  EXPECT_FALSE(stripped->has_symtab());
  EXPECT_EQ(stripped->go_version(), plain->go_version());
  auto a = gobinary::read_runtime_layout(*plain);
  auto b = gobinary::read_runtime_layout(*stripped);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(a->source, "DWARF");
  EXPECT_EQ(b->source, fmt::format("go1.{} table", plain->go_release().second));
  for (auto field :
       {&GoRuntimeLayout::g_m, &GoRuntimeLayout::g_sched_sp, &GoRuntimeLayout::g_sched_pc,
        &GoRuntimeLayout::g_sched_bp, &GoRuntimeLayout::g_atomicstatus, &GoRuntimeLayout::g_goid,
        &GoRuntimeLayout::g_waitsince, &GoRuntimeLayout::g_waitreason, &GoRuntimeLayout::g_lockedm,
        &GoRuntimeLayout::g_gopc, &GoRuntimeLayout::g_startpc, &GoRuntimeLayout::g_labels,
        &GoRuntimeLayout::g_bubble, &GoRuntimeLayout::g_tracking_seq, &GoRuntimeLayout::g_size,
        &GoRuntimeLayout::m_curg}) {
    EXPECT_EQ((*a).*field, (*b).*field);
  }
  EXPECT_NE(a->g_tracking_seq, 0u);        // every tested version counts a goroutine's parks
  EXPECT_GT(a->g_size, a->g_read_size());  // the dead g's memory, reported by layer 2
  EXPECT_EQ(a->status_names, b->status_names);
  EXPECT_EQ(a->wait_reason_names, b->wait_reason_names);
  EXPECT_EQ(a->status_names.at(4), "waiting");
  EXPECT_EQ(a->wait_reason_names.at(1), "GC assist marking");
  for (const char* function : {"main.blockOnReceive", "runtime.newproc1", "runtime.goexit1"}) {
    auto fa = plain->function(function);
    auto fb = stripped->function(function);
    ASSERT_TRUE(fa && fb) << function;
    EXPECT_EQ(fa->end - fa->start, fb->end - fb->start) << function;
    auto frames = stripped->symbolize(fb->start, false);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].function, function);
  }
  // Inlined calls are expanded from go.func.*, which a stripped binary names only in its
  // moduledata: every pc of a function with inlined calls resolves as with symbols.
  auto fa = plain->function("main.blockOnLock");
  auto fb = stripped->function("main.blockOnLock");
  ASSERT_TRUE(fa && fb);
  size_t inlined = 0;
  for (uint64_t offset = 0; offset < fa->end - fa->start; ++offset) {
    auto a_frames = plain->symbolize(fa->start + offset, false);
    auto b_frames = stripped->symbolize(fb->start + offset, false);
    ASSERT_EQ(a_frames.size(), b_frames.size()) << offset;
    for (size_t i = 0; i < a_frames.size(); ++i) {
      EXPECT_EQ(a_frames[i].function, b_frames[i].function);
      EXPECT_EQ(a_frames[i].line, b_frames[i].line);
    }
    inlined += a_frames.size() > 1;
  }
  EXPECT_GT(inlined, 0u);  // sync.(*Mutex).Lock is inlined into main.blockOnLock
}

INSTANTIATE_TEST_SUITE_P(GoRuntimeLayout, EveryVersion, ::testing::ValuesIn(testing::go_versions()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '.', '_');
                           return name;
                         });

// Refusals name the file and what it lacks, in one line.
TEST(GoBinary, RefusesWhatIsNotAGoExecutable) {
  auto not_go = GoBinary::open("/bin/sh");
  ASSERT_FALSE(not_go.has_value());
  EXPECT_EQ(not_go.error().message, "/bin/sh: not a Go binary (no .gopclntab)");

  auto text = std::filesystem::path(::testing::TempDir()) / "gobinary-not-elf.txt";
  std::ofstream(text) << "#!/bin/sh\necho not an executable\n";
  auto not_elf = GoBinary::open(text.string());
  ASSERT_FALSE(not_elf.has_value());
  EXPECT_EQ(not_elf.error().message, text.string() + ": not an ELF executable");

  auto missing = GoBinary::open("/nonexistent/leaktrace");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message,
            "/nonexistent/leaktrace: cannot open: No such file or directory");
}

}  // namespace
}  // namespace leakscan
