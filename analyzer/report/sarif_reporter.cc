#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <algorithm>

#include "analyzer/report/reporters.h"

namespace leakscan {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

// SARIF is a JSON schema; protobuf's Struct writes it, so no JSON is written by hand here.
Value text(std::string_view value) {
  Value out;
  out.set_string_value(std::string(value));
  return out;
}
Value number(double value) {
  Value out;
  out.set_number_value(value);
  return out;
}
Value object(std::initializer_list<std::pair<const char*, Value>> fields) {
  Value out;
  auto* map = out.mutable_struct_value()->mutable_fields();
  for (const auto& [key, value] : fields) (*map)[key] = value;
  return out;
}
Value list(std::vector<Value> items) {
  Value out;
  // Set even when empty: a run that found nothing has "results": [] (SARIF 3.14.23); an absent
  // list means the tool did not run.
  auto* values = out.mutable_list_value();
  for (auto& item : items) *values->add_values() = std::move(item);
  return out;
}

Value rule(std::string_view id, std::string_view description) {
  return object({{"id", text(id)},
                 {"shortDescription", object({{"text", text(description)}})},
                 {"helpUri", text("https://github.com/leakscan/leakscan#the-analysis")}});
}

// Where SARIF readers resolve repository-relative uris (SARIF 3.14.14).
constexpr const char* kSourceRoot = "SRCROOT";

Value physical_location(const report::Frame& frame, const SourceMap& sources) {
  Value artifact;
  if (auto relative = sources.relative(frame.file())) {
    artifact = object({{"uri", text(path_uri(*relative))}, {"uriBaseId", text(kSourceRoot)}});
  } else {
    artifact = object({{"uri", text(path_uri(frame.file()))}});
  }
  return object(
      {{"artifactLocation", std::move(artifact)},
       {"region",
        object({{"startLine", number(static_cast<double>(std::max<int64_t>(frame.line(), 1)))}})}});
}

// The creation stack as one thread's flow (SARIF 3.36): the outermost caller first, ending at
// the go statement, as a reader steps through it.
Value creation_flow(const report::Cluster& cluster, const SourceMap& sources) {
  std::vector<Value> steps;
  for (int i = cluster.creation_stack_size() - 1; i >= 0; --i) {
    const report::Frame& frame = cluster.creation_stack(i);
    if (frame.file().empty()) continue;  // a location needs an artifact
    steps.push_back(
        object({{"location", object({{"physicalLocation", physical_location(frame, sources)},
                                     {"message", object({{"text", text(frame.function())}})}})}}));
  }
  // The stack's own goroutine: not always the oldest (the tracer has stacks only for the
  // goroutines born while its probes were on).
  std::string message = cluster.creation_stack_goroutine_id() != 0
                            ? fmt::format("the stack that created goroutine {}",
                                          cluster.creation_stack_goroutine_id())
                            : std::string("the stack that created the oldest goroutine");
  return object({{"message", object({{"text", text(message)}})},
                 {"threadFlows", list({object({{"locations", list(std::move(steps))}})})}});
}

Value result(const report::Cluster& cluster, const SourceMap& sources) {
  // A fix goes where the goroutine is created; the blocking site when the creator is unknown.
  const report::Frame& site =
      !cluster.created_by().file().empty() ? cluster.created_by() : cluster.blocked_at();
  std::string message;
  for (const auto& reason : cluster.reasons()) {
    if (!message.empty()) message += "; ";
    message += reason;
  }
  std::vector<Value> related;
  if (&site != &cluster.blocked_at() && !cluster.blocked_at().file().empty()) {
    related.push_back(
        object({{"id", number(1)},
                {"message", object({{"text", text("blocked here")}})},
                {"physicalLocation", physical_location(cluster.blocked_at(), sources)}}));
  }
  Value out = object(
      {{"ruleId",
        text(cluster.verdict() == report::LEAK ? "goroutine-leak" : "goroutine-leak-suspect")},
       {"level", text(cluster.verdict() == report::LEAK ? "error" : "warning")},
       {"message", object({{"text", text(message)}})},
       {"locations", list({object({{"physicalLocation", physical_location(site, sources)}})})},
       {"relatedLocations", list(std::move(related))},
       {"partialFingerprints", object({{"leakscanCluster/v1", text(cluster.id())}})}});
  // A threadFlow holds at least one location (SARIF 3.37.2).
  bool has_step = std::any_of(cluster.creation_stack().begin(), cluster.creation_stack().end(),
                              [](const report::Frame& frame) { return !frame.file().empty(); });
  if (has_step) {
    (*out.mutable_struct_value()->mutable_fields())["codeFlows"] =
        list({creation_flow(cluster, sources)});
  }
  return out;
}

// The repository root's location on this machine when known; else only its name, which code
// scanning resolves to the checkout it analyses.
Value original_uri_base_ids(const SourceMap& sources) {
  Value root = sources.root_uri().empty()
                   ? object({{"description", object({{"text", text("The repository's root")}})}})
                   : object({{"uri", text(sources.root_uri())}});
  return object({{kSourceRoot, std::move(root)}});
}

// Leaks and suspects not accepted by the baseline: the clusters SARIF reports.
bool listed(const report::Cluster& cluster) {
  return cluster.verdict() != report::EXPECTED && cluster.baseline_reason().empty();
}

// A Struct's fields are a map, which protobuf prints in an order that changes from run to run;
// serialized deterministically, the map's keys are sorted, so the same report prints the same
// bytes (diffable artefacts, and the Python bindings print what the command prints).
Result<std::string> sorted_json(const Struct& message) {
  std::string binary;
  {
    google::protobuf::io::StringOutputStream stream(&binary);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  static const std::unique_ptr<google::protobuf::util::TypeResolver> resolver(
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          "type.googleapis.com", google::protobuf::DescriptorPool::generated_pool()));
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  auto status = google::protobuf::util::BinaryToJsonString(
      resolver.get(), "type.googleapis.com/google.protobuf.Struct", binary, &json, options);
  if (!status.ok()) return Error{std::string(status.message())};
  return json;
}

}  // namespace

