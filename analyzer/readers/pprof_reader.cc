#include "analyzer/readers/pprof_reader.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/model/thread_labels.h"
#include "analyzer/model/trace_window.h"
#include "analyzer/readers/memory_budget.h"
#include "analyzer/readers/protobuf_wire.h"

namespace leakscan {
namespace {

using google::protobuf::internal::WireFormatLite;

// Go records at most 32 (debug=0) and prints at most 100 frames per goroutine.
constexpr size_t kMaxStackDepth = 4096;
constexpr size_t kMaxMappings = 1024;

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

// What the profile defines, read in one walk over its top-level fields and kept as small
// flat tables: a function or location costs a few words, not a protobuf message.
struct FunctionEntry {
  uint64_t id = 0;
  int64_t name = 0;
  int64_t filename = 0;
};
struct LineEntry {
  uint64_t function_id = 0;
  int64_t line = 0;
};
struct LocationEntry {
  uint64_t id = 0;
  uint64_t address = 0;
  uint32_t first_line = 0;  // into lines_
  uint32_t line_count = 0;
  uint32_t first_frame = 0;  // into frames_, once resolved
  uint32_t frame_count = 0;
  bool resolved = false;
};

// Entries sorted by id: the first with `id`, or null.
template <typename Entries>
auto* find_by_id(Entries& sorted, uint64_t id) {
  auto found = std::lower_bound(sorted.begin(), sorted.end(), id,
                                [](const auto& entry, uint64_t key) { return entry.id < key; });
  return found != sorted.end() && found->id == id ? &*found : nullptr;
}

class ProfileConverter {
 public:
  ProfileConverter(std::string_view bytes, const std::string& name, const ReadLimits& limits,
                   Snapshot& snapshot)
      : bytes_(bytes), name_(name), budget_(limits, bytes.size()), snapshot_(snapshot) {}

  Status run() {
    if (auto status = read_definitions(); !status) return status;
    if (strings_.empty() || !strings_[0].empty()) {
      if (samples_ > 0 || !strings_.empty()) {
        return fail("string_table must start with the empty string");
      }
    }
    auto value_index = goroutine_value_index();
    if (!value_index) return value_index.error();
    for (const auto& [start, name] : mappings_) {
      if (name < 0 || static_cast<uint64_t>(name) >= strings_.size()) continue;
      snapshot_.mapped_objects.push_back({std::string(strings_[static_cast<size_t>(name)]), start});
    }
    if (time_nanos_ != 0) {
      snapshot_.captured_at = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::nanoseconds(time_nanos_)));
    }
    note_trace_window();
    // Threads when every sample describes one (leakscan's own thread labels), else samples.
    bool per_thread = samples_ > 0;
    int index = 0;
    auto checked = for_each_sample([&](const wire::Field& sample) -> Status {
      auto labels = labels_of(sample.bytes, index++);
      if (!labels) return labels.error();
      per_thread = per_thread && thread_labels::describes_thread(*labels);
      return Ok{};
    });
    if (!checked) return checked;
    if (per_thread) {
      if (!budget_.charge(samples_, sizeof(GreenThread))) {
        return budget_.exceeded(name_, fmt::format("{} goroutines", samples_));
      }
      snapshot_.threads.reserve(samples_);
    }
    index = 0;
    auto built = for_each_sample([&](const wire::Field& sample) {
      return add_sample(sample.bytes, index++, *value_index, per_thread);
    });
    if (!built) return built;
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
  Error damaged() const {
    // protobuf's reader, which finds the byte, counts in int.
    std::string_view looked_at = bytes_.substr(0, INT32_MAX);
    return Error{
        fmt::format("{}: not a valid pprof protobuf: {}", name_, describe_damage(looked_at))};
  }

  // A profile leakscan-gotrace wrote from a Go execution trace: its window, ending at the
  // profile's time, becomes the snapshot's reason (docs/profile-labels.md).
  void note_trace_window() {
    for (uint64_t index : comments_) {
      if (index >= strings_.size() || !is_go_trace_comment(strings_[index])) continue;
      if (snapshot_.reason.empty()) {
        snapshot_.reason =
            trace_window_reason(std::chrono::nanoseconds(duration_nanos_), snapshot_.captured_at);
      }
      return;
    }
  }

