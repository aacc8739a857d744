#include "oracle/tolerances.hpp"

namespace ringside {
namespace {
using enum TolKind;
using enum TolScope;
constexpr Tolerance kTolerances[] = {
#define TOLERANCE(e, id, kind, scope, widens, summary, evidence) {TolId::e, id, kind, scope, widens, summary, evidence},
#include "oracle/tolerances.def"
#undef TOLERANCE
};
}  // namespace

const Tolerance& tolerance(TolId t) { return kTolerances[static_cast<size_t>(t)]; }
std::span<const Tolerance> all_tolerances() { return kTolerances; }
const Tolerance* tolerance_by_id(std::string_view id) {
  for (const auto& t : kTolerances)
    if (t.id == id) return &t;
  return nullptr;
}

std::string_view tol_kind_name(TolKind k) {
  switch (k) {
    case LinuxBehaviour: return "linux-behaviour";
    case DocSilent: return "doc-silent";
    case KernelBug: return "kernel-bug";
    case ModelLimit: return "model-limit";
  }
  return "?";
}

std::string_view tol_scope_name(TolScope s) {
  switch (s) {
    case Observation: return "observation";
    case InFlight: return "in-flight";
    case UntilObserved: return "until-observed";
    case Resource: return "resource";
    case Ring: return "ring";
  }
  return "?";
}

std::vector<RuleId> widened_rules(const Tolerance& t) {
  std::vector<RuleId> out;
  std::string_view w = t.widens;
  while (!w.empty()) {
    size_t sp = w.find(' ');
    if (const Rule* r = rule_by_id(w.substr(0, sp))) out.push_back(r->rule);
    w = sp == std::string_view::npos ? std::string_view{} : w.substr(sp + 1);
  }
  return out;
}

bool profile_includes(Profile p, TolKind k) {
  switch (p) {
    case Profile::Strict: return false;
    case Profile::Contract: return k == DocSilent || k == ModelLimit;
    case Profile::Linux: return k != KernelBug;
  }
  return false;
}

TolerancePolicy::TolerancePolicy(Profile p) : profile_(p), modes_(kTolCount, TolMode::Off) {
  for (const auto& t : kTolerances) {
    if (profile_includes(p, t.kind)) set(t.tol, TolMode::On);
    // strict admits nothing, but keeps following so that a run names every tolerance it
    // needs; kernel bugs are never tolerated unless asked for by id.
    else if (p == Profile::Strict && t.kind != KernelBug) set(t.tol, TolMode::Noted);
  }
}

bool TolerancePolicy::tolerate(std::string_view id, bool on) {
  const Tolerance* t = tolerance_by_id(id);
  if (!t) return false;
  set(t->tol, on ? TolMode::On : TolMode::Off);
  return true;
}

}  // namespace ringside
