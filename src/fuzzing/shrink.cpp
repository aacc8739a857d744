#include "fuzzing/shrink.hpp"

#include <cstdlib>

#include "gen/builder.hpp"

namespace ringside {

Program without_steps(const Program& p, const std::vector<bool>& drop_in) {
  std::vector<bool> drop = drop_in;
  drop.resize(p.steps.size(), false);
  std::vector<bool> dead(p.resources.size(), false);
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const Step& s = p.steps[i];
    if (!drop[i])
      for (ResId r : s.ins)
        if (dead[r]) drop[i] = true;
    if (drop[i])
      for (ResId r : s.outs) dead[r] = true;
  }
  Program q;
  q.name = p.name;
  q.purpose = p.purpose;
  q.tags = p.tags;
  q.requires_ = p.requires_;
  q.via = p.via;
  std::vector<ResId> map(p.resources.size(), ResId(~0));
  for (size_t i = 0; i < p.steps.size(); ++i) {
    if (drop[i]) continue;
    Step s = p.steps[i];
    for (ResId& r : s.ins) r = map[r];
    for (ResId& r : s.outs) {
      ResId id = static_cast<ResId>(q.resources.size());
      Resource res = p.res(r);
      res.created_by = static_cast<uint32_t>(q.steps.size());
      q.resources.push_back(res);
      map[r] = id;
      r = id;
    }
    q.steps.push_back(std::move(s));
  }
  return q;
}

namespace {

bool fails_with(const ScenarioResult& r, const std::string& rule) {
  return r.verdict == Verdict::Fail && r.rule_id == rule;
}

class Shrinker {
 public:
  Shrinker(const std::string& rule, const ProgramRunner& run, const ShrinkOptions& o, bool limits)
      : rule_(rule), run_(run), o_(o), limits_(limits) {}

  ShrinkResult go(const Program& input) {
    ShrinkResult out;
    out.steps_before = input.steps.size();
    best_ = input;
    // Races may need many runs to show again: try harder before giving up.
    if (!fails(best_, std::max(20u, 4 * o_.repeats))) {
      out.program = input;
      out.runs = runs_;
      out.steps_after = input.steps.size();
      return out;
    }
    out.reproduced = true;
    bool changed = true;
    while (changed && runs_ < o_.max_runs) {
      changed = false;
      changed |= truncate();
      changed |= drop_steps();
      changed |= drop_operands();
      changed |= simplify_params();
    }
    out.program = best_;
    out.failure = failure_;
    out.runs = runs_;
    out.steps_after = best_.steps.size();
    return out;
  }

 private:
  bool fails(const Program& p) { return fails(p, o_.repeats); }
  bool fails(const Program& p, unsigned repeats) {
    for (unsigned k = 0; k < repeats && runs_ < o_.max_runs; ++k) {
      ++runs_;
      ScenarioResult r = run_(p);
      if (fails_with(r, rule_)) {
        failure_ = std::move(r);
        return true;
      }
    }
    return false;
  }

  // Accepts q if it is a valid, different program that still fails.
  bool attempt(const Program& q) {
    if (q.steps.empty() || q == best_ || !validate(q).empty()) return false;
    if (limits_ && !check_fuzz_limits(q, FuzzLimits{}).empty()) return false;
    if (!fails(q)) return false;
    best_ = q;
    return true;
  }

  // Steps after the failing one cannot matter.
  bool truncate() {
    if (!failure_.violation) return false;
    size_t keep = failure_.violation->step + 1;
    if (keep >= best_.steps.size()) return false;
    std::vector<bool> drop(best_.steps.size(), false);
    for (size_t i = keep; i < drop.size(); ++i) drop[i] = true;
    return attempt(without_steps(best_, drop));
  }

