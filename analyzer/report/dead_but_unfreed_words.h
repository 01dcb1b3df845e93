// The words the text and Markdown reports share for layer 2's findings.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "analyzer/model/text_format.h"
#include "proto/leakscan_report.pb.h"

namespace leakscan {

inline std::string megabytes(int64_t bytes) {
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
}

// "20,000 at once in snapshot 1" when a snapshot saw more of the site alive than the last did;
// empty otherwise.
inline std::string peak_words(const report::DeadButUnfreed& finding) {
  if (finding.peak_alive() <= finding.alive_at_site()) return "";
  return fmt::format("{} at once in snapshot {}", with_thousands(finding.peak_alive()),
                     finding.peak_snapshot() + 1);
}

// Which of the runtime's free lists the dead wait on, and so what frees their stacks: "free
// lists: 19,744 on the global one (...), 256 on P's own (...)"; empty where not read.
inline std::string free_list_words(const report::DeadButUnfreed& finding) {
  if (!finding.free_lists_read()) return "";
  std::string words = fmt::format(
      "free lists: {} on the global one ({}), {} on P's own (kept, stacks and all, for their "
      "next goroutines)",
      with_thousands(finding.on_global_free_list()),
      finding.global_stack_bytes() > 0 ? fmt::format("the next GC frees their {} of stacks",
                                                     megabytes(finding.global_stack_bytes()))
                                       : std::string("their stacks already freed"),
      with_thousands(finding.on_processor_free_lists()));
  if (finding.on_no_free_list() > 0) {
    words += fmt::format(", {} on none (kept for cgo callbacks, or changing hands as read)",
                         with_thousands(finding.on_no_free_list()));
  }
  return words;
}

}  // namespace leakscan
