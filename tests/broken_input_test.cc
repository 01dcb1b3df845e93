// Broken, hostile and odd inputs: each must give a one-line error that names the input and
// what was expected (with the byte or line where it applies), or read with a warning; never a
// crash, a hang or unbounded memory.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "analyzer/readers/read_snapshots.h"
#include "analyzer/writers/pprof_writer.h"
#include "proto/profile.pb.h"
#include "tests/support/process.h"
#include "tests/support/snapshot_helpers.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using testing::data_path;
using testing::temp_dir;
using testing::write_file;

std::string error_of(const Result<std::vector<Snapshot>>& result) {
  EXPECT_FALSE(result.has_value()) << "read without error";
  return result ? std::string() : result.error().message;
}

std::string error_reading(const std::string& path, const ReadLimits& limits = {}) {
  return error_of(read_snapshots(path, limits));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string gzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string gunzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 32), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[64 * 1024];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - stream.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END);
  inflateEnd(&stream);
  return out;
}

TEST(BrokenInputTest, EmptyFile) {
  std::string path = temp_dir() + "/empty.txt";
  write_file(path, "");
  std::string message = error_reading(path);
  EXPECT_TRUE(contains(message, path + ": empty input")) << message;
  EXPECT_TRUE(contains(message, "expected a pprof goroutine profile")) << message;
}

TEST(BrokenInputTest, TruncatedGzip) {
  std::string whole = testing::read_file(data_path("corpus/cdk-erigon-debug0-go1.21.pb.gz"));
  ASSERT_GT(whole.size(), 1000u);
  std::string path = temp_dir() + "/half.pb.gz";
  write_file(path, whole.substr(0, whole.size() / 2));
  std::string message = error_reading(path);
  // The compressed stream ran out where the file ends.
  EXPECT_EQ(message, fmt::format("{}: byte {}: truncated gzip stream (ended before its trailer)",
                                 path, whole.size() / 2));
}

TEST(BrokenInputTest, CorruptGzip) {
  std::string whole = testing::read_file(data_path("corpus/cortex-debug0-2020.pb.gz"));
  ASSERT_GT(whole.size(), 100u);
  // Keep the 10-byte header, scramble the deflate data behind it.
  for (size_t i = 10; i < whole.size(); ++i) whole[i] = static_cast<char>(whole[i] ^ 0x5a);
  std::string path = temp_dir() + "/scrambled.pb.gz";
  write_file(path, whole);
  std::string message = error_reading(path);
  EXPECT_TRUE(std::regex_search(message, std::regex("^" + path + ": byte [0-9]+: "))) << message;
  EXPECT_TRUE(contains(message, "gzip")) << message;
}

TEST(BrokenInputTest, TruncatedProtobuf) {
  std::string raw = gunzip(testing::read_file(data_path("corpus/cdk-erigon-debug0-go1.21.pb.gz")));
  ASSERT_GT(raw.size(), 1000u);
  size_t cut = raw.size() / 2;
  std::string path = temp_dir() + "/half.pb";
  write_file(path, raw.substr(0, cut));
  std::string message = error_reading(path);
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(message, match,
                        std::regex("^" + path +
                                   ": not a valid pprof protobuf: byte ([0-9]+): .*(claims more "
                                   "bytes than the file has|is cut short)")))
      << message;
  // The field that overruns starts before the cut.
  EXPECT_LT(std::stoull(match[1].str()), cut);
}

TEST(BrokenInputTest, BinaryNoise) {
  std::mt19937 random(20240611);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(random() & 0xff);
  std::string path = temp_dir() + "/noise.bin";
  write_file(path, noise);
  std::string message = error_reading(path);
  EXPECT_TRUE(contains(message, path + ": ")) << message;
  EXPECT_TRUE(contains(message, "byte ")) << message;
  EXPECT_TRUE(contains(message, "protobuf")) << message;

  // A NUL first byte is no protobuf field tag.
  noise[0] = '\0';
  write_file(path, noise);
  message = error_reading(path);
  EXPECT_TRUE(contains(message, path + ": byte 0: binary data that is not a protobuf")) << message;
  EXPECT_TRUE(contains(message, "expected a pprof goroutine profile")) << message;
}

