// The agent's three exposures: the HTTP endpoint (formats, errors, the bearer token, loopback
// by default, clients that vanish, concurrent clients), the dump on a signal, and periodic
// snapshots with retention. Every profile served is read back with leakscan's own readers.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/fiber/all.hpp>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "analyzer/readers/read_snapshots.h"
#include "leakscan/agent/agent.h"
#include "leakscan/agent/boost_fiber.h"
#include "leakscan/agent/sync.h"
#include "tests/support/process.h"
#include "tests/support/test_support.h"

namespace agent_exposure_test {
using namespace leakscan;  // NOLINT(google-build-using-namespace)

// The dump signal must be blocked in every thread, so before any thread exists: at load time.
const bool kSignalBlocked = [] {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  return pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0;
}();

struct RawResponse {
  int status = 0;
  std::string headers;
  std::string body;
};

// One request over a plain socket, to see status lines and headers as sent.
RawResponse raw_request(uint16_t port, const std::string& request) {
  RawResponse response;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return response;
  }
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string all;
  std::array<char, 65536> buffer{};
  while (true) {
    ssize_t got = recv(fd, buffer.data(), buffer.size(), 0);
    if (got <= 0) break;
    all.append(buffer.data(), static_cast<size_t>(got));
  }
  close(fd);
  size_t end = all.find("\r\n\r\n");
  if (all.starts_with("HTTP/1.1 ") && end != std::string::npos) {
    response.status = std::stoi(all.substr(9, 3));
    response.headers = all.substr(0, end);
    response.body = all.substr(end + 4);
  }
  return response;
}

std::string get(const std::string& path, const std::string& extra = {}) {
  return fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n{}\r\n", path, extra);
}

// A fiber thread with a few fibers parked for good, so profiles have something in them.
class ParkedFibers {
 public:
  ParkedFibers() {
    thread_ = std::thread([this] {
      boost::fibers::use_scheduling_algorithm<
          leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
      std::vector<boost::fibers::fiber> fibers;
      fibers.reserve(kCount);
      for (int i = 0; i < kCount; ++i)
        fibers.emplace_back([this] {
          int value = 0;
          channel_.pop(value);
        });
      // Round robin on one thread: one yield runs each new fiber up to its receive.
      boost::this_fiber::yield();
      started_ = true;
      for (auto& fiber : fibers) fiber.join();
    });
    while (!started_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~ParkedFibers() {
    channel_.close();
    thread_.join();
  }
  static constexpr int kCount = 5;

 private:
  leakscan::fibers::unbuffered_channel<int> channel_;
  std::atomic<bool> started_{false};
  std::thread thread_;
};

size_t parked_count(const std::vector<Snapshot>& snapshots) {
  size_t count = 0;
  for (const auto& snapshot : snapshots) {
    for (const auto& thread : snapshot.threads) {
      // Go's text has the wait reason as the status; the agent's profile has both.
      std::string_view reason = thread.wait_reason.empty() ? thread.status : thread.wait_reason;
      // Unwound: its own frames, not the one that says its stack is unknown.
      if (reason == "chan receive" && !thread.stack.empty() &&
          !snapshot.frame(thread.stack.front())
               .function.starts_with("leakscan::agent::unknown_stack::")) {
        ++count;
      }
    }
    for (const auto& sample : snapshot.samples) count += static_cast<size_t>(sample.count);
  }
  return count;
}

class AgentEndpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = agent::Agent::start({.http_port = 0, .bearer_token = token_});
    ASSERT_TRUE(started) << started.error().message;
    agent_ = std::move(*started);
    ASSERT_NE(agent_->http_port(), 0);
  }
  std::string authorization() const { return fmt::format("Authorization: Bearer {}\r\n", token_); }

  std::string token_ = "s3cret-token";
  ParkedFibers fibers_;
  std::unique_ptr<agent::Agent> agent_;
};

