#include "agent/src/symbolizer.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace leakscan::agent {
namespace {

const Dwfl_Callbacks kCallbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = nullptr,
    .debuginfo_path = nullptr,
};

// libdw returns arrays of DIEs allocated with malloc, for the caller to free.
struct FreeDies {
  void operator()(Dwarf_Die* dies) const { std::free(dies); }  // NOLINT: libdw's allocation
};
using DieArray = std::unique_ptr<Dwarf_Die, FreeDies>;

// The DIEs that enclose `die`, itself first.
DieArray enclosing_scopes(Dwarf_Die* die, int& count) {
  Dwarf_Die* scopes = nullptr;
  count = dwarf_getscopes_die(die, &scopes);
  return DieArray(scopes);
}

std::string demangle(const char* name) {
  if (name == nullptr) return {};
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> demangled(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return without_parameters(status == 0 && demangled ? demangled.get() : name);
}

// The DIE that declares a function: through an inlined or out-of-line instance's abstract
// origin, then a definition's specification.
Dwarf_Die declaration(Dwarf_Die* die) {
  Dwarf_Die current = *die;
  for (int hop = 0; hop < 4; ++hop) {
    Dwarf_Attribute attribute;
    Dwarf_Die next;
    if ((dwarf_attr(&current, DW_AT_abstract_origin, &attribute) != nullptr ||
         dwarf_attr(&current, DW_AT_specification, &attribute) != nullptr) &&
        dwarf_formref_die(&attribute, &next) != nullptr) {
      current = next;
    } else {
      break;
    }
  }
  return current;
}

// The name of a declaration qualified by the namespaces, classes and functions that enclose
// it: "ns::Class::method", "ns::f()::{lambda}::operator()". `depth` bounds the recursion
// through enclosing functions' own declarations.
std::string qualified_name(Dwarf_Die* die, int depth) {
  Dwarf_Die declared = declaration(die);
  const char* plain = dwarf_diename(&declared);
  std::string name = plain ? plain : "";
  int count = 0;
  DieArray owned = enclosing_scopes(&declared, count);
  Dwarf_Die* scopes = owned.get();
  for (int i = 1; i < count; ++i) {
    int tag = dwarf_tag(&scopes[i]);
    const char* scope = dwarf_diename(&scopes[i]);
    if (tag == DW_TAG_namespace) {
      name = fmt::format("{}::{}", scope ? scope : "(anonymous namespace)", name);
    } else if (tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
               tag == DW_TAG_union_type) {
      // A class without a name is a lambda's closure.
      name = fmt::format("{}::{}", scope ? scope : "{lambda}", name);
    } else if (tag == DW_TAG_subprogram) {
      // A definition outside its class: the rest of the qualification is the declaration's.
      std::string function = depth > 0 ? qualified_name(&scopes[i], depth - 1) : "";
      if (function.empty() && scope != nullptr) function = scope;
      name = fmt::format("{}()::{}", function, name);
      break;
    }
  }
  return name;
}

std::string die_function_name(Dwarf_Die* die) {
  Dwarf_Attribute attribute;
  for (int name : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (dwarf_attr_integrate(die, name, &attribute) != nullptr) {
      return demangle(dwarf_formstring(&attribute));
    }
  }
  // No linkage name (GCC leaves it out of many inlined constructors, templates and lambdas).
  return qualified_name(die, 4);
}

bool call_site(Dwarf_Die* inlined, Dwarf_Die* cu, std::string& file, int64_t& line) {
  Dwarf_Attribute attribute;
  Dwarf_Word value = 0;
  if (dwarf_attr(inlined, DW_AT_call_line, &attribute) == nullptr ||
      dwarf_formudata(&attribute, &value) != 0) {
    return false;
  }
  line = static_cast<int64_t>(value);
  Dwarf_Files* files = nullptr;
  size_t count = 0;
  if (dwarf_attr(inlined, DW_AT_call_file, &attribute) != nullptr &&
      dwarf_formudata(&attribute, &value) == 0 && dwarf_getsrcfiles(cu, &files, &count) == 0 &&
      value < count) {
    const char* name = dwarf_filesrc(files, value, nullptr, nullptr);
    if (name != nullptr) file = name;
  }
  return true;
}

}  // namespace

