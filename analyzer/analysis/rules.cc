#include "analyzer/analysis/rules.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

// default_rules.toml, embedded by the build (see analyzer/CMakeLists.txt).
extern "C" const char leakscan_default_rules_toml[];

namespace leakscan {
namespace {

std::vector<std::string> strings_of(const toml::node* node) {
  std::vector<std::string> out;
  if (const auto* array = node != nullptr ? node->as_array() : nullptr) {
    for (const auto& item : *array) {
      if (auto text = item.value<std::string>()) out.push_back(*text);
    }
  } else if (node != nullptr) {
    if (auto text = node->value<std::string>()) out.push_back(*text);
  }
  return out;
}

// Kinds that choose a wait threshold; created_by and owner anchors only name.
bool picks_threshold(AnchorKind kind) {
  return kind != AnchorKind::kCreatedBy && kind != AnchorKind::kOwner;
}

std::string string_or(const toml::table& table, std::string_view key) {
  return table[key].value_or(std::string());
}

Error error_at(const std::string& name, const toml::source_region& where, std::string_view what) {
  return Error{fmt::format("{}:{}:{}: {}", name, where.begin.line, where.begin.column, what)};
}

// toml++ as Debian builds it reports errors by exception; the library reports them as values.
Result<toml::table> parse_toml(std::string_view text, const std::string& name) {
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& error) {
    return error_at(name, error.source(), error.description());
  }
}

// What a runtime's rules.toml may hold: what is the runtime's own.
constexpr std::array<std::string_view, 5> kRuntimeKeys{"blocking", "system", "anchors.entry",
                                                       "verdict.timed_operations",
                                                       "verdict.network_operations"};

Status check_runtime_keys(const toml::table& root, const std::string& name) {
  auto check = [&](const std::string& key, const toml::node& node) -> Status {
    if (std::find(kRuntimeKeys.begin(), kRuntimeKeys.end(), key) != kRuntimeKeys.end()) {
      return Ok{};
    }
    return error_at(name, node.source(),
                    fmt::format("{} is the same for every runtime: set it in default_rules.toml "
                                "or a config file",
                                key));
  };
  for (const auto& [key, node] : root) {
    const auto* table = node.as_table();
    // [anchors] and [verdict] mix a runtime's keys with every runtime's: check each.
    if (table == nullptr) {
      if (auto status = check(std::string(key.str()), node); !status) return status;
      continue;
    }
    for (const auto& [inner, inner_node] : *table) {
      if (auto status = check(fmt::format("{}.{}", key.str(), inner.str()), inner_node); !status) {
        return status;
      }
    }
  }
  return Ok{};
}

Status merge_table(const toml::table& root, const std::string& name, RuleRuntime runtime,
                   Rules& rules) {
  if (auto version = root["rules_version"].value<std::string>()) rules.version = *version;
  if (const auto* blocking = root["blocking"].as_array()) {
    for (const auto& node : *blocking) {
      const auto* table = node.as_table();
      if (table == nullptr) return error_at(name, node.source(), "expected a [[blocking]] table");
      BlockingRule rule{strings_of(table->get("functions")), string_or(*table, "operation"),
                        runtime};
      if (rule.functions.empty() || rule.operation.empty()) {
        return error_at(name, node.source(), "[[blocking]] needs functions and operation");
      }
      rules.blocking.push_back(std::move(rule));
    }
  }
  if (const auto* system = root["system"].as_array()) {
    for (const auto& node : *system) {
      const auto* table = node.as_table();
      if (table == nullptr) return error_at(name, node.source(), "expected a [[system]] table");
      SystemRule rule;
      rule.any_function = string_or(*table, "any_function");
      rule.top_function = string_or(*table, "top_function");
      rule.created_by = string_or(*table, "created_by");
      rule.no_user_frame = (*table)["no_user_frame"].value_or(false);
      rule.created_by_runtime = (*table)["created_by_runtime"].value_or(false);
      rule.why = string_or(*table, "why");
      rule.runtime = runtime;
      if (rule.any_function.empty() && rule.top_function.empty() && rule.created_by.empty() &&
          !rule.no_user_frame) {
        return error_at(name, node.source(), "a [[system]] rule must match on something");
      }
      if (rule.why.empty()) return error_at(name, node.source(), "a [[system]] rule needs why");
      rules.system.push_back(std::move(rule));
    }
  }
  if (const auto* anchors = root["anchors"].as_table()) {
    for (auto& label : strings_of(anchors->get("labels"))) rules.anchor_labels.push_back(label);
    if (const auto* kinds = (*anchors)["label_kind"].as_array()) {
      for (const auto& node : *kinds) {
        const auto* table = node.as_table();
        if (table == nullptr)
          return error_at(name, node.source(), "expected [[anchors.label_kind]]");
        std::string prefix = string_or(*table, "prefix");
        auto kind = parse_anchor_kind(string_or(*table, "kind"));
        if (prefix.empty() || !kind || !picks_threshold(*kind)) {
          return error_at(name, node.source(),
                          "[[anchors.label_kind]] needs a prefix and a kind (http_handler, "
                          "grpc_method, grpc_stream, job or label)");
        }
        rules.label_kinds.push_back(LabelKindRule{std::move(prefix), *kind});
      }
    }
    if (const auto* entries = (*anchors)["entry"].as_array()) {
      for (const auto& node : *entries) {
        const auto* table = node.as_table();
        if (table == nullptr) return error_at(name, node.source(), "expected [[anchors.entry]]");
        std::string under = string_or(*table, "under");
        std::string kind_text = string_or(*table, "kind");
        if (under.empty() || kind_text.empty()) {
          return error_at(name, node.source(), "[[anchors.entry]] needs under and kind");
        }
        auto kind = parse_anchor_kind(kind_text);
        if (!kind || !picks_threshold(*kind)) {
          return error_at(name, node.source(),
                          fmt::format("[[anchors.entry]] kind \"{}\": expected http_handler, "
                                      "grpc_method, grpc_stream, job or label",
                                      kind_text));
        }
        rules.entries.push_back(EntryRule{std::move(under), *kind, runtime});
      }
    }
  }
  if (const auto* thresholds = root["thresholds"].as_table()) {
    for (const auto& [key, node] : *thresholds) {
      auto kind = parse_anchor_kind(key.str());
      if (!kind || !picks_threshold(*kind)) {
        return error_at(name, node.source(),
                        fmt::format("threshold {}: expected one of default, http_handler, "
                                    "grpc_method, grpc_stream, job, label",
                                    key.str()));
      }
      auto text = node.value<std::string>();
      auto duration = text ? parse_duration(*text) : std::nullopt;
      if (!duration) {
        return error_at(
            name, node.source(),
            fmt::format(R"(threshold {} must be a duration like "30s" or "5m")", key.str()));
      }
      rules.thresholds[*kind] = *duration;
    }
  }
  if (const auto* verdict = root["verdict"].as_table()) {
    rules.pile_up = (*verdict)["pile_up"].value_or(rules.pile_up);
    for (auto& operation : strings_of(verdict->get("timed_operations"))) {
      rules.timed_operations.push_back(operation);
    }
    for (auto& operation : strings_of(verdict->get("network_operations"))) {
      rules.network_operations.push_back(operation);
    }
    rules.growth_two_snapshots =
        (*verdict)["growth_two_snapshots"].value_or(rules.growth_two_snapshots);
    rules.startup_id_share = (*verdict)["startup_id_share"].value_or(rules.startup_id_share);
    rules.spread_id_share = (*verdict)["spread_id_share"].value_or(rules.spread_id_share);
    rules.id_clock_min_span = (*verdict)["id_clock_min_span"].value_or(rules.id_clock_min_span);
  }
  return Ok{};
}

}  // namespace

