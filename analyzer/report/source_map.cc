#include "analyzer/report/source_map.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <system_error>

namespace leakscan {
namespace {

namespace fs = std::filesystem;

// A go.mod is a few kilobytes; anything past this is not one.
constexpr uintmax_t kMaxGoModBytes = 1 << 20;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string_view without_trailing_slashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

// What follows `prefix` in `path` when `prefix` is whole leading path elements of it.
std::optional<std::string_view> after_elements(std::string_view path, std::string_view prefix) {
  prefix = without_trailing_slashes(prefix);
  if (!path.starts_with(prefix)) return std::nullopt;
  std::string_view rest = path.substr(prefix.size());
  if (!rest.empty() && rest.front() != '/' && prefix != "/") return std::nullopt;
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  return rest;
}

// The module path of go.mod's `module` directive; empty when the directory has no go.mod.
Result<std::string> read_module_path(const fs::path& root) {
  const fs::path go_mod = root / "go.mod";
  std::error_code error;
  if (!fs::is_regular_file(go_mod, error)) return std::string();
  if (fs::file_size(go_mod, error) > kMaxGoModBytes) {
    return Error{fmt::format("{}: larger than 1 MiB, expected a go.mod", go_mod.string())};
  }
  std::ifstream in(go_mod);
  if (!in) return Error{fmt::format("{}: cannot be read", go_mod.string())};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string_view text = line;
    if (size_t comment = text.find("//"); comment != std::string_view::npos) {
      text = text.substr(0, comment);
    }
    text = trim(text);
    if (!text.starts_with("module") || text.size() == 6 || (text[6] != ' ' && text[6] != '\t')) {
      continue;
    }
    std::string_view module = trim(text.substr(6));
    if (module.size() >= 2 && module.front() == '"' && module.back() == '"') {
      module = module.substr(1, module.size() - 2);
    }
    if (module.empty() || module.find_first_of(" \t\"") != std::string_view::npos) {
      return Error{fmt::format("{}: line {}: expected `module PATH`", go_mod.string(), number)};
    }
    return std::string(without_trailing_slashes(module));
  }
  return Error{fmt::format("{}: no `module` line, expected `module PATH`", go_mod.string())};
}

// Directories the go command never takes a package or module from, and copies of other
// modules (a module cache's path@version) that are not the repository's code.
bool not_the_repositorys_modules(const fs::path& directory) {
  const std::string name = directory.filename().string();
  return name.starts_with('.') || name.starts_with('_') || name == "testdata" ||
         name == "node_modules" || name.find('@') != std::string::npos;
}

// A checkout is walked for its go.mod files; past these, a root that is not a repository (a
// home directory, /) is not walked further.
constexpr size_t kMaxEntriesWalked = 200'000;
constexpr int kMaxDepth = 12;

}  // namespace

Result<PathPrefix> parse_path_prefix(std::string_view text) {
  size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    return Error{fmt::format("path prefix '{}': expected FROM=TO (e.g. /home/ci/src/svc=)", text)};
  }
  return PathPrefix{std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

Result<SourceMap> SourceMap::load(const std::optional<fs::path>& root,
                                  std::vector<PathPrefix> prefixes) {
  SourceMap map;
  for (const auto& prefix : prefixes) {
    if (prefix.from.empty()) return Error{"path prefix: FROM is empty, expected FROM=TO"};
  }
  map.prefixes_ = std::move(prefixes);
  if (!root) return map;
  std::error_code error;
  if (!fs::is_directory(*root, error)) {
    return Error{
        fmt::format("{}: not a directory, expected the repository's root", root->string())};
  }
  map.root_ = without_trailing_slashes(fs::absolute(*root, error).lexically_normal().string());
  map.root_uri_ = path_uri(map.root_);
  if (!map.root_uri_.ends_with('/')) map.root_uri_ += '/';
  // The root's own go.mod must be one; a broken go.mod deeper down is some test's fixture.
  auto module = read_module_path(map.root_);
  if (!module) return module.error();
  if (!module->empty()) map.modules_.push_back({std::move(*module), ""});
  fs::recursive_directory_iterator walk(map.root_, fs::directory_options::skip_permission_denied,
                                        error);
  for (size_t entries = 0;
       !error && walk != fs::recursive_directory_iterator() && entries < kMaxEntriesWalked;
       walk.increment(error), ++entries) {
    if (!walk->is_directory(error)) continue;
    if (not_the_repositorys_modules(walk->path()) || walk.depth() >= kMaxDepth) {
      walk.disable_recursion_pending();
      continue;
    }
    auto nested = read_module_path(walk->path());
    if (!nested || nested->empty()) continue;
    map.modules_.push_back(
        {std::move(*nested), walk->path().lexically_relative(map.root_).string()});
  }
  std::stable_sort(map.modules_.begin(), map.modules_.end(),
                   [](const Module& a, const Module& b) { return a.path.size() > b.path.size(); });
  return map;
}

std::optional<std::string> SourceMap::under_root(std::string_view path) const {
  if (root_.empty()) return std::nullopt;
  const std::string normal = fs::path(path).lexically_normal().string();
  auto rest = after_elements(normal, root_);
  if (!rest || rest->empty()) return std::nullopt;
  return std::string(*rest);
}

std::optional<std::string> SourceMap::relative(std::string_view file) const {
  for (const auto& prefix : prefixes_) {
    auto rest = after_elements(file, prefix.from);
    if (!rest || rest->empty()) continue;
    std::string_view to = without_trailing_slashes(prefix.to);
    if (to.starts_with('/')) return under_root(fmt::format("{}/{}", to, *rest));
    std::string joined =
        to.empty() || to == "." ? std::string(*rest) : fmt::format("{}/{}", to, *rest);
    std::string normal = fs::path(joined).lexically_normal().string();
    // A mapping that climbs out of the repository places nothing in it.
    if (normal.starts_with("..")) return std::nullopt;
    return normal;
  }
  if (file.starts_with('/')) {
    if (auto local = under_root(file)) return local;
  }
  auto in_module = [](const Module& module, std::string_view rest) {
    return module.directory.empty() ? std::string(rest)
                                    : fmt::format("{}/{}", module.directory, rest);
  };
  // -trimpath prints the module path; GOPATH builds print .../src/<module>/.
  for (const auto& module : modules_) {
    if (auto rest = after_elements(file, module.path); rest && !rest->empty()) {
      return in_module(module, *rest);
    }
  }
  for (const auto& module : modules_) {
    size_t inside = file.find(fmt::format("/{}/", module.path));
    if (inside != std::string_view::npos) {
      return in_module(module, file.substr(inside + module.path.size() + 2));
    }
  }
  return std::nullopt;
}

Result<SourceMap> load_source_map(const std::optional<fs::path>& root,
                                  std::span<const std::string> path_prefixes) {
  std::vector<PathPrefix> prefixes;
  for (const auto& text : path_prefixes) {
    auto prefix = parse_path_prefix(text);
    if (!prefix) return prefix.error();
    prefixes.push_back(std::move(*prefix));
  }
  return SourceMap::load(root, std::move(prefixes));
}

std::string path_uri(std::string_view path) {
  std::string out = path.starts_with('/') ? "file://" : "";
  for (unsigned char c : path) {
    bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("-._~!$&'()*+,;=:@/").find(static_cast<char>(c)) != std::string_view::npos;
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace leakscan
