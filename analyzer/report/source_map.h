// Frame files as repository paths, for reports that point at code (SARIF): build machines print
// absolute paths (/home/jenkins/...) or, with -trimpath, module paths (github.com/acme/svc/...),
// while code review knows files by their path in the repository.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/model/result.h"

namespace leakscan {

// A frame file's leading path elements as the build machine printed them, and what they are in
// the repository (relative to its root; empty for the root itself), as pprof's -trim_path.
struct PathPrefix {
  std::string from;
  std::string to;
};

// "FROM=TO".
Result<PathPrefix> parse_path_prefix(std::string_view text);

class SourceMap {
 public:
  SourceMap() = default;  // places no file

  // The repository checked out at `root`, with `prefixes` tried first, in order. Each go.mod
  // under `root` (as the go command finds modules: not in testdata or in directories named
  // with a leading '.' or '_') names the module whose paths are the files of its directory.
  static Result<SourceMap> load(const std::optional<std::filesystem::path>& root,
                                std::vector<PathPrefix> prefixes);

  // `file` relative to the repository root ("internal/x.go"), or nullopt when nothing places it
  // in the repository.
  std::optional<std::string> relative(std::string_view file) const;

  // The root as an absolute file:// URI ending in '/'; empty when no root was given.
  const std::string& root_uri() const { return root_uri_; }
  bool places_nothing() const { return root_.empty() && prefixes_.empty(); }

 private:
  std::optional<std::string> under_root(std::string_view path) const;

  struct Module {
    std::string path;       // go.mod's module path
    std::string directory;  // its directory, relative to the root; empty for the root
  };

  std::string root_;  // absolute, lexically normal, without a trailing '/'
  std::string root_uri_;
  std::vector<Module> modules_;  // longest module path first: a nested module wins
  std::vector<PathPrefix> prefixes_;
};

// SourceMap::load with prefixes as "FROM=TO" texts: what the command line and Python take.
Result<SourceMap> load_source_map(const std::optional<std::filesystem::path>& root,
                                  std::span<const std::string> path_prefixes);

// `path` as a URI reference: an absolute path becomes a file:// URI; characters a URI cannot
// hold are percent-encoded (RFC 3986).
std::string path_uri(std::string_view path);

}  // namespace leakscan
