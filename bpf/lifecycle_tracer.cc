#include "bpf/lifecycle_tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string_view>

#include "bpf/goroutine_lifecycle.h"
#include "bpf/goroutine_lifecycle.skel.h"

namespace leakscan::trace {
namespace {

// libbpf prints through one process-wide callback without a context: the tracer loaded last
// lends it its log.
std::mutex libbpf_log_mutex;
const LifecycleTracer::Log* libbpf_log = nullptr;

int print_libbpf(libbpf_print_level level, const char* format, va_list args) {
  // Its info and debug lines describe a load that went well; libbpf-tools hide them too.
  if (level != LIBBPF_WARN) return 0;
  std::array<char, 1024> buffer{};
  int length = std::vsnprintf(buffer.data(), buffer.size(), format, args);
  if (length < 0) return length;
  std::string_view line(buffer.data(), std::min<size_t>(length, buffer.size() - 1));
  while (line.ends_with('\n')) line.remove_suffix(1);
  std::lock_guard lock(libbpf_log_mutex);
  if (libbpf_log != nullptr && *libbpf_log) (*libbpf_log)(fmt::format("libbpf: {}", line));
  return length;
}

void route_libbpf_log(const LifecycleTracer::Log* log) {
  std::lock_guard lock(libbpf_log_mutex);
  libbpf_log = log;
  libbpf_set_print(print_libbpf);
}

void unroute_libbpf_log(const LifecycleTracer::Log* log) {
  std::lock_guard lock(libbpf_log_mutex);
  if (libbpf_log == log) libbpf_log = nullptr;
}

std::chrono::nanoseconds clock_now(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

std::vector<uint64_t> ProbeSites::all() const {
  std::vector<uint64_t> out = created;
  out.push_back(exited);
  return out;
}

Result<ProbeSites> find_probe_sites(const gobinary::GoBinary& binary) {
  ProbeSites sites;
  auto newproc1 = binary.function("runtime.newproc1");
  if (!newproc1) return Error{fmt::format("{}: no runtime.newproc1", binary.path())};
  for (const char* caller : {"runtime.newproc.func1", "runtime.newproc"}) {
    if (auto range = binary.function(caller)) {
      auto found = binary.call_return_sites(*range, newproc1->start);
      sites.created.insert(sites.created.end(), found.begin(), found.end());
    }
  }
  if (sites.created.empty()) {
    return Error{fmt::format("{}: no call to runtime.newproc1 in runtime.newproc", binary.path())};
  }
  // goexit1 is where every goroutine ends on Go 1.17 to 1.25 (goexit0 runs on g0 after it).
  auto goexit1 = binary.function("runtime.goexit1");
  if (!goexit1) return Error{fmt::format("{}: no runtime.goexit1", binary.path())};
  sites.exited = goexit1->start;
  return sites;
}

Result<std::unique_ptr<LifecycleTracer>> LifecycleTracer::load(
    const gobinary::GoBinary& binary, const gobinary::GoRuntimeLayout& layout, pid_t pid,
    bool emit_exits, Handler handler, Log log, uint64_t load_bias) {
  std::unique_ptr<LifecycleTracer> tracer(new LifecycleTracer());  // NOLINT: private constructor
  tracer->exe_path_ = binary.path();
  tracer->pid_ = pid;
  tracer->load_bias_ = load_bias;
  tracer->handler_ = std::move(handler);
  tracer->log_ = std::move(log);
  route_libbpf_log(&tracer->log_);
  auto sites = find_probe_sites(binary);
  if (!sites) return sites.error();
  tracer->sites_ = *sites;
  for (uint64_t address : sites->created) {
    auto offset = binary.file_offset(address);
    if (!offset) return Error{fmt::format("{}: {:#x} is not in the file", binary.path(), address)};
    tracer->created_offsets_.push_back(*offset);
  }
  auto exited = binary.file_offset(sites->exited);
  if (!exited) return Error{fmt::format("{}: runtime.goexit1 is not in the file", binary.path())};
  tracer->exited_offset_ = *exited;

  tracer->skeleton_ = goroutine_lifecycle_bpf__open();
  if (tracer->skeleton_ == nullptr) {
    return Error{fmt::format("cannot open the BPF object: {}", std::strerror(errno))};
  }
  auto* rodata = tracer->skeleton_->rodata;
  rodata->g_goid = layout.g_goid;
  rodata->g_gopc = layout.g_gopc;
  rodata->g_startpc = layout.g_startpc;
  rodata->g_m = layout.g_m;
  rodata->m_curg = layout.m_curg;
  rodata->emit_exits = emit_exits;
  if (int err = goroutine_lifecycle_bpf__load(tracer->skeleton_); err != 0) {
    return Error{fmt::format("cannot load the BPF programs: {}", std::strerror(-err))};
  }
  tracer->ring_ = ring_buffer__new(bpf_map__fd(tracer->skeleton_->maps.events),
                                   &LifecycleTracer::on_sample, tracer.get(), nullptr);
  if (tracer->ring_ == nullptr) {
    return Error{fmt::format("cannot open the BPF ring buffer: {}", std::strerror(errno))};
  }
  tracer->monotonic_to_realtime_ = clock_now(CLOCK_REALTIME) - clock_now(CLOCK_MONOTONIC);
  return tracer;
}

LifecycleTracer::~LifecycleTracer() {
  detach();
  if (ring_ != nullptr) ring_buffer__free(ring_);
  if (skeleton_ != nullptr) goroutine_lifecycle_bpf__destroy(skeleton_);
  unroute_libbpf_log(&log_);
}

std::vector<uint32_t> LifecycleTracer::program_ids() const {
  std::vector<uint32_t> ids;
  for (const bpf_program* program :
       {skeleton_->progs.goroutine_created, skeleton_->progs.goroutine_exited}) {
    bpf_prog_info info{};
    uint32_t length = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(program), &info, &length) == 0) {
      ids.push_back(info.id);
    }
  }
  return ids;
}

Status LifecycleTracer::attach() {
  if (attached()) return Ok{};
  LIBBPF_OPTS(bpf_uprobe_opts, options);
  auto attach_one = [&](bpf_program* program, uint64_t offset) -> Status {
    bpf_link* link = bpf_program__attach_uprobe_opts(program, pid_, exe_path_.c_str(),
                                                     static_cast<size_t>(offset), &options);
    if (link == nullptr) {
      int err = errno;
      return Error{fmt::format("cannot attach a uprobe to {} at file offset {:#x}: {}", exe_path_,
                               offset, std::strerror(err))};
    }
    links_.push_back(link);
    return Ok{};
  };
  for (uint64_t offset : created_offsets_) {
    auto status = attach_one(skeleton_->progs.goroutine_created, offset);
    if (!status) {
      detach();
      return status;
    }
  }
  auto status = attach_one(skeleton_->progs.goroutine_exited, exited_offset_);
  if (!status) detach();
  return status;
}

void LifecycleTracer::detach() {
  for (bpf_link* link : links_) bpf_link__destroy(link);
  links_.clear();
}

Status LifecycleTracer::poll(std::chrono::milliseconds timeout) {
  int rc = ring_buffer__poll(ring_, static_cast<int>(timeout.count()));
  if (rc < 0 && rc != -EINTR) {
    return Error{fmt::format("reading the BPF ring buffer: {}", std::strerror(-rc))};
  }
  return Ok{};
}

int LifecycleTracer::on_sample(void* context, void* data, size_t size) {
  auto* self = static_cast<LifecycleTracer*>(context);
  if (size < sizeof(goroutine_event)) return 0;
  goroutine_event raw;
  std::memcpy(&raw, data, sizeof raw);
  GoroutineEvent event;
  event.kind = raw.kind == GOROUTINE_CREATED ? GoroutineEvent::Kind::kCreated
                                             : GoroutineEvent::Kind::kExited;
  event.at = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(raw.timestamp_ns) + self->monotonic_to_realtime_));
  event.goid = raw.goid;
  event.creator_goid = raw.creator_goid;
  event.gopc = raw.gopc - self->load_bias_;
  event.startpc = raw.startpc - self->load_bias_;
  if (raw.stack_bytes > 0) {
    size_t frames = std::min<size_t>(static_cast<size_t>(raw.stack_bytes) / 8, GOROUTINE_MAX_STACK);
    event.creator_stack.reserve(frames);
    for (size_t i = 0; i < frames; ++i)
      event.creator_stack.push_back(raw.stack[i] - self->load_bias_);
  }
  self->handler_(event);
  return 0;
}

