#include "analyzer/engine/exit_decision.h"

namespace leakscan {

std::optional<FailOn> parse_fail_on(std::string_view text) {
  if (text == "leak") return FailOn::kLeak;
  if (text == "suspect") return FailOn::kSuspect;
  if (text == "never" || text.empty()) return FailOn::kNever;
  return std::nullopt;
}

bool fails(const report::Summary& summary, FailOn fail_on) {
  switch (fail_on) {
    case FailOn::kLeak:
      return summary.leaks() > 0;
    case FailOn::kSuspect:
      return summary.leaks() + summary.suspects() > 0;
    case FailOn::kNever:
      break;
  }
  return false;
}

}  // namespace leakscan
