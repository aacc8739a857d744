// Runs the event-loop benchmark: for every cache state, connection count and
// design, fresh loopback connections, a fresh client process and one server
// run; then turns the clients' samples and the server's log into a LoopRun.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "bench/loop_file.hpp"
#include "bench/loop_results.hpp"
#include "bench/loop_server.hpp"

namespace ringside::bench {

struct LoopPlan {
  bool quick = false;
  std::uint64_t file_bytes = std::uint64_t{256} << 20;
  std::uint32_t buffer_bytes = 128 * 1024;
  unsigned depth = 16;
  double rate_per_connection = 50;
  int message_bytes = 64;
  int64_t idle_ns = 300'000'000;
  int64_t min_read_ns = 2'000'000'000;
  std::uint64_t min_samples = 200;  // round trips at least, idle and during the passes
  std::vector<int> connections = {16, 256};
  std::vector<Cache> caches = {Cache::warm, Cache::direct};
  std::vector<LoopDesign> designs = {LoopDesign::blocking, LoopDesign::wrapper, LoopDesign::libuv,
                                     LoopDesign::helper};
  std::string dir;  // base of the private temp dir ("" = $TMPDIR or /tmp, /var/tmp if that is a tmpfs)
};

LoopPlan default_loop_plan();
LoopPlan quick_loop_plan();  // a few seconds: small file, few connections, short windows

// Progress lines go to `progress`. Throws std::runtime_error if the file cannot be made.
LoopReport run_loop_benchmark(const LoopPlan& plan, std::ostream& progress);

// Percentiles of round-trip times (ns) as a summary in µs; sorts `rtt_ns`.
LatencySummary summarize(std::vector<int64_t>& rtt_ns);

}  // namespace ringside::bench
