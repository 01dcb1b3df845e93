#include "analyzer/readers/read_snapshots.h"

#include <fmt/format.h>

#include <optional>

#include "analyzer/readers/file_image.h"
#include "analyzer/readers/go_debug1_reader.h"
#include "analyzer/readers/go_exec_trace.h"
#include "analyzer/readers/go_test_output.h"
#include "analyzer/readers/go_traceback_reader.h"
#include "analyzer/readers/line_reader.h"
#include "analyzer/readers/log_prefix.h"
#include "analyzer/readers/pprof_reader.h"
#include "analyzer/readers/utf16_text.h"

namespace leakscan {
namespace {

constexpr size_t kSniffBytes = size_t{64} * 1024;
constexpr std::string_view kExpected =
    "expected a pprof goroutine profile (gzip or raw protobuf), 'goroutine profile: total N' "
    "(debug=1) or 'goroutine N [status]:' dumps (debug=2, panic, SIGQUIT)";

bool is_gzip(std::string_view head) {
  return head.size() >= 2 && static_cast<uint8_t>(head[0]) == 0x1f &&
         static_cast<uint8_t>(head[1]) == 0x8b;
}

// Text has no NUL and few control bytes; a protobuf's tags and lengths are full of them.
bool looks_like_text(std::string_view head) {
  std::string_view sample = head.substr(0, 4096);
  size_t control = 0;
  for (char c : sample) {
    auto byte = static_cast<uint8_t>(c);
    if (byte == 0) return false;
    if (byte < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b) ++control;
  }
  return control * 20 < sample.size();
}

// debug=1 text: of all goroutines, or of the leaked ones (Go 1.26's goroutineleak profile).
bool is_debug1(std::string_view start) {
  return start.starts_with("goroutine profile: total ") ||
         start.starts_with("goroutineleak profile: total ");
}

std::string_view skip_bom_and_blank(std::string_view head) {
  if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);
  while (!head.empty() && (head.front() == '\n' || head.front() == '\r' || head.front() == ' ')) {
    head.remove_prefix(1);
  }
  return head;
}

// A timed-out `go test` names its running tests before the dump: they label their goroutines.
Result<std::vector<Snapshot>> with_test_labels(Result<std::vector<Snapshot>> read,
                                               const std::vector<std::string>& tests) {
  if (read && !tests.empty()) {
    for (Snapshot& snapshot : *read) label_test_goroutines(tests, snapshot);
  }
  return read;
}

// A dump read out of a log, each line behind the log's prefix: read without the prefixes, and
// said so.
Result<std::vector<Snapshot>> read_prefixed_log(LogPrefixKind kind, std::string_view bytes,
                                                const std::string& name, const ReadLimits& limits) {
  StrippedLog log = strip_log_prefix(kind, bytes);
  std::string_view text = log.text;
  auto read = looks_like_goleak(text.substr(0, kSniffBytes))
                  ? read_goleak(text, name, limits)
                  : with_test_labels(read_go_traceback(text, name, limits, /*image=*/false),
                                     running_tests(text.substr(0, kSniffBytes)));
  if (read && !read->empty()) {
    auto& warnings = read->front().warnings;
    warnings.insert(warnings.begin(),
                    fmt::format("{}: read as a log: the {} prefix taken off {} lines", name,
                                to_string(kind), log.lines));
  }
  return read;
}

// A debug=2-family dump whose bytes are all in memory is parsed where it lies; other inputs
// (gzip, protobuf, debug=1) take the streaming path.
bool reads_in_place(std::string_view head) {
  head = head.substr(0, kSniffBytes);
  return !head.empty() && !is_gzip(head) && looks_like_text(head) &&
         !is_debug1(skip_bom_and_blank(head));
}

Error too_large(const std::string& name, const ReadLimits& limits) {
  return Error{
      fmt::format("{}: input exceeds {} bytes, the size limit", name, limits.max_input_bytes),
      ErrorKind::kTooLarge};
}

// `image`: the bytes are a FileImage, whose pages can be handed back as they are read.
Result<std::vector<Snapshot>> read_traceback_in_place(std::string_view bytes,
                                                      const std::string& name,
                                                      const ReadLimits& limits, bool image) {
  if (bytes.size() > limits.max_input_bytes) return too_large(name, limits);
  std::string_view head = bytes.substr(0, kSniffBytes);
  if (auto prefix = detect_log_prefix(head)) return read_prefixed_log(*prefix, bytes, name, limits);
  if (looks_like_goleak(head)) return read_goleak(bytes, name, limits);
  // Before the read: it hands back the pages it has passed.
  auto tests = running_tests(head);
  return with_test_labels(read_go_traceback(bytes, name, limits, image), tests);
}

}  // namespace

