// A Go program the tests start and the `leakscan trace` that watches it: shared by the tracer's
// tests and the verdict tests that trace a live service.
#pragma once

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "analyzer/readers/read_snapshots.h"
#include "proto/trace_sites.pb.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace leakscan::testing {

// A started leaktrace (or leakyservice) with its address.
struct Target {
  std::unique_ptr<ChildProcess> process;
  std::string base;                   // http://127.0.0.1:PORT
  std::vector<std::string> preamble;  // stdout lines before LISTENING

  // `program` is a path under go-bin: "go1.26/leaktrace-pie".
  explicit Target(const std::string& program, std::vector<std::string> args = {}) {
    args.insert(args.begin(), go_bin(program.substr(0, program.find('/')),
                                     program.substr(program.find('/') + 1)));
    process = std::make_unique<ChildProcess>(args);
    for (int i = 0; i < 100; ++i) {
      auto line = process->read_line(std::chrono::seconds(30));
      if (!line) break;
      if (line->starts_with("LISTENING ")) {
        // The bug programs print a URL, the others an address.
        std::string listening = line->substr(10);
        base = listening.starts_with("http://") ? listening : "http://" + listening;
        return;
      }
      preamble.push_back(*line);
    }
  }
  pid_t pid() const { return process->pid(); }

  // "created N at START-END" -> (START, END) in ns since the epoch.
  std::pair<int64_t, int64_t> create(const std::string& path) const {
    auto body = http_get(base + path, std::chrono::seconds(30));
    EXPECT_TRUE(body.has_value()) << path;
    int64_t start = 0, end = 0;
    int n = 0;
    if (body) {
      EXPECT_EQ(std::sscanf(body->c_str(), "created %d at %ld-%ld", &n, &start, &end), 3);
    }
    return {start, end};
  }

  // runtime.NumGoroutine() as the program prints it on SIGUSR1.
  std::optional<int64_t> num_goroutine() const {
    process->signal(SIGUSR1);
    for (int i = 0; i < 10; ++i) {
      auto line = process->read_line(std::chrono::seconds(10));
      if (!line) return std::nullopt;
      if (line->starts_with("GOROUTINES ")) return std::stoll(line->substr(11));
    }
    return std::nullopt;
  }
};

// `leakscan trace --pid PID ARGS...` writing into its own directory.
struct Trace {
  std::unique_ptr<ChildProcess> process;
  std::string out;

  Trace(pid_t pid, std::vector<std::string> args) : out(temp_dir() + "/trace") {
    std::vector<std::string> argv = {cli_path(),          "trace", "--pid",
                                     std::to_string(pid), "--out", out};
    argv.insert(argv.end(), args.begin(), args.end());
    process = std::make_unique<ChildProcess>(argv);
  }

  // Waits (bounded) until leakscan's stderr shows `text`.
  bool wait_for(const std::string& text,
                std::chrono::seconds timeout = std::chrono::seconds(60)) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (process->stderr_text().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Ctrl-C; the exit code.
  std::optional<int> stop(int signo = SIGINT) const {
    process->signal(signo);
    return process->wait(std::chrono::seconds(60));
  }

  std::vector<std::string> snapshots() const {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(out)) {
      if (entry.path().extension() == ".gz") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  Snapshot last_snapshot() const {
    auto files = snapshots();
    EXPECT_FALSE(files.empty());
    if (files.empty()) return {};
    auto read = read_snapshots(files.back());
    EXPECT_TRUE(read.has_value()) << (read ? "" : read.error().message);
    if (!read || read->empty()) return {};
    return std::move(read->front());
  }

  trace::TraceSites sites() const {
    trace::TraceSites json;
    auto status =
        google::protobuf::util::JsonStringToMessage(read_file(out + "/sites.json"), &json);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return json;
  }
};

}  // namespace leakscan::testing
