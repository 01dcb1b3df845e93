// Child processes for tests: started by us, ended by pid, every wait bounded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace leakscan::testing {

struct CommandResult {
  int exit_code = -1;  // -1: killed after the timeout or by a signal
  std::string out;
  std::string err;
};

// Runs argv to completion (killed after `timeout`), with `input` on stdin and `env` added.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(120),
                          const std::string& input = {}, const std::vector<std::string>& env = {});

// A long-running child whose stdout is read line by line and whose stderr goes to a file.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // kills it if still running

  pid_t pid() const { return pid_; }
  // The next stdout line, or nothing if none came within `timeout` or stdout closed.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  void signal(int signo);
  // Waits up to `timeout` for exit; returns the exit code (or -signal), nothing on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stderr_path_;
  std::string pending_;
  bool exited_ = false;
};

// GET http://address/path on loopback, bounded by `timeout`.
std::optional<std::string> http_get(const std::string& url,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The status code of GET url on loopback (the body is read and dropped), -1 without an answer
// within `timeout`.
long http_status(const std::string& url,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace leakscan::testing
