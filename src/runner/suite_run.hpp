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
  // If set, trouble the kernel logs while a scenario runs fails it (see kernel_log.hpp).
  KernelLog* kernel_log = nullptr;
};

using ResultSink = std::function<void(const ScenarioResult&)>;
using ProgressSink = std::function<void(size_t done, const std::string& running)>;

void run_suite(const std::vector<LoadedScenario>& selection, const SuiteOptions& o, const ResultSink& on_result,
               const ProgressSink& on_progress = {});

}  // namespace ringside
