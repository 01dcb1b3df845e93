#include "bpf/goroutine_table_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace leakscan::trace {
namespace {

constexpr uint32_t kScanBit = 0x1000;  // _Gscan: a GC is looking at the stack
constexpr uint64_t kMaxGoroutines = 50'000'000;
constexpr size_t kMaxFrames = 100;
constexpr uint64_t kStackChunk = 8192;  // stack bytes read per goroutine in one batch
constexpr size_t kMergeGap = 512;       // g's this close are read as one range

template <typename T>
T load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

}  // namespace

GoroutineTableReader::GoroutineTableReader(const gobinary::GoBinary& binary,
                                           const gobinary::GoRuntimeLayout& layout, pid_t pid,
                                           uint64_t load_bias, ReadWindows windows)
    : binary_(binary), layout_(layout), memory_(pid), load_bias_(load_bias), windows_(windows) {
  windows_.gs = std::max<size_t>(windows_.gs, 1);
  windows_.stack_bytes = std::max(windows_.stack_bytes, kStackChunk);  // one stack top fits
  for (uint32_t status = 0; status < layout_.status_names.size() && status < 32; ++status) {
    const auto& name = layout_.status_names[status];
    if (name == "dead" || name == "waiting for cgo callback") dead_statuses_ |= 1U << status;
    if (name == "leaked") leaked_status_ = status;
  }
}

bool LiveGoroutine::blocked() const {
  return status == kGoStatusWaiting || status == kGoStatusSyscall || leaked;
}

std::string_view GoroutineTableReader::status_name(uint32_t status) const {
  if (status < layout_.status_names.size() && !layout_.status_names[status].empty()) {
    return layout_.status_names[status];
  }
  return "unknown";
}

std::string_view GoroutineTableReader::wait_reason_name(uint8_t reason) const {
  if (reason < layout_.wait_reason_names.size()) return layout_.wait_reason_names[reason];
  return {};
}

Result<GoroutineTableReader::TableHeader> GoroutineTableReader::table_at(uint64_t address) const {
  uint64_t slice[3] = {};
  auto status = memory_.read(address, std::span(reinterpret_cast<uint8_t*>(slice), sizeof slice));
  if (!status) return status.error();
  if (slice[0] == 0 || slice[1] == 0 || slice[1] > slice[2] || slice[2] > kMaxGoroutines) {
    return Error{fmt::format("{:#x} is not a slice of goroutines (len {}, cap {})", address,
                             slice[1], slice[2])};
  }
  return TableHeader{slice[0], slice[1]};
}

Result<std::span<const uint64_t>> GoroutineTableReader::g_pointers(const TableHeader& header) {
  pointers_.resize(header.length);
  auto status = memory_.read(header.array, std::span(reinterpret_cast<uint8_t*>(pointers_.data()),
                                                     pointers_.size() * sizeof(uint64_t)));
  if (!status) return status.error();
  return std::span<const uint64_t>(pointers_);
}

Status GoroutineTableReader::verify() {
  std::string why = "no candidate";
  for (uint64_t candidate : layout_.allgs_candidates) {
    auto header = table_at(candidate + load_bias_);
    if (!header) {
      why = header.error().message;
      continue;
    }
    auto pointers = g_pointers(*header);
    if (!pointers) {
      why = pointers.error().message;
      continue;
    }
    std::vector<uint8_t> g(layout_.g_read_size());
    bool good = true;
    size_t checked = 0;
    for (size_t i = 0; i < pointers->size() && checked < 64 && good; ++i) {
      if (!memory_.read((*pointers)[i], g)) {
        why = fmt::format("allgs[{}] at {:#x} is unreadable", i, (*pointers)[i]);
        good = false;
        break;
      }
      uint32_t status = load<uint32_t>(&g[layout_.g_atomicstatus]) & ~kScanBit;
      auto goid = load<uint64_t>(&g[layout_.g_goid]);
      if (status >= layout_.status_names.size()) {
        why = fmt::format("allgs[{}] has status {}, not one of the runtime's {}", i, status,
                          layout_.status_names.size());
        good = false;
      } else if (i == 0 && goid != 1) {
        why = fmt::format("allgs[0] has goid {}, expected 1 (the main goroutine)", goid);
        good = false;
      } else if (!is_dead(status) && i > 0) {
        auto gopc = load<uint64_t>(&g[layout_.g_gopc]) - load_bias_;
        auto startpc = load<uint64_t>(&g[layout_.g_startpc]) - load_bias_;
        if (!binary_.function_name_at(gopc)) {
          why = fmt::format("goroutine {}: gopc {:#x} is not in a function", goid, gopc);
          good = false;
        } else if (binary_.function_entry_at(startpc) != startpc) {
          why = fmt::format("goroutine {}: startpc {:#x} is not a function's entry", goid, startpc);
          good = false;
        }
        ++checked;
      }
    }
    if (good) {
      allgs_ = candidate;
      return Ok{};
    }
  }
  return Error{fmt::format("cannot verify the runtime.g layout ({}) of {}: {}", layout_.source,
                           binary_.path(), why)};
}

