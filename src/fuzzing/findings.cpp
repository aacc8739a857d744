#include "fuzzing/findings.hpp"

#include <algorithm>

#include "oracle/tolerances.hpp"

namespace ringside {

std::string known_kernel_bug(const ScenarioResult& r) {
  if (r.verdict != Verdict::Fail || !r.violation || r.violation->needs.empty()) return {};
  const auto& needs = r.violation->needs;
  if (!std::all_of(needs.begin(), needs.end(), [](TolId t) { return tolerance(t).kind == TolKind::KernelBug; }))
    return {};
  std::string why = "a known kernel bug: the oracle admits it only with";
  for (TolId t : needs) why += " " + std::string(tolerance(t).id);
  return why + " (" + std::string(tolerance(needs.front()).summary) + ")";
}

size_t failing_step(const Program& p, const ScenarioResult& r) {
  size_t i = r.violation ? r.violation->step : r.steps_run;
  if (p.steps.empty()) return 0;
  return std::min(i, p.steps.size() - 1);
}

std::string failure_key(const Program& p, const ScenarioResult& r) {
  std::string key = r.rule_id.empty() ? verdict_name(r.verdict) : r.rule_id;
  if (p.steps.empty()) return key;
  const size_t i = r.violation && r.violation->step >= p.steps.size() ? p.steps.size() : failing_step(p, r);
  if (i == p.steps.size()) return key + " (end of program)";  // the implicit join
  const Step& s = p.steps[i];
  key += std::string(" ") + (s.later ? "later " : "") + std::string(s.spec().name) + "(";
  for (size_t k = 0; k < s.ins.size(); ++k) key += (k ? "," : "") + std::string(kind_name(p.res(s.ins[k]).kind));
  return key + ")";
}

std::string finding_title(const Program& shrunk, const ScenarioResult& r) {
  std::string shape;
  for (const Step& s : shrunk.steps) shape += (shape.empty() ? "" : " ") + std::string(s.spec().name);
  return failure_key(shrunk, r) + " [" + shape + "]";
}

}  // namespace ringside