// What a GeneratedSource saw, kept by the test after the reader has destroyed the source.
struct SourceStats {
  uint64_t delivered = 0;
  size_t largest_request = 0;
};

// Produces `head`, then `filler` bytes of 'x' without a newline, then `tail`, without ever
// holding more than the caller's buffer: a 1 GiB line costs no memory here.
class GeneratedSource final : public ByteSource {
 public:
  GeneratedSource(std::string head, uint64_t filler, std::string tail,
                  std::shared_ptr<SourceStats> stats)
      : head_(std::move(head)), filler_(filler), tail_(std::move(tail)), stats_(std::move(stats)) {}

  Result<size_t> read(std::span<char> buffer) override {
    stats_->largest_request = std::max(stats_->largest_request, buffer.size());
    size_t written = 0;
    while (written < buffer.size() && offset_ < total()) {
      size_t n = 0;
      char* out = buffer.data() + written;
      size_t room = buffer.size() - written;
      if (offset_ < head_.size()) {
        n = std::min<uint64_t>(room, head_.size() - offset_);
        std::memcpy(out, head_.data() + offset_, n);
      } else if (offset_ < head_.size() + filler_) {
        n = std::min<uint64_t>(room, head_.size() + filler_ - offset_);
        std::memset(out, 'x', n);
      } else {
        uint64_t at = offset_ - head_.size() - filler_;
        n = std::min<uint64_t>(room, tail_.size() - at);
        std::memcpy(out, tail_.data() + at, n);
      }
      written += n;
      offset_ += n;
    }
    stats_->delivered = offset_;
    return written;
  }
  uint64_t offset() const override { return offset_; }

  uint64_t total() const { return head_.size() + filler_ + tail_.size(); }

 private:
  std::string head_;
  uint64_t filler_;
  std::string tail_;
  uint64_t offset_ = 0;
  std::shared_ptr<SourceStats> stats_;
};

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST(BrokenInputTest, OneGibLineIsSkippedNotBuffered) {
  constexpr uint64_t kGib = 1ULL << 30;
  auto stats = std::make_shared<SourceStats>();
  auto owned = std::make_unique<GeneratedSource>(
      "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d\n\n", kGib,
      "\ngoroutine 2 [select]:\nmain.loop()\n\t/app/main.go:9 +0x2e\n", stats);
  const uint64_t total = owned->total();
  auto result = read_snapshots(std::move(owned), "generated.txt", ReadLimits{});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(result->size(), 1u);
  const Snapshot& snapshot = result->front();
  // The goroutine after the long line is still read: the reader went through it, not around.
  ASSERT_EQ(snapshot.threads.size(), 2u);
  EXPECT_EQ(snapshot.threads[1].id, 2u);
  EXPECT_EQ(stats->delivered, total);
  std::string warnings;
  for (const auto& warning : snapshot.warnings) warnings += warning + "\n";
  EXPECT_TRUE(contains(warnings, "generated.txt:5: line longer than 1048576 bytes skipped"))
      << warnings;
  // Bounded buffering: reads of a few MiB at most, and nowhere near 1 GiB resident.
  EXPECT_LE(stats->largest_request, 16u << 20);
  EXPECT_LT(peak_rss_kib(), 512L * 1024) << "peak RSS in KiB";
}

TEST(BrokenInputTest, HeaderWithoutFramesIsAWarning) {
  std::string path = temp_dir() + "/no-frames.txt";
  write_file(path, "goroutine 7 [chan receive, 3 minutes]:\n");
  auto result = read_snapshots(path);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(result->size(), 1u);
  const Snapshot& snapshot = result->front();
  ASSERT_EQ(snapshot.threads.size(), 1u);
  EXPECT_EQ(snapshot.threads[0].id, 7u);
  ASSERT_EQ(snapshot.warnings.size(), 1u);
  EXPECT_EQ(snapshot.warnings[0], path + ":1: goroutine 7 has no frames");
}

