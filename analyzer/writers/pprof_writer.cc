#include "analyzer/writers/pprof_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>

#include "analyzer/model/capture_time.h"
#include "analyzer/model/id_index.h"
#include "analyzer/model/thread_labels.h"
#include "analyzer/writers/output_file.h"
#include "analyzer/writers/threaded_gzip_stream.h"
#include "proto/profile.pb.h"

namespace leakscan {
namespace {

namespace pb = perftools::profiles;
using google::protobuf::internal::WireFormatLite;

// Field numbers of perftools.profiles.Profile.
constexpr int kSampleField = 2;

// Copies of text the encoder makes, kept until it is done. Unlike a StringPool it does not
// index them: each creation site is formatted once per frame, and string_index() dedupes.
class TextArena {
 public:
  std::string_view store(std::string_view text) {
    if (text.size() > left_) {
      size_t size = std::max(kBlockSize, text.size());
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
      cursor_ = blocks_.back().get();
      left_ = size;
    }
    std::copy(text.begin(), text.end(), cursor_);
    std::string_view stored(cursor_, text.size());
    cursor_ += text.size();
    left_ -= text.size();
    return stored;
  }

 private:
  static constexpr size_t kBlockSize = size_t{256} * 1024;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* cursor_ = nullptr;
  size_t left_ = 0;
};

// Streams samples straight to the output so that a 100,000-goroutine profile never exists as
// 100,000 message objects; the tables (strings, functions, locations) follow at the end, which
// protobuf parsers accept in any order. The tables are kept as plain ids until then: a dump of
// a million distinct stacks has two million locations and functions and four million strings.
class ProfileEncoder {
 public:
  ProfileEncoder(google::protobuf::io::ZeroCopyOutputStream& out, std::string_view sample_type)
      : out_(&out), sample_type_(sample_type) {
    string_index("");
  }

  void add(const Snapshot& snapshot) {
    // Per-snapshot caches, indexed by FrameId: each frame is resolved and each creation site
    // formatted once, not once per goroutine.
    location_of_frame_.assign(snapshot.frames().size(), 0);
    created_by_of_frame_.assign(snapshot.frames().size(), {});
    for (const auto& thread : snapshot.threads) {
      labels_.clear();
      std::string_view created_by;
      if (thread.created_by != kNoFrame) {
        auto& text = created_by_of_frame_[thread.created_by];
        if (text.empty()) {
          text = text_.store(thread_labels::created_by_text(snapshot.frame(thread.created_by)));
        }
        created_by = text;
      }
      std::string_view created_at;
      if (thread.created_at) {
        // Traced goroutines first seen in one snapshot share one creation time.
        if (thread.created_at != last_created_at_) {
          last_created_at_ = thread.created_at;
          last_created_at_text_ = text_.store(thread_labels::created_at_text(*thread.created_at));
        }
        created_at = last_created_at_text_;
      }
      thread_labels::append_labels(thread, snapshot.runtime, created_by, created_at, labels_);
      write_sample(snapshot, thread.stack, 1, labels_);
    }
    for (const auto& sample : snapshot.samples) {
      write_sample(snapshot, sample.stack, sample.count, sample.labels);
    }
    // A file's modification time stays out: read back, the profile's own time would pass it
    // off as the capture's.
    if (auto taken = time_taken(snapshot); taken && time_nanos_ == 0) {
      time_nanos_ =
          std::chrono::duration_cast<std::chrono::nanoseconds>(taken->time_since_epoch()).count();
    }
    comments_.push_back(fmt::format("leakscan: {} ({}, {} goroutines)", snapshot.source,
                                    to_string(snapshot.format), snapshot.goroutine_count()));
  }

