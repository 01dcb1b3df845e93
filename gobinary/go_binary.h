// An unmodified Go executable read from disk: its Go version (.go.buildinfo), its functions and
// their source positions (.gopclntab, present even in stripped binaries), symbols (.symtab when
// not stripped) and the mapping from virtual addresses to file offsets that uprobes attach by.
#pragma once

#include <libelf.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analyzer/model/result.h"
#include "producer/source_frame.h"
#include "producer/symbol_cache.h"

namespace leakscan::gobinary {

struct AddressRange {
  uint64_t start = 0;
  uint64_t end = 0;
  bool contains(uint64_t address) const { return address >= start && address < end; }
};

class GoBinary {
 public:
  // Reads `path`; an error names the file and what is missing ("not a Go binary (no
  // .gopclntab)").
  static Result<std::unique_ptr<GoBinary>> open(const std::string& path);
  ~GoBinary();
  GoBinary(const GoBinary&) = delete;
  GoBinary& operator=(const GoBinary&) = delete;

  const std::string& path() const { return path_; }
  // "go1.19.8", from .go.buildinfo; empty when the binary has none.
  const std::string& go_version() const { return go_version_; }
  // (major, minor) of go_version(): {1, 19}.
  std::pair<int, int> go_release() const;
  bool has_symtab() const { return !symbols_.empty(); }
  // ET_DYN (-buildmode=pie): loaded at a bias the running process's mappings tell.
  bool position_independent() const { return position_independent_; }
  Elf* elf() const { return elf_; }

  // Entry address of a function by its Go name ("runtime.newproc1"), from .gopclntab.
  std::optional<AddressRange> function(std::string_view name) const;
  // The function containing `pc`.
  std::optional<std::string_view> function_name_at(uint64_t pc) const;
  std::optional<uint64_t> function_entry_at(uint64_t pc) const;
  // A data or text symbol's address from .symtab (absent in stripped binaries).
  std::optional<uint64_t> symbol(std::string_view name) const;
  // A section's address range ("" when missing).
  std::optional<AddressRange> section(std::string_view name) const;
  // File offset of a virtual address, through the PT_LOAD segments: uprobes attach by it.
  std::optional<uint64_t> file_offset(uint64_t address) const;
  // Bytes of the file at a virtual address (file-backed sections only).
  std::span<const uint8_t> bytes_at(uint64_t address, size_t size) const;

  // Source frames at `pc`, innermost first, pointing into the binary's .gopclntab (they live as
  // long as the GoBinary). A return address (every frame but a goroutine's
  // resumption point) is looked up at pc-1, inside its call instruction, as Go does.
  std::span<const SourceFrame> symbolize(uint64_t pc, bool return_address) const;

  // Addresses of every `CALL rel32` in [range) whose target is `target`: the return sites of a
  // call are instruction boundaries, where a uprobe reads the callee's result without a
  // uretprobe.
  std::vector<uint64_t> call_return_sites(AddressRange range, uint64_t target) const;

 private:
  GoBinary() = default;
  Status read_file();
  Status load_pclntab();
  std::optional<uint64_t> find_moduledata(AddressRange pclntab, uint64_t funcnametab) const;
  void load_symbols();
  void load_buildinfo();
  struct FuncInfo;
  const uint8_t* func_struct(size_t index) const;
  std::optional<size_t> func_index(uint64_t pc) const;
  int32_t pc_value(uint32_t table_offset, uint64_t entry, uint64_t target) const;
  std::string_view c_string(const uint8_t* base, size_t offset, size_t limit) const;
  void resolve(uint64_t pc, std::vector<SourceFrame>& out) const;

  std::string path_;
  int fd_ = -1;
  Elf* elf_ = nullptr;
  std::vector<uint8_t> data_;  // the whole file: pclntab lookups point into it
  std::string go_version_;

 public:
  struct Segment {  // a PT_LOAD program header
    uint64_t vaddr, memsz, offset, filesz;
  };
  std::span<const Segment> segments() const { return segments_; }

 private:
  std::vector<Segment> segments_;
  bool position_independent_ = false;
  std::unordered_map<std::string, AddressRange> sections_;
  std::unordered_map<std::string, uint64_t> symbols_;

  // .gopclntab (Go 1.18+ layout)
  const uint8_t* pcln_ = nullptr;
  size_t pcln_size_ = 0;
  uint32_t pcln_magic_ = 0;
  uint8_t min_lc_ = 1;
  uint64_t nfunc_ = 0;
  uint64_t text_start_ = 0;
  const uint8_t* funcnametab_ = nullptr;
  const uint8_t* cutab_ = nullptr;
  const uint8_t* filetab_ = nullptr;
  const uint8_t* pctab_ = nullptr;
  const uint8_t* pclntable_ = nullptr;
  uint64_t gofunc_ = 0;  // base address of funcdata (go.func.*), for inline trees
  std::unordered_map<std::string_view, size_t> by_name_;

  mutable SymbolCache symbolized_;
};

}  // namespace leakscan::gobinary
