// The built-in fuzzing campaign (`ringside fuzz`): no libFuzzer needed. N worker
// processes run programs on their own reused engines; the parent counts executions and
// distinct behaviours (in shared memory), prints progress, and watches for crashes and
// hangs.
//
// Steering: a program that reached a behaviour signature never seen before joins the
// corpus (shared by the workers, and written to a libFuzzer-format directory if one is
// given). Most programs are mutations of corpus programs (gen/mutator.hpp); the rest
// are fresh. Every program is built while it runs, so that no step is one the model
// says could only wait (Executor::run_live).
//
// On the first failure the workers stop and the failing program is returned; with
// keep_going, each failure is shrunk by the worker that found it, filed under its title
// (fuzzing/findings.hpp), and the campaign goes on until that many distinct findings or
// the time limit. A failure that is a known kernel deviation (known_kernel_bug) is filed
// the same way, marked known, but it neither ends the campaign nor counts as a finding.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fuzzing/executor.hpp"
#include "fuzzing/findings.hpp"
#include "fuzzing/shrink.hpp"
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
  std::vector<std::pair<TolId, bool>> tolerate;  // --tolerate / --no-tolerate over the profile
  const Mutant* mutant = nullptr;  // test-only fault between engine and oracle (--mutant)
  // With a mutant: a failure is run again up to this many times with it, and twice as
  // many without it. Unless it comes again with the mutant and never without, it is not the
  // mutant's (the oracle cried wolf, or a rare race): counted and kept, not a find.
  unsigned clean_replays = 30;
  double progress_every = 5;    // seconds between progress lines (0: none)
  double hang_seconds = 60;     // a worker without progress this long has hung
  GenOptions gen = fuzz_gen_options();
  std::string temp_base;
  // Steering.
  bool steer = true;            // false: fresh programs only
  bool live = true;             // false: generate whole programs, then run them (the guard
                                // may end them early): the campaign as it was, to compare
  double fresh_rate = 0.2;      // share of fresh programs while the corpus has some
  std::string corpus_dir;       // the corpus on disk, libFuzzer's format ("" : memory only)
  double corpus_sync_every = 10;  // seconds between reads of corpus_dir for others' inputs
  // Going on past failures (0: stop at the first one).
  size_t keep_going = 0;        // stop once this many distinct findings were filed
  unsigned shrink_repeats = 5;  // runs of each shrinking candidate
  size_t shrink_per_key = 3;    // failures shrunk per failure key; the others only count
};

struct CampaignStats {
  double seconds = 0;
  uint64_t execs = 0;
  uint64_t behaviours = 0;   // distinct behaviour signatures
  uint64_t corpus = 0;       // programs in the corpus
  uint64_t failures = 0;
  uint64_t findings = 0;     // distinct findings (keep_going)
  uint64_t stopped = 0;      // programs the guard ended early
  uint64_t errors = 0;       // ERROR verdicts (the environment, e.g. EMFILE)
  uint64_t skips = 0;        // SKIP verdicts (a feature absent)
  uint64_t false_alarms = 0; // failures under a mutant that were not the mutant's
  uint64_t known = 0;        // findings that are known kernel deviations (not new findings)
  // How strictly the programs were judged: steps run and judged (summed over programs),
  // and the tolerances used (id -> observations admitted), most used first.
  uint64_t steps_run = 0, steps_judged = 0;
  std::vector<std::pair<std::string, uint64_t>> tolerances;
};

struct CampaignFailure {
  Program program;            // as it ran
  uint64_t program_seed = 0;  // the seed its plan was drawn with (names it)
  ScenarioResult result;      // the failing run (rule, step, expected, observed, trace)
  bool crashed = false;       // the worker died (a crash in the engine or oracle) or hung
};

struct CampaignResult {
  CampaignStats stats;
  std::optional<CampaignFailure> failure;  // the first failure (without keep_going)
  std::optional<CampaignFailure> false_alarm;  // the first failure not the mutant's
  std::vector<Finding> findings;           // with keep_going, in the order found
  std::vector<std::pair<double, uint64_t>> timeline;  // (seconds, distinct behaviours)
  uint64_t corpus_loaded = 0;  // inputs read from corpus_dir when the campaign began
  std::string first_error;     // reason of the first ERROR verdict, if any
  Program first_error_program; // and its program
};

struct CampaignEvents {
  std::function<void(const CampaignStats&)> progress;  // every progress_every seconds
  std::function<void(const Finding&)> finding;          // a new distinct finding (keep_going)
};

CampaignResult run_campaign(const CampaignOptions& o, const CampaignEvents& events = {});

// The seed of the n-th program of a worker (so a failure names its program).
uint64_t program_seed(uint64_t campaign_seed, unsigned worker, uint64_t n);

// The executor's options of a campaign's programs (profile, tolerances, mutant, temp dir).
ExecOptions exec_options(const CampaignOptions& o);

// Runs each program in a child process of its own, guarded as the fuzzer runs them: for
// shrinking a program that crashed or hung its worker.
ProgramRunner isolated_runner(const ExecOptions& eo);

}  // namespace ringside
