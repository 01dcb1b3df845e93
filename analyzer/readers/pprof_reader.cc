#include "analyzer/readers/pprof_reader.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/model/thread_labels.h"
#include "proto/profile.pb.h"

namespace leakscan {
namespace {

using google::protobuf::internal::WireFormatLite;
namespace pb = perftools::profiles;

// Go records at most 32 (debug=0) and prints at most 100 frames per goroutine.
constexpr size_t kMaxStackDepth = 4096;

std::string_view field_name(uint32_t number) {
  switch (number) {
    case 1:
      return "sample_type";
    case 2:
      return "sample";
    case 3:
      return "mapping";
    case 4:
      return "location";
    case 5:
      return "function";
    case 6:
      return "string_table";
    case 11:
      return "period_type";
    case 13:
      return "comment";
    default:
      return "field";
  }
}

// protobuf only says "parse failed"; walking the top-level fields finds where and what.
std::string describe_damage(std::string_view bytes) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  for (;;) {
    int offset = in.CurrentPosition();
    uint32_t tag = in.ReadTag();
    if (tag == 0) {
      if (in.CurrentPosition() == static_cast<int>(bytes.size()) &&
          offset == in.CurrentPosition()) {
        return "fields are well-formed but a nested message is not";
      }
      return fmt::format("byte {}: expected a field tag", offset);
    }
    uint32_t number = WireFormatLite::GetTagFieldNumber(tag);
    auto type = WireFormatLite::GetTagWireType(tag);
    if (type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length = 0;
      if (!in.ReadVarint32(&length) || length > bytes.size() - in.CurrentPosition()) {
        return fmt::format("byte {}: {} {} claims more bytes than the file has (truncated?)",
                           offset, field_name(number), number);
      }
      in.Skip(static_cast<int>(length));
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return fmt::format("byte {}: {} {} is cut short or has a bad wire type", offset,
                         field_name(number), number);
    }
  }
}

class ProfileConverter {
 public:
  ProfileConverter(const pb::Profile& profile, const std::string& name, Snapshot& snapshot)
      : profile_(profile), name_(name), snapshot_(snapshot) {}

  Status run() {
    const auto& strings = profile_.string_table();
    if (strings.empty() || !strings[0].empty()) {
      if (profile_.sample_size() > 0 || !strings.empty()) {
        return fail("string_table must start with the empty string");
      }
    }
    for (const auto& function : profile_.function()) functions_.emplace(function.id(), &function);
    for (const auto& location : profile_.location()) locations_.emplace(location.id(), &location);

    int value_index = -1;
    std::vector<std::string> types;
    for (int i = 0; i < profile_.sample_type_size(); ++i) {
      auto type = string_at(profile_.sample_type(i).type());
      if (!type) return type.error();
      // Go 1.26's goroutineleak profile is a goroutine profile of the leaked ones.
      if (*type == "goroutine" || *type == "goroutineleak") value_index = i;
      if (*type == "goroutineleak") snapshot_.proven_leaked = true;
      types.emplace_back(*type);
    }
    // A heap, CPU or mutex profile read as goroutines would count bytes or nanoseconds as
    // goroutines: refuse it by its sample types. A profile that names none is taken as is.
    if (value_index < 0 && !types.empty()) {
      return fail(
          fmt::format("a profile of {}, not of goroutines (expected the sample type "
                      "\"goroutine\"; a heap or CPU profile?)",
                      fmt::join(types, ", ")));
    }
    value_index = std::max(value_index, 0);
    if (profile_.time_nanos() != 0) {
      snapshot_.captured_at = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::nanoseconds(profile_.time_nanos())));
    }

    bool per_thread = profile_.sample_size() > 0;
    std::vector<std::vector<Label>> sample_labels;
    sample_labels.reserve(profile_.sample_size());
    for (int i = 0; i < profile_.sample_size(); ++i) {
      auto labels = labels_of(profile_.sample(i));
      if (!labels) return labels.error();
      per_thread = per_thread && thread_labels::describes_thread(*labels);
      sample_labels.push_back(std::move(*labels));
    }

