#include "analyzer/readers/text_runtime.h"

#include "analyzer/model/cpp_frame.h"

namespace leakscan {

RuntimeKind runtime_of_text(const Snapshot& snapshot) {
  bool cpp = false;
  const FrameTable& frames = snapshot.frames();
  for (FrameId id = 0; id < frames.size(); ++id) {
    const Frame& frame = frames.at(id);
    std::string_view function = frame.function;
    if (function.starts_with("boost::fibers::") || function.starts_with("boost::context::")) {
      return RuntimeKind::kBoostFiber;
    }
    // Go's runtime is under every Go goroutine that blocks, and a Go dump is Go's.
    if (function.starts_with("runtime.") || function.starts_with("main.")) return RuntimeKind::kGo;
    // A service built without debug information names only its objects, and may show no
    // qualified name at all.
    cpp = cpp || is_cpp_frame(frame);
  }
  // C++ of no runtime whose frames say so (a coroutine agent's, another's): every runtime's rules
  // apply, as to a profile that names none.
  return cpp ? RuntimeKind::kUnknown : RuntimeKind::kGo;
}

}  // namespace leakscan
