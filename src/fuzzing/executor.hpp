// Running programs for fuzzing: in this process, on one engine reused across programs
// (its temp dir, watchdog and helper thread are set up once), with no per-step trace
// unless a step fails. A guard ends a program before a step the model says could only
// sit on a deadline or a timeout, and every executed step leaves a behaviour signature.
#pragma once
#include <chrono>
#include <memory>
#include <vector>

#include "engine/engine.hpp"
#include "oracle/rules.hpp"
#include "runner/run.hpp"

namespace ringside {

struct Mutant;

// The fuzzer's guard: ends a program before a step the model says could only sit on a
// deadline or a timeout, or that uses a resource whose creation failed. Replays and
// shrinking use it too, so that they run programs exactly as the fuzzer did.
class FuzzGuard : public RunHooks {
 public:
  explicit FuzzGuard(int64_t quick_wait_ms = 0) : quick_ms_(quick_wait_ms) {}
  bool before_step(const Program& p, size_t i, const Oracle& oracle) override;
  bool stopped() const { return stopped_; }
  void reset() { stopped_ = false; }

 private:
  int64_t quick_ms_;
  bool stopped_ = false;
};

struct ExecOptions {
  Profile profile = Profile::Linux;
  std::chrono::milliseconds step_deadline{2000};
  // Waits longer than this are run only when the model expects them to end early.
  int64_t quick_wait_ms = 0;
  bool fresh_engine = false;  // a new engine per program (for the benchmark's comparison)
  const Mutant* mutant = nullptr;  // test-only fault between engine and oracle (off unless named)
  std::string temp_base;
};

class Executor : private FuzzGuard {
 public:
  explicit Executor(ExecOptions o = {});
  ~Executor() override;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs p; a FAIL carries the violation and the trace up to it.
  const ScenarioResult& run(const Program& p);
  // Signatures of the steps the last run executed.
  const std::vector<uint64_t>& signatures() const { return sigs_; }
  // Wall time of each step the last run executed (judged by the oracle), in step order,
  // and of the whole run (the rest is set-up, the oracle's end checks and clean-up).
  const std::vector<std::chrono::nanoseconds>& step_times() const { return step_ns_; }
  std::chrono::nanoseconds run_time() const { return run_ns_; }
  // Did the guard end the last run before its last step?
  bool stopped_early() const { return stopped(); }
  const ExecOptions& options() const { return o_; }

 private:
  bool before_step(const Program& p, size_t i, const Oracle& oracle) override;
  void after_step(const Program& p, size_t i, const Observation& obs, const Oracle& oracle) override;

  ExecOptions o_;
  RunOptions ro_;
  std::unique_ptr<Engine> engine_;
  ScenarioResult last_;
  std::vector<uint64_t> sigs_;
  std::chrono::steady_clock::time_point step_start_;
  std::vector<std::chrono::nanoseconds> step_ns_;
  std::chrono::nanoseconds run_ns_{0};
};

}  // namespace ringside
