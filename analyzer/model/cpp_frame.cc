#include "analyzer/model/cpp_frame.h"

namespace leakscan {

bool is_cpp_frame(const Frame& frame) {
  if (frame.function.find("::") != std::string_view::npos) return true;
  if (frame.function.find('.') != std::string_view::npos) return false;
  std::string_view file = frame.file;
  return !file.empty() && file != "?" && !file.ends_with(".go") && !file.ends_with(".s") &&
         !file.ends_with(".c") && !file.ends_with(".goc") && !file.ends_with(".h");
}

}  // namespace leakscan