    for (int i = 0; i < profile_.sample_size(); ++i) {
      const auto& sample = profile_.sample(i);
      if (sample.value_size() <= value_index) {
        return fail(fmt::format("sample {} has {} values, expected at least {}", i,
                                sample.value_size(), value_index + 1));
      }
      auto stack = stack_of(sample, i);
      if (!stack) return stack.error();
      int64_t count = sample.value(value_index);
      if (!is_goroutine_count(count)) {
        return fail(fmt::format("sample {} counts {} goroutines; expected 0 to {}", i, count,
                                kMaxGoroutineCount));
      }
      if (per_thread && count == 1) {
        GreenThread& thread = snapshot_.threads.emplace_back();
        thread.stack = snapshot_.intern_stack(*stack);
        thread_labels::from_labels(sample_labels[i], thread, snapshot_.runtime, snapshot_);
        default_wait_reason(thread);
      } else {
        snapshot_.samples.push_back(
            Sample{count, snapshot_.intern_stack(*stack), std::move(sample_labels[i])});
      }
    }
    if (!snapshot_.threads.empty() && !snapshot_.samples.empty()) {
      // A mixed profile is read as samples so that nothing is counted twice.
      for (auto& thread : snapshot_.threads) {
        auto labels = thread_labels::to_labels(thread, snapshot_.runtime, snapshot_,
                                               snapshot_.frames().strings());
        snapshot_.samples.push_back(Sample{1, thread.stack, std::move(labels)});
      }
      snapshot_.threads.clear();
    }
    return Ok{};
  }

 private:
  Error fail(std::string_view what) const { return Error{fmt::format("{}: {}", name_, what)}; }

  Result<std::string_view> string_at(int64_t index) const {
    if (index < 0 || index >= profile_.string_table_size()) {
      return fail(fmt::format("string index {} is outside the string table ({} entries)", index,
                              profile_.string_table_size()));
    }
    return std::string_view(profile_.string_table(static_cast<int>(index)));
  }

  Result<std::vector<Label>> labels_of(const pb::Sample& sample) {
    std::vector<Label> labels;
    labels.reserve(sample.label_size());
    for (const auto& label : sample.label()) {
      auto key = string_at(label.key());
      if (!key) return key.error();
      if (label.str() != 0) {
        auto value = string_at(label.str());
        if (!value) return value.error();
        labels.push_back(Label{.key = snapshot_.intern(*key), .str = snapshot_.intern(*value)});
      } else {
        auto unit = string_at(label.num_unit());
        if (!unit) return unit.error();
        labels.push_back(
            Label{snapshot_.intern(*key), {}, label.num(), snapshot_.intern(*unit), true});
      }
    }
    return labels;
  }

  Result<std::vector<FrameId>> stack_of(const pb::Sample& sample, int index) {
    std::vector<FrameId> stack;
    stack.reserve(sample.location_id_size());
    for (uint64_t location_id : sample.location_id()) {
      auto cached = frames_of_location_.find(location_id);
      if (cached == frames_of_location_.end()) {
        auto frames = frames_of(location_id, index);
        if (!frames) return frames.error();
        cached = frames_of_location_.emplace(location_id, std::move(*frames)).first;
      }
      stack.insert(stack.end(), cached->second.begin(), cached->second.end());
      if (stack.size() > kMaxStackDepth) {
        // Hostile inlining depth must not multiply memory by the sample count.
        stack.resize(kMaxStackDepth);
        break;
      }
    }
    return stack;
  }

  // One location expands to its inlined frames, innermost first as pprof orders them.
  Result<std::vector<FrameId>> frames_of(uint64_t location_id, int sample_index) {
    auto found = locations_.find(location_id);
    if (found == locations_.end()) {
      return fail(fmt::format("sample {} references location {}, which the profile does not define",
                              sample_index, location_id));
    }
    const pb::Location& location = *found->second;
    std::vector<FrameId> frames;
    if (location.line_size() == 0) {
      std::string address = fmt::format("0x{:x}", location.address());
      frames.push_back(snapshot_.frames().intern(Frame{address, {}, 0}));
      return frames;
    }
    for (const auto& line : location.line()) {
      auto function = functions_.find(line.function_id());
      if (function == functions_.end()) {
        return fail(
            fmt::format("location {} references function {}, which the profile does not "
                        "define",
                        location_id, line.function_id()));
      }
      auto function_name = string_at(function->second->name());
      if (!function_name) return function_name.error();
      auto file = string_at(function->second->filename());
      if (!file) return file.error();
      frames.push_back(snapshot_.frames().intern(Frame{*function_name, *file, line.line()}));
    }
    return frames;
  }

  const pb::Profile& profile_;
  const std::string& name_;
  Snapshot& snapshot_;
  std::unordered_map<uint64_t, const pb::Function*> functions_;
  std::unordered_map<uint64_t, const pb::Location*> locations_;
  std::unordered_map<uint64_t, std::vector<FrameId>> frames_of_location_;
};

}  // namespace

bool looks_like_pprof(std::string_view head) {
  if (head.empty()) return false;
  auto tag = static_cast<uint8_t>(head[0]);
  uint32_t number = tag >> 3;
  uint32_t wire_type = tag & 7;
  // Profile's fields are 1 to 15; messages and strings are length-delimited, the rest varints.
  return number >= 1 && number <= 15 && (wire_type == 0 || wire_type == 2);
}

Result<Snapshot> read_pprof(std::string_view bytes, const std::string& name) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return Error{fmt::format("{}: a protobuf larger than 2 GiB cannot be read", name)};
  }
  pb::Profile profile;
  if (!profile.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error{fmt::format("{}: not a valid pprof protobuf: {}", name, describe_damage(bytes))};
  }
  Snapshot snapshot;
  snapshot.source = name;
  snapshot.format = SourceFormat::kPprofProto;
  auto status = ProfileConverter(profile, name, snapshot).run();
  if (!status) return status.error();
  return snapshot;
}

}  // namespace leakscan
