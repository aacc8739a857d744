// Running a selection of scenarios: requirements checked against the probe, scenarios
// run isolated in parallel jobs, repeated, results streamed in completion order.
#pragma once
#include <functional>
#include <vector>

#include "runner/kernel_log.hpp"
#include "runner/run.hpp"
#include "runner/suite.hpp"

namespace ringside {

struct SuiteOptions {
  RunOptions run;
  unsigned jobs = 1;
  unsigned repeat = 1;
  // Readiness paths to run scenarios through (empty: every path a scenario's `via:` lists).
  // A scenario that lists paths runs once per listed path kept here; one without runs once.
  std::vector<std::string> via;
  // If set, trouble the kernel logs while a scenario runs fails it (see kernel_log.hpp).
  KernelLog* kernel_log = nullptr;
};

// How many scenario runs run_suite makes (per-path runs times repeat).
size_t count_runs(const std::vector<LoadedScenario>& selection, const SuiteOptions& o);

using ResultSink = std::function<void(const ScenarioResult&)>;
using ProgressSink = std::function<void(size_t done, const std::string& running)>;

void run_suite(const std::vector<LoadedScenario>& selection, const SuiteOptions& o, const ResultSink& on_result,
               const ProgressSink& on_progress = {});

}  // namespace ringside
