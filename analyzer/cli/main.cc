// The leakscan command line: parses arguments, calls the library, prints. Exit codes: 0 done,
// 2 usage or input error (issue 3 adds 1 for "leaks found").
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "analyzer/cli/commands.h"

namespace {

int run(int argc, char** argv) {
  CLI::App app{"leakscan: finds leaked goroutines and fibers in goroutine dumps and profiles",
               "leakscan"};
  app.set_version_flag("--version", "leakscan 0.1.0");
  app.footer(
      "Examples:\n"
      "  leakscan goroutines.txt                 summary of a debug=2 dump, panic or SIGQUIT log\n"
      "  curl -s host:6060/debug/pprof/goroutine | leakscan -\n"
      "  leakscan convert dump.txt -o dump.pb.gz && go tool pprof -traces dump.pb.gz\n"
      "  leakscan convert profile.pb.gz --to text");

  leakscan::cli::SummaryOptions summary;
  app.add_option("files", summary.inputs, "Goroutine dumps or profiles ('-' for stdin)");
  app.add_option("--max-input-size", summary.limits.max_input_bytes,
                 "Refuse inputs larger than this many bytes after decompression")
      ->capture_default_str();

  leakscan::cli::ConvertOptions convert;
  auto* convert_cmd = app.add_subcommand(
      "convert", "Convert any goroutine dump or profile to a pprof profile or Go text");
  convert_cmd->add_option("inputs", convert.inputs, "Inputs ('-' for stdin)")->required();
  convert_cmd->add_option("-o,--output", convert.output, "Output file ('-' for stdout)")
      ->capture_default_str();
  convert_cmd
      ->add_option("--to", convert.to,
                   "Output format: pprof (gzip protobuf) or text (Go debug=2/debug=1)")
      ->check(CLI::IsMember({"pprof", "text"}))
      ->capture_default_str();
  convert_cmd
      ->add_option("--max-input-size", convert.limits.max_input_bytes,
                   "Refuse inputs larger than this many bytes after decompression")
      ->capture_default_str();
  convert_cmd->footer(
      "Examples:\n"
      "  leakscan convert goroutines.txt -o goroutines.pb.gz\n"
      "  go tool pprof -traces goroutines.pb.gz\n"
      "  go tool pprof -tagfocus=state=chan -top goroutines.pb.gz\n"
      "  leakscan convert goroutine.pb.gz --to text -o -");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : leakscan::cli::kExitUsageOrInput;
  }
  if (convert_cmd->parsed()) return leakscan::cli::run_convert(convert);
  if (summary.inputs.empty()) {
    fmt::print(stderr, "{}", app.help());
    return leakscan::cli::kExitUsageOrInput;
  }
  return leakscan::cli::run_summary(summary);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Errors are values in the library; what reaches here is the allocator or the system.
    std::fputs("leakscan: ", stderr);
    std::fputs(e.what(), stderr);
    std::fputs("\n", stderr);
    return leakscan::cli::kExitUsageOrInput;
  }
}
