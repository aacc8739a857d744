// What one `ringside bench loop` run measured. Plain data: the runner fills
// it; the table, JSON and SVG writers only read it. JSON schema: README.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bench/results.hpp"

namespace ringside::bench {

inline constexpr const char* kLoopSchemaName = "ringside-bench-loop";
inline constexpr int kLoopSchemaVersion = 1;

struct LatencySummary {
  std::uint64_t samples = 0;
  double p50_us = 0, p99_us = 0, max_us = 0;
  // (q, latency in µs) at q = 0.5 ... 0.999 and at the maximum (q = 1 - 1/samples): for the plot.
  std::vector<std::pair<double, double>> quantiles;
};

// The seed's head-of-line model for the blocking design: while the loop is in
// a read() no echo is served, so a request waits for the rest of the read in
// progress: idle latency + a residual of one read's duration.
struct HolModel {
  double read_mean_us = 0, read_p99_us = 0, read_max_us = 0;  // measured read() durations
  std::uint64_t reads = 0;
  double p50_us = 0;  // idle p50 + read_mean / 2
  double p99_us = 0;  // idle p50 + read p99
  double max_us = 0;  // idle max + read max
};

// One design at one cache state and connection count.
struct LoopRun {
  std::string cache;   // "warm", "direct", "dontneed"
  int connections = 0;
  std::string design;  // "blocking", "wrapper", "libuv", "helper"
  Status status = Status::ok;
  std::string reason;  // why skip/error
  double load_average = 0;  // 1-minute load average when the run started
  int passes = 0;           // whole-file reads
  double read_seconds = 0;  // wall time inside the passes
  std::uint64_t bytes = 0;
  double mib_per_s = 0;
  double cpu_s_per_gib = 0;        // process CPU in the passes minus the echo load's share, per GiB
  double cpu_s_per_gib_gross = 0;  // process CPU in the passes, per GiB (echo work included)
  LatencySummary during;  // round trips sent while the file was being read
  LatencySummary idle;    // round trips of the idle window (no file read)
  std::uint64_t sent = 0, received = 0, overflow = 0;
  bool has_model = false;  // blocking design only
  HolModel model;
};

struct LoopEnvironment {
  std::string kernel;
  int cpus_allowed = 0;
  double load_start = 0, load_end = 0;  // 1-minute load average
  std::string file_dir;                 // the private temp dir
  bool direct_supported = false;
  int uv_threadpool = 0;
  bool quick = false;
};

struct LoopPlanSummary {
  std::uint64_t file_bytes = 0;
  std::uint32_t buffer_bytes = 0;
  unsigned depth = 0;
  double rate_per_connection = 0;
  int message_bytes = 0;
  double idle_seconds = 0;
  double min_read_seconds = 0;
};

struct LoopReport {
  std::string schema = kLoopSchemaName;
  int version = kLoopSchemaVersion;
  LoopEnvironment env;
  LoopPlanSummary plan;
  std::vector<LoopRun> runs;
};

}  // namespace ringside::bench
