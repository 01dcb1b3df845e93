#include <google/protobuf/util/json_util.h>

#include "analyzer/report/reporters.h"

namespace leakscan {

Result<std::string> json_report(const report::Report& report, bool compact) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = !compact;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  auto status = google::protobuf::util::MessageToJsonString(report, &json, options);
  if (!status.ok()) return Error{std::string(status.message())};
  return json;
}

}  // namespace leakscan
