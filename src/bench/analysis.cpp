#include "bench/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "bench/model.hpp"

namespace ringside::bench {
namespace {

// CPU/op of the ok points of one transport and design, by k (and batch).
std::map<int, double> by_k(const std::vector<Point>& points, const std::string& transport,
                           const std::string& design) {
  std::map<int, double> out;
  for (const Point& p : points)
    if (p.status == Status::ok && p.transport == transport && p.design == design)
      out[p.k] = p.cpu_ns_per_op;
  return out;
}

std::map<int, std::map<int, double>> uring_by_k_batch(const std::vector<Point>& points,
                                                      const std::string& transport) {
  std::map<int, std::map<int, double>> out;
  for (const Point& p : points)
    if (p.status == Status::ok && p.transport == transport && p.design == "io_uring")
      out[p.k][p.batch] = p.cpu_ns_per_op;
  return out;
}

// An epoll loop with at least this many voluntary switches per op slept for
// (nearly) every op: outside the model's premise for T_B.
constexpr double kAsyncSleepsPerOp = 0.5;

double finite(double v) { return std::isfinite(v) ? v : 0; }

std::string fmt_num(double v) {
  std::ostringstream s;
  s.precision(3);
  s << v;
  return s.str();
}

std::string model_crossing_text(double s, double l) {
  const auto kc = model::ratio_crossing(s, l);
  if (kc && *kc >= 1)
    return "R(k) = 1 at k = " + fmt_num(*kc) + "; blocking is cheaper beyond it";
  return "none for k >= 1: the model has the async loop cheaper at every k";
}

std::string measured_crossing_text(const std::vector<RatioRow>& rows) {
  if (rows.empty()) return "no data";
  std::string out;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const bool before = rows[i - 1].measured > 1, after = rows[i].measured > 1;
    if (before != after)
      out += std::string(out.empty() ? "" : "; ") + "crosses 1 between k = " +
             std::to_string(rows[i - 1].k) + " and k = " + std::to_string(rows[i].k) +
             (after ? " (async cheaper above)" : " (blocking cheaper above)");
  }
  if (!out.empty()) return out;
  return rows.front().measured > 1 ? "none: R(k) > 1 (async cheaper) at every measured k"
                                   : "none: R(k) <= 1 (blocking as cheap or cheaper) at every measured k";
}

RatioFit fit_ratio(const Params& params, const std::vector<Point>& points, const std::string& transport,
                   double tolerance) {
  RatioFit fit;
  fit.transport = transport;
  const auto blocking = by_k(points, transport, "blocking");
  const auto epoll = by_k(points, transport, "epoll");
  const auto uring = uring_by_k_batch(points, transport);

  // T_B from the k at which the epoll loop rarely slept (the model's premise:
  // the async design pays no switches); from all k if there is none such.
  std::vector<double> async, inv_k, a;
  for (const Point& p : points)
    if (p.status == Status::ok && p.transport == transport && p.design == "epoll" &&
        p.voluntary_switches_per_op < kAsyncSleepsPerOp) {
      async.push_back(p.cpu_ns_per_op);
      fit.t_b_ks.push_back(p.k);
    }
  if (async.empty())
    for (const auto& [k, cpu] : epoll) {
      async.push_back(cpu);
      fit.t_b_ks.push_back(k);
    }
  for (const auto& [k, cpu] : blocking) {
    inv_k.push_back(1.0 / k);
    a.push_back(cpu);
  }
  const auto line = model::fit_line(inv_k, a);
  if (async.empty() || !line) {
    fit.why_invalid = "needs epoll at one k and blocking at two k or more";
    return fit;
  }
  fit.t_b_ns = model::median(async);
  fit.t_b_min_ns = *std::min_element(async.begin(), async.end());
  fit.t_b_max_ns = *std::max_element(async.begin(), async.end());
  fit.l_ns = -line->slope;
  fit.alpha_ns = line->intercept;
  fit.t0_ns = fit.t_b_ns + fit.l_ns;
  fit.s_ns = params.tk_ns;
  fit.valid = fit.t_b_ns > 0;
  if (!fit.valid) fit.why_invalid = "async CPU/op is not positive";

  for (const auto& [k, cpu] : blocking) {
    const auto e = epoll.find(k);
    if (e == epoll.end() || e->second <= 0) continue;
    RatioRow row;
    row.k = k;
    row.measured = cpu / e->second;
    if (auto u = uring.find(k); u != uring.end() && !u->second.empty())
      row.measured_io_uring = cpu / u->second.rbegin()->second;  // largest B at this k
    if (fit.valid) {
      row.model = finite(model::ratio(fit.t0_ns, fit.s_ns, fit.l_ns, k));
      row.rel_error = finite((row.model - row.measured) / row.measured);
      row.holds = std::abs(row.rel_error) <= tolerance;
    }
    fit.rows.push_back(row);
  }
  fit.crossing_model = fit.valid ? model_crossing_text(fit.s_ns, fit.l_ns) : "";
  fit.crossing_measured = measured_crossing_text(fit.rows);
  return fit;
}

BatchFit fit_batching(const Params& params, const std::vector<Point>& points, const std::string& transport) {
  BatchFit fit;
  fit.transport = transport;
  const auto blocking = by_k(points, transport, "blocking");
  const auto uring = uring_by_k_batch(points, transport);
  // The k with the most batch sizes measured (smallest such k), and a legacy point.
  std::size_t best = 0;
  for (const auto& [k, sweep] : uring)
    if (sweep.size() > best && blocking.count(k)) {
      best = sweep.size();
      fit.k = k;
    }
  if (best < 2) {
    fit.why_invalid = "needs io_uring at two batch sizes and blocking at the same k";
    return fit;
  }
  const double ts = params.ts_ns, tk = params.tk_ns, tr = params.tr_ns;
  fit.legacy_cpu_ns = blocking.at(fit.k);
  fit.legacy_model_ns = model::legacy_overhead(ts, tk);
  fit.b_star = model::break_even_batch(ts, tk, tr).value_or(0);

  std::vector<double> inv_b, cpu;
  for (const auto& [b, c] : uring.at(fit.k)) {
    inv_b.push_back(1.0 / b);
    cpu.push_back(c);
    if (fit.measured_break_even == 0 && c <= fit.legacy_cpu_ns) fit.measured_break_even = b;
  }
  const auto line = model::fit_line(inv_b, cpu);  // cpu(B) = a + c/B
  if (!line) {
    fit.why_invalid = "io_uring points do not span two batch sizes";
    return fit;
  }
  fit.fit_fixed_ns = line->slope;
  fit.fit_per_request_ns = line->intercept;
  // The model's batched cost is work + tr + 2(ts+tk)/B, so its B -> infinity
  // limit, a, is work + tr: what is above a - tr is interface overhead.
  fit.work_ns = fit.fit_per_request_ns - tr;
  fit.legacy_measured_ns = fit.legacy_cpu_ns - fit.work_ns;
  for (const auto& [b, c] : uring.at(fit.k)) {
    BatchRow row;
    row.batch = b;
    row.cpu_ns_per_op = c;
    row.measured_overhead_ns = c - fit.work_ns;
    row.model_overhead_ns = model::batched_overhead(ts, tk, tr, b);
    fit.rows.push_back(row);
  }
  // a + c/B = legacy  <=>  B = c / (legacy - a); meaningful when both are positive.
  const double gap = fit.legacy_cpu_ns - fit.fit_per_request_ns;
  if (gap > 0 && fit.fit_fixed_ns > 0) fit.fit_break_even = finite(fit.fit_fixed_ns / gap);
  // The sweep doubles B, so "agrees" means within one step of B*.
  fit.break_even_agrees = fit.b_star > 0 && fit.measured_break_even > 0 &&
                          std::abs(std::log2(fit.measured_break_even) - std::log2(fit.b_star)) <= 1;
  fit.valid = true;
  return fit;
}

}  // namespace

Analysis analyze(const Params& params, const std::vector<Point>& points) {
  Analysis a;
  a.tolerance = kModelTolerance;
  for (const char* t : {"tcp", "unix"}) {
    a.ratio.push_back(fit_ratio(params, points, t, a.tolerance));
    a.batching.push_back(fit_batching(params, points, t));
  }
  return a;
}

}  // namespace ringside::bench