TEST_F(AgentEndpoint, ServesAGzipProfileTheReadersRead) {
  RawResponse response =
      raw_request(agent_->http_port(), get("/debug/pprof/goroutine", authorization()));
  ASSERT_EQ(response.status, 200);
  EXPECT_NE(response.headers.find("Content-Type: application/octet-stream"), std::string::npos);
  ASSERT_GE(response.body.size(), 2U);
  EXPECT_EQ(static_cast<unsigned char>(response.body[0]), 0x1f);  // gzip
  auto snapshots = read_snapshots_from_memory(response.body, "endpoint");
  ASSERT_TRUE(snapshots) << snapshots.error().message;
  EXPECT_EQ((*snapshots)[0].format, SourceFormat::kPprofProto);
  EXPECT_EQ(parked_count(*snapshots), static_cast<size_t>(ParkedFibers::kCount));
}

TEST_F(AgentEndpoint, ServesGoStyleTextInBothForms) {
  for (int debug : {1, 2}) {
    RawResponse response =
        raw_request(agent_->http_port(),
                    get(fmt::format("/debug/pprof/goroutine?debug={}", debug), authorization()));
    ASSERT_EQ(response.status, 200) << debug;
    auto snapshots = read_snapshots_from_memory(response.body, "endpoint");
    ASSERT_TRUE(snapshots) << snapshots.error().message << "\n" << response.body;
    EXPECT_EQ((*snapshots)[0].format,
              debug == 1 ? SourceFormat::kGoDebug1 : SourceFormat::kGoTraceback);
    EXPECT_GE(parked_count(*snapshots), static_cast<size_t>(ParkedFibers::kCount)) << debug;
  }
}

TEST_F(AgentEndpoint, RefusesRequestsWithoutTheToken) {
  EXPECT_EQ(raw_request(agent_->http_port(), get("/debug/pprof/goroutine")).status, 401);
  EXPECT_EQ(raw_request(agent_->http_port(),
                        get("/debug/pprof/goroutine", "Authorization: Bearer wrong-token!\r\n"))
                .status,
            401);
  RawResponse lower = raw_request(
      agent_->http_port(),
      get("/debug/pprof/goroutine?debug=2", fmt::format("authorization: Bearer {}\r\n", token_)));
  EXPECT_EQ(lower.status, 200);  // header names are case-insensitive
}

TEST_F(AgentEndpoint, AnswersBadRequestsWithStatusCodes) {
  EXPECT_EQ(raw_request(agent_->http_port(), get("/nothing", authorization())).status, 404);
  EXPECT_EQ(raw_request(agent_->http_port(), get("/debug/pprof/goroutine?debug=x", authorization()))
                .status,
            400);
  EXPECT_EQ(
      raw_request(agent_->http_port(),
                  fmt::format("POST /debug/pprof/goroutine HTTP/1.1\r\n{}\r\n", authorization()))
          .status,
      405);
  RawResponse head = raw_request(
      agent_->http_port(),
      fmt::format("HEAD /debug/pprof/goroutine?debug=2 HTTP/1.1\r\n{}\r\n", authorization()));
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  std::string huge = get("/debug/pprof/goroutine", std::string(size_t{64} * 1024, 'x'));
  EXPECT_EQ(raw_request(agent_->http_port(), huge).status, 431);
}

