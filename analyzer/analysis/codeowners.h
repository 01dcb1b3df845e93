#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/result.h"

namespace leakscan {

// A CODEOWNERS file (GitHub's format): the last pattern matching a path names its owners.
class CodeOwners {
 public:
  static Result<CodeOwners> load(const std::string& path);
  static CodeOwners parse(std::string_view text);

  // Owners of `file`, a path as a stack frame names it: absolute, or module-relative with
  // -trimpath. Patterns are matched against every suffix that starts at a '/'.
  std::vector<std::string> owners_of(std::string_view file) const;

 private:
  struct Entry {
    std::string pattern;
    std::vector<std::string> owners;
  };
  std::vector<Entry> entries_;
};

// gitignore-style glob: '*' within a path element, '**' across elements, a trailing '/' matches
// a directory and everything below it. The repository root is unknown, so a leading '/' is
// ignored and the pattern may match from any directory of the path.
bool codeowners_pattern_matches(std::string_view pattern, std::string_view path);

}  // namespace leakscan
