#include "bench/svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "bench/model.hpp"

namespace ringside::bench {
namespace {

constexpr double kWidth = 520, kHeight = 380;                       // one panel
constexpr double kLeft = 70, kRight = 20, kTop = 40, kBottom = 50;  // plot-area margins

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  void settle(double pad_fraction) {
    if (lo > hi) lo = 0, hi = 1;
    if (lo == hi) lo -= 1, hi += 1;
    const double pad = (hi - lo) * pad_fraction;
    lo -= pad;
    hi += pad;
  }
};

// Maps data to pixels inside one panel: x on a log2 scale, y linear or log2.
struct Frame {
  double x0, y0;  // panel's top left corner in the whole picture
  bool log_y = false;
  Range x, y;  // x in log2 units; y in log2 units when log_y
  double yv(double v) const { return log_y ? std::log2(v) : v; }  // data -> y units
  double px(double v) const {
    return x0 + kLeft + (std::log2(v) - x.lo) / (x.hi - x.lo) * (kWidth - kLeft - kRight);
  }
  double py(double v) const { return y0 + kTop + (y.hi - yv(v)) / (y.hi - y.lo) * (kHeight - kTop - kBottom); }
  bool plottable(double xv, double v) const { return xv > 0 && std::isfinite(v) && (!log_y || v > 0); }
};

// y tick values: a 1-2-5 step giving about five ticks (linear), or every 1-2-5 value in range (log).
std::vector<double> y_ticks(const Frame& f) {
  std::vector<double> ticks;
  if (f.log_y) {
    for (int d = static_cast<int>(std::floor(f.y.lo * std::log10(2.0))) - 1;
         d <= static_cast<int>(std::ceil(f.y.hi * std::log10(2.0))); ++d)
      for (double m : {1.0, 2.0, 5.0}) {
        const double v = m * std::pow(10.0, d);
        if (std::log2(v) >= f.y.lo && std::log2(v) <= f.y.hi) ticks.push_back(v);
      }
    return ticks;
  }
  const double raw = (f.y.hi - f.y.lo) / 5, mag = std::pow(10, std::floor(std::log10(raw)));
  const double step = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
  for (double v = std::ceil(f.y.lo / step) * step; v <= f.y.hi; v += step)
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0 : v);  // print 0, not -1.2e-13
  return ticks;
}

void draw_axes(std::string& svg, const Frame& f, const Panel& panel) {
  const double left = f.x0 + kLeft, right = f.x0 + kWidth - kRight, top = f.y0 + kTop,
               bottom = f.y0 + kHeight - kBottom;
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"14\" text-anchor=\"middle\">{}</text>\n",
                     f.x0 + kWidth / 2, f.y0 + 22, escape(panel.title));
  svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" "
                     "stroke=\"#444\"/>\n", left, top, right - left, bottom - top);
  std::vector<std::pair<double, std::string>> x_ticks = panel.x_ticks;
  if (x_ticks.empty())
    for (int e = static_cast<int>(std::ceil(f.x.lo)); e <= static_cast<int>(std::floor(f.x.hi)); ++e)
      x_ticks.emplace_back(std::exp2(e), fmt::format("{:g}", std::exp2(e)));
  for (const auto& [v, label] : x_ticks) {
    if (std::log2(v) < f.x.lo || std::log2(v) > f.x.hi) continue;
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>\n"
                       "<text x=\"{0:.1f}\" y=\"{3:.1f}\" font-size=\"11\" text-anchor=\"middle\">{4}</text>\n",
                       f.px(v), top, bottom, bottom + 15, escape(label));
  }
  for (double v : y_ticks(f))
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#ddd\"/>\n"
                       "<text x=\"{3:.1f}\" y=\"{4:.1f}\" font-size=\"11\" text-anchor=\"end\">{5:g}</text>\n",
                       left, f.py(v), right, left - 4, f.py(v) + 4, v);
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"12\" text-anchor=\"middle\">{}</text>\n",
                     (left + right) / 2, f.y0 + kHeight - 12, escape(panel.x_label));
  svg += fmt::format("<text x=\"{0:.1f}\" y=\"{1:.1f}\" font-size=\"12\" text-anchor=\"middle\" "
                     "transform=\"rotate(-90 {0:.1f} {1:.1f})\">{2}</text>\n",
                     f.x0 + 14, (top + bottom) / 2, escape(panel.y_label));
}

void draw_series(std::string& svg, const Frame& f, const Series& s, int index, bool legend_left) {
  svg += fmt::format("<g class=\"series\" data-name=\"{}\">\n", escape(s.name));
  std::string points;
  for (const auto& [x, y] : s.xy)
    if (f.plottable(x, y)) points += fmt::format("{:.1f},{:.1f} ", f.px(x), f.py(y));
  svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"{}/>\n", points,
                     s.color, s.markers ? 1 : 2, s.dashed ? " stroke-dasharray=\"6 4\"" : "");
  if (s.markers)
    for (const auto& [x, y] : s.xy)
      if (f.plottable(x, y))
        svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\"/>\n", f.px(x), f.py(y),
                           s.color);
  // Legend entry, top right (or left) of the plot area.
  const double lx = legend_left ? f.x0 + kLeft + 10 : f.x0 + kWidth - kRight - 190, ly = f.y0 + kTop + 14 + 16 * index;
  svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
                     "stroke-width=\"2\"{}/>\n<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\">{}</text>\n",
                     lx, ly - 4, lx + 22, ly - 4, s.color, s.dashed ? " stroke-dasharray=\"6 4\"" : "", lx + 28,
                     ly, escape(s.name));
  svg += "</g>\n";
}

}  // namespace

