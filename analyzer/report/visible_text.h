// Text that came from a dump, a profile or a remote target reaches a terminal or a PR comment
// only through here: a control byte in a function name could otherwise write the reader's
// clipboard (OSC 52), retitle the window or clear the screen over the findings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace google::protobuf {
class Message;
}

namespace leakscan {

// `text` with every C0 control (tab included), DEL and C1 control (U+0080 to U+009F) written
// as a visible escape: "\x1b", "\x7f", "\u009b". Other text, valid UTF-8 or not, is kept.
std::string visible(std::string_view text);

// visible() applied to every string field of `message`, nested messages and repeated fields
// included: one pass that no field added later can miss.
void make_visible(google::protobuf::Message& message);

// In a table cell a pipe ends the cell, even inside a code span, unless escaped.
enum class MarkdownPlace : uint8_t { kParagraph, kTableCell };

// Markdown: `text` as a code span, its fence one backtick longer than any run inside.
std::string markdown_code(std::string_view text, MarkdownPlace place);
// Markdown: `text` as literal text, on one line, in a table cell or a paragraph: markup and
// HTML characters escaped, so that nothing in it becomes a link, an image or a tag.
std::string markdown_text(std::string_view text);

}  // namespace leakscan
