// The built-in fuzzing campaign (`ringside fuzz`): no libFuzzer needed. N worker
// processes run generated programs on their own reused engines; the parent counts
// executions and distinct behaviours (in shared memory), prints progress, watches for
// crashes and hangs, and on the first failure stops the workers, writes the program,
// shrinks it and returns the minimal one.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "gen/generator.hpp"
#include "oracle/rules.hpp"
#include "program/program.hpp"
#include "runner/result.hpp"

namespace ringside {

struct Mutant;

struct CampaignOptions {
  uint64_t seed = 1;
  double seconds = 60;          // stop after this long without a failure
  uint64_t max_execs = 0;       // or after this many executions (0: no limit)
  unsigned jobs = 1;
  Profile profile = Profile::Linux;
  const Mutant* mutant = nullptr;  // test-only fault between engine and oracle (--mutant)
  double progress_every = 5;    // seconds between progress lines (0: none)
  double hang_seconds = 60;     // a worker without progress this long has hung
  GenOptions gen = fuzz_gen_options();
  std::string temp_base;
};

struct CampaignStats {
  double seconds = 0;
  uint64_t execs = 0;
  uint64_t behaviours = 0;   // distinct behaviour signatures
  uint64_t failures = 0;
  uint64_t stopped = 0;      // programs the guard ended early
  uint64_t errors = 0;       // ERROR verdicts (the environment, e.g. EMFILE)
  uint64_t skips = 0;        // SKIP verdicts (a feature absent)
};

struct CampaignFailure {
  Program program;        // as generated
  uint64_t program_seed = 0;  // generate_program(program_seed, gen) gives it back
  ScenarioResult result;  // the failing run (rule, step, expected, observed, trace)
  bool crashed = false;   // the worker died (a crash in the engine or oracle) or hung
};

struct CampaignResult {
  CampaignStats stats;
  std::optional<CampaignFailure> failure;
  std::string first_error;  // reason of the first ERROR verdict, if any
  uint64_t first_error_seed = 0;  // and the seed of its program
};

using ProgressLine = std::function<void(const CampaignStats&)>;

CampaignResult run_campaign(const CampaignOptions& o, const ProgressLine& progress = {});

// The seed of the n-th program of a worker (so a failure names its program).
uint64_t program_seed(uint64_t campaign_seed, unsigned worker, uint64_t n);

}  // namespace ringside
