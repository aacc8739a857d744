// How long the built-in fuzzer takes to find each mutant of the catalogue, from an empty
// corpus with one job: the fuzzer's power as a number. `ringside selftest --fuzz-time`
// prints it and the fuzzing benchmark records it. A mutant counts as found (and a
// scenario as killing it) only when an oracle rule fails: a deadline, a crash or an
// ERROR says nothing about the oracle.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fuzzing/campaign.hpp"
#include "mutate/mutants.hpp"

namespace ringside {

// A FAIL of an oracle rule (not step.deadline, step.crash or kernel.log).
bool is_kill(const ScenarioResult& r);

struct FindTime {
  const Mutant* mutant = nullptr;
  std::vector<double> seconds;     // per seed: time to the first kill, or < 0 if none
  std::vector<uint64_t> execs;     // per seed: programs run until then (or in all)
  std::vector<std::string> rules;  // per seed: the rule that failed ("" if none)
  uint64_t false_alarms = 0;       // failures that were not the mutant's (see CampaignOptions)
  std::optional<CampaignFailure> false_alarm;  // the first one
  size_t found() const;
  double median_seconds() const;   // infinity unless found by most seeds
  uint64_t median_execs() const;
};

struct FindTimeOptions {
  double seconds = 60;    // per seed
  unsigned seeds = 3;     // seeds 1..seeds
  CampaignOptions campaign;  // the rest (one job, no progress, generator options)
};

// One mutant, every seed.
FindTime time_to_find(const Mutant& m, const FindTimeOptions& o);

// The table, row by row as each mutant is done, then its summary line; returns the rows.
std::vector<FindTime> find_table(const std::vector<const Mutant*>& mutants, const FindTimeOptions& o,
                                 const std::function<void(const std::string& line)>& print);

}  // namespace ringside
