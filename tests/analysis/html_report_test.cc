// The HTML report as a page: self-contained, its data block the JSON report itself, and names
// from a dump unable to end the element that holds them. (tests/browser/ opens it in Chromium.)
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <regex>

#include "analyzer/report/report_ui_bundle.h"
#include "analyzer/report/reporters.h"
#include "tests/analysis/layer_fixtures.h"
#include "tests/analysis/sample_findings.h"
#include "tests/support/test_support.h"

namespace leakscan {
namespace {

constexpr std::string_view kDataOpen = R"(<script type="application/json" id="leakscan-report">)";

std::string html_of(const Findings& findings) {
  auto page = render_report(findings.analysis(), OutputFormat::kHtml, TextOptions{});
  EXPECT_TRUE(page.has_value()) << page.error().message;
  return page ? *page : std::string();
}

std::string_view data_block(std::string_view page) {
  size_t open = page.find(kDataOpen);
  if (open == std::string_view::npos) return {};
  open += kDataOpen.size();
  return page.substr(open, page.find("</script>", open) - open);
}

size_t occurrences(std::string_view text, std::string_view what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

report::Report parse_report(std::string_view json) {
  report::Report parsed;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &parsed);
  EXPECT_TRUE(status.ok()) << status.message();
  return parsed;
}

TEST(HtmlReport, IsOnePageThatFetchesNothing) {
  std::string page = html_of(leaky_service_findings());
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  EXPECT_TRUE(page.ends_with("</html>\n"));
  // Script and styles inline: no element loads anything from anywhere.
  static const std::regex kExternal(R"((src|href|srcset|action)\s*=\s*["']?\s*(https?:|//))",
                                    std::regex::icase);
  EXPECT_FALSE(std::regex_search(page, kExternal));
  EXPECT_EQ(occurrences(page, "<script"), 2u);
  EXPECT_EQ(occurrences(page, "</script>"), 2u);
  EXPECT_NE(page.find(report_ui_script()), std::string::npos);
  EXPECT_NE(page.find(report_ui_style()), std::string::npos);
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
}

TEST(HtmlReport, TheDataBlockIsTheJsonReport) {
  Findings findings = leaky_service_findings();
  report::Report shown = parse_report(data_block(html_of(findings)));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(shown, findings.report()));
  EXPECT_EQ(shown.summary().leaks(), 8);
}

TEST(HtmlReport, NamesFromTheDumpCannotEndTheDataBlock) {
  const std::string hostile = "main.</script><script>alert(1)</script><!--";
  std::string dump = go_dump(fmt::format(R"(goroutine 1 [running]:
main.main()
    /src/main.go:10 +0x1

goroutine 7 [chan receive, 12 minutes]:
{}(...)
    /src/</SCRIPT>.go:20 +0x1
created by main.main in goroutine 1
    /src/main.go:12 +0x1
)",
                                         hostile));
  std::vector<Input> inputs;
  inputs.push_back(Input::from_bytes(std::move(dump), "hostile.txt"));
  Findings findings = findings_of(std::move(inputs));
  std::string page = html_of(findings);
  EXPECT_EQ(occurrences(page, "</script>"), 2u);
  EXPECT_EQ(page.find("</SCRIPT>"), std::string::npos);
  EXPECT_EQ(page.find("<!--"), std::string::npos);
  report::Report shown = parse_report(data_block(page));
  auto hostile_cluster = std::find_if(
      shown.clusters().begin(), shown.clusters().end(),
      [&](const report::Cluster& cluster) { return cluster.blocked_at().function() == hostile; });
  ASSERT_NE(hostile_cluster, shown.clusters().end()) << "the name did not survive the round trip";
  EXPECT_EQ(hostile_cluster->blocked_at().file(), "/src/</SCRIPT>.go");
}

}  // namespace
}  // namespace leakscan