TEST_F(AgentEndpoint, KeepsServingAfterClientsVanishMidRequestAndMidResponse) {
  for (int i = 0; i < 20; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(agent_->http_port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    if (i % 2 == 0) {
      std::string request = get("/debug/pprof/goroutine?debug=2", authorization());
      send(fd, request.data(), request.size(), MSG_NOSIGNAL);  // then gone before the answer
    } else {
      send(fd, "GET /debug/pp", 13, MSG_NOSIGNAL);  // gone mid-request
    }
    close(fd);
  }
  EXPECT_EQ(raw_request(agent_->http_port(), get("/debug/pprof/goroutine?debug=2", authorization()))
                .status,
            200);
}

TEST_F(AgentEndpoint, ConcurrentClientsAllGetWholeProfiles) {
  std::vector<std::thread> clients;
  std::atomic<int> good{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  clients.reserve(8);
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        RawResponse response =
            raw_request(agent_->http_port(), get("/debug/pprof/goroutine", authorization()));
        auto snapshots = read_snapshots_from_memory(response.body, "endpoint");
        size_t parked = snapshots ? parked_count(*snapshots) : 0;
        if (response.status == 200 && snapshots &&
            parked == static_cast<size_t>(ParkedFibers::kCount)) {
          ++good;
        } else {
          std::lock_guard lock(failures_mutex);
          failures.push_back(fmt::format("status {}, {} bytes, {}, {} parked fibers with stacks",
                                         response.status, response.body.size(),
                                         snapshots ? "read" : snapshots.error().message, parked));
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(good.load(), 40) << fmt::format("{}", fmt::join(failures, "\n"));
}

TEST_F(AgentEndpoint, TheLeakscanCommandReadsTheEndpoint) {
  std::string url =
      fmt::format("http://127.0.0.1:{}/debug/pprof/goroutine?debug=2", agent_->http_port());
  // Without the token: refused, and said so.
  auto refused = leakscan::testing::run_command({leakscan::testing::cli_path(), url});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("HTTP status 401"), std::string::npos) << refused.err;
  // With it, from a file (kept off the command line) or as a header.
  std::string token_file = leakscan::testing::temp_dir() + "/token";
  leakscan::testing::write_file(token_file, token_ + "\n");
  auto result =
      leakscan::testing::run_command({leakscan::testing::cli_path(), url, "--bearer-token-file",
                                      token_file, "--format", "json", "--min-wait", "1ms"});
  EXPECT_NE(result.exit_code, 2) << result.err;
  EXPECT_NE(result.out.find("chan receive"), std::string::npos) << result.out;
  auto header = leakscan::testing::run_command(
      {leakscan::testing::cli_path(), url, "--header", "Authorization: Bearer " + token_});
  EXPECT_NE(header.exit_code, 2) << header.err;
  EXPECT_EQ(header.err.find(token_), std::string::npos) << "the token shows in " << header.err;
  // watch polls it with the same flags.
  std::string out = leakscan::testing::temp_dir() + "/watch";
  auto watched = leakscan::testing::run_command({leakscan::testing::cli_path(), "watch", url,
                                                 "--bearer-token-file", token_file, "--polls", "1",
                                                 "--every", "1s", "--out", out});
  EXPECT_EQ(watched.exit_code, 0) << watched.err << watched.out;
  EXPECT_EQ(watched.out.find("401"), std::string::npos) << watched.out;
  auto malformed =
      leakscan::testing::run_command({leakscan::testing::cli_path(), url, "--header", "nocolon"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find("--header nocolon: expected 'Name: value' on one line"),
            std::string::npos)
      << malformed.err;
}

// Without a token only loopback names are served: a page whose name was rebound to 127.0.0.1
// (DNS rebinding) sends its own name as Host and is refused.
TEST(AgentHost, WithoutATokenOnlyLoopbackNamesAreServed) {
  ParkedFibers fibers;
  auto started = agent::Agent::start({.http_port = 0});
  ASSERT_TRUE(started) << started.error().message;
  uint16_t port = (*started)->http_port();
  auto with_host = [&](std::string_view host) {
    return raw_request(port, fmt::format("GET /debug/pprof/goroutine?debug=1 HTTP/1.1\r\n"
                                         "Host: {}\r\n\r\n",
                                         host));
  };
  for (std::string_view host :
       {"127.0.0.1", "localhost:8080", "LOCALHOST", "127.0.0.2:1", "[::1]:6060"}) {
    EXPECT_EQ(with_host(host).status, 200) << host;
  }
  for (std::string_view host : {"evil.example", "evil.example:6060", "127.0.0.1.evil.example",
                                "localhost.evil.example", "[::2]", "10.0.0.1"}) {
    RawResponse refused = with_host(host);
    EXPECT_EQ(refused.status, 403) << host;
    EXPECT_NE(refused.body.find("Host is not a loopback name"), std::string::npos) << host;
  }
  // With a token, the token decides, whatever the name.
  auto with_token = agent::Agent::start({.http_port = 0, .bearer_token = "t0ken"});
  ASSERT_TRUE(with_token) << with_token.error().message;
  EXPECT_EQ(raw_request((*with_token)->http_port(),
                        "GET /debug/pprof/goroutine?debug=1 HTTP/1.1\r\nHost: evil.example\r\n"
                        "Authorization: Bearer t0ken\r\n\r\n")
                .status,
            200);
}

TEST(AgentStart, RefusesANonLoopbackAddressUnlessAskedAndReportsBusyPorts) {
  auto refused = agent::Agent::start({.http_port = 0, .http_address = "0.0.0.0"});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("not a loopback address"), std::string::npos);
  auto allowed =
      agent::Agent::start({.http_port = 0, .http_address = "0.0.0.0", .allow_non_loopback = true});
  ASSERT_TRUE(allowed) << allowed.error().message;

  auto first = agent::Agent::start({.http_port = 0});
  ASSERT_TRUE(first);
  auto second = agent::Agent::start({.http_port = (*first)->http_port()});
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("cannot listen on 127.0.0.1"), std::string::npos);
  EXPECT_FALSE(agent::Agent::start({.http_port = 0, .http_address = "localhost:80"}));
}

TEST(AgentSignal, DumpsGoStyleTextOnTheSignal) {
  ASSERT_TRUE(kSignalBlocked);
  ParkedFibers fibers;
  std::string path = leakscan::testing::temp_dir() + "/dump.txt";
  auto started = agent::Agent::start({.dump_signal = SIGUSR2, .dump_path = path});
  ASSERT_TRUE(started) << started.error().message;
  ASSERT_EQ(kill(getpid(), SIGUSR2), 0);
  // Bounded wait for the dump's rename.
  for (int i = 0; i < 500 && !std::filesystem::exists(path); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  auto snapshots = read_snapshots(path);
  ASSERT_TRUE(snapshots) << snapshots.error().message;
  EXPECT_EQ(parked_count(*snapshots), static_cast<size_t>(ParkedFibers::kCount));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(AgentPeriodic, WritesSnapshotsAndKeepsOnlyTheNewest) {
  ParkedFibers fibers;
  std::string dir = leakscan::testing::temp_dir() + "/snapshots";
  auto started = agent::Agent::start(
      {.snapshot_dir = dir, .snapshot_every = std::chrono::milliseconds(20), .snapshot_retain = 3});
  ASSERT_TRUE(started) << started.error().message;
  // Until more snapshots were written than are kept: each write is fsynced, which under a
  // sanitizer on a busy disk takes far longer than the 20 ms period (bounded: 20 s).
  std::set<std::string> seen;
  auto list = [&] {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() == ".gz") files.push_back(entry.path().string());
    }
    return files;
  };
  for (int i = 0; i < 1000 && seen.size() < 5; ++i) {
    for (const auto& file : list()) seen.insert(file);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  started->reset();  // stops the writer
  ASSERT_GE(seen.size(), 5U) << "the writer wrote too few snapshots";
  std::vector<std::string> files = list();
  ASSERT_EQ(files.size(), 3U);
  for (const auto& file : files) {
    EXPECT_TRUE(file.ends_with(".pb.gz")) << file;
    auto snapshots = read_snapshots(file);
    ASSERT_TRUE(snapshots) << snapshots.error().message;
    EXPECT_EQ(parked_count(*snapshots), static_cast<size_t>(ParkedFibers::kCount));
  }
}

}  // namespace agent_exposure_test
