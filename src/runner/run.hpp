// Running one Program: engine and oracle in lock-step, in this process (fuzzing, tests)
// or isolated in a child process with a deadline (the suite), so that one hang or crash
// is a FAIL for that scenario and the run goes on.
#pragma once
#include <chrono>
#include <functional>
#include <string>

#include "engine/engine.hpp"
#include "engine/probe.hpp"
#include "oracle/rules.hpp"
#include "oracle/tolerances.hpp"
#include "program/program.hpp"
#include "runner/result.hpp"

namespace ringside {
struct Mutant;
}

namespace ringside {

class Oracle;

// Observers of an in-process run (the fuzzer's behaviour feedback and its guard against
// steps that could block forever).
struct RunHooks {
  virtual ~RunHooks() = default;
  // Before step i runs: false ends the program there, as if it had no more steps.
  virtual bool before_step(const Program&, size_t, const Oracle&) { return true; }
  // After the oracle judged step i's observation (also when it found a violation).
  virtual void after_step(const Program&, size_t, const Observation&, const Oracle&) {}
};

struct RunOptions {
  Profile profile = Profile::Linux;
  // --tolerate ID (true) / --no-tolerate ID (false), applied over the profile's set.
  std::vector<std::pair<TolId, bool>> tolerate;
  std::chrono::milliseconds step_deadline{5000};
  std::chrono::milliseconds scenario_deadline{30000};
  bool isolate = true;
  std::string temp_base;  // where private temp dirs go
  // Keep a trace line and a behaviour per step (the fuzzer turns this off for speed; a
  // failure's trace is written anyway).
  bool record = true;
  RunHooks* hooks = nullptr;  // in-process runs only
  const Mutant* mutant = nullptr;  // fault injection between engine and oracle (selftest)
};

// The oracle's tolerance policy for these options: the profile's, then the overrides.
TolerancePolicy policy_of(const RunOptions& o);

// "" if every `requires:` feature was probed present and the policy admits every
// tolerance the scenario `shows:`, else the SKIP reason.
std::string missing_requirement(const Program& p, const KernelProbe& probe, const TolerancePolicy& policy = {});

using TraceSink = std::function<void(const std::string& line)>;

// Run in this process with the given engine (reused across programs by the fuzzer).
ScenarioResult run_in_process(const Program& p, const RunOptions& o, Engine& engine, const TraceSink& sink = {});
// Run per the options: isolated in a child process unless o.isolate is false.
ScenarioResult run_program(const Program& p, const RunOptions& o);

}  // namespace ringside
