#include "oracle/rule_steps.hpp"

#include <string>
#include <string_view>

namespace ringside {
namespace {

struct RuleSteps {
  std::string_view rule, steps;
};
constexpr RuleSteps kRuleSteps[] = {
#define RULE_STEPS(rule, steps) {rule, steps},
#include "oracle/rule_steps.def"
#undef RULE_STEPS
};

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t sp = s.find(' ');
    if (sp != 0) out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

const RuleSteps* line_of(RuleId r) {
  for (const auto& l : kRuleSteps)
    if (l.rule == rule(r).id) return &l;
  return nullptr;
}

}  // namespace

bool judges_every_step(RuleId r) {
  const RuleSteps* l = line_of(r);
  return l && l->steps == "*";
}

std::vector<Op> steps_judged_by(RuleId r) {
  std::vector<Op> out;
  const RuleSteps* l = line_of(r);
  if (!l || l->steps == "*") return out;
  for (auto w : words(l->steps))
    if (auto op = op_by_name(w)) out.push_back(*op);
  return out;
}

std::vector<RuleId> rules_judging(Op op) {
  std::vector<RuleId> own, every;
  for (const auto& r : all_rules()) {
    if (judges_every_step(r.rule)) every.push_back(r.rule);
    for (Op o : steps_judged_by(r.rule))
      if (o == op) own.push_back(r.rule);
  }
  own.insert(own.end(), every.begin(), every.end());
  return own;
}

std::vector<std::string> rule_steps_errors() {
  std::vector<std::string> out;
  for (const auto& l : kRuleSteps) {
    if (!rule_by_id(l.rule)) out.push_back("rule_steps.def: no rule " + std::string(l.rule));
    if (l.steps == "*") continue;
    for (auto w : words(l.steps))
      if (!op_by_name(w)) out.push_back("rule_steps.def: " + std::string(l.rule) + ": no step " + std::string(w));
  }
  for (const auto& r : all_rules())
    if (!line_of(r.rule)) out.push_back("rule_steps.def: no line for rule " + std::string(r.id));
  return out;
}

}  // namespace ringside
