#pragma once

#include <google/protobuf/io/zero_copy_stream.h>
#include <zlib.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "analyzer/model/result.h"

namespace leakscan {

// A gzip file writer whose compression runs on a second thread: the encoder fills a block
// while the previous one is deflated and written, so compressing costs no wall time on a
// machine with two cores. Memory stays bounded: at most kMaxQueued blocks wait.
class ThreadedGzipStream final : public google::protobuf::io::ZeroCopyOutputStream {
 public:
  // Writes to `fd`, which the caller keeps open until close() has returned.
  ThreadedGzipStream(int fd, int level);
  // Appends to `out`, which the caller keeps until close() has returned.
  ThreadedGzipStream(std::string& out, int level);
  ThreadedGzipStream(const ThreadedGzipStream&) = delete;
  ThreadedGzipStream& operator=(const ThreadedGzipStream&) = delete;
  ~ThreadedGzipStream() override;

  bool Next(void** data, int* size) override;
  void BackUp(int count) override;
  int64_t ByteCount() const override { return byte_count_; }

  // Flushes, finishes the gzip trailer and stops the thread; the first error, if any.
  Status close();

 private:
  static constexpr size_t kBlockSize = size_t{256} * 1024;
  static constexpr size_t kMaxQueued = 4;

  void submit_current();
  void compress_loop();
  void compress_blocks(z_stream& stream);
  // Hands compressed bytes to the file or the string; false (and error_ set) if a write failed.
  bool emit(const char* data, size_t size);

  int fd_ = -1;
  std::string* out_ = nullptr;
  int level_;
  std::vector<char> current_;
  size_t current_used_ = 0;
  int64_t byte_count_ = 0;
  bool closed_ = false;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<char>> queue_;
  std::vector<std::vector<char>> spare_;
  bool finishing_ = false;
  std::string error_;
  std::thread worker_;
};

}  // namespace leakscan
