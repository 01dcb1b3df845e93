#include "analyzer/analysis/business_anchors.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

#include "analyzer/analysis/grpc_method_name.h"

namespace leakscan {
namespace {

constexpr size_t kMaxLabelValues = 5;

void add_anchor(Cluster& cluster, AnchorKind kind, std::string name) {
  Anchor anchor{kind, std::move(name)};
  auto anchors = cluster.anchors();
  if (std::find(anchors.begin(), anchors.end(), anchor) != anchors.end()) return;
  cluster.notes().anchors.push_back(std::move(anchor));
}

// An RPC is known by its full method name; any other entry by its handler's function.
std::string entry_name(AnchorKind kind, std::string_view function) {
  if (kind == AnchorKind::kGrpcMethod || kind == AnchorKind::kGrpcStream) {
    if (auto method = grpc_full_method(function)) return *std::move(method);
  }
  return std::string(function);
}

}  // namespace

void BusinessAnchors::run(const AnalysisInput& input, std::vector<Cluster>& clusters) const {
  for (auto& cluster : clusters) {
    // Labels: every distinct value of an anchor label, a few at most.
    std::set<std::string> label_values;
    std::optional<AnchorKind> entry_kind;
    std::string_view entry_function;
    const FrameId* scanned = nullptr;  // neighbours share stacks: scan each once
    for (uint32_t index : cluster.records()) {
      const GoroutineRecord& record = input.records[index];
      for (const auto& label : record.labels()) {
        if (label.numeric || label_values.size() >= kMaxLabelValues) continue;
        for (const auto& key : rules_.anchor_labels) {
          if (label.key == key) label_values.insert(fmt::format("{}={}", label.key, label.str));
        }
      }
      if (entry_kind || record.stack().data() == scanned) continue;
      scanned = record.stack().data();
      // Entry frames: the program's frame nearest to the server's own.
      const Snapshot& snapshot = input.snapshots[record.snapshot];
      const Stack stack = record.stack();
      for (size_t depth = 0; depth < stack.size() && !entry_kind; ++depth) {
        std::string_view function = snapshot.frame(stack[depth]).function;
        for (const auto& rule : rules_.entries) {
          if (!applies_to(rule.runtime, rules_runtime(snapshot)) ||
              !function_matches(rule.under, function)) {
            continue;
          }
          for (size_t above = depth; above-- > 0;) {
            std::string_view candidate = snapshot.frame(stack[above]).function;
            if (is_user_frame(snapshot, stack[above])) {
              entry_kind = rule.kind;
              entry_function = candidate;
              break;
            }
          }
          break;
        }
      }
    }
    for (const auto& value : label_values) add_anchor(cluster, AnchorKind::kLabel, value);
    if (entry_kind) add_anchor(cluster, *entry_kind, entry_name(*entry_kind, entry_function));
    // The creation site is an anchor too; the report adds it from created_by, so that a million
    // distinct clusters do not each hold its text.
    if (owners_ != nullptr) {
      // The creation site is where a fix goes; the blocking site when there is none.
      std::string_view file = !cluster.created_by().file.empty() ? cluster.created_by().file
                                                                 : cluster.blocked_at().file;
      for (const auto& owner : owners_->owners_of(file)) {
        add_anchor(cluster, AnchorKind::kOwner, owner);
      }
    }

    if (entry_kind) {
      cluster.anchor_kind = *entry_kind;
    } else if (!label_values.empty()) {
      const std::string& first = *label_values.begin();
      cluster.anchor_kind = AnchorKind::kLabel;
      for (const auto& rule : rules_.label_kinds) {
        if (first.starts_with(rule.prefix)) {
          cluster.anchor_kind = rule.kind;
          break;
        }
      }
    }
  }
}

}  // namespace leakscan
