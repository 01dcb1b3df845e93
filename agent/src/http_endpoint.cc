#include "agent/src/http_endpoint.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "agent/src/profiles.h"

namespace leakscan::agent {
namespace {

constexpr size_t kMaxRequestBytes = size_t{16} * 1024;
constexpr int kDeadlineSeconds = 5;

struct Response {
  int status = 200;
  std::string_view reason = "OK";
  std::string content_type = "text/plain; charset=utf-8";
  std::string extra_headers;
  std::string body;
};

Response plain(int status, std::string_view reason, std::string body) {
  return Response{status, reason, "text/plain; charset=utf-8", "", std::move(body)};
}

// The value of `name` in a query string ("debug=2&x=y"), empty when absent.
std::string_view query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

// Header lookup in a raw request; header names are case-insensitive.
std::string_view header_value(std::string_view request, std::string_view name) {
  size_t pos = request.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < request.size()) {
    size_t start = pos + 2;
    size_t end = request.find("\r\n", start);
    std::string_view line = request.substr(start, end - start);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && colon == name.size() &&
        strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return value;
    }
    pos = end;
  }
  return {};
}

// A Host header that names this machine: "localhost", 127.0.0.0/8 or [::1], with or without a
// port. A browser sends the name it resolved, so a web page whose name now resolves to 127.0.0.1
// (DNS rebinding) is told apart by it.
bool is_loopback_host(std::string_view host) {
  if (host.starts_with('[')) {
    size_t close = host.find(']');
    return close != std::string_view::npos && host.substr(1, close - 1) == "::1" &&
           (close + 1 == host.size() || host[close + 1] == ':');
  }
  host = host.substr(0, host.find(':'));
  if (host.size() == 9 && strncasecmp(host.data(), "localhost", 9) == 0) return true;
  in_addr address{};
  return host.starts_with("127.") && inet_pton(AF_INET, std::string(host).c_str(), &address) == 1;
}

// Compares without leaking, through timing, how much of a guessed token was right.
bool equal_constant_time(std::string_view given, std::string_view token) {
  if (given.size() != token.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < given.size(); ++i) diff |= given[i] ^ token[i];
  return diff == 0;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t sent = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;  // the client went away or the deadline passed
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

Response route(std::string_view request, const HttpEndpointOptions& options) {
  size_t line_end = request.find("\r\n");
  std::string_view line = request.substr(0, line_end);
  size_t first_space = line.find(' ');
  size_t second_space = line.find(' ', first_space + 1);
  if (first_space == std::string_view::npos || second_space == std::string_view::npos) {
    return plain(400, "Bad Request", "malformed request line\n");
  }
  std::string_view method = line.substr(0, first_space);
  std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  if (method != "GET" && method != "HEAD") {
    Response response = plain(405, "Method Not Allowed", "only GET and HEAD\n");
    response.extra_headers = "Allow: GET, HEAD\r\n";
    return response;
  }
  if (options.bearer_token.empty()) {
    // Without a token, only this machine's own names: a page in the operator's browser cannot
    // read the stacks through a name rebound to 127.0.0.1.
    std::string_view host = header_value(request, "Host");
    if (!host.empty() && !is_loopback_host(host)) {
      return plain(403, "Forbidden",
                   "Host is not a loopback name; set a bearer token to serve other names\n");
    }
  } else {
    std::string_view authorization = header_value(request, "Authorization");
    std::string_view prefix = "Bearer ";
    if (!authorization.starts_with(prefix) ||
        !equal_constant_time(authorization.substr(prefix.size()), options.bearer_token)) {
      Response response = plain(401, "Unauthorized", "a bearer token is required\n");
      response.extra_headers = "WWW-Authenticate: Bearer realm=\"leakscan\"\r\n";
      return response;
    }
  }
  size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query = question == std::string_view::npos ? "" : target.substr(question + 1);
  if (path == "/debug/pprof/goroutine") {
    std::string_view debug_text = query_value(query, "debug");
    int debug = 0;
    if (!debug_text.empty()) {
      auto [end, error] =
          std::from_chars(debug_text.data(), debug_text.data() + debug_text.size(), debug);
      if (error != std::errc() || end != debug_text.data() + debug_text.size()) {
        return plain(400, "Bad Request", "debug must be 0, 1 or 2\n");
      }
    }
    if (debug <= 0) {
      Response response{200, "OK", "application/octet-stream",
                        "Content-Disposition: attachment; filename=\"goroutine\"\r\n",
                        goroutine_profile_gzip(options.stack_timeout)};
      return response;
    }
    return plain(200, "OK", goroutine_text(debug >= 2 ? 2 : 1, options.stack_timeout));
  }
  if (path == "/debug/pprof/" || path == "/debug/pprof") {
    return plain(200, "OK",
                 "leakscan agent\n"
                 "/debug/pprof/goroutine          pprof profile, one sample per green thread\n"
                 "/debug/pprof/goroutine?debug=1  Go-style text, aggregated\n"
                 "/debug/pprof/goroutine?debug=2  Go-style text, every green thread\n");
  }
  return plain(404, "Not Found", "not found\n");
}

}  // namespace

