#include "analyzer/analysis/codeowners.h"

#include <fmt/format.h>

#include <fstream>
#include <ranges>
#include <sstream>

namespace leakscan {
namespace {

// Glob match of `pattern` against all of `text`; '*' stops at '/', "**" does not.
bool glob(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern.starts_with("**")) {
    std::string_view rest = pattern.substr(2);
    // "**/" stands for whole directories: what follows starts a path element.
    bool whole = rest.starts_with('/');
    if (whole) rest.remove_prefix(1);
    for (size_t i = 0; i <= text.size(); ++i) {
      if (whole && i > 0 && text[i - 1] != '/') continue;
      if (glob(rest, text.substr(i))) return true;
    }
    return false;
  }
  if (pattern.front() == '*') {
    for (size_t i = 0; i <= text.size(); ++i) {
      if (glob(pattern.substr(1), text.substr(i))) return true;
      if (i < text.size() && text[i] == '/') break;
    }
    return false;
  }
  if (text.empty()) return false;
  if (pattern.front() != '?' && pattern.front() != text.front()) return false;
  if (pattern.front() == '?' && text.front() == '/') return false;
  return glob(pattern.substr(1), text.substr(1));
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
  for (const auto& entry : std::views::reverse(entries_)) {
    if (codeowners_pattern_matches(entry.pattern, file)) return entry.owners;
  }
  return {};
}

}  // namespace leakscan
