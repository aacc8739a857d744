#include "bench/compare.hpp"

#include <map>

namespace ringside::bench {

int Comparison::regressions() const {
  int n = 0;
  for (const CompareItem& i : items) n += i.regression;
  return n;
}

namespace {

void add(Comparison& c, const std::string& key, double baseline, double current) {
  if (baseline <= 0 || current <= 0) {  // nothing meaningful to scale against
    c.unmatched.push_back(key);
    return;
  }
  CompareItem item;
  item.key = key;
  item.baseline = baseline;
  item.current = current;
  item.change_pct = (current - baseline) / baseline * 100;
  item.regression = item.change_pct > c.threshold_pct;
  item.improvement = item.change_pct < -c.threshold_pct;
  c.items.push_back(item);
}

}  // namespace

Comparison compare_reports(const Report& baseline, const Report& current, double threshold_pct) {
  Comparison c;
  c.threshold_pct = threshold_pct;
  add(c, "params/ts_ns", baseline.params.ts_ns, current.params.ts_ns);
  add(c, "params/tk_ns", baseline.params.tk_ns, current.params.tk_ns);
  add(c, "params/tr_ns", baseline.params.tr_ns, current.params.tr_ns);

  std::map<std::string, const Point*> base;
  for (const Point& p : baseline.points) base[p.key()] = &p;
  for (const Point& p : current.points) {
    const auto it = base.find(p.key());
    if (it == base.end() || it->second->status != Status::ok || p.status != Status::ok) {
      c.unmatched.push_back(p.key());
      if (it != base.end()) base.erase(it);
      continue;
    }
    add(c, p.key() + "/cpu_ns_per_op", it->second->cpu_ns_per_op, p.cpu_ns_per_op);
    base.erase(it);
  }
  for (const auto& [key, p] : base) c.unmatched.push_back(key);
  return c;
}

}  // namespace ringside::bench
