#include "analyzer/writers/pprof_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/gzip_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "analyzer/model/thread_labels.h"
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
    for (const auto& thread : snapshot.threads) {
      write_sample(snapshot, thread.stack, 1,
                   thread_labels::to_labels(thread, snapshot.runtime, snapshot, scratch_));
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
    for (const auto& text : strings_) tables.add_string_table(text);
    if (!tables.SerializeToCodedStream(&out_)) return Error{"cannot encode the profile"};
    out_.Trim();
    if (out_.HadError()) return Error{"write failed"};
    return Ok{};
  }

 private:
  void write_sample(const Snapshot& snapshot, const std::vector<FrameId>& stack, int64_t count,
                    const std::vector<Label>& labels) {
    sample_.Clear();
    for (FrameId id : stack) sample_.add_location_id(location_id(snapshot.frame(id)));
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

  uint64_t location_id(const Frame& frame) {
    auto [it, added] = location_ids_.try_emplace(frame, locations_.size() + 1);
    if (added) {
      // Key by the interned views of the snapshot's pool, which outlive this encoder's use.
      pb::Location& location = locations_.emplace_back();
      location.set_id(it->second);
      auto* line = location.add_line();
      line->set_function_id(function_id(frame.function, frame.file));
      line->set_line(frame.line);
    }
    return it->second;
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
    auto [it, added] = string_ids_.try_emplace(std::string(text), strings_.size());
    if (added) strings_.emplace_back(text);
    return it->second;
  }

  struct PairHash {
    size_t operator()(const std::pair<int64_t, int64_t>& key) const {
      return std::hash<int64_t>{}(key.first) * 31 + std::hash<int64_t>{}(key.second);
    }
  };

  google::protobuf::io::CodedOutputStream out_;
  pb::Sample sample_;
  StringPool scratch_;
  std::vector<std::string> strings_;
  std::unordered_map<std::string, int64_t> string_ids_;
  std::unordered_map<Frame, uint64_t, FrameHash> location_ids_;
  std::vector<pb::Location> locations_;
  std::unordered_map<std::pair<int64_t, int64_t>, uint64_t, PairHash> function_ids_;
  std::vector<pb::Function> functions_;
  std::vector<std::string> comments_;
  int64_t time_nanos_ = 0;
};

Status encode(std::span<const Snapshot> snapshots, google::protobuf::io::ZeroCopyOutputStream& out) {
  ProfileEncoder encoder(out);
  for (const auto& snapshot : snapshots) encoder.add(snapshot);
  return encoder.finish();
}

}  // namespace

Result<std::string> encode_pprof(std::span<const Snapshot> snapshots) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    auto status = encode(snapshots, out);
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
  bool write_failed = false;
  {
    google::protobuf::io::FileOutputStream file(fd);
    {
      google::protobuf::io::GzipOutputStream::Options options;
      options.format = google::protobuf::io::GzipOutputStream::GZIP;
      google::protobuf::io::GzipOutputStream gzip(&file, options);
      status = encode(snapshots, gzip);
      if (!gzip.Close()) write_failed = true;
    }
    if (!file.Flush()) write_failed = true;
    if (file.GetErrno() != 0) write_failed = true;
  }
  if (!to_stdout && ::close(fd) != 0) write_failed = true;
  if (status && write_failed) {
    status = Error{fmt::format("{}: write failed: {}", to_stdout ? "<stdout>" : path,
                               std::strerror(errno))};
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
