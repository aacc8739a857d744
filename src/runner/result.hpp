// The outcome of running one scenario (on one readiness path).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oracle/verdict.hpp"

namespace ringside {

// A stretch of a run the oracle could not judge exactly: from one step to another, a
// resource's observations were only bounded, under a model-limit tolerance.
struct UnjudgedSpan {
  std::string resource;    // resource name (or ring name)
  uint32_t from_line = 0;  // first step concerned (script line, or step number + 1)
  uint32_t to_line = 0;    // last step concerned; 0: to the end of the run
  std::string tolerance;   // the model-limit tolerance's id
  std::string why;         // one line
  bool operator==(const UnjudgedSpan&) const = default;
};

enum class Verdict : uint8_t { Pass, Fail, Skip, Error };
const char* verdict_name(Verdict v);  // "PASS", ...

struct ScenarioResult {
  std::string name;      // e.g. "connect/refused_so_error"
  std::string via;       // readiness path, if the scenario ran once per path
  std::string purpose;
  std::vector<std::string> tags;
  Verdict verdict = Verdict::Pass;
  std::string reason;    // why SKIP / ERROR, or a one-line summary of a FAIL
  // FAIL details.
  std::optional<Violation> violation;
  std::string rule_id;
  std::string step_text;  // the failing step as written
  uint32_t step_line = 0;
  std::string state;      // the model's state at the failure
  std::vector<std::string> trace;  // steps executed, with what the kernel said
  std::vector<std::string> warnings;
  // A FAIL the known-deviation list explains on this kernel: its reason (the run is not
  // failed by it; KTAP says XFAIL).
  std::string known;
  std::map<std::string, uint64_t> histogram;  // race outcomes
  std::vector<std::string> behaviours;  // "line:outcome class" per step (see outcome_class)
  std::vector<std::string> rules;       // rule ids whose checks ran
  uint32_t steps_run = 0;               // steps executed (a hook may end a program early)
  // Strictness actually applied (oracle/tolerances.hpp): tolerance id -> observations it
  // admitted; spans the model could only bound; steps judged with no tolerance and no
  // unjudged span (of steps_run).
  std::map<std::string, uint64_t> tolerances;
  std::vector<UnjudgedSpan> unjudged;
  uint32_t steps_judged = 0;
  double seconds = 0;

  std::string display_name() const { return via.empty() ? name : name + "@" + via; }
};

}  // namespace ringside
