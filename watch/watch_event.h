// What `leakscan watch` tells its front end, one event at a time: the library decides, the
// front end only prints.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "proto/leakscan_report.pb.h"

namespace leakscan {

enum class WatchEventKind : uint8_t {
  kPolled,          // a snapshot was stored and analysed: `status`
  kPollFailed,      // no snapshot this time (unreachable, timeout, garbage): `message`, `retry_in`
  kNewSeries,       // the first snapshot of a series; after a restart `message` says why
  kRestartsUnseen,  // this series' target answers nothing that shows a restart: `message`
  kBecameLeak,      // a cluster became a leak (stuck goroutines included): `cluster`
  kReportFailed,    // the report file could not be rewritten: `message`
};

struct PollStatus {
  size_t series = 0;           // 1 for the first series of this run
  size_t stored = 0;           // snapshots kept in the series directory
  size_t analysed = 0;         // snapshots in the analysis window
  int64_t goroutines = 0;      // in the newest snapshot
  int64_t leaks = 0;           // clusters judged leak (baselined ones not counted)
  int64_t suspects = 0;        // clusters judged suspect
  std::filesystem::path file;  // the snapshot stored by this poll
};

struct WatchEvent {
  WatchEventKind kind = WatchEventKind::kPolled;
  size_t target = 0;  // index into WatchOptions::urls
  std::string name;   // the target's directory name, "127.0.0.1_6060"
  size_t poll = 0;    // this target's poll number, from 1
  std::chrono::system_clock::time_point at;
  PollStatus status;
  std::string message;
  std::chrono::milliseconds retry_in{0};
  report::Cluster cluster;
};

}  // namespace leakscan