TEST(BrokenInputTest, DumpCutMidFrame) {
  auto result = read_snapshots_from_memory(
      "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d\n\n"
      "goroutine 2 [select]:\nmain.loop()",
      "cut.txt");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(result->size(), 1u);
  const Snapshot& snapshot = result->front();
  ASSERT_EQ(snapshot.threads.size(), 2u);
  EXPECT_TRUE(snapshot.threads[1].stack.empty());
  std::string warnings;
  for (const auto& warning : snapshot.warnings) warnings += warning + "\n";
  EXPECT_TRUE(contains(warnings, "cut.txt:6: goroutine 2: function main.loop has no file:line"))
      << warnings;
}

TEST(BrokenInputTest, DirectoryIsRefused) {
  std::string dir = temp_dir();
  std::string message = error_reading(dir);
  EXPECT_EQ(message, dir + ": is a directory; expected a goroutine dump or profile file");
}

TEST(BrokenInputTest, MissingFile) {
  std::string path = temp_dir() + "/absent.txt";
  std::string message = error_reading(path);
  EXPECT_TRUE(contains(message, path + ": cannot open")) << message;
}

TEST(BrokenInputTest, FifoIsRefusedWithoutHanging) {
  std::string path = temp_dir() + "/fifo";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0) << std::strerror(errno);
  // Should the reader block on the FIFO, give it a writer that closes at once, so that the
  // test fails instead of hanging.
  std::mutex mutex;
  std::condition_variable done_signal;
  bool done = false;
  bool rescued = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mutex);
    if (done_signal.wait_for(lock, std::chrono::seconds(5), [&] { return done; })) return;
    rescued = true;
    int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK);  // never blocks on Linux
    if (fd >= 0) ::close(fd);
  });
  std::string message = error_reading(path);
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  done_signal.notify_one();
  watchdog.join();
  EXPECT_FALSE(rescued) << "read_snapshots blocked on a FIFO";
  EXPECT_EQ(message,
            path + ": not a regular file; pipe it through standard input with '-' instead");
}

TEST(BrokenInputTest, GzipBombStopsAtTheCap) {
  ReadLimits limits;
  limits.max_input_bytes = 1 << 20;
  std::string dir = temp_dir();

  // Text: read line by line until the cap.
  std::string lines;
  while (lines.size() < (10u << 20)) lines += "2024/06/11 12:00:00 nothing to see here\n";
  std::string text_bomb = gzip(lines);
  ASSERT_LT(text_bomb.size(), 200u << 10);
  write_file(dir + "/text.gz", text_bomb);
  std::string message = error_reading(dir + "/text.gz", limits);
  EXPECT_TRUE(contains(message, dir + "/text.gz: ")) << message;
  EXPECT_TRUE(contains(message, "exceeds 1048576 bytes")) << message;

  // Protobuf: ten million empty samples, a valid profile that is only too large.
  std::string samples;
  while (samples.size() < (10u << 20)) samples += std::string("\x12\x00", 2);
  write_file(dir + "/samples.pb.gz", gzip(samples));
  message = error_reading(dir + "/samples.pb.gz", limits);
  EXPECT_TRUE(contains(message, dir + "/samples.pb.gz: ")) << message;
  EXPECT_TRUE(contains(message, "exceeds 1048576 bytes")) << message;

  // Zeros: refused as binary noise from the first bytes, long before the cap.
  write_file(dir + "/zeros.gz", gzip(std::string(10u << 20, '\0')));
  message = error_reading(dir + "/zeros.gz", limits);
  EXPECT_TRUE(contains(message, dir + "/zeros.gz: byte 0: binary data that is not a protobuf"))
      << message;
}

TEST(BrokenInputTest, HugeLengthVarint) {
  // sample (field 2, length-delimited) claiming 4 GiB - 1 bytes, in 5 and in 10 varint bytes.
  for (const std::string& bytes :
       {std::string("\x12\xff\xff\xff\xff\x0f"
                    "abc"),
        std::string("\x0a\x02\x08\x01\x12\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
                    "abc")}) {
    auto result = read_snapshots_from_memory(bytes, "varint.pb");
    std::string message = error_of(result);
    EXPECT_TRUE(std::regex_search(message, std::regex("^varint\\.pb: not a valid pprof protobuf: "
                                                      "byte (0|4): sample 2 claims more bytes")))
        << message;
  }
}

std::string profile_with(const std::function<void(perftools::profiles::Profile&)>& edit) {
  perftools::profiles::Profile profile = testing::minimal_profile();
  edit(profile);
  return profile.SerializeAsString();
}