  // The string table, sample types, functions, locations and time; samples only counted.
  Status read_definitions() {
    wire::FieldReader fields(bytes_);
    while (auto field = fields.next()) {
      bool ok = true;
      switch (field->number) {
        case 1:
          ok = field->type != wire::WireType::kBytes || read_sample_type(field->bytes);
          break;
        case 2:
          samples_ += field->type == wire::WireType::kBytes ? 1 : 0;
          break;
        case 3:
          ok = field->type != wire::WireType::kBytes || read_mapping(field->bytes);
          break;
        case 4:
          ok = field->type != wire::WireType::kBytes || read_location(field->bytes);
          break;
        case 5:
          ok = field->type != wire::WireType::kBytes || read_function(field->bytes);
          break;
        case 6:
          if (field->type == wire::WireType::kBytes) strings_.push_back(field->bytes);
          break;
        case 9:
          if (field->type == wire::WireType::kVarint) {
            time_nanos_ = static_cast<int64_t>(field->varint);
          }
          break;
        case 10:
          if (field->type == wire::WireType::kVarint) {
            duration_nanos_ = static_cast<int64_t>(field->varint);
          }
          break;
        case 13:
          ok = wire::for_each_integer(*field, [&](uint64_t index) { comments_.push_back(index); });
          break;
        default:
          break;
      }
      if (!ok) return damaged();
    }
    if (fields.broken()) return damaged();
    if (!budget_.charge(strings_.size(), sizeof(std::string_view)) ||
        !budget_.charge(functions_.size(), sizeof(FunctionEntry)) ||
        !budget_.charge(locations_.size(), sizeof(LocationEntry)) ||
        !budget_.charge(lines_.size(), sizeof(LineEntry) + sizeof(FrameId))) {
      return budget_.exceeded(
          name_, fmt::format("{} strings, {} functions and {} locations", strings_.size(),
                             functions_.size(), locations_.size()));
    }
    if (lines_.size() > UINT32_MAX) return fail("more than 2^32 location lines");
    // The first definition of an id wins, as protobuf's map readers found it.
    auto by_id = [](const auto& a, const auto& b) { return a.id < b.id; };
    std::stable_sort(functions_.begin(), functions_.end(), by_id);
    std::stable_sort(locations_.begin(), locations_.end(), by_id);
    return Ok{};
  }

  bool read_sample_type(std::string_view message) {
    wire::FieldReader fields(message);
    int64_t type = 0;
    while (auto field = fields.next()) {
      if (field->number == 1 && field->type == wire::WireType::kVarint) {
        type = static_cast<int64_t>(field->varint);
      }
    }
    sample_types_.push_back(type);
    return !fields.broken();
  }

  // Only where it starts and what it maps: all a restart check needs.
  bool read_mapping(std::string_view message) {
    wire::FieldReader fields(message);
    uint64_t start = 0;
    int64_t name = -1;
    while (auto field = fields.next()) {
      if (field->type != wire::WireType::kVarint) continue;
      if (field->number == 2) start = field->varint;
      if (field->number == 5) name = static_cast<int64_t>(field->varint);
    }
    // A profile lists a handful; a hostile one gets a bounded few.
    if (mappings_.size() < kMaxMappings) mappings_.emplace_back(start, name);
    return !fields.broken();
  }

  bool read_function(std::string_view message) {
    wire::FieldReader fields(message);
    FunctionEntry entry;
    while (auto field = fields.next()) {
      if (field->type != wire::WireType::kVarint) continue;
      if (field->number == 1) entry.id = field->varint;
      if (field->number == 2) entry.name = static_cast<int64_t>(field->varint);
      if (field->number == 4) entry.filename = static_cast<int64_t>(field->varint);
    }
    functions_.push_back(entry);
    return !fields.broken();
  }

  bool read_location(std::string_view message) {
    wire::FieldReader fields(message);
    LocationEntry entry;
    entry.first_line = static_cast<uint32_t>(lines_.size());
    while (auto field = fields.next()) {
      if (field->number == 1 && field->type == wire::WireType::kVarint) entry.id = field->varint;
      if (field->number == 3 && field->type == wire::WireType::kVarint) {
        entry.address = field->varint;
      }
      if (field->number == 4 && field->type == wire::WireType::kBytes) {
        wire::FieldReader line_fields(field->bytes);
        LineEntry line;
        while (auto line_field = line_fields.next()) {
          if (line_field->type != wire::WireType::kVarint) continue;
          if (line_field->number == 1) line.function_id = line_field->varint;
          if (line_field->number == 2) line.line = static_cast<int64_t>(line_field->varint);
        }
        if (line_fields.broken()) return false;
        lines_.push_back(line);
        ++entry.line_count;
      }
    }
    locations_.push_back(entry);
    return !fields.broken();
  }

