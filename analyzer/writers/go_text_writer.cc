#include "analyzer/writers/go_text_writer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace leakscan {
namespace {

// Go prints "?:0" where it knows no file, and the readers read it back as none.
void write_frame(const Frame& frame, std::FILE* out) {
  fmt::print(out, "{}(...)\n\t{}:{}\n", frame.function, frame.file.empty() ? "?" : frame.file,
             frame.line);
}

void write_thread(const Snapshot& snapshot, const GreenThread& thread, std::FILE* out) {
  // Go's bracket is its wait reason. The agent's threads have a state ("waiting") and a precise
  // reason ("chan send"): the bracket takes the reason, as Go would print it.
  std::string_view bracket = thread.wait_reason.empty() ? thread.status : thread.wait_reason;
  std::string status(bracket.empty() ? to_string(thread.state) : bracket);
  if (thread.proven_leaked) status += " (leaked)";
  if (thread.wait) {
    auto minutes = std::chrono::duration_cast<std::chrono::minutes>(*thread.wait).count();
    // Go only mentions waits of a minute or more.
    if (minutes >= 1) status += fmt::format(", {} minutes", minutes);
  }
  if (thread.locked_to_thread) status += ", locked to thread";
  fmt::print(out, "goroutine {} [{}]:\n", thread.id, status);
  if (thread.stack_unavailable)
    fmt::print(out, "goroutine running on other thread; stack unavailable\n");
  for (FrameId id : thread.stack) write_frame(snapshot.frame(id), out);
  if (thread.frames_elided) fmt::print(out, "...additional frames elided...\n");
  if (thread.created_by != kNoFrame) {
    const Frame& creator = snapshot.frame(thread.created_by);
    if (thread.creator_id != 0) {
      fmt::print(out, "created by {} in goroutine {}\n", creator.function, thread.creator_id);
    } else {
      fmt::print(out, "created by {}\n", creator.function);
    }
    fmt::print(out, "\t{}:{}\n", creator.file, creator.line);
  }
  fmt::print(out, "\n");
}

// Go's %q as far as the debug=1 reader needs it: quotes, backslashes and control bytes escaped.
std::string quote_go(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

void write_debug1(const Snapshot& snapshot, std::FILE* out) {
  fmt::print(out, "{} profile: total {}\n", snapshot.proven_leaked ? "goroutineleak" : "goroutine",
             snapshot.goroutine_count());
  for (const auto& sample : snapshot.samples) {
    fmt::print(out, "{} @", sample.count);
    for (size_t i = 0; i < sample.stack.size(); ++i) fmt::print(out, " 0x0");
    fmt::print(out, "\n");
    if (!sample.labels.empty()) {
      std::vector<std::string> pairs;
      for (const auto& label : sample.labels) {
        pairs.push_back(fmt::format(
            "{}:{}", quote_go(label.key),
            quote_go(label.numeric ? std::to_string(label.num) : std::string(label.str))));
      }
      std::sort(pairs.begin(), pairs.end());
      fmt::print(out, "# labels: {{{}}}\n", fmt::join(pairs, ", "));
    }
    for (FrameId id : sample.stack) {
      const Frame& frame = snapshot.frame(id);
      if (frame.file.empty()) {
        // Go's own form for a frame it cannot symbolize; ":0" would not read back.
        fmt::print(out, "#\t{}\n", frame.function);
      } else {
        fmt::print(out, "#\t0x0\t{}+0x0\t{}:{}\n", frame.function, frame.file, frame.line);
      }
    }
    fmt::print(out, "\n");
  }
}

}  // namespace

void write_go_text(std::span<const Snapshot> snapshots, std::FILE* out) {
  for (const auto& snapshot : snapshots) {
    if (snapshot.aggregated()) {
      write_debug1(snapshot, out);
      continue;
    }
    if (!snapshot.reason.empty()) fmt::print(out, "{}\n\n", snapshot.reason);
    for (const auto& thread : snapshot.threads) write_thread(snapshot, thread, out);
  }
}

}  // namespace leakscan
