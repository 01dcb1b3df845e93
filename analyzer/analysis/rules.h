// The rules the five layers apply: data, not code. The built-in set (default_rules.toml) is
// compiled in; a config file adds rules and overrides thresholds.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/analysis/vocabulary.h"
#include "analyzer/model/result.h"
#include "analyzer/model/text_format.h"

namespace leakscan {

struct BlockingRule {
  std::vector<std::string> functions;
  std::string operation;
};

// A goroutine that is the runtime's or the standard library's own (layer 1). Every field that
// is set must match.
struct SystemRule {
  std::string any_function;  // exact, or a prefix ending in '*'
  std::string top_function;
  std::string created_by;
  bool no_user_frame = false;
  bool created_by_runtime = false;  // created by a runtime/standard-library function, or unknown
  std::string why;
};

struct EntryRule {
  std::string under;  // the first user frame above this function is the entry
  AnchorKind kind = AnchorKind::kHttpHandler;
};

// A pprof label that names a kind of work: "http.route=..." is an HTTP handler's.
struct LabelKindRule {
  std::string prefix;  // of "key=value"
  AnchorKind kind = AnchorKind::kLabel;
};

struct Rules {
  std::string version;
  std::vector<BlockingRule> blocking;
  std::vector<SystemRule> system;
  std::vector<std::string> anchor_labels;
  std::vector<EntryRule> entries;
  std::vector<LabelKindRule> label_kinds;
  // Layer 5's vocabulary: operations a timer ends (never a leak unless they pile up), and the
  // ones idle network connections wait in (a suspect at most from one dump).
  std::vector<std::string> timed_operations;
  std::vector<std::string> network_operations;
  // Wait thresholds by anchor kind; kDefault's for everything else.
  std::map<AnchorKind, std::chrono::nanoseconds> thresholds;
  int64_t pile_up = 1000;
  int64_t growth_two_snapshots = 10;
  // The goroutine-id clock of one snapshot: ids in the oldest `startup_id_share` of the
  // process's id range were made at start-up; a cluster whose ids cover `spread_id_share` of it
  // accumulated over the process's life. Only where the range spans `id_clock_min_span` ids.
  double startup_id_share = 0.05;
  double spread_id_share = 0.25;
  uint64_t id_clock_min_span = 50;

  std::chrono::nanoseconds threshold_for(AnchorKind anchor_kind) const;
};

// The compiled-in rules.
const Rules& default_rules();

// Parses TOML rules text; `name` appears in errors ("leakscan.toml:12:3: ...").
Result<Rules> parse_rules(std::string_view toml, const std::string& name);

// Adds a config file's rules to `base`: lists are appended, thresholds and numbers replaced.
Result<Rules> load_config(const Rules& base, const std::string& path);

// Reads `path` and parses it as TOML; errors name the file, line and column.
Result<std::string> read_text_file(const std::string& path, std::string_view what);

// True when `pattern` (exact, or a prefix ending in '*') matches `function`. A C++ pattern
// without template arguments matches every instantiation of the template.
bool function_matches(std::string_view pattern, std::string_view function);

// A C++ function name without its template arguments: "ns::chan<std::pair<int, int>>::push" is
// "ns::chan::push".
std::string without_template_arguments(std::string_view function);

}  // namespace leakscan
