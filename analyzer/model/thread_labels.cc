#include "analyzer/model/thread_labels.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <optional>

#include "analyzer/model/text_format.h"

namespace leakscan::thread_labels {
namespace {

Label str_label(std::string_view key, std::string_view value) {
  return Label{.key = key, .str = value};
}
Label num_label(std::string_view key, int64_t value, std::string_view unit = {}) {
  return Label{key, {}, value, unit, true};
}

// "2026-12-01T22:31:05.123456789Z" or without the fraction; the offset must be Z, as written.
std::optional<std::chrono::system_clock::time_point> parse_created_at(std::string_view text) {
  auto number = [&](size_t at, size_t digits) -> std::optional<int> {
    int value = 0;
    if (at + digits > text.size()) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + digits, value);
    if (ec != std::errc() || end != text.data() + at + digits) return std::nullopt;
    return value;
  };
  auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
  auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text.size() < 20 ||
      text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text.back() != 'Z') {
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year(*year),
                                   std::chrono::month(static_cast<unsigned>(*month)),
                                   std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  std::chrono::nanoseconds fraction{0};
  std::string_view rest = text.substr(19, text.size() - 20);
  if (!rest.empty()) {
    if (rest.front() != '.' || rest.size() < 2 || rest.size() > 10) return std::nullopt;
    auto digits = number(20, rest.size() - 1);
    if (!digits) return std::nullopt;
    int64_t scaled = *digits;
    for (size_t i = rest.size() - 1; i < 9; ++i) scaled *= 10;
    fraction = std::chrono::nanoseconds(scaled);
  }
  auto at = std::chrono::sys_days(date) + std::chrono::hours(*hour) +
            std::chrono::minutes(*minute) + std::chrono::seconds(*second) + fraction;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(at);
}

}  // namespace

std::string created_by_text(const Frame& frame) { return format_site(frame); }

std::string created_at_text(std::chrono::system_clock::time_point at) {
  // Calendar arithmetic, not strftime: an agent formats one per fiber, 100,000 a snapshot.
  auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch());
  auto days = std::chrono::floor<std::chrono::days>(since_epoch);
  std::chrono::year_month_day date{std::chrono::sys_days(days)};
  std::chrono::hh_mm_ss time{since_epoch - days};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count(),
                     time.subseconds().count());
}

Frame parse_site(std::string_view text) {
  // File paths may contain " at " only in theory.
  size_t at = text.rfind(" at ");
  size_t colon = text.rfind(':');
  if (at != std::string_view::npos && colon != std::string_view::npos && colon > at) {
    int64_t line = 0;
    auto digits = text.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), line);
    if (ec == std::errc() && end == digits.data() + digits.size()) {
      return Frame{text.substr(0, at), text.substr(at + 4, colon - at - 4), line};
    }
  }
  return Frame{.function = text};
}

void append_labels(const GreenThread& thread, RuntimeKind runtime, std::string_view created_by,
                   std::string_view created_at, std::vector<Label>& out) {
  out.push_back(num_label(kGoid, static_cast<int64_t>(thread.id)));
  if (!thread.status.empty()) out.push_back(str_label(kState, thread.status));
  // Omitted where it repeats the state, as Go's do: 100,000 goroutines, 100,000 labels fewer.
  if (!thread.wait_reason.empty() && thread.wait_reason != thread.status) {
    out.push_back(str_label(kWaitReason, thread.wait_reason));
  }
  if (thread.wait) out.push_back(num_label(kWait, thread.wait->count(), kNanoseconds));
  // Exact is what a bare wait label means; the others say so.
  if (thread.wait && (thread.wait_precision == WaitPrecision::kLowerBound ||
                      thread.wait_precision == WaitPrecision::kCapped)) {
    out.push_back(str_label(kWaitPrecision, to_string(thread.wait_precision)));
  }
  if (!created_at.empty()) {
    out.push_back(str_label(kCreatedAt, created_at));
    if (thread.created_at_precision != CreationPrecision::kUnknown) {
      out.push_back(str_label(kCreatedAtPrecision, to_string(thread.created_at_precision)));
    }
  }
  if (thread.creator_id != 0) {
    out.push_back(num_label(kCreatorGoid, static_cast<int64_t>(thread.creator_id)));
  }
  if (!created_by.empty()) out.push_back(str_label(kCreatedBy, created_by));
  if (thread.locked_to_thread) out.push_back(str_label(kLockedToThread, "true"));
  if (thread.proven_leaked) out.push_back(str_label(kProvenLeaked, "true"));
  if (thread.frames_elided) out.push_back(str_label(kFramesElided, "true"));
  if (runtime != RuntimeKind::kGo) out.push_back(str_label(kRuntime, to_string(runtime)));
  out.insert(out.end(), thread.labels.begin(), thread.labels.end());
}

