// leakscan.convert: any goroutine dump or profile to a pprof profile or Go text, as
// `leakscan convert` does.
#include <pybind11/stl.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "analyzer/engine/inputs.h"
#include "analyzer/writers/go_text_writer.h"
#include "analyzer/writers/pprof_writer.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace leakscan::python {
namespace {

void convert(const std::vector<std::string>& sources, const std::string& output,
             const std::string& to, std::optional<uint64_t> max_input_size) {
  if (to != "pprof" && to != "text") throw py::value_error("to=" + to + ": expected pprof or text");
  LoadOptions options{.order = SnapshotOrder::kAsGiven, .fetch_leak_profile = false};
  if (max_input_size) options.limits.max_input_bytes = *max_input_size;
  std::optional<Error> error;
  {
    py::gil_scoped_release release;
    std::vector<Input> inputs;
    for (const auto& source : sources) inputs.push_back(Input::from_argument(source));
    auto loaded = load_snapshots(std::move(inputs), options);
    if (!loaded) {
      error = loaded.error();
    } else if (to == "pprof") {
      auto status = write_pprof_file(loaded->snapshots, output);
      if (!status) error = status.error();
    } else {
      std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(output.c_str(), "w"),
                                                           &std::fclose);
      if (!file) {
        error = Error{output + ": cannot create"};
      } else {
        write_go_text(loaded->snapshots, file.get());
      }
    }
  }
  if (error) {
    std::string message = error->message;
    if (error->kind == ErrorKind::kTooLarge) message += "; raise max_input_size to read it";
    PyErr_SetString(format_error().ptr(), message.c_str());
    throw py::error_already_set();
  }
}

}  // namespace

void register_convert(py::module_& module) {
  module.def("_convert", &convert, py::arg("sources"), py::arg("output"), py::arg("to") = "pprof",
             py::arg("max_input_size") = py::none());
}

}  // namespace leakscan::python
