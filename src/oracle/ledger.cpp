#include "oracle/ledger.hpp"

namespace ringside {

bool Ledger::admit(TolId t, const Violation& would) {
  const TolMode m = policy_.mode(t);
  if (m == TolMode::Off) return false;
  ++used_[static_cast<size_t>(t)];
  if (tolerance(t).kind == TolKind::ModelLimit) step_unjudged_ = true;
  if (m == TolMode::Noted && !noted_) {
    noted_ = would;
    noted_->needs = {t};
  }
  return true;
}

bool Ledger::use(TolId t, const std::string& what) {
  const auto rules = widened_rules(tolerance(t));
  Violation v{rules.empty() ? RuleId::Errno : rules.front(), step_, "an observation judged exactly", what, {}};
  return admit(t, v);
}

bool Ledger::admit_any(std::span<const TolId> ts, Violation& would) {
  for (TolId t : ts)
    if (admit(t, would)) return true;
  would.needs.assign(ts.begin(), ts.end());
  return false;
}

void Ledger::open_span(uint32_t key, uint32_t resource, TolId t) {
  if (open_.count(key)) return;
  open_[key] = spans_.size();
  spans_.push_back({resource, step_, SIZE_MAX, t});
}

void Ledger::close_span(uint32_t key) {
  auto it = open_.find(key);
  if (it == open_.end()) return;
  spans_[it->second].to_step = step_;
  open_.erase(it);
}

std::optional<TolId> Ledger::span_tol(uint32_t key) const {
  auto it = open_.find(key);
  if (it == open_.end()) return std::nullopt;
  return spans_[it->second].tol;
}

std::map<TolId, uint64_t> Ledger::used() const {
  std::map<TolId, uint64_t> out;
  for (size_t t = 0; t < used_.size(); ++t)
    if (used_[t]) out[static_cast<TolId>(t)] = used_[t];
  return out;
}

std::vector<Span> Ledger::spans() const { return spans_; }

std::vector<TolId> Ledger::noted_tolerances() const {
  std::vector<TolId> out;
  for (size_t t = 0; t < used_.size(); ++t)
    if (used_[t] && policy_.mode(static_cast<TolId>(t)) == TolMode::Noted) out.push_back(static_cast<TolId>(t));
  return out;
}

}  // namespace ringside
