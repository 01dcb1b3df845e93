// Shared by the pybind11 module's files: each registers one concept on the module.
#pragma once

#include <pybind11/pybind11.h>

namespace leakscan::python {

// leakscan.FormatError (a ValueError): unreadable input, bad config or baseline files.
pybind11::object format_error();

void register_snapshot(pybind11::module_& module);
void register_report(pybind11::module_& module);
void register_convert(pybind11::module_& module);

}  // namespace leakscan::python
