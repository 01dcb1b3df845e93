#include "analyzer/engine/go_trace_input.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>

#include "analyzer/engine/spawn_actions.h"
#include "analyzer/model/thread_labels.h"
#include "analyzer/readers/go_exec_trace.h"
#include "analyzer/readers/read_snapshots.h"

extern char** environ;

namespace leakscan {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kHelperName = "leakscan-gotrace";
// The first line of the helper's errors is what a message shows; the rest is not kept.
constexpr size_t kMaxStderrBytes = size_t{64} * 1024;

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> make_pipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return Error{fmt::format("cannot make a pipe: {}", std::strerror(errno))};
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The helper we started: killed and reaped on every way out that did not reap it.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The exit status once it has ended by `deadline`; nothing if it has not (it is then killed
  // by the destructor).
  std::optional<int> wait_until(Clock::time_point deadline) {
    for (;;) {
      int status = 0;
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_ || (done < 0 && errno != EINTR)) {
        pid_ = -1;
        return status;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

 private:
  pid_t pid_;
};

// A trace fetched into memory, written out for the helper, removed after.
class TempFile {
 public:
  static Result<TempFile> write(std::string_view bytes) {
    const char* dir = std::getenv("TMPDIR");
    std::string path = fmt::format("{}/leakscan-trace-XXXXXX", dir && *dir ? dir : "/tmp");
    UniqueFd fd(::mkostemp(path.data(), O_CLOEXEC));
    if (fd.get() < 0) {
      return Error{fmt::format("cannot make a temporary file {}: {}", path, std::strerror(errno))};
    }
    TempFile file(path);
    while (!bytes.empty()) {
      ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return Error{
            fmt::format("cannot write the temporary file {}: {}", path, std::strerror(errno))};
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return file;
  }
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(TempFile&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  TempFile& operator=(TempFile&&) = delete;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

std::optional<int> minor_of(std::unique_ptr<ByteSource> source, const ReadLimits& limits) {
  auto magic = read_up_to(*source, 2);
  if (!magic || magic->size() < 2) return std::nullopt;
  bool gzip =
      static_cast<uint8_t>((*magic)[0]) == 0x1f && static_cast<uint8_t>((*magic)[1]) == 0x8b;
  source = prefixed_source(std::move(*magic), std::move(source));
  if (gzip) source = gzip_source(std::move(source), {}, limits.max_input_bytes);
  auto head = read_up_to(*source, 16);
  if (!head) return std::nullopt;
  return go_exec_trace_minor(*head);
}

// Beside the running binary (the command's build or install directory), unless the environment
// names another.
std::string helper_path() {
  if (const char* named = std::getenv("LEAKSCAN_GOTRACE"); named && *named) return named;
  std::error_code error;
  auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return std::string(kHelperName);
  return (self.parent_path() / kHelperName).string();
}

std::string first_line(std::string_view text) {
  while (!text.empty() && (text.front() == '\n' || text.front() == ' ')) text.remove_prefix(1);
  return std::string(text.substr(0, text.find('\n')));
}

struct HelperOutput {
  int status = 0;
  std::string out, err;
};

// Runs the helper, its stdin /dev/null, collecting both streams within the deadline and the
// size limit.
Result<HelperOutput> run_helper(const std::vector<std::string>& command, const std::string& name,
                                std::chrono::milliseconds timeout, uint64_t max_output) {
  auto out = make_pipe();
  if (!out) return Error{fmt::format("{}: {}", name, out.error().message)};
  auto err = make_pipe();
  if (!err) return Error{fmt::format("{}: {}", name, err.error().message)};
  SpawnActions actions;
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(actions.get(), out->write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(actions.get(), err->write.get(), STDERR_FILENO);
  std::vector<char*> argv;
  argv.reserve(command.size() + 1);
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (int rc = ::posix_spawn(&pid, argv[0], actions.get(), nullptr, argv.data(), environ);
      rc != 0) {
    return Error{fmt::format("{}: cannot run {}: {}", name, command[0], std::strerror(rc))};
  }
  Child child(pid);
  out->write.reset();
  err->write.reset();

  const auto deadline = Clock::now() + timeout;
  HelperOutput result;
  std::array<pollfd, 2> fds{pollfd{out->read.get(), POLLIN, 0}, pollfd{err->read.get(), POLLIN, 0}};
  std::array<std::string*, 2> into{&result.out, &result.err};
  std::array<char, 65536> buffer{};
  auto timed_out = [&] {
    return Error{fmt::format("{}: {} did not finish within {} s; stopped", name, kHelperName,
                             std::chrono::duration_cast<std::chrono::seconds>(timeout).count())};
  };
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return timed_out();
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) {
      return Error{fmt::format("{}: poll: {}", name, std::strerror(errno))};
    }
    for (size_t i = 0; i < fds.size() && ready > 0; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        continue;
      }
      if (i == 1 && into[i]->size() >= kMaxStderrBytes) continue;
      into[i]->append(buffer.data(), static_cast<size_t>(n));
      if (i == 0 && into[i]->size() > max_output) {
        return Error{fmt::format("{}: {} wrote more than {} bytes, the size limit", name,
                                 kHelperName, max_output),
                     ErrorKind::kTooLarge};
      }
    }
  }
  auto status = child.wait_until(deadline);
  if (!status) return timed_out();
  result.status = *status;
  return result;
}

Result<std::vector<Snapshot>> read_through_helper(const std::string& path, int minor,
                                                  const GoTraceRead& read,
                                                  const ReadLimits& limits) {
  if (minor < kFirstReadGoTraceMinor) {
    return Error{
        fmt::format("{}: a Go 1.{} execution trace: traces before Go 1.22's format are "
                    "not read; take it from a program built with Go 1.22 or later",
                    read.name, minor)};
  }
  std::string helper = helper_path();
  if (::access(helper.c_str(), X_OK) != 0) {
    return Error{
        fmt::format("{}: a Go execution trace, which {} reads, and it is not at {}: "
                    "build it (cmake --build build --target leakscan_gotrace, with Go "
                    "1.26 or later) or name it in LEAKSCAN_GOTRACE",
                    read.name, kHelperName, helper)};
  }
  std::vector<std::string> command{helper, "-name", read.name};
  if (read.end_time) {
    command.emplace_back("-end");
    command.push_back(thread_labels::created_at_text(*read.end_time));
  }
  command.emplace_back("--");
  command.push_back(path);
  auto ran = run_helper(command, read.name, read.timeout, limits.max_input_bytes);
  if (!ran) return ran.error();
  if (!WIFEXITED(ran->status) || WEXITSTATUS(ran->status) != 0) {
    std::string why = first_line(ran->err);
    // The helper's errors already name the input.
    if (why.empty()) why = fmt::format("{}: {} failed", read.name, kHelperName);
    return Error{why};
  }
  auto snapshots = read_snapshots_from_memory(ran->out, read.name, limits);
  if (snapshots && minor == kFirstReadGoTraceMinor && !snapshots->empty()) {
    // Go 1.22 states every goroutine at the window's start, but without its stack.
    snapshots->front().warnings.push_back(
        fmt::format("{}: a Go 1.22 trace records no stack for a goroutine that does not run in "
                    "its window: those blocked throughout it, leaks among them, have none (Go "
                    "1.23 and later traces record it)",
                    read.name));
  }
  return snapshots;
}

}  // namespace

std::optional<int> go_trace_minor_of_file(const std::string& path, const ReadLimits& limits) {
  if (path == "-") return std::nullopt;
  auto source = open_file_source(path);
  if (!source) return std::nullopt;
  return minor_of(std::move(*source), limits);
}

std::optional<int> go_trace_minor_of_bytes(std::string_view bytes, const ReadLimits& limits) {
  return minor_of(memory_source(bytes), limits);
}

Result<std::vector<Snapshot>> read_stdin_maybe_go_trace(const ReadLimits& limits) {
  const std::string name = "<stdin>";
  auto source = open_file_source("-");
  if (!source) return source.error();
  // A gzip member's first 64 KiB hold far more than its first 16 bytes.
  auto head = read_up_to(**source, size_t{64} * 1024);
  if (!head) return head.error();
  auto minor = go_trace_minor_of_bytes(*head, limits);
  if (!minor)
    return read_snapshots(prefixed_source(std::move(*head), std::move(*source)), name, limits);
  auto bytes = read_all(*prefixed_source(std::move(*head), std::move(*source)), name,
                        limits.max_input_bytes);
  if (!bytes) return bytes.error();
  GoTraceRead read{.name = name, .end_time = std::chrono::system_clock::now()};
  return read_go_trace_bytes(*bytes, *minor, read, limits);
}

Result<std::vector<Snapshot>> read_go_trace_file(const std::string& path, int minor,
                                                 const GoTraceRead& read,
                                                 const ReadLimits& limits) {
  return read_through_helper(path, minor, read, limits);
}

Result<std::vector<Snapshot>> read_go_trace_bytes(std::string_view bytes, int minor,
                                                  const GoTraceRead& read,
                                                  const ReadLimits& limits) {
  if (minor < kFirstReadGoTraceMinor) return read_through_helper({}, minor, read, limits);
  auto file = TempFile::write(bytes);
  if (!file) return Error{fmt::format("{}: {}", read.name, file.error().message)};
  return read_through_helper(file->path(), minor, read, limits);
}

}  // namespace leakscan