std::string render_svg(const std::vector<Panel>& panels, std::size_t columns) {
  const std::size_t cols = columns == 0 ? std::max<std::size_t>(1, panels.size()) : columns;
  const std::size_t rows = std::max<std::size_t>(1, (panels.size() + cols - 1) / cols);
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "viewBox=\"0 0 {0:.0f} {1:.0f}\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      kWidth * static_cast<double>(std::min(cols, std::max<std::size_t>(1, panels.size()))),
      kHeight * static_cast<double>(rows));
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const Panel& panel = panels[p];
    Frame f;
    f.x0 = kWidth * static_cast<double>(p % cols);
    f.y0 = kHeight * static_cast<double>(p / cols);
    f.log_y = panel.log_y;
    for (const Series& s : panel.series)
      for (const auto& [x, y] : s.xy)
        if (f.plottable(x, y)) f.x.add(std::log2(x)), f.y.add(f.yv(y));
    f.x.settle(0.04);
    f.y.settle(0.08);
    svg += fmt::format("<g class=\"panel\" data-title=\"{}\">\n", escape(panel.title));
    draw_axes(svg, f, panel);
    for (std::size_t i = 0; i < panel.series.size(); ++i)
      draw_series(svg, f, panel.series[i], static_cast<int>(i), panel.legend_left);
    for (const auto& [x, label] : panel.x_marks) {
      if (x <= 0 || std::log2(x) < f.x.lo || std::log2(x) > f.x.hi) continue;  // B* also is in the title
      const double px = f.px(x);
      svg += fmt::format("<g class=\"mark\" data-name=\"{2}\"><line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" "
                         "y2=\"{3:.1f}\" stroke=\"#c00\" stroke-dasharray=\"2 3\"/>\n<text x=\"{4:.1f}\" "
                         "y=\"{5:.1f}\" font-size=\"11\" fill=\"#c00\">{2}</text></g>\n",
                         px, f.y0 + kTop, escape(label), f.y0 + kHeight - kBottom, px + 4, f.y0 + kHeight - kBottom - 6);
    }
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return svg;
}

std::string plot_report(const Report& report) {
  const Params& pr = report.params;
  const char* colors[] = {"#1f77b4", "#ff7f0e"};
  Panel ratio{"R(k) = blocking / async CPU per op", "k (threads or connections)", "R(k)", {}, {}};
  Panel batch{"Overhead per request vs batch size", "B (round trips per io_uring_enter)", "ns per request", {}, {}};

  for (std::size_t t = 0; t < report.analysis.ratio.size(); ++t) {
    const RatioFit& f = report.analysis.ratio[t];
    const std::string color = colors[t % 2];
    Series measured{f.transport + " measured", color, true, false, {}};
    Series predicted{f.transport + " model", color, false, true, {}};
    for (const RatioRow& row : f.rows) measured.xy.emplace_back(row.k, row.measured);
    if (f.valid && !f.rows.empty())  // the model as a smooth curve over the measured k
      for (double k = f.rows.front().k; k <= f.rows.back().k * 1.0001; k *= std::sqrt(std::sqrt(2.0)))
        predicted.xy.emplace_back(k, model::ratio(f.t0_ns, f.s_ns, f.l_ns, k));
    ratio.series.push_back(measured);
    ratio.series.push_back(predicted);
  }
  if (!ratio.series.empty() && !ratio.series.front().xy.empty()) {
    const auto& xy = ratio.series.front().xy;
    ratio.series.push_back({"R = 1", "#999", false, false, {{xy.front().first, 1.0}, {xy.back().first, 1.0}}});
  }

  double b_lo = 0, b_hi = 0;
  for (std::size_t t = 0; t < report.analysis.batching.size(); ++t) {
    const BatchFit& f = report.analysis.batching[t];
    if (!f.valid) continue;
    Series measured{f.transport + " io_uring (k=" + std::to_string(f.k) + ")", colors[t % 2], true, false, {}};
    for (const BatchRow& row : f.rows) measured.xy.emplace_back(row.batch, row.measured_overhead_ns);
    Series legacy{f.transport + " legacy measured", colors[t % 2], false, true, {}};
    legacy.xy = {{f.rows.front().batch, f.legacy_measured_ns}, {f.rows.back().batch, f.legacy_measured_ns}};
    batch.series.push_back(measured);
    batch.series.push_back(legacy);
    b_lo = b_lo == 0 ? f.rows.front().batch : std::min<double>(b_lo, f.rows.front().batch);
    b_hi = std::max<double>(b_hi, f.rows.back().batch);
  }
  if (b_hi > 0) {
    Series legacy{"legacy model 2(ts+tk)", "#555", false, false, {}};
    legacy.xy = {{b_lo, model::legacy_overhead(pr.ts_ns, pr.tk_ns)}, {b_hi, model::legacy_overhead(pr.ts_ns, pr.tk_ns)}};
    Series batched{"model 2(ts+tk)/B + tr", "#000", false, true, {}};
    for (double b = b_lo; b <= b_hi * 1.0001; b *= std::sqrt(std::sqrt(2.0)))
      batched.xy.emplace_back(b, model::batched_overhead(pr.ts_ns, pr.tk_ns, pr.tr_ns, b));
    batch.series.insert(batch.series.begin(), {legacy, batched});
    const auto b_star = model::break_even_batch(pr.ts_ns, pr.tk_ns, pr.tr_ns);
    const std::string label = b_star ? fmt::format("B* = {:.4g}", *b_star) : "no B*";
    if (b_star) batch.x_marks.emplace_back(*b_star, label);
    batch.title += " (" + label + ")";
  }
  return render_svg({ratio, batch});
}

}  // namespace ringside::bench
