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
#include "program/program.hpp"
#include "runner/result.hpp"

namespace ringside {
struct Mutant;
}

namespace ringside {

struct RunOptions {
  Profile profile = Profile::Linux;
  std::chrono::milliseconds step_deadline{5000};
  std::chrono::milliseconds scenario_deadline{30000};
  bool isolate = true;
  std::string temp_base;  // where private temp dirs go
  const Mutant* mutant = nullptr;  // fault injection between engine and oracle (selftest)
};

// "" if every `requires:` feature was probed present, else the SKIP reason.
std::string missing_requirement(const Program& p, const KernelProbe& probe);

using TraceSink = std::function<void(const std::string& line)>;

// Run in this process with the given engine (reused across programs by the fuzzer).
ScenarioResult run_in_process(const Program& p, const RunOptions& o, Engine& engine, const TraceSink& sink = {});
// Run per the options: isolated in a child process unless o.isolate is false.
ScenarioResult run_program(const Program& p, const RunOptions& o);

}  // namespace ringside
