// order_service: a small order-service HTTP API on Boost.Fiber with seeded fiber leaks of the
// classic kinds, plus benign fibers that look like leaks, so that leakscan's C++ agent and its
// analyzer can be checked against ground truth. The C++ twin of samples/go/leakyservice.
//
// It first prints one line per population, then the agent's endpoint and the API:
//
//   SEEDED|BENIGN <kind> <blocked at> <created by> <route or -> <wait> <labels or -> <count>
//   AGENT 127.0.0.1:PORT
//   LISTENING 127.0.0.1:PORT
//
// <blocked at> is the innermost function of the program's own code on the fiber's stack ("-"
// for a fiber that ended), <created by> the function that started the fiber, <wait> the wait
// reason the agent records, or the fiber's state where it records none (sleeping, exited),
// spaces written as "_"; <labels> are the ScopedLabels the fiber inherits (key=value), and
// <count> the fibers a SEEDED route leaks per request, or how many BENIGN fibers there are.
// BENIGN counts do not grow with load: 4 workers on each of the 2 fiber threads, 1 janitor,
// 3 checkout pipeline stages, and one long-poll per /api/poll in flight.
//
// Fibers run on 2 OS threads, each with leakscan's tracking scheduler around round_robin; the
// HTTP front is a few plain OS threads that hand each request to a fiber thread.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/fiber/all.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "leakscan/agent/agent.h"
#include "leakscan/agent/boost_fiber.h"
#include "leakscan/agent/registry.h"
#include "leakscan/agent/sync.h"
#include "samples/cpp/loopback_http_server.h"

namespace order_service {

using namespace std::chrono_literals;
using boost::fibers::channel_op_status;

struct Population {
  std::string_view tag;  // SEEDED or BENIGN
  std::string_view kind;
  std::string_view blocked_at;
  std::string_view created_by;
  std::string_view route;
  std::string_view wait;
  std::string_view labels;
  int count;  // SEEDED: fibers leaked per request; BENIGN: fibers in all
};

constexpr int kFiberThreads = 2;
constexpr int kWorkersPerThread = 4;

// The manifest: the only place the expected populations are described.
constexpr std::array kManifest{
    Population{"SEEDED", "timeout-race", "order_service::OrderService::fetch_from_backend",
               "order_service::OrderService::fetch_order", "/api/orders", "chan send",
               "http.route=/api/orders", 1},
    Population{"SEEDED", "unclosed-channel", "order_service::OrderService::audit_consumer",
               "order_service::OrderService::handle_audit", "/api/audit", "chan receive",
               "http.route=/api/audit", 1},
    Population{"SEEDED", "abandoned-reader", "order_service::OrderService::export_rows",
               "order_service::OrderService::handle_export", "/api/export", "chan send",
               "http.route=/api/export", 1},
    Population{"SEEDED", "mutex-never-unlocked", "order_service::OrderService::sync_inventory",
               "order_service::OrderService::handle_reserve", "/api/reserve", "sync.Mutex.Lock",
               "-", 1},
    Population{"SEEDED", "cond-never-signalled", "order_service::OrderService::await_shipment",
               "order_service::OrderService::handle_notify", "/api/notify", "sync.Cond.Wait", "-",
               1},
    Population{"SEEDED", "promise-never-set", "order_service::OrderService::await_payment",
               "order_service::OrderService::handle_pay", "/api/pay", "future get", "-", 1},
    Population{"SEEDED", "ticker-never-stopped", "order_service::OrderService::refresh_prices",
               "order_service::OrderService::handle_refresh", "/api/refresh", "sleeping", "-", 1},
    Population{"SEEDED", "exited-not-joined", "-", "order_service::OrderService::handle_report",
               "/api/report", "exited", "-", 1},
    Population{"BENIGN", "worker-pool", "order_service::OrderService::worker",
               "order_service::OrderService::start_workers", "-", "chan receive", "-",
               kFiberThreads* kWorkersPerThread},
    Population{"BENIGN", "periodic-sleeper", "order_service::OrderService::janitor",
               "order_service::OrderService::start_background", "-", "sleeping", "-", 1},
    Population{"BENIGN", "pipeline-stage", "order_service::OrderService::pricing_stage",
               "order_service::OrderService::start_background", "-", "chan receive", "-", 1},
    Population{"BENIGN", "pipeline-stage", "order_service::OrderService::inventory_stage",
               "order_service::OrderService::start_background", "-", "chan receive", "-", 1},
    Population{"BENIGN", "pipeline-stage", "order_service::OrderService::shipping_stage",
               "order_service::OrderService::start_background", "-", "chan receive", "-", 1},
    Population{"BENIGN", "long-poll", "order_service::OrderService::handle_poll",
               "order_service::dispatch_requests", "/api/poll", "sync.Cond.Wait (timed)", "-", 1},
    // Each fiber thread's main fiber, created by nobody, idle on its request queue.
    Population{"BENIGN", "main-fiber", "order_service::dispatch_requests", "-", "-", "chan receive",
               "-", kFiberThreads},
};

// Routes whose handlers run under ScopedLabels, as tracing middleware would label them.
constexpr std::array<std::string_view, 3> kLabelledRoutes{"/api/orders", "/api/audit",
                                                          "/api/export"};

struct ServiceOptions {
  std::chrono::milliseconds work{20};            // an /api/orders backend fetch
  std::chrono::milliseconds handler_timeout{5};  // how long /api/orders waits for it
  std::chrono::milliseconds poll{2000};          // how long /api/poll blocks
};

// An order on its way through the checkout pipeline; shared, as each stage hands it on.
struct Order {
  std::string sku;
  int quantity = 1;
  int64_t price_cents = 0;
  boost::fibers::promise<std::string> confirmation;
};
using OrderQueue = leakscan::fibers::buffered_channel<std::shared_ptr<Order>>;

struct Inventory {
  leakscan::fibers::mutex mutex;
  std::map<std::string, int, std::less<>> stock;

