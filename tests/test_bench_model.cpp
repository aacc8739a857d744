// The seed's formulas on known numbers, and the analysis recovering known
// parameters from synthetic measurements made with those formulas.
#include <catch2/catch.hpp>

#include "bench/analysis.hpp"
#include "bench/model.hpp"

using namespace ringside::bench;

TEST_CASE("bench model: blocking vs async ratio R(k)", "[bench]") {
  // t0 = 10, s = 2, l = 4: T_A(2) = 10 + 4 - 2 = 12, T_B = 6, R = 2.
  CHECK(model::blocking_time(10, 2, 4, 2) == Approx(12));
  CHECK(model::async_time(10, 4) == Approx(6));
  CHECK(model::ratio(10, 2, 4, 2) == Approx(2));
  // The seed's second form: (k(t0 + 2s) - l) / (k(t0 - l)).
  for (double k : {1.0, 4.0, 16.0, 1024.0})
    CHECK(model::ratio(10, 2, 4, k) == Approx((k * (10 + 4) - 4) / (k * (10 - 4))));
  // R grows with k towards (t0 + 2s) / (t0 - l).
  CHECK(model::ratio(10, 2, 4, 1) < model::ratio(10, 2, 4, 1024));
  // Crossing R = 1 at k = l / (l + 2s): below 1 for l > 0, absent for l + 2s = 0.
  CHECK(*model::ratio_crossing(2, 4) == Approx(0.5));
  CHECK_FALSE(model::ratio_crossing(2, -4).has_value());
  CHECK(*model::ratio_crossing(1, -6) == Approx(1.5));  // l < -2s: blocking cheaper beyond k = 1.5
  CHECK(model::ratio(10, 1, -6, 1.5) == Approx(1));
}

TEST_CASE("bench model: batching break-even B*", "[bench]") {
  // ts = 1, tk = 2, tr = 1: legacy 2(ts+tk) = 6, B* = 6 / (6 - 1) = 1.2.
  CHECK(model::legacy_overhead(1, 2) == Approx(6));
  CHECK(*model::break_even_batch(1, 2, 1) == Approx(1.2));
  const double b = *model::break_even_batch(1, 2, 1);
  CHECK(model::batched_overhead(1, 2, 1, b) == Approx(model::legacy_overhead(1, 2)));
  CHECK(model::batched_overhead(1, 2, 1, 3) == Approx(3));  // 6/3 + 1
  // tr at or above the legacy overhead: no batch size ever breaks even.
  CHECK_FALSE(model::break_even_batch(1, 2, 6).has_value());
  CHECK_FALSE(model::break_even_batch(1, 2, 7).has_value());
}

TEST_CASE("bench model: least squares and median", "[bench]") {
  const auto line = model::fit_line({1, 2, 3, 4}, {3, 5, 7, 9});
  REQUIRE(line);
  CHECK(line->slope == Approx(2));
  CHECK(line->intercept == Approx(1));
  CHECK_FALSE(model::fit_line({1}, {2}));
  CHECK_FALSE(model::fit_line({2, 2}, {1, 3}));
  CHECK(model::median({5, 1, 3}) == 3);
  CHECK(model::median({4, 1, 3, 2}) == Approx(2.5));
  CHECK(model::median({}) == 0);
}

namespace {

Point point(const char* design, int k, int batch, double cpu, double vcsw) {
  Point p;
  p.transport = "unix";
  p.design = design;
  p.k = k;
  p.batch = batch;
  p.ops = 1000;
  p.cpu_ns_per_op = cpu;
  p.voluntary_switches_per_op = vcsw;
  return p;
}

}  // namespace

TEST_CASE("bench analysis: recovers the parameters of data that follows the models", "[bench]") {
  const double t0 = 3000, l = 400, ts = 100, tk = 900, tr = 10;
  // The batching model's shared work at k = 256, consistent with T_A(256):
  // T_A(256) = t0 + 2tk - l/256 = work + 2(ts + tk).
  const double work = t0 - l / 256 - 2 * ts;
  Params params;
  params.ts_ns = ts;
  params.tk_ns = tk;
  params.tr_ns = tr;
  std::vector<Point> points;
  for (int k : {1, 4, 16, 64, 256, 1024}) {
    points.push_back(point("blocking", k, 0, model::blocking_time(t0, tk, l, k), 1.0));
    points.push_back(point("epoll", k, 0, model::async_time(t0, l), 0.01));
  }
  for (int b : {1, 2, 4, 8, 16, 32, 64, 128, 256})
    points.push_back(point("io_uring", 256, b, work + model::batched_overhead(ts, tk, tr, b), 0.01));

  const Analysis a = analyze(params, points);
  REQUIRE(a.ratio.size() == 2);  // tcp (no data) and unix
  CHECK_FALSE(a.ratio[0].valid);
  const RatioFit& r = a.ratio[1];
  REQUIRE(r.valid);
  CHECK(r.t_b_ns == Approx(t0 - l));
  CHECK(r.l_ns == Approx(l));
  CHECK(r.t0_ns == Approx(t0));
  CHECK(r.alpha_ns == Approx(t0 + 2 * tk));
  REQUIRE(r.rows.size() == 6);
  for (const RatioRow& row : r.rows) {
    CHECK(row.model == Approx(row.measured));
    CHECK(row.holds);
  }

  const BatchFit& b = a.batching[1];
  REQUIRE(b.valid);
  CHECK(b.k == 256);
  CHECK(b.fit_fixed_ns == Approx(2 * (ts + tk)));
  CHECK(b.work_ns == Approx(work));
  CHECK(b.b_star == Approx(2000.0 / 1990.0));
  CHECK(b.legacy_measured_ns == Approx(2 * (ts + tk)));
  CHECK(b.measured_break_even == 2);  // at B = 1 io_uring costs exactly tr more than legacy
  CHECK(b.break_even_agrees);
  for (const BatchRow& row : b.rows) CHECK(row.measured_overhead_ns == Approx(row.model_overhead_ns));
}

TEST_CASE("bench analysis: an async loop that sleeps every op is left out of T_B", "[bench]") {
  Params params;
  params.tk_ns = 1000;
  std::vector<Point> points = {point("blocking", 1, 0, 9000, 1.0), point("blocking", 16, 0, 8000, 1.0),
                               point("epoll", 1, 0, 9500, 1.0), point("epoll", 16, 0, 4000, 0.01)};
  const Analysis a = analyze(params, points);
  const RatioFit& r = a.ratio[1];
  REQUIRE(r.valid);
  CHECK(r.t_b_ns == Approx(4000));
  CHECK(r.t_b_ks == std::vector<int>{16});
  CHECK(r.crossing_measured.find("between k = 1 and k = 16") != std::string::npos);
}
