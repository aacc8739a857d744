// The scripted suite on the running kernel: every scenario passes under both profiles,
// and a scenario SKIPs only for a feature the kernel's probe reports absent or a tolerance
// it shows that the profile does not admit (on a kernel that has the feature, its
// scenarios must run: a suite that skips half of itself is not a green suite). A FAIL that this kernel's entry in ci/known-kernel-deviations names
// (rule and scenario) is a documented kernel bug, not a failure of the suite.
#include <catch2/catch.hpp>

#include <map>

#include "engine/probe.hpp"
#include "runner/known.hpp"
#include "runner/suite_run.hpp"

using namespace ringside;

namespace {
void run_all(Profile profile, unsigned jobs) {
  std::optional<ScriptError> err;
  auto suite = parse_all(embedded_scenarios(), err);
  REQUIRE_FALSE(err);
  SuiteOptions so;
  so.run.profile = profile;
  so.jobs = jobs;
  // Why each scenario may skip here: a `requires:` feature the probe reports absent, or
  // a tolerance it `shows:` that the profile does not admit.
  const KernelProbe& probe = probe_kernel();
  std::map<std::string, std::string> absent;
  for (const auto& s : suite) absent[s.program.name] = missing_requirement(s.program, probe, policy_of(so.run));
  const KnownDeviations known = KnownDeviations::for_running_kernel(probe.release);
  size_t runs = 0, skipped = 0, may_skip = 0;
  for (const auto& [name, why] : absent) may_skip += !why.empty();
  run_suite(suite, so, [&](const ScenarioResult& r) {
    ++runs;
    if (r.verdict == Verdict::Fail && !known.reason(r.display_name(), r.rule_id).empty()) return;
    INFO(r.display_name() << ": " << verdict_name(r.verdict) << " " << r.reason << "\n"
                          << (r.violation ? r.violation->expected + " / " + r.violation->observed : ""));
    CHECK((r.verdict == Verdict::Pass || r.verdict == Verdict::Skip));
    if (r.verdict != Verdict::Skip) return;
    ++skipped;
    auto it = absent.find(r.name);
    REQUIRE(it != absent.end());
    INFO("the probe reports every feature " << r.name << " requires and the profile admits what it shows: it must run, not skip");
    CHECK_FALSE(it->second.empty());
  });
  CHECK(runs >= suite.size());
  // Skips come only from scenarios that may skip (each may run on several paths).
  if (may_skip == 0) CHECK(skipped == 0);
}
}  // namespace

TEST_CASE("the whole suite passes on the running kernel (linux profile)", "[kernel][suite]") {
  run_all(Profile::Linux, 2);
}

TEST_CASE("the whole suite passes on the running kernel (contract profile)", "[kernel][suite]") {
  run_all(Profile::Contract, 2);
}
