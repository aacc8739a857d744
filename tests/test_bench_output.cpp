// The benchmark's outputs on a synthetic report: JSON round trip and schema,
// --compare's verdicts, and the SVG's shape. Nothing here measures anything.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>

#include "bench/analysis.hpp"
#include "bench/compare.hpp"
#include "bench/report_table.hpp"
#include "bench/results_json.hpp"
#include "bench/svg_plot.hpp"

using namespace ringside::bench;

namespace {

Point point(const char* transport, const char* design, int k, int batch, double cpu) {
  Point p;
  p.transport = transport;
  p.design = design;
  p.k = k;
  p.batch = batch;
  p.ops = 10000;
  p.seconds = 0.4;
  p.cpu_ns_per_op = cpu;
  p.user_ns_per_op = cpu / 4;
  p.sys_ns_per_op = cpu - cpu / 4;
  p.ops_per_sec = 25000;
  p.voluntary_switches_per_op = design == std::string("blocking") ? 1.0 : 0.01;
  return p;
}

Report synthetic_report() {
  Report r;
  r.env.kernel = "6.18.0-test";
  r.env.cpus_allowed = 2;
  r.env.client_cpu = 0;
  r.env.peer_cpu = 1;
  r.env.message_bytes = 64;
  r.env.seconds_per_point = 0.4;
  r.env.io_uring_setup = "SINGLE_ISSUER|DEFER_TASKRUN";
  r.params.ts_ns = 100;
  r.params.tk_ns = 1000;
  r.params.tr_ns = 5;
  r.params.switch_pinned = true;
  for (const char* t : {"tcp", "unix"}) {
    for (int k : {1, 16, 256}) {
      r.points.push_back(point(t, "blocking", k, 0, 5000 + 10.0 * k));
      r.points.push_back(point(t, "epoll", k, 0, 3000));
    }
    for (int b : {1, 4, 16, 64, 256}) r.points.push_back(point(t, "io_uring", 256, b, 2800 + 1000.0 / b));
  }
  Point skipped = point("tcp", "blocking", 1024, 0, 0);
  skipped.status = Status::skip;
  skipped.reason = "RLIMIT_NOFILE hard limit 1024 < 2112 descriptors needed";
  r.points.push_back(skipped);
  r.analysis = analyze(r.params, r.points);
  return r;
}

}  // namespace

TEST_CASE("bench JSON: round trip keeps every field", "[bench]") {
  const Report r = synthetic_report();
  const nlohmann::json j = to_json_value(r);
  const Report back = report_from_json(nlohmann::json::parse(j.dump()));
  CHECK(to_json_value(back) == j);
  CHECK(back.points.size() == r.points.size());
  CHECK(back.points.back().status == Status::skip);
  CHECK(back.analysis.ratio.size() == 2);
}

TEST_CASE("bench JSON: schema name, version and documented fields", "[bench]") {
  const nlohmann::json j = to_json_value(synthetic_report());
  CHECK(j.at("schema") == "ringside-bench");
  CHECK(j.at("version") == kSchemaVersion);
  for (const char* key : {"env", "params", "points", "analysis"}) CHECK(j.contains(key));
  for (const char* key : {"ts_ns", "tk_ns", "tr_ns", "tr_kernel_ns", "switch_pinned"})
    CHECK(j.at("params").contains(key));
  const nlohmann::json& p = j.at("points").at(0);
  for (const char* key : {"transport", "design", "k", "batch", "status", "cpu_ns_per_op", "user_ns_per_op",
                          "sys_ns_per_op", "ops_per_sec", "voluntary_switches_per_op", "ops_per_enter"})
    CHECK(p.contains(key));
  CHECK(j.at("points").back().at("status") == "skip");
  const nlohmann::json& ratio = j.at("analysis").at("ratio").at(0);
  for (const char* key : {"t_b_ns", "l_ns", "t0_ns", "s_ns", "rows"}) CHECK(ratio.contains(key));
  const nlohmann::json& batching = j.at("analysis").at("batching").at(0);
  for (const char* key : {"b_star", "measured_break_even", "fit_fixed_ns", "rows"}) CHECK(batching.contains(key));
}

