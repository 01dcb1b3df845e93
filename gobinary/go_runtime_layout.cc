#include "gobinary/go_runtime_layout.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <string_view>

namespace leakscan::gobinary {
namespace {

using Members = std::map<std::string, uint64_t, std::less<>>;

// Field offsets by Go release, for binaries without DWARF (-ldflags=-w). The Go 1.19 row equals
// what DWARF gives for Debian's go1.19.8, and the 1.26–1.27 row what it gives for go1.26.8 and
// go1.27.3 (gobinary_tests compares each tested version's row with its DWARF); the other rows
// follow the fields each release added to runtime.g (tracking stamps in 1.20, parentGoid in 1.21,
// syscallbp in 1.23) and are used only when the attach-time check (bpf/,
// GoroutineTableReader::verify) confirms goid, status, gopc and startpc on live goroutines.
struct VersionOffsets {
  int minor_from, minor_to;
  uint32_t m, sched, atomicstatus, goid, waitsince, waitreason, lockedm, gopc, startpc, labels,
      m_curg;
  uint32_t gobuf_bp = 48;     // gobuf: sp, pc, g, ctxt, ret, lr, bp; 1.26 has no ret
  uint32_t bubble = 0;        // synctest's bubble pointer, 1.25+
  uint32_t tracking_seq = 0;  // g.trackingSeq, where verified against DWARF
  uint32_t g_size = 0;        // sizeof(runtime.g), where verified against DWARF
};
constexpr VersionOffsets kVersionTable[] = {
    {17, 19, 48, 56, 144, 152, 168, 176, 232, 296, 312, 360, 192, 48, 0, 189, 392},
    {20, 20, 48, 56, 144, 152, 168, 176, 248, 312, 328, 376, 192},
    {21, 22, 48, 56, 144, 152, 168, 176, 248, 312, 336, 384, 192},
    {23, 24, 48, 56, 152, 160, 176, 184, 256, 320, 344, 392, 192},
    {25, 25, 48, 56, 144, 152, 168, 176, 248, 312, 336, 384, 192},
    {26, 27, 48, 56, 144, 152, 168, 176, 208, 288, 304, 352, 184, 40, 392, 191, 456},
};

// A structure's members by name, and those of its structure-typed members as "outer.inner"
// (sched.gFree.stack is "gFree.stack" of runtime.schedt), `depth` levels down.
void collect_members(Dwarf_Die* type, Members& out, std::string_view prefix = {}, uint64_t base = 0,
                     int depth = 1) {
  Dwarf_Die member;
  if (dwarf_child(type, &member) != 0) return;
  do {
    if (dwarf_tag(&member) != DW_TAG_member) continue;
    const char* name = dwarf_diename(&member);
    Dwarf_Attribute attr;
    Dwarf_Word offset = 0;
    if (name == nullptr || dwarf_attr(&member, DW_AT_data_member_location, &attr) == nullptr ||
        dwarf_formudata(&attr, &offset) != 0) {
      continue;
    }
    const std::string full =
        prefix.empty() ? std::string(name) : fmt::format("{}.{}", prefix, name);
    out.emplace(full, base + offset);
    Dwarf_Die member_type, peeled;  // a named type may come as a typedef
    if (depth > 0 && dwarf_attr(&member, DW_AT_type, &attr) != nullptr &&
        dwarf_formref_die(&attr, &member_type) != nullptr &&
        dwarf_peel_type(&member_type, &peeled) == 0 &&
        dwarf_tag(&peeled) == DW_TAG_structure_type) {
      member_type = peeled;
      collect_members(&member_type, out, full, base + offset, depth - 1);
    }
  } while (dwarf_siblingof(&member, &member) == 0);
}

struct StructType {
  Members members;
  uint64_t size = 0;  // DW_AT_byte_size; 0 if absent
};

// The named structure types, from every compilation unit's top level.
std::map<std::string, StructType, std::less<>> dwarf_structs(
    Elf* elf, std::initializer_list<std::string_view> names) {
  std::map<std::string, StructType, std::less<>> found;
  Dwarf* dwarf = dwarf_begin_elf(elf, DWARF_C_READ, nullptr);
  if (dwarf == nullptr) return found;
  Dwarf_Off offset = 0, next = 0;
  size_t header_size = 0;
  while (found.size() < names.size() &&
         dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu, child;
    if (dwarf_offdie(dwarf, offset + header_size, &cu) != nullptr &&
        dwarf_child(&cu, &child) == 0) {
      do {
        if (dwarf_tag(&child) != DW_TAG_structure_type) continue;
        const char* name = dwarf_diename(&child);
        if (name == nullptr || found.contains(name)) continue;
        if (std::find(names.begin(), names.end(), std::string_view(name)) == names.end()) continue;
        StructType& type = found[name];
        collect_members(&child, type.members);
        Dwarf_Attribute attr;
        Dwarf_Word size = 0;
        if (dwarf_attr(&child, DW_AT_byte_size, &attr) != nullptr &&
            dwarf_formudata(&attr, &size) == 0) {
          type.size = size;
        }
      } while (dwarf_siblingof(&child, &child) == 0);
    }
    offset = next;
  }
  dwarf_end(dwarf);
  return found;
}

std::optional<uint32_t> member(const Members& members, std::string_view name) {
  auto it = members.find(name);
  if (it == members.end()) return std::nullopt;
  return static_cast<uint32_t>(it->second);
}

// Go 1.19's p.gFree is a struct embedding a gList, 1.26's a gList: either way its head is
// the field's first word. Missing any, the free lists stay unknown.
void free_lists_from_dwarf(const Members& g, const Members& p, const Members& sched,
                           GoRuntimeLayout& layout) {
  auto schedlink = member(g, "schedlink"), p_gfree = member(p, "gFree"),
       stack = member(sched, "gFree.stack"), no_stack = member(sched, "gFree.noStack");
  const bool head_first = member(p, "gFree.head") == p_gfree || member(p, "gFree.gList") == p_gfree;
  if (!schedlink || !p_gfree || !stack || !no_stack || !head_first) return;
  layout.g_schedlink = *schedlink;
  layout.p_gfree = *p_gfree;
  layout.sched_gfree_stack = *stack;
  layout.sched_gfree_nostack = *no_stack;
}

Status from_dwarf(const GoBinary& binary, GoRuntimeLayout& layout) {
  auto structs = dwarf_structs(
      binary.elf(), {"runtime.g", "runtime.m", "runtime.gobuf", "runtime.p", "runtime.schedt"});
  if (!structs.contains("runtime.g")) return Error{"no DWARF for runtime.g"};
  const Members& g = structs["runtime.g"].members;
  const Members& m = structs["runtime.m"].members;
  const Members& gobuf = structs["runtime.gobuf"].members;
  auto stack = member(g, "stack"), gm = member(g, "m"), sched = member(g, "sched"),
       status = member(g, "atomicstatus"), goid = member(g, "goid"),
       waitsince = member(g, "waitsince"), waitreason = member(g, "waitreason"),
       lockedm = member(g, "lockedm"), gopc = member(g, "gopc"), startpc = member(g, "startpc"),
       labels = member(g, "labels"), curg = member(m, "curg"), sp = member(gobuf, "sp"),
       pc = member(gobuf, "pc"), bp = member(gobuf, "bp");
  for (auto [field, value] : {std::pair{"g.stack", stack},
                              {"g.m", gm},
                              {"g.sched", sched},
                              {"g.atomicstatus", status},
                              {"g.goid", goid},
                              {"g.waitsince", waitsince},
                              {"g.waitreason", waitreason},
                              {"g.lockedm", lockedm},
                              {"g.gopc", gopc},
                              {"g.startpc", startpc},
                              {"g.labels", labels},
                              {"m.curg", curg},
                              {"gobuf.sp", sp},
                              {"gobuf.pc", pc},
                              {"gobuf.bp", bp}}) {
    if (!value) return Error{fmt::format("DWARF has no runtime {}", field)};
  }
  layout.g_stack_lo = *stack;
  layout.g_m = *gm;
  layout.g_sched_sp = *sched + *sp;
  layout.g_sched_pc = *sched + *pc;
  layout.g_sched_bp = *sched + *bp;
  layout.g_atomicstatus = *status;
  layout.g_goid = *goid;
  layout.g_waitsince = *waitsince;
  layout.g_waitreason = *waitreason;
  layout.g_lockedm = *lockedm;
  layout.g_gopc = *gopc;
  layout.g_startpc = *startpc;
  layout.g_labels = *labels;
  layout.m_curg = *curg;
  layout.g_bubble = member(g, "bubble").value_or(member(g, "syncGroup").value_or(0));
  layout.g_tracking_seq = member(g, "trackingSeq").value_or(0);
  layout.g_size = static_cast<uint32_t>(structs["runtime.g"].size);
  free_lists_from_dwarf(g, structs["runtime.p"].members, structs["runtime.schedt"].members, layout);
  layout.source = "DWARF";
  return Ok{};
}

Status from_table(const GoBinary& binary, GoRuntimeLayout& layout) {
  auto [major, minor] = binary.go_release();
  for (const auto& row : kVersionTable) {
    if (major != 1 || minor < row.minor_from || minor > row.minor_to) continue;
    layout.g_stack_lo = 0;
    layout.g_m = row.m;
    layout.g_sched_sp = row.sched;
    layout.g_sched_pc = row.sched + 8;
    layout.g_sched_bp = row.sched + row.gobuf_bp;
    layout.g_atomicstatus = row.atomicstatus;
    layout.g_goid = row.goid;
    layout.g_waitsince = row.waitsince;
    layout.g_waitreason = row.waitreason;
    layout.g_lockedm = row.lockedm;
    layout.g_gopc = row.gopc;
    layout.g_startpc = row.startpc;
    layout.g_labels = row.labels;
    layout.m_curg = row.m_curg;
    layout.g_bubble = row.bubble;
    layout.g_tracking_seq = row.tracking_seq;
    layout.g_size = row.g_size;
    layout.source = fmt::format("go1.{} table", minor);
    return Ok{};
  }
  return Error{
      fmt::format("no DWARF and no offset table for {} (known: go1.17 to go1.27)",
                  binary.go_version().empty() ? "an unknown Go version" : binary.go_version())};
}

template <typename T>
T load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

// A Go string at `header` in the file, if it is one: (pointer, length) into mapped data.
std::optional<std::string_view> go_string(const GoBinary& binary, const uint8_t* header) {
  auto pointer = load<uint64_t>(header), length = load<uint64_t>(header + 8);
  if (pointer == 0 && length == 0) return std::string_view();
  if (length == 0 || length > 256) return std::nullopt;
  auto bytes = binary.bytes_at(pointer, length);
  if (bytes.size() != length) return std::nullopt;
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (std::any_of(text.begin(), text.end(), [](char c) { return c < 0x20 || c > 0x7e; })) {
    return std::nullopt;
  }
  return text;
}

// A `[...]string` array in .data: by its symbol when there is a symbol table, else by content
// (entries 1 and 2 are known words). Reads at most `limit` entries, stopping at one that is not
// a string.
std::vector<std::string> string_array(const GoBinary& binary, std::string_view symbol,
                                      std::string_view first, std::string_view second,
                                      size_t limit) {
  std::vector<std::string> names;
  auto data = binary.section(".data");
  if (!data) return names;
  auto bytes = binary.bytes_at(data->start, data->end - data->start);
  std::optional<size_t> start;
  if (auto address = binary.symbol(symbol); address && data->contains(*address)) {
    start = *address - data->start;
  } else {
    for (size_t at = 0; at + 48 <= bytes.size(); at += 8) {
      auto a = go_string(binary, bytes.data() + at + 16);
      if (!a || *a != first) continue;
      auto b = go_string(binary, bytes.data() + at + 32);
      if (b && *b == second) {
        start = at;
        break;
      }
    }
  }
  if (!start) return names;
  for (size_t at = *start; at + 16 <= bytes.size() && names.size() < limit; at += 16) {
    auto text = go_string(binary, bytes.data() + at);
    if (!text || (text->empty() && names.size() > 8)) break;
    names.emplace_back(*text);
  }
  return names;
}

// RIP-relative memory operands (`MOV`/`LEA`/`MOV store` with a REX.W prefix) of a function:
// in runtime.allgadd they are allgs, allgptr, allglen and the lock.
std::vector<uint64_t> rip_relative_targets(const GoBinary& binary, AddressRange function,
                                           AddressRange within) {
  std::vector<uint64_t> targets;
  auto code = binary.bytes_at(function.start, function.end - function.start);
  for (size_t i = 0; i + 7 <= code.size(); ++i) {
    bool rex_w = (code[i] & 0xf8) == 0x48;
    bool opcode = code[i + 1] == 0x8b || code[i + 1] == 0x8d || code[i + 1] == 0x89;
    bool rip = (code[i + 2] & 0xc7) == 0x05;
    if (!rex_w || !opcode || !rip) continue;
    uint64_t target = function.start + i + 7 + static_cast<int64_t>(load<int32_t>(&code[i + 3]));
    if (within.contains(target) &&
        std::find(targets.begin(), targets.end(), target) == targets.end()) {
      targets.push_back(target);
    }
  }
  return targets;
}

}  // namespace

uint32_t GoRuntimeLayout::g_read_size() const {
  uint32_t end = std::max({g_stack_lo + 16, g_m + 8, g_sched_sp + 8, g_sched_pc + 8, g_sched_bp + 8,
                           g_atomicstatus + 4, g_goid + 8, g_waitsince + 8, g_waitreason + 1,
                           g_lockedm + 8, g_gopc + 8, g_startpc + 8, g_labels + 8, g_bubble + 8,
                           g_tracking_seq + 1, g_schedlink + 8});
  return (end + 7) & ~7U;
}

Result<GoRuntimeLayout> read_runtime_layout(const GoBinary& binary) {
  GoRuntimeLayout layout;
  auto dwarf = from_dwarf(binary, layout);
  if (!dwarf) {
    auto table = from_table(binary, layout);
    if (!table) return Error{fmt::format("{}: {}", binary.path(), table.error().message)};
  }
  layout.status_names = string_array(binary, "runtime.gStatusStrings", "runnable", "running", 16);
  layout.wait_reason_names =
      string_array(binary, "runtime.waitReasonStrings", "GC assist marking", "IO wait", 64);
  if (layout.status_names.size() < 5) {
    return Error{fmt::format("{}: runtime.gStatusStrings not found", binary.path())};
  }
  if (layout.wait_reason_names.size() < 10) {
    return Error{fmt::format("{}: runtime.waitReasonStrings not found", binary.path())};
  }
  if (layout.g_schedlink != 0) {
    layout.sched = binary.symbol("runtime.sched").value_or(0);
    layout.allp = binary.symbol("runtime.allp").value_or(0);
  }
  if (auto allgs = binary.symbol("runtime.allgs")) {
    layout.allgs_candidates.push_back(*allgs);
  } else {
    auto allgadd = binary.function("runtime.allgadd");
    auto bss = binary.section(".bss");
    if (!allgadd || !bss) {
      return Error{fmt::format("{}: runtime.allgadd or .bss not found", binary.path())};
    }
    layout.allgs_candidates = rip_relative_targets(binary, *allgadd, *bss);
    if (layout.allgs_candidates.empty()) {
      return Error{fmt::format("{}: runtime.allgs not found in runtime.allgadd", binary.path())};
    }
  }
  return layout;
}

}  // namespace leakscan::gobinary
