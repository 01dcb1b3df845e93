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

}  // namespace leakscan