  // Returns early with the mutex still held when the item is out of stock.
  bool reserve(std::string_view sku) {
    mutex.lock();
    auto item = stock.find(sku);
    if (item == stock.end() || item->second == 0) return false;  // bug: mutex.unlock() missing
    --item->second;
    mutex.unlock();
    return true;
  }
};

struct Shipment {
  leakscan::fibers::mutex mutex;
  leakscan::fibers::condition_variable shipped_changed;
  bool shipped = false;
};

class OrderService {
 public:
  explicit OrderService(const ServiceOptions& options) : options_(options) {}

  // On each fiber thread: its share of the fixed worker pool.
  void start_workers(int count) {
    for (int i = 0; i < count; ++i) boost::fibers::fiber(&OrderService::worker, this).detach();
  }

  // On one fiber thread: the janitor and the checkout pipeline, one fiber each.
  void start_background() {
    boost::fibers::fiber(&OrderService::janitor, this).detach();
    boost::fibers::fiber(&OrderService::pricing_stage, this).detach();
    boost::fibers::fiber(&OrderService::inventory_stage, this).detach();
    boost::fibers::fiber(&OrderService::shipping_stage, this).detach();
  }

  // Runs on a handler fiber, one per request.
  HttpResponse handle(const HttpRequest& request) {
    using Handler = HttpResponse (OrderService::*)(const HttpRequest&);
    static const std::map<std::string, Handler, std::less<>> routes{
        {"/healthz", &OrderService::handle_health},
        {"/api/orders", &OrderService::handle_orders},
        {"/api/audit", &OrderService::handle_audit},
        {"/api/export", &OrderService::handle_export},
        {"/api/reserve", &OrderService::handle_reserve},
        {"/api/notify", &OrderService::handle_notify},
        {"/api/pay", &OrderService::handle_pay},
        {"/api/refresh", &OrderService::handle_refresh},
        {"/api/report", &OrderService::handle_report},
        {"/api/checkout", &OrderService::handle_checkout},
        {"/api/poll", &OrderService::handle_poll},
    };
    auto route = routes.find(request.path);
    if (route == routes.end()) return {404, "no such route\n"};
    if (std::find(kLabelledRoutes.begin(), kLabelledRoutes.end(), request.path) !=
        kLabelledRoutes.end()) {
      // pprof.Do's labels: fibers started by the handler inherit them.
      leakscan::agent::ScopedLabels labels({{"http.route", request.path}});
      return (this->*route->second)(request);
    }
    return (this->*route->second)(request);
  }

 private:
  HttpResponse handle_health(const HttpRequest& /*request*/) { return {200, "ok\n"}; }

  HttpResponse handle_orders(const HttpRequest& request) { return fetch_order(request.query); }

