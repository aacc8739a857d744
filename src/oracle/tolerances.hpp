// Tolerance registry: every place where the oracle accepts more than its rules predict
// names one of these stable ids. A tolerance has a kind (why it exists), a scope (how far
// it reaches: it ends when its scope ends), the rules it widens and the evidence for it.
// Profiles are sets of tolerances (TolerancePolicy); a run reports which it used.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "oracle/rules.hpp"

namespace ringside {

enum class TolKind : uint8_t {
  LinuxBehaviour,  // Linux does this; the documents are silent or say otherwise
  DocSilent,       // the documents allow it
  KernelBug,       // a documented bug of some kernels (docs/findings, ci/known-kernel-deviations)
  ModelLimit,      // the model cannot follow this yet: what it covers is unjudged
};

enum class TolScope : uint8_t {
  Observation,    // the one observation it admits
  InFlight,       // while an io_uring request (or a `later` step) is in flight
  UntilObserved,  // until an observation settles the state
  Resource,       // one resource, until the model resynchronises it
  Ring,           // one ring, for the requests it concerns
};

enum class TolId : uint16_t {
#define TOLERANCE(e, id, kind, scope, widens, summary, evidence) e,
#include "oracle/tolerances.def"
#undef TOLERANCE
};
inline constexpr TolId kNoTol = static_cast<TolId>(0xffff);
inline constexpr unsigned kTolCount = 0
#define TOLERANCE(e, id, kind, scope, widens, summary, evidence) +1
#include "oracle/tolerances.def"
#undef TOLERANCE
    ;

struct Tolerance {
  TolId tol;
  std::string_view id;
  TolKind kind;
  TolScope scope;
  std::string_view widens;    // rule ids it widens, space-separated
  std::string_view summary;   // what it admits, in one sentence
  std::string_view evidence;  // kernel function, document, measurement, scenario or finding
};

const Tolerance& tolerance(TolId t);
std::span<const Tolerance> all_tolerances();
const Tolerance* tolerance_by_id(std::string_view id);
std::string_view tol_kind_name(TolKind k);    // "linux-behaviour", "doc-silent", "kernel-bug", "model-limit"
std::string_view tol_scope_name(TolScope s);  // "observation", "in-flight", "until-observed", "resource", "ring"
std::vector<RuleId> widened_rules(const Tolerance& t);

// What a run does with each tolerance.
enum class TolMode : uint8_t {
  Off,    // the observation it would admit is a violation of the rule it widens
  On,     // admitted and counted
  Noted,  // admitted and counted, but the scenario fails at its end naming it (strict)
};

// A profile's set of tolerances, adjusted by --tolerate / --no-tolerate.
class TolerancePolicy {
 public:
  TolerancePolicy(Profile p = Profile::Linux);  // NOLINT: a profile is its default policy
  Profile profile() const { return profile_; }
  TolMode mode(TolId t) const { return modes_[static_cast<size_t>(t)]; }
  bool admits(TolId t) const { return mode(t) != TolMode::Off; }
  void set(TolId t, TolMode m) { modes_[static_cast<size_t>(t)] = m; }
  // Apply "--tolerate ID" (on) or "--no-tolerate ID" (off); false if the id is unknown.
  bool tolerate(std::string_view id, bool on);

 private:
  Profile profile_;
  std::vector<TolMode> modes_;
};

// Which profile includes a tolerance of this kind (kernel bugs: none).
bool profile_includes(Profile p, TolKind k);

}  // namespace ringside
