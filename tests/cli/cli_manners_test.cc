// What the command line shows a user before any analysis (issue 24): help held against a
// reviewed copy, options that are accepted only where they do something, and a focus that
// matches nothing said out loud.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using testing::cli_path;

// A change to any help text is reviewed: regenerate the copy with
// `build/cli/leakscan [COMMAND] --help > tests/data/help/COMMAND.txt` and read the diff.
TEST(CliHelp, EveryCommandsHelpIsTheReviewedCopy) {
  for (const std::string command : {"", "convert", "diff", "trace", "watch"}) {
    std::vector<std::string> argv{cli_path()};
    if (!command.empty()) argv.push_back(command);
    argv.emplace_back("--help");
    auto result = testing::run_command(argv);
    EXPECT_EQ(result.exit_code, 0) << command;
    std::string copy =
        fmt::format("{}/help/{}.txt", LEAKSCAN_TEST_DATA, command.empty() ? "leakscan" : command);
    EXPECT_EQ(result.out, testing::read_file(copy)) << "leakscan " << command << " --help";
    // No option is shown as CLI11 renders an enum it cannot name.
    EXPECT_EQ(result.out.find("ENUM"), std::string::npos) << command;
    EXPECT_EQ(result.out.find("->"), std::string::npos) << command;
  }
}

TEST(CliHelp, ChoicesAreReadByNameAndRefusedByName) {
  std::string dump = std::string(LEAKSCAN_SAMPLE_PROFILES) + "/zoo-debug2.txt";
  auto json = testing::run_command({cli_path(), dump, "--format", "JSON"});
  EXPECT_TRUE(json.out.starts_with('{')) << json.out.substr(0, 200);
  auto wrong = testing::run_command({cli_path(), dump, "--format", "yaml"});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("--format: 'yaml' is not one of text|json|markdown|sarif|html"),
            std::string::npos)
      << wrong.err;
  auto fail_on = testing::run_command({cli_path(), dump, "--fail-on", "suspect"});
  EXPECT_EQ(fail_on.exit_code, 1) << "the zoo holds leaks: " << fail_on.err;
}

// diff prints one plain table: it refuses what it would otherwise accept and ignore.
TEST(CliHelp, DiffRefusesOptionsItWouldIgnore) {
  std::string dump = std::string(LEAKSCAN_SAMPLE_PROFILES) + "/zoo-debug2.txt";
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--format", "json"}, {"--color", "always"}, {"-v"}}) {
    std::vector<std::string> argv{cli_path(), "diff", dump, dump};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto result = testing::run_command(argv);
    EXPECT_EQ(result.exit_code, 2) << extra[0];
    EXPECT_NE(result.err.find("not expected"), std::string::npos) << result.err;
  }
  auto plain = testing::run_command({cli_path(), "diff", dump, dump});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
}

TEST(CliHelp, AFocusThatMatchesNothingIsSaid) {
  std::string dump = std::string(LEAKSCAN_SAMPLE_PROFILES) + "/zoo-debug2.txt";
  auto none = testing::run_command({cli_path(), dump, "--focus", "no/such/package"});
  EXPECT_NE(none.err.find("warning: the focus pattern 'no/such/package' matched no goroutine"),
            std::string::npos)
      << none.err;
  auto some = testing::run_command({cli_path(), dump, "--focus", "main\\."});
  EXPECT_EQ(some.err.find("matched no goroutine"), std::string::npos) << some.err;
}

}  // namespace
}  // namespace leakscan
