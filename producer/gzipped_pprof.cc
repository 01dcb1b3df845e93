#include "producer/gzipped_pprof.h"

#include <google/protobuf/io/gzip_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <system_error>

#include "analyzer/writers/pprof_writer.h"
#include "analyzer/writers/threaded_gzip_stream.h"

namespace leakscan {

namespace {

Result<std::string> encode_on_a_second_thread(std::span<const Snapshot> snapshots) {
  std::string bytes;
  ThreadedGzipStream gzip(bytes, /*level=*/1);  // BestSpeed, as pprof itself writes
  auto encoded = encode_pprof(snapshots, gzip);
  auto closed = gzip.close();
  if (!encoded) return encoded.error();
  if (!closed) return closed.error();
  return bytes;
}

}  // namespace

Result<std::string> encode_gzipped_pprof(std::span<const Snapshot> snapshots, GzipThread thread) {
  if (thread == GzipThread::kSecond) {
    try {
      return encode_on_a_second_thread(snapshots);
    } catch (const std::system_error&) {  // no thread to be had: deflate here
    }
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::GzipOutputStream::Options options;
    options.format = google::protobuf::io::GzipOutputStream::GZIP;
    options.compression_level = 1;  // BestSpeed, as pprof itself writes
    google::protobuf::io::GzipOutputStream gzip(&out, options);
    if (auto encoded = encode_pprof(snapshots, gzip); !encoded) return encoded.error();
    if (!gzip.Close()) return Error{"gzip: cannot compress the profile"};
  }
  return bytes;
}

}  // namespace leakscan
