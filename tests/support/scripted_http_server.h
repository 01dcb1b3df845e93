// A tiny HTTP server on 127.0.0.1 that answers each request with the next reply of a script
// (the last one repeated): a body, or silence for a target that hangs. Requests for Go's
// goroutineleak profile get 404, as from a Go before 1.26, outside the script. Stops and joins when
// destroyed; every wait in it is bounded.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace leakscan::testing {

class ScriptedHttpServer {
 public:
  enum class Reply : uint8_t {
    kBody,      // 200 with the body
    kHang,      // reads the request and never answers (the connection is held until the end)
    kRedirect,  // 302 to the same URL again: a redirect loop
  };
  struct Response {
    Reply reply = Reply::kBody;
    std::string body;
  };

  explicit ScriptedHttpServer(std::vector<Response> script);
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;
  ~ScriptedHttpServer();

  uint16_t port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:PORT/debug/pprof/goroutine?debug=2
  // Per request so far, which reply it got (index into the script).
  std::vector<size_t> served() const;

 private:
  void serve(const std::stop_token& stop);

  std::vector<Response> script_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<size_t> requests_{0};
  std::vector<int> held_;  // connections of hanging replies, closed at the end
  std::jthread thread_;
};

}  // namespace leakscan::testing
