// leakscan.Snapshot and the readers: one dump or profile, as the engine read it.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/model/snapshot.h"
#include "analyzer/model/user_code.h"
#include "analyzer/readers/read_snapshots.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace leakscan::python {
namespace {

using SnapshotList = std::vector<std::shared_ptr<Snapshot>>;

SnapshotList wrap(Result<std::vector<Snapshot>>&& read) {
  if (!read) {
    PyErr_SetString(format_error().ptr(), read.error().message.c_str());
    throw py::error_already_set();
  }
  SnapshotList out;
  out.reserve(read->size());
  for (auto& snapshot : *read) out.push_back(std::make_shared<Snapshot>(std::move(snapshot)));
  return out;
}

SnapshotList load_path(const std::string& path) {
  Result<std::vector<Snapshot>> read = Error{""};
  {
    py::gil_scoped_release release;
    read = read_snapshots(path);
  }
  return wrap(std::move(read));
}

// `fetched_at_ns`: when a URL's body was fetched, the capture time of the snapshots in it that
// carry none of their own (as the command gives a URL input's).
SnapshotList load_bytes(const py::bytes& bytes, const std::string& name,
                        std::optional<int64_t> fetched_at_ns) {
  std::string_view view = bytes;  // immutable and referenced by the caller while we read
  Result<std::vector<Snapshot>> read = Error{""};
  {
    py::gil_scoped_release release;
    read = read_snapshots_from_memory(view, name);
  }
  if (read && fetched_at_ns) {
    for (auto& snapshot : *read) {
      if (snapshot.captured_at) continue;
      snapshot.captured_at = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::nanoseconds(*fetched_at_ns)));
      snapshot.capture_time_origin = CaptureTimeOrigin::kFetched;
    }
  }
  return wrap(std::move(read));
}

py::object captured_at(const Snapshot& snapshot) {
  if (!snapshot.captured_at) return py::none();
  auto datetime = py::module_::import("datetime");
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    snapshot.captured_at->time_since_epoch())
                    .count();
  py::object utc = datetime.attr("timezone").attr("utc");
  py::object epoch = datetime.attr("datetime")(1970, 1, 1, py::arg("tzinfo") = utc);
  return epoch + datetime.attr("timedelta")(py::arg("microseconds") = micros);
}

// Text columns repeat the same interned strings: one Python str per distinct string.
class StrCache {
 public:
  py::object get(std::string_view text) {
    if (text.empty()) return empty_;
    auto [it, added] = cache_.try_emplace(text.data(), Entry{});
    if (added || it->second.size != text.size()) {
      it->second = Entry{text.size(), py::str(text.data(), text.size())};
    }
    return it->second.str;
  }

 private:
  struct Entry {
    size_t size = 0;
    py::object str;
  };
  py::object empty_ = py::str("");
  std::unordered_map<const char*, Entry> cache_;
};

std::string format_labels(std::span<const Label> labels) {
  std::string out;
  for (const auto& label : labels) {
    if (!out.empty()) out += ',';
    out.append(label.key);
    out += '=';
    if (label.numeric) {
      out += std::to_string(label.num);
      out.append(label.unit);
    } else {
      out.append(label.str);
    }
  }
  return out;
}

std::string_view blocked_at(const Snapshot& snapshot, Stack stack) {
  FrameId site = first_user_frame(snapshot, stack);
  return site == kNoFrame ? std::string_view() : snapshot.frame(site).function;
}

