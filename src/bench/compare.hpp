// --compare: the current run against a saved one. Compared are the CPU time
// per round trip of every point that is ok in both runs, and the measured
// parameters ts, tk, tr; for all of them higher is worse. Throughput is not
// compared: it is wall-clock and on a shared machine follows other load.
#pragma once

#include <string>
#include <vector>

#include "bench/results.hpp"

namespace ringside::bench {

struct CompareItem {
  std::string key;     // point key or "params/ts_ns"
  double baseline = 0;
  double current = 0;
  double change_pct = 0;  // (current - baseline) / baseline * 100
  bool regression = false;   // change_pct > threshold
  bool improvement = false;  // change_pct < -threshold
};

struct Comparison {
  double threshold_pct = 0;
  std::vector<CompareItem> items;      // everything compared
  std::vector<std::string> unmatched;  // keys in only one run, or not ok in one
  int regressions() const;
};

Comparison compare_reports(const Report& baseline, const Report& current, double threshold_pct);

}  // namespace ringside::bench
