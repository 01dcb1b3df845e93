// leakscan.analyze and leakscan.Report: the five layers over snapshots, and their report.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/engine/diff.h"
#include "analyzer/engine/exit_decision.h"
#include "analyzer/engine/find_leaks.h"
#include "analyzer/engine/leak_selection.h"
#include "analyzer/model/merge.h"
#include "analyzer/report/reporters.h"
#include "analyzer/writers/pprof_writer.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace leakscan::python {
namespace {

[[noreturn]] void raise_format_error(const std::string& message) {
  PyErr_SetString(format_error().ptr(), message.c_str());
  throw py::error_already_set();
}

// A deep copy with its own tables: the engine owns the snapshots it analyses, while Python may
// hold and reuse each one.
Snapshot clone(const Snapshot& from) {
  std::vector<size_t> threads(from.threads.size());
  std::vector<size_t> samples(from.samples.size());
  for (size_t i = 0; i < threads.size(); ++i) threads[i] = i;
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = i;
  Snapshot copy = subset_snapshot(from, threads, samples);
  copy.declared_total = from.declared_total;
  copy.warnings = from.warnings;
  return copy;
}

// The engine's findings, and the Python snapshots they were made from.
struct PyReport {
  std::optional<Findings> findings;
  py::list inputs;

  const Analysis& analysis() const { return findings->analysis(); }
  const report::Report& report() const { return findings->report(); }
};

[[noreturn]] void raise_error(const Error& error) {
  // The library speaks of the input; only here is it known which argument raises the limit.
  raise_format_error(
      error.kind == ErrorKind::kTooLarge     ? error.message + "; raise max_input_size to read it"
      : error.kind == ErrorKind::kOverBudget ? error.message + "; raise max_memory to read it"
      : error.kind == ErrorKind::kOutOfMemory
          ? error.message + "; free memory, or set max_memory below what the machine has"
          : error.message);
}

// One item of analyze()'s list: a Snapshot (copied: Python may hold and reuse it), a path or
// URL as the command line takes them, or bytes.
Input to_input(const py::handle& item, py::list& snapshots_seen) {
  if (py::isinstance<Snapshot>(item)) {
    snapshots_seen.append(item);
    std::vector<Snapshot> one;
    one.push_back(clone(*item.cast<std::shared_ptr<Snapshot>>()));
    return Input::from_snapshots(std::move(one));
  }
  if (py::isinstance<py::bytes>(item)) {
    return Input::from_bytes(std::string(item.cast<py::bytes>()), "<bytes>");
  }
  if (py::isinstance<py::str>(item) || py::hasattr(item, "__fspath__")) {
    auto os = py::module_::import("os");
    return Input::from_argument(py::str(os.attr("fspath")(item)).cast<std::string>());
  }
  throw py::type_error("analyze(): expected leakscan.Snapshot, a path, a URL or bytes, got " +
                       std::string(py::str(py::type::of(item).attr("__name__"))));
}

std::optional<std::filesystem::path> optional_path(const std::optional<std::string>& path) {
  if (!path) return std::nullopt;
  return std::filesystem::path(*path);
}

std::shared_ptr<PyReport> run_analysis(const py::list& items,
                                       const std::optional<std::string>& config,
                                       const std::optional<std::string>& baseline,
                                       std::optional<int64_t> min_wait_nanos,
                                       const std::optional<std::string>& codeowners,
                                       const std::string& focus, const std::string& ignore,
                                       size_t max_clusters, std::optional<uint64_t> max_input_size,
                                       bool order_by_time, std::optional<uint64_t> max_memory,
                                       const std::vector<std::string>& headers) {
  auto out = std::make_shared<PyReport>();
  std::vector<Input> inputs;
  for (const py::handle& item : items) inputs.push_back(to_input(item, out->inputs));
  if (inputs.empty()) throw py::value_error("analyze(): no snapshots");

  FindOptions options;
  options.config = optional_path(config);
  options.baseline = optional_path(baseline);
  options.codeowners = optional_path(codeowners);
  options.focus = focus;
  options.ignore = ignore;
  if (min_wait_nanos) options.min_wait = std::chrono::nanoseconds(*min_wait_nanos);
  options.max_clusters = max_clusters;
  if (max_input_size) options.limits.max_input_bytes = *max_input_size;
  if (max_memory) options.limits.max_memory_bytes = *max_memory;
  options.http.headers = headers;
  options.order = order_by_time ? SnapshotOrder::kByCaptureTime : SnapshotOrder::kAsGiven;
  std::optional<Error> error;
  {
    py::gil_scoped_release release;
    auto findings = find_leaks(std::move(inputs), options);
    if (findings) {
      out->findings.emplace(std::move(*findings));
    } else {
      error = findings.error();
    }
  }
  if (error) raise_error(*error);
  if (order_by_time || out->inputs.size() != out->findings->snapshots().size()) {
    // Read from paths, URLs or bytes: the report's snapshots are the engine's, copied out.
    out->inputs = py::list();
    for (const Snapshot& snapshot : out->findings->snapshots()) {
      out->inputs.append(py::cast(std::make_shared<Snapshot>(clone(snapshot))));
    }
  }
  return out;
}

std::string render(const PyReport& report, const std::string& format, bool color, bool verbose,
                   const std::optional<std::string>& source_root,
                   const std::vector<std::string>& path_prefixes) {
  auto parsed = parse_output_format(format);
  if (!parsed) {
    throw py::value_error("format " + format + ": expected text, json, markdown, sarif or html");
  }
  auto sources = load_source_map(optional_path(source_root), path_prefixes);
  if (!sources) raise_error(sources.error());
  TextOptions options{color, verbose};
  options.sources = std::move(*sources);
  auto text = render_report(report.analysis(), *parsed, options);
  if (!text) raise_error(text.error());
  if (*parsed == OutputFormat::kSarif) {
    if (auto unplaced = unplaced_sources_warning(report.report(), options.sources)) {
      // What the command prints as a warning: a LeakscanWarning (leakscan/__init__.py).
      py::object category = py::module_::import("leakscan").attr("LeakscanWarning");
      if (PyErr_WarnEx(category.ptr(), unplaced->c_str(), 1) != 0) throw py::error_already_set();
    }
  }
  return *text;
}

bool report_fails(const PyReport& report, const std::string& on) {
  auto fail_on = parse_fail_on(on);
  if (!fail_on) throw py::value_error("fails(on=" + on + "): expected leak or suspect");
  return fails(report.report().summary(), *fail_on);
}

// The goroutines judged leaking, as the command's --emit-pprof writes them.
std::shared_ptr<Snapshot> leaked_snapshot(const PyReport& report) {
  int64_t goroutines = 0;
  return std::make_shared<Snapshot>(select_leaks(*report.findings, goroutines));
}

void write_leaks_pprof(const PyReport& report, const std::filesystem::path& path) {
  int64_t goroutines = 0;
  Snapshot leaks = select_leaks(*report.findings, goroutines);
  auto status = write_pprof_file(std::span<const Snapshot>(&leaks, 1), path.string());
  if (!status) raise_error(status.error());
}

// leakscan diff: the clusters whose count changed from the first input to the others.
py::list changes(const PyReport& report) {
  py::list out;
  for (const auto& change : diff_clusters(*report.findings)) {
    py::dict row;
    row["id"] = change.cluster->id();
    row["before"] = change.before;
    row["after"] = change.after;
    row["blocking_operation"] = change.cluster->blocking_operation();
    row["blocked_at"] = change.cluster->blocked_at().function();
    row["created_by"] = change.cluster->created_by().function();
    out.append(row);
  }
  return out;
}

std::string to_json(const PyReport& report) {
  auto text = json_report(report.report());
  if (!text) raise_format_error(text.error().message);
  return *text;
}

// The columns of Report.clusters_frame(), one row per cluster in report order.
py::dict cluster_columns(const PyReport& report) {
  const auto& clusters = report.report().clusters();
  const auto rows = static_cast<size_t>(clusters.size());
  py::list id(rows), verdict(rows), blocking_operation(rows), blocked_at(rows), created_by(rows),
      reasons(rows);
  py::array_t<int64_t> count(rows);
  py::array_t<double> share(rows), growth(rows), wait_max(rows);
  auto count_out = count.mutable_unchecked<1>();
  auto share_out = share.mutable_unchecked<1>();
  auto growth_out = growth.mutable_unchecked<1>();
  auto wait_out = wait_max.mutable_unchecked<1>();
  for (size_t row = 0; row < rows; ++row) {
    const auto i = static_cast<py::ssize_t>(row);
    const auto& cluster = clusters[static_cast<int>(row)];
    id[row] = cluster.id();
    verdict[row] = report::Verdict_Name(cluster.verdict());
    blocking_operation[row] = cluster.blocking_operation();
    blocked_at[row] = cluster.blocked_at().function();
    created_by[row] = cluster.created_by().function();
    std::string joined;
    for (const auto& reason : cluster.reasons()) {
      if (!joined.empty()) joined += "; ";
      joined += reason;
    }
    reasons[row] = joined;
    count_out(i) = cluster.count();
    share_out(i) = cluster.share();
    growth_out(i) = cluster.growth_per_minute();
    wait_out(i) = cluster.has_wait() ? cluster.wait().max_seconds()
                                     : std::numeric_limits<double>::quiet_NaN();
  }
  py::dict out;
  out["id"] = id;
  out["verdict"] = verdict;
  out["count"] = count;
  out["share"] = share;
  out["blocking_operation"] = blocking_operation;
  out["blocked_at"] = blocked_at;
  out["created_by"] = created_by;
  out["growth_per_minute"] = growth;
  out["wait_max_seconds"] = wait_max;
  out["reasons"] = reasons;
  return out;
}

}  // namespace

