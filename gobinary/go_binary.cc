#include "gobinary/go_binary.h"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace leakscan::gobinary {
namespace {

constexpr uint32_t kPclntabMagic118 = 0xfffffff0;  // Go 1.18, 1.19
constexpr uint32_t kPclntabMagic120 = 0xfffffff1;  // Go 1.20+
constexpr int kPcdataInlTreeIndex = 2;
constexpr int kFuncdataInlTree = 3;

template <typename T>
T load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

uint64_t read_uvarint(const uint8_t*& p, const uint8_t* end) {
  uint64_t value = 0;
  for (int shift = 0; p < end && shift < 64; shift += 7) {
    uint8_t byte = *p++;
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  return value;
}

}  // namespace

Result<std::unique_ptr<GoBinary>> GoBinary::open(const std::string& path) {
  std::unique_ptr<GoBinary> binary(new GoBinary());  // NOLINT: private constructor
  binary->path_ = path;
  auto status = binary->read_file();
  if (!status) return status.error();
  return binary;
}

GoBinary::~GoBinary() {
  if (elf_ != nullptr) elf_end(elf_);
  if (fd_ >= 0) ::close(fd_);
}

Status GoBinary::read_file() {
  elf_version(EV_CURRENT);
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return Error{fmt::format("{}: cannot open: {}", path_, std::strerror(errno))};
  off_t size = ::lseek(fd_, 0, SEEK_END);
  if (size <= 0) return Error{fmt::format("{}: empty file", path_)};
  data_.resize(static_cast<size_t>(size));
  if (::pread(fd_, data_.data(), data_.size(), 0) != size) {
    return Error{fmt::format("{}: cannot read", path_)};
  }
  elf_ = elf_memory(reinterpret_cast<char*>(data_.data()), data_.size());
  if (elf_ == nullptr || elf_kind(elf_) != ELF_K_ELF) {
    return Error{fmt::format("{}: not an ELF executable", path_)};
  }
  GElf_Ehdr ehdr;
  if (gelf_getehdr(elf_, &ehdr) == nullptr || ehdr.e_machine != EM_X86_64) {
    return Error{fmt::format("{}: not an x86-64 ELF executable", path_)};
  }
  position_independent_ = ehdr.e_type == ET_DYN;
  size_t phnum = 0;
  elf_getphdrnum(elf_, &phnum);
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf_, static_cast<int>(i), &phdr) != nullptr && phdr.p_type == PT_LOAD) {
      segments_.push_back({phdr.p_vaddr, phdr.p_memsz, phdr.p_offset, phdr.p_filesz});
    }
  }
  size_t shstrndx = 0;
  elf_getshdrstrndx(elf_, &shstrndx);
  for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn != nullptr; scn = elf_nextscn(elf_, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) continue;
    const char* name = elf_strptr(elf_, shstrndx, shdr.sh_name);
    if (name != nullptr) sections_[name] = {shdr.sh_addr, shdr.sh_addr + shdr.sh_size};
  }
  load_symbols();
  load_buildinfo();
  return load_pclntab();
}

void GoBinary::load_symbols() {
  for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn != nullptr; scn = elf_nextscn(elf_, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || shdr.sh_entsize == 0) continue;
    size_t count = shdr.sh_size / shdr.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
      const char* name = elf_strptr(elf_, shdr.sh_link, sym.st_name);
      if (name != nullptr && *name != '\0') symbols_.emplace(name, sym.st_value);
    }
  }
}

void GoBinary::load_buildinfo() {
  auto range = section(".go.buildinfo");
  if (!range) return;
  auto header = bytes_at(range->start, 32);
  static constexpr std::string_view kMagic = "\xff Go buildinf:";
  if (header.size() < 32 || std::memcmp(header.data(), kMagic.data(), kMagic.size()) != 0) return;
  uint8_t flags = header[15];
  if ((flags & 2) != 0) {  // Go 1.18+: version and module info inline, length-prefixed
    auto rest = bytes_at(range->start + 32, range->end - range->start - 32);
    const uint8_t* p = rest.data();
    uint64_t length = read_uvarint(p, rest.data() + rest.size());
    if (p + length <= rest.data() + rest.size()) {
      go_version_.assign(reinterpret_cast<const char*>(p), length);
    }
    return;
  }
  // Before 1.18: a pointer to a Go string header.
  auto header_ptr = load<uint64_t>(header.data() + 16);
  auto string_header = bytes_at(header_ptr, 16);
  if (string_header.size() < 16) return;
  auto text =
      bytes_at(load<uint64_t>(string_header.data()), load<uint64_t>(string_header.data() + 8));
  go_version_.assign(reinterpret_cast<const char*>(text.data()), text.size());
}

