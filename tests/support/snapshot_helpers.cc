#include "tests/support/snapshot_helpers.h"

#include <gtest/gtest.h>

namespace leakscan::testing {

std::vector<uint64_t> thread_ids(const Snapshot& snapshot) {
  std::vector<uint64_t> ids;
  for (const auto& thread : snapshot.threads) ids.push_back(thread.id);
  return ids;
}

std::vector<std::string> functions(const Snapshot& snapshot, Stack stack) {
  std::vector<std::string> names;
  for (FrameId id : stack) names.emplace_back(snapshot.frame(id).function);
  return names;
}

void expect_frame(const Snapshot& snapshot, FrameId id, std::string_view function,
                  std::string_view file, int64_t line) {
  ASSERT_NE(id, kNoFrame) << "expected frame " << function;
  const Frame& frame = snapshot.frame(id);
  EXPECT_EQ(frame.function, function);
  EXPECT_EQ(frame.file, file);
  EXPECT_EQ(frame.line, line);
}

perftools::profiles::Profile minimal_profile() {
  perftools::profiles::Profile profile;
  for (const char* text : {"", "goroutine", "count", "main.f", "/app/f.go"}) {
    profile.add_string_table(text);
  }
  auto* type = profile.add_sample_type();
  type->set_type(1);
  type->set_unit(2);
  auto* function = profile.add_function();
  function->set_id(1);
  function->set_name(3);
  function->set_filename(4);
  auto* location = profile.add_location();
  location->set_id(1);
  location->add_line()->set_function_id(1);
  auto* sample = profile.add_sample();
  sample->add_location_id(1);
  sample->add_value(1);
  return profile;
}

}  // namespace leakscan::testing
