#include "bench/model.hpp"

#include <algorithm>
#include <cmath>

namespace ringside::bench::model {

double blocking_time(double t0, double s, double l, double k) { return t0 + 2 * s - l / k; }

double async_time(double t0, double l) { return t0 - l; }

double ratio(double t0, double s, double l, double k) {
  return blocking_time(t0, s, l, k) / async_time(t0, l);
}

std::optional<double> ratio_crossing(double s, double l) {
  // t0 + 2s - l/k = t0 - l  <=>  k = l / (l + 2s)
  if (l + 2 * s == 0) return std::nullopt;
  return l / (l + 2 * s);
}

double legacy_overhead(double ts, double tk) { return 2 * (ts + tk); }

double batched_overhead(double ts, double tk, double tr, double batch) {
  return legacy_overhead(ts, tk) / batch + tr;
}

std::optional<double> break_even_batch(double ts, double tk, double tr) {
  const double legacy = legacy_overhead(ts, tk);
  if (legacy - tr <= 0) return std::nullopt;
  return legacy / (legacy - tr);
}

std::optional<Line> fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2) return std::nullopt;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  if (sxx <= 0) return std::nullopt;
  Line line;
  line.slope = sxy / sxx;
  line.intercept = my - line.slope * mx;
  return line;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

}  // namespace ringside::bench::model
