// Pieces of self-contained HTML pages: escaped text, the page with its inline style,
// status badges, and small inline SVG bar charts.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringside::html {

// Text for element content and attribute values (markup escaped; control characters and
// broken UTF-8 spelled out, as in the XML reports).
std::string text(std::string_view s);
// An id or anchor made of [A-Za-z0-9_.-] (others become '-').
std::string anchor(std::string_view s);
// A whole page: doctype, UTF-8, title, the shared inline style, body.
std::string page(std::string_view title, const std::string& body);
// <span class="badge st-STATUS">STATUS</span>; the class of a status ("FAIL" -> "st-fail").
std::string badge(std::string_view status);
std::string status_class(std::string_view status);
// Horizontal bars, one per (label, count), scaled to the largest; inline <svg> with a title.
std::string bar_chart(std::string_view title, const std::vector<std::pair<std::string, uint64_t>>& bars);

}  // namespace ringside::html
