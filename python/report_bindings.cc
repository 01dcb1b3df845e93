// leakscan.analyze and leakscan.Report: the five layers over snapshots, and their report.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/analysis/baseline.h"
#include "analyzer/analysis/pipeline.h"
#include "analyzer/analysis/rules.h"
#include "analyzer/model/merge.h"
#include "analyzer/report/reporters.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace leakscan::python {
namespace {

[[noreturn]] void raise_format_error(const std::string& message) {
  PyErr_SetString(format_error().ptr(), message.c_str());
  throw py::error_already_set();
}

// A deep copy with its own tables: analyze() needs the snapshots side by side in one vector,
// while Python may hold and reuse each one.
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

// The analysis with the snapshots it points into, which it owns, and the Python snapshots it
// was made from.
struct PyReport {
  std::vector<Snapshot> snapshots;
  std::optional<Analysis> analysis;
  py::list inputs;
};

std::shared_ptr<PyReport> run_analysis(const py::list& snapshots,
                                       const std::optional<std::string>& config,
                                       const std::optional<std::string>& baseline,
                                       std::optional<int64_t> min_wait_nanos) {
  auto out = std::make_shared<PyReport>();
  std::vector<std::shared_ptr<Snapshot>> inputs;
  for (const py::handle& item : snapshots) {
    if (!py::isinstance<Snapshot>(item)) {
      throw py::type_error("analyze(): expected a list of leakscan.Snapshot, got " +
                           std::string(py::str(py::type::of(item).attr("__name__"))));
    }
    inputs.push_back(item.cast<std::shared_ptr<Snapshot>>());
    out->inputs.append(item);
  }
  if (inputs.empty()) throw py::value_error("analyze(): no snapshots");

  std::optional<Error> error;
  {
    py::gil_scoped_release release;
    AnalysisOptions options;
    if (config) {
      auto rules = load_config(options.rules, *config);
      if (!rules)
        error = rules.error();
      else
        options.rules = std::move(*rules);
    }
    if (!error && baseline) {
      auto entries = load_baseline(*baseline);
      if (!entries)
        error = entries.error();
      else
        options.baseline = std::move(*entries);
    }
    if (min_wait_nanos) options.min_wait = std::chrono::nanoseconds(*min_wait_nanos);
    if (!error) {
      std::vector<SnapshotOrigin> origins;
      out->snapshots.reserve(inputs.size());
      for (const auto& snapshot : inputs) {
        out->snapshots.push_back(clone(*snapshot));
        origins.push_back(SnapshotOrigin{snapshot->captured_at ? "profile" : "order given"});
      }
      auto analysis = analyze(out->snapshots, origins, options);
      if (!analysis)
        error = analysis.error();
      else
        out->analysis = std::move(*analysis);
    }
  }
  if (error) raise_format_error(error->message);
  return out;
}

std::string to_json(const PyReport& report) {
  auto text = json_report(report.analysis->report);
  if (!text) raise_format_error(text.error().message);
  return *text;
}

// The columns of Report.clusters_frame(), one row per cluster in report order.
py::dict cluster_columns(const PyReport& report) {
  const auto& clusters = report.analysis->report.clusters();
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
          "warnings", [](const PyReport& r) { return r.analysis->warnings; },
          "The analysis's warnings (expired baseline entries...).")
      .def_property_readonly(
          "leaks", [](const PyReport& r) { return r.analysis->report.summary().leaks(); },
          "The number of clusters judged LEAK.")
      .def_property_readonly(
          "suspects", [](const PyReport& r) { return r.analysis->report.summary().suspects(); })
      .def("_cluster_columns", &cluster_columns)
      .def("__repr__", [](const PyReport& r) {
        const auto& summary = r.analysis->report.summary();
        return "<leakscan.Report " + std::to_string(summary.clusters()) + " clusters, " +
               std::to_string(summary.leaks()) + " leaks, " + std::to_string(summary.suspects()) +
               " suspects>";
      });
  module.def("_analyze", &run_analysis, py::arg("snapshots"), py::arg("config") = py::none(),
             py::arg("baseline") = py::none(), py::arg("min_wait_nanos") = py::none());
}

}  // namespace leakscan::python
