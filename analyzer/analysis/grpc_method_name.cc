#include "analyzer/analysis/grpc_method_name.h"

#include <fmt/format.h>

#include <cctype>

namespace leakscan {
namespace {

// v1, v2beta1, v1alpha: a proto package's version component.
bool is_version(std::string_view part) {
  if (part.size() < 2 || part[0] != 'v' || !std::isdigit(static_cast<unsigned char>(part[1]))) {
    return false;
  }
  for (char c : part.substr(1)) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string_view last_part(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::optional<std::string> grpc_full_method(std::string_view function) {
  constexpr std::string_view kSuffix = "_Handler";
  // The package path ends at the first dot after its last slash.
  const size_t slash = function.rfind('/');
  const size_t dot = function.find('.', slash == std::string_view::npos ? 0 : slash);
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view package = function.substr(0, dot);
  std::string_view name = function.substr(dot + 1);
  if (name.size() <= 1 + kSuffix.size() || !name.starts_with('_') || !name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  name = name.substr(1, name.size() - 1 - kSuffix.size());
  // Proto method names carry no underscore; service names may.
  const size_t split = name.rfind('_');
  if (split == std::string_view::npos || split == 0 || split + 1 == name.size()) {
    return std::nullopt;
  }
  std::string_view service = name.substr(0, split);
  std::string_view method = name.substr(split + 1);
  std::string_view directory = last_part(package);
  std::string proto_package(directory);
  if (is_version(directory) && package.size() > directory.size()) {
    std::string_view parent = last_part(package.substr(0, package.size() - directory.size() - 1));
    proto_package = fmt::format("{}.{}", parent, directory);
  }
  if (proto_package.empty() || proto_package.find('.') == 0) return std::nullopt;
  return fmt::format("/{}.{}/{}", proto_package, service, method);
}

}  // namespace leakscan
