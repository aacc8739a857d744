// Running programs for fuzzing: in this process, on one engine reused across programs
// (its temp dir, watchdog and helper thread are set up once), with no per-step trace
// unless a step fails. A guard ends a program before a step the model says could only
// sit on a deadline or a timeout, and every executed step leaves a behaviour signature.
//
// A program can also be built while it runs (run_live): after each step is judged, a
// plan follower proposes the next one, and the builder takes it only if the model, in
// the state the kernel's answers so far put it in, says it cannot stall. So the
// generator never emits a step the guard would stop on.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "gen/generator.hpp"
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
  // Why the guard would end a program before step i ("" if it would not).
  std::string refusal(const Oracle& oracle, size_t i) const;
  bool stopped() const { return stopped_; }
  void reset() { stopped_ = false; }

 private:
  int64_t quick_ms_;
  bool stopped_ = false;
};

struct ExecOptions {
  Profile profile = Profile::Linux;
  std::vector<std::pair<TolId, bool>> tolerate;  // --tolerate / --no-tolerate over the profile
  std::chrono::milliseconds step_deadline{2000};
  // Waits longer than this are run only when the model expects them to end early.
  int64_t quick_wait_ms = 0;
  bool fresh_engine = false;  // a new engine per program (for the benchmark's comparison)
  const Mutant* mutant = nullptr;  // test-only fault between engine and oracle (off unless named)
  std::string temp_base;
  FuzzLimits limits;  // what run_live builds
  // Called before each step runs, with the program so far (a campaign worker records
  // where it is, for the report of a crash or a hang).
  std::function<void(const Program& p, size_t i)> on_step;
};

// The runner's options for programs run with these (strictness, mutant, deadlines; no
// trace or behaviour kept unless a run fails).
RunOptions run_options(const ExecOptions& o);

class Executor : private FuzzGuard {
 public:
  explicit Executor(ExecOptions o = {});
  ~Executor() override;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs p; a FAIL carries the violation and the trace up to it.
  const ScenarioResult& run(const Program& p);
  // Builds a program with `follow` while running it (see above); program() is what ran.
  const ScenarioResult& run_live(PlanFollower& follow);
  // The program of the last run_live, up to its last executed step.
  const Program& program() const { return live_program_; }
  // Signatures of the steps the last run executed (several per step), and the step of
  // each.
  const std::vector<uint64_t>& signatures() const { return sigs_; }
  const std::vector<uint32_t>& signature_steps() const { return sig_steps_; }
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
  std::string veto(size_t i) const;

  ExecOptions o_;
  RunOptions ro_;
  std::unique_ptr<Engine> engine_;
  ScenarioResult last_;
  std::vector<uint64_t> sigs_;
  std::vector<uint32_t> sig_steps_;
  std::chrono::steady_clock::time_point step_start_;
  std::vector<std::chrono::nanoseconds> step_ns_;
  std::chrono::nanoseconds run_ns_{0};
  // run_live: the program being built, its follower, and the model judging it (set
  // while the follower proposes a step).
  ProgramBuilder live_;
  PlanFollower* follow_ = nullptr;
  const Oracle* judge_ = nullptr;
  Program live_program_;
};

}  // namespace ringside