TEST(BrokenInputTest, SampleReferencesMissingLocation) {
  std::string bytes = profile_with([](auto& profile) {
    profile.add_sample()->add_location_id(99);
    profile.mutable_sample(1)->add_value(2);
  });
  std::string message = error_of(read_snapshots_from_memory(bytes, "missing.pb"));
  EXPECT_EQ(message,
            "missing.pb: sample 1 references location 99, which the profile does not define");
}

TEST(BrokenInputTest, LocationReferencesMissingFunction) {
  std::string bytes = profile_with(
      [](auto& profile) { profile.mutable_location(0)->mutable_line(0)->set_function_id(7); });
  std::string message = error_of(read_snapshots_from_memory(bytes, "nofunc.pb"));
  EXPECT_EQ(message,
            "nofunc.pb: location 1 references function 7, which the profile does not define");
}

TEST(BrokenInputTest, StringIndexOutsideTheTable) {
  std::string bytes =
      profile_with([](auto& profile) { profile.mutable_function(0)->set_name(42); });
  std::string message = error_of(read_snapshots_from_memory(bytes, "strings.pb"));
  EXPECT_EQ(message, "strings.pb: string index 42 is outside the string table (5 entries)");
}

TEST(BrokenInputTest, SampleWithoutItsValue) {
  std::string bytes = profile_with([](auto& profile) { profile.mutable_sample(0)->clear_value(); });
  std::string message = error_of(read_snapshots_from_memory(bytes, "novalue.pb"));
  EXPECT_EQ(message, "novalue.pb: sample 0 has 0 values, expected at least 1");
}

}  // namespace
}  // namespace leakscan

namespace leakscan {
namespace {

TEST(BrokenInputTest, InvalidUtf8IsRepairedSoEveryOutputStaysValid) {
  // A crashed program's garbled output: bytes that are no UTF-8 in a function and a file name.
  const std::string dump =
      "goroutine 1 [chan receive, 10 minutes]:\n"
      "main.f\xff\xfeoo()\n"
      "\t/app/ma\xc3in.go:5 +0x1d\n"
      "created by main.main\n"
      "\t/app/main.go:3 +0x1\n\n"
      "goroutine 2 [chan receive, 10 minutes]:\n"
      "main.f\xff\xfeoo()\n"
      "\t/app/ma\xc3in.go:5 +0x1d\n\n";
  auto snapshots = read_snapshots_from_memory(dump, "garbled.txt");
  ASSERT_TRUE(snapshots.has_value()) << snapshots.error().message;
  const Snapshot& snapshot = snapshots->front();
  ASSERT_EQ(snapshot.threads.size(), 2u);
  const Frame& frame = snapshot.frame(snapshot.threads[0].stack[0]);
  EXPECT_EQ(frame.function, "main.f\xEF\xBF\xBD\xEF\xBF\xBDoo");
  EXPECT_EQ(frame.file, "/app/ma\xEF\xBF\xBDin.go");
  // Repaired text is interned once: both goroutines share the frame and the stack.
  EXPECT_EQ(snapshot.threads[0].stack.data(), snapshot.threads[1].stack.data());
  EXPECT_EQ(snapshot.frames().size(), 2u);  // the frame and the creator

  // proto3 strings must be UTF-8: the converted profile reads back.
  auto bytes = encode_pprof(*snapshots);
  ASSERT_TRUE(bytes.has_value());
  auto back = read_snapshots_from_memory(*bytes, "garbled.pb");
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->front().frame(back->front().threads[0].stack[0]).function, frame.function);
}

}  // namespace
}  // namespace leakscan

