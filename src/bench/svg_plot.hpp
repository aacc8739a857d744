// The plot as SVG text, written directly (no plotting library at run time):
// left, R(k) measured vs the model; right, overhead per request against the
// batch size B, with the legacy 2(ts+tk) line and B*. Both x axes are log2.
// render_svg() draws any such panels (the loop benchmark's too).
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
  bool log_y = false;  // y on a log scale, ticks at 1-2-5 values
  bool legend_left = false;  // legend at the top left of the plot area, else top right
  std::vector<std::pair<double, std::string>> x_ticks = {};  // labelled x ticks; empty: every power of 2
};

// Panels side by side, `columns` per row (0: all in one row).
std::string render_svg(const std::vector<Panel>& panels, std::size_t columns = 0);
std::string plot_report(const Report& report);

}  // namespace ringside::bench
