#include "report/reference.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <limits>
#include <map>
#include <set>

#include "oracle/rule_steps.hpp"

namespace ringside {
namespace {

// DESIGN.md's behaviour families, by number (rules.def's family column).
constexpr std::string_view kFamilies[] = {
    "general (every step)",
    "nonblocking connect and SO_ERROR",
    "readiness: LT, ET, ONESHOT, data and end of stream",
    "readiness of passive files",
    "completion semantics (io_uring)",
    "ordering (io_uring)",
    "cancel vs complete (io_uring)",
    "readiness over completion (the wrapper)",
};

std::string_view family_name(int f) {
  return f >= 0 && static_cast<size_t>(f) < std::size(kFamilies) ? kFamilies[f] : "other";
}

std::string code(std::string_view s) { return "`" + std::string(s) + "`"; }
std::string step_link(std::string_view name) { return fmt::format("[`{}`](#step-{})", name, name); }
std::string rule_link(std::string_view id) { return fmt::format("[`{}`](#rule-{})", id, id); }
std::string tolerance_link(std::string_view id) { return fmt::format("[`{}`](#tolerance-{})", id, id); }

std::string joined(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : std::string(sep)) + i;
  return out;
}

// Markdown table cells must not contain a bare `|` (flag values are joined by one).
std::string cell(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

KindSet any_fd() {
  KindSet all = (KindSet{1} << kKindCount) - 1;
  return all & ~kind_bit(ResKind::Request);
}

std::string kinds_words(KindSet k) {
  if (k == any_fd()) return "any file descriptor (every kind but `request`)";
  std::vector<std::string> names;
  for (unsigned i = 0; i < kKindCount; ++i)
    if (k & (KindSet{1} << i)) names.push_back(code(kind_name(static_cast<ResKind>(i))));
  if (names.size() <= 1) return joined(names);
  std::string last = names.back();
  names.pop_back();
  return joined(names) + " or " + last;
}

std::string placeholder(KindSet k) {
  if (std::popcount(k) == 1) return std::string(kind_name(static_cast<ResKind>(std::countr_zero(k))));
  return "fd";
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return s;
}

// `x, y = pipe [nonblock]`, `epoll_wait EPOLL [max=16] [timeout=0ms]`.
std::string synopsis(const OpSpec& op) {
  static constexpr std::string_view kOutNames[] = {"x", "y", "z"};
  std::string s;
  for (size_t i = 0; i < op.outs.size(); ++i) s += (i ? ", " : "") + std::string(kOutNames[std::min<size_t>(i, 2)]);
  if (!s.empty()) s += " = ";
  s += op.name;
  for (const auto& in : op.ins) s += " " + upper(placeholder(in.kinds)) + (in.variadic ? "..." : "");
  for (const auto& p : op.params) {
    if (p.positional) s += " " + upper(p.name);
    else if (p.type == ParamType::Bool) s += " [" + p.name + "]";
    else s += " [" + p.name + "=" + format_param(p, p.def) + "]";
  }
  return s;
}

std::string allowed_values(const ParamSpec& p) {
  if (p.ranged) {
    bool open = p.hi == std::numeric_limits<int64_t>::max();
    return open ? format_param(p, p.lo) + " or more" : format_param(p, p.lo) + " to " + format_param(p, p.hi);
  }
  switch (p.type) {
    case ParamType::Enum:
    case ParamType::Flags: {
      std::vector<std::string> names;
      for (const auto& v : p.set->values) names.push_back(code(v.name));
      return (p.type == ParamType::Flags ? "any of " : "") + joined(names);
    }
    case ParamType::Bool:
      return "present (on) or absent (off)";
    case ParamType::Ms:
      return "-1 (no timeout) or 0 and more";
    case ParamType::Size:
    case ParamType::Dur:
      return "0 or more";
    case ParamType::Int:
      break;
  }
  return "any";
}

std::vector<const Tolerance*> tolerances_widening(RuleId r) {
  std::vector<const Tolerance*> out;
  for (const auto& t : all_tolerances()) {
    auto w = widened_rules(t);
    if (std::find(w.begin(), w.end(), r) != w.end()) out.push_back(&t);
  }
  return out;
}

// What a parameter takes, in a word or two (the Steps section's legend explains them).
std::string value_kind(const ParamSpec& p) {
  switch (p.type) {
    case ParamType::Int: return "integer";
    case ParamType::Size: return "size";
    case ParamType::Ms: return "timeout";
    case ParamType::Dur: return "duration";
    case ParamType::Bool: return "switch";
    case ParamType::Enum: return fmt::format("one of [`{}`](#value-sets)", p.set->name);
    case ParamType::Flags: return fmt::format("flags of [`{}`](#value-sets)", p.set->name);
  }
  return "?";
}

std::string operands_list(const OpSpec& op) {
  std::string s;
  for (const auto& out : op.outs) s += "- creates " + kinds_words(out.kinds) + "\n";
  for (size_t i = 0; i < op.ins.size(); ++i)
    s += fmt::format("- operand {}: {}{}\n", i + 1, kinds_words(op.ins[i].kinds),
                     op.ins[i].variadic ? ", one or more" : "");
  return s;
}

std::string params_table(const OpSpec& op) {
  if (op.params.empty()) return {};
  std::string s = "| parameter | takes | default | allowed |\n| --- | --- | --- | --- |\n";
  for (const auto& p : op.params) {
    std::string def = p.positional ? "required" : p.type == ParamType::Bool ? "off" : code(format_param(p, p.def));
    s += fmt::format("| `{}` | {} | {} | {} |\n", p.name, value_kind(p), cell(def), cell(allowed_values(p)));
  }
  return s;
}

std::string step_judges(const OpSpec& op) {
  std::vector<std::string> own, every, tols;
  std::set<std::string_view> seen_tols;
  for (RuleId r : rules_judging(op.op)) {
    (judges_every_step(r) ? every : own).push_back(rule_link(rule(r).id));
    for (const Tolerance* t : tolerances_widening(r))
      if (seen_tols.insert(t->id).second) tols.push_back(tolerance_link(t->id));
  }
  std::string s = "Judged by " + (own.empty() ? std::string("no rule of its own") : joined(own));
  s += every.empty() ? ".\n" : "; and, like every step, by " + joined(every) + ".\n";
  if (!tols.empty()) s += "\nTolerances that widen those rules: " + joined(tols) + ".\n";
  return s;
}

std::string profiles_of(const Tolerance& t) {
  std::vector<std::string> out;
  for (Profile p : {Profile::Strict, Profile::Contract, Profile::Linux}) {
    TolMode m = TolerancePolicy(p).mode(t.tol);
    std::string_view what = m == TolMode::On      ? "admitted"
                            : m == TolMode::Noted ? "followed, and the scenario fails naming it"
                                                  : "not admitted (a violation of the rule)";
    out.push_back(fmt::format("`{}`: {}", profile_name(p), what));
  }
  return joined(out, "; ");
}

std::string steps_of_rules(const std::vector<RuleId>& rules) {
  std::vector<std::string> steps;
  std::set<Op> seen;
  for (RuleId r : rules) {
    if (judges_every_step(r)) return "every step";
    for (Op o : steps_judged_by(r))
      if (seen.insert(o).second) steps.push_back(step_link(op_spec(o).name));
  }
  return steps.empty() ? "none" : joined(steps);
}

std::string kinds_section() {
  std::string s = "## Resource kinds\n\nEvery resource has a name (given where it is created) and one of these kinds.\n\n"
                  "| kind | what it is |\n| --- | --- |\n";
  for (unsigned i = 0; i < kKindCount; ++i) {
    auto k = static_cast<ResKind>(i);
    s += fmt::format("| `{}` | {} |\n", kind_name(k), kind_description(k));
  }
  return s;
}

std::string value_sets_section() {
  std::string s = "## Value sets\n\nThe names `enum/SET` and `flags/SET` parameters take (flags join several with "
                  "`|`; numbers are accepted too).\n\n| set | used by | values |\n| --- | --- | --- |\n";
  std::vector<std::string> order;
  std::map<std::string, std::set<std::string>> users;
  std::map<std::string, const ValueSet*> sets;
  std::set<std::string> flag_sets;
  for (const auto& op : all_ops())
    for (const auto& p : op.params)
      if (p.set) {
        std::string n(p.set->name);
        if (!sets.count(n)) order.push_back(n);
        sets[n] = p.set;
        users[n].insert(std::string(op.name) + " " + p.name);
        if (p.type == ParamType::Flags) flag_sets.insert(n);
      }
  for (const auto& n : order) {
    std::vector<std::string> values, by;
    for (const auto& v : sets[n]->values)
      values.push_back(flag_sets.count(n) ? fmt::format("`{}` ({:#x})", v.name, v.value) : code(v.name));
    for (const auto& u : users[n]) by.push_back(code(u));
    s += fmt::format("| `{}` | {} | {} |\n", n, joined(by), joined(values));
  }
  return s;
}

std::string steps_section() {
  std::string s = "## Steps\n\nOne step per line. A step that creates resources names them first (`x = ...`, "
                  "`x, y = ...`); operands are resource names; a required parameter may be written bare or as "
                  "`name=value`, an option only as `name=value`, a switch as its bare name. Below, each step's "
                  "synopsis writes operands as the kind they take (`FD`: several kinds), required parameters "
                  "in capitals and options with their defaults.\n\n"
                  "Parameters take an *integer* (decimal or 0x hex); a *size* in bytes (suffixes k, M, G: `4k`); a "
                  "*timeout* in milliseconds (`100`, `100ms`, `1s`; `-1` or `inf`: none); a *duration* (`200us`, "
                  "`5ms`, `1s`; a bare number is milliseconds); a *switch* (present: on; also `name=on|off`); a "
                  "name of a value set (flags: several joined by `|`).\n\n";
  std::vector<std::string> index;
  for (const auto& op : all_ops()) index.push_back(step_link(op.name));
  s += "Steps: " + joined(index) + ".\n";
  for (const auto& op : all_ops()) s += "\n" + step_section(op);
  return s;
}

std::string rules_section() {
  std::string s = "## Rules\n\nEvery check the oracle makes names one of these rules; a failure prints its id. "
                  "`ringside explain ID` adds the scenarios that exercise a rule on this kernel and a recorded "
                  "trace that breaks it.\n";
  for (const auto& r : all_rules()) s += "\n" + rule_section(r);
  return s;
}

std::string tolerances_section() {
  std::string s = "## Tolerances\n\nWhere the kernel legitimately does more than a rule predicts, the oracle widens "
                  "it by a named tolerance, for a scope only; profiles are sets of tolerances (`ringside run "
                  "--profile`).\n";
  for (const auto& t : all_tolerances()) s += "\n" + tolerance_section(t);
  return s;
}

}  // namespace

std::string step_section(const OpSpec& op) {
  std::string s = fmt::format("<a id=\"step-{}\"></a>\n### `{}`\n\n{}\n\n    {}\n\n", op.name, op.name, op.description,
                              synopsis(op));
  std::string operands = operands_list(op), params = params_table(op);
  if (!operands.empty()) s += operands + "\n";
  if (!params.empty()) s += params + "\n";
  return s + step_judges(op);
}

std::string rule_section(const Rule& r) {
  std::string s = fmt::format("<a id=\"rule-{}\"></a>\n### `{}`\n\n{}.\n\n", r.id, r.id, r.summary);
  s += fmt::format("- family {}: {}\n", r.family, family_name(r.family));
  s += r.profile == Profile::Contract ? "- profile: `contract` (the documented contract: checked under every profile)\n"
                                      : "- profile: `linux` (de-facto Linux behaviour: checked under `linux` and "
                                        "`strict`, not under `contract`)\n";
  s += fmt::format("- source: {}\n", r.source);
  s += "- judges: " + steps_of_rules({r.rule}) + "\n";
  std::vector<std::string> tols;
  for (const Tolerance* t : tolerances_widening(r.rule)) tols.push_back(tolerance_link(t->id));
  s += "- widened by: " + (tols.empty() ? std::string("no tolerance") : joined(tols)) + "\n";
  return s;
}

std::string tolerance_section(const Tolerance& t) {
  std::string s = fmt::format("<a id=\"tolerance-{}\"></a>\n### `{}`\n\n{}.\n\n", t.id, t.id, t.summary);
  s += fmt::format("- kind: `{}`; scope: `{}`\n", tol_kind_name(t.kind), tol_scope_name(t.scope));
  std::vector<std::string> widens;
  for (RuleId r : widened_rules(t)) widens.push_back(rule_link(rule(r).id));
  s += "- widens: " + joined(widens) + "\n";
  s += "- judges: " + steps_of_rules(widened_rules(t)) + "\n";
  s += "- profiles: " + profiles_of(t) + "\n";
  s += fmt::format("- evidence: {}\n", t.evidence);
  return s;
}

std::string reference_markdown() {
  return kinds_section() + "\n" + value_sets_section() + "\n" + steps_section() + "\n" + rules_section() + "\n" +
         tolerances_section();
}

std::string with_current_reference(const std::string& doc) {
  size_t at = doc.find(kReferenceMarker);
  std::string intro = at == std::string::npos ? doc + (doc.empty() || doc.ends_with("\n") ? "" : "\n") + "\n"
                                              : doc.substr(0, at);
  return intro + std::string(kReferenceMarker) + "\n\n" + reference_markdown();
}

}  // namespace ringside
