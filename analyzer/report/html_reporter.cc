#include <string>

#include "analyzer/report/report_ui_bundle.h"
#include "analyzer/report/reporters.h"

namespace leakscan {
namespace {

// Nothing outside the page is fetched: the policy holds the page to its own inline script and
// styles, so a report opened offline or in a locked-down viewer shows the same.
constexpr std::string_view kHead =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"generator\" content=\"leakscan\">\n<title>leakscan report</title>\n<style>";

// Every '<' of the JSON is in a string (JSON's syntax has none), where \u003c means the same: so
// no name in a dump, "</script>" or "<!--" included, can end the data element.
void append_as_script_data(std::string_view json, std::string& out) {
  for (char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
}

}  // namespace

Result<std::string> html_report(const report::Report& report) {
  auto json = json_report(report, /*compact=*/true);
  if (!json) return json.error();
  const std::string_view script = report_ui_script();
  const std::string_view style = report_ui_style();
  std::string page;
  page.reserve(kHead.size() + style.size() + script.size() + json->size() + json->size() / 16 +
               512);
  page += kHead;
  page += style;
  page +=
      "</style>\n</head>\n<body>\n<noscript>This report draws itself with JavaScript; "
      "`leakscan --format text` prints the same findings.</noscript>\n"
      "<script type=\"application/json\" id=\"leakscan-report\">";
  append_as_script_data(*json, page);
  page += "</script>\n<script>";
  page += script;
  page += "</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace leakscan
