#include "agent/src/signal_dumper.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>

#include "agent/src/profiles.h"

namespace leakscan::agent {
namespace {

// How often the thread looks at its stop flag between signals.
constexpr timespec kPollInterval{0, 100'000'000};

}  // namespace

Result<std::unique_ptr<SignalDumper>> SignalDumper::start(int signal, std::string path,
                                                          std::chrono::milliseconds stack_timeout) {
  if (signal <= 0 || signal >= SIGRTMAX || signal == SIGKILL || signal == SIGSTOP) {
    return Error{fmt::format("leakscan agent: cannot dump on signal {}", signal)};
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  if (int error = pthread_sigmask(SIG_BLOCK, &set, nullptr); error != 0) {
    return Error{
        fmt::format("leakscan agent: blocking signal {}: {}", signal, std::strerror(error))};
  }
  return std::make_unique<SignalDumper>(signal, std::move(path), stack_timeout);
}

SignalDumper::SignalDumper(int signal, std::string path, std::chrono::milliseconds stack_timeout)
    : signal_(signal), path_(std::move(path)), stack_timeout_(stack_timeout) {
  thread_ = std::thread([this] { run(); });
}

SignalDumper::~SignalDumper() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void SignalDumper::run() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal_);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  while (!stop_) {
    int got = sigtimedwait(&set, nullptr, &kPollInterval);
    if (got != signal_) continue;
    // An exception leaving this thread would end the host service; a dump the host has no
    // memory for is skipped.
    try {
      dump();
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): nothing left to report with
    }
  }
}

void SignalDumper::dump() {
  std::string text = goroutine_text(2, stack_timeout_);
  if (path_.empty()) {
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  } else {
    // Written aside and renamed: a reader never sees half a dump.
    std::string temporary = path_ + ".tmp";
    if (std::unique_ptr<std::FILE, decltype(&std::fclose)> out(std::fopen(temporary.c_str(), "we"),
                                                               &std::fclose);
        out) {
      bool written = std::fwrite(text.data(), 1, text.size(), out.get()) == text.size();
      written = std::fclose(out.release()) == 0 && written;  // NOLINT: closed here to check it
      std::error_code error;
      if (written) std::filesystem::rename(temporary, path_, error);
      if (!written || error) {
        std::filesystem::remove(temporary, error);
        fmt::print(stderr, "leakscan agent: could not write the dump to {}\n", path_);
      }
    } else {
      fmt::print(stderr, "leakscan agent: cannot write {}: {}\n", temporary, std::strerror(errno));
    }
  }
  ++dumps_;
}

}  // namespace leakscan::agent
