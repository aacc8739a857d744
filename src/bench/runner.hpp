// Runs the whole benchmark: the micro-benchmarks, then the echo workload for
// every transport, k and design, and fills a Report (without its analysis).
#pragma once

#include <ostream>
#include <vector>

#include "bench/results.hpp"
#include "report/progress_line.hpp"

namespace ringside::bench {

struct Plan {
  bool quick = false;
  std::vector<int> ks;       // connections / threads
  std::vector<int> batches;  // io_uring round trips per enter; only B <= k is run
  int message_bytes = 64;
  int64_t warmup_ns = 0;
  int64_t measure_ns = 0;
  int micro_repeats = 0;
  long switch_round_trips = 0;
};

Plan full_plan();
Plan quick_plan();

// Progress lines go to `progress` (one per transport and k); with a `line` drawing on a
// terminal, that line shows points done / total, failed points and the ETA instead.
Report run_benchmark(const Plan& plan, std::ostream& progress, ProgressLine* line = nullptr);

}  // namespace ringside::bench
