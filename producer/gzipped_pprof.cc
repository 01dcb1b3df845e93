#include "producer/gzipped_pprof.h"

#include <google/protobuf/io/gzip_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "analyzer/writers/pprof_writer.h"

namespace leakscan {

Result<std::string> encode_gzipped_pprof(std::span<const Snapshot> snapshots) {
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
