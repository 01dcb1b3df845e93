// A small HTTP/1.1 server for /debug/pprof/goroutine, on its own thread. One request per
// connection, handled in turn, with read and write deadlines: a slow or vanished client delays
// the next request by at most a deadline and never touches the service's own threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "analyzer/model/result.h"

namespace leakscan::agent {

struct HttpEndpointOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  bool allow_non_loopback = false;
  std::string bearer_token;
  std::chrono::milliseconds stack_timeout{1000};
};

class HttpEndpoint {
 public:
  static Result<std::unique_ptr<HttpEndpoint>> start(const HttpEndpointOptions& options);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  uint16_t port() const { return port_; }

 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  // For start() only: Key is private.
  HttpEndpoint(Key key, int listener, int stop_event, uint16_t port, HttpEndpointOptions options);

 private:
  void serve();
  void handle(int connection);

  int listener_;
  int stop_event_;
  uint16_t port_;
  HttpEndpointOptions options_;
  std::thread thread_;
};

// True for 127.0.0.0/8 and ::1.
bool is_loopback_address(const std::string& address);

}  // namespace leakscan::agent