  // Gives up after handler_timeout. The result channel is unbuffered, so a fetch finishing
  // later blocks on its send forever (a buffered channel would be the fix).
  HttpResponse fetch_order(const std::string& id) {
    auto result = std::make_shared<leakscan::fibers::unbuffered_channel<std::string>>();
    boost::fibers::fiber(&OrderService::fetch_from_backend, this, result, id).detach();
    // The deadline passes before the backend answers (work > handler_timeout): the handler
    // answers 504 and drops its end of the channel without ever receiving.
    boost::this_fiber::sleep_for(options_.handler_timeout);
    return {504, "order backend timed out\n"};
  }

  void fetch_from_backend(
      const std::shared_ptr<leakscan::fibers::unbuffered_channel<std::string>>& result,
      std::string id) {
    boost::this_fiber::sleep_for(options_.work);  // stands in for a slow backend call
    result->push(fmt::format("order {}: shipped", id));
  }

  // Each request gets its own consumer on a fresh channel that nobody closes, so the
  // consumer's loop never ends.
  HttpResponse handle_audit(const HttpRequest& request) {
    auto events = std::make_shared<leakscan::fibers::buffered_channel<std::string>>(8);
    boost::fibers::fiber(&OrderService::audit_consumer, this, events).detach();
    events->push("GET " + request.path);
    return {200, "audited\n"};  // bug: events->close() missing
  }

  void audit_consumer(
      const std::shared_ptr<leakscan::fibers::buffered_channel<std::string>>& events) {
    std::string event;
    while (events->pop(event) == channel_op_status::success) ++audited_;
  }

  // A preview of an export: the handler reads the first row and leaves; the exporter fills
  // the channel's buffer and then blocks on a send nobody will receive.
  HttpResponse handle_export(const HttpRequest& /*request*/) {
    auto rows = std::make_shared<leakscan::fibers::buffered_channel<std::string>>(4);
    boost::fibers::fiber(&OrderService::export_rows, this, rows).detach();
    std::string first;
    rows->pop(first);
    return {200, first + "\n"};  // bug: rows->close() missing, which would end the export
  }

  void export_rows(const std::shared_ptr<leakscan::fibers::buffered_channel<std::string>>& rows) {
    for (int row = 0; row < 100; ++row) {
      if (rows->push(fmt::format("order-{},sku-1,1", row)) != channel_op_status::success) return;
    }
  }

  HttpResponse handle_reserve(const HttpRequest& /*request*/) {
    auto inventory = std::make_shared<Inventory>();
    bool reserved = inventory->reserve("sku-1");
    // Blocks on the lock that reserve() leaked.
    boost::fibers::fiber(&OrderService::sync_inventory, this, inventory).detach();
    return reserved ? HttpResponse{200, "reserved\n"} : HttpResponse{409, "out of stock\n"};
  }

  void sync_inventory(const std::shared_ptr<Inventory>& inventory) {
    std::lock_guard lock(inventory->mutex);
    synced_ += static_cast<int64_t>(inventory->stock.size());
  }

  // Waits for a shipment that nothing ever marks shipped or signals.
  HttpResponse handle_notify(const HttpRequest& /*request*/) {
    boost::fibers::fiber(&OrderService::await_shipment, this, std::make_shared<Shipment>())
        .detach();
    return {200, "will notify\n"};
  }

  void await_shipment(std::shared_ptr<Shipment> shipment) {
    std::unique_lock lock(shipment->mutex);
    shipment->shipped_changed.wait(lock, [&] { return shipment->shipped; });
    ++notified_;
  }

  // The payment gateway calls back for approved cards only: a declined card's promise waits
  // in pending_payments_ forever (never set, never broken), and so does the fiber awaiting it.
  HttpResponse handle_pay(const HttpRequest& /*request*/) {
    boost::fibers::promise<std::string> receipt;
    leakscan::fibers::future<std::string> awaited(receipt.get_future());
    {
      std::lock_guard lock(payments_mutex_);
      pending_payments_.push_back(std::move(receipt));
    }
    boost::fibers::fiber(&OrderService::await_payment, this, std::move(awaited)).detach();
    return {202, "payment pending\n"};
  }

  void await_payment(leakscan::fibers::future<std::string> receipt) {
    receipt.get();
    ++paid_;
  }

