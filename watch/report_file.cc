#include "watch/report_file.h"

#include "producer/snapshot_directory.h"

namespace leakscan {

Status write_report_file(const Analysis& analysis, const ReportFile& file) {
  auto rendered = render_report(analysis, file.format, file.text);
  if (!rendered) return rendered.error();
  return write_file_atomically(file.path, *rendered);
}

}  // namespace leakscan
