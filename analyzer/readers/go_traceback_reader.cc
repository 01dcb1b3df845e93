#include "analyzer/readers/go_traceback_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <new>
#include <optional>
#include <thread>
#include <utility>

#include "analyzer/model/merge.h"
#include "analyzer/model/utf8_text.h"
#include "analyzer/readers/id_set.h"
#include "analyzer/readers/memory_budget.h"
#include "analyzer/readers/text_runtime.h"
#include "analyzer/readers/text_scan.h"

namespace leakscan {
namespace {

using text::parse_int;
using text::trim;

constexpr size_t kMaxWarnings = 50;

struct Header {
  uint64_t id = 0;
  std::string_view status_list;  // "chan receive, 15 minutes, locked to thread"
  std::string_view id_text;      // as printed
  bool id_out_of_range = false;  // past 2^64 - 1: read as id 0, said in a warning
};

// "goroutine 7 [chan receive]:", or in GOTRACEBACK=system/crash dumps of Go 1.22 and later
// "goroutine 7 gp=0xc0 m=0 mp=0x6d [running]:".
std::optional<Header> parse_header(std::string_view line) {
  constexpr std::string_view kPrefix = "goroutine ";
  if (!line.starts_with(kPrefix)) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  size_t digits = 0;
  while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9') ++digits;
  if (digits == 0 || digits == line.size() || line[digits] != ' ') return std::nullopt;
  if (!line.ends_with("]:")) return std::nullopt;
  size_t open = line.find('[', digits);
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view id_text = line.substr(0, digits);
  auto id = parse_int<uint64_t>(id_text);
  return Header{id.value_or(0), line.substr(open + 1, line.size() - open - 3), id_text,
                !id.has_value()};
}

// Lines that say why the program printed its goroutines.
bool is_reason_line(std::string_view line) {
  if (line.starts_with("panic: ") || line.starts_with("fatal error: ") ||
      line.starts_with("[signal ") || line.starts_with("unexpected fault address")) {
    return true;
  }
  // "SIGQUIT: quit", "SIGABRT: abort", "^\SIGQUIT: quit" as a terminal echoes Ctrl-\.
  if (line.starts_with("^\\")) line.remove_prefix(2);
  if (!line.starts_with("SIG")) return false;
  size_t colon = line.find(": ");
  if (colon == std::string_view::npos || colon < 4) return false;
  for (char c : line.substr(3, colon - 3)) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

class TracebackParser {
 public:
  // `expected_threads`: how many goroutines the dump this parser belongs to has, about, to
  // size the thread table once; by default guessed from the input's size.
  explicit TracebackParser(LineReader& lines, std::optional<uint64_t> expected_threads = {})
      : lines_(lines), expected_threads_(expected_threads) {
    // No goroutine takes fewer than ~150 bytes of text.
    if (!expected_threads_ && lines.size_hint()) expected_threads_ = *lines.size_hint() / 150;
  }

  // Every snapshot read; the last one may hold no thread (a reason line at the very end).
  Result<std::vector<Snapshot>> parse() {
    for (;;) {
      auto line = lines_.next();
      if (!line) return line.error();
      if (!*line) break;
      handle(**line);
      if (over_budget_) return *over_budget_;
      if (too_many_dumps_) {
        return Error{fmt::format(
            "{}: line {}: more than {} dumps in one input (each goroutine id printed again "
            "starts a new dump); expected one dump, or a few, per file",
            lines_.name(), lines_.line_number(), lines_.limits().max_dumps)};
      }
    }
    finish_thread();
    auto reader_warnings = lines_.take_warnings();
    if (!reader_warnings.empty()) {
      auto& first = current().warnings;
      first.insert(first.begin(), reader_warnings.begin(), reader_warnings.end());
    }
    return std::move(snapshots_);
  }

 private:
  enum class Expect { kFunction, kFile };
  // kDone: after a "created by" frame nothing more belongs to the stack being read.
  enum class Target { kStack, kAncestor, kCreatedBy, kAncestorCreatedBy, kDone };

  void handle(std::string_view raw) {
    std::string_view line = trim(raw);
    if (line.empty()) {
      finish_thread();
      return;
    }
    if (thread_ == nullptr) {
      handle_outside(line);
      return;
    }
    if (expect_ == Expect::kFile) {
      if (auto file_line = text::parse_file_line(line)) {
        add_frame(*file_line);
        return;
      }
      warn(fmt::format("expected 'file:line' after function {}, found '{}'", pending_function_,
                       shorten(line)));
      expect_ = Expect::kFunction;
    }
    handle_inside(line);
  }

  void handle_outside(std::string_view line) {
    if (auto header = parse_header(line)) {
      // This dump separates its goroutines with blank lines (or log text), as Go does.
      if (!current().threads.empty()) blank_separated_ = true;
      start_thread(*header);
      return;
    }
    if (line == "-----") {
      // GOTRACEBACK=crash: after the goroutines, each other thread's signal and g0 stack,
      // separated by dashes. The same crash, not a new dump.
      crash_sections_ = true;
      after_dashes_ = true;
      return;
    }
    if (is_reason_line(line)) {
      if (line.starts_with("^\\"))
        line.remove_prefix(2);  // echoed by the terminal on Ctrl-backslash
      if (std::exchange(after_dashes_, false)) return;
      if (current().threads.empty()) {
        if (current().reason.empty()) current().reason = valid_utf8(line);
      } else {
        new_snapshot().reason = valid_utf8(line);
      }
    }
    // Everything else outside a goroutine is log text, registers or "runtime stack:" frames.
  }

  void handle_inside(std::string_view line) {
    switch (line.front()) {
      case 'g':
        if (auto header = parse_header(line)) {
          finish_thread();
          // Go ends a dump right after its last frame: in a dump that separates goroutines
          // with blank lines, a header with none before it starts an appended dump.
          if (blank_separated_) new_snapshot();
          start_thread(*header);
          return;
        }
        if (line == "goroutine running on other thread; stack unavailable") {
          thread_->stack_unavailable = true;
          return;
        }
        break;
      case 'c':
        if (line.starts_with("created by ")) {
          start_created_by(line.substr(11));
          return;
        }
        break;
      case '.':
        // "...additional frames elided..." and, since Go 1.21, "...N frames elided...".
        if (line.starts_with("...") && line.ends_with("elided...")) {
          thread_->frames_elided = true;
          return;
        }
        break;
      case '-':
        // Go 1.2 and 1.3 mark a segmented stack's seams; the same goroutine goes on below.
        if (line == "----- stack segment boundary -----") return;
        break;
      case '[':
        if (line.starts_with("[originating from goroutine ")) {
          start_ancestor(line);
          return;
        }
        break;
      default:
        break;
    }
    if (auto function = text::strip_call_arguments(line)) {
      pending_function_.assign(*function);
      if (thread_ != nullptr && target_ == Target::kStack) read_arguments(*function, line);
      expect_ = Expect::kFile;
      if (target_ == Target::kCreatedBy || target_ == Target::kAncestorCreatedBy ||
          target_ == Target::kDone) {
        warn(fmt::format("frame {} after 'created by' ignored", shorten(line)));
        target_ = Target::kDone;
      }
      return;
    }
    // Text that is no frame ends the goroutine: Go prints nothing else inside one, so this is
    // the log line that follows a dump ("exit status 2") or output interleaved with it.
    finish_thread();
    handle_outside(line);
  }

  // What the frame's printed arguments say: the object the goroutine waits on (the first
  // blocking call's, a value Go vouches for over a guess) and the addresses it holds.
  void read_arguments(std::string_view function, std::string_view call) {
    if (thread_->wait_object == 0 || thread_->wait_object_hint) {
      if (auto object = text::wait_object_argument(function, call);
          object && (thread_->wait_object == 0 || !object->hint)) {
        thread_->wait_object = object->value;
        thread_->wait_object_hint = object->hint;
      }
    }
    if (stack_.size() > UINT16_MAX) return;
    const auto thread = static_cast<uint32_t>(thread_ - current().threads.data());
    const auto depth = static_cast<uint16_t>(stack_.size());
    text::for_each_printed_address(function, call, [&](text::PrintedValue printed) {
      current().arguments.push_back(ArgumentValue{.value = printed.value,
                                                  .thread = thread,
                                                  .depth = depth,
                                                  .hint = printed.hint,
                                                  .first = printed.first});
    });
  }

  void start_thread(const Header& header) {
    // A crash's per-thread sections repeat the goroutines those threads run and print each
    // thread's scheduler stack as goroutine 0: read, then dropped, as nothing new.
    if (header.id_out_of_range) {
      warn(fmt::format("goroutine id {} is past 2^64 - 1; read as goroutine 0",
                       shorten(header.id_text)));
    }
    if (repeat_ && !repeat_->previous_ids.contains(header.id)) join_repeat(header.id);
    repeat_.reset();
    // An id out of range says nothing of which dump the goroutine belongs to.
    bool seen = !header.id_out_of_range && !seen_ids_.insert(header.id);
    repeated_in_crash_section_ = crash_sections_ && (seen || header.id == 0);
    if (seen && !crash_sections_) {
      // The same goroutine twice: a second dump starts here, unless the goroutine after it is
      // new (join_repeat).
      Repeat repeat{.previous_ids = std::move(seen_ids_),
                    .id = header.id,
                    .blank_separated = blank_separated_};
      new_snapshot();
      repeat_ = std::move(repeat);
      seen_ids_.insert(header.id);
    }
    current().threads.emplace_back();
    charge();
    thread_ = &current().threads.back();
    thread_->id = header.id;
    apply_status(header.status_list);
    expect_ = Expect::kFunction;
    target_ = Target::kStack;
    stack_.clear();
  }

  // A repeated goroutine followed by one its dump did not print is the same dump printing a
  // goroutine twice (old runtimes' crashes print a goroutine running on an M a second time): the
  // second copy is dropped and the dump read on, as one.
  void join_repeat(uint64_t next_id) {
    if (snapshots_.size() < 2 || current().threads.size() != 1) return;
    // A second dump of a process opens with what opened the first (the goroutine that dumps,
    // then main): a repeat of those starts a new dump whatever follows.
    const auto& previous = snapshots_[snapshots_.size() - 2].threads;
    for (size_t i = 0; i < std::min<size_t>(2, previous.size()); ++i) {
      if (previous[i].id == repeat_->id) return;
    }
    Repeat repeat = std::move(*repeat_);
    repeat_.reset();
    snapshots_.pop_back();
    seen_ids_ = std::move(repeat.previous_ids);
    blank_separated_ = repeat.blank_separated;
    // The caches point into the dropped snapshot's pools.
    previous_stack_ = {};
    previous_created_by_ = kNoFrame;
    previous_status_ = {};
    warn(
        fmt::format("goroutine {} is printed twice, and goroutine {} after it only once: read "
                    "as one dump, without the second copy",
                    repeat.id, next_id));
  }

  void apply_status(std::string_view list) {
    bool first = true;
    while (!list.empty()) {
      size_t comma = list.find(", ");
      std::string_view part = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 2);
      if (first) {
        first = false;

        // Most goroutines share a handful of statuses; skip the pool's hash for a repeat.
        if (part != previous_status_) {
          previous_status_ = current().intern(part);
          previous_state_ = classify_status(part);
        }
        set_status(*thread_, previous_status_, previous_state_);
      } else if (part == "locked to thread") {
        thread_->locked_to_thread = true;
      } else if (part.ends_with(" minutes")) {
        // A century bounds every real wait, and keeps the seconds of one far from overflow.
        constexpr int64_t kMaxMinutes = int64_t{100} * 366 * 24 * 60;
        auto minutes = parse_int<int64_t>(part.substr(0, part.size() - 8));
        if (minutes && *minutes >= 0 && *minutes <= kMaxMinutes) {
          thread_->wait = std::chrono::minutes(*minutes);
          thread_->wait_precision = WaitPrecision::kLowerBound;
        } else {
          warn(
              fmt::format("goroutine {}: wait '{}' is no number of minutes from 0 to {}; read as "
                          "no wait",
                          thread_->id, shorten(part), kMaxMinutes));
        }
      }
      // Other annotations ("scan", newer runtimes' additions) carry nothing we model.
    }
  }

  void start_created_by(std::string_view rest) {
    // "created by main.worker" or, since Go 1.21, "created by main.worker in goroutine 7".
    size_t in = rest.rfind(" in goroutine ");
    bool ancestor = target_ == Target::kAncestor || target_ == Target::kAncestorCreatedBy;
    if (in != std::string_view::npos) {
      auto creator = parse_int<uint64_t>(rest.substr(in + 14));
      if (creator && !ancestor) thread_->creator_id = *creator;
      rest = rest.substr(0, in);
    }
    commit_pending_stack();
    pending_function_.assign(rest);
    expect_ = Expect::kFile;
    target_ = ancestor ? Target::kAncestorCreatedBy : Target::kCreatedBy;
  }

  void start_ancestor(std::string_view line) {
    commit_pending_stack();
    std::string_view digits = line.substr(28);
    if (digits.ends_with("]:")) digits.remove_suffix(2);
    thread_->ancestors.emplace_back();
    thread_->ancestors.back().id = parse_int<uint64_t>(digits).value_or(0);
    target_ = Target::kAncestor;
    expect_ = Expect::kFunction;
  }

  void add_frame(const text::FileLine& file_line) {
    Frame frame{pending_function_, file_line.file, file_line.line};
    // Goroutines started by the same `go` statement are printed one after another with the
    // same frames: comparing with the previous goroutine at this depth skips the hash lookup.
    FrameId id = kNoFrame;
    size_t depth = stack_.size();
    if (target_ == Target::kStack && depth < previous_stack_.size() &&
        current().frame(previous_stack_[depth]) == frame) {
      id = previous_stack_[depth];
    } else if (target_ == Target::kCreatedBy && previous_created_by_ != kNoFrame &&
               current().frame(previous_created_by_) == frame) {
      id = previous_created_by_;
    } else {
      id = current().frames().intern(frame);
    }
    expect_ = Expect::kFunction;
    switch (target_) {
      case Target::kStack:
      case Target::kAncestor:
        stack_.push_back(id);
        break;
      case Target::kCreatedBy:
        thread_->created_by = id;
        previous_created_by_ = id;
        target_ = Target::kDone;
        break;
      case Target::kAncestorCreatedBy:
        thread_->ancestors.back().created_by = id;
        target_ = Target::kDone;
        break;
      case Target::kDone:
        break;
    }
  }

  // Frames gathered so far belong to the goroutine or to the ancestor being read.
  void commit_pending_stack() {
    if (stack_.empty()) return;
    if (target_ == Target::kAncestor && !thread_->ancestors.empty()) {
      thread_->ancestors.back().stack = current().intern_stack(stack_);
    } else if (target_ == Target::kStack) {
      thread_->stack = current().intern_stack(stack_);
      previous_stack_ = thread_->stack;
    }
    stack_.clear();
  }

  void finish_thread() {
    if (thread_ == nullptr) return;
    if (expect_ == Expect::kFile) {
      warn(fmt::format("goroutine {}: function {} has no file:line", thread_->id,
                       pending_function_));
    }
    commit_pending_stack();
    if (std::exchange(repeated_in_crash_section_, false)) {
      const auto dropped = static_cast<uint32_t>(current().threads.size() - 1);
      auto& arguments = current().arguments;
      while (!arguments.empty() && arguments.back().thread == dropped) arguments.pop_back();
      current().threads.pop_back();
    } else if (thread_->stack.empty() && !thread_->stack_unavailable) {
      warn(fmt::format("goroutine {} has no frames", thread_->id));
    }
    thread_ = nullptr;
  }

  Snapshot& current() {
    if (snapshots_.empty()) {
      snapshots_.emplace_back();
      snapshots_.back().source = lines_.name();
      // Reserving by the input's size moves no thread twice, and the untouched part of an
      // over-estimate costs no memory.
      if (expected_threads_) {
        snapshots_.back().threads.reserve(std::min<uint64_t>(*expected_threads_, 1 << 24));
      }
    }
    return snapshots_.back();
  }

  // What was built so far against what was read (BuiltFromText): a dense stretch stops the read.
  void charge() {
    BuiltFromText built{.threads = built_before_.threads + current().threads.size(),
                        .frames = built_before_.frames + current().frames().size()};
    auto within =
        built.check(lines_.limits(), lines_.bytes_read(), lines_.name(), lines_.line_number());
    if (!within) over_budget_ = within.error();
  }

  Snapshot& new_snapshot() {
    too_many_dumps_ = snapshots_.size() >= lines_.limits().max_dumps;
    finish_thread();
    built_before_.threads += current().threads.size();
    built_before_.frames += current().frames().size();
    repeat_.reset();
    seen_ids_.clear();
    blank_separated_ = false;
    crash_sections_ = false;
    after_dashes_ = false;
    snapshots_.emplace_back();
    snapshots_.back().source = lines_.name();
    previous_stack_ = {};
    previous_created_by_ = kNoFrame;
    previous_status_ = {};
    return snapshots_.back();
  }

  void warn(std::string message) {
    auto& warnings = current().warnings;
    if (warnings.size() < kMaxWarnings) {
      // The message quotes the input: repaired here, as every text read is.
      warnings.push_back(
          valid_utf8(fmt::format("{}:{}: {}", lines_.name(), lines_.line_number(), message)));
    } else if (warnings.size() == kMaxWarnings) {
      warnings.push_back(fmt::format("{}: further warnings not shown", lines_.name()));
    }
  }

  static std::string_view shorten(std::string_view text) { return text.substr(0, 80); }

  LineReader& lines_;
  std::optional<uint64_t> expected_threads_;
  std::vector<Snapshot> snapshots_;
  GreenThread* thread_ = nullptr;  // points into current().threads until finished
  Expect expect_ = Expect::kFunction;
  Target target_ = Target::kStack;
  std::string pending_function_;
  std::vector<FrameId> stack_;
  Stack previous_stack_;
  FrameId previous_created_by_ = kNoFrame;
  std::string_view previous_status_;
  ThreadState previous_state_ = ThreadState::kUnknown;
  IdSet seen_ids_;
  // A repeated id started current(): what to restore if the dump goes on with a new id.
  struct Repeat {
    IdSet previous_ids;
    uint64_t id = 0;
    bool blank_separated = false;
  };
  std::optional<Repeat> repeat_;
  bool blank_separated_ = false;  // a goroutine of current() followed a blank line
  // GOTRACEBACK=crash: a "-----" line was seen in this dump; the next reason line continues it.
  bool crash_sections_ = false;
  bool after_dashes_ = false;
  bool repeated_in_crash_section_ = false;  // the goroutine being read is dropped at its end
  bool too_many_dumps_ = false;
  BuiltFromText built_before_;  // by the dumps before current()
  std::optional<Error> over_budget_;
};

// Drops a trailing snapshot without threads; no thread at all is an error.
Result<std::vector<Snapshot>> checked(std::vector<Snapshot> snapshots, const std::string& name,
                                      uint64_t last_line) {
  if (!snapshots.empty() && snapshots.back().threads.empty()) {
    auto warnings = std::move(snapshots.back().warnings);
    snapshots.pop_back();
    if (!snapshots.empty()) {
      for (auto& warning : warnings) snapshots.back().warnings.push_back(std::move(warning));
    }
  }
  if (snapshots.empty()) {
    return Error{fmt::format(
        "{}: line {}: no goroutine found; expected 'goroutine N [status]:' followed by frames "
        "(a debug=2 dump, a panic or SIGQUIT output)",
        name, last_line)};
  }
  for (auto& snapshot : snapshots) snapshot.runtime = runtime_of_text(snapshot);
  return snapshots;
}

// Where a second thread can start reading: a goroutine header after a blank line, at or after
// the middle. Every goroutine ends at a blank line, so both halves parse as they would whole.
size_t find_split(std::string_view bytes) {
  for (size_t at = bytes.find("\ngoroutine ", bytes.size() / 2); at != std::string_view::npos;
       at = bytes.find("\ngoroutine ", at + 1)) {
    bool after_blank = at >= 1 && (bytes[at - 1] == '\n' ||
                                   (at >= 2 && bytes[at - 1] == '\r' && bytes[at - 2] == '\n'));
    size_t digit = at + 11;
    if (after_blank && digit < bytes.size() && bytes[digit] >= '0' && bytes[digit] <= '9') {
      return at + 1;
    }
  }
  return std::string_view::npos;
}

// About how many goroutines `bytes` holds, a little over: headers counted in its first MiB,
// scaled. A wide dump's goroutines are shorter than the usual guess by size allows, and a
// thread table that grows while the halves merge holds three copies at its peak.
uint64_t estimate_threads(std::string_view bytes) {
  constexpr size_t kSample = size_t{1} << 20;
  std::string_view sample = bytes.substr(0, kSample);
  uint64_t headers = 0;
  for (size_t at = sample.find("goroutine "); at != std::string_view::npos;
       at = sample.find("goroutine ", at + 10)) {
    if (at == 0 || sample[at - 1] == '\n') ++headers;
  }
  uint64_t by_size = bytes.size() / 150;
  if (sample.size() < kSample || headers == 0) return by_size;
  return std::max(by_size, headers * (bytes.size() / sample.size() + 1) * 9 / 8);
}

}  // namespace

Result<std::vector<Snapshot>> read_go_traceback(LineReader& lines) {
  auto snapshots = TracebackParser(lines).parse();
  if (!snapshots) return snapshots.error();
  return checked(std::move(*snapshots), lines.name(), lines.line_number());
}

Result<std::vector<Snapshot>> read_go_traceback(std::string_view bytes, const std::string& name,
                                                const ReadLimits& limits, bool image) {
  size_t split =
      bytes.size() >= limits.parallel_min_bytes ? find_split(bytes) : std::string_view::npos;
  if (split == std::string_view::npos) {
    LineReader lines(bytes, name, limits, 1, image);
    return read_go_traceback(lines);
  }
  auto read_whole = [&] {
    LineReader whole(bytes, name, limits, 1, false);
    return read_go_traceback(whole);
  };
  // Each half is held to its share of the whole's budget, not to a floor of its own.
  auto share = [&](std::string_view half) {
    ReadLimits part = limits;
    part.max_memory_bytes =
        static_cast<uint64_t>(static_cast<double>(MemoryBudget(limits, bytes.size()).limit()) *
                              static_cast<double>(half.size()) / static_cast<double>(bytes.size()));
    return part;
  };
  const ReadLimits first_limits = share(bytes.substr(0, split));
  const ReadLimits second_limits = share(bytes.substr(split));
  std::optional<Result<std::vector<Snapshot>>> second;
  uint64_t last_line = 0;
  // Joined however the first half ends: an allocation it cannot get unwinds past here.
  std::jthread worker([&] {
    // The halves keep their pages: a whole read may follow them (read_whole).
    LineReader lines(bytes.substr(split), name, second_limits, 1, false);
    try {
      second = TracebackParser(lines, estimate_threads(bytes.substr(split))).parse();
    } catch (const std::bad_alloc&) {
      // No exception may leave a thread; the whole read, on this thread, meets it again.
      second = Error{"out of memory"};
    }
    last_line = lines.line_number();
  });
  LineReader lines(bytes.substr(0, split), name, first_limits, 1, false);
  // The first half receives the second's threads: size its table for both.
  auto first = TracebackParser(lines, estimate_threads(bytes)).parse();
  worker.join();
  if (!first || !*second) return read_whole();
  // The second half numbered its lines from 1; a message naming a line needs the whole read.
  for (const auto& snapshot : **second) {
    if (!snapshot.warnings.empty()) return read_whole();
  }
  last_line += lines.line_number();

  std::vector<Snapshot> snapshots = std::move(*first);
  std::vector<Snapshot> rest = std::move(**second);
  size_t next = 0;
  if (!snapshots.empty() && !rest.empty()) {
    // The halves are one dump unless a goroutine id repeats across them, which starts a new
    // dump at a place only a whole read finds.
    IdSet ids;
    for (const auto& thread : snapshots.back().threads) ids.insert(thread.id);
    for (const auto& thread : rest.front().threads) {
      if (ids.contains(thread.id)) return read_whole();
    }
    append_snapshot(snapshots.back(), std::move(rest.front()));
    next = 1;
  }
  for (; next < rest.size(); ++next) snapshots.push_back(std::move(rest[next]));
  // Each half was held to its own share with a floor each; the whole is held to one.
  BuiltFromText built;
  for (const auto& snapshot : snapshots) {
    built.threads += snapshot.threads.size();
    built.frames += snapshot.frames().size();
  }
  if (auto within = built.check(limits, bytes.size(), name, last_line); !within) {
    return within.error();
  }
  return checked(std::move(snapshots), name, last_line);
}

}  // namespace leakscan
