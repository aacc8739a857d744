// Recorded traces against the oracle, with no kernel: each rule has a trace that breaks
// it, and the oracle must reject that trace's last step with exactly that rule id.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>
#include <set>
#include <sstream>

#include "oracle/oracle.hpp"
#include "support/recorded_trace.hpp"

using namespace ringside;

namespace {

std::vector<test::RecordedTrace> load_traces() {
  std::vector<test::RecordedTrace> out;
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(RINGSIDE_SOURCE_DIR "/tests/oracle_traces"))
    if (e.path().extension() == ".trace") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back(test::parse_recorded_trace(ss.str(), f.filename().string()));
  }
  return out;
}

// Index of the step the oracle rejects, and the violation; the tolerances it used.
struct Replay {
  size_t at = 0;
  Check violation;
  std::map<TolId, uint64_t> used;
};
Replay replay(const test::RecordedTrace& t, const TolerancePolicy& policy) {
  Oracle o(t.program, policy);
  Replay r;
  for (r.at = 0; r.at < t.observations.size(); ++r.at)
    if ((r.violation = o.observe(r.at, t.observations[r.at]))) break;
  if (!r.violation) r.violation = o.finish(Observation{});
  r.used = o.tolerances_used();
  return r;
}
std::pair<size_t, Check> replay(const test::RecordedTrace& t) {
  Replay r = replay(t, t.policy());
  return {r.at, r.violation};
}

}  // namespace

TEST_CASE("every recorded trace is judged as it expects", "[oracle][traces]") {
  auto traces = load_traces();
  REQUIRE(traces.size() >= 40);
  for (const auto& t : traces) {
    auto [at, c] = replay(t);
    INFO(t.file << (c ? ": " + std::string(rule(c->rule).id) + " at step " + std::to_string(at + 1) +
                            " expected " + c->expected + " observed " + c->observed
                      : ": no violation"));
    if (t.expect == "pass") {
      CHECK_FALSE(c);
    } else {
      REQUIRE(c);
      CHECK(rule(c->rule).id == t.expect);
      CHECK(at + 1 == t.observations.size());  // rejected at the last step, not before
    }
  }
}

TEST_CASE("every rule has a recorded trace that breaks it", "[oracle][traces]") {
  std::set<std::string> covered;
  for (const auto& t : load_traces()) covered.insert(t.expect);
  // Outcomes the runner decides, not the oracle.
  const std::set<std::string> runner_only = {"step.crash", "kernel.log"};
  for (const auto& r : all_rules()) {
    if (runner_only.count(std::string(r.id))) continue;
    INFO("rule " << r.id);
    CHECK(covered.count(std::string(r.id)));
  }
}

TEST_CASE("a trace cut before its violation passes", "[oracle][traces]") {
  for (const auto& t : load_traces()) {
    if (t.expect == "pass" || t.observations.empty()) continue;
    Oracle o(t.program, t.policy());
    for (size_t i = 0; i + 1 < t.observations.size(); ++i) {
      INFO(t.file << " step " << i + 1);
      CHECK_FALSE(o.observe(i, t.observations[i]));
    }
  }
}

TEST_CASE("rule ids are unique and each cites a source", "[oracle]") {
  std::set<std::string_view> ids;
  for (const auto& r : all_rules()) {
    CHECK(ids.insert(r.id).second);
    CHECK_FALSE(r.summary.empty());
    CHECK_FALSE(r.source.empty());
    CHECK(rule_by_id(r.id) == &r);
  }
}

// Every tolerance is proven both ways: a trace it admits (which fails with it switched
// off, naming it), and a plausible kernel bug inside the state it tolerates, which must
// still fail with it on.
TEST_CASE("every tolerance has a trace it admits and a neighbouring bug it rejects", "[oracle][traces][tolerances]") {
  std::map<std::string, test::RecordedTrace> by_file;
  for (auto& t : load_traces()) by_file.emplace(t.file, t);
  for (const Tolerance& tol : all_tolerances()) {
    const std::string id(tol.id);
    INFO("tolerance " << id);
    auto pass = by_file.find("tolerance." + id + ".pass.trace");
    auto bug = by_file.find("tolerance." + id + ".bug.trace");
    CHECK(pass != by_file.end());
    CHECK(bug != by_file.end());
    if (pass == by_file.end() || bug == by_file.end()) continue;
    const test::RecordedTrace& p = pass->second;
    CHECK(p.expect == "pass");
    TolerancePolicy on = p.policy(), off = p.policy();
    on.set(tol.tol, TolMode::On);
    off.set(tol.tol, TolMode::Off);
    Replay admitted = replay(p, on);
    INFO(pass->first << (admitted.violation ? ": " + std::string(rule(admitted.violation->rule).id) + " expected " +
                                                   admitted.violation->expected + " observed " + admitted.violation->observed
                                             : ""));
    CHECK_FALSE(admitted.violation);
    CHECK(admitted.used.count(tol.tol));
    Replay refused = replay(p, off);
    CHECK(refused.violation);
    if (refused.violation)
      CHECK(std::find(refused.violation->needs.begin(), refused.violation->needs.end(), tol.tol) !=
            refused.violation->needs.end());
    // The neighbouring bug, with the tolerance on: it fails with the rule it expects.
    const test::RecordedTrace& b = bug->second;
    TolerancePolicy bug_on = b.policy();
    bug_on.set(tol.tol, TolMode::On);
    Replay caught = replay(b, bug_on);
    CHECK(caught.violation);
    if (!caught.violation) continue;
    CHECK(rule(caught.violation->rule).id == b.expect);
    CHECK(caught.at + 1 >= b.observations.size());
  }
}
