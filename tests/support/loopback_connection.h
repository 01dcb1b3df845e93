// A TCP connection to 127.0.0.1 a test holds open (a long-poll in flight, a keep-alive idle);
// every wait bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace leakscan::testing {

class LoopbackConnection {
 public:
  explicit LoopbackConnection(uint16_t port);
  LoopbackConnection(const LoopbackConnection&) = delete;
  LoopbackConnection& operator=(const LoopbackConnection&) = delete;
  ~LoopbackConnection();

  bool connected() const { return fd_ >= 0; }
  bool send_all(std::string_view bytes);
  // One HTTP/1.1 response with a Content-Length body, whole; nothing on timeout or close.
  std::optional<std::string> read_response(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

}  // namespace leakscan::testing
