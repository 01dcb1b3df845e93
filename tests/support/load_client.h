// What the service tests share: load on a service through one reused connection, and the
// JSON report read back into its message.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

#include "proto/leakscan_report.pb.h"

namespace leakscan::testing {

// One libcurl handle for the load: it reuses its connection, as a real client does.
class LoadClient {
 public:
  LoadClient();
  // GET, bounded; the HTTP status, or -1 without a response.
  long get(const std::string& url);

 private:
  std::unique_ptr<CURL, void (*)(CURL*)> curl_;
};

// Loading a JSON report checks it against the schema: unknown fields are errors (a failure of
// the calling test, with the start of the text).
report::Report parse_report(const std::string& json);

}  // namespace leakscan::testing
