// Rule registry: every check the oracle makes names one of these stable ids.
#pragma once
#include <span>
#include <string_view>

namespace ringside {

enum class Profile : uint8_t { Contract, Linux };

// Facts about the kernel under test that select between Linux behaviours (probed by the
// engine, never guessed from the version; the defaults are today's kernels).
struct KernelFacts {
  // Pipes support nonblocking reads from io_uring (FMODE_NOWAIT, Linux 6.4). Without it a
  // pipe read that must wait is retried from io-wq, where cancels count loosely.
  bool pipe_nowait = true;
};
std::string_view profile_name(Profile p);

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
