#include "runner/result_json.hpp"

namespace ringside {

Verdict verdict_from_name(const std::string& s) {
  if (s == "FAIL") return Verdict::Fail;
  if (s == "SKIP") return Verdict::Skip;
  if (s == "ERROR") return Verdict::Error;
  return Verdict::Pass;
}

void to_json(nlohmann::json& j, const ScenarioResult& r) {
  j = nlohmann::json{{"name", r.name},       {"via", r.via},         {"purpose", r.purpose},
                     {"tags", r.tags},       {"verdict", verdict_name(r.verdict)},
                     {"reason", r.reason},   {"seconds", r.seconds}, {"trace", r.trace},
                     {"warnings", r.warnings}, {"histogram", r.histogram},
                     {"behaviours", r.behaviours}, {"rules", r.rules},
                     {"tolerances", r.tolerances}, {"steps_judged", r.steps_judged},
                     {"steps_run", r.steps_run}};
  nlohmann::json spans = nlohmann::json::array();
  for (const UnjudgedSpan& u : r.unjudged)
    spans.push_back({{"resource", u.resource}, {"from_line", u.from_line}, {"to_line", u.to_line},
                     {"tolerance", u.tolerance}, {"why", u.why}});
  j["unjudged"] = spans;
  if (r.verdict == Verdict::Fail) {
    if (!r.known.empty()) j["known"] = r.known;
    j["rule"] = r.rule_id;
    j["step"] = r.step_text;
    j["line"] = r.step_line;
    j["state"] = r.state;
    if (r.violation) {
      j["expected"] = r.violation->expected;
      j["observed"] = r.violation->observed;
      j["detail"] = r.violation->detail;
      j["step_index"] = r.violation->step;
      std::vector<std::string> needs;
      for (TolId t : r.violation->needs) needs.emplace_back(tolerance(t).id);
      j["needs"] = needs;
    }
  }
}

void from_json(const nlohmann::json& j, ScenarioResult& r) {
  r.name = j.value("name", "");
  r.via = j.value("via", "");
  r.purpose = j.value("purpose", "");
  r.tags = j.value("tags", std::vector<std::string>{});
  r.verdict = verdict_from_name(j.value("verdict", "PASS"));
  r.reason = j.value("reason", "");
  r.seconds = j.value("seconds", 0.0);
  r.trace = j.value("trace", std::vector<std::string>{});
  r.warnings = j.value("warnings", std::vector<std::string>{});
  r.histogram = j.value("histogram", std::map<std::string, uint64_t>{});
  r.behaviours = j.value("behaviours", std::vector<std::string>{});
  r.rules = j.value("rules", std::vector<std::string>{});
  r.tolerances = j.value("tolerances", std::map<std::string, uint64_t>{});
  r.steps_judged = j.value("steps_judged", 0u);
  r.steps_run = j.value("steps_run", 0u);
  for (const auto& u : j.value("unjudged", nlohmann::json::array()))
    r.unjudged.push_back({u.value("resource", ""), u.value("from_line", 0u), u.value("to_line", 0u),
                          u.value("tolerance", ""), u.value("why", "")});
  r.rule_id = j.value("rule", "");
  r.known = j.value("known", "");
  r.step_text = j.value("step", "");
  r.step_line = j.value("line", 0u);
  r.state = j.value("state", "");
  if (j.contains("expected")) {
    Violation v;
    if (const Rule* rl = rule_by_id(r.rule_id)) v.rule = rl->rule;
    v.expected = j.value("expected", "");
    v.observed = j.value("observed", "");
    v.detail = j.value("detail", "");
    v.step = j.value("step_index", size_t{0});
    for (const auto& id : j.value("needs", std::vector<std::string>{}))
      if (const Tolerance* t = tolerance_by_id(id)) v.needs.push_back(t->tol);
    r.violation = v;
  }
}

}  // namespace ringside