void register_report(py::module_& module) {
  py::class_<PyReport, std::shared_ptr<PyReport>>(module, "Report",
                                                  "What leakscan.analyze() found.")
      .def("to_json", &to_json, "The report as `leakscan --format json` prints it.")
      .def_readonly("snapshots", &PyReport::inputs, "The snapshots analysed, in order.")
      .def_property_readonly(
          "warnings", [](const PyReport& r) { return r.findings->warnings(); },
          "The readers' and the analysis's warnings (expired baseline entries...).")
      .def_property_readonly(
          "leaks", [](const PyReport& r) { return r.report().summary().leaks(); },
          "The number of clusters judged LEAK.")
      .def_property_readonly("suspects",
                             [](const PyReport& r) { return r.report().summary().suspects(); })
      .def("_cluster_columns", &cluster_columns)
      .def("render", &render, py::arg("format") = "text", py::arg("color") = false,
           py::arg("verbose") = false, py::arg("source_root") = py::none(),
           py::arg("path_prefixes") = std::vector<std::string>(),
           "The report as `leakscan --format FORMAT` prints it: text, json, markdown, sarif or "
           "html (--color always, -v; for SARIF --source-root DIR and --path-prefix FROM=TO, "
           "each of path_prefixes a 'FROM=TO').")
      .def("fails", &report_fails, py::arg("on") = "leak",
           "True when the report holds what `--fail-on ON` fails on: leak, or suspect.")
      .def("leaks_snapshot", &leaked_snapshot,
           "The last snapshot's goroutines judged leaking (and not accepted by the baseline), "
           "as a Snapshot.")
      .def("write_leaks_pprof", &write_leaks_pprof, py::arg("path"),
           "Writes leaks_snapshot() as a pprof profile, as `--emit-pprof PATH` does.")
      .def("_changes", &changes)
      .def("__repr__", [](const PyReport& r) {
        const auto& summary = r.report().summary();
        return "<leakscan.Report " + std::to_string(summary.clusters()) + " clusters, " +
               std::to_string(summary.leaks()) + " leaks, " + std::to_string(summary.suspects()) +
               " suspects>";
      });
  module.def("_analyze", &run_analysis, py::arg("snapshots"), py::arg("config") = py::none(),
             py::arg("baseline") = py::none(), py::arg("min_wait_nanos") = py::none(),
             py::arg("codeowners") = py::none(), py::arg("focus") = "", py::arg("ignore") = "",
             py::arg("max_clusters") = 1000, py::arg("max_input_size") = py::none(),
             py::arg("order_by_time") = false, py::arg("max_memory") = py::none(),
             py::arg("headers") = std::vector<std::string>{});
}

}  // namespace leakscan::python
