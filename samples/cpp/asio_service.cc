// asio_service: a line protocol on 127.0.0.1 served by Boost.Asio C++20 coroutines (awaitable,
// co_spawn), unchanged but for including leakscan/agent/asio.h, with one seeded coroutine
// leak and benign look-alikes. The ground truth of tests/agent_asio_test.cc.
//
// It prints the agent's endpoint and its own, then serves:
//
//   AGENT 127.0.0.1:PORT
//   LISTENING 127.0.0.1:PORT
//
// "watch ORDER\n" co_spawns a watcher that waits for the order's shipment on a timer used as
// an event; the bug: nothing ever signals (cancels) it, so every watch leaks one coroutine,
// blocked in `until_signalled` awaited by `watch_shipment`, created in `handle_line`. "ping\n"
// answers from a co_spawn'ed coroutine that completes. The accept loop and each open session wait
// on the network: benign.
#include <leakscan/agent/asio.h>  // before any coroutine is defined

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "leakscan/agent/agent.h"

namespace asio_service {

namespace net = boost::asio;
using net::awaitable;
using net::use_awaitable;
using net::ip::tcp;

// A timer used as an event: it "fires" when cancelled.
awaitable<void> until_signalled(net::steady_timer& event) {
  boost::system::error_code ignored;
  co_await event.async_wait(net::redirect_error(use_awaitable, ignored));
}

// The seeded leak: the timer stands for "the order shipped" and is never cancelled.
awaitable<void> watch_shipment(std::shared_ptr<net::steady_timer> shipped) {
  co_await until_signalled(*shipped);
}

awaitable<std::string> answer_ping() { co_return "pong\n"; }

awaitable<void> reply(std::shared_ptr<tcp::socket> socket, std::string text) {
  co_await net::async_write(*socket, net::buffer(text), use_awaitable);
}

awaitable<void> ping(std::shared_ptr<tcp::socket> socket) {
  std::string text = co_await answer_ping();
  co_await reply(std::move(socket), std::move(text));
}

void handle_line(const std::shared_ptr<tcp::socket>& socket, std::string_view line,
                 const net::any_io_executor& executor) {
  if (line.starts_with("watch ")) {
    auto shipped = std::make_shared<net::steady_timer>(executor);
    shipped->expires_at(net::steady_timer::time_point::max());
    co_spawn(executor, watch_shipment(shipped), net::detached);
    co_spawn(executor, reply(socket, "watching\n"), net::detached);
  } else {
    co_spawn(executor, ping(socket), net::detached);
  }
}

awaitable<void> session(std::shared_ptr<tcp::socket> socket) {
  auto executor = co_await net::this_coro::executor;
  std::string buffer;
  for (;;) {
    boost::system::error_code error;
    size_t length = co_await net::async_read_until(*socket, net::dynamic_buffer(buffer), '\n',
                                                   net::redirect_error(use_awaitable, error));
    if (error) co_return;
    handle_line(socket, std::string_view(buffer).substr(0, length - 1), executor);
    buffer.erase(0, length);
  }
}

awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    auto socket = std::make_shared<tcp::socket>(co_await acceptor.async_accept(use_awaitable));
    co_spawn(acceptor.get_executor(), session(std::move(socket)), net::detached);
  }
}

}  // namespace asio_service

int main() {
  try {
    auto agent = leakscan::agent::Agent::start({.http_port = 0});
    if (!agent) {
      std::fprintf(stderr, "asio_service: %s\n", agent.error().message.c_str());
      return 1;
    }
    boost::asio::io_context context;
    boost::asio::ip::tcp::acceptor acceptor(context,
                                            {boost::asio::ip::make_address("127.0.0.1"), 0});
    co_spawn(context, asio_service::accept_loop(acceptor), boost::asio::detached);
    std::printf("AGENT 127.0.0.1:%d\nLISTENING 127.0.0.1:%d\n", (*agent)->http_port(),
                static_cast<int>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    context.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asio_service: %s\n", e.what());
    return 1;
  }
}
