#include "tests/support/load_client.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

namespace leakscan::testing {

LoadClient::LoadClient() : curl_(curl_easy_init(), &curl_easy_cleanup) {}

long LoadClient::get(const std::string& url) {
  if (!curl_) return -1;
  auto discard = +[](char*, size_t size, size_t count, void*) -> size_t { return size * count; };
  curl_easy_setopt(curl_.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_.get(), CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl_.get(), CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl_.get(), CURLOPT_NOPROXY, "*");
  if (curl_easy_perform(curl_.get()) != CURLE_OK) return -1;
  long code = 0;
  curl_easy_getinfo(curl_.get(), CURLINFO_RESPONSE_CODE, &code);
  return code;
}

report::Report parse_report(const std::string& json) {
  report::Report report;
  auto status = google::protobuf::util::JsonStringToMessage(json, &report);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json.substr(0, 2000);
  return report;
}

}  // namespace leakscan::testing
