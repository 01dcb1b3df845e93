// Inputs are read as streams so that a 20 MB dump or a gzip bomb never has to fit in memory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "analyzer/model/result.h"

namespace leakscan {

struct ReadLimits {
  // Cap on the bytes a reader will take from one input after decompression.
  uint64_t max_input_bytes = 2ULL << 30;
  // Cap on the memory a reader builds from one input; 0: 6 times the input plus 64 MiB
  // (MemoryBudget).
  uint64_t max_memory_bytes = 0;
  // Longer lines are skipped with a warning rather than buffered.
  size_t max_line_bytes = 1 << 20;
  // Each repeat of a goroutine id in a text dump starts a new dump: a few MB of one goroutine
  // repeated would otherwise become hundreds of thousands of snapshots.
  size_t max_dumps = 4096;
  // Text dumps in memory at least this large are read by two threads (below, a second
  // thread costs more than it saves).
  size_t parallel_min_bytes = 4 << 20;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills up to buffer.size() bytes; 0 means end of input.
  virtual Result<size_t> read(std::span<char> buffer) = 0;
  // Bytes delivered so far, for error messages.
  virtual uint64_t offset() const = 0;
  // Total size when known in advance (a file, memory), to size tables once.
  virtual std::optional<uint64_t> size_hint() const { return std::nullopt; }
};

// `path` "-" is standard input. Directories and other non-files are refused by name.
Result<std::unique_ptr<ByteSource>> open_file_source(const std::string& path);
std::unique_ptr<ByteSource> memory_source(std::string_view bytes);
// Inflates gzip (also concatenated members), stopping with an error past `max_output`.
std::unique_ptr<ByteSource> gzip_source(std::unique_ptr<ByteSource> compressed, std::string name,
                                        uint64_t max_output);
// Serves `head` first, then the rest of `rest`: lets a reader sniff without losing bytes.
std::unique_ptr<ByteSource> prefixed_source(std::string head, std::unique_ptr<ByteSource> rest);

// Reads until `want` bytes or end of input.
Result<std::string> read_up_to(ByteSource& source, size_t want);
// Reads to the end, failing past `limit` bytes with a message naming `name`.
Result<std::string> read_all(ByteSource& source, const std::string& name, uint64_t limit);

}  // namespace leakscan
