// libFuzzer: any text as a rules/config file, a runtime's rules.toml and a baseline file.
#include <cstdint>
#include <string>
#include <string_view>

#include "analyzer/analysis/baseline.h"
#include "analyzer/analysis/codeowners.h"
#include "analyzer/analysis/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)leakscan::parse_rules(text, "fuzz.toml");
  leakscan::Rules runtime_rules;
  (void)leakscan::add_runtime_rules({leakscan::RuntimeKind::kGo, "fuzz.toml", text}, runtime_rules);
  (void)leakscan::parse_baseline(text, "fuzz.toml");
  auto owners = leakscan::CodeOwners::parse(text.substr(0, 4096));
  (void)owners.owners_of("src/github.com/org/repo/internal/server/handler.go");
  (void)leakscan::parse_duration(text.substr(0, 64));
  return 0;
}