  Status finish() {
    // The strings the head and tail name come first, in the order a whole Profile message
    // would have numbered them; then the fields go out in field order, as it would write them.
    pb::Profile head;
    auto* type = head.add_sample_type();
    type->set_type(string_index(sample_type_));
    type->set_unit(string_index("count"));
    pb::Profile tail;
    tail.mutable_period_type()->set_type(string_index(sample_type_));
    tail.mutable_period_type()->set_unit(string_index("count"));
    tail.set_period(1);
    tail.set_time_nanos(time_nanos_);
    for (const auto& comment : comments_) tail.add_comment(string_index(text_.store(comment)));
    if (!head.SerializeToCodedStream(&out_)) return Error{"cannot encode the profile"};
    pb::Location location;
    for (size_t i = 0; i < locations_.size(); ++i) {
      location.Clear();
      location.set_id(i + 1);
      auto* line = location.add_line();
      line->set_function_id(locations_[i].function_id);
      line->set_line(locations_[i].line);
      location.ByteSizeLong();
      WireFormatLite::WriteMessage(kLocationField, location, &out_);
    }
    pb::Function function;
    for (size_t i = 0; i < functions_.size(); ++i) {
      function.Clear();
      function.set_id(i + 1);
      function.set_name(functions_[i].name);
      function.set_system_name(functions_[i].name);
      function.set_filename(functions_[i].file);
      function.ByteSizeLong();
      WireFormatLite::WriteMessage(kFunctionField, function, &out_);
    }
    for (std::string_view text : strings_) {
      WireFormatLite::WriteTag(kStringTableField, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, &out_);
      out_.WriteVarint32(static_cast<uint32_t>(text.size()));
      out_.WriteRaw(text.data(), static_cast<int>(text.size()));
    }
    if (!tail.SerializeToCodedStream(&out_)) return Error{"cannot encode the profile"};
    out_.Trim();
    if (out_.HadError()) return Error{"write failed"};
    return Ok{};
  }

 private:
  static constexpr int kLocationField = 4;
  static constexpr int kFunctionField = 5;
  static constexpr int kStringTableField = 6;

  struct Location {
    uint32_t function_id = 0;
    int64_t line = 0;
  };
  struct Function {
    uint32_t name = 0;  // string ids; fewer than 2^32 strings fit the input size limit
    uint32_t file = 0;
  };

  void write_sample(const Snapshot& snapshot, Stack stack, int64_t count,
                    const std::vector<Label>& labels) {
    sample_.Clear();
    for (FrameId id : stack) sample_.add_location_id(location_id(snapshot, id));
    sample_.add_value(count);
    for (const auto& label : labels) {
      auto* out = sample_.add_label();
      out->set_key(string_index(label.key));
      if (label.numeric) {
        out->set_num(label.num);
        if (!label.unit.empty()) out->set_num_unit(string_index(label.unit));
      } else {
        out->set_str(string_index(label.str));
      }
    }
    sample_.ByteSizeLong();  // WriteMessage writes the cached size
    WireFormatLite::WriteMessage(kSampleField, sample_, &out_);
  }

  uint64_t location_id(const Snapshot& snapshot, FrameId id) {
    uint32_t& cached = location_of_frame_[id];
    if (cached != 0) return cached;
    // Snapshots of one process share frames: one location per distinct frame across them. A
    // function is one per (name, file), so (function, line) is the frame.
    const Frame& frame = snapshot.frame(id);
    uint32_t function = function_id(frame.function, frame.file);
    uint32_t hash = fold_hash(std::hash<uint64_t>{}(function)*0x9e3779b97f4a7c15ULL ^
                              std::hash<int64_t>{}(frame.line));
    location_index_.prepare(locations_.size());
    auto& slot = location_index_.find(hash, [&](uint32_t i) {
      return locations_[i].function_id == function && locations_[i].line == frame.line;
    });
    if (slot.id == IdIndex::kEmpty) {
      slot = {static_cast<uint32_t>(locations_.size()), hash};
      locations_.push_back({function, frame.line});
    }
    cached = slot.id + 1;
    return cached;
  }

  uint32_t function_id(std::string_view name, std::string_view file) {
    // The file is numbered first, as profiles leakscan wrote before have it.
    uint32_t file_id = string_index(file);
    uint32_t name_id = string_index(name);
    uint32_t hash = fold_hash((uint64_t{name_id} << 32 | file_id) * 0x9e3779b97f4a7c15ULL);
    function_index_.prepare(functions_.size());
    auto& slot = function_index_.find(hash, [&](uint32_t i) {
      return functions_[i].name == name_id && functions_[i].file == file_id;
    });
    if (slot.id == IdIndex::kEmpty) {
      slot = {static_cast<uint32_t>(functions_.size()), hash};
      functions_.push_back({name_id, file_id});
    }
    return slot.id + 1;
  }

