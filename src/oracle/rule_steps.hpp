// Which steps each rule judges (rule_steps.def): for the language reference and
// `ringside explain`. Tolerances judge the steps of the rules they widen.
#pragma once
#include <string>
#include <vector>

#include "oracle/rules.hpp"
#include "program/op.hpp"

namespace ringside {

// Rules with "*" in rule_steps.def: they judge every step (crash, errno, kernel log).
bool judges_every_step(RuleId r);
// The steps a rule judges (empty for a rule that judges every step, or has no line).
std::vector<Op> steps_judged_by(RuleId r);
// The rules that judge a step: its own, then those that judge every step.
std::vector<RuleId> rules_judging(Op op);
// What is wrong with rule_steps.def: ids that name no rule, names that name no step,
// rules without a line (empty when the table is consistent).
std::vector<std::string> rule_steps_errors();

}  // namespace ringside
