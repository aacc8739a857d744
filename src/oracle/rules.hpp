// Rule registry: every check the oracle makes names one of these stable ids.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ringside {

// Profiles: which rules are checked and which tolerances admit (tolerances.hpp).
//   strict:   every rule, no tolerance (a run names the tolerances it would need);
//   contract: rules of the documented contract, and doc-silent tolerances;
//   linux:    every rule, and doc-silent and linux-behaviour tolerances (the default).
enum class Profile : uint8_t { Contract, Linux, Strict };

// Facts about the kernel under test that select between Linux behaviours (probed by the
// engine, never guessed from the version; the defaults are today's kernels).
struct KernelFacts {
  // Pipes support nonblocking reads from io_uring (FMODE_NOWAIT, Linux 6.4). Without it a
  // pipe read that must wait is retried from io-wq, where cancels count loosely.
  bool pipe_nowait = true;
};
std::string_view profile_name(Profile p);
std::optional<Profile> profile_by_name(std::string_view name);
// Are rules whose profile is `linux` (de-facto Linux behaviour) checked under p?
inline bool checks_linux_rules(Profile p) { return p != Profile::Contract; }

enum class RuleId : uint16_t {
#define RULE(e, id, fam, prof, summary, source) e,
#include "oracle/rules.def"
#include "oracle/rules_uring.def"
#include "oracle/rules_wrapper.def"
#undef RULE
};

struct Rule {
  RuleId rule;
  std::string_view id;
  int family;  // DESIGN.md behaviour family, 0 = general
  Profile profile;
  std::string_view summary;
  std::string_view source;  // the documented behaviour it encodes
};

const Rule& rule(RuleId r);
std::span<const Rule> all_rules();
const Rule* rule_by_id(std::string_view id);

}  // namespace ringside
