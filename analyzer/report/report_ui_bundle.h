// The HTML report's script and styles (report-ui/), bundled and embedded by the build.
#pragma once

#include <cstddef>
#include <string_view>

namespace leakscan {

// Neither contains "</script" or "</style": the build checks, as the page inlines them.
std::string_view report_ui_script();
std::string_view report_ui_style();

}  // namespace leakscan
