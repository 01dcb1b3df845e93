// The `_leakscan` extension: the engine's reader, analysis and JSON reporter for Python.
// leakscan/__init__.py re-exports it and adds what is easier written in Python (URLs, pandas).
#include "analyzer/model/result.h"
#include "analyzer/model/text_format.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace leakscan::python {
namespace {

py::object* format_error_type = nullptr;

}  // namespace

py::object format_error() { return *format_error_type; }

}  // namespace leakscan::python

PYBIND11_MODULE(_leakscan, module) {
  module.doc() = "leakscan's C++ engine: read goroutine dumps and profiles, find leaks.";
  // Created once and never freed, so that nothing is released after the interpreter ends.
  leakscan::python::format_error_type =
      new py::object(py::exception<leakscan::Error>(module, "FormatError", PyExc_ValueError));
  module.def(
      "_parse_duration",
      [](const std::string& text) -> py::object {
        auto duration = leakscan::parse_duration(text);
        if (!duration) return py::none();
        return py::int_(static_cast<int64_t>(duration->count()));
      },
      "Go's time.ParseDuration text (\"90s\", \"5m\") to nanoseconds, or None.");
  leakscan::python::register_snapshot(module);
  leakscan::python::register_report(module);
  leakscan::python::register_convert(module);
}
