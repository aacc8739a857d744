// `ringside explain NAME`: one step, rule or tolerance as the language reference writes
// it, and for a rule or tolerance the scenarios that exercise it on this kernel and a
// recorded trace that breaks it.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "program/program.hpp"
#include "runner/result.hpp"

namespace ringside {

// tests/oracle_traces/*.trace, embedded at build time: name is the file name without
// ".trace" (a rule id, or "tolerance.ID.pass" / "tolerance.ID.bug").
struct EmbeddedTrace {
  std::string name, path, text;
};
std::vector<EmbeddedTrace> embedded_oracle_traces();

// What a suite used and exercised: step name -> scenarios whose text uses it; rule or
// tolerance id -> scenario runs (display names) whose checks ran it / that it admitted.
struct ExerciseIndex {
  std::map<std::string, std::set<std::string>> steps, exercised;
  std::string kernel;
  size_t runs = 0;
  double seconds = 0;  // wall time of the run (set by whoever ran it)
  void add(const Program& p);
  void add(const ScenarioResult& r);
};

// Every name explain knows: steps, then rules, then tolerances.
std::vector<std::string> explain_names();
// The explanation of `name`, or nullopt if no step, rule or tolerance has it. Without an
// index the scenarios are left out (`--no-run`).
std::optional<std::string> explain(std::string_view name, const ExerciseIndex* index,
                                   const std::vector<EmbeddedTrace>& traces);
// Is `name` a rule or a tolerance (whose explanation wants a run of the suite)?
bool explain_needs_run(std::string_view name);

}  // namespace ringside