// The columns of Snapshot.to_pandas(), in one pass over threads or samples.
py::dict columns(const Snapshot& snapshot) {
  const bool threads = !snapshot.threads.empty();
  const size_t rows = threads ? snapshot.threads.size() : snapshot.samples.size();
  py::array_t<uint64_t> id(rows);
  py::array_t<int64_t> count(rows);
  py::array_t<double> wait_seconds(rows);
  py::array_t<bool> locked(rows);
  py::array_t<uint64_t> creator_id(rows);
  py::list state(rows), status(rows), top_function(rows), blocked(rows), created_by(rows),
      labels(rows);
  auto id_out = id.mutable_unchecked<1>();
  auto count_out = count.mutable_unchecked<1>();
  auto wait_out = wait_seconds.mutable_unchecked<1>();
  auto locked_out = locked.mutable_unchecked<1>();
  auto creator_out = creator_id.mutable_unchecked<1>();
  StrCache strings;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto top = [&](Stack stack) {
    return stack.empty() ? std::string_view{} : snapshot.frame(stack.front()).function;
  };
  for (size_t row = 0; row < rows; ++row) {
    const auto i = static_cast<py::ssize_t>(row);
    if (threads) {
      const GreenThread& thread = snapshot.threads[row];
      id_out(i) = thread.id;
      count_out(i) = 1;
      wait_out(i) = thread.wait ? std::chrono::duration<double>(*thread.wait).count() : nan;
      locked_out(i) = thread.locked_to_thread;
      creator_out(i) = thread.creator_id;
      state[row] = strings.get(to_string(thread.state));
      status[row] = strings.get(thread.status);
      top_function[row] = strings.get(top(thread.stack));
      blocked[row] = strings.get(blocked_at(snapshot, thread.stack));
      created_by[row] =
          strings.get(thread.created_by == kNoFrame ? std::string_view{}
                                                    : snapshot.frame(thread.created_by).function);
      labels[row] = py::str(format_labels(thread.labels));
    } else {
      const Sample& sample = snapshot.samples[row];
      id_out(i) = 0;
      count_out(i) = sample.count;
      wait_out(i) = nan;
      locked_out(i) = false;
      creator_out(i) = 0;
      state[row] = strings.get(to_string(ThreadState::kUnknown));
      status[row] = strings.get({});
      top_function[row] = strings.get(top(sample.stack));
      blocked[row] = strings.get(blocked_at(snapshot, sample.stack));
      created_by[row] = strings.get({});
      labels[row] = py::str(format_labels(sample.labels));
    }
  }
  py::dict out;
  out["id"] = id;
  out["count"] = count;
  out["state"] = state;
  out["status"] = status;
  out["wait_seconds"] = wait_seconds;
  out["locked_to_thread"] = locked;
  out["top_function"] = top_function;
  out["blocked_at"] = blocked;
  out["created_by"] = created_by;
  out["creator_id"] = creator_id;
  out["labels"] = labels;
  return out;
}

}  // namespace

void register_snapshot(py::module_& module) {
  py::class_<Snapshot, std::shared_ptr<Snapshot>>(
      module, "Snapshot", "One capture of one process: goroutines, or aggregated samples.")
      .def_readonly("source", &Snapshot::source, "File name, \"<bytes>\" or URL.")
      .def_property_readonly(
          "format", [](const Snapshot& s) { return std::string(to_string(s.format)); },
          R"("pprof", "debug=1" or "debug=2".)")
      .def_property_readonly("runtime",
                             [](const Snapshot& s) { return std::string(to_string(s.runtime)); })
      .def_readonly("reason", &Snapshot::reason, R"("panic: ...", "SIGQUIT: quit", or "".)")
      .def_property_readonly("goroutine_count", &Snapshot::goroutine_count)
      .def_property_readonly("aggregated", &Snapshot::aggregated,
                             "True for samples with counts (debug=0/1), not single goroutines.")
      .def_property_readonly("captured_at", &captured_at, "A UTC datetime, or None.")
      .def_property_readonly(
          "captured_at_origin",
          [](const Snapshot& s) -> py::object {
            if (!s.captured_at) return py::none();
            return py::str(std::string(to_string(s.capture_time_origin)));
          },
          "Where captured_at came from: \"profile\" (the snapshot's own), \"time fetched\" "
          "(when its URL was fetched), or None without a time.")
      .def_readonly("warnings", &Snapshot::warnings)
      .def("_columns", &columns, "The columns of to_pandas(): numpy arrays and lists of str.")
      .def("__repr__", [](const Snapshot& s) {
        return "<leakscan.Snapshot " + s.source + " " + std::string(to_string(s.format)) + " " +
               std::to_string(s.goroutine_count()) + " goroutines>";
      });
  module.def("_load_path", &load_path, py::arg("path"));
  module.def("_load_bytes", &load_bytes, py::arg("data"), py::arg("name"),
             py::arg("fetched_at_ns") = py::none());
}

}  // namespace leakscan::python
