#include "samples/cpp/loopback_http_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <system_error>

namespace order_service {
namespace {

constexpr size_t kMaxRequestHead = size_t{16} * 1024;

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

// "GET /path?query HTTP/1.1" -> the request; nothing for anything else.
std::optional<HttpRequest> parse_request_line(std::string_view head) {
  if (!head.starts_with("GET ")) return std::nullopt;
  head.remove_prefix(4);
  std::string_view target = head.substr(0, head.find(' '));
  if (!target.starts_with('/')) return std::nullopt;
  size_t question = target.find('?');
  HttpRequest request{.path = std::string(target.substr(0, question))};
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  return request;
}

void send_all(int connection, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t sent = ::send(connection, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return;  // the client went away: nobody to tell
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
}

}  // namespace

LoopbackHttpServer::LoopbackHttpServer(Handler handler, uint16_t port, size_t acceptors)
    : handler_(std::move(handler)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  int reuse = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 128) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    int error = errno;
    ::close(listener_);
    throw std::system_error(error, std::generic_category(), "bind 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  for (size_t i = 0; i < acceptors; ++i) acceptors_.emplace_back([this] { accept_loop(); });
}

LoopbackHttpServer::~LoopbackHttpServer() {
  // Wakes every thread blocked in accept(); they see the error and return.
  ::shutdown(listener_, SHUT_RDWR);
  acceptors_.clear();
  ::close(listener_);
}

void LoopbackHttpServer::accept_loop() {
  for (;;) {
    int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    serve(connection);
    ::close(connection);
  }
}

void LoopbackHttpServer::serve(int connection) const {
  // A client that sends nothing does not hold an acceptor for long.
  timeval timeout{.tv_sec = 5, .tv_usec = 0};
  ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < kMaxRequestHead) {
    ssize_t received = ::recv(connection, buffer, sizeof buffer, 0);
    if (received <= 0) return;
    head.append(buffer, static_cast<size_t>(received));
  }
  std::optional<HttpRequest> request = parse_request_line(head);
  HttpResponse response = request ? handler_(*request) : HttpResponse{404, "bad request\n"};
  send_all(connection, fmt::format("HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\n"
                                   "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
                                   response.status, reason_phrase(response.status),
                                   response.body.size(), response.body));
}

}  // namespace order_service
