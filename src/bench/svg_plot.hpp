// The plot as SVG text, written directly (no plotting library at run time):
// left, R(k) measured vs the model; right, overhead per request against the
// batch size B, with the legacy 2(ts+tk) line and B*. Both x axes are log2.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bench/results.hpp"

namespace ringside::bench {

struct Series {
  std::string name;  // legend text; also the group's data-name attribute
  std::string color;
  bool markers = false;  // dots joined by a thin line, else a plain line
  bool dashed = false;
  std::vector<std::pair<double, double>> xy;
};

struct Panel {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  std::vector<std::pair<double, std::string>> x_marks;  // labelled vertical lines
};

std::string render_svg(const std::vector<Panel>& panels);
std::string plot_report(const Report& report);

}  // namespace ringside::bench