Result<std::span<const LiveGoroutine>> GoroutineTableReader::read() {
  if (allgs_ == 0) {
    auto verified = verify();
    if (!verified) return verified.error();
  }
  auto header = table_at(allgs_ + load_bias_);
  if (!header) return header.error();
  auto pointers = g_pointers(*header);
  if (!pointers) return pointers.error();

  const size_t g_size = layout_.g_read_size();
  uint8_t* gs = g_buffer_.at_least(std::min(pointers->size(), windows_.gs) * g_size);
  goroutines_.clear();
  goroutines_.reserve(pointers->size());
  dead_.clear();
  dead_links_.clear();
  for (auto* column : {&resume_, &fp_}) {
    column->clear();
    column->reserve(pointers->size());
  }
  reuse_.clear();
  reuse_.reserve(pointers->size());
  known_.resize(pointers->size());  // allgs only grows
  ++reads_;
  for (size_t first = 0; first < pointers->size(); first += windows_.gs) {
    const size_t count = std::min(windows_.gs, pointers->size() - first);
    pieces_.resize(count);
    for (size_t i = 0; i < count; ++i) {
      pieces_[i] = {(*pointers)[first + i], gs + i * g_size, g_size};
    }
    memory_.read_many(pieces_, kMergeGap);
    for (size_t i = 0; i < count; ++i) {
      if (pieces_[i].ok) add_goroutine(pieces_[i].data, first + i);
    }
  }
  walk_stacks(goroutines_, resume_, fp_);
  if (!dead_.empty() && layout_.has_free_lists()) {
    free_lists_.resize(dead_.size());
    // A list that cannot be read leaves the dead's lists unknown; the snapshot goes on.
    (void)free_list_walker_.mark(memory_, layout_, load_bias_, dead_links_, free_lists_);
    for (size_t i = 0; i < dead_.size(); ++i) dead_[i].free_list = free_lists_[i];
  }
  return std::span<const LiveGoroutine>(goroutines_);
}

void GoroutineTableReader::add_goroutine(const uint8_t* g, size_t slot) {
  LiveGoroutine goroutine;
  goroutine.status = load<uint32_t>(g + layout_.g_atomicstatus) & ~kScanBit;
  if (is_dead(goroutine.status)) {
    add_dead(g, slot);
    return;
  }
  goroutine.slot = static_cast<uint32_t>(slot);  // allglen is at most kMaxGoroutines
  goroutine.leaked = goroutine.status == leaked_status_;
  goroutine.in_bubble = layout_.g_bubble != 0 && load<uint64_t>(g + layout_.g_bubble) != 0;
  goroutine.goid = load<uint64_t>(g + layout_.g_goid);
  goroutine.wait_reason = g[layout_.g_waitreason];
  goroutine.waitsince = load<int64_t>(g + layout_.g_waitsince);
  goroutine.has_park_count = layout_.g_tracking_seq != 0;
  if (goroutine.has_park_count) goroutine.park_count = g[layout_.g_tracking_seq];
  goroutine.gopc = load<uint64_t>(g + layout_.g_gopc) - load_bias_;
  goroutine.startpc = load<uint64_t>(g + layout_.g_startpc) - load_bias_;
  goroutine.locked_to_thread = load<uint64_t>(g + layout_.g_lockedm) != 0;
  goroutine.stack_unavailable = goroutine.status == kGoStatusRunning;
  auto pc = load<uint64_t>(g + layout_.g_sched_pc);
  resume_.push_back(goroutine.stack_unavailable || pc == 0 ? 0 : pc - load_bias_);
  if (auto labels = load<uint64_t>(g + layout_.g_labels); labels != 0) {
    read_labels(labels, goroutine);
  }
  auto stack_lo = load<uint64_t>(g + layout_.g_stack_lo);
  auto stack_hi = load<uint64_t>(g + layout_.g_stack_lo + 8);
  auto g_sp = load<uint64_t>(g + layout_.g_sched_sp);
  auto g_bp = load<uint64_t>(g + layout_.g_sched_bp);
  // In a system call g.sched.bp is not saved (Go 1.19's save() keeps only pc and sp): walk
  // only a frame pointer that lies in this goroutine's stack above sp.
  bool walkable = !goroutine.stack_unavailable && g_sp >= stack_lo && g_sp < stack_hi &&
                  g_bp >= g_sp && g_bp < stack_hi;
  fp_.push_back(walkable ? g_bp : 0);
  // Unchanged since the last read (Go 1.20+, whose g counts parks): its frames are as read then.
  KnownStack& known = known_[slot];
  const StackKey key{goroutine.goid, g_sp, g_bp, pc, stack_hi, goroutine.park_count};
  reuse_.push_back(walkable && goroutine.has_park_count && known.read != 0 &&
                   known.read + 1 == reads_ && known.key == key);
  known.key = key;
  known.read = reads_;
  goroutines_.push_back(std::move(goroutine));
}