std::pair<int, int> GoBinary::go_release() const {
  int major = 0, minor = 0;
  std::sscanf(go_version_.c_str(), "go%d.%d", &major, &minor);
  return {major, minor};
}

// runtime.firstmoduledata: Go 1.26 and later give it a section (.go.module); before, it is found
// in .noptrdata by its first two words, the pclntab's address and its funcnametab's.
std::optional<uint64_t> GoBinary::find_moduledata(AddressRange pclntab,
                                                  uint64_t funcnametab) const {
  if (auto module = section(".go.module")) return module->start;
  auto noptrdata = section(".noptrdata");
  if (!noptrdata) return std::nullopt;
  auto bytes = bytes_at(noptrdata->start, noptrdata->end - noptrdata->start);
  for (size_t at = 0; at + 16 <= bytes.size(); at += 8) {
    if (load<uint64_t>(bytes.data() + at) == pclntab.start &&
        load<uint64_t>(bytes.data() + at + 8) == funcnametab) {
      return noptrdata->start + at;
    }
  }
  return std::nullopt;
}

Status GoBinary::load_pclntab() {
  // PIE binaries of Go before 1.26 keep the table among the relocated data.
  auto range = section(".gopclntab");
  if (!range) range = section(".data.rel.ro.gopclntab");
  if (!range) return Error{fmt::format("{}: not a Go binary (no .gopclntab)", path_)};
  auto table = bytes_at(range->start, range->end - range->start);
  if (table.size() < 72) return Error{fmt::format("{}: .gopclntab truncated", path_)};
  pcln_ = table.data();
  pcln_size_ = table.size();
  pcln_magic_ = load<uint32_t>(pcln_);
  if (pcln_magic_ != kPclntabMagic118 && pcln_magic_ != kPclntabMagic120) {
    return Error{fmt::format("{}: .gopclntab magic {:#x}: only Go 1.18 and later are supported",
                             path_, pcln_magic_)};
  }
  min_lc_ = pcln_[6];
  if (pcln_[7] != 8) return Error{fmt::format("{}: not a 64-bit Go binary", path_)};
  nfunc_ = load<uint64_t>(pcln_ + 8);
  text_start_ = load<uint64_t>(pcln_ + 24);
  auto offset = [&](int field) { return load<uint64_t>(pcln_ + 32 + size_t{8} * field); };
  if (offset(4) >= pcln_size_) return Error{fmt::format("{}: .gopclntab corrupt", path_)};
  funcnametab_ = pcln_ + offset(0);
  cutab_ = pcln_ + offset(1);
  filetab_ = pcln_ + offset(2);
  pctab_ = pcln_ + offset(3);
  pclntable_ = pcln_ + offset(4);
  auto moduledata = find_moduledata(*range, range->start + offset(0));
  auto module_word = [&](size_t at) -> std::optional<uint64_t> {
    if (!moduledata) return std::nullopt;
    auto word = bytes_at(*moduledata + at, 8);
    if (word.size() != 8) return std::nullopt;
    return load<uint64_t>(word.data());
  };
  // Go 1.26 leaves pcHeader.textStart zero in the file: moduledata.text has it (after
  // pcHeader, five slices, ftab, findfunctab, minpc and maxpc). cgo binaries start .text with C
  // code, so the section's address is only the last resort.
  if (text_start_ == 0) text_start_ = module_word(176).value_or(0);
  if (text_start_ == 0) {
    if (auto text = symbol("runtime.text")) {
      text_start_ = *text;
    } else if (auto section_text = section(".text")) {
      text_start_ = section_text->start;
    }
  }
  if (text_start_ == 0) return Error{fmt::format("{}: no text start for .gopclntab", path_)};
  by_name_.reserve(nfunc_);
  for (size_t i = 0; i < nfunc_; ++i) {
    const uint8_t* fn = func_struct(i);
    if (fn == nullptr) continue;
    by_name_.emplace(c_string(funcnametab_, load<int32_t>(fn + 4), pcln_size_), i);
  }
  // funcdata offsets are relative to go.func.*; stripped binaries name it only in moduledata:
  // its gofunc field moved as releases added fields before it (covctrs in 1.20, three more
  // words in 1.27).
  if (auto gofunc = symbol(pcln_magic_ == kPclntabMagic118 ? "go.func.*" : "go:func.*")) {
    gofunc_ = *gofunc;
  } else {
    auto [major, minor] = go_release();
    size_t gofunc_offset = (major == 1 && minor < 20)   ? 304
                           : (major == 1 && minor < 27) ? 320
                                                        : 344;
    gofunc_ = module_word(gofunc_offset).value_or(0);
  }
  return Ok{};
}