  // Starts an hourly price refresher; nothing stops it, so each call adds one more.
  HttpResponse handle_refresh(const HttpRequest& /*request*/) {
    boost::fibers::fiber(&OrderService::refresh_prices, this).detach();
    return {200, "refresher started\n"};
  }

  void refresh_prices() {
    while (!stopping_) {
      boost::this_fiber::sleep_for(1h);
      ++refreshed_;
    }
  }

  // Renders in the background and keeps the fiber to join it later; nothing ever joins, so
  // every finished render keeps its stack and context: exited, never released.
  HttpResponse handle_report(const HttpRequest& /*request*/) {
    boost::fibers::fiber render(&OrderService::render_report, this);
    std::lock_guard lock(reports_mutex_);
    unjoined_reports_.push_back(std::move(render));
    return {202, "report queued\n"};
  }

  void render_report() { ++reports_rendered_; }

  // The working path: an order through pricing, inventory and shipping, answered by a future.
  HttpResponse handle_checkout(const HttpRequest& /*request*/) {
    auto order = std::make_shared<Order>();
    order->sku = "sku-1";
    leakscan::fibers::future<std::string> confirmation(order->confirmation.get_future());
    intake_.push(order);
    return {200, confirmation.get() + "\n"};
  }

  // A long poll: blocks for up to options_.poll for an event, then returns.
  HttpResponse handle_poll(const HttpRequest& /*request*/) {
    std::unique_lock lock(events_mutex_);
    int64_t seen = events_published_;
    bool published =
        events_changed_.wait_for(lock, options_.poll, [&] { return events_published_ > seen; });
    return published ? HttpResponse{200, "event\n"} : HttpResponse{204, ""};
  }

  // One of a fixed pool: parked on the queue, but not a leak.
  void worker() {
    std::string job;
    while (jobs_.pop(job) == channel_op_status::success) ++processed_;
  }

  // Sleeps between hourly purges of expired carts.
  void janitor() {
    while (!stopping_) boost::this_fiber::sleep_for(1h);
  }

  void pricing_stage() {
    std::shared_ptr<Order> order;
    while (intake_.pop(order) == channel_op_status::success) {
      order->price_cents = 1999LL * order->quantity;
      priced_.push(std::move(order));
    }
  }

  void inventory_stage() {
    std::shared_ptr<Order> order;
    while (priced_.pop(order) == channel_op_status::success) {
      {
        std::lock_guard lock(stock_mutex_);
        stock_[order->sku] -= order->quantity;
      }
      packed_.push(std::move(order));
    }
  }

  void shipping_stage() {
    std::shared_ptr<Order> order;
    while (packed_.pop(order) == channel_op_status::success) {
      order->confirmation.set_value(
          fmt::format("{} x{} shipped, {} cents", order->sku, order->quantity, order->price_cents));
    }
  }

  ServiceOptions options_;
  std::atomic<bool> stopping_{false};  // nothing sets it: the service runs until killed

  leakscan::fibers::buffered_channel<std::string> jobs_{64};  // idle in this demo
  OrderQueue intake_{64};
  OrderQueue priced_{64};
  OrderQueue packed_{64};
  leakscan::fibers::mutex stock_mutex_;
  std::map<std::string, int64_t> stock_;

  leakscan::fibers::mutex events_mutex_;
  leakscan::fibers::condition_variable events_changed_;
  int64_t events_published_ = 0;  // nobody publishes in this demo

  std::mutex payments_mutex_;
  std::vector<boost::fibers::promise<std::string>> pending_payments_;
  std::mutex reports_mutex_;
  std::vector<boost::fibers::fiber> unjoined_reports_;