void GoroutineTableReader::add_dead(const uint8_t* g, size_t slot) {
  // gdestroy leaves gopc, startpc and the stack in place; a GC frees the stacks of the global
  // free list (stack.lo = stack.hi = 0), newproc overwrites the rest when it reuses the g.
  const auto stack_lo = load<uint64_t>(g + layout_.g_stack_lo);
  const auto stack_hi = load<uint64_t>(g + layout_.g_stack_lo + 8);
  const auto gopc = load<uint64_t>(g + layout_.g_gopc);
  const auto startpc = load<uint64_t>(g + layout_.g_startpc);
  dead_.push_back(DeadGoroutine{
      .goid = load<uint64_t>(g + layout_.g_goid),
      .gopc = gopc != 0 ? gopc - load_bias_ : 0,
      .startpc = startpc != 0 ? startpc - load_bias_ : 0,
      .stack_bytes = stack_lo != 0 && stack_hi > stack_lo ? stack_hi - stack_lo : 0,
      .g_bytes = layout_.g_size,
      .slot = static_cast<uint32_t>(slot),  // allglen is at most kMaxGoroutines
  });
  dead_links_.push_back(
      DeadLink{.g = pointers_[slot],
               .next = layout_.g_schedlink != 0 ? load<uint64_t>(g + layout_.g_schedlink) : 0});
}

void GoroutineTableReader::walk_stacks(std::vector<LiveGoroutine>& goroutines,
                                       const std::vector<uint64_t>& resume,
                                       const std::vector<uint64_t>& first_fp) {
  // A goroutine that has not run since the last read (its park count, saved registers and
  // stack as they were; Go 1.20+, whose g counts parks) has the frames read then: a leak's
  // goroutines stay parked, and reading 640,000 stacks is most of a snapshot.
  std::swap(pc_storage_, previous_pcs_);
  const auto& reuse = reuse_;
  // Batches read the top of every other stack from its first frame pointer (the walk reads
  // nothing below it: the leaf's locals stay unread); frames beyond it are read one by one.
  // A batch fills the stack window and is walked before the next is read into it.
  uint8_t* stacks = stack_buffer_.at_least(windows_.stack_bytes);
  auto& pieces = stack_pieces_;
  auto& owner = stack_owner_;
  pc_storage_.clear();
  // Reserved generously: pages never written cost nothing, a reallocation copies them all.
  pc_storage_.reserve(std::max(previous_pcs_.size(), goroutines.size() * 8));
  auto& begin = pc_begin_;
  begin.resize(goroutines.size() + 1);
  for (size_t first = 0; first < goroutines.size();) {
    pieces.clear();
    owner.clear();
    size_t bytes = 0, last = first;
    for (; last < goroutines.size(); ++last) {
      if (first_fp[last] == 0 || reuse[last] != 0) continue;
      const uint64_t stack_hi = known_[goroutines[last].slot].key.stack_hi;
      const uint64_t size = std::min(stack_hi - first_fp[last], kStackChunk);
      if (bytes + size > windows_.stack_bytes) break;
      pieces.push_back({first_fp[last], stacks + bytes, size});
      owner.push_back(last);
      bytes += size;
    }
    memory_.read_many(pieces);  // stack tops are kilobytes apart: merging would copy the gaps
    size_t p = 0;               // pieces are in goroutine order
    for (size_t i = first; i < last; ++i) {
      begin[i] = pc_storage_.size();
      if (reuse[i] != 0) {
        const KnownStack& known = known_[goroutines[i].slot];
        auto from = previous_pcs_.begin() + known.begin;
        pc_storage_.insert(pc_storage_.end(), from, from + known.count);
        continue;
      }
      if (resume[i] != 0) pc_storage_.push_back(resume[i]);
      if (p == pieces.size() || owner[p] != i) continue;
      walk_frames(pieces[p++], known_[goroutines[i].slot].key.stack_hi, begin[i]);
    }
    first = last;
  }
  begin[goroutines.size()] = pc_storage_.size();
  for (size_t i = 0; i < goroutines.size(); ++i) {
    KnownStack& known = known_[goroutines[i].slot];
    known.begin = static_cast<uint32_t>(begin[i]);  // 2^32 pcs would be 32 GB
    known.count = static_cast<uint32_t>(begin[i + 1] - begin[i]);
    goroutines[i].pcs = std::span(pc_storage_).subspan(begin[i], known.count);
  }
}

