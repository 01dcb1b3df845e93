#include "cli/stop_signal.h"

#include <csignal>

namespace leakscan::cli {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

void on_stop_signal(int /*signo*/) { g_stop = true; }

}  // namespace

const std::atomic<bool>& stop_requested() { return g_stop; }

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = &on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocking poll returns at once
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

}  // namespace leakscan::cli
