// Inputs built as an attacker builds them (issue 23): each run through the real CLI, whose exit
// code, one-line error, signals and peak memory (its own VmHWM, from GNU time) are checked
// against README's promise: bad input is exit 2 and one line naming it, never a signal; memory
// at most 6 times the input plus 64 MiB; nothing a terminal or a PR comment would obey.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "analyzer/engine/http_fetch.h"
#include "analyzer/model/utf8_text.h"
#include "analyzer/readers/byte_source.h"
#include "analyzer/readers/file_image.h"
#include "analyzer/readers/read_snapshots.h"
#include "analyzer/report/visible_text.h"
#include "proto/profile.pb.h"
#include "tests/support/process.h"
#include "tests/support/scripted_http_server.h"
#include "tests/support/snapshot_helpers.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

using testing::cli_path;
using testing::read_file;
using testing::temp_dir;
using testing::write_file;

struct MeasuredRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  int64_t peak_bytes = 0;
  std::string signal;  // GNU time's "Command terminated by signal N", if any
};

// argv run under GNU time, which reports the child's own peak RSS (not the test's children's).
MeasuredRun run_measured(const std::vector<std::string>& argv,
                         std::chrono::seconds timeout = std::chrono::seconds(120)) {
  std::string times = temp_dir() + "/time.txt";
  std::vector<std::string> timed{"/usr/bin/time", "-f", "peak %M", "-o", times};
  timed.insert(timed.end(), argv.begin(), argv.end());
  auto result = testing::run_command(timed, timeout);
  MeasuredRun run{result.exit_code, result.out, result.err};
  std::string report = read_file(times);
  if (auto at = report.find("signal"); at != std::string::npos) run.signal = report;
  if (auto at = report.find("peak "); at != std::string::npos) {
    run.peak_bytes = std::stoll(report.substr(at + 5)) * 1024;
  }
  return run;
}

int64_t file_size(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_size;
}

// README's budget, with room for what AddressSanitizer adds.
int64_t memory_budget(int64_t input_bytes) {
#if defined(__SANITIZE_ADDRESS__)
  return 4 * (6 * input_bytes + (64LL << 20)) + (512LL << 20);
#else
  return 6 * input_bytes + (64LL << 20);
#endif
}

// A refusal: exit 2, one line on stderr naming the input.
void expect_one_line_error(const MeasuredRun& run, const std::string& input) {
  EXPECT_EQ(run.exit_code, 2) << run.err.substr(0, 2000);
  EXPECT_TRUE(run.signal.empty()) << run.signal;
  ASSERT_FALSE(run.err.empty());
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err.substr(0, 2000);
  EXPECT_NE(run.err.find(input), std::string::npos) << run.err.substr(0, 2000);
}

// A refusal after the reader's warnings (at most a screenful): its last line names the input.
void expect_warned_then_refused(const MeasuredRun& run, const std::string& input) {
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(run.signal.empty()) << run.signal;
  EXPECT_LE(std::count(run.err.begin(), run.err.end(), '\n'), 60);
  std::string_view last(run.err);
  if (last.ends_with('\n')) last.remove_suffix(1);
  last = last.substr(last.rfind('\n') + 1);
  EXPECT_TRUE(last.starts_with("leakscan: " + input + ":")) << last;
}

bool has_raw_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\n') || byte == 0x7f;
  });
}