void GoroutineTableReader::walk_frames(const ProcessMemory::Piece& top, uint64_t stack_hi,
                                       size_t begin) {
  if (!top.ok) return;
  const uint64_t base = top.address, end = top.address + top.size;
  auto word = [&](uint64_t address, uint64_t& value) {
    if (address >= base && address + 8 <= end) {
      value = load<uint64_t>(top.data + (address - base));
      return true;
    }
    auto read = memory_.read_value<uint64_t>(address);
    if (!read) return false;
    value = *read;
    return true;
  };
  uint64_t fp = base;
  while (fp != 0 && fp >= base && fp + 16 <= stack_hi && pc_storage_.size() - begin < kMaxFrames) {
    uint64_t next = 0, ret = 0;
    if (!word(fp, next) || !word(fp + 8, ret) || ret == 0) break;
    pc_storage_.push_back(ret - load_bias_);
    if (next <= fp) break;  // frames only go up the stack
    fp = next;
  }
}

std::string GoroutineTableReader::read_go_string(uint64_t pointer, uint64_t length) const {
  if (pointer == 0 || length == 0 || length > 4096) return {};
  std::string text(length, '\0');
  if (!memory_.read(pointer, std::span(reinterpret_cast<uint8_t*>(text.data()), text.size()))) {
    return {};
  }
  return text;
}

void GoroutineTableReader::read_labels(uint64_t labels, LiveGoroutine& goroutine) const {
  // runtime/pprof's labelMap is a map[string]string until Go 1.23 (hmap with 8-slot buckets);
  // from Go 1.24 it is a struct holding a sorted []label.Label{Key, Value string}, so the swiss
  // tables Go 1.24 brought to maps never hold labels.
  auto [major, minor] = binary_.go_release();
  if (major != 1) return;
  if (minor >= 24) {
    uint64_t slice[3] = {};  // labelMap -> label.Set{List: array, len, cap}
    if (!memory_.read(labels, std::span(reinterpret_cast<uint8_t*>(slice), sizeof slice))) return;
    if (slice[0] == 0 || slice[1] == 0 || slice[1] > slice[2] || slice[1] > 64) return;
    std::vector<uint8_t> list(slice[1] * 32);
    if (!memory_.read(slice[0], list)) return;
    for (size_t i = 0; i < slice[1]; ++i) {
      const uint8_t* label = list.data() + i * 32;
      goroutine.labels.emplace_back(
          read_go_string(load<uint64_t>(label), load<uint64_t>(label + 8)),
          read_go_string(load<uint64_t>(label + 16), load<uint64_t>(label + 24)));
    }
    return;
  }
  auto map = memory_.read_value<uint64_t>(labels);  // *labelMap -> *hmap
  if (!map || *map == 0) return;
  uint8_t hmap[48];
  if (!memory_.read(*map, hmap)) return;
  auto count = load<uint64_t>(hmap);
  uint8_t log_buckets = hmap[9];
  auto buckets = load<uint64_t>(hmap + 16);
  auto old_buckets = load<uint64_t>(hmap + 24);
  if (count == 0 || count > 64 || log_buckets > 4 || buckets == 0 || old_buckets != 0) return;
  constexpr size_t kBucketSize = 8 + 8 * 16 + 8 * 16 + 8;  // tophash, keys, values, overflow
  for (uint64_t b = 0; b < (1ULL << log_buckets); ++b) {
    uint64_t bucket = buckets + b * kBucketSize;
    for (int chain = 0; bucket != 0 && chain < 8; ++chain) {
      uint8_t data[kBucketSize];
      if (!memory_.read(bucket, data)) return;
      for (int slot = 0; slot < 8; ++slot) {
        if (data[slot] < 5) continue;  // empty or evacuated (minTopHash is 5)
        const uint8_t* key = data + 8 + size_t{16} * slot;
        const uint8_t* value = data + 8 + 128 + size_t{16} * slot;
        goroutine.labels.emplace_back(
            read_go_string(load<uint64_t>(key), load<uint64_t>(key + 8)),
            read_go_string(load<uint64_t>(value), load<uint64_t>(value + 8)));
      }
      bucket = load<uint64_t>(data + kBucketSize - 8);
    }
  }
}

}  // namespace leakscan::trace
