#include "tests/support/test_support.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace leakscan::testing {

std::string data_path(const std::string& relative) {
  return std::string(LEAKSCAN_TEST_DATA) + "/" + relative;
}
// Programs built per version live in go-bin/VERSION; the first version is the default. A
// program built once (samples/go/bugs) sits in go-bin itself.
std::string go_bin(const std::string& program) {
  std::string versioned = go_bin(go_versions().front(), program);
  if (std::filesystem::exists(versioned)) return versioned;
  return std::string(LEAKSCAN_GO_BIN_ROOT) + "/" + program;
}
std::string go_bin(const std::string& version, const std::string& program) {
  return fmt::format("{}/{}/{}", LEAKSCAN_GO_BIN_ROOT, version, program);
}
std::vector<std::string> go_versions() {
  std::vector<std::string> versions;
  std::istringstream in(LEAKSCAN_GO_VERSIONS);
  for (std::string version; std::getline(in, version, ',');) versions.push_back(version);
  return versions;
}
std::string cli_path() { return LEAKSCAN_CLI; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

namespace {
struct TempRoot {
  std::string path;
  TempRoot() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "leakscan-test-XXXXXX").string();
    path = mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~TempRoot() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
};
}  // namespace

std::string temp_dir() {
  static TempRoot root;
  static int counter = 0;
  std::string dir = fmt::format("{}/{}", root.path, counter++);
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<std::string> stack_multiset(const Snapshot& snapshot) {
  std::map<std::string, int64_t> counts;
  auto add = [&](Stack stack, int64_t count) {
    std::string key;
    for (FrameId id : stack) {
      if (!key.empty()) key += ';';
      key += snapshot.frame(id).function;
    }
    counts[key] += count;
  };
  for (const auto& thread : snapshot.threads) add(thread.stack, 1);
  for (const auto& sample : snapshot.samples) add(sample.stack, sample.count);
  std::vector<std::string> rows;
  for (const auto& [stack, count] : counts) rows.push_back(fmt::format("{}\t{}", count, stack));
  return rows;
}

std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    std::vector<std::string> fields;
    std::istringstream fields_in(line);
    std::string field;
    while (std::getline(fields_in, field, '\t')) fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

}  // namespace leakscan::testing

namespace leakscan::testing {

void run_in_parallel(size_t count, int workers, const std::function<void(size_t)>& work) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < count; i = next++) work(i);
    });
  }
  for (auto& thread : threads) thread.join();
}

}  // namespace leakscan::testing