TEST_CASE("bench JSON: other schemas and versions are refused", "[bench]") {
  nlohmann::json j = to_json_value(synthetic_report());
  j["version"] = kSchemaVersion + 1;
  CHECK_THROWS_WITH(report_from_json(j), Catch::Contains("version"));
  j["version"] = kSchemaVersion;
  j["schema"] = "something-else";
  CHECK_THROWS_WITH(report_from_json(j), Catch::Contains("schema"));
  j["schema"] = kSchemaName;
  j["params"].erase("ts_ns");
  CHECK_THROWS_WITH(report_from_json(j), Catch::Contains("malformed"));
}

TEST_CASE("bench JSON: file round trip", "[bench]") {
  char dir_template[] = "/tmp/ringside-bench-test-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  REQUIRE(dir);
  const std::string path = std::string(dir) + "/result.json";
  const Report r = synthetic_report();
  write_report_file(path, r);
  CHECK(to_json_value(read_report_file(path)) == to_json_value(r));
  CHECK_THROWS_WITH(read_report_file(std::string(dir) + "/absent.json"), Catch::Contains("cannot read"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("bench compare: a regression is flagged, an improvement is not", "[bench]") {
  const Report base = synthetic_report();
  Report cur = base;
  for (Point& p : cur.points) {
    if (p.key() == "tcp/epoll/k=16") p.cpu_ns_per_op *= 1.30;     // 30% worse
    if (p.key() == "unix/epoll/k=16") p.cpu_ns_per_op *= 0.50;    // twice as good
    if (p.key() == "tcp/epoll/k=256") p.cpu_ns_per_op *= 1.20;    // worse, within 25%
  }
  const Comparison c = compare_reports(base, cur, 25);
  REQUIRE(c.regressions() == 1);
  int improvements = 0;
  for (const CompareItem& i : c.items) {
    if (i.regression) CHECK(i.key == "tcp/epoll/k=16/cpu_ns_per_op");
    improvements += i.improvement;
  }
  CHECK(improvements == 1);
  // The skipped point is not compared; it is listed as unmatched.
  CHECK(std::find(c.unmatched.begin(), c.unmatched.end(), "tcp/blocking/k=1024") != c.unmatched.end());

  CHECK(compare_reports(base, base, 25).regressions() == 0);
  CHECK(compare_reports(base, cur, 10).regressions() == 2);  // the threshold matters

  Report slower_syscall = base;
  slower_syscall.params.ts_ns *= 2;
  CHECK(compare_reports(base, slower_syscall, 25).regressions() == 1);

  std::ostringstream text;
  print_comparison(text, c);
  CHECK_THAT(text.str(), Catch::Contains("REGRESSION") && Catch::Contains("tcp/epoll/k=16"));
}

TEST_CASE("bench table: mentions every point and the model verdicts", "[bench]") {
  std::ostringstream text;
  print_report(text, synthetic_report());
  const std::string s = text.str();
  CHECK_THAT(s, Catch::Contains("SKIP") && Catch::Contains("RLIMIT_NOFILE"));
  CHECK_THAT(s, Catch::Contains("R measured") && Catch::Contains("R model"));
  CHECK_THAT(s, Catch::Contains("B*"));
}

TEST_CASE("bench SVG: well-formed, with the expected series", "[bench]") {
  const std::string svg = plot_report(synthetic_report());
  // Every element opened is closed, in order (no attribute holds '<' or '>').
  std::vector<std::string> open;
  const std::regex tag(R"(<(/?)([a-zA-Z]+)[^>]*?(/?)>)");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tag); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    if (m[3] == "/") continue;  // self-closing
    if (m[1] == "/") {
      REQUIRE_FALSE(open.empty());
      CHECK(open.back() == m[2].str());
      open.pop_back();
    } else {
      open.push_back(m[2]);
    }
  }
  CHECK(open.empty());
  CHECK(svg.rfind("<svg", 0) == 0);
  for (const char* name : {"tcp measured", "tcp model", "unix measured", "unix model", "legacy model 2(ts+tk)",
                           "model 2(ts+tk)/B + tr", "tcp io_uring (k=256)", "unix legacy measured"})
    CHECK_THAT(svg, Catch::Contains(std::string("data-name=\"") + name + "\""));
  CHECK_THAT(svg, Catch::Contains("B* = "));
  CHECK(svg.find("nan") == std::string::npos);
}