Result<std::vector<Snapshot>> read_snapshots(std::unique_ptr<ByteSource> source,
                                             const std::string& name, const ReadLimits& limits) {
  auto magic = read_up_to(*source, 2);
  if (!magic) return magic.error();
  if (magic->empty()) return Error{fmt::format("{}: empty input; {}", name, kExpected)};
  bool gzip = is_gzip(*magic);
  source = prefixed_source(std::move(*magic), std::move(source));
  if (gzip) source = gzip_source(std::move(source), name, limits.max_input_bytes);

  auto head = read_up_to(*source, kSniffBytes);
  if (!head) return head.error();
  if (head->empty()) {
    return Error{fmt::format("{}: empty after decompression; {}", name, kExpected)};
  }
  if (auto order = detect_utf16(*head)) {
    source = prefixed_source(std::move(*head), std::move(source));
    auto bytes = read_all(*source, name, limits.max_input_bytes);
    if (!bytes) return bytes.error();
    std::string text = utf16_to_utf8(*bytes, *order);
    bytes->clear();
    bytes->shrink_to_fit();
    auto read = read_snapshots_from_memory(text, name, limits);
    if (read && !read->empty()) {
      auto& warnings = read->front().warnings;
      warnings.insert(warnings.begin(),
                      fmt::format("{}: read as UTF-16 text (as Windows PowerShell saves it), "
                                  "converted to UTF-8",
                                  name));
    }
    return read;
  }
  if (auto minor = go_exec_trace_minor(*head)) {
    // The engine reads these from files and URLs (engine/go_trace_input.h) before a reader
    // sees them; a reader runs no helper.
    return Error{
        fmt::format("{}: a Go 1.{} execution trace: leakscan reads traces given as a "
                    "file or a URL (through leakscan-gotrace), not from here",
                    name, *minor)};
  }
  std::string_view start = skip_bom_and_blank(*head);
  bool text = looks_like_text(*head);
  if (!text) {
    if (!looks_like_pprof(*head)) {
      return Error{
          fmt::format("{}: byte 0: binary data that is not a protobuf; {}", name, kExpected)};
    }
    source = prefixed_source(std::move(*head), std::move(source));
    auto bytes = read_all(*source, name, limits.max_input_bytes);
    if (!bytes) return bytes.error();
    auto snapshot = read_pprof(*bytes, name, limits);
    if (!snapshot) return snapshot.error();
    std::vector<Snapshot> snapshots;
    snapshots.push_back(std::move(*snapshot));
    return snapshots;
  }

  bool debug1 = is_debug1(start);
  if (auto prefix = detect_log_prefix(*head); prefix && !debug1) {
    source = prefixed_source(std::move(*head), std::move(source));
    auto bytes = read_all(*source, name, limits.max_input_bytes);
    if (!bytes) return bytes.error();
    return read_prefixed_log(*prefix, *bytes, name, limits);
  }
  bool goleak = !debug1 && looks_like_goleak(*head);
  auto tests = running_tests(*head);
  source = prefixed_source(std::move(*head), std::move(source));
  if (goleak) {
    auto bytes = read_all(*source, name, limits.max_input_bytes);
    if (!bytes) return bytes.error();
    return read_goleak(*bytes, name, limits);
  }
  LineReader lines(*source, name, limits);
  if (debug1) {
    auto snapshot = read_go_debug1(lines);
    if (!snapshot) return snapshot.error();
    std::vector<Snapshot> snapshots;
    snapshots.push_back(std::move(*snapshot));
    return snapshots;
  }
  return with_test_labels(read_go_traceback(lines), tests);
}

Result<std::vector<Snapshot>> read_snapshots(const std::string& path, const ReadLimits& limits) {
  auto source = open_file_source(path);
  if (!source) return source.error();
  std::optional<uint64_t> size = (*source)->size_hint();
  if (path == "-") return read_snapshots(std::move(*source), "<stdin>", limits);
  if (!size) return read_snapshots(std::move(*source), path, limits);
  // A plain-text dump is read whole and parsed in place: two threads when large.
  auto head = read_up_to(**source, kSniffBytes);
  if (!head) return head.error();
  if (!reads_in_place(*head)) {
    return read_snapshots(prefixed_source(std::move(*head), std::move(*source)), path, limits);
  }
  if (*size > limits.max_input_bytes) return too_large(path, limits);
  auto image = FileImage::read(**source, *head, *size, path);
  if (!image) return image.error();
  return read_traceback_in_place(image->bytes(), path, limits, /*image=*/true);
}

Result<std::vector<Snapshot>> read_snapshots_from_memory(std::string_view bytes,
                                                         const std::string& name,
                                                         const ReadLimits& limits) {
  if (reads_in_place(bytes)) return read_traceback_in_place(bytes, name, limits, /*image=*/false);
  return read_snapshots(memory_source(bytes), name, limits);
}

}  // namespace leakscan
