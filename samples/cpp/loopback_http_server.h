// The sample's HTTP front: the smallest server a test can drive. It listens on 127.0.0.1 only,
// reads one GET per connection, answers it and closes the connection; a few OS threads accept
// in parallel so that one long-poll does not hold up every other request.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace order_service {

struct HttpRequest {
  std::string path;   // "/api/orders"
  std::string query;  // "id=7", without the '?'
};

struct HttpResponse {
  int status = 200;
  std::string body;
};

class LoopbackHttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Listens on 127.0.0.1:`port` (0: any free port) with `acceptors` accepting threads; throws
  // std::system_error when the socket cannot be set up.
  LoopbackHttpServer(Handler handler, uint16_t port, size_t acceptors);
  ~LoopbackHttpServer();  // stops accepting, waits for requests in progress
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  uint16_t port() const { return port_; }

 private:
  void accept_loop();
  void serve(int connection) const;

  Handler handler_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::vector<std::jthread> acceptors_;
};

}  // namespace order_service
