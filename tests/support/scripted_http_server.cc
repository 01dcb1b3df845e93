#include "tests/support/scripted_http_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace leakscan::testing {
namespace {

constexpr int kPollMs = 50;           // how often the server looks at its stop flag
constexpr int kRequestReadMs = 2000;  // for a client to send its request head

// Reads until the end of the request head, or gives up after kRequestReadMs.
std::string read_request_head(int fd) {
  std::string head;
  for (int waited = 0; waited < kRequestReadMs && head.find("\r\n\r\n") == std::string::npos;
       waited += kPollMs) {
    pollfd readable{fd, POLLIN, 0};
    if (::poll(&readable, 1, kPollMs) <= 0) continue;
    char buffer[4096];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return head;
    head.append(buffer, static_cast<size_t>(n));
  }
  return head;
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

ScriptedHttpServer::ScriptedHttpServer(std::vector<Response> script) : script_(std::move(script)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listen_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return;  // port() stays 0; the test asserts on it
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::jthread([this](const std::stop_token& stop) { serve(stop); });
}

ScriptedHttpServer::~ScriptedHttpServer() {
  thread_ = {};  // requests stop and joins
  for (int fd : held_) ::close(fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string ScriptedHttpServer::url() const {
  return fmt::format("http://127.0.0.1:{}/debug/pprof/goroutine?debug=2", port_);
}

std::vector<size_t> ScriptedHttpServer::served() const {
  std::vector<size_t> out;
  size_t count = requests_;
  for (size_t i = 0; i < count; ++i) out.push_back(std::min(i, script_.size() - 1));
  return out;
}

void ScriptedHttpServer::serve(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    pollfd acceptable{listen_fd_, POLLIN, 0};
    if (::poll(&acceptable, 1, kPollMs) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // A target of Go before 1.26 has no leak profile: net/http/pprof answers 404, and the
    // script is for the goroutine profile alone.
    std::string head = read_request_head(fd);
    if (head.starts_with("GET /debug/pprof/goroutineleak")) {
      constexpr std::string_view kUnknown = "Unknown profile\n";
      send_all(fd, fmt::format("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                               "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
                               kUnknown.size(), kUnknown));
      ::close(fd);
      continue;
    }
    const Response& response = script_[std::min<size_t>(requests_++, script_.size() - 1)];
    if (response.reply == Reply::kHang) {
      held_.push_back(fd);
      continue;
    }
    if (response.reply == Reply::kRedirect) {
      std::string_view target = std::string_view(head).substr(4);
      target = target.substr(0, target.find(' '));
      send_all(fd, fmt::format("HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n",
                               target));
      ::close(fd);
      continue;
    }
    send_all(fd, fmt::format("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                             "{}\r\nConnection: close\r\n\r\n",
                             response.body.size()));
    send_all(fd, response.body);
    ::close(fd);
  }
}

}  // namespace leakscan::testing
