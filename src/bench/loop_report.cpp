#include "bench/loop_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "bench/loop_file.hpp"
#include "bench/svg_plot.hpp"

namespace ringside::bench {
namespace {

std::string cache_label(const std::string& cache) {
  Cache c;
  return cache_by_name(cache, c) ? cache_description(c) : cache;
}

// The runs of one (cache, connections) group, in plan order.
std::vector<std::pair<std::string, int>> groups(const LoopReport& r) {
  std::vector<std::pair<std::string, int>> g;
  for (const LoopRun& run : r.runs)
    if (std::find(g.begin(), g.end(), std::make_pair(run.cache, run.connections)) == g.end())
      g.emplace_back(run.cache, run.connections);
  return g;
}

void print_header(std::ostream& out, const LoopReport& r) {
  const LoopPlanSummary& p = r.plan;
  const LoopEnvironment& e = r.env;
  out << fmt::format(
      "ringside bench loop{}: kernel {}, {} CPU(s); file {} MiB in {} (removed at exit), {} KiB per read, "
      "depth {} for wrapper/libuv/helper; each connection sends {} B every {:.3g} ms over 127.0.0.1; "
      "{:.2g} s idle, then whole-file passes until {:.2g} s of reading, per design; libuv thread pool {} "
      "threads; load average {:.2f} at start, {:.2f} at end (other work shares these CPUs: expect noise)\n\n",
      e.quick ? " (quick)" : "", e.kernel, e.cpus_allowed, p.file_bytes >> 20, e.file_dir, p.buffer_bytes >> 10,
      p.depth, p.message_bytes, 1000.0 / p.rate_per_connection, p.idle_seconds, p.min_read_seconds, e.uv_threadpool,
      e.load_start, e.load_end);
  out << "Round-trip time (µs) of the requests sent while the file was being read, and of the idle window\n"
         "before it in the same run. cpu/GiB = process CPU seconds (all threads) during the passes per GiB read;\n"
         "net = the same minus the echo load's share (idle CPU rate x reading time). lost = sent, never echoed.\n";
  out << fmt::format("{:<14} {:>4} {:<9} {:>5} {:>4} {:>7} {:>7} {:>6} | {:>8} {:>8} {:>8} | {:>8} {:>7} | {:>7} {:>4}\n",
                     "cache", "N", "design", "load", "pass", "MiB/s", "cpu/GiB", "net", "p50", "p99", "max", "idle p50",
                     "p99", "samples", "lost");
}

void print_run(std::ostream& out, const LoopRun& r) {
  if (r.status != Status::ok) {
    out << fmt::format("{:<14} {:>4} {:<9} {:>5.2f} {}: {}\n", cache_label(r.cache), r.connections, r.design,
                       r.load_average, status_name(r.status), r.reason);
    return;
  }
  out << fmt::format(
      "{:<14} {:>4} {:<9} {:>5.2f} {:>4} {:>7.0f} {:>7.3f} {:>6.3f} | {:>8.1f} {:>8.1f} {:>8.1f} | {:>8.1f} {:>7.1f} | "
      "{:>7} {:>4}\n",
      cache_label(r.cache), r.connections, r.design, r.load_average, r.passes, r.mib_per_s, r.cpu_s_per_gib_gross,
      r.cpu_s_per_gib, r.during.p50_us, r.during.p99_us, r.during.max_us, r.idle.p50_us, r.idle.p99_us, r.during.samples,
      r.sent - r.received);
  if (r.has_model && r.model.reads > 0)
    out << fmt::format(
        "{:>20} model: idle + the rest of one read() in progress ({} reads: mean {:.1f}, p99 {:.1f}, max {:.1f})"
        " -> p50 {:.1f}, p99 {:.1f}, max {:.1f}\n",
        "", r.model.reads, r.model.read_mean_us, r.model.read_p99_us, r.model.read_max_us, r.model.p50_us,
        r.model.p99_us, r.model.max_us);
}

void print_verdicts(std::ostream& out, const LoopReport& report) {
  out << "\nBlocking read() in the loop against the best other design, p99 while the file is read:\n";
  for (const auto& [cache, n] : groups(report)) {
    const LoopRun* blocking = nullptr;
    const LoopRun* best = nullptr;
    for (const LoopRun& r : report.runs) {
      if (r.cache != cache || r.connections != n || r.status != Status::ok) continue;
      if (r.design == "blocking") blocking = &r;
      else if (best == nullptr || r.during.p99_us < best->during.p99_us) best = &r;
    }
    if (blocking == nullptr || best == nullptr) {
      out << fmt::format("  {}, {} connections: not comparable (a run is missing)\n", cache_label(cache), n);
      continue;
    }
    const double b = blocking->during.p99_us, o = best->during.p99_us;
    out << fmt::format("  {}, {} connections: blocking {:.1f} µs, {} {:.1f} µs: {:.2f}x ({:+.1f} µs)\n",
                       cache_label(cache), n, b, best->design, o, o > 0 ? b / o : 0.0, b - o);
  }
}

nlohmann::json latency_json(const LatencySummary& s) {
  nlohmann::json q = nlohmann::json::array();
  for (const auto& [quant, us] : s.quantiles) q.push_back({quant, us});
  return {{"samples", s.samples}, {"p50_us", s.p50_us}, {"p99_us", s.p99_us}, {"max_us", s.max_us}, {"quantiles", q}};
}

const char* design_color(const std::string& design) {
  static const std::map<std::string, const char*> colors = {
      {"blocking", "#d62728"}, {"wrapper", "#1f77b4"}, {"libuv", "#2ca02c"}, {"helper", "#ff7f0e"}};
  const auto it = colors.find(design);
  return it == colors.end() ? "#555" : it->second;
}

// x = 1 / (1 - q): 2 is the median, 100 the 99th percentile.
double percentile_x(double q) { return 1 / (1 - q); }

}  // namespace

void print_loop_report(std::ostream& out, const LoopReport& report) {
  print_header(out, report);
  for (const LoopRun& r : report.runs) print_run(out, r);
  print_verdicts(out, report);
}

nlohmann::json loop_report_json(const LoopReport& r) {
  nlohmann::json runs = nlohmann::json::array();
  for (const LoopRun& x : r.runs) {
    nlohmann::json j = {{"cache", x.cache},
                        {"connections", x.connections},
                        {"design", x.design},
                        {"status", status_name(x.status)},
                        {"reason", x.reason},
                        {"load_average", x.load_average},
                        {"passes", x.passes},
                        {"read_seconds", x.read_seconds},
                        {"bytes", x.bytes},
                        {"mib_per_s", x.mib_per_s},
                        {"cpu_s_per_gib", x.cpu_s_per_gib},
                        {"cpu_s_per_gib_gross", x.cpu_s_per_gib_gross},
                        {"during", latency_json(x.during)},
                        {"idle", latency_json(x.idle)},
                        {"sent", x.sent},
                        {"received", x.received},
                        {"overflow", x.overflow}};
    if (x.has_model)
      j["model"] = {{"reads", x.model.reads},         {"read_mean_us", x.model.read_mean_us},
                    {"read_p99_us", x.model.read_p99_us}, {"read_max_us", x.model.read_max_us},
                    {"p50_us", x.model.p50_us},       {"p99_us", x.model.p99_us},
                    {"max_us", x.model.max_us}};
    runs.push_back(j);
  }
  const LoopEnvironment& e = r.env;
  const LoopPlanSummary& p = r.plan;
  return {{"schema", r.schema},
          {"version", r.version},
          {"env",
           {{"kernel", e.kernel},
            {"cpus_allowed", e.cpus_allowed},
            {"load_start", e.load_start},
            {"load_end", e.load_end},
            {"file_dir", e.file_dir},
            {"direct_supported", e.direct_supported},
            {"uv_threadpool", e.uv_threadpool},
            {"quick", e.quick}}},
          {"plan",
           {{"file_bytes", p.file_bytes},
            {"buffer_bytes", p.buffer_bytes},
            {"depth", p.depth},
            {"rate_per_connection", p.rate_per_connection},
            {"message_bytes", p.message_bytes},
            {"idle_seconds", p.idle_seconds},
            {"min_read_seconds", p.min_read_seconds}}},
          {"runs", runs}};
}

std::string plot_loop_report(const LoopReport& report) {
  std::vector<Panel> panels;
  for (const auto& [cache, n] : groups(report)) {
    Panel panel{fmt::format("{}, {} connections: RTT while the file is read", cache_label(cache), n),
                "percentile", "round trip (µs, log scale)", {}, {}};
    panel.log_y = true;
    panel.legend_left = true;  // the curves rise to the right
    panel.x_ticks = {{2, "p50"}, {10, "p90"}, {100, "p99"}, {1000, "p99.9"}};
    for (const LoopRun& r : report.runs) {
      if (r.cache != cache || r.connections != n || r.status != Status::ok) continue;
      Series s{r.design, design_color(r.design), true, false, {}};
      for (const auto& [q, us] : r.during.quantiles) s.xy.emplace_back(percentile_x(q), us);
      panel.series.push_back(s);
      if (r.has_model && r.model.reads > 0 && !r.during.quantiles.empty()) {
        Series m{"blocking: model", design_color(r.design), false, true, {}};
        // p50 and p99, and the maximum where the measured maximum is drawn.
        m.xy = {{percentile_x(0.5), r.model.p50_us}, {percentile_x(0.99), r.model.p99_us},
                {percentile_x(r.during.quantiles.back().first), r.model.max_us}};
        std::sort(m.xy.begin(), m.xy.end());
        panel.series.push_back(m);
      }
      if (r.design == "blocking") {
        Series idle{"idle (no file read)", "#999", false, true, {}};
        for (const auto& [q, us] : r.idle.quantiles) idle.xy.emplace_back(percentile_x(q), us);
        panel.series.push_back(idle);
      }
    }
    panels.push_back(panel);
  }
  return render_svg(panels, 2);
}

}  // namespace ringside::bench
