#include "runner/suite_run.hpp"

#include <atomic>
#include <mutex>
#include <thread>

namespace ringside {

void run_suite(const std::vector<LoadedScenario>& selection, const SuiteOptions& o, const ResultSink& on_result,
               const ProgressSink& on_progress) {
  const KernelProbe& probe = probe_kernel();
  const size_t total = selection.size() * o.repeat;
  std::atomic<size_t> next{0};
  std::mutex mu;
  size_t done = 0;
  auto worker = [&] {
    while (true) {
      size_t k = next++;
      if (k >= total) return;
      const LoadedScenario& sc = selection[k % selection.size()];
      // The mark comes before the progress report, so that anything logged from then on
      // (tests write fake records from on_progress) belongs to this scenario.
      KernelLog::Mark log_mark = o.kernel_log ? o.kernel_log->mark() : 0;
      if (on_progress) {
        std::lock_guard<std::mutex> l(mu);
        on_progress(done, sc.program.name);
      }
      ScenarioResult r;
      std::string missing = missing_requirement(sc.program, probe);
      if (!missing.empty()) {
        r.name = sc.program.name;
        r.purpose = sc.program.purpose;
        r.tags = sc.program.tags;
        r.verdict = Verdict::Skip;
        r.reason = missing;
      } else {
        r = run_program(sc.program, o.run);
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