std::chrono::nanoseconds Rules::threshold_for(AnchorKind anchor_kind) const {
  if (auto it = thresholds.find(anchor_kind); it != thresholds.end()) return it->second;
  if (auto it = thresholds.find(AnchorKind::kDefault); it != thresholds.end()) return it->second;
  return std::chrono::minutes(5);
}

bool applies_to(RuleRuntime rule_runtime, RuntimeKind snapshot_runtime) {
  return !rule_runtime || snapshot_runtime == RuntimeKind::kUnknown ||
         *rule_runtime == snapshot_runtime;
}

RuntimeKind rules_runtime(const Snapshot& snapshot) {
  const bool said =
      snapshot.format == SourceFormat::kPprofProto && snapshot.runtime != RuntimeKind::kGo;
  return said ? snapshot.runtime : RuntimeKind::kUnknown;
}

Result<Rules> parse_rules(std::string_view text, const std::string& name) {
  Rules rules;
  auto parsed = parse_toml(text, name);
  if (!parsed) return parsed.error();
  auto status = merge_table(*parsed, name, std::nullopt, rules);
  if (!status) return status.error();
  return rules;
}

Status add_runtime_rules(const RuntimeRulesText& runtime, Rules& rules) {
  const std::string name(runtime.name);
  auto parsed = parse_toml(runtime.toml, name);
  if (!parsed) return parsed.error();
  auto keys = check_runtime_keys(*parsed, name);
  if (!keys) return keys;
  return merge_table(*parsed, name, runtime.runtime, rules);
}

