#include "analyzer/readers/text_runtime.h"

namespace leakscan {

RuntimeKind runtime_of_text(const Snapshot& snapshot) {
  bool cpp = false;
  const FrameTable& frames = snapshot.frames();
  for (FrameId id = 0; id < frames.size(); ++id) {
    std::string_view function = frames.at(id).function;
    if (function.starts_with("boost::fibers::") || function.starts_with("boost::context::")) {
      return RuntimeKind::kBoostFiber;
    }
    // Go's runtime is under every Go goroutine that blocks, and a Go dump is Go's.
    if (function.starts_with("runtime.") || function.starts_with("main.")) return RuntimeKind::kGo;
    cpp = cpp || function.find("::") != std::string_view::npos;
  }
  // C++ of no runtime whose frames say so (a coroutine agent's, another's): every runtime's rules
  // apply, as to a profile that names none.
  return cpp ? RuntimeKind::kUnknown : RuntimeKind::kGo;
}

}  // namespace leakscan
