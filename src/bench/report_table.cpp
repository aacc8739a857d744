#include "bench/report_table.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

namespace ringside::bench {
namespace {

const char* status_text(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::skip: return "SKIP";
    case Status::error: return "ERROR";
  }
  return "?";
}

std::string pct(double fraction) { return fmt::format("{:+.0f}%", fraction * 100); }

std::string join_ks(const std::vector<int>& ks) {
  std::string s;
  for (int k : ks) s += (s.empty() ? "" : ", ") + std::to_string(k);
  return s.empty() ? "none" : s;
}

void print_header(std::ostream& out, const Report& r) {
  const Environment& e = r.env;
  out << fmt::format("ringside bench ({} run): kernel {}, {} CPU(s) allowed, ", e.quick ? "quick" : "full",
                     e.kernel, e.cpus_allowed);
  if (e.client_cpu < 0) out << "not pinned";
  else out << fmt::format("measured side on CPU {}, echo peer on CPU {}", e.client_cpu, e.peer_cpu);
  out << fmt::format(", {}-byte messages, {:.2f} s per point, io_uring setup: {}, load average {:.2f} at start{}\n\n",
                     e.message_bytes, e.seconds_per_point, e.io_uring_setup.empty() ? "-" : e.io_uring_setup,
                     e.load_average,
                     e.load_average > 0.5 ? " (other work shares these CPUs: expect noise)" : "");
}

void print_params(std::ostream& out, const Params& p) {
  out << "Measured parameters (CPU time per event, median of repeats)\n";
  out << fmt::format("  ts    system call           {:9.1f} ns   {}\n", p.ts_ns, p.ts_method);
  out << fmt::format("  s=tk  context switch        {:9.1f} ns   {} (round trip {:.1f} ns)\n", p.tk_ns,
                     p.tk_method, p.switch_round_trip_ns);
  out << fmt::format("  tr    ring bookkeeping      {:9.1f} ns   {}\n", p.tr_ns, p.tr_method);
  out << fmt::format("        kernel work per NOP   {:9.1f} ns   (per-request kernel cost; the model has none)\n",
                     p.tr_kernel_ns);
  if (!p.note.empty()) out << "  note: " << p.note << '\n';
  out << '\n';
}

void print_points(std::ostream& out, const std::vector<Point>& points) {
  out << "Echo workload: one op = send + receive of the echo. CPU = user + sys of this process\n"
         "(getrusage RUSAGE_SELF) per op; the echo peer is a separate process, so its CPU is excluded.\n"
         "The user/sys split is the kernel's tick-sampled estimate unless it has precise accounting;\n"
         "their sum is exact. vcsw = voluntary context switches; ops/ent = round trips per io_uring_enter.\n";
  out << fmt::format("{:<5} {:<9} {:>5} {:>4} {:>6} {:>10} {:>9} {:>8} {:>8} {:>7} {:>7}\n", "trans", "design",
                     "k", "B", "status", "ops/s", "cpu ns/op", "user", "sys", "vcsw/op", "ops/ent");
  for (const Point& p : points) {
    const std::string b = p.batch ? std::to_string(p.batch) : "-";
    if (p.status != Status::ok) {
      out << fmt::format("{:<5} {:<9} {:>5} {:>4} {:>6} {}\n", p.transport, p.design, p.k, b,
                         status_text(p.status), p.reason);
      continue;
    }
    const std::string per_enter = p.ops_per_enter > 0 ? fmt::format("{:.1f}", p.ops_per_enter) : "-";
    out << fmt::format("{:<5} {:<9} {:>5} {:>4} {:>6} {:>10.0f} {:>9.1f} {:>8.1f} {:>8.1f} {:>7.3f} {:>7}\n",
                       p.transport, p.design, p.k, b, "ok", p.ops_per_sec, p.cpu_ns_per_op, p.user_ns_per_op,
                       p.sys_ns_per_op, p.voluntary_switches_per_op, per_enter);
  }
  out << '\n';
}

void print_ratio(std::ostream& out, const RatioFit& f, double tolerance) {
  out << fmt::format("R(k) for {}: measured = blocking CPU/op / epoll CPU/op at the same k; "
                     "model = (t0 + 2s - l/k) / (t0 - l)\n", f.transport);
  if (!f.valid) {
    out << "  no fit: " << f.why_invalid << "\n\n";
    return;
  }
  out << fmt::format("  fit: T_B = t0 - l = {:.1f} ns (median epoll CPU/op over k = {}, where it rarely slept; "
                     "range {:.1f} .. {:.1f})\n       l = {:.1f} ns (slope of blocking CPU/op vs 1/k), "
                     "t0 = T_B + l = {:.1f} ns, s = {:.1f} ns (measured)\n",
                     f.t_b_ns, join_ks(f.t_b_ks), f.t_b_min_ns, f.t_b_max_ns, f.l_ns, f.t0_ns, f.s_ns);
  const double predicted_alpha = f.t0_ns + 2 * f.s_ns;
  out << fmt::format("  check: blocking fit intercept {:.1f} ns vs the model's t0 + 2s = {:.1f} ns ({})\n",
                     f.alpha_ns, predicted_alpha,
                     predicted_alpha != 0 ? pct((f.alpha_ns - predicted_alpha) / predicted_alpha) : "-");
  out << fmt::format("  {:>5} {:>10} {:>8} {:>7} {:>12}  {}\n", "k", "R measured", "R model", "error",
                     "R vs uring", "model");
  std::vector<int> holds, fails;
  for (const RatioRow& row : f.rows) {
    (row.holds ? holds : fails).push_back(row.k);
    out << fmt::format("  {:>5} {:>10.2f} {:>8.2f} {:>7} {:>12}  {}\n", row.k, row.measured, row.model,
                       pct(row.rel_error),
                       row.measured_io_uring > 0 ? fmt::format("{:.2f}", row.measured_io_uring) : "-",
                       row.holds ? "holds" : (row.rel_error > 0 ? "over-predicts" : "under-predicts"));
  }
  out << fmt::format("  crossing R = 1: model: {}; measured: {}\n", f.crossing_model, f.crossing_measured);
  out << fmt::format("  => within {:.0f}%: model holds at k = {}; does not hold at k = {}\n\n", tolerance * 100,
                     join_ks(holds), join_ks(fails));
}

void print_batching(std::ostream& out, const BatchFit& f, double tr_ns) {
  out << fmt::format("Break-even batch for {}: legacy = one blocking thread per connection at the same k "
                     "(per op: 2 syscalls, 2 switches)\n", f.transport);
  if (!f.valid) {
    out << "  no fit: " << f.why_invalid << "\n\n";
    return;
  }
  out << fmt::format("  k = {}. Fit io_uring CPU/op = a + c/B: a = {:.1f} ns, c = {:.1f} ns per batch "
                     "(model: 2(ts+tk) = {:.1f}). Work under the overhead = a - tr = {:.1f} ns.\n",
                     f.k, f.fit_per_request_ns, f.fit_fixed_ns, f.legacy_model_ns, f.work_ns);
  out << fmt::format("  legacy: CPU/op {:.1f} ns, overhead above the work {:.1f} ns (model 2(ts+tk) = {:.1f}, {})\n",
                     f.legacy_cpu_ns, f.legacy_measured_ns, f.legacy_model_ns,
                     f.legacy_model_ns > 0 ? pct((f.legacy_model_ns - f.legacy_measured_ns) / f.legacy_measured_ns)
                                           : "-");
  out << fmt::format("  {:>5} {:>14} {:>18} {:>16}\n", "B", "io_uring ns/op", "overhead measured",
                     "overhead model");
  for (const BatchRow& row : f.rows)
    out << fmt::format("  {:>5} {:>14.1f} {:>18.1f} {:>16.1f}\n", row.batch, row.cpu_ns_per_op,
                       row.measured_overhead_ns, row.model_overhead_ns);
  const std::string b_star = f.b_star > 0 ? fmt::format("{:.3f}", f.b_star) : "none (tr >= 2(ts+tk))";
  const std::string measured =
      f.measured_break_even ? fmt::format("B = {}", f.measured_break_even) : "none in the sweep";
  out << fmt::format("  B*: model {} (tr = {:.1f} ns); measured: io_uring first at or below legacy at {}; "
                     "fitted crossing B = {} => {}\n\n", b_star, tr_ns, measured,
                     f.fit_break_even > 0 ? fmt::format("{:.2f}", f.fit_break_even) : "n/a",
                     f.break_even_agrees ? "agrees within one sweep step" : "does not agree");
}

}  // namespace

void print_report(std::ostream& out, const Report& report) {
  print_header(out, report);
  print_params(out, report.params);
  print_points(out, report.points);
  for (const RatioFit& f : report.analysis.ratio) print_ratio(out, f, report.analysis.tolerance);
  for (const BatchFit& f : report.analysis.batching) print_batching(out, f, report.params.tr_ns);
}

void print_comparison(std::ostream& out, const Comparison& c) {
  out << fmt::format("Comparison with the baseline (threshold {:.0f}%, higher CPU is worse)\n", c.threshold_pct);
  int improvements = 0;
  for (const CompareItem& i : c.items) {
    improvements += i.improvement;
    if (!i.regression && !i.improvement) continue;
    out << fmt::format("  {:<11} {:<40} {:>10.1f} -> {:>10.1f} ns ({:+.0f}%)\n",
                       i.regression ? "REGRESSION" : "improved", i.key, i.baseline, i.current, i.change_pct);
  }
  out << fmt::format("  {} compared, {} regression(s), {} improvement(s), {} not comparable\n", c.items.size(),
                     c.regressions(), improvements, c.unmatched.size());
}

}  // namespace ringside::bench
