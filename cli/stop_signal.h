// Ctrl-C and SIGTERM end a long-running command (trace, watch) cleanly: its loop sees the
// flag, finishes what it is writing and returns.
#pragma once

#include <atomic>

namespace leakscan::cli {

// The flag set by SIGINT and SIGTERM once install_stop_handlers has run.
const std::atomic<bool>& stop_requested();
void install_stop_handlers();

}  // namespace leakscan::cli