bool is_loopback_address(const std::string& address) {
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::start(const HttpEndpointOptions& options) {
  if (!is_loopback_address(options.address) && !options.allow_non_loopback) {
    return Error{
        fmt::format("leakscan agent: refusing to serve stacks on {}: not a loopback address (set "
                    "allow_non_loopback, and a bearer_token, to expose them beyond this machine)",
                    options.address)};
  }
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
      inet_pton(AF_INET, options.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(options.port);
    length = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
             inet_pton(AF_INET6, options.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(options.port);
    length = sizeof(sockaddr_in6);
    family = AF_INET6;
  } else {
    return Error{fmt::format("leakscan agent: '{}' is not an IP address", options.address)};
  }
  int listener = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return Error{fmt::format("leakscan agent: socket: {}", std::strerror(errno))};
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(listener, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      listen(listener, 64) != 0) {
    int error = errno;
    close(listener);
    return Error{fmt::format("leakscan agent: cannot listen on {}:{}: {}", options.address,
                             options.port, std::strerror(error))};
  }
  getsockname(listener, reinterpret_cast<sockaddr*>(&storage), &length);
  uint16_t port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&storage)->sin_port
                                          : reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  int stop_event = eventfd(0, EFD_CLOEXEC);
  if (stop_event < 0) {
    close(listener);
    return Error{fmt::format("leakscan agent: eventfd: {}", std::strerror(errno))};
  }
  return std::make_unique<HttpEndpoint>(Key{}, listener, stop_event, port, options);
}

HttpEndpoint::HttpEndpoint(Key /*key*/, int listener, int stop_event, uint16_t port,
                           HttpEndpointOptions options)
    : listener_(listener), stop_event_(stop_event), port_(port), options_(std::move(options)) {
  thread_ = std::thread([this] { serve(); });
}

HttpEndpoint::~HttpEndpoint() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t written = write(stop_event_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  close(listener_);
  close(stop_event_);
}

void HttpEndpoint::serve() {
  std::array<pollfd, 2> fds{pollfd{listener_, POLLIN, 0}, pollfd{stop_event_, POLLIN, 0}};
  while (true) {
    int ready = poll(fds.data(), fds.size(), -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (fds[1].revents & POLLIN)) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int connection = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;  // the client gave up, or out of descriptors: try again
    // An exception leaving this thread would end the host service; a request the host has no
    // memory for loses its connection.
    try {
      handle(connection);
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): the client sees it closed
    }
    close(connection);
  }
}

void HttpEndpoint::handle(int connection) {
  timeval deadline{kDeadlineSeconds, 0};
  setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof(deadline));
  setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &deadline, sizeof(deadline));
  std::string request;
  std::array<char, 4096> buffer{};
  while (request.find("\r\n\r\n") == std::string::npos) {
    if (request.size() > kMaxRequestBytes) {
      send_all(connection,
               "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n");
      return;
    }
    ssize_t got = recv(connection, buffer.data(), buffer.size(), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return;  // closed, or silent past the deadline
    request.append(buffer.data(), static_cast<size_t>(got));
  }
  Response response = route(request, options_);
  bool head = request.starts_with("HEAD ");
  std::string header = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}X-Content-Type-Options: "
      "nosniff\r\nConnection: close\r\n\r\n",
      response.status, response.reason, response.content_type, response.body.size(),
      response.extra_headers);
  if (send_all(connection, header) && !head) send_all(connection, response.body);
}

}  // namespace leakscan::agent