std::string without_parameters(std::string name) {
  size_t clone = name.find(" [clone ");
  if (clone != std::string::npos) name.erase(clone);
  // Qualifiers after the parameter list: " const", " &", " &&", " volatile", " noexcept".
  std::string_view view = name;
  while (true) {
    bool trimmed = false;
    for (std::string_view suffix : {" const", " volatile", " &&", " &", " noexcept"}) {
      if (view.ends_with(suffix)) {
        view.remove_suffix(suffix.size());
        trimmed = true;
      }
    }
    if (!trimmed) break;
  }
  if (view.ends_with(')')) {
    int depth = 0;
    for (size_t i = view.size(); i-- > 0;) {
      if (view[i] == ')') ++depth;
      if (view[i] == '(' && --depth == 0) {
        // "operator()" keeps its own parentheses: what precedes the list ends in "operator()".
        view = view.substr(0, i);
        break;
      }
    }
  }
  // Function templates demangle with their return type first ("int ns::f<int>"): drop it.
  int depth = 0;
  for (size_t i = view.size(); i-- > 0;) {
    char c = view[i];
    if (c == ')' || c == '>' || c == '}') ++depth;
    if (c == '(' || c == '<' || c == '{') --depth;
    if (c == ' ' && depth == 0 && !view.substr(0, i).ends_with("operator")) {
      view.remove_prefix(i + 1);
      break;
    }
  }
  return std::string(view);
}

void Symbolizer::DwflDeleter::operator()(Dwfl* dwfl) const { dwfl_end(dwfl); }

Symbolizer::Symbolizer() { report_modules(); }
Symbolizer::~Symbolizer() = default;

void Symbolizer::report_modules() {
  dwfl_.reset(dwfl_begin(&kCallbacks));
  if (!dwfl_) return;
  if (dwfl_linux_proc_report(dwfl_.get(), getpid()) != 0 ||
      dwfl_report_end(dwfl_.get(), nullptr, nullptr) != 0) {
    dwfl_.reset();
  }
}

std::span<const SourceFrame> Symbolizer::frames(uintptr_t return_address) {
  return cache_.frames(return_address,
                       [this](uint64_t pc, StringPool& names, std::vector<SourceFrame>& out) {
                         lookup(pc, names, out);
                       });
}

void Symbolizer::lookup(uintptr_t return_address, StringPool& names,
                        std::vector<SourceFrame>& result) {
  // The call instruction precedes the return address; its line is the one that called.
  Dwarf_Addr pc = return_address - 1;
  Dwfl_Module* module = dwfl_ ? dwfl_addrmodule(dwfl_.get(), pc) : nullptr;
  if (module == nullptr && !reported_since_miss_) {
    // Perhaps a library loaded since: report the process's mappings again, once.
    reported_since_miss_ = true;
    report_modules();
    module = dwfl_ ? dwfl_addrmodule(dwfl_.get(), pc) : nullptr;
  }
  if (module == nullptr) {
    result.push_back({names.intern(fmt::format("0x{:x}", return_address)), "?", 0});
    return;
  }

  std::string file;
  int64_t line = 0;
  if (Dwfl_Line* source = dwfl_module_getsrc(module, pc); source != nullptr) {
    int lineno = 0;
    const char* name = dwfl_lineinfo(source, nullptr, &lineno, nullptr, nullptr, nullptr);
    if (name != nullptr) file = name;
    line = lineno;
  }

  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(module, pc, &bias);
  int count = 0;
  DieArray owned;
  // dwarf_getscopes stops at the innermost inlined call; the chain of calls that were inlined
  // into each other, up to the real function, comes from that DIE's own nesting.
  if (Dwarf_Die* innermost = nullptr;
      cu != nullptr && dwarf_getscopes(cu, pc - bias, &innermost) > 0) {
    DieArray at_pc(innermost);
    owned = enclosing_scopes(&at_pc.get()[0], count);
  }
  Dwarf_Die* scopes = owned.get();
  for (int i = 0; i < count; ++i) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
    result.push_back({names.intern(die_function_name(&scopes[i])), names.intern(file), line});
    if (tag == DW_TAG_subprogram) break;
    // The frame outside an inlined call is at the call's site.
    if (!call_site(&scopes[i], cu, file, line)) {
      file.clear();
      line = 0;
    }
  }
  if (result.empty() || result.back().function.empty()) {
    // No DWARF here: the ELF symbol, and the module for a file.
    GElf_Sym symbol;
    const char* name = dwfl_module_addrsym(module, pc, &symbol, nullptr);
    const char* module_name =
        dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    std::string function = name ? demangle(name) : fmt::format("0x{:x}", return_address);
    if (result.empty()) {
      result.push_back({names.intern(function),
                        names.intern(file.empty() && module_name ? module_name : file), line});
    } else {
      result.back().function = names.intern(function);
    }
  }
}

}  // namespace leakscan::agent
