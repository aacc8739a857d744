// ringside selftest: prove the gate. The suite must pass as is, and fail under every
// mutant of the catalogue (a fault injected between kernel and oracle).
#include <fmt/format.h>

#include <map>
#include <set>
#include <thread>

#include "cli/options.hpp"
#include "mutate/mutants.hpp"
#include "runner/suite_run.hpp"

namespace ringside::cli {

bool load_selection(const std::vector<std::string>& paths, const std::vector<std::string>& filters,
                    std::vector<LoadedScenario>& out);

int cmd_selftest(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> only;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  opts.add_options()("mutant,m", po::value(&only)->composing(), "only these mutants (default: the whole catalogue)")(
      "jobs,j", po::value(&jobs)->default_value(jobs), "scenarios run in parallel")("list", "list the mutants and exit");
  po::variables_map vm;
  if (auto rc = parse("selftest", "[--mutant ID...] [--jobs N] [--list]", args, opts, nullptr, vm)) return *rc;
  if (vm.count("list")) {
    for (const auto& m : all_mutants()) fmt::print("{:<32} family {}  {}\n", m.id, m.family, m.summary);
    return kExitPass;
  }
  std::vector<const Mutant*> mutants;
  for (const auto& id : only) {
    const Mutant* m = mutant_by_id(id);
    if (!m) {
      std::cerr << "ringside selftest: unknown mutant '" << id << "'\n";
      return kExitUsage;
    }
    mutants.push_back(m);
  }
  if (mutants.empty())
    for (const auto& m : all_mutants()) mutants.push_back(&m);

  std::vector<LoadedScenario> suite;
  if (!load_selection({}, {}, suite)) return kExitUsage;
  SuiteOptions so;
  so.jobs = jobs;

  // The suite must be green without a fault, or a "kill" would mean nothing.
  size_t bad = 0;
  auto t0 = std::chrono::steady_clock::now();
  run_suite(suite, so, [&](const ScenarioResult& r) {
    if (r.verdict == Verdict::Fail || r.verdict == Verdict::Error) {
      ++bad;
      fmt::print("baseline {} {}: {}\n", verdict_name(r.verdict), r.display_name(), r.reason);
    }
  });
  fmt::print("baseline: {} scenarios, {} not passing, {:.1f}s\n\n", suite.size(), bad,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if (bad) {
    fmt::print("selftest: the suite does not pass without a fault; kills would mean nothing\n");
    return kExitFail;
  }

  fmt::print("{:<30} {:>3} {:>7} {:>7}  {}\n", "mutant", "fam", "killed", "time", "killed by (scenario: rule)");
  size_t survivors = 0;
  for (const Mutant* m : mutants) {
    so.run.mutant = m;
    std::map<std::string, std::string> kills;  // scenario -> rule
    auto t1 = std::chrono::steady_clock::now();
    run_suite(suite, so, [&](const ScenarioResult& r) {
      if (r.verdict == Verdict::Fail) kills[r.display_name()] = r.rule_id;
    });
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    std::set<std::string> rules;
    for (const auto& [sc, rl] : kills) rules.insert(rl);
    std::string by;
    size_t shown = 0;
    for (const auto& [sc, rl] : kills) {
      if (shown++ == 3) {
        by += fmt::format(", +{} more", kills.size() - 3);
        break;
      }
      by += (by.empty() ? "" : ", ") + sc + ": " + rl;
    }
    if (kills.empty()) ++survivors;
    fmt::print("{:<30} {:>3} {:>7} {:>6.1f}s  {}\n", m->id, m->family, kills.empty() ? "NO" : std::to_string(kills.size()),
               secs, kills.empty() ? "SURVIVED" : by);
  }
  fmt::print("\n{} of {} mutants killed\n", mutants.size() - survivors, mutants.size());
  return survivors ? kExitFail : kExitPass;
}

}  // namespace ringside::cli
