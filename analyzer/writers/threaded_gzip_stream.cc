#include "analyzer/writers/threaded_gzip_stream.h"

#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <new>

namespace leakscan {

ThreadedGzipStream::ThreadedGzipStream(int fd, int level)
    : fd_(fd), level_(level), current_(kBlockSize), worker_([this] { compress_loop(); }) {}

ThreadedGzipStream::ThreadedGzipStream(std::string& out, int level)
    : out_(&out), level_(level), current_(kBlockSize), worker_([this] { compress_loop(); }) {}

ThreadedGzipStream::~ThreadedGzipStream() { (void)close(); }

bool ThreadedGzipStream::Next(void** data, int* size) {
  if (closed_) return false;
  if (current_used_ == current_.size()) submit_current();
  *data = current_.data() + current_used_;
  *size = static_cast<int>(current_.size() - current_used_);
  byte_count_ += *size;
  current_used_ = current_.size();
  std::lock_guard lock(mutex_);
  return error_.empty();
}

void ThreadedGzipStream::BackUp(int count) {
  current_used_ -= static_cast<size_t>(count);
  byte_count_ -= count;
}

void ThreadedGzipStream::submit_current() {
  current_.resize(current_used_);
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return queue_.size() < kMaxQueued || !error_.empty(); });
  queue_.push_back(std::move(current_));
  if (!spare_.empty()) {
    current_ = std::move(spare_.back());
    spare_.pop_back();
  } else {
    current_ = std::vector<char>();
  }
  lock.unlock();
  changed_.notify_all();
  current_.resize(kBlockSize);
  current_used_ = 0;
}

Status ThreadedGzipStream::close() {
  if (closed_) {
    std::lock_guard lock(mutex_);
    if (!error_.empty()) return Error{error_};
    return Ok{};
  }
  submit_current();
  closed_ = true;
  {
    std::lock_guard lock(mutex_);
    finishing_ = true;
  }
  changed_.notify_all();
  worker_.join();
  if (!error_.empty()) return Error{error_};
  return Ok{};
}

bool ThreadedGzipStream::emit(const char* data, size_t size) {
  if (out_ != nullptr) {
    out_->append(data, size);
    return true;
  }
  for (size_t written = 0; written < size;) {
    ssize_t n = ::write(fd_, data + written, size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::lock_guard lock(mutex_);
      error_ = fmt::format("write failed: {}", std::strerror(n < 0 ? errno : ENOSPC));
      return false;
    }
    written += static_cast<size_t>(n);
  }
  return true;
}

void ThreadedGzipStream::compress_loop() {
  z_stream stream{};
  // 15 + 16: a gzip header and trailer around the deflate data.
  if (deflateInit2(&stream, level_, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    std::lock_guard lock(mutex_);
    error_ = "cannot start gzip compression";
    changed_.notify_all();
    return;
  }
  try {
    compress_blocks(stream);
  } catch (const std::bad_alloc&) {
    // No exception may leave a thread: the producer hears of it as of a failed write.
    std::lock_guard lock(mutex_);
    error_ = "out of memory while compressing";
    changed_.notify_all();
  }
  deflateEnd(&stream);
}

void ThreadedGzipStream::compress_blocks(z_stream& stream) {
  std::vector<char> out(kBlockSize + 1024);
  bool ok = true;
  for (;;) {
    std::vector<char> block;
    bool last = false;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return !queue_.empty() || finishing_; });
      if (queue_.empty()) {
        last = true;
      } else {
        block = std::move(queue_.front());
        queue_.pop_front();
      }
    }
    changed_.notify_all();
    if (!ok) {
      if (last) break;
      continue;  // drain so the producer never waits on a dead consumer
    }
    stream.next_in = reinterpret_cast<Bytef*>(block.data());
    stream.avail_in = static_cast<uInt>(block.size());
    int flush = last ? Z_FINISH : Z_NO_FLUSH;
    int rc = Z_OK;
    do {
      stream.next_out = reinterpret_cast<Bytef*>(out.data());
      stream.avail_out = static_cast<uInt>(out.size());
      rc = deflate(&stream, flush);
      ok = emit(out.data(), out.size() - stream.avail_out);
    } while (ok && (stream.avail_out == 0 || (last && rc != Z_STREAM_END)));
    if (!last) {
      std::lock_guard lock(mutex_);
      spare_.push_back(std::move(block));
    } else {
      break;
    }
  }
}

}  // namespace leakscan
