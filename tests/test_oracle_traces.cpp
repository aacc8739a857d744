// Recorded traces against the oracle, with no kernel: each rule has a trace that breaks
// it, and the oracle must reject that trace's last step with exactly that rule id.
#include <catch2/catch.hpp>

#include <filesystem>
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

// Index of the step the oracle rejects, and the violation.
std::pair<size_t, Check> replay(const test::RecordedTrace& t) {
  Oracle o(t.program, t.profile);
  for (size_t i = 0; i < t.observations.size(); ++i)
    if (Check c = o.observe(i, t.observations[i])) return {i, c};
  Observation empty;
  return {t.observations.size(), o.finish(empty)};
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
    Oracle o(t.program, t.profile);
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
