// `ringside bench loop` (its options: test_bench_cli.cpp): the pieces that need no kernel
// (digest, percentiles, plot), and one quick run on the running kernel whose
// output is checked for structure and sanity, never for timings.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>

#include "bench/loop_file.hpp"
#include "bench/loop_report.hpp"
#include "bench/loop_runner.hpp"
#include "support/temp_dir.hpp"

using namespace ringside::bench;

namespace {

using ringside::test::TempDir;

LoopRun synthetic_run(const char* cache, int n, const char* design, double p99) {
  LoopRun r;
  r.cache = cache;
  r.connections = n;
  r.design = design;
  r.passes = 3;
  r.bytes = 3 << 20;
  r.read_seconds = 0.01;
  r.mib_per_s = 300;
  r.cpu_s_per_gib = r.cpu_s_per_gib_gross = 0.1;
  std::vector<int64_t> rtt;
  for (int i = 1; i <= 1000; ++i) rtt.push_back(i * static_cast<int64_t>(p99));  // 1..1000 x p99 ns
  r.during = summarize(rtt);
  r.idle = r.during;
  r.sent = r.received = 2000;
  if (std::string(design) == "blocking") {
    r.has_model = true;
    r.model.reads = 100;
    r.model.read_mean_us = 50;
    r.model.p50_us = 100, r.model.p99_us = 200, r.model.max_us = 400;
  }
  return r;
}

}  // namespace

TEST_CASE("bench loop: the digest does not depend on the order of the buffers", "[bench][loop]") {
  std::vector<std::byte> data(1 << 20);
  std::mt19937_64 rng(3);
  for (auto& b : data) b = static_cast<std::byte>(rng());
  Digest whole, pieces, shifted;
  whole.add(0, data);
  for (std::size_t at = data.size(); at > 0; at -= 64 * 1024)
    pieces.add(at - 64 * 1024, std::span<const std::byte>(data).subspan(at - 64 * 1024, 64 * 1024));
  shifted.add(4096, data);
  CHECK(whole.value() == pieces.value());
  CHECK(whole.value() != shifted.value());  // the offset counts, not just the bytes
}

TEST_CASE("bench loop: percentiles of round trips", "[bench][loop]") {
  std::vector<int64_t> rtt;
  for (int i = 100; i >= 1; --i) rtt.push_back(i * 1000);  // 1..100 µs
  const LatencySummary s = summarize(rtt);
  CHECK(s.samples == 100);
  CHECK(s.p50_us == Approx(50));
  CHECK(s.p99_us == Approx(99));
  CHECK(s.max_us == Approx(100));
  REQUIRE(!s.quantiles.empty());
  CHECK(s.quantiles.back().second == Approx(100));
  for (std::size_t i = 1; i < s.quantiles.size(); ++i) {
    CHECK(s.quantiles[i].first > s.quantiles[i - 1].first);
    CHECK(s.quantiles[i].second >= s.quantiles[i - 1].second);
  }
  std::vector<int64_t> none;
  CHECK(summarize(none).samples == 0);
}

TEST_CASE("bench loop: table, verdict and plot of a synthetic report", "[bench][loop]") {
  LoopReport r;
  r.plan.file_bytes = 1 << 20;
  r.plan.rate_per_connection = 50;
  for (int n : {16, 256}) {
    r.runs.push_back(synthetic_run("warm", n, "blocking", 300));
    r.runs.push_back(synthetic_run("warm", n, "wrapper", 100));
    r.runs.push_back(synthetic_run("warm", n, "libuv", 150));
  }
  LoopRun skipped = synthetic_run("direct", 16, "helper", 1);
  skipped.status = Status::skip;
  skipped.reason = "the filesystem refuses O_DIRECT";
  r.runs.push_back(skipped);
  std::ostringstream table;
  print_loop_report(table, r);
  CHECK_THAT(table.str(), Catch::Contains("model: idle + the rest of one read()"));
  CHECK_THAT(table.str(), Catch::Contains("warm, 16 connections: blocking 297.0 µs, wrapper 99.0 µs: 3.00x"));
  CHECK_THAT(table.str(), Catch::Contains("skip: the filesystem refuses O_DIRECT"));
  const std::string svg = plot_loop_report(r);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("nan") == std::string::npos);
  CHECK(std::count(svg.begin(), svg.end(), '<') == std::count(svg.begin(), svg.end(), '>'));
  for (const char* name : {"blocking", "blocking: model", "wrapper", "libuv", "idle (no file read)"})
    CHECK_THAT(svg, Catch::Contains(std::string("data-name=\"") + name + "\""));
  const std::regex panel("class=\"panel\"");
  CHECK(std::distance(std::sregex_iterator(svg.begin(), svg.end(), panel), std::sregex_iterator()) == 3);
  const nlohmann::json j = loop_report_json(r);
  CHECK(j["schema"] == "ringside-bench-loop");
  CHECK(j["runs"].size() == r.runs.size());
}

