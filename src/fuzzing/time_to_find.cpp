#include "fuzzing/time_to_find.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "program/script.hpp"

namespace ringside {
namespace {

template <class T>
T median_of(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? T{} : v[v.size() / 2];
}

double as_time(double s) { return s < 0 ? std::numeric_limits<double>::infinity() : s; }

std::string row(const FindTime& t) {
  std::string per;
  for (size_t k = 0; k < t.seconds.size(); ++k)
    per += t.seconds[k] < 0 ? "      -" : fmt::format(" {:6.1f}", t.seconds[k]);
  std::string rule;
  for (const auto& r : t.rules)
    if (!r.empty()) rule = r;
  double med = t.median_seconds();
  return fmt::format("{:<30} {:>3}/{:<2} {:>8} {:>9} {}  {}{}", t.mutant->id, t.found(), t.seconds.size(),
                     std::isinf(med) ? "NOT FOUND" : fmt::format("{:.1f}s", med), t.median_execs(), per,
                     rule.empty() ? "-" : rule,
                     t.false_alarms ? fmt::format("  ({} failure(s) not the mutant's on the way)", t.false_alarms) : "");
}

}  // namespace

bool is_kill(const ScenarioResult& r) {
  if (r.verdict != Verdict::Fail) return false;
  const Rule* rl = rule_by_id(r.rule_id);
  return rl && rl->rule != RuleId::Deadline && rl->rule != RuleId::Crash && rl->rule != RuleId::KernelLog;
}

size_t FindTime::found() const {
  return static_cast<size_t>(std::count_if(seconds.begin(), seconds.end(), [](double s) { return s >= 0; }));
}

double FindTime::median_seconds() const {
  std::vector<double> v;
  for (double s : seconds) v.push_back(as_time(s));
  return median_of(v);
}

uint64_t FindTime::median_execs() const { return median_of(execs); }

FindTime time_to_find(const Mutant& m, const FindTimeOptions& o) {
  FindTime t;
  t.mutant = &m;
  CampaignOptions co = o.campaign;
  co.mutant = &m;
  co.seconds = o.seconds;
  co.keep_going = 0;
  co.progress_every = 0;
  co.corpus_dir.clear();
  for (unsigned seed = 1; seed <= o.seeds; ++seed) {
    co.seed = seed;
    CampaignResult res = run_campaign(co);
    bool kill = res.failure && is_kill(res.failure->result);
    t.seconds.push_back(kill ? res.stats.seconds : -1);
    t.execs.push_back(res.stats.execs);
    // A failure that is not a kill (a hang, a crash) is named all the same.
    t.rules.push_back(res.failure ? res.failure->result.rule_id + (kill ? "" : " (not a kill)") : "");
    t.false_alarms += res.stats.false_alarms;
    if (!t.false_alarm) t.false_alarm = std::move(res.false_alarm);
  }
  return t;
}

std::vector<FindTime> find_table(const std::vector<const Mutant*>& mutants, const FindTimeOptions& o,
                                 const std::function<void(const std::string& line)>& print) {
  print(fmt::format("{:<30} {:>6} {:>8} {:>9} {:>{}}  {}", "mutant", "found", "median", "execs", "seconds per seed",
                    7 * o.seeds, "rule"));
  std::vector<FindTime> rows;
  for (const Mutant* m : mutants) {
    rows.push_back(time_to_find(*m, o));
    print(row(rows.back()));
  }
  std::vector<double> medians;
  size_t found = 0;
  for (const auto& r : rows) {
    medians.push_back(r.median_seconds());
    found += !std::isinf(r.median_seconds());
  }
  double catalogue = median_of(medians);
  double worst = medians.empty() ? 0 : *std::max_element(medians.begin(), medians.end());
  print(fmt::format("found by most of {} seeds: {} of {} mutants; median over the catalogue {}; slowest {}", o.seeds,
                    found, rows.size(), std::isinf(catalogue) ? "NOT FOUND" : fmt::format("{:.1f}s", catalogue),
                    std::isinf(worst) ? "NOT FOUND" : fmt::format("{:.1f}s", worst)));
  // Failures that were not the mutant's are the oracle's (or rare races): shown, for
  // whoever owns it.
  for (const auto& r : rows)
    if (r.false_alarm)
      print(fmt::format("\nfailure not caused by {} (it did not come again with the mutant, or came without it): "
                        "{}\n{}",
                        r.mutant->id, r.false_alarm->result.reason, print_script(r.false_alarm->program)));
  return rows;
}

}  // namespace ringside
