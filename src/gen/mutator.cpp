#include "gen/mutator.hpp"

#include <algorithm>

namespace ringside {
namespace {

constexpr size_t kMaxEdits = 5;
constexpr size_t kMaxRepeat = 3;  // steps in a repeated run, and repetitions

using Steps = std::vector<PlanStep>;

// What an edit works on: the plan, the other parent, the random choices, and the step
// that made the program interesting (edits gather around it).
struct Edit {
  Plan& p;
  const Program& other;
  StepDraw& d;
  size_t hot;
  // A step index below n: half the time within two steps of the hot one.
  size_t at(size_t n) {
    if (n == 0) return 0;
    if (hot < n && d.chance(0.5)) return std::min(n - 1, hot - std::min<size_t>(hot, 2) + d.pick(5));
    return d.pick(n);
  }
  // Index of a planned (not fresh) step for which `fits` holds, or steps.size().
  template <class F>
  size_t planned(F&& fits) {
    std::vector<size_t> ok;
    for (size_t i = 0; i < p.steps.size(); ++i)
      if (!p.steps[i].fresh && fits(p.steps[i].step)) ok.push_back(i);
    if (ok.empty()) return p.steps.size();
    size_t want = at(p.steps.size());
    // The fitting step nearest to the chosen place.
    return *std::min_element(ok.begin(), ok.end(), [&](size_t x, size_t y) {
      return (x > want ? x - want : want - x) < (y > want ? y - want : want - y);
    });
  }
};
using EditFn = void (*)(Edit&);

void insert_fresh(Edit& e) {
  e.p.steps.insert(e.p.steps.begin() + static_cast<std::ptrdiff_t>(e.at(e.p.steps.size() + 1)), PlanStep{true, {}});
}

void erase_step(Edit& e) {
  if (!e.p.steps.empty()) e.p.steps.erase(e.p.steps.begin() + static_cast<std::ptrdiff_t>(e.at(e.p.steps.size())));
}

void duplicate_step(Edit& e) {
  Steps& st = e.p.steps;
  if (st.empty()) return;
  size_t i = e.at(st.size());
  size_t to = i + 1 + e.d.pick(st.size() - i);  // right after it, or later
  PlanStep copy = st[i];
  st.insert(st.begin() + static_cast<std::ptrdiff_t>(to), copy);
}

// A run of up to 3 steps repeated up to 3 times right after itself, on the same
// resources: a second arrival, one more connection, another wait.
void repeat_run(Edit& e) {
  Steps& st = e.p.steps;
  if (st.empty()) return;
  size_t end = e.at(st.size()) + 1;  // the run ends with the chosen step
  size_t len = 1 + e.d.pick(std::min(kMaxRepeat, end));
  Steps run(st.begin() + static_cast<std::ptrdiff_t>(end - len), st.begin() + static_cast<std::ptrdiff_t>(end));
  size_t reps = 1 + e.d.pick(kMaxRepeat);
  for (size_t r = 0; r < reps; ++r) st.insert(st.begin() + static_cast<std::ptrdiff_t>(end), run.begin(), run.end());
}

void swap_steps(Edit& e) {
  if (e.p.steps.size() < 2) return;
  size_t i = e.at(e.p.steps.size() - 1);
  std::swap(e.p.steps[i], e.p.steps[i + 1]);
}

// A new value for one parameter, or a `later` step made immediate (or the reverse).
void change_parameter(Edit& e) {
  Plan& p = e.p;
  StepDraw& d = e.d;
  size_t i = e.planned([](const Step& s) { return !s.params.empty() || (s.outs.empty() && may_run_later(s.op)); });
  if (i == p.steps.size()) return;
  Step& s = p.steps[i].step;
  const OpSpec& spec = s.spec();
  if (spec.params.empty() || (s.outs.empty() && may_run_later(s.op) && d.chance(0.2))) {
    s.later = !s.later;
    s.delay_us = s.later ? d.delay() : 0;
    return;
  }
  size_t k = d.pick(spec.params.size());
  s.params[k] = d.value(spec.params[k], false);
}

// One operand re-bound to any live resource that fits.
void change_operand(Edit& e) {
  size_t i = e.planned([](const Step& s) { return !s.ins.empty(); });
  if (i == e.p.steps.size()) return;
  Step& s = e.p.steps[i].step;
  s.ins[e.d.pick(s.ins.size())] = kAnyResource;
}

// The start of this program, then the end of the other one (its operands renamed apart;
// those whose resources its start created are re-bound when followed).
void splice(Edit& e) {
  Plan& p = e.p;
  const Program& other = e.other;
  StepDraw& d = e.d;
  if (other.steps.empty()) return;
  size_t cut = d.pick(p.steps.size() + 1);
  size_t from = d.pick(other.steps.size());
  p.steps.resize(cut);
  const size_t offset = p.resources;
  for (size_t k = from; k < other.steps.size(); ++k) {
    Step s = other.steps[k];
    for (ResId& r : s.ins) r = static_cast<ResId>(r + offset);
    for (ResId& r : s.outs) r = static_cast<ResId>(r + offset);
    p.steps.push_back({false, std::move(s)});
  }
  p.resources += other.resources.size();
}

constexpr EditFn kEdits[] = {insert_fresh, erase_step,      duplicate_step, repeat_run,
                             swap_steps,   change_parameter, change_operand, splice};

}  // namespace

Plan mutate_plan(const Program& a, const Program& other, Rng& rng, const GenOptions& o, size_t hot) {
  StepDraw d(rng, o);
  Plan p = plan_of(a);
  // Fresh steps favour the kind of one of the program's resources half the time.
  if (!a.resources.empty() && d.chance(0.5)) p.focus = a.resources[d.pick(a.resources.size())].kind;
  size_t edits = 1;
  while (edits < kMaxEdits && d.chance(0.5)) ++edits;
  Edit e{p, other, d, hot};
  for (size_t k = 0; k < edits; ++k) kEdits[d.pick(std::size(kEdits))](e);
  if (p.steps.size() > kMaxPlanSteps) p.steps.resize(kMaxPlanSteps);
  if (p.steps.empty()) p.steps.push_back({true, {}});
  return p;
}

}  // namespace ringside
