// ringside selftest: prove the gate. The suite must pass as is, and fail under every
// mutant of the catalogue (a fault injected between kernel and oracle). With
// --fuzz-time, also how long the built-in fuzzer takes to find each mutant.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>

#include "cli/options.hpp"
#include "engine/probe.hpp"
#include "fuzzing/time_to_find.hpp"
#include "mutate/mutants.hpp"
#include "runner/known.hpp"
#include "runner/suite_run.hpp"

namespace ringside::cli {

bool load_selection(const std::vector<std::string>& paths, const std::vector<std::string>& filters,
                    std::vector<LoadedScenario>& out);

namespace {

// For each mutant, the built-in campaign from an empty corpus (one job, no shrinking,
// nothing written) under seeds 1, 2 and 3, until its first kill or `seconds`.
// Informational: returns nothing the exit status depends on.
void fuzz_table(const std::vector<const Mutant*>& mutants, double seconds, const RunOptions& strictness) {
  FindTimeOptions fo;
  fo.seconds = seconds;
  fo.campaign.jobs = 1;
  fo.campaign.profile = strictness.profile;
  fo.campaign.tolerate = strictness.tolerate;
  fo.campaign.gen = fuzz_gen_options();
  fmt::print("\nfuzzer from an empty corpus: {} job, seeds 1-{}, up to {:g}s per mutant and seed\n", fo.campaign.jobs,
             fo.seeds, seconds);
  if (const KernelProbe& k = probe_kernel(); !k.uring) {
    // As `ringside fuzz` does: without io_uring only the epoll part can be generated.
    fo.campaign.gen.limits->uring = false;
    fmt::print("io_uring is not available ({}): fuzzing the epoll part only\n", k.uring_reason);
  }
  double load[1] = {};
  getloadavg(load, 1);
  fmt::print("(load average {:.2f} at the start)\n", load[0]);
  std::fflush(stdout);
  auto rows = find_table(mutants, fo, [](const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  });
  size_t found = 0;
  for (const auto& r : rows) found += r.found() * 2 > r.seconds.size();
  fmt::print("\nthe fuzzer found {} of {} mutants within {:g}s (by most seeds; not part of the exit status)\n", found,
             mutants.size(), seconds);
}

}  // namespace

int cmd_selftest(const Args& args) {
  po::options_description opts("options");
  StrictnessOptions strictness;
  std::vector<std::string> only;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  double fuzz_time = 0;
  opts.add_options()("mutant,m", po::value(&only)->composing(), "only these mutants (default: the whole catalogue)")(
      "jobs,j", po::value(&jobs)->default_value(jobs), "scenarios run in parallel")(
      "fuzz-time", po::value(&fuzz_time)->default_value(fuzz_time),
      "after the kill table, run the built-in fuzzer (1 job, empty corpus, seeds 1, 2 and 3) under each mutant for "
      "up to this many seconds per seed and print the median time and programs it took to find it (0: off). "
      "Informational: a mutant the fuzzer does not find is printed as NOT FOUND but does not change the exit status")("list", "list the mutants and exit");
  strictness.add_to(opts);
  po::variables_map vm;
  if (auto rc = parse("selftest", "[--mutant ID...] [--jobs N] [--fuzz-time SECONDS] [--list]", args, opts, nullptr, vm))
    return *rc;
  if (vm.count("list")) {
    for (const auto& m : all_mutants()) fmt::print("{:<32} family {}  {}\n", m.id, m.family, m.summary);
    return kExitPass;
  }
  auto misuse = [](const std::string& what) {
    std::cerr << "ringside selftest: " << what << "\nTry 'ringside selftest --help'.\n";
    return kExitUsage;
  };
  if (!std::isfinite(fuzz_time) || fuzz_time < 0) return misuse("--fuzz-time must be a number of seconds, 0 or more");
  SuiteOptions so;
  so.jobs = jobs;
  if (std::string e = strictness.resolve(so.run.profile, so.run.tolerate); !e.empty()) return misuse(e);
  std::vector<const Mutant*> mutants;
  for (const auto& id : only) {
    const Mutant* m = mutant_by_id(id);
    if (!m) return misuse("unknown mutant '" + id + "'");
    mutants.push_back(m);
  }
  if (mutants.empty())
    for (const auto& m : all_mutants()) mutants.push_back(&m);

  std::vector<LoadedScenario> suite;
  if (!load_selection({}, {}, suite)) return kExitUsage;
  fmt::print("selftest: profile {}{}\n", strictness.profile, tolerance_overrides(so.run.tolerate));

  // The suite must be green without a fault, or a "kill" would mean nothing. A failure
  // that is a known deviation of this kernel (ci/known-kernel-deviations) is not: that
  // scenario is left out of the kill runs, and said so.
  const KnownDeviations known = KnownDeviations::for_running_kernel(probe_kernel().release);
  size_t bad = 0;
  std::set<std::string> known_failing;
  auto t0 = std::chrono::steady_clock::now();
  run_suite(suite, so, [&](const ScenarioResult& r) {
    if (r.verdict == Verdict::Fail) {
      if (std::string why = known.reason(r.display_name(), r.rule_id); !why.empty()) {
        known_failing.insert(r.name);
        fmt::print("baseline KNOWN {}: {} (left out of the kill runs)\n", r.display_name(), why);
        return;
      }
    }
    if (r.verdict == Verdict::Fail || r.verdict == Verdict::Error) {
      ++bad;
      fmt::print("baseline {} {}: {}\n", verdict_name(r.verdict), r.display_name(), r.reason);
    }
  });
  fmt::print("baseline: {} scenarios, {} not passing, {} known deviations, {:.1f}s\n\n", suite.size(), bad,
             known_failing.size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  std::erase_if(suite, [&](const LoadedScenario& s) { return known_failing.count(s.program.name) > 0; });
  if (bad) {
    fmt::print("selftest: the suite does not pass without a fault; kills would mean nothing\n");
    return kExitFail;
  }

  // A kill is a FAIL of an oracle rule; a deadline, a crash or an ERROR is not one.
  fmt::print("{:<38} {:>3} {:>7} {:>7}  {}\n", "mutant", "fam", "killed", "time", "killed by (rule x scenarios)");
  size_t survivors = 0;
  for (const Mutant* m : mutants) {
    so.run.mutant = m;
    std::map<std::string, std::string> kills;  // scenario -> rule
    size_t not_kills = 0;                      // failures of no oracle rule, and errors
    auto t1 = std::chrono::steady_clock::now();
    run_suite(suite, so, [&](const ScenarioResult& r) {
      if (is_kill(r)) kills[r.display_name()] = r.rule_id;
      else if (r.verdict == Verdict::Fail || r.verdict == Verdict::Error) ++not_kills;
    });
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    // The rules that killed it, most kills first, each with one scenario it killed in.
    std::map<std::string, std::pair<size_t, std::string>> rules;  // rule -> (kills, a scenario)
    for (const auto& [sc, rl] : kills) {
      auto& [n, example] = rules[rl];
      if (n++ == 0) example = sc;
    }
    std::vector<std::pair<size_t, std::string>> order;
    for (const auto& [rl, v] : rules) order.emplace_back(v.first, rl);
    std::sort(order.rbegin(), order.rend());
    std::string by;
    for (size_t k = 0; k < order.size() && k < 3; ++k)
      by += fmt::format("{}{} x{} (e.g. {})", k ? ", " : "", order[k].second, order[k].first, rules[order[k].second].second);
    if (order.size() > 3) by += fmt::format(", +{} more rules", order.size() - 3);
    if (kills.empty()) ++survivors;
    if (not_kills) by += fmt::format("{}({} deadline, crash or ERROR: no kill)", by.empty() ? "" : "; ", not_kills);
    fmt::print("{:<38} {:>3} {:>7} {:>6.1f}s  {}\n", m->id, m->family, kills.empty() ? "NO" : std::to_string(kills.size()),
               secs, kills.empty() ? "SURVIVED " + by : by);
  }
  fmt::print("\n{} of {} mutants killed\n", mutants.size() - survivors, mutants.size());
  if (fuzz_time > 0) fuzz_table(mutants, fuzz_time, so.run);
  return survivors ? kExitFail : kExitPass;
}

}  // namespace ringside::cli