// The real thing, quick: every design at every cache state, on the running kernel.
TEST_CASE("bench loop --quick: every design runs, and the output holds together", "[bench][loop][kernel]") {
  TempDir dir;
  const std::string json_path = dir.file("loop.json"), svg_path = dir.file("loop.svg");
  const std::string cmd = std::string(RINGSIDE_BINARY) + " bench loop --quick --cache warm,direct,dontneed --dir " +
                          dir.path() + " --json " + json_path + " --svg " + svg_path + " > " + dir.file("out.txt") +
                          " 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream text(dir.file("out.txt"));
  const std::string out((std::istreambuf_iterator<char>(text)), std::istreambuf_iterator<char>());
  INFO(out);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK_THAT(out, Catch::Contains("Blocking read() in the loop against the best other design"));

  std::ifstream jf(json_path);
  const nlohmann::json j = nlohmann::json::parse(jf);
  CHECK(j["schema"] == "ringside-bench-loop");
  CHECK(j["version"] == 1);
  const std::uint64_t file_bytes = j["plan"]["file_bytes"];
  std::map<std::string, int> seen;
  for (const auto& r : j["runs"]) {
    const std::string key = r["cache"].get<std::string>() + "/" + r["design"].get<std::string>();
    INFO(key << ": " << r.dump());
    ++seen[key];
    CHECK(r["connections"] == 8);
    REQUIRE(r["status"] != "error");
    if (r["status"] == "skip") {
      CHECK(r["cache"] == "direct");  // only O_DIRECT may be missing here
      CHECK(!r["reason"].get<std::string>().empty());
      continue;
    }
    const int passes = r["passes"];
    CHECK(passes >= 1);
    CHECK(r["bytes"].get<std::uint64_t>() == file_bytes * static_cast<std::uint64_t>(passes));
    CHECK(r["mib_per_s"].get<double>() > 0);
    CHECK(r["cpu_s_per_gib_gross"].get<double>() > 0);
    CHECK(r["sent"] == r["received"]);  // every request echoed
    CHECK(r["overflow"] == 0);
    for (const char* window : {"during", "idle"}) {
      const auto& w = r[window];
      CHECK(w["samples"].get<std::uint64_t>() > 0);
      CHECK(w["p50_us"].get<double>() > 0);
      CHECK(w["p50_us"].get<double>() <= w["p99_us"].get<double>());
      CHECK(w["p99_us"].get<double>() <= w["max_us"].get<double>());
    }
    CHECK(r.contains("model") == (r["design"] == "blocking"));
    if (r.contains("model")) {
      CHECK(r["model"]["reads"].get<std::uint64_t>() >= file_bytes / (128 * 1024) * static_cast<std::uint64_t>(passes));
      CHECK(r["model"]["p50_us"].get<double>() >= r["idle"]["p50_us"].get<double>());
    }
  }
  for (const char* cache : {"warm", "direct", "dontneed"})
    for (const char* design : {"blocking", "wrapper", "libuv", "helper"})
      CHECK(seen[std::string(cache) + "/" + design] == 1);

  std::ifstream sf(svg_path);
  const std::string svg((std::istreambuf_iterator<char>(sf)), std::istreambuf_iterator<char>());
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("nan") == std::string::npos);
  CHECK_THAT(svg, Catch::Contains("data-name=\"wrapper\""));
  // The private temp dir of the file is gone; only what we asked for is left.
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    INFO(e.path());
    CHECK(e.path().filename().string().rfind("ringside-bench-loop-", 0) != 0);
    ++entries;
  }
  CHECK(entries == 3);
}
