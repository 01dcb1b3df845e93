#include "tests/support/loopback_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace leakscan::testing {

using Clock = std::chrono::steady_clock;

LoopbackConnection::LoopbackConnection(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

LoopbackConnection::~LoopbackConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool LoopbackConnection::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<std::string> LoopbackConnection::read_response(std::chrono::milliseconds timeout) {
  std::string data;
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (size_t end = data.find("\r\n\r\n"); end != std::string::npos) {
      std::string head = data.substr(0, end);
      std::transform(head.begin(), head.end(), head.begin(), ::tolower);
      size_t field = head.find("content-length:");
      if (field == std::string::npos) return std::nullopt;
      size_t length = std::stoul(head.substr(field + 15));
      if (data.size() >= end + 4 + length) return data;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd fd{fd_, POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return std::nullopt;
    data.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace leakscan::testing