std::unordered_map<uint64_t, SiteCounts> LifecycleTracer::site_counts() const {
  std::unordered_map<uint64_t, SiteCounts> counts;
  int fd = bpf_map__fd(skeleton_->maps.sites);
  uint64_t key = 0, next = 0;
  uint64_t* previous = nullptr;
  while (bpf_map_get_next_key(fd, previous, &next) == 0) {
    goroutine_site_counts value{};
    if (bpf_map_lookup_elem(fd, &next, &value) == 0) {
      counts[next - load_bias_] = {value.born, value.died};
    }
    key = next;
    previous = &key;
  }
  return counts;
}

Status LifecycleTracer::open_window(uint64_t budget) {
  uint32_t zero = 0;
  goroutine_window state{.budget = budget, .created = 0};
  if (bpf_map_update_elem(bpf_map__fd(skeleton_->maps.window), &zero, &state, BPF_ANY) != 0) {
    return Error{fmt::format("setting the probe window's budget: {}", std::strerror(errno))};
  }
  return Ok{};
}

Status LifecycleTracer::close_window() {
  uint32_t zero = 0;
  goroutine_window state{.budget = 1, .created = 2};  // spent: no creation or exit counts
  if (bpf_map_update_elem(bpf_map__fd(skeleton_->maps.window), &zero, &state, BPF_ANY) != 0) {
    return Error{fmt::format("closing the probe window: {}", std::strerror(errno))};
  }
  return Ok{};
}

uint64_t LifecycleTracer::window_creations() const {
  uint32_t zero = 0;
  goroutine_window state{};
  if (bpf_map_lookup_elem(bpf_map__fd(skeleton_->maps.window), &zero, &state) != 0) return 0;
  return state.created;
}

uint64_t LifecycleTracer::dropped_events() const {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return 0;
  std::vector<uint64_t> values(static_cast<size_t>(cpus));
  uint32_t zero = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(skeleton_->maps.dropped), &zero, values.data()) != 0) {
    return 0;
  }
  uint64_t total = 0;
  for (uint64_t value : values) total += value;
  return total;
}

}  // namespace leakscan::trace