  Result<int> goroutine_value_index() {
    int value_index = -1;
    std::vector<std::string> types;
    for (size_t i = 0; i < sample_types_.size(); ++i) {
      auto type = string_at(sample_types_[i]);
      if (!type) return type.error();
      // Go 1.26's goroutineleak profile is a goroutine profile of the leaked ones.
      if (*type == "goroutine" || *type == "goroutineleak") value_index = static_cast<int>(i);
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
    return std::max(value_index, 0);
  }

  template <typename Each>
  Status for_each_sample(Each&& each) {
    wire::FieldReader fields(bytes_);
    while (auto field = fields.next()) {
      if (field->number != 2 || field->type != wire::WireType::kBytes) continue;
      if (auto status = each(*field); !status) return status;
    }
    return Ok{};
  }

  Result<std::string_view> string_at(int64_t index) const {
    if (index < 0 || static_cast<uint64_t>(index) >= strings_.size()) {
      return fail(fmt::format("string index {} is outside the string table ({} entries)", index,
                              strings_.size()));
    }
    return strings_[static_cast<size_t>(index)];
  }

  Result<std::vector<Label>> labels_of(std::string_view sample, int index) {
    size_t count = 0;
    {
      wire::FieldReader fields(sample);
      while (auto field = fields.next()) count += field->number == 3 ? 1 : 0;
      if (fields.broken()) return damaged();
    }
    // Built for a moment (a thread keeps them as its fields), charged where a sample keeps them.
    if (!budget_.fits(count, sizeof(Label))) {
      return budget_.exceeded(name_, fmt::format("sample {}'s {} labels", index, count));
    }
    std::vector<Label> labels;
    labels.reserve(count);
    wire::FieldReader fields(sample);
    while (auto field = fields.next()) {
      if (field->number != 3 || field->type != wire::WireType::kBytes) continue;
      int64_t key = 0;
      int64_t str = 0;
      int64_t num = 0;
      int64_t unit = 0;
      wire::FieldReader label_fields(field->bytes);
      while (auto label_field = label_fields.next()) {
        if (label_field->type != wire::WireType::kVarint) continue;
        auto value = static_cast<int64_t>(label_field->varint);
        if (label_field->number == 1) key = value;
        if (label_field->number == 2) str = value;
        if (label_field->number == 3) num = value;
        if (label_field->number == 4) unit = value;
      }
      if (label_fields.broken()) return damaged();
      auto key_text = string_at(key);
      if (!key_text) return key_text.error();
      if (str != 0) {
        auto value = string_at(str);
        if (!value) return value.error();
        labels.push_back(
            Label{.key = snapshot_.intern(*key_text), .str = snapshot_.intern(*value)});
      } else {
        auto unit_text = string_at(unit);
        if (!unit_text) return unit_text.error();
        labels.push_back(
            Label{snapshot_.intern(*key_text), {}, num, snapshot_.intern(*unit_text), true});
      }
    }
    return labels;
  }

  Status add_sample(std::string_view sample, int index, int value_index, bool per_thread) {
    stack_.clear();
    int values = 0;
    int64_t count = 0;
    wire::FieldReader fields(sample);
    Status status = Ok{};
    while (auto field = fields.next()) {
      bool ok = true;
      if (field->number == 1) {
        ok = wire::for_each_integer(*field, [&](uint64_t location_id) {
          if (status && stack_.size() < kMaxStackDepth) status = append_frames(location_id, index);
        });
      } else if (field->number == 2) {
        ok = wire::for_each_integer(*field, [&](uint64_t value) {
          if (values++ == value_index) count = static_cast<int64_t>(value);
        });
      }
      if (!ok) return damaged();
      if (!status) return status;
    }
    if (fields.broken()) return damaged();
    // Hostile inlining depth must not multiply memory by the sample count.
    if (stack_.size() > kMaxStackDepth) stack_.resize(kMaxStackDepth);
    if (values <= value_index) {
      return fail(fmt::format("sample {} has {} values, expected at least {}", index, values,
                              value_index + 1));
    }
    if (!is_goroutine_count(count)) {
      return fail(fmt::format("sample {} counts {} goroutines; expected 0 to {}", index, count,
                              kMaxGoroutineCount));
    }
    auto labels = labels_of(sample, index);
    if (!labels) return labels.error();
    Stack stack = snapshot_.intern_stack(stack_);
    if (per_thread && count == 1) {
      GreenThread& thread = snapshot_.threads.emplace_back();
      thread.stack = stack;
      thread_labels::from_labels(*labels, thread, snapshot_.runtime, snapshot_);
      default_wait_reason(thread);
      return Ok{};
    }
    // The same stack without labels again is the same record: counted, not stored twice.
    if (labels->empty() && !stack.empty()) {
      auto [merged, added] = unlabeled_.try_emplace(stack.data(), snapshot_.samples.size());
      if (!added) {
        snapshot_.samples[merged->second].count += count;
        return Ok{};
      }
    }
    // A sample, room for the vector to double, its labels and its index entry.
    if (!budget_.charge(1, 2 * sizeof(Sample) + 48) ||
        !budget_.charge(labels->size(), sizeof(Label))) {
      return budget_.exceeded(name_, fmt::format("{} samples", samples_));
    }
    snapshot_.samples.push_back(Sample{count, stack, std::move(*labels)});
    return Ok{};
  }

  // One location expands to its inlined frames, innermost first as pprof orders them.
  Status append_frames(uint64_t location_id, int sample_index) {
    LocationEntry* location = find_by_id(locations_, location_id);
    if (location == nullptr) {
      return fail(fmt::format("sample {} references location {}, which the profile does not define",
                              sample_index, location_id));
    }
    if (!location->resolved) {
      location->first_frame = static_cast<uint32_t>(frames_.size());
      if (location->line_count == 0) {
        std::string address = fmt::format("0x{:x}", location->address);
        frames_.push_back(snapshot_.frames().intern(Frame{address, {}, 0}));
      }
      for (uint32_t i = 0; i < location->line_count; ++i) {
        const LineEntry& line = lines_[location->first_line + i];
        const FunctionEntry* function = find_by_id(functions_, line.function_id);
        if (function == nullptr) {
          return fail(
              fmt::format("location {} references function {}, which the profile does not "
                          "define",
                          location_id, line.function_id));
        }
        auto function_name = string_at(function->name);
        if (!function_name) return function_name.error();
        auto file = string_at(function->filename);
        if (!file) return file.error();
        frames_.push_back(snapshot_.frames().intern(Frame{*function_name, *file, line.line}));
      }
      location->frame_count = static_cast<uint32_t>(frames_.size()) - location->first_frame;
      location->resolved = true;
    }
    auto first = frames_.begin() + location->first_frame;
    stack_.insert(stack_.end(), first, first + location->frame_count);
    return Ok{};
  }

  std::string_view bytes_;
  const std::string& name_;
  MemoryBudget budget_;
  Snapshot& snapshot_;
  std::vector<std::string_view> strings_;
  std::vector<int64_t> sample_types_;
  std::vector<FunctionEntry> functions_;
  std::vector<LocationEntry> locations_;
  std::vector<LineEntry> lines_;
  std::vector<FrameId> frames_;                           // every resolved location's, in turn
  std::unordered_map<const FrameId*, size_t> unlabeled_;  // stack → its sample
  std::vector<FrameId> stack_;
  uint64_t samples_ = 0;
  int64_t time_nanos_ = 0;
  int64_t duration_nanos_ = 0;
  std::vector<uint64_t> comments_;                      // indices into strings_
  std::vector<std::pair<uint64_t, int64_t>> mappings_;  // start, filename's string index
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

Result<Snapshot> read_pprof(std::string_view bytes, const std::string& name,
                            const ReadLimits& limits) {
  Snapshot snapshot;
  snapshot.source = name;
  snapshot.format = SourceFormat::kPprofProto;
  auto status = ProfileConverter(bytes, name, limits, snapshot).run();
  if (!status) return status.error();
  return snapshot;
}

}  // namespace leakscan
