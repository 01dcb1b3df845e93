// Paths and helpers shared by the tests.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analyzer/model/snapshot.h"

namespace leakscan::testing {

std::string data_path(const std::string& relative);  // under tests/data
std::string go_bin(const std::string& program);      // zoo, bigleak, pprofcheck (Go 1.19)
// The same program built by one of the toolchains the tests run on ("go1.26").
std::string go_bin(const std::string& version, const std::string& program);
std::vector<std::string> go_versions();  // {"go1.19", "go1.26", "go1.27"}: tests/CMakeLists.txt
std::string cli_path();                  // the leakscan binary
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& contents);
std::string temp_dir();  // fresh, removed at exit

// One snapshot's stacks as "count\tf1;f2;...", sorted: the multiset that must survive every
// conversion.
std::vector<std::string> stack_multiset(const Snapshot& snapshot);

// Calls `work(i)` for every i below `count`, on `workers` threads at once: the tests that run
// many real programs run two at a time on the machine's two cores.
void run_in_parallel(size_t count, int workers, const std::function<void(size_t)>& work);

// Reads expected.tsv-style files: rows of tab-separated fields, '#' lines skipped.
std::vector<std::vector<std::string>> read_tsv(const std::string& path);

}  // namespace leakscan::testing
