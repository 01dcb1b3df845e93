#include "analyzer/analysis/codeowners.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace leakscan {
namespace {

// Glob match of `pattern` against all of `text`; '*' and '?' stop at '/', "**" does not, and
// "**/" resumes only at the start of a path element. Dynamic programming over (pattern, text)
// positions: a backtracking matcher is exponential on patterns like "*a*a*a*a*b".
bool glob(std::string_view pattern, std::string_view text) {
  constexpr size_t kMaxPattern = 1024;
  if (pattern.size() > kMaxPattern) return false;
  const size_t p = pattern.size();
  const size_t t = text.size();
  // row(i)[j]: pattern[i:] matches text[j:].
  std::vector<std::vector<char>> rows(p + 1, std::vector<char>(t + 1, 0));
  rows[p][t] = 1;
  for (size_t i = p; i-- > 0;) {
    auto& row = rows[i];
    if (pattern.substr(i).starts_with("**")) {
      bool whole = i + 2 < p && pattern[i + 2] == '/';
      const auto& next = rows[i + (whole ? 3 : 2)];
      // later: the rest matches from some position after j where it may start: anywhere for
      // "**", only right after a '/' for "**/" (j itself always may).
      char later = 0;
      for (size_t j = t + 1; j-- > 0;) {
        row[j] = next[j] != 0 || later != 0 ? 1 : 0;
        if (next[j] != 0 && (!whole || (j > 0 && text[j - 1] == '/'))) later = 1;
      }
      continue;
    }
    const auto& next = rows[i + 1];
    char c = pattern[i];
    for (size_t j = t + 1; j-- > 0;) {
      if (c == '*') {
        row[j] = next[j] != 0 || (j < t && text[j] != '/' && row[j + 1] != 0) ? 1 : 0;
      } else if (c == '?') {
        row[j] = j < t && text[j] != '/' && next[j + 1] != 0 ? 1 : 0;
      } else {
        row[j] = j < t && text[j] == c && next[j + 1] != 0 ? 1 : 0;
      }
    }
  }
  return rows[0][0] != 0;
}

}  // namespace

bool codeowners_pattern_matches(std::string_view pattern, std::string_view path) {
  // Stack frames name files by absolute or module-relative paths, never relative to the
  // repository root, so every suffix of the path that starts at a '/' is a candidate root.
  if (pattern.starts_with('/')) pattern.remove_prefix(1);
  bool directory = pattern.ends_with('/');
  std::string glob_pattern(pattern);
  if (directory) glob_pattern += "**";
  auto matches_here = [&](std::string_view candidate) {
    if (glob(glob_pattern, candidate)) return true;
    // "docs" matches files under docs as well; "docs/*" only docs' own files (GitHub's rule).
    return !directory && !pattern.ends_with("/*") && glob(glob_pattern + "/**", candidate);
  };
  if (matches_here(path)) return true;
  for (size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    if (matches_here(path.substr(slash + 1))) return true;
  }
  return false;
}

CodeOwners CodeOwners::parse(std::string_view text) {
  CodeOwners owners;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream fields(line);
    Entry entry;
    if (!(fields >> entry.pattern)) continue;
    std::string owner;
    while (fields >> owner) entry.owners.push_back(owner);
    owners.entries_.push_back(std::move(entry));
  }
  return owners;
}

Result<CodeOwners> CodeOwners::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{fmt::format("{}: cannot open CODEOWNERS file", path)};
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str());
}

std::vector<std::string> CodeOwners::owners_of(std::string_view file) const {
  if (file.starts_with('/')) file.remove_prefix(1);
  // The last matching pattern wins, as on GitHub.
  for (size_t i = entries_.size(); i-- > 0;) {
    if (codeowners_pattern_matches(entries_[i].pattern, file)) return entries_[i].owners;
  }
  return {};
}

}  // namespace leakscan
