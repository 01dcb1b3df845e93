// The engine's findings on real dumps, for the reporter tests.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analyzer/engine/find_leaks.h"

namespace leakscan {

inline Findings findings_of(std::vector<Input> inputs) {
  auto findings = find_leaks(std::move(inputs), FindOptions{});
  EXPECT_TRUE(findings.has_value()) << findings.error().message;
  return std::move(*findings);
}

inline Findings findings_of(const std::string& path) {
  std::vector<Input> inputs;
  inputs.push_back(Input::from_argument(path));
  return findings_of(std::move(inputs));
}

// samples/profiles/leakyservice-{1,2,3}.txt: eight leaks grown over three snapshots.
inline Findings leaky_service_findings() {
  std::vector<Input> inputs;
  for (int i = 1; i <= 3; ++i) {
    inputs.push_back(Input::from_argument(
        fmt::format("{}/profiles/leakyservice-{}.txt", LEAKSCAN_SAMPLES_DIR, i)));
  }
  return findings_of(std::move(inputs));
}

}  // namespace leakscan
