#include "analyzer/analysis/baseline.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include "analyzer/analysis/rules.h"

namespace leakscan {

Result<std::vector<BaselineEntry>> load_baseline(const std::string& path) {
  auto text = read_text_file(path, "baseline file");
  if (!text) return text.error();
  return parse_baseline(*text, path);
}

Result<std::vector<BaselineEntry>> parse_baseline(std::string_view text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& error) {
    return Error{fmt::format("{}:{}:{}: {}", path, error.source().begin.line,
                             error.source().begin.column, error.description())};
  }
  std::vector<BaselineEntry> entries;
  const auto* accepted = root["accepted"].as_array();
  if (accepted == nullptr) return entries;
  for (const auto& node : *accepted) {
    const auto* table = node.as_table();
    auto where = fmt::format("{}:{}", path, node.source().begin.line);
    if (table == nullptr) return Error{fmt::format("{}: expected an [[accepted]] table", where)};
    BaselineEntry entry;
    entry.where = where;
    entry.cluster = (*table)["cluster"].value_or(std::string());
    entry.blocked_at = (*table)["blocked_at"].value_or(std::string());
    entry.created_by = (*table)["created_by"].value_or(std::string());
    entry.reason = (*table)["reason"].value_or(std::string());
    if (entry.cluster.empty() && entry.blocked_at.empty() && entry.created_by.empty()) {
      return Error{
          fmt::format("{}: an accepted leak needs cluster, blocked_at or created_by", where)};
    }
    if (entry.reason.empty()) {
      return Error{fmt::format("{}: an accepted leak needs a reason", where)};
    }
    if (const auto* node_expires = table->get("expires")) {
      auto date = node_expires->value<toml::date>();
      if (!date) {
        return Error{fmt::format("{}: expires must be a date like 2027-01-31", where)};
      }
      entry.expires = std::chrono::sys_days(std::chrono::year_month_day(
          std::chrono::year(date->year), std::chrono::month(date->month),
          std::chrono::day(date->day)));
      entry.has_expiry = true;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<std::string> apply_baseline(const std::vector<BaselineEntry>& entries,
                                        std::chrono::sys_days today,
                                        std::vector<Cluster>& clusters) {
  std::vector<std::string> warnings;
  for (const auto& entry : entries) {
    if (entry.has_expiry && entry.expires < today) {
      std::chrono::year_month_day date(entry.expires);
      warnings.push_back(fmt::format(
          "{}: accepted leak expired on {:04}-{:02}-{:02}: it counts "
          "again ({})",
          entry.where, static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
          static_cast<unsigned>(date.day()), entry.reason));
      continue;
    }
    for (auto& cluster : clusters) {
      if (!entry.cluster.empty() && entry.cluster != cluster.id_text()) continue;
      if (!entry.blocked_at.empty() &&
          !function_matches(entry.blocked_at, cluster.blocked_at().function)) {
        continue;
      }
      if (!entry.created_by.empty() &&
          !function_matches(entry.created_by, cluster.created_by().function)) {
        continue;
      }
      cluster.notes().baseline_reason = entry.reason;
    }
  }
  return warnings;
}

}  // namespace leakscan
