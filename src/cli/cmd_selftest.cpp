// ringside selftest: prove the gate. The suite must pass as is, and fail under every
// mutant of the catalogue (a fault injected between kernel and oracle). With
// --fuzz-time, also how long the built-in fuzzer takes to find each mutant.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "cli/options.hpp"
#include "engine/probe.hpp"
#include "fuzzing/campaign.hpp"
#include "mutate/mutants.hpp"
#include "runner/known.hpp"
#include "runner/suite_run.hpp"

namespace ringside::cli {

bool load_selection(const std::vector<std::string>& paths, const std::vector<std::string>& filters,
                    std::vector<LoadedScenario>& out);

namespace {

// For each mutant, the built-in campaign from an empty corpus (generator only, seed 1,
// one job, no shrinking, nothing written) until its first failure or `seconds`.
// Informational: returns nothing the exit status depends on.
void fuzz_table(const std::vector<const Mutant*>& mutants, double seconds) {
  CampaignOptions co;
  co.seed = 1;
  co.seconds = seconds;
  co.jobs = 1;
  co.progress_every = 0;
  co.gen = fuzz_gen_options();
  fmt::print("\nfuzzer from an empty corpus: seed {}, {} job, up to {:g}s per mutant\n", co.seed, co.jobs, seconds);
  if (const KernelProbe& k = probe_kernel(); !k.uring) {
    // As `ringside fuzz` does: without io_uring only the epoll part can be generated.
    co.gen.limits->uring = false;
    fmt::print("io_uring is not available ({}): fuzzing the epoll part only\n", k.uring_reason);
  }
  fmt::print("{:<30} {:>5} {:>8} {:>9}  {}\n", "mutant", "found", "time", "execs", "first failure (rule)");
  size_t found = 0;
  for (const Mutant* m : mutants) {
    co.mutant = m;
    CampaignResult res = run_campaign(co);
    std::string what = res.failure ? res.failure->result.rule_id : "NOT FOUND";
    // A campaign that mostly ended in ERROR measured the environment, not the fuzzer.
    if (!res.failure && res.stats.errors * 2 > res.stats.execs)
      what += fmt::format(" (most programs ERROR: {})", res.first_error);
    if (res.failure) ++found;
    fmt::print("{:<30} {:>5} {:>7.2f}s {:>9}  {}\n", m->id, res.failure ? "yes" : "NO", res.stats.seconds,
               res.stats.execs, what);
    std::fflush(stdout);
  }
  fmt::print("\nthe fuzzer found {} of {} mutants within {:g}s each (not part of the exit status)\n", found,
             mutants.size(), seconds);
}

}  // namespace

int cmd_selftest(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> only;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  double fuzz_time = 0;
  opts.add_options()("mutant,m", po::value(&only)->composing(), "only these mutants (default: the whole catalogue)")(
      "jobs,j", po::value(&jobs)->default_value(jobs), "scenarios run in parallel")(
      "fuzz-time", po::value(&fuzz_time)->default_value(fuzz_time),
      "after the kill table, run the built-in fuzzer (seed 1, 1 job, empty corpus) under each mutant for up to this "
      "many seconds and print how long it took to find it (0: off). Informational: a mutant the fuzzer does not "
      "find is printed as NOT FOUND but does not change the exit status")("list", "list the mutants and exit");
  po::variables_map vm;
  if (auto rc = parse("selftest", "[--mutant ID...] [--jobs N] [--fuzz-time SECONDS] [--list]", args, opts, nullptr, vm))
    return *rc;
  if (vm.count("list")) {
    for (const auto& m : all_mutants()) fmt::print("{:<32} family {}  {}\n", m.id, m.family, m.summary);
    return kExitPass;
  }
  if (!std::isfinite(fuzz_time) || fuzz_time < 0) {
    std::cerr << "ringside selftest: --fuzz-time must be a number of seconds, 0 or more\n"
              << "Try 'ringside selftest --help'.\n";
    return kExitUsage;
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
  if (fuzz_time > 0) fuzz_table(mutants, fuzz_time);
  return survivors ? kExitFail : kExitPass;
}

}  // namespace ringside::cli
