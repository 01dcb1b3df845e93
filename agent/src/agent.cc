#include "leakscan/agent/agent.h"

#include <fmt/format.h>

#include "agent/src/http_endpoint.h"
#include "agent/src/periodic_writer.h"
#include "agent/src/signal_dumper.h"

namespace leakscan::agent {

class Agent::Impl {
 public:
  std::unique_ptr<HttpEndpoint> http;
  std::unique_ptr<SignalDumper> signal;
  std::unique_ptr<PeriodicWriter> periodic;
};

Agent::Agent(Key /*key*/, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Agent::~Agent() = default;

uint16_t Agent::http_port() const { return impl_->http ? impl_->http->port() : 0; }

StartResult Agent::start(const AgentOptions& options) {
  auto impl = std::make_unique<Impl>();
  // The dump signal first: it is blocked in the threads started after it, and a thread that
  // does not block it (the endpoint's, were it started earlier) would take the signal's
  // default action, which ends the process.
  if (options.dump_signal != 0) {
    auto signal =
        SignalDumper::start(options.dump_signal, options.dump_path, options.stack_timeout);
    if (!signal) return StartError{signal.error().message};
    impl->signal = std::move(*signal);
  }
  if (options.http_port >= 0) {
    if (options.http_port > 65535) {
      return StartError{fmt::format("leakscan agent: port {} out of range", options.http_port)};
    }
    auto http = HttpEndpoint::start({.address = options.http_address,
                                     .port = static_cast<uint16_t>(options.http_port),
                                     .allow_non_loopback = options.allow_non_loopback,
                                     .bearer_token = options.bearer_token,
                                     .stack_timeout = options.stack_timeout});
    if (!http) return StartError{http.error().message};
    impl->http = std::move(*http);
  }
  if (!options.snapshot_dir.empty()) {
    auto periodic = PeriodicWriter::start(options.snapshot_dir, options.snapshot_every,
                                          options.snapshot_retain, options.stack_timeout);
    if (!periodic) return StartError{periodic.error().message};
    impl->periodic = std::move(*periodic);
  }
  return std::make_unique<Agent>(Key{}, std::move(impl));
}

}  // namespace leakscan::agent