const uint8_t* GoBinary::func_struct(size_t index) const {
  const uint8_t* ftab = pclntable_ + 8 * index;
  if (ftab + 8 > pcln_ + pcln_size_) return nullptr;
  auto func_offset = load<uint32_t>(ftab + 4);
  if (pclntable_ + func_offset + 48 > pcln_ + pcln_size_) return nullptr;
  return pclntable_ + func_offset;
}

std::string_view GoBinary::c_string(const uint8_t* base, size_t offset, size_t limit) const {
  const uint8_t* start = base + offset;
  const uint8_t* end = pcln_ + std::min(pcln_size_, static_cast<size_t>(base - pcln_) + limit);
  if (start >= end) return {};
  const void* nul = std::memchr(start, 0, static_cast<size_t>(end - start));
  size_t length = nul == nullptr ? static_cast<size_t>(end - start)
                                 : static_cast<size_t>(static_cast<const uint8_t*>(nul) - start);
  return {reinterpret_cast<const char*>(start), length};
}

std::optional<size_t> GoBinary::func_index(uint64_t pc) const {
  if (nfunc_ == 0 || pc < text_start_) return std::nullopt;
  uint64_t offset = pc - text_start_;
  // ftab holds nfunc+1 entries; the last is the end of text.
  size_t lo = 0, hi = nfunc_;
  if (offset >= load<uint32_t>(pclntable_ + 8 * nfunc_)) return std::nullopt;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (load<uint32_t>(pclntable_ + 8 * mid) <= offset) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

std::optional<AddressRange> GoBinary::function(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  uint64_t start = text_start_ + load<uint32_t>(pclntable_ + 8 * it->second);
  uint64_t end = text_start_ + load<uint32_t>(pclntable_ + 8 * (it->second + 1));
  return AddressRange{start, end};
}

std::optional<std::string_view> GoBinary::function_name_at(uint64_t pc) const {
  auto index = func_index(pc);
  if (!index) return std::nullopt;
  const uint8_t* fn = func_struct(*index);
  if (fn == nullptr) return std::nullopt;
  return c_string(funcnametab_, load<int32_t>(fn + 4), pcln_size_);
}

std::optional<uint64_t> GoBinary::function_entry_at(uint64_t pc) const {
  auto index = func_index(pc);
  if (!index) return std::nullopt;
  return text_start_ + load<uint32_t>(pclntable_ + 8 * *index);
}

std::optional<uint64_t> GoBinary::symbol(std::string_view name) const {
  auto it = symbols_.find(std::string(name));
  if (it == symbols_.end()) return std::nullopt;
  return it->second;
}

std::optional<AddressRange> GoBinary::section(std::string_view name) const {
  auto it = sections_.find(std::string(name));
  if (it == sections_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> GoBinary::file_offset(uint64_t address) const {
  for (const auto& segment : segments_) {
    if (address >= segment.vaddr && address < segment.vaddr + segment.filesz) {
      return address - segment.vaddr + segment.offset;
    }
  }
  return std::nullopt;
}

std::span<const uint8_t> GoBinary::bytes_at(uint64_t address, size_t size) const {
  for (const auto& segment : segments_) {
    if (address >= segment.vaddr && address < segment.vaddr + segment.filesz) {
      uint64_t offset = address - segment.vaddr + segment.offset;
      size_t available = segment.vaddr + segment.filesz - address;
      if (offset >= data_.size()) return {};
      return {data_.data() + offset, std::min({size, available, data_.size() - offset})};
    }
  }
  return {};
}

int32_t GoBinary::pc_value(uint32_t table_offset, uint64_t entry, uint64_t target) const {
  if (table_offset == 0) return -1;
  const uint8_t* p = pctab_ + table_offset;
  const uint8_t* end = pcln_ + pcln_size_;
  if (p >= end) return -1;
  int32_t value = -1;
  uint64_t pc = entry;
  for (bool first = true;; first = false) {
    uint64_t uvdelta = read_uvarint(p, end);
    if (uvdelta == 0 && !first) return -1;
    int64_t vdelta = (uvdelta & 1) != 0 ? ~static_cast<int64_t>(uvdelta >> 1)
                                        : static_cast<int64_t>(uvdelta >> 1);
    value += static_cast<int32_t>(vdelta);
    pc += read_uvarint(p, end) * min_lc_;
    if (target < pc) return value;
    if (p >= end) return -1;
  }
}

void GoBinary::resolve(uint64_t pc, std::vector<SourceFrame>& out) const {
  auto index = func_index(pc);
  if (!index) return;
  const uint8_t* fn = func_struct(*index);
  if (fn == nullptr) return;
  const bool go120 = pcln_magic_ == kPclntabMagic120;
  uint64_t entry = text_start_ + load<uint32_t>(fn);
  auto pcfile = load<uint32_t>(fn + 20);
  auto pcln = load<uint32_t>(fn + 24);
  auto npcdata = load<uint32_t>(fn + 28);
  auto cu_offset = load<uint32_t>(fn + 32);
  const size_t header = go120 ? 44 : 40;
  uint8_t nfuncdata = fn[header - 1];
  auto position = [&](uint64_t at, SourceFrame& frame) {
    int32_t file_index = pc_value(pcfile, entry, at);
    frame.line = pc_value(pcln, entry, at);
    if (file_index >= 0) {
      auto file_offset = load<uint32_t>(cutab_ + size_t{4} * (cu_offset + file_index));
      if (file_offset != UINT32_MAX) frame.file = c_string(filetab_, file_offset, pcln_size_);
    }
  };
  // Inlined calls: the pc's inline-tree index names the innermost inlined function; its
  // parentPc is an instruction of the caller positioned at the call site.
  uint32_t tree_offset = UINT32_MAX;
  if (npcdata > kPcdataInlTreeIndex && nfuncdata > kFuncdataInlTree && gofunc_ != 0) {
    tree_offset = load<uint32_t>(fn + header + size_t{4} * npcdata + size_t{4} * kFuncdataInlTree);
  }
  uint64_t at = pc;
  if (tree_offset != UINT32_MAX) {
    auto inl_table = load<uint32_t>(fn + header + size_t{4} * kPcdataInlTreeIndex);
    const size_t entry_size = go120 ? 16 : 20;
    for (int depth = 0; depth < 64; ++depth) {
      int32_t ix = pc_value(inl_table, entry, at);
      if (ix < 0) break;
      auto record =
          bytes_at(gofunc_ + tree_offset + entry_size * static_cast<uint64_t>(ix), entry_size);
      if (record.size() != entry_size) break;
      int32_t name_offset =
          go120 ? load<int32_t>(record.data() + 4) : load<int32_t>(record.data() + 12);
      int32_t parent_pc =
          go120 ? load<int32_t>(record.data() + 8) : load<int32_t>(record.data() + 16);
      SourceFrame frame;
      frame.function = c_string(funcnametab_, name_offset, pcln_size_);
      position(at, frame);
      out.push_back(frame);
      at = entry + static_cast<uint32_t>(parent_pc);
    }
  }
  SourceFrame outer;
  outer.function = c_string(funcnametab_, load<int32_t>(fn + 4), pcln_size_);
  position(at, outer);
  out.push_back(outer);
}

std::span<const SourceFrame> GoBinary::symbolize(uint64_t pc, bool return_address) const {
  uint64_t lookup = return_address ? pc - 1 : pc;
  return symbolized_.frames(lookup, [this](uint64_t at, StringPool& /*names*/,
                                           std::vector<SourceFrame>& out) { resolve(at, out); });
}

std::vector<uint64_t> GoBinary::call_return_sites(AddressRange range, uint64_t target) const {
  std::vector<uint64_t> sites;
  auto code = bytes_at(range.start, range.end - range.start);
  for (size_t i = 0; i + 5 <= code.size(); ++i) {
    if (code[i] != 0xe8) continue;  // CALL rel32
    uint64_t next = range.start + i + 5;
    if (next + static_cast<int64_t>(load<int32_t>(code.data() + i + 1)) == target) {
      sites.push_back(next);
    }
  }
  return sites;
}

}  // namespace leakscan::gobinary