Result<Rules> rules_for_runtimes(std::span<const RuntimeRulesText> runtimes) {
  Rules rules;
  for (const auto& runtime : runtimes) {
    if (auto added = add_runtime_rules(runtime, rules); !added) return added.error();
  }
  auto shared = parse_toml(leakscan_default_rules_toml, "default_rules.toml");
  if (!shared) return shared.error();
  if (auto merged = merge_table(*shared, "default_rules.toml", std::nullopt, rules); !merged) {
    return merged.error();
  }
  return rules;
}

const Rules& default_rules() {
  static const Rules rules = [] {
    auto built_in = rules_for_runtimes(registered_runtime_rules());
    // The build checks these files (rules_test, runtime_registry_test); a broken one is a build
    // defect, not input.
    return built_in ? std::move(*built_in) : Rules{};
  }();
  return rules;
}

Result<std::string> read_text_file(const std::string& path, std::string_view what) {
  std::ifstream in(path);
  if (!in) return Error{fmt::format("{}: cannot open {}", path, what)};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<Rules> load_config(const Rules& base, const std::string& path) {
  auto text = read_text_file(path, "config file");
  if (!text) return text.error();
  auto parsed = parse_toml(*text, path);
  if (!parsed) return parsed.error();
  Rules rules = base;
  auto status = merge_table(*parsed, path, std::nullopt, rules);
  if (!status) return status.error();
  return rules;
}

std::string without_template_arguments(std::string_view function) {
  // operator<, operator<<= and operator-> are names, not argument lists; longest first.
  static constexpr std::array<std::string_view, 10> kOperators{"<=>", "<<=", ">>=", "<<", ">>",
                                                               "<=",  ">=",  "->",  "<",  ">"};
  constexpr std::string_view kOperator = "operator";
  std::string out;
  out.reserve(function.size());
  int depth = 0;
  for (size_t i = 0; i < function.size(); ++i) {
    bool word_start = i == 0 || function[i - 1] == ':' || function[i - 1] == ' ';
    if (depth == 0 && word_start && function.substr(i).starts_with(kOperator)) {
      std::string_view rest = function.substr(i + kOperator.size());
      auto symbol = std::find_if(kOperators.begin(), kOperators.end(),
                                 [&](std::string_view op) { return rest.starts_with(op); });
      size_t length = kOperator.size() + (symbol == kOperators.end() ? 0 : symbol->size());
      out.append(function.substr(i, length));
      i += length - 1;
      continue;
    }
    char c = function[i];
    if (c == '<') {
      ++depth;
    } else if (c == '>' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  return out;
}

bool function_matches(std::string_view pattern, std::string_view function) {
  const bool prefix = pattern.ends_with('*');
  if (prefix ? function.starts_with(pattern.substr(0, pattern.size() - 1)) : pattern == function) {
    return true;
  }
  // A C++ pattern without template arguments stands for every instantiation:
  // "boost::fibers::unbuffered_channel::push" matches boost::fibers::unbuffered_channel<int>::push.
  // Checked after the plain comparison (which it never contradicts: the pattern has no '<'), and
  // pattern first, since layer 1 compares every function of a wide dump with every rule.
  if (pattern.find("::") != std::string_view::npos && pattern.find('<') == std::string_view::npos &&
      function.find('<') != std::string_view::npos) {
    return function_matches(pattern, without_template_arguments(function));
  }
  return false;
}

}  // namespace leakscan