  std::atomic<int64_t> audited_{0}, synced_{0}, notified_{0}, paid_{0}, refreshed_{0},
      reports_rendered_{0}, processed_{0};
};

// A request handed to a fiber thread, and where its answer goes.
struct PendingRequest {
  HttpRequest request;
  std::shared_ptr<std::promise<HttpResponse>> response;
};
using RequestQueue = leakscan::fibers::buffered_channel<PendingRequest>;

void serve_request(OrderService& service, const PendingRequest& pending) {
  pending.response->set_value(service.handle(pending.request));
}

// One handler fiber per request, as net/http starts a goroutine per connection. Runs in the
// fiber thread's main fiber.
void dispatch_requests(OrderService& service, RequestQueue& requests) {
  PendingRequest pending;
  while (requests.pop(pending) == channel_op_status::success) {
    boost::fibers::fiber(&serve_request, std::ref(service), std::move(pending)).detach();
  }
}

void run_fiber_thread(OrderService& service, RequestQueue& requests, bool runs_background) {
  boost::fibers::use_scheduling_algorithm<
      leakscan::fibers::tracking_algorithm<boost::fibers::algo::round_robin>>();
  service.start_workers(kWorkersPerThread);
  if (runs_background) service.start_background();
  dispatch_requests(service, requests);
}

void print_manifest(uint16_t agent_port, uint16_t api_port) {
  auto underscored = [](std::string_view text) {
    std::string out(text);
    std::replace(out.begin(), out.end(), ' ', '_');
    return out;
  };
  for (const Population& p : kManifest) {
    fmt::print("{} {} {} {} {} {} {} {}\n", p.tag, p.kind, p.blocked_at, p.created_by, p.route,
               underscored(p.wait), p.labels, p.count);
  }
  fmt::print("AGENT 127.0.0.1:{}\nLISTENING 127.0.0.1:{}\n", agent_port, api_port);
  std::fflush(stdout);
}

int run(int argc, char** argv) {
  int64_t work_ms = 20;
  int64_t handler_timeout_ms = 5;
  int64_t poll_ms = 2000;
  std::string snapshot_dir;
  int64_t snapshot_every_ms = 60'000;
  size_t snapshot_retain = 60;
  int dump_signal = 0;
  std::string dump_path;
  CLI::App app{"A Boost.Fiber order service with seeded fiber leaks"};
  app.add_option("--work-ms", work_ms, "how long an /api/orders backend fetch takes");
  app.add_option("--handler-timeout-ms", handler_timeout_ms, "how long /api/orders waits for it");
  app.add_option("--poll-ms", poll_ms, "how long /api/poll blocks");
  app.add_option("--snapshot-dir", snapshot_dir, "write periodic pprof snapshots here");
  app.add_option("--snapshot-every-ms", snapshot_every_ms, "period of the snapshots");
  app.add_option("--snapshot-retain", snapshot_retain, "how many snapshots to keep");
  app.add_option("--dump-signal", dump_signal, "dump Go-style text on this signal number");
  app.add_option("--dump-path", dump_path, "where the signal dump goes (stderr when empty)");
  CLI11_PARSE(app, argc, argv);

  // Before any thread starts, so that every thread inherits the mask: SIGTERM and SIGINT are
  // taken by sigwait below, and the agent blocks its dump signal the same way.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto agent =
      leakscan::agent::Agent::start({.http_port = 0,
                                     .dump_signal = dump_signal,
                                     .dump_path = dump_path,
                                     .snapshot_dir = snapshot_dir,
                                     .snapshot_every = std::chrono::milliseconds(snapshot_every_ms),
                                     .snapshot_retain = snapshot_retain});
  if (!agent) {
    fmt::print(stderr, "order_service: {}\n", agent.error().message);
    return 1;
  }
  OrderService service({.work = std::chrono::milliseconds(work_ms),
                        .handler_timeout = std::chrono::milliseconds(handler_timeout_ms),
                        .poll = std::chrono::milliseconds(poll_ms)});
  std::vector<std::unique_ptr<RequestQueue>> queues;
  std::vector<std::jthread> fiber_threads;
  for (int i = 0; i < kFiberThreads; ++i) {
    RequestQueue& queue = *queues.emplace_back(std::make_unique<RequestQueue>(64));
    fiber_threads.emplace_back(run_fiber_thread, std::ref(service), std::ref(queue), i == 0);
  }
  std::atomic<uint64_t> next_queue{0};
  LoopbackHttpServer server(
      [&](const HttpRequest& request) {
        auto response = std::make_shared<std::promise<HttpResponse>>();
        std::future<HttpResponse> answer = response->get_future();
        queues[next_queue++ % queues.size()]->push(PendingRequest{request, response});
        return answer.get();
      },
      0, 4);
  print_manifest((*agent)->http_port(), server.port());

  int received = 0;
  sigwait(&stop_signals, &received);
  // Its leaked fibers never finish, so a leaking service cannot wind down its schedulers:
  // it ends at once, as a killed one would.
  std::fflush(stdout);
  std::_Exit(0);
}

}  // namespace order_service

int main(int argc, char** argv) {
  try {
    return order_service::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "order_service: %s\n", e.what());
    return 1;
  }
}
