#include "analyzer/writers/pprof_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "analyzer/model/thread_labels.h"
#include "analyzer/writers/threaded_gzip_stream.h"
#include "proto/profile.pb.h"

namespace leakscan {
namespace {

namespace pb = perftools::profiles;
using google::protobuf::internal::WireFormatLite;

// Field numbers of perftools.profiles.Profile.
constexpr int kSampleField = 2;

// Streams samples straight to the output so that a 100,000-goroutine profile never exists as
// 100,000 message objects; the tables (strings, functions, locations) follow at the end, which
// protobuf parsers accept in any order.
class ProfileEncoder {
 public:
  explicit ProfileEncoder(google::protobuf::io::ZeroCopyOutputStream& out) : out_(&out) {
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
          text = text_.intern(thread_labels::created_by_text(snapshot.frame(thread.created_by)));
        }
        created_by = text;
      }
      thread_labels::append_labels(thread, snapshot.runtime, created_by, labels_);
      write_sample(snapshot, thread.stack, 1, labels_);
    }
    for (const auto& sample : snapshot.samples) {
      write_sample(snapshot, sample.stack, sample.count, sample.labels);
    }
    if (snapshot.captured_at && time_nanos_ == 0) {
      time_nanos_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        snapshot.captured_at->time_since_epoch())
                        .count();
    }
    comments_.push_back(fmt::format("leakscan: {} ({}, {} goroutines)", snapshot.source,
                                    to_string(snapshot.format), snapshot.goroutine_count()));
  }

  Status finish() {
    pb::Profile tables;
    auto* type = tables.add_sample_type();
    type->set_type(string_index("goroutine"));
    type->set_unit(string_index("count"));
    tables.mutable_period_type()->set_type(string_index("goroutine"));
    tables.mutable_period_type()->set_unit(string_index("count"));
    tables.set_period(1);
    tables.set_time_nanos(time_nanos_);
    for (const auto& comment : comments_) tables.add_comment(string_index(comment));
    for (auto& function : functions_) *tables.add_function() = std::move(function);
    for (auto& location : locations_) *tables.add_location() = std::move(location);
    for (std::string_view text : strings_) tables.add_string_table(std::string(text));
    if (!tables.SerializeToCodedStream(&out_)) return Error{"cannot encode the profile"};
    out_.Trim();
    if (out_.HadError()) return Error{"write failed"};
    return Ok{};
  }

 private:
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
    uint64_t& cached = location_of_frame_[id];
    if (cached != 0) return cached;
    // Snapshots of one process share frames: one location per distinct frame across them.
    const Frame& frame = snapshot.frame(id);
    auto [it, added] = location_ids_.try_emplace(frame, locations_.size() + 1);
    if (added) {
      pb::Location& location = locations_.emplace_back();
      location.set_id(it->second);
      auto* line = location.add_line();
      line->set_function_id(function_id(frame.function, frame.file));
      line->set_line(frame.line);
    }
    cached = it->second;
    return cached;
  }

  uint64_t function_id(std::string_view name, std::string_view file) {
    auto key = std::make_pair(string_index(name), string_index(file));
    auto [it, added] = function_ids_.try_emplace(key, functions_.size() + 1);
    if (added) {
      pb::Function& function = functions_.emplace_back();
      function.set_id(it->second);
      function.set_name(key.first);
      function.set_system_name(key.first);
      function.set_filename(key.second);
    }
    return it->second;
  }

  int64_t string_index(std::string_view text) {
    // Label text is interned, so the same label arrives with the same pointer: try that first.
    auto by_pointer = string_by_pointer_.find(text.data());
    if (by_pointer != string_by_pointer_.end() && by_pointer->second.first == text.size()) {
      return by_pointer->second.second;
    }
    auto [it, added] = string_ids_.try_emplace(text, static_cast<int64_t>(strings_.size()));
    if (added) {
      std::string_view stored = text_.intern(text);
      strings_.push_back(stored);
      // Re-key on our own copy so that the map outlives the caller's text.
      string_ids_.erase(it);
      it = string_ids_.emplace(stored, static_cast<int64_t>(strings_.size() - 1)).first;
    }
    string_by_pointer_[text.data()] = {text.size(), it->second};
    return it->second;
  }

  struct PairHash {
    size_t operator()(const std::pair<int64_t, int64_t>& key) const {
      return std::hash<int64_t>{}(key.first) * 31 + std::hash<int64_t>{}(key.second);
    }
  };

  google::protobuf::io::CodedOutputStream out_;
  pb::Sample sample_;
  std::vector<Label> labels_;
  StringPool text_;
  std::vector<std::string_view> strings_;
  std::unordered_map<std::string_view, int64_t> string_ids_;
  std::unordered_map<const char*, std::pair<size_t, int64_t>> string_by_pointer_;
  std::vector<uint64_t> location_of_frame_;
  std::vector<std::string_view> created_by_of_frame_;
  std::unordered_map<Frame, uint64_t, FrameHash> location_ids_;
  std::vector<pb::Location> locations_;
  std::unordered_map<std::pair<int64_t, int64_t>, uint64_t, PairHash> function_ids_;
  std::vector<pb::Function> functions_;
  std::vector<std::string> comments_;
  int64_t time_nanos_ = 0;
};

}  // namespace

Status encode_pprof(std::span<const Snapshot> snapshots,
                    google::protobuf::io::ZeroCopyOutputStream& out) {
  ProfileEncoder encoder(out);
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
  bool to_stdout = path == "-";
  std::string temporary = to_stdout ? std::string() : path + ".tmp";
  int fd = to_stdout ? STDOUT_FILENO
                     : ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error{fmt::format("{}: cannot create: {}", temporary, std::strerror(errno))};
  Status status = Ok{};
  {
    ThreadedGzipStream gzip(fd, /*level=*/1);  // BestSpeed, as pprof itself writes
    status = encode_pprof(snapshots, gzip);
    auto closed = gzip.close();
    if (status && !closed) status = closed;
  }
  if (!to_stdout && ::close(fd) != 0 && status) {
    status = Error{fmt::format("write failed: {}", std::strerror(errno))};
  }
  if (!status) {
    if (!to_stdout) ::unlink(temporary.c_str());
    return Error{fmt::format("{}: {}", path, status.error().message)};
  }
  if (!to_stdout && ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return Error{fmt::format("{}: cannot rename into place: {}", path, std::strerror(errno))};
  }
  return Ok{};
}

}  // namespace leakscan