std::vector<Label> to_labels(const GreenThread& thread, RuntimeKind runtime,
                             const Snapshot& snapshot, StringPool& strings) {
  std::vector<Label> labels;
  std::string_view created_by;
  if (thread.created_by != kNoFrame) {
    created_by = strings.intern(created_by_text(snapshot.frame(thread.created_by)));
  }
  std::string_view created_at;
  if (thread.created_at) created_at = strings.intern(created_at_text(*thread.created_at));
  append_labels(thread, runtime, created_by, created_at, labels);
  return labels;
}

void add_creation_stack(std::string_view text, GreenThread& thread, Snapshot& snapshot) {
  // The creator's stack at the go statement is what tracebackancestors calls the first
  // ancestor: one path to the report. Kept as a label too, for writers to write back.
  std::vector<FrameId> frames;
  for (size_t start = 0; start < text.size();) {
    size_t end = std::min(text.find(" <- ", start), text.size());
    frames.push_back(snapshot.frames().intern(parse_site(text.substr(start, end - start))));
    start = end + 4;
  }
  thread.ancestors.prepend(
      Ancestor{.id = thread.creator_id, .stack = snapshot.intern_stack(frames)});
  thread.labels.push_back(Label{.key = kCreationStack, .str = text});
}

bool describes_thread(const std::vector<Label>& labels) {
  for (const auto& label : labels) {
    if (label.key == kGoid && label.numeric) return true;
  }
  return false;
}

void from_labels(const std::vector<Label>& labels, GreenThread& thread, RuntimeKind& runtime,
                 Snapshot& snapshot) {
  for (const auto& label : labels) {
    if (label.numeric) {
      if (label.key == kGoid) {
        thread.id = static_cast<uint64_t>(label.num);
      } else if (label.key == kWait) {
        thread.wait = std::chrono::nanoseconds(label.num);
        if (thread.wait_precision == WaitPrecision::kUnknown) {
          thread.wait_precision = WaitPrecision::kExact;
        }
      } else if (label.key == kCreatedAt) {
        thread.created_at = std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::nanoseconds(label.num)));
      } else if (label.key == kCreatorGoid) {
        thread.creator_id = static_cast<uint64_t>(label.num);
      } else {
        thread.labels.push_back(label);
      }
      continue;
    }
    if (label.key == kState) {
      set_status(thread, label.str);
    } else if (label.key == kWaitReason) {
      thread.wait_reason = label.str;
    } else if (label.key == kWaitObject) {
      // Kept as the thread's own label too: writers write it back from there.
      uint64_t address = 0;
      std::string_view hex = label.str;
      if (hex.starts_with("0x")) hex.remove_prefix(2);
      auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), address, 16);
      if (ec == std::errc() && end == hex.data() + hex.size()) thread.wait_object = address;
      thread.labels.push_back(label);
    } else if (label.key == kWaitPrecision) {
      if (auto precision = parse_wait_precision(label.str)) thread.wait_precision = *precision;
    } else if (label.key == kLockedToThread) {
      thread.locked_to_thread = label.str == "true";
    } else if (label.key == kProvenLeaked) {
      thread.proven_leaked = label.str == "true";
    } else if (label.key == kFramesElided) {
      thread.frames_elided = label.str == "true";
    } else if (label.key == kRuntime) {
      if (auto kind = parse_runtime_kind(label.str)) runtime = *kind;
    } else if (label.key == kCreatedBy) {
      thread.created_by = snapshot.frames().intern(parse_site(label.str));
    } else if (label.key == kCreatedAt) {
      if (auto at = parse_created_at(label.str)) thread.created_at = *at;
    } else if (label.key == kCreatedAtPrecision) {
      if (auto precision = parse_creation_precision(label.str)) {
        thread.created_at_precision = *precision;
      }
    } else if (label.key == kCreationStack) {
      add_creation_stack(label.str, thread, snapshot);
      thread.labels.push_back(label);
    } else {
      thread.labels.push_back(label);
    }
  }
}

}  // namespace leakscan::thread_labels