std::optional<std::string> unplaced_sources_warning(const report::Report& report,
                                                    const SourceMap& sources) {
  if (sources.places_nothing()) return std::nullopt;
  std::string example;
  size_t files = 0;
  for (const auto& cluster : report.clusters()) {
    if (!listed(cluster)) continue;
    for (const report::Frame* frame : {&cluster.created_by(), &cluster.blocked_at()}) {
      if (frame->file().empty()) continue;
      if (sources.relative(frame->file())) return std::nullopt;
      ++files;
      if (example.empty()) example = frame->file();
    }
  }
  if (files == 0) return std::nullopt;
  return fmt::format(
      "SARIF: the source root{} places none of the files the findings point at (such as {}): "
      "none is under it or in a module a go.mod under it names; map the build machine's paths "
      "with a path prefix FROM=TO",
      sources.root_uri().empty() ? "" : " " + sources.root_uri(), example);
}

Result<std::string> sarif_report(const report::Report& report, const SourceMap& sources) {
  std::vector<Value> results;
  for (const auto& cluster : report.clusters()) {
    if (!listed(cluster)) continue;
    results.push_back(result(cluster, sources));
  }
  Value run = object(
      {{"tool",
        object({{"driver",
                 object({{"name", text("leakscan")},
                         {"version", text(report.leakscan_version())},
                         {"rules",
                          list({rule("goroutine-leak", "Goroutines created here block forever"),
                                rule("goroutine-leak-suspect",
                                     "Goroutines created here may block forever")})}})}})},
       {"results", list(std::move(results))}});
  if (!sources.places_nothing()) {
    (*run.mutable_struct_value()->mutable_fields())["originalUriBaseIds"] =
        original_uri_base_ids(sources);
  }
  Value sarif = object({{"$schema", text("https://json.schemastore.org/sarif-2.1.0.json")},
                        {"version", text("2.1.0")},
                        {"runs", list({std::move(run)})}});
  return sorted_json(sarif.struct_value());
}

}  // namespace leakscan
