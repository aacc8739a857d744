// The seed's two performance models as plain formulas, plus the small fits
// used to estimate their parameters from measurements. No syscalls here.
#pragma once

#include <optional>
#include <vector>

namespace ringside::bench::model {

// Blocking thread-per-operation: T_A(k) = t0 + 2s - l/k.
double blocking_time(double t0, double s, double l, double k);
// Single-threaded asynchronous loop: T_B = t0 - l.
double async_time(double t0, double l);
// R(k) = T_A(k) / T_B.
double ratio(double t0, double s, double l, double k);
// k at which R(k) = 1, i.e. l / (l + 2s); nullopt if l + 2s == 0.
std::optional<double> ratio_crossing(double s, double l);

// Legacy interface overhead per request: 2(ts + tk).
double legacy_overhead(double ts, double tk);
// Batched interface overhead per request: 2(ts + tk)/B + tr.
double batched_overhead(double ts, double tk, double tr, double batch);
// B* = 2(ts + tk) / (2(ts + tk) - tr); nullopt when tr >= 2(ts + tk) (no break-even).
std::optional<double> break_even_batch(double ts, double tk, double tr);

// Least-squares line y = intercept + slope * x.
struct Line {
  double intercept = 0;
  double slope = 0;
};
// nullopt with fewer than two distinct x.
std::optional<Line> fit_line(const std::vector<double>& x, const std::vector<double>& y);

double median(std::vector<double> values);  // 0 for an empty vector

}  // namespace ringside::bench::model
