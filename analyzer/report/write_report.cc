#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "analyzer/report/reporters.h"

namespace leakscan {

std::optional<OutputFormat> parse_output_format(std::string_view text) {
  if (text == "text") return OutputFormat::kText;
  if (text == "json") return OutputFormat::kJson;
  if (text == "markdown") return OutputFormat::kMarkdown;
  if (text == "sarif") return OutputFormat::kSarif;
  if (text == "html") return OutputFormat::kHtml;
  return std::nullopt;
}

int first_why_reason(const report::Cluster& cluster) {
  return cluster.verdict() != report::EXPECTED && cluster.reasons_size() > 1 ? 1 : 0;
}

Status write_report(const Analysis& analysis, OutputFormat format, const TextOptions& options,
                    std::FILE* out) {
  switch (format) {
    case OutputFormat::kJson:
    case OutputFormat::kSarif: {
      auto text = format == OutputFormat::kJson ? json_report(analysis.report, options.compact_json)
                                                : sarif_report(analysis.report, options.sources);
      if (!text) return text.error();
      fmt::print(out, "{}\n", *text);
      return Ok{};
    }
    case OutputFormat::kHtml: {
      auto page = html_report(analysis.report);
      if (!page) return page.error();
      fmt::print(out, "{}", *page);
      return Ok{};
    }
    case OutputFormat::kMarkdown:
      write_markdown_report(analysis, out);
      return Ok{};
    case OutputFormat::kText:
      break;
  }
  write_text_report(analysis, options, out);
  return Ok{};
}

Result<std::string> render_report(const Analysis& analysis, OutputFormat format,
                                  const TextOptions& options) {
  char* data = nullptr;
  size_t size = 0;
  std::FILE* stream = ::open_memstream(&data, &size);
  if (stream == nullptr) return Error{"cannot allocate a report buffer"};
  auto status = write_report(analysis, format, options, stream);
  std::fclose(stream);
  // open_memstream's buffer is malloc'd and ours once the stream is closed.
  std::unique_ptr<char, decltype(&std::free)> owned(data, &std::free);
  if (!status) return status.error();
  return std::string(data, size);
}

}  // namespace leakscan
