#include "report/explain.hpp"

#include <fmt/format.h>

#include "oracle/rules.hpp"
#include "oracle/tolerances.hpp"
#include "report/reference.hpp"

namespace ringside {
namespace {

std::string indented(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    out += "    " + text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos) + "\n";
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

// The rule id a recorded trace expects to break ("pass" for one it expects to pass).
std::string expected_by(const EmbeddedTrace& t) {
  constexpr std::string_view kExpect = "#! expect ";
  size_t at = t.text.find(kExpect);
  if (at == std::string::npos) return {};
  size_t end = t.text.find_first_of(" \n", at + kExpect.size());
  return t.text.substr(at + kExpect.size(), end == std::string::npos ? std::string::npos : end - at - kExpect.size());
}

std::string trace_block(const std::string& title, const EmbeddedTrace& t) {
  return fmt::format("\n{} (tests/oracle_traces/{}.trace):\n\n{}", title, t.name, indented(t.text));
}

// At most kShown names, then how many more.
std::string name_list(const std::set<std::string>& names) {
  constexpr size_t kShown = 16;
  std::string s;
  size_t k = 0;
  for (const auto& n : names) {
    if (k++ == kShown) return s + fmt::format("    ... and {} more\n", names.size() - kShown);
    s += "    " + n + "\n";
  }
  return s;
}

std::string exercised_block(const std::string& title, const std::string& id, const ExerciseIndex& index) {
  auto it = index.exercised.find(id);
  size_t n = it == index.exercised.end() ? 0 : it->second.size();
  std::string s = fmt::format("\n{} on Linux {} (the embedded suite, {} runs in {:.1f}s): {}\n", title, index.kernel,
                              index.runs, index.seconds, n ? std::to_string(n) : std::string("none"));
  return n ? s + name_list(it->second) : s;
}

std::string rule_extras(const Rule& r, const ExerciseIndex* index, const std::vector<EmbeddedTrace>& traces) {
  std::string s = index && index->runs ? exercised_block("Scenarios that exercise it", std::string(r.id), *index) : "";
  const EmbeddedTrace* chosen = nullptr;
  size_t more = 0;
  for (const auto& t : traces) {
    if (expected_by(t) != r.id) continue;
    if (!chosen || t.name == r.id) chosen = &t;
    ++more;
  }
  if (!chosen) return s + "\nNo recorded trace breaks it: the runner, not the oracle, decides this rule.\n";
  s += trace_block("A recorded trace that breaks it", *chosen);
  if (more == 2) s += "\n(1 more recorded trace breaks it.)\n";
  if (more > 2) s += fmt::format("\n({} more recorded traces break it.)\n", more - 1);
  return s;
}

std::string tolerance_extras(const Tolerance& t, const ExerciseIndex* index, const std::vector<EmbeddedTrace>& traces) {
  std::string s = index && index->runs ? exercised_block("Scenario runs it admitted an observation of", std::string(t.id), *index) : "";
  const std::string pass = "tolerance." + std::string(t.id) + ".pass", bug = "tolerance." + std::string(t.id) + ".bug";
  bool any = false;
  for (const auto& tr : traces) {
    if (tr.name == pass) s += trace_block("A recorded trace it admits", tr);
    if (tr.name == bug) s += trace_block("A recorded trace of a neighbouring bug it still rejects", tr);
    any = any || tr.name == pass || tr.name == bug;
  }
  if (!any) s += fmt::format("\nNo recorded trace yet (tests/oracle_traces/{}.trace and {}.trace).\n", pass, bug);
  return s;
}

}  // namespace

void ExerciseIndex::add(const Program& p) {
  for (const auto& st : p.steps) steps[std::string(st.spec().name)].insert(p.name);
}

void ExerciseIndex::add(const ScenarioResult& r) {
  ++runs;
  for (const auto& id : r.rules) exercised[id].insert(r.display_name());
  for (const auto& [id, n] : r.tolerances)
    if (n) exercised[id].insert(r.display_name());
}

std::vector<std::string> explain_names() {
  std::vector<std::string> out;
  for (const auto& op : all_ops()) out.emplace_back(op.name);
  for (const auto& r : all_rules()) out.emplace_back(r.id);
  for (const auto& t : all_tolerances()) out.emplace_back(t.id);
  return out;
}

bool explain_needs_run(std::string_view name) { return rule_by_id(name) || tolerance_by_id(name); }

std::optional<std::string> explain(std::string_view name, const ExerciseIndex* index,
                                   const std::vector<EmbeddedTrace>& traces) {
  std::string s;
  if (auto op = op_by_name(name)) {
    s += step_section(op_spec(*op));
    if (index) {
      auto it = index->steps.find(std::string(name));
      size_t n = it == index->steps.end() ? 0 : it->second.size();
      s += fmt::format("\nScenarios of the embedded suite that use it: {}\n", n ? std::to_string(n) : "none");
      if (n) s += name_list(it->second);
    }
  }
  if (const Rule* r = rule_by_id(name)) s += (s.empty() ? "" : "\n") + rule_section(*r) + rule_extras(*r, index, traces);
  if (const Tolerance* t = tolerance_by_id(name))
    s += (s.empty() ? "" : "\n") + tolerance_section(*t) + tolerance_extras(*t, index, traces);
  if (s.empty()) return std::nullopt;
  return s;
}

}  // namespace ringside
