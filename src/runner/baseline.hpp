// Baselines: what a known-good kernel was seen to do, per scenario, so that a new kernel's
// changed behaviour shows up even where the oracle still allows it (a race branch that
// disappeared, an ET re-fire gone under the contract profile, a scenario newly skipped).
//
// Recorded per scenario run name (name@via): verdicts, the race outcome histogram, the
// outcome class of every step ("line:class", see outcome_class) with counts, the rule ids
// exercised, the tolerances needed, and a hash of the scenario text (a baseline of an edited scenario is stale).
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "runner/result.hpp"

namespace ringside {

struct BaselineEntry {
  std::string script_hash;                     // fnv1a-64 of the scenario text, hex
  uint64_t runs = 0;                           // results merged in
  uint64_t passes = 0;                         // of which PASS (behaviours come only from these)
  std::map<std::string, uint64_t> verdicts;    // "PASS" -> count
  std::string skip_reason;                     // the last SKIP reason, if any
  std::map<std::string, uint64_t> histogram;   // race outcome -> count (summed)
  std::map<std::string, uint64_t> behaviours;  // "line:class" -> passing runs that saw it
  std::set<std::string> rules;                 // rule ids exercised by passing runs
  std::set<std::string> tolerances;            // tolerance ids passing runs needed
};

struct Baseline {
  std::string kernel;
  std::string profile;
  std::map<std::string, BaselineEntry> scenarios;  // by display name

  // Adds one result (of a scenario whose text is `script`).
  void add(const ScenarioResult& r, const std::string& script);
  std::string to_json_text() const;
  // Throws std::runtime_error with a readable message on a malformed file.
  static Baseline from_json_text(const std::string& text);
};

std::string script_hash(const std::string& text);

struct BaselineChange {
  std::string scenario;  // display name
  std::string kind;      // verdict | race-branch-gone | race-branch-new | outcome-new | rule-gone | rule-new | tolerance-new | tolerance-gone
  std::string detail;    // one line, for people
};

struct BaselineComparison {
  std::string file;
  std::string baseline_kernel;
  size_t compared = 0;                   // scenarios compared
  std::vector<BaselineChange> changes;   // behaviour that changed
  std::vector<std::string> stale;        // scenario text changed since the baseline: not compared
  std::vector<std::string> not_in_baseline;
};

// A race branch counts as seen in a run when it occurred at least this often and in at
// least 1% of that scenario's trials: a rare branch that happens not to recur is noise.
inline constexpr uint64_t kEstablishedBranch = 3;

// Compares the current run (recorded the same way) against the baseline. Step outcomes
// are compared only between passing runs: a new outcome class for a step that the
// baseline never saw is a change. Record baselines with --repeat N to capture the
// legitimate variety of nondeterministic steps.
BaselineComparison compare_baselines(const Baseline& before, const Baseline& now);

}  // namespace ringside
