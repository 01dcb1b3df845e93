#include "analyzer/model/thread_labels.h"

#include <fmt/format.h>

#include <charconv>

#include "analyzer/model/text_format.h"

namespace leakscan::thread_labels {
namespace {

Label str_label(std::string_view key, std::string_view value) {
  return Label{.key = key, .str = value};
}
Label num_label(std::string_view key, int64_t value, std::string_view unit = {}) {
  return Label{key, {}, value, unit, true};
}

}  // namespace

std::string created_by_text(const Frame& frame) { return format_site(frame); }

void append_labels(const GreenThread& thread, RuntimeKind runtime, std::string_view created_by,
                   std::vector<Label>& out) {
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
  if (thread.created_at) {
    auto since_epoch =
        std::chrono::duration_cast<std::chrono::nanoseconds>(thread.created_at->time_since_epoch());
    out.push_back(num_label(kCreatedAt, since_epoch.count(), kNanoseconds));
  }
  if (thread.creator_id != 0) {
    out.push_back(num_label(kCreatorGoid, static_cast<int64_t>(thread.creator_id)));
  }
  if (!created_by.empty()) out.push_back(str_label(kCreatedBy, created_by));
  if (thread.locked_to_thread) out.push_back(str_label(kLockedToThread, "true"));
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
  append_labels(thread, runtime, created_by, labels);
  return labels;
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
      thread.status = label.str;
      thread.state = classify_status(label.str);
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
    } else if (label.key == kFramesElided) {
      thread.frames_elided = label.str == "true";
    } else if (label.key == kRuntime) {
      if (auto kind = parse_runtime_kind(label.str)) runtime = *kind;
    } else if (label.key == kCreatedBy) {
      // "FUNC at FILE:LINE"; file paths may contain " at " only in theory.
      std::string_view text = label.str;
      size_t at = text.rfind(" at ");
      size_t colon = text.rfind(':');
      Frame frame{.function = text};
      if (at != std::string_view::npos && colon != std::string_view::npos && colon > at) {
        int64_t line = 0;
        auto digits = text.substr(colon + 1);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), line);
        if (ec == std::errc() && end == digits.data() + digits.size()) {
          frame = Frame{text.substr(0, at), text.substr(at + 4, colon - at - 4), line};
        }
      }
      thread.created_by = snapshot.frames().intern(frame);
    } else {
      thread.labels.push_back(label);
    }
  }
}

}  // namespace leakscan::thread_labels
