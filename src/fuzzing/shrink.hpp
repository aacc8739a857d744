// Shrinking a failing program on the IR: drop steps (with the steps that use what they
// create), drop operands, and simplify parameters, keeping each change only while the
// SAME rule still fails. Failures are often nondeterministic, so each candidate runs up
// to `repeats` times and counts as failing if any run fails with the rule.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "program/program.hpp"
#include "runner/result.hpp"

namespace ringside {

// Runs a program once (in the fuzzer's way: see Executor) and returns its result.
using ProgramRunner = std::function<ScenarioResult(const Program&)>;

struct ShrinkOptions {
  unsigned repeats = 5;      // runs of each candidate before it counts as not failing
  size_t max_runs = 5000;    // overall budget of program runs
  bool keep_fuzz_limits = true;  // candidates must obey the fuzz limits if the input did
};

struct ShrinkResult {
  Program program;         // the smallest program found that still fails with the rule
  ScenarioResult failure;  // a failing run of it (violation with the allowed set)
  bool reproduced = false; // did the input fail with the rule at all?
  size_t runs = 0;         // program runs spent
  size_t steps_before = 0, steps_after = 0;
};

ShrinkResult shrink_program(const Program& p, const std::string& rule_id, const ProgramRunner& run,
                            const ShrinkOptions& o = {});

// p without the steps in `drop`, and without every step that uses a resource a dropped
// step created (transitively); resources renumbered. Exposed for tests.
Program without_steps(const Program& p, const std::vector<bool>& drop);

// How often p fails with rule_id in n runs.
unsigned reproduce_count(const Program& p, const std::string& rule_id, const ProgramRunner& run, unsigned n,
                         ScenarioResult* last_failure = nullptr);

}  // namespace ringside