namespace leakscan {
namespace {

TEST(BrokenInputTest, DuplicateAndSelfReferencingIdsAreRefusedOrHarmless) {
  // Two locations claiming id 1: the reader must not pick one silently for half the samples.
  std::string duplicate = profile_with([](auto& profile) {
    auto* again = profile.add_location();
    again->set_id(1);
    again->add_line()->set_function_id(1);
  });
  auto result = read_snapshots_from_memory(duplicate, "dup.pb");
  if (!result) {
    EXPECT_TRUE(result.error().message.starts_with("dup.pb: ")) << result.error().message;
  } else {
    EXPECT_EQ(result->front().goroutine_count(), 1);
  }
  // A sample listing the same location a million times (a "cycle" in its stack): read, once
  // per frame, with memory proportional to the input.
  std::string looping = profile_with([](auto& profile) {
    for (int i = 0; i < 1'000'000; ++i) profile.mutable_sample(0)->add_location_id(1);
  });
  auto loop = read_snapshots_from_memory(looping, "loop.pb");
  ASSERT_TRUE(loop) << loop.error().message;
  EXPECT_EQ(loop->front().goroutine_count(), 1);
  // Ids of zero, which pprof reserves for "none".
  std::string zero = profile_with([](auto& profile) {
    profile.mutable_location(0)->set_id(0);
    profile.mutable_sample(0)->set_location_id(0, 0);
  });
  auto zero_result = read_snapshots_from_memory(zero, "zero.pb");
  if (!zero_result) {
    EXPECT_TRUE(zero_result.error().message.starts_with("zero.pb: "));
  }
}

TEST(BrokenInputTest, TenGigabyteSparseFilesAreRefusedAtOnce) {
  std::string dir = temp_dir();
  // All zeros: binary noise from the first byte.
  std::string zeros = dir + "/zeros.bin";
  {
    int fd = ::open(zeros.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, 10LL << 30), 0);
    ::close(fd);
  }
  std::string message = error_reading(zeros);
  EXPECT_TRUE(contains(message, zeros + ": byte 0: binary data")) << message;

  // A real dump's first 100 KB, then holes to 10 GB: over the input cap, said before reading.
  std::string text = dir + "/dump.txt";
  std::string head;
  for (int i = 1; head.size() < 100'000; ++i) {
    head += fmt::format("goroutine {} [chan receive]:\nmain.f()\n\t/app/main.go:5 +0x1d\n\n", i);
  }
  write_file(text, head);
  ASSERT_EQ(::truncate(text.c_str(), 10LL << 30), 0);
  message = error_reading(text);
  EXPECT_TRUE(contains(message, text + ": input exceeds 2147483648 bytes")) << message;
  ::unlink(zeros.c_str());
  ::unlink(text.c_str());
}

}  // namespace
}  // namespace leakscan

namespace leakscan {
namespace {

// Every goroutine with a stack of its own: the worst case for interning and clustering. The
// documented budget (README, "Security and robustness"): peak memory at most 6 times the
// input plus 64 MiB (measured 6.1 times), and a report that lists at most --max-clusters
// clusters.
TEST(BrokenInputTest, DistinctStacksStayWithinTheMemoryBudget) {
  std::string path = temp_dir() + "/distinct.txt";
  {
    std::string dump;
    dump.reserve(48u << 20);
    for (int i = 1; i <= 300'000; ++i) {
      dump += fmt::format(
          "goroutine {0} [chan receive]:\nmain.handler{0}(...)\n\t/app/h{0}.go:{0} +0x1d\n"
          "created by main.spawn{0}\n\t/app/main.go:{0} +0x2\n\n",
          i);
    }
    write_file(path, dump);
  }
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  auto result = testing::run_command({testing::cli_path(), path, "--format", "json"},
                                     std::chrono::seconds(240));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  rusage usage{};
  ASSERT_EQ(::getrusage(RUSAGE_CHILDREN, &usage), 0);
  int64_t peak = static_cast<int64_t>(usage.ru_maxrss) * 1024;
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's shadow memory and quarantine come on top of leakscan's own.
  constexpr int64_t kFactor = 4;
  constexpr int64_t kSlack = 512LL << 20;
#else
  constexpr int64_t kFactor = 1;
  constexpr int64_t kSlack = 0;
#endif
  EXPECT_LE(peak, kFactor * (6 * static_cast<int64_t>(info.st_size) + (64LL << 20)) + kSlack)
      << "peak " << peak << " bytes for " << info.st_size << " bytes of input";
  EXPECT_TRUE(contains(result.out, "\"clusters_not_listed\": \"299000\""))
      << result.out.substr(0, 2000);
  EXPECT_LT(result.out.size(), 4u << 20);
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace leakscan
