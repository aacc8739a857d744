#include "oracle/readiness.hpp"

#include <algorithm>

namespace ringside {

std::string ev::text(uint32_t m) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {In, "IN"}, {Pri, "PRI"}, {Out, "OUT"}, {Err, "ERR"}, {Hup, "HUP"}, {RdHup, "RDHUP"},
      {Exclusive, "EXCLUSIVE"}, {Oneshot, "ONESHOT"}, {Et, "ET"}};
  std::string s;
  for (auto [b, n] : kNames)
    if (m & b) {
      if (!s.empty()) s += '|';
      s += n;
      m &= ~b;
    }
  if (m) {
    char buf[16];
    snprintf(buf, sizeof buf, "%#x", m);
    s += (s.empty() ? "" : "|") + std::string(buf);
  }
  return s.empty() ? "0" : s;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::No: return "no";
    case Level::Flaky: return "flaky";
    case Level::Maybe: return "maybe";
    case Level::Soon: return "soon";
    case Level::Yes: return "yes";
  }
  return "?";
}

Level strongest(Level a, Level b) {
  auto rank = [](Level l) {
    switch (l) {
      case Level::No: return 0;
      case Level::Flaky: return 1;
      case Level::Maybe: return 2;
      case Level::Soon: return 3;
      case Level::Yes: return 4;
    }
    return 0;
  };
  return rank(a) >= rank(b) ? a : b;
}

uint32_t ReadySet::bits_at_least(Level l) const {
  uint32_t m = 0;
  for (const auto& c : conds_) {
    // A condition whose absence a tolerance allows is not certain: at most Maybe.
    const Level level = c.tol_when_off ? Level::Maybe : c.level;
    bool at = level == l || strongest(level, l) == level;
    if (l == Level::Maybe && level == Level::Flaky) at = true;
    if (level != Level::No && at) m |= c.bits;
  }
  return m;
}

uint32_t ReadySet::possible_bits() const {
  uint32_t m = 0;
  for (const auto& c : conds_)
    if (possible(c.level)) m |= c.bits;
  return m;
}

namespace {
// Enumerate on/off choices of the optional conditions (at most a handful per resource).
template <class F>
void for_each_assignment(const std::vector<Condition>& conds, uint32_t filter, F&& f) {
  uint32_t base = 0;
  std::vector<size_t> opt;
  for (size_t i = 0; i < conds.size(); ++i) {
    const bool tolerated = conds[i].tol != kNoTol && possible(conds[i].level);
    if (conds[i].level == Level::Yes && !tolerated) base |= conds[i].bits;
    else if ((optional(conds[i].level) || tolerated) && (conds[i].bits & filter)) opt.push_back(i);
  }
  if (opt.size() > 16) opt.resize(16);  // bounded; more never occurs in practice
  for (uint32_t a = 0; a < (1u << opt.size()); ++a) {
    uint32_t m = base;
    for (size_t k = 0; k < opt.size(); ++k)
      if (a & (1u << k)) m |= conds[opt[k]].bits;
    f(m & filter, a, opt);
  }
}
}  // namespace

bool ReadySet::allows(uint32_t observed, uint32_t filter) const {
  bool ok = false;
  for_each_assignment(conds_, filter, [&](uint32_t m, uint32_t, const std::vector<size_t>&) {
    if (m == (observed & filter)) ok = true;
  });
  return ok;
}

MaskJudgement ReadySet::judge(uint32_t observed, uint32_t filter) const {
  MaskJudgement best;
  for_each_assignment(conds_, filter, [&](uint32_t m, uint32_t a, const std::vector<size_t>& opt) {
    if (m != (observed & filter)) return;
    std::vector<TolId> tols;
    for (size_t k = 0; k < opt.size(); ++k) {
      const TolId t = conds_[opt[k]].tol;
      const bool on = a & (1u << k);
      if (on == conds_[opt[k]].tol_when_off || t == kNoTol) continue;
      if (std::find(tols.begin(), tols.end(), t) == tols.end()) tols.push_back(t);
    }
    if (!best.ok || tols.size() < best.tols.size()) best = {true, std::move(tols)};
  });
  return best;
}

bool ReadySet::allows_mapped(uint32_t observed, uint32_t (*map)(uint32_t)) const {
  bool ok = false;
  for_each_assignment(conds_, ~0u, [&](uint32_t m, uint32_t, const std::vector<size_t>&) {
    if (map(m) == observed) ok = true;
  });
  return ok;
}

std::vector<uint32_t> ReadySet::allowed_masks(uint32_t filter, uint32_t (*map)(uint32_t)) const {
  std::vector<uint32_t> out;
  for_each_assignment(conds_, map ? ~0u : filter, [&](uint32_t m, uint32_t, const std::vector<size_t>&) {
    uint32_t v = map ? map(m) : m;
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  });
  std::sort(out.begin(), out.end());
  return out;
}

RuleId ReadySet::blame(uint32_t observed, uint32_t filter) const {
  observed &= filter;
  // A required condition missing?
  for (const auto& c : conds_)
    if (c.level == Level::Yes && (c.bits & filter) && (c.bits & filter & ~observed)) return c.rule;
  // A bit nothing can produce: blame the condition that says it is off.
  uint32_t extra = observed & ~possible_bits();
  for (const auto& c : conds_)
    if (c.level == Level::No && (c.bits & extra)) return c.rule;
  if (extra) return RuleId::PollUnexpected;
  // Bits that can only come together came apart: blame the first partially seen condition.
  for (const auto& c : conds_)
    if (optional(c.level) && (c.bits & filter & observed) && (c.bits & filter & ~observed)) return c.rule;
  return RuleId::PollUnexpected;
}

std::vector<const Condition*> ReadySet::implied_on(uint32_t observed, uint32_t filter) const {
  std::vector<const Condition*> out;
  uint32_t always = ~0u;  // optional indices on in every matching assignment
  std::vector<size_t> opt_idx;
  bool any = false;
  for_each_assignment(conds_, filter, [&](uint32_t m, uint32_t a, const std::vector<size_t>& opt) {
    if (m != (observed & filter)) return;
    any = true;
    always &= a;
    opt_idx = opt;
  });
  if (!any) return out;
  for (size_t k = 0; k < opt_idx.size(); ++k)
    if (always & (1u << k)) out.push_back(&conds_[opt_idx[k]]);
  return out;
}

std::string ReadySet::describe(uint32_t filter) const {
  uint32_t must = yes_bits() & filter;
  uint32_t may = 0;
  for (const auto& c : conds_) {
    if (c.tol_when_off) must |= c.bits & filter;  // the rules say on
    else if (optional(c.level)) may |= c.bits & filter;
  }
  may &= ~must;
  std::string s = ev::text(must);
  if (may) s += " plus any of " + ev::text(may) + " (each condition whole)";
  return s;
}

}  // namespace ringside