std::string gzip(const std::string& bytes) {
  std::string out(compressBound(bytes.size()) + 64, '\0');
  z_stream stream{};
  deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

constexpr std::string_view kOneGoroutine =
    "goroutine 1 [chan receive, 10 minutes]:\nmain.leak(...)\n\t/app/main.go:10 +0x1d\n"
    "created by main.main in goroutine 1\n\t/app/main.go:3 +0x1\n\n";

std::string repeated(std::string_view text, size_t times) {
  std::string out;
  out.reserve(text.size() * times);
  for (size_t i = 0; i < times; ++i) out += text;
  return out;
}

// Each repeat of a goroutine id starts a new dump: 10,000 of them in 1.4 MB once took 2.1 GB.
TEST(HostileInput, RepeatedGoroutineIdsDoNotMultiplyMemory) {
  std::string path = temp_dir() + "/repeated.txt";
  write_file(path, repeated(kOneGoroutine, 10'000));
  auto run = run_measured({cli_path(), path, "--format", "json"});
  EXPECT_TRUE(run.signal.empty()) << run.signal;
  EXPECT_LE(run.peak_bytes, memory_budget(file_size(path)));
  // Ten thousand dumps in one file are more than one input may hold: refused by name.
  expect_one_line_error(run, path);
  EXPECT_NE(run.err.find("dumps in one input"), std::string::npos) << run.err;
}

TEST(HostileInput, RepeatedGoroutineIdsBehindGzipAreRefusedTheSameWay) {
  std::string path = temp_dir() + "/repeated.txt.gz";
  write_file(path, gzip(repeated(kOneGoroutine, 100'000)));
  auto run = run_measured({cli_path(), path});
  EXPECT_LE(run.peak_bytes, memory_budget(13'600'000));
  expect_one_line_error(run, path);
}

// Fewer dumps than the cap are read, each costing bytes rather than a table's worth.
TEST(HostileInput, HundredsOfOneGoroutineDumpsStaySmall) {
  std::string path = temp_dir() + "/hundreds.txt";
  write_file(path, repeated(kOneGoroutine, 900));
  auto run = run_measured({cli_path(), path, "--format", "json"});
  EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.err.substr(0, 2000);
  EXPECT_TRUE(run.signal.empty()) << run.signal;
  EXPECT_LE(run.peak_bytes, int64_t{96} << 20) << "peak for 900 dumps of one goroutine";
  EXPECT_NE(run.out.find("\"snapshots\""), std::string::npos);
}

// `count` goroutines parked in one select, each holding the same address: a large dump whose
// every goroutine is a holder of one object.
std::string workers_sharing_one_address(int count) {
  std::string dump;
  for (int i = 1; i <= count; ++i) {
    dump += fmt::format(
        "goroutine {} [select, 3 minutes]:\nmain.worker(0xc000010000)\n\t/app/w.go:40 +0x90\n"
        "created by main.start in goroutine 1\n\t/app/main.go:12 +0x2c\n\n",
        i);
  }
  return dump;
}

// A file truncated while a mapping of it was read died of SIGBUS. Now it is read, not mapped:
// truncation during the read is an error naming the file, afterwards it changes nothing.
TEST(HostileInput, FileTruncatedWhileReadIsNoSignal) {
  std::string path = temp_dir() + "/rotated.txt";
  write_file(path, workers_sharing_one_address(300'000));
  testing::ChildProcess child({cli_path(), path, "--format", "json"});
  // Truncated once the child has the file open, as copytruncate does mid-read.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string fd_dir = fmt::format("/proc/{}/fd", child.pid());
  bool opened = false;
  while (!opened && std::chrono::steady_clock::now() < deadline) {
    for (int fd = 3; fd < 16 && !opened; ++fd) {
      char target[512] = {};
      ssize_t n = ::readlink(fmt::format("{}/{}", fd_dir, fd).c_str(), target, sizeof target - 1);
      opened = n > 0 && std::string_view(target, n) == path;
    }
    if (!opened) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_TRUE(opened) << "the child never opened the file";
  std::this_thread::sleep_for(std::chrono::milliseconds(3));  // into the read, most times
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  auto code = child.wait(std::chrono::seconds(120));
  ASSERT_TRUE(code.has_value());
  EXPECT_GE(*code, 0) << "killed by signal " << -*code;
  if (*code == 2) {
    // Cut before its first read the file is empty; during it, it changed.
    std::string err = child.stderr_text();
    EXPECT_TRUE(err.find("changed while it was read") != std::string::npos ||
                err.find("empty input") != std::string::npos)
        << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  } else {
    EXPECT_EQ(*code, 0) << child.stderr_text();
  }
}

// A dump read whole is parsed in place, and the pages passed are handed back as it goes: a
// line that straddles a page must still be read whole (released pages read back as zeros).
TEST(HostileInput, DumpReadInPlaceLosesNoLine) {
  std::string path = temp_dir() + "/straddling.txt";
  std::string dump;
  constexpr int kGoroutines = 12'000;  // 1.5 MB: one thread, past the release step
  for (int i = 1; i <= kGoroutines; ++i) {
    dump += fmt::format(
        "goroutine {0} [chan receive]:\nmain.handler{0}(...)\n\t/app/h{0}.go:{0} +0x1d\n"
        "created by main.spawn{0}\n\t/app/main.go:{0} +0x2\n\n",
        i);
  }
  write_file(path, dump);
  auto snapshots = read_snapshots(path);
  ASSERT_TRUE(snapshots) << snapshots.error().message;
  ASSERT_EQ(snapshots->size(), 1u);
  const Snapshot& snapshot = snapshots->front();
  ASSERT_EQ(snapshot.threads.size(), size_t{kGoroutines});
  for (const auto& thread : snapshot.threads) {
    ASSERT_EQ(thread.stack.size(), 1u) << "goroutine " << thread.id;
    EXPECT_EQ(snapshot.frame(thread.stack[0]).function, fmt::format("main.handler{}", thread.id));
  }
  EXPECT_TRUE(snapshot.warnings.empty()) << snapshot.warnings.front();
}

// A real dump as Windows PowerShell saves it (`> dump.txt`: UTF-16 with a byte-order mark)
// reads as the dump itself, with a warning that says so.
TEST(HostileInput, Utf16DumpReadsAsItsUtf8Original) {
  std::string original = std::string(LEAKSCAN_SAMPLE_PROFILES) + "/zoo-debug2.txt";
  std::string path = temp_dir() + "/powershell.txt";
  auto converted = testing::run_command(
      {"/bin/sh", "-c",
       fmt::format("printf '\\377\\376' > '{1}' && iconv -f UTF-8 -t UTF-16LE '{0}' >> '{1}'",
                   original, path)});
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  auto utf8 = read_snapshots(original);
  auto utf16 = read_snapshots(path);
  ASSERT_TRUE(utf8) << utf8.error().message;
  ASSERT_TRUE(utf16) << utf16.error().message;
  ASSERT_EQ(utf16->size(), 1u);
  EXPECT_EQ(testing::stack_multiset(utf16->front()), testing::stack_multiset(utf8->front()));
  ASSERT_FALSE(utf16->front().warnings.empty());
  EXPECT_NE(utf16->front().warnings.front().find("read as UTF-16 text"), std::string::npos);
}

// A goroutine id past 2^64 - 1 is read, and said, rather than the goroutine vanishing.
TEST(HostileInput, GoroutineIdOutOfRangeIsReadWithAWarning) {
  std::string path = temp_dir() + "/huge-id.txt";
  write_file(path,
             "goroutine 99999999999999999999999 [chan receive]:\nmain.leak(...)\n"
             "\t/app/main.go:10 +0x1d\n\ngoroutine 5 [select]:\nmain.other(...)\n"
             "\t/app/main.go:20 +0x1d\n");
  auto snapshots = read_snapshots(path);
  ASSERT_TRUE(snapshots) << snapshots.error().message;
  ASSERT_EQ(snapshots->size(), 1u);
  EXPECT_EQ(snapshots->front().threads.size(), 2u);
  ASSERT_FALSE(snapshots->front().warnings.empty());
  EXPECT_NE(snapshots->front().warnings.front().find("goroutine id 99999999999999999999999 is "
                                                     "past 2^64 - 1; read as goroutine 0"),
            std::string::npos)
      << snapshots->front().warnings.front();
}

// Hundreds of thousands of goroutines holding one address (a server's receiver, a shared
// channel): the wait-for graph walks the address's holders once, not once per holder (a dump
// of 2.2 million such goroutines ran for more than ten minutes).
TEST(HostileInput, OneAddressHeldByHundredsOfThousandsIsWalkedOnce) {
  std::string path = temp_dir() + "/one-address.txt";
  write_file(path, workers_sharing_one_address(400'000));
  // Read and judged within the budget (by hand, not asserted: 1.4 s here; 2.2 million such
  // goroutines, 320 MB, in 5.5 s).
  auto run = run_measured({cli_path(), path, "--format", "json"}, std::chrono::seconds(240));
  EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.exit_code << run.err;
  EXPECT_LE(run.peak_bytes, memory_budget(file_size(path)));
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
// Budgets bound what an input may build, but a machine may hold less than a budget allows: the
// allocator's refusal names the input, as any other refusal does, and is never an abort.
// (Sanitizers reserve terabytes of address space, so an address-space limit is for this build.)
TEST(HostileInput, AMachineWithLessMemoryThanTheBudgetNamesTheInput) {
  std::string path = temp_dir() + "/less-memory.txt";
  write_file(path, workers_sharing_one_address(400'000));
  auto run = run_measured({"prlimit", fmt::format("--as={}", 150 << 20), cli_path(), path});
  expect_one_line_error(run, path);
  EXPECT_NE(run.err.find("ran out of memory"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--max-memory"), std::string::npos) << run.err;
}
#endif

class EndsEarly : public ByteSource {
 public:
  Result<size_t> read(std::span<char> buffer) override {
    size_t n = std::min(buffer.size(), left_);
    std::fill_n(buffer.begin(), n, 'x');
    left_ -= n;
    offset_ += n;
    return n;
  }
  uint64_t offset() const override { return offset_; }

 private:
  size_t left_ = 1000;
  uint64_t offset_ = 0;
};

TEST(HostileInput, ImageOfAFileThatShrankIsAnError) {
  EndsEarly source;
  auto image = FileImage::read(source, "head", 1'000'000, "dump.txt");
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().message,
            "dump.txt: changed while it was read: it ended at byte 1004 of 1000000 (truncated or "
            "rotated?)");
}

// Protocol buffers' wire format, written by hand: these profiles are built to be hostile.
std::string varint(uint64_t value) {
  std::string out;
  do {
    auto byte = static_cast<char>(value & 0x7f);
    value >>= 7;
    out.push_back(static_cast<char>(byte | (value != 0 ? 0x80 : 0)));
  } while (value != 0);
  return out;
}
std::string message_field(uint32_t number, std::string_view bytes) {
  return varint(uint64_t{number} << 3 | 2) + varint(bytes.size()) + std::string(bytes);
}
std::string varint_field(uint32_t number, uint64_t value) {
  return varint(uint64_t{number} << 3) + varint(value);
}

// A goroutine profile's head: strings "", "goroutine", "count", "main.leak", "k", "v"; one
// function and one location.
std::string profile_head() {
  std::string out;
  for (std::string_view text : {"", "goroutine", "count", "main.leak", "k", "v"}) {
    out += message_field(6, text);
  }
  out += message_field(1, varint_field(1, 1) + varint_field(2, 2));
  out += message_field(5, varint_field(1, 1) + varint_field(2, 3));
  out += message_field(4, varint_field(1, 1) + message_field(4, varint_field(1, 1)));
  return out;
}

// Ten million one-frame samples, 80 MB (once 11 GB and then std::bad_alloc for 10^8): the same
// stack without labels is one record, counted.
TEST(HostileInput, MillionsOfSamplesCostTheirDistinctStacks) {
  std::string sample = message_field(2, varint_field(1, 1) + varint_field(2, 1));
  std::string profile = profile_head();
  constexpr size_t kSamples = 10'000'000;
  profile.reserve(profile.size() + sample.size() * kSamples);
  for (size_t i = 0; i < kSamples; ++i) profile += sample;
  std::string path = temp_dir() + "/many-samples.pb.gz";
  write_file(path, gzip(profile));
  auto run = run_measured({cli_path(), path, "--format", "json"}, std::chrono::seconds(240));
  EXPECT_TRUE(run.signal.empty()) << run.signal;
  EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.err;
  EXPECT_NE(run.out.find("\"goroutines\": \"10000000\""), std::string::npos)
      << run.out.substr(0, 2000);
  EXPECT_LE(run.peak_bytes, memory_budget(static_cast<int64_t>(profile.size())));
}

// One sample with ten million labels (once 1.4 GB from 87 KB): past the budget, refused by name
// before they are built.
TEST(HostileInput, OneSampleWithMillionsOfLabelsIsRefused) {
  std::string label = message_field(3, varint_field(1, 4) + varint_field(2, 5));
  std::string body = varint_field(1, 1) + varint_field(2, 1);
  constexpr size_t kLabels = 10'000'000;
  body.reserve(body.size() + label.size() * kLabels);
  for (size_t i = 0; i < kLabels; ++i) body += label;
  std::string profile = profile_head() + message_field(2, body);
  std::string path = temp_dir() + "/many-labels.pb.gz";
  write_file(path, gzip(profile));
  auto run = run_measured({cli_path(), path}, std::chrono::seconds(240));
  expect_one_line_error(run, path);
  EXPECT_NE(run.err.find("sample 0's 10000000 labels need more memory than its budget"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("raise --max-memory"), std::string::npos) << run.err;
  EXPECT_LE(run.peak_bytes, memory_budget(static_cast<int64_t>(profile.size())));
}

// 200,000 samples of 5 labels each (once 21 times their size): within the budget.
// Goroutines of a few bytes each (Go never prints one without a frame) would build 12 times
// their input: the read stops where the dense stretch starts.
TEST(HostileInput, DenseEmptyGoroutinesAreRefusedWithinTheBudget) {
  std::string path = temp_dir() + "/frameless.txt";
  std::string dump;
  for (int i = 1; i <= 3'000'000; ++i) dump += fmt::format("goroutine {} [a]:\n\n", i);
  write_file(path, dump);
  auto run = run_measured({cli_path(), path});
  EXPECT_LE(run.peak_bytes, memory_budget(file_size(path)));
  expect_warned_then_refused(run, path);
  EXPECT_NE(run.err.find("goroutines and 0 distinct frames"), std::string::npos)
      << run.err.substr(run.err.size() - std::min<size_t>(run.err.size(), 600));
}

// A million distinct frames of a few bytes each, the same for a debug=2 and a debug=1 profile.
TEST(HostileInput, DenseDistinctFramesAreRefusedWithinTheBudget) {
  std::string traceback = temp_dir() + "/frames.txt";
  std::string debug1 = temp_dir() + "/frames-debug1.txt";
  std::string dump;
  std::string profile = "goroutine profile: total 1000000\n";
  for (int i = 1; i <= 200'000; ++i) {
    dump += fmt::format("goroutine {} [a]:\n", i);
    for (int j = 0; j < 5; ++j) dump += fmt::format("f{}_{}()\n\tx:{}\n", i, j, j);
    dump += "\n";
  }
  for (int i = 1; i <= 1'000'000; ++i)
    profile += fmt::format("1 @ 0x1\n#\t0x1\tf{}+0x1\tx:1\n\n", i);
  write_file(traceback, dump);
  write_file(debug1, profile);
  for (const auto& path : {traceback, debug1}) {
    auto run = run_measured({cli_path(), path});
    EXPECT_LE(run.peak_bytes, memory_budget(file_size(path))) << path;
    expect_one_line_error(run, path);
    EXPECT_NE(run.err.find("distinct frames in its first"), std::string::npos) << run.err;
  }
}

TEST(HostileInput, LabelledSamplesStayWithinTheBudget) {
  std::string profile = profile_head();
  for (int i = 0; i < 200'000; ++i) {
    std::string body = varint_field(1, 1) + varint_field(2, 1);
    for (int j = 0; j < 5; ++j) body += message_field(3, varint_field(1, 4) + varint_field(2, 5));
    profile += message_field(2, body);
  }
  std::string path = temp_dir() + "/labelled.pb";
  write_file(path, profile);
  auto run = run_measured({cli_path(), path, "--format", "json"}, std::chrono::seconds(240));
  EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.err;
  EXPECT_TRUE(run.signal.empty()) << run.signal;
  EXPECT_LE(run.peak_bytes, memory_budget(file_size(path)));
}

// Counts no process can have, and sums of them, are refused where they are read.
TEST(HostileInput, AbsurdDebug1CountsAreRefused) {
  std::string path = temp_dir() + "/huge-counts.txt";
  write_file(path,
             "goroutine profile: total 2\n"
             "9223372036854775807 @ 0x1\n#\t0x1\tmain.a+0x1\t/app/a.go:1\n\n"
             "9223372036854775807 @ 0x2\n#\t0x2\tmain.b+0x1\t/app/b.go:1\n\n");
  auto run = run_measured({cli_path(), path});
  expect_one_line_error(run, path);
  EXPECT_NE(run.err.find("count from 0 to 4294967296"), std::string::npos) << run.err;
}

TEST(HostileInput, NegativePprofSampleValueIsRefused) {
  perftools::profiles::Profile profile = testing::minimal_profile();
  profile.mutable_sample(0)->set_value(0, -5);
  std::string path = temp_dir() + "/negative.pb";
  write_file(path, profile.SerializeAsString());
  auto run = run_measured({cli_path(), path});
  expect_one_line_error(run, path);
  EXPECT_NE(run.err.find("sample 0 counts -5 goroutines"), std::string::npos) << run.err;
  auto converted = run_measured({cli_path(), "convert", path, "-o", temp_dir() + "/out.pb.gz"});
  expect_one_line_error(converted, path);
}

TEST(HostileInput, OverflowingWaitIsNoNegativeWait) {
  std::string path = temp_dir() + "/overflow-wait.txt";
  write_file(
      path,
      "goroutine 7 [chan receive, 9223372036854775807 minutes]:\nmain.leak(...)\n"
      "\t/app/main.go:10 +0x1d\ncreated by main.main in goroutine 1\n\t/app/main.go:3 +0x1\n"
      "\ngoroutine 8 [chan receive, -5 minutes]:\nmain.leak(...)\n"
      "\t/app/main.go:10 +0x1d\ncreated by main.main in goroutine 1\n\t/app/main.go:3 +0x1\n");
  auto run = run_measured({cli_path(), path, "--format", "json"});
  EXPECT_TRUE(run.signal.empty());
  EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.err;
  EXPECT_EQ(run.out.find("\"-"), std::string::npos) << "a negative value in " << run.out;
  EXPECT_NE(run.err.find("no number of minutes"), std::string::npos) << run.err;
}

// Control bytes where a dump puts names and messages: an OSC 52 clipboard write, a window
// title, a screen clear, a C1 CSI, and Markdown that would close its code span and add HTML.
std::string dump_with_escapes() {
  return "panic: boom \x1b[2J\x1b[H cleared\n\n"
         "goroutine 1 [running]:\n"
         "main.evil\x1b]52;c;ZWNobyBwd25lZA==\x07`tick`<img src=x onerror=alert(1)>(...)\n"
         "\t/app/[link](http://evil.example)/ev\x1b]0;title\x07il.go:10 +0x1d\n"
         "main.main()\n\t/app/main.go:3 +0x1\n\n"
         "goroutine 9 [chan receive, 12 minutes]:\n"
         "main.`tick`<img src=x onerror=alert(1)>\xc2\x9b"
         "31m(...)\n"
         "\t/app/[link](http://evil.example)/x.go:10 +0x1d\n"
         "created by main.main in goroutine 1\n\t/app/main.go:3 +0x1\n";
}

TEST(HostileInput, ControlBytesNeverReachTheTerminal) {
  std::string path = temp_dir() + "/escapes.txt";
  write_file(path, dump_with_escapes());
  auto text = run_measured({cli_path(), path, "-v", "--color", "never"});
  EXPECT_TRUE(text.exit_code == 0 || text.exit_code == 1) << text.err;
  EXPECT_FALSE(has_raw_control(text.out)) << text.out;
  EXPECT_FALSE(has_raw_control(text.err)) << text.err;
  EXPECT_EQ(text.out.find("\xc2\x9b"), std::string::npos) << "a raw C1 CSI";
  EXPECT_NE(text.out.find("\\x1b]52;c;"), std::string::npos) << "shown, escaped:\n" << text.out;

  auto markdown = run_measured({cli_path(), path, "--format", "markdown"});
  EXPECT_FALSE(has_raw_control(markdown.out)) << markdown.out;
  // Rendered by CommonMark's reference parser, raw HTML allowed: no element from the dump.
  std::string rendered_path = temp_dir() + "/report.md";
  write_file(rendered_path, markdown.out);
  auto rendered = testing::run_command({"/usr/bin/cmark", "--unsafe", rendered_path});
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
  EXPECT_EQ(rendered.out.find("<img"), std::string::npos) << rendered.out;
  EXPECT_EQ(rendered.out.find("<a "), std::string::npos) << rendered.out;
  EXPECT_NE(rendered.out.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos)
      << "shown as text:\n"
      << rendered.out;
  // JSON keeps the name as it was, encoded.
  auto json = run_measured({cli_path(), path, "--format", "json"});
  EXPECT_FALSE(has_raw_control(json.out));
  EXPECT_NE(json.out.find("\\u001b]52"), std::string::npos) << json.out.substr(0, 3000);
}

// A watched target is anyone's: one that answers with a dump of ten thousand repeats (once 20
// GB in the watcher), then with escapes, then with a dense stretch, costs the watcher its
// budget, a line per refusal, and nothing on the terminal that a terminal would obey.
TEST(HostileInput, AWatchedTargetCannotTakeTheWatcherDown) {
  std::string dense;
  for (int i = 1; i <= 1'000'000; ++i) dense += fmt::format("goroutine {} [a]:\n\n", i);
  const std::string escapes =
      "goroutine 1 [chan receive, 10 minutes]:\nmain.\x1b]52;c;eA==\x07evil(...)\n"
      "\t/app/\x1b[2Jmain.go:10 +0x1d\n\n";
  // The repeats twice: watch retries a failed poll when the retry fits in the poll's interval,
  // which a slow build (ASan) may not; four polls reach the dense stretch either way, and a
  // timeout past the interval lets a loaded machine fetch its 20 MB.
  testing::ScriptedHttpServer target({{.body = repeated(kOneGoroutine, 10'000)},
                                      {.body = repeated(kOneGoroutine, 10'000)},
                                      {.body = escapes},
                                      {.body = dense}});
  std::string out = temp_dir() + "/watched";
  auto run = run_measured({cli_path(), "watch", target.url(), "--every", "200ms", "--polls", "4",
                           "--timeout", "20s", "--out", out, "--color", "never"});
  EXPECT_TRUE(run.signal.empty()) << run.signal;
  EXPECT_LE(run.peak_bytes, memory_budget(static_cast<int64_t>(dense.size())));
  EXPECT_FALSE(has_raw_control(run.out)) << run.out;
  EXPECT_FALSE(has_raw_control(run.err)) << run.err;
  // One status line per poll and target, on standard output.
  EXPECT_NE(run.out.find("dumps in one input"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("goroutines and 0 distinct frames"), std::string::npos) << run.out;
  EXPECT_GE(target.served().size(), 4U);
}

// A crashed program's garbled panic message, function and file: every writer gets valid UTF-8
// (once protobuf logged an error per string and JSON dropped the bytes), and nothing is said on
// stderr about it.
TEST(HostileInput, InvalidUtf8IsRepairedForEveryWriter) {
  std::string path = temp_dir() + "/garbled.txt";
  write_file(path,
             "panic: bad \xff\xfe bytes \xc3\n\ngoroutine 1 [running]:\nmain.f\xff(...)\n"
             "\t/app/m\xfe.go:10 +0x1d\nweird \xff line\n");
  for (const std::string format : {"text", "json", "markdown", "sarif", "html"}) {
    auto run = run_measured({cli_path(), path, "--format", format});
    EXPECT_EQ(run.exit_code, 0) << format << run.err;
    EXPECT_TRUE(is_valid_utf8(run.out)) << format;
    EXPECT_TRUE(is_valid_utf8(run.err)) << format << run.err;
    EXPECT_EQ(run.err.find("libprotobuf"), std::string::npos) << format << run.err;
  }
  auto json = run_measured({cli_path(), path, "--format", "json"});
  EXPECT_NE(json.out.find("panic: bad \xEF\xBF\xBD\xEF\xBF\xBD bytes"), std::string::npos)
      << json.out.substr(0, 2000);
}

// Backticks inside a code span get a longer fence; table pipes stay escaped.
TEST(HostileInput, MarkdownCodeSpansCannotBeClosedFromInside) {
  EXPECT_EQ(markdown_code("a`b", MarkdownPlace::kParagraph), "``a`b``");
  EXPECT_EQ(markdown_code("``x", MarkdownPlace::kParagraph), "``` ``x ```");
  EXPECT_EQ(markdown_code("a|b", MarkdownPlace::kTableCell), "`a\\|b`");
  EXPECT_EQ(markdown_text("<img src=x>![i](u)"), "&lt;img src=x&gt;\\!\\[i\\]\\(u\\)");
  EXPECT_EQ(visible("a\x1b[2Jb\x7f\xc2\x85"), "a\\x1b[2Jb\\x7f\\u0085");
  EXPECT_EQ(visible("caf\xc3\xa9"), "caf\xc3\xa9");
}

// One file given twice (or by two names) is one capture, read once and said so: two snapshots
// of one moment would look like a steady series.
TEST(HostileInput, OneFileGivenTwiceIsReadOnce) {
  std::string dump = std::string(LEAKSCAN_SAMPLE_PROFILES) + "/leakyservice-1.txt";
  std::string link = temp_dir() + "/same.txt";
  ASSERT_EQ(::symlink(dump.c_str(), link.c_str()), 0);
  auto run = run_measured({cli_path(), dump, link, "--format", "json"});
  EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.err;
  EXPECT_NE(run.err.find(link + ": the same file as " + dump + ", given again; read once"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(run.out.find("\"source\": \"" + link), std::string::npos) << "read twice";
}

// A full disk: every writer says so and exits 2, instead of exit 0 having written nothing.
TEST(HostileInput, WritesToAFullDiskFail) {
  std::string dump = std::string(LEAKSCAN_SAMPLE_PROFILES) + "/zoo-debug2.txt";
  auto report = testing::run_command(
      {"/bin/sh", "-c", fmt::format("'{}' '{}' > /dev/full", cli_path(), dump)});
  EXPECT_EQ(report.exit_code, 2) << report.err;
  EXPECT_NE(report.err.find("standard output: cannot write: No space left on device"),
            std::string::npos)
      << report.err;
  auto text =
      testing::run_command({cli_path(), "convert", dump, "--to", "text", "-o", "/dev/full"});
  EXPECT_EQ(text.exit_code, 2) << text.err;
  EXPECT_NE(text.err.find("/dev/full: cannot write: No space left on device"), std::string::npos)
      << text.err;
  auto pprof = testing::run_command(
      {"/bin/sh", "-c", fmt::format("'{}' convert '{}' -o - > /dev/full", cli_path(), dump)});
  EXPECT_EQ(pprof.exit_code, 2) << pprof.err;
  EXPECT_NE(pprof.err.find("No space left on device"), std::string::npos) << pprof.err;
  EXPECT_EQ(pprof.err.find("cannot encode"), std::string::npos) << pprof.err;
}

// Every file writer once wrote beside the output and renamed over it, which as root replaced
// /dev/full (a device node) with a report, and a symbolic link with a file. A device is written
// in place (and its full disk reported), a link's target is replaced, the link kept. The device
// is the test's own (a full device, as /dev/full is), so a regression harms no other test.
TEST(HostileInput, DevicesAndLinksAreWrittenThroughNotReplaced) {
  std::string dump = std::string(LEAKSCAN_SAMPLE_PROFILES) + "/zoo-debug2.txt";
  std::string device = temp_dir() + "/full";
  ASSERT_EQ(::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 7)), 0) << std::strerror(errno);
  const std::vector<std::vector<std::string>> writers{
      {cli_path(), dump, "--format", "html", "-o", device},
      {cli_path(), dump, "--format", "json", "-o", device},
      {cli_path(), dump, "--emit-pprof", device},
      {cli_path(), "convert", dump, "-o", device},
  };
  for (const auto& argv : writers) {
    auto run = testing::run_command(argv);
    EXPECT_EQ(run.exit_code, 2) << argv[argv.size() - 2] << run.err;
    EXPECT_NE(run.err.find(device + ": "), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("No space left on device"), std::string::npos) << run.err;
    struct stat info {};
    ASSERT_EQ(::stat(device.c_str(), &info), 0);
    EXPECT_TRUE(S_ISCHR(info.st_mode)) << "the device node was replaced by " << argv[2];
  }
  const std::string directory = temp_dir();
  std::string target = directory + "/report.json";
  std::string link = directory + "/latest.json";
  ASSERT_EQ(::symlink("report.json", link.c_str()), 0);
  auto run = testing::run_command({cli_path(), dump, "--format", "json", "-o", link});
  EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.err;
  struct stat info {};
  ASSERT_EQ(::lstat(link.c_str(), &info), 0);
  EXPECT_TRUE(S_ISLNK(info.st_mode)) << "the link was replaced by a file";
  EXPECT_NE(read_file(target).find("\"leakscan_version\""), std::string::npos);
}

// A target that redirects forever is left after 5 redirects; a password in the URL shows
// nowhere.
TEST(HostileInput, RedirectLoopsStopAndPasswordsStayHidden) {
  testing::ScriptedHttpServer server({{testing::ScriptedHttpServer::Reply::kRedirect, ""}});
  std::string url =
      fmt::format("http://user:s3cret@127.0.0.1:{}/debug/pprof/goroutine?debug=2", server.port());
  auto run = run_measured({cli_path(), url}, std::chrono::seconds(60));
  expect_one_line_error(run, fmt::format("http://127.0.0.1:{}/", server.port()));
  EXPECT_NE(run.err.find("more than 5 redirects"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("s3cret"), std::string::npos) << run.err;
  EXPECT_LE(server.served().size(), 6u);
  EXPECT_EQ(without_userinfo("https://a:b@host:1/p?q=x@y"), "https://host:1/p?q=x@y");
  EXPECT_EQ(without_userinfo("http://host/p@x"), "http://host/p@x");
}

// A target that accepts and never answers holds `leakscan URL` for --timeout, not 2 minutes.
TEST(HostileInput, UrlFetchGivesUpAfterTimeout) {
  testing::ScriptedHttpServer server({{testing::ScriptedHttpServer::Reply::kHang, ""}});
  // Killed after 30 s (exit -1) if the 2-minute default still applied.
  auto run = run_measured({cli_path(), server.url(), "--timeout", "1s"}, std::chrono::seconds(30));
  expect_one_line_error(run, server.url());
  EXPECT_NE(run.err.find("fetch failed"), std::string::npos) << run.err;
  auto bad = run_measured({cli_path(), server.url(), "--timeout", "soon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("leakscan: --timeout soon: expected a duration"), std::string::npos)
      << bad.err;
}

}  // namespace
}  // namespace leakscan