  // `text` must outlive the encoder: the snapshots' interned text, literals, or text_'s.
  uint32_t string_index(std::string_view text) {
    // Label text is interned, so the same label arrives with the same pointer: try that first.
    auto& recent = recent_strings_[std::hash<const void*>{}(text.data()) % recent_strings_.size()];
    if (recent.data == text.data() && recent.size == text.size() && text.data() != nullptr) {
      return recent.id;
    }
    uint32_t hash = fold_hash(std::hash<std::string_view>{}(text));
    string_index_.prepare(strings_.size());
    auto& slot = string_index_.find(hash, [&](uint32_t i) { return strings_[i] == text; });
    if (slot.id == IdIndex::kEmpty) {
      slot = {static_cast<uint32_t>(strings_.size()), hash};
      strings_.push_back(text);
    }
    recent = {text.data(), text.size(), slot.id};
    return slot.id;
  }

  struct RecentString {
    const char* data = nullptr;
    size_t size = 0;
    uint32_t id = 0;
  };

  google::protobuf::io::CodedOutputStream out_;
  pb::Sample sample_;
  std::vector<Label> labels_;
  TextArena text_;  // text made here: creation sites and comments
  std::vector<std::string_view> strings_;
  IdIndex string_index_;
  std::array<RecentString, 256> recent_strings_{};
  std::vector<uint32_t> location_of_frame_;
  std::vector<std::string_view> created_by_of_frame_;
  std::optional<std::chrono::system_clock::time_point> last_created_at_;
  std::string_view last_created_at_text_;
  std::vector<Location> locations_;
  IdIndex location_index_;
  std::vector<Function> functions_;
  IdIndex function_index_;
  std::vector<std::string> comments_;
  int64_t time_nanos_ = 0;
  std::string_view sample_type_;
};

}  // namespace

Status encode_pprof(std::span<const Snapshot> snapshots,
                    google::protobuf::io::ZeroCopyOutputStream& out) {
  // Go's goroutineleak profile is a goroutine profile of the proven leaks only: converted, it
  // keeps its type. Mixed with dumps of every goroutine, one type would misstate the other.
  size_t proven = std::count_if(snapshots.begin(), snapshots.end(),
                                [](const Snapshot& snapshot) { return snapshot.proven_leaked; });
  if (proven != 0 && proven != snapshots.size()) {
    return Error{
        "a goroutineleak profile and snapshots of every goroutine cannot share one profile's "
        "sample type: convert them apart"};
  }
  ProfileEncoder encoder(out, proven != 0 ? "goroutineleak" : "goroutine");
  for (const auto& snapshot : snapshots) encoder.add(snapshot);
  return encoder.finish();
}

Result<std::string> encode_pprof(std::span<const Snapshot> snapshots) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    auto status = encode_pprof(snapshots, out);
    if (!status) return status.error();
  }
  return bytes;
}

Status write_pprof_file(std::span<const Snapshot> snapshots, const std::string& path) {
  const bool to_stdout = path == "-";
  std::optional<OutputFile> file;
  if (!to_stdout) {
    auto opened = OutputFile::open(path);
    if (!opened) return opened.error();
    file.emplace(std::move(*opened));
  }
  Status status = Ok{};
  {
    // BestSpeed, as pprof itself writes.
    ThreadedGzipStream gzip(to_stdout ? STDOUT_FILENO : file->fd(), /*level=*/1);
    status = encode_pprof(snapshots, gzip);
    // A failed write (a full disk) is the cause of any failure to encode: say it.
    if (auto closed = gzip.close(); !closed) status = closed;
  }
  if (!status) return Error{fmt::format("{}: {}", path, status.error().message)};
  return to_stdout ? Status(Ok{}) : file->commit();
}

}  // namespace leakscan