  bool drop_steps() {
    bool any = false;
    for (size_t chunk = std::max<size_t>(1, best_.steps.size() / 2); chunk >= 1 && runs_ < o_.max_runs; chunk /= 2) {
      for (size_t start = 0; start < best_.steps.size() && runs_ < o_.max_runs;) {
        std::vector<bool> drop(best_.steps.size(), false);
        for (size_t i = start; i < std::min(start + chunk, drop.size()); ++i) drop[i] = true;
        if (attempt(without_steps(best_, drop))) {
          any = true;
          truncate();
        } else {
          start += chunk;
        }
      }
      if (chunk == 1) break;
    }
    return any;
  }

  bool drop_operands() {
    bool any = false;
    for (size_t i = 0; i < best_.steps.size() && runs_ < o_.max_runs; ++i) {
      const OpSpec& spec = best_.steps[i].spec();
      if (spec.ins.empty() || !spec.ins.back().variadic) continue;
      for (size_t k = spec.ins.size() - 1; k < best_.steps[i].ins.size() && best_.steps[i].ins.size() > spec.ins.size();) {
        Program q = best_;
        q.steps[i].ins.erase(q.steps[i].ins.begin() + static_cast<std::ptrdiff_t>(k));
        if (attempt(q)) any = true;
        else ++k;
      }
    }
    return any;
  }

  // Simpler values for one parameter: the default, zero or one, half, one flag less.
  static std::vector<int64_t> simpler(const ParamSpec& ps, int64_t v) {
    std::vector<int64_t> out;
    auto add = [&](int64_t x) {
      if (x != v) out.push_back(x);
    };
    switch (ps.type) {
      case ParamType::Bool:
        if (v) add(0);
        break;
      case ParamType::Enum:
        if (!ps.positional) add(ps.def);
        break;
      case ParamType::Flags:
        for (const auto& x : ps.set->values)
          if (x.value && (v & x.value) == x.value) add(v & ~x.value);
        break;
      case ParamType::Size:
      case ParamType::Int:
        if (!ps.positional && std::llabs(ps.def) < std::llabs(v)) add(ps.def);
        if (v > 1) add(1);
        if (v > 0) add(0);
        if (v > 3) add(v / 2);
        break;
      case ParamType::Ms:
      case ParamType::Dur:
        if (v != 0) add(0);
        if (v > 1) add(v / 2);
        break;
    }
    return out;
  }

  bool simplify_params() {
    bool any = false;
    for (size_t i = 0; i < best_.steps.size() && runs_ < o_.max_runs; ++i) {
      if (best_.steps[i].later) {
        Program q = best_;
        q.steps[i].later = false;
        q.steps[i].delay_us = 0;
        if (attempt(q)) any = true;
        else if (best_.steps[i].delay_us) {
          q = best_;
          q.steps[i].delay_us = 0;
          any |= attempt(q);
        }
      }
      const OpSpec& spec = best_.steps[i].spec();
      for (size_t k = 0; k < spec.params.size() && runs_ < o_.max_runs; ++k) {
        for (int64_t x : simpler(spec.params[k], best_.steps[i].params[k])) {
          Program q = best_;
          q.steps[i].params[k] = x;
          if (attempt(q)) {
            any = true;
            break;
          }
        }
      }
    }
    return any;
  }

  const std::string& rule_;
  const ProgramRunner& run_;
  ShrinkOptions o_;
  bool limits_;
  Program best_;
  ScenarioResult failure_;
  size_t runs_ = 0;
};

}  // namespace

ShrinkResult shrink_program(const Program& p, const std::string& rule_id, const ProgramRunner& run,
                            const ShrinkOptions& o) {
  bool limits = o.keep_fuzz_limits && check_fuzz_limits(p, FuzzLimits{}).empty();
  return Shrinker(rule_id, run, o, limits).go(p);
}

unsigned reproduce_count(const Program& p, const std::string& rule_id, const ProgramRunner& run, unsigned n,
                         ScenarioResult* last_failure) {
  unsigned hits = 0;
  for (unsigned k = 0; k < n; ++k) {
    ScenarioResult r = run(p);
    if (fails_with(r, rule_id)) {
      ++hits;
      if (last_failure) *last_failure = std::move(r);
    }
  }
  return hits;
}

}  // namespace ringside
