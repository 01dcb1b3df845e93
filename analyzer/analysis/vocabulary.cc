#include "analyzer/analysis/vocabulary.h"

#include <array>
#include <utility>

namespace leakscan {
namespace {

constexpr std::array<std::pair<AnchorKind, std::string_view>, 8> kAnchorKinds{{
    {AnchorKind::kDefault, "default"},
    {AnchorKind::kLabel, "label"},
    {AnchorKind::kHttpHandler, "http_handler"},
    {AnchorKind::kGrpcMethod, "grpc_method"},
    {AnchorKind::kGrpcStream, "grpc_stream"},
    {AnchorKind::kJob, "job"},
    {AnchorKind::kCreatedBy, "created_by"},
    {AnchorKind::kOwner, "owner"},
}};

}  // namespace

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLeak:
      return "leak";
    case Verdict::kSuspect:
      return "suspect";
    case Verdict::kExpected:
      return "expected";
  }
  return "expected";
}

std::string_view to_string(AnchorKind kind) {
  for (const auto& [value, text] : kAnchorKinds) {
    if (value == kind) return text;
  }
  return "default";
}

std::string_view to_string(DeadButUnfreedKind kind) {
  return kind == DeadButUnfreedKind::kFinishing ? "finishing" : "exited_not_released";
}

std::optional<AnchorKind> parse_anchor_kind(std::string_view text) {
  for (const auto& [value, name] : kAnchorKinds) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view waited_object_kind(std::string_view operation) {
  if (operation.starts_with("chan")) return "channel";
  if (operation.starts_with("future")) return "future";
  if (operation.starts_with("barrier")) return "barrier";
  if (operation.starts_with("fiber join")) return "fiber";
  // Go's sync operations name their type: sync.Cond.Wait (timed) waits on a sync.Cond.
  size_t dot = operation.rfind('.');
  return operation.starts_with("sync.") && dot != std::string_view::npos
             ? operation.substr(0, dot)
             : std::string_view("object");
}

}  // namespace leakscan
