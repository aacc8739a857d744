#include "runner/suite_run.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace ringside {
namespace {

// One run of a scenario through one readiness path ("" for a scenario without `via:`).
struct PlannedRun {
  const LoadedScenario* scenario;
  std::string via;
};

std::vector<PlannedRun> plan(const std::vector<LoadedScenario>& selection, const SuiteOptions& o) {
  std::vector<PlannedRun> out;
  for (const auto& sc : selection) {
    if (sc.program.via.empty()) {
      out.push_back({&sc, ""});
      continue;
    }
    for (const auto& v : sc.program.via)
      if (o.via.empty() || std::find(o.via.begin(), o.via.end(), v) != o.via.end()) out.push_back({&sc, v});
  }
  return out;
}

}  // namespace

size_t count_runs(const std::vector<LoadedScenario>& selection, const SuiteOptions& o) {
  return plan(selection, o).size() * o.repeat;
}

void run_suite(const std::vector<LoadedScenario>& selection, const SuiteOptions& o, const ResultSink& on_result,
               const ProgressSink& on_progress) {
  const KernelProbe& probe = probe_kernel();
  const std::vector<PlannedRun> runs = plan(selection, o);
  const size_t total = runs.size() * o.repeat;
  std::atomic<size_t> next{0};
  std::mutex mu;
  size_t done = 0;
  auto worker = [&] {
    while (true) {
      size_t k = next++;
      if (k >= total) return;
      const PlannedRun& pr = runs[k % runs.size()];
      const LoadedScenario& sc = *pr.scenario;
      // The mark comes before the progress report, so that anything logged from then on
      // (tests write fake records from on_progress) belongs to this scenario.
      KernelLog::Mark log_mark = o.kernel_log ? o.kernel_log->mark() : 0;
      if (on_progress) {
        std::lock_guard<std::mutex> l(mu);
        on_progress(done, pr.via.empty() ? sc.program.name : sc.program.name + "@" + pr.via);
      }
      ScenarioResult r;
      std::string missing = missing_requirement(sc.program, probe, policy_of(o.run));
      if (pr.via == "uring-poll" && missing.empty() && !probe.has("uring.op.poll_add"))
        missing = "the uring-poll path requires uring.op.poll_add: not supported here (probed)";
      if (!missing.empty()) {
        r.name = sc.program.name;
        r.via = pr.via;
        r.purpose = sc.program.purpose;
        r.tags = sc.program.tags;
        r.verdict = Verdict::Skip;
        r.reason = missing;
      } else {
        if (pr.via.empty()) {
          r = run_program(sc.program, o.run);
        } else {
          Program p = sc.program;  // run through this one path
          p.via = {pr.via};
          r = run_program(p, o.run);
        }
        if (o.kernel_log) fail_for_kernel_trouble(r, o.kernel_log->trouble_since(log_mark));
      }
      std::lock_guard<std::mutex> l(mu);
      ++done;
      on_result(r);
    }
  };
  unsigned jobs = std::max(1u, std::min<unsigned>(o.jobs, static_cast<unsigned>(total ? total : 1)));
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
}

}  // namespace ringside
