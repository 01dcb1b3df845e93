#include "analyzer/engine/http_fetch.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace leakscan {
namespace {

// The few libcurl entry points leakscan uses, resolved from libcurl.so.4 at first use.
struct Curl {
  decltype(&curl_easy_init) init = nullptr;
  decltype(&curl_easy_setopt) setopt = nullptr;
  decltype(&curl_easy_perform) perform = nullptr;
  decltype(&curl_easy_getinfo) getinfo = nullptr;
  decltype(&curl_easy_cleanup) cleanup = nullptr;
  decltype(&curl_easy_strerror) strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
  std::string error;
};

const Curl& curl_library() {
  static const Curl curl = [] {
    Curl loaded;
    void* handle = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      loaded.error = fmt::format("cannot load libcurl ({}); install libcurl4", ::dlerror());
      return loaded;
    }
    auto resolve = [&](auto& function, const char* name) {
      function =
          reinterpret_cast<std::remove_reference_t<decltype(function)>>(::dlsym(handle, name));
      if (function == nullptr && loaded.error.empty()) {
        loaded.error = fmt::format("libcurl has no {}", name);
      }
    };
    resolve(loaded.init, "curl_easy_init");
    resolve(loaded.setopt, "curl_easy_setopt");
    resolve(loaded.perform, "curl_easy_perform");
    resolve(loaded.getinfo, "curl_easy_getinfo");
    resolve(loaded.cleanup, "curl_easy_cleanup");
    resolve(loaded.strerror, "curl_easy_strerror");
    resolve(loaded.slist_append, "curl_slist_append");
    resolve(loaded.slist_free_all, "curl_slist_free_all");
    return loaded;
  }();
  return curl;
}

struct Sink {
  std::string body;
  uint64_t limit;
  bool over_limit = false;
};

size_t append(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  if (sink->body.size() + size * count > sink->limit) {
    sink->over_limit = true;
    return 0;  // curl stops with an error
  }
  // Doubling, but never past the limit: a body at the cap costs the cap, not twice it.
  if (size_t needed = sink->body.size() + size * count; needed > sink->body.capacity()) {
    sink->body.reserve(
        std::min<uint64_t>(std::max(needed, sink->body.capacity() * 2), sink->limit));
  }
  sink->body.append(data, size * count);
  return size * count;
}

}  // namespace

std::string without_userinfo(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t host = scheme + 3;
  size_t end = url.find_first_of("/?#", host);
  std::string_view authority =
      url.substr(host, end == std::string_view::npos ? url.npos : end - host);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, host)) + std::string(url.substr(host + at + 1));
}

Result<std::string> http_get(const std::string& url, uint64_t max_bytes,
                             const HttpOptions& options) {
  const std::chrono::milliseconds timeout = options.timeout;
  const Curl& curl = curl_library();
  const std::string name = without_userinfo(url);
  if (!curl.error.empty()) return Error{fmt::format("{}: {}", name, curl.error)};
  std::unique_ptr<CURL, void (*)(CURL*)> handle(curl.init(), curl.cleanup);
  if (!handle) return Error{fmt::format("{}: cannot start an HTTP client", name)};
  Sink sink{{}, max_bytes};
  curl.setopt(handle.get(), CURLOPT_URL, url.c_str());
  curl.setopt(handle.get(), CURLOPT_WRITEFUNCTION, &append);
  curl.setopt(handle.get(), CURLOPT_WRITEDATA, &sink);
  curl.setopt(handle.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl.setopt(handle.get(), CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  // Timeouts by signal (SIGALRM) would reach the caller's other threads; watch polls from several.
  curl.setopt(handle.get(), CURLOPT_NOSIGNAL, 1L);
  curl.setopt(handle.get(), CURLOPT_FOLLOWLOCATION, 1L);
  // As a careful client: a few redirects, and never to a file:, gopher: or other scheme.
  curl.setopt(handle.get(), CURLOPT_MAXREDIRS, 5L);
  curl.setopt(handle.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl.setopt(handle.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl.setopt(handle.get(), CURLOPT_ACCEPT_ENCODING, "");
  curl_slist* list = nullptr;
  for (const auto& header : options.headers) {
    curl_slist* appended = curl.slist_append(list, header.c_str());
    if (appended == nullptr) {
      curl.slist_free_all(list);
      return Error{fmt::format("{}: cannot add a header", name)};
    }
    list = appended;
  }
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(list, curl.slist_free_all);
  if (headers) curl.setopt(handle.get(), CURLOPT_HTTPHEADER, headers.get());
  CURLcode rc = curl.perform(handle.get());
  if (rc == CURLE_WRITE_ERROR && sink.over_limit) {
    return Error{fmt::format("{}: response larger than {} bytes, the size limit", name, max_bytes),
                 ErrorKind::kTooLarge};
  }
  if (rc == CURLE_TOO_MANY_REDIRECTS) {
    return Error{fmt::format("{}: more than 5 redirects; expected the profile", name)};
  }
  if (rc != CURLE_OK) return Error{fmt::format("{}: fetch failed: {}", name, curl.strerror(rc))};
  long status = 0;
  curl.getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return Error{fmt::format("{}: HTTP status {}", name, status),
                 status == 404 ? ErrorKind::kNotServed : ErrorKind::kInvalidInput};
  }
  return std::move(sink.body);
}

}  // namespace leakscan
