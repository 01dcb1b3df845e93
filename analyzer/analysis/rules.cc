#include "analyzer/analysis/rules.h"

#include <fmt/format.h>
#include <toml++/toml.h>

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

Status merge_table(const toml::table& root, const std::string& name, Rules& rules) {
  if (auto version = root["rules_version"].value<std::string>()) rules.version = *version;
  if (const auto* blocking = root["blocking"].as_array()) {
    for (const auto& node : *blocking) {
      const auto* table = node.as_table();
      if (table == nullptr) return error_at(name, node.source(), "expected a [[blocking]] table");
      BlockingRule rule{strings_of(table->get("functions")), string_or(*table, "operation")};
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
    if (const auto* entries = (*anchors)["entry"].as_array()) {
      for (const auto& node : *entries) {
        const auto* table = node.as_table();
        if (table == nullptr) return error_at(name, node.source(), "expected [[anchors.entry]]");
        EntryRule rule{string_or(*table, "under"), string_or(*table, "kind")};
        if (rule.under.empty() || rule.kind.empty()) {
          return error_at(name, node.source(), "[[anchors.entry]] needs under and kind");
        }
        rules.entries.push_back(std::move(rule));
      }
    }
  }
  if (const auto* thresholds = root["thresholds"].as_table()) {
    for (const auto& [key, node] : *thresholds) {
      auto text = node.value<std::string>();
      auto duration = text ? parse_duration(*text) : std::nullopt;
      if (!duration) {
        return error_at(
            name, node.source(),
            fmt::format(R"(threshold {} must be a duration like "30s" or "5m")", key.str()));
      }
      rules.thresholds[std::string(key.str())] = *duration;
    }
  }
  if (const auto* verdict = root["verdict"].as_table()) {
    rules.pile_up = (*verdict)["pile_up"].value_or(rules.pile_up);
    rules.growth_two_snapshots =
        (*verdict)["growth_two_snapshots"].value_or(rules.growth_two_snapshots);
  }
  return Ok{};
}

}  // namespace

std::chrono::nanoseconds Rules::threshold_for(std::string_view anchor_kind) const {
  if (auto it = thresholds.find(anchor_kind); it != thresholds.end()) return it->second;
  if (auto it = thresholds.find("default"); it != thresholds.end()) return it->second;
  return std::chrono::minutes(5);
}

Result<Rules> parse_rules(std::string_view text, const std::string& name) {
  Rules rules;
  auto parsed = parse_toml(text, name);
  if (!parsed) return parsed.error();
  auto status = merge_table(*parsed, name, rules);
  if (!status) return status.error();
  return rules;
}

const Rules& default_rules() {
  static const Rules rules = [] {
    auto parsed = parse_rules(leakscan_default_rules_toml, "default_rules.toml");
    // The build checks this file (rules_test); a broken one is a build defect, not input.
    return parsed ? std::move(*parsed) : Rules{};
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
  auto status = merge_table(*parsed, path, rules);
  if (!status) return status.error();
  return rules;
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text == "0") return std::chrono::nanoseconds(0);
  double total_ns = 0;
  while (!text.empty()) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    // from_chars reads "inf" and "nan" too: no duration.
    if (ec != std::errc() || end == text.data() || !std::isfinite(value)) return std::nullopt;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    size_t unit_length = 0;
    while (unit_length < text.size() &&
           (std::isalpha(static_cast<unsigned char>(text[unit_length])) ||
            text[unit_length] == '\xc2' || text[unit_length] == '\xb5')) {
      ++unit_length;
    }
    std::string_view unit = text.substr(0, unit_length);
    text.remove_prefix(unit_length);
    double scale = 0;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "\xc2\xb5s")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else if (unit == "d")
      scale = 86400e9;
    else
      return std::nullopt;
    total_ns += value * scale;
  }
  // Past int64 nanoseconds (about 292 years) the conversion would be undefined.
  if (!(std::abs(total_ns) < 9.2e18)) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(total_ns));
}

std::string format_duration(std::chrono::nanoseconds duration) {
  double seconds = std::chrono::duration<double>(duration).count();
  if (seconds >= 86400 && static_cast<int64_t>(seconds) % 3600 == 0) {
    return fmt::format("{}h", static_cast<int64_t>(seconds / 3600));
  }
  if (seconds >= 3600) {
    auto total = static_cast<int64_t>(seconds);
    return total % 3600 == 0 ? fmt::format("{}h", total / 3600)
                             : fmt::format("{}h{}m", total / 3600, total % 3600 / 60);
  }
  if (seconds >= 60) {
    auto total = static_cast<int64_t>(seconds);
    return total % 60 == 0 ? fmt::format("{}m", total / 60)
                           : fmt::format("{}m{}s", total / 60, total % 60);
  }
  if (seconds >= 1) return fmt::format("{:.3g}s", seconds);
  return fmt::format("{:.3g}ms", seconds * 1e3);
}

bool function_matches(std::string_view pattern, std::string_view function) {
  if (pattern.ends_with('*')) return function.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == function;
}

}  // namespace leakscan
