#include "report/html_text.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "report/xml_text.hpp"

namespace ringside::html {

namespace {

// Colours people read as pass / fail / known / skip / error / timeout.
constexpr std::string_view kStyle = R"css(
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em 2em; color: #1d1d1f; background: #fff; }
h1 { font-size: 1.5em; margin: 0 0 .3em; } h2 { font-size: 1.2em; margin: 1.6em 0 .5em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; margin: 1.2em 0 .4em; }
table { border-collapse: collapse; margin: .4em 0; } th, td { border: 1px solid #d0d0d0; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f8; border: 1px solid #e0e0e4; padding: .6em; overflow-x: auto; font-size: 12.5px; line-height: 1.35; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.badge { display: inline-block; padding: 0 .5em; border-radius: 3px; font-weight: 600; font-size: .9em; color: #fff; }
.st-pass { background: #2e7d32; } .st-fail { background: #c62828; } .st-known { background: #e0a800; color: #222; }
.st-skip { background: #8a8a8a; } .st-error { background: #ef6c00; } .st-timeout { background: #6a1b9a; }
.st-other { background: #455a64; }
td.st-pass, td.st-fail, td.st-known, td.st-skip, td.st-error, td.st-timeout, td.st-other { color: #fff; font-weight: 600; text-align: center; }
td.st-known { color: #222; } td a { color: inherit; }
.summary { display: flex; gap: .8em; flex-wrap: wrap; margin: .6em 0; }
.summary div { border: 1px solid #ddd; border-radius: 4px; padding: .4em .9em; min-width: 5em; }
.summary b { display: block; font-size: 1.4em; }
.failure { border-left: 4px solid #c62828; padding: .1em 0 .1em 1em; margin: 1em 0; }
.failure.st-error-box { border-left-color: #ef6c00; } .failure.st-known-box { border-left-color: #e0a800; }
.failure table th { width: 7em; }
.muted { color: #666; } .charts { display: flex; flex-wrap: wrap; gap: 1.2em; }
.chart { border: 1px solid #e0e0e4; padding: .5em .7em; } .chart h3 { margin: 0 0 .3em; font-size: .95em; }
details > summary { cursor: pointer; color: #333; }
table.unjudged td:nth-child(3) { white-space: nowrap; }
)css";

}  // namespace

std::string text(std::string_view s) {
  std::string safe = xml_safe_text(s), out;
  out.reserve(safe.size());
  for (char c : safe) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string anchor(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      c = '-';
  return out;
}

std::string page(std::string_view title, const std::string& body) {
  return fmt::format("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n"
                     "<style>{}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
                     text(title), kStyle, body);
}

std::string status_class(std::string_view status) {
  for (std::string_view s : {"pass", "fail", "known", "skip", "error", "timeout"}) {
    std::string upper(s);
    for (char& c : upper) c = static_cast<char>(c - 'a' + 'A');
    if (status == upper) return "st-" + std::string(s);
  }
  return "st-other";
}

std::string badge(std::string_view status) {
  return fmt::format("<span class=\"badge {}\">{}</span>", status_class(status), text(status));
}

std::string bar_chart(std::string_view title, const std::vector<std::pair<std::string, uint64_t>>& bars) {
  constexpr int kLabel = 200, kBar = 170, kRow = 18, kCount = 60;
  uint64_t most = 1;
  size_t label_chars = 0;
  for (const auto& [label, n] : bars) {
    most = std::max(most, n);
    label_chars = std::max(label_chars, label.size());
  }
  // 12px monospace is about 7.3px a character.
  int label_w = std::max(60, std::min(kLabel * 2, static_cast<int>(label_chars) * 15 / 2 + 14));
  int width = label_w + kBar + kCount, height = kRow * static_cast<int>(bars.size()) + 4;
  std::string s = fmt::format(
      "<svg width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\">"
      "<title>{}</title>",
      width, height, width, height, text(title));
  int y = 2;
  for (const auto& [label, n] : bars) {
    int w = n ? std::max(1, static_cast<int>(static_cast<double>(n) / static_cast<double>(most) * kBar)) : 0;
    s += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" font-family=\"monospace\">{}</text>"
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#3f6fb5\"><title>{}: {}</title></rect>"
        "<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
        label_w - 6, y + 13, text(label), label_w, y + 2, w, kRow - 5, text(label), n, label_w + w + 5, y + 13, n);
    y += kRow;
  }
  return s + "</svg>";
}

}  // namespace ringside::html
