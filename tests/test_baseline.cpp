// Baselines: recording, the file round trip, and what counts as changed behaviour (and
// what does not: rare race branches, stale scenarios, scenarios not in the baseline).
#include <catch2/catch.hpp>

#include "runner/baseline.hpp"

using namespace ringside;

namespace {

ScenarioResult passing(const std::string& name, std::vector<std::string> behaviours, std::vector<std::string> rules = {},
                       std::map<std::string, uint64_t> histogram = {}) {
  ScenarioResult r;
  r.name = name;
  r.behaviours = std::move(behaviours);
  r.rules = std::move(rules);
  r.histogram = std::move(histogram);
  return r;
}

std::vector<std::string> kinds(const BaselineComparison& c) {
  std::vector<std::string> k;
  for (const auto& ch : c.changes) k.push_back(ch.kind);
  return k;
}

const std::string kScript = "purpose: p\ntags: t\n";

}  // namespace

TEST_CASE("the same behaviour is no change, and survives the file round trip", "[baseline]") {
  Baseline b;
  b.kernel = "6.1.0";
  b.add(passing("epoll/et", {"3:fd", "9:[s:IN]"}, {"epoll.et.refire"}, {{"cancelled", 30}, {"done", 70}}), kScript);
  Baseline back = Baseline::from_json_text(b.to_json_text());
  CHECK(back.kernel == "6.1.0");
  REQUIRE(back.scenarios.count("epoll/et"));
  CHECK(back.scenarios.at("epoll/et").behaviours.at("9:[s:IN]") == 1);
  Baseline now;
  now.add(passing("epoll/et", {"3:fd", "9:[s:IN]"}, {"epoll.et.refire"}, {{"cancelled", 25}, {"done", 75}}), kScript);
  auto c = compare_baselines(back, now);
  CHECK(c.compared == 1);
  CHECK(c.changes.empty());
}

TEST_CASE("an ET re-fire that is gone shows as a new step outcome", "[baseline]") {
  Baseline before, now;
  before.add(passing("epoll/et_refire", {"9:[s:IN]", "11:[s:IN]"}), kScript);
  now.add(passing("epoll/et_refire", {"9:[s:IN]", "11:[]"}), kScript);
  auto c = compare_baselines(before, now);
  REQUIRE(c.changes.size() == 1);
  CHECK(c.changes[0].kind == "outcome-new");
  CHECK(c.changes[0].detail.find("line 11: observed []") != std::string::npos);
  CHECK(c.changes[0].detail.find("the baseline saw only [s:IN]") != std::string::npos);
}

TEST_CASE("an established race branch that disappeared is reported; a rare one is not", "[baseline]") {
  Baseline before, now;
  before.add(passing("race/cancel", {}, {}, {{"cancelled", 300}, {"done", 697}, {"ealready", 3}}), kScript);
  now.add(passing("race/cancel", {}, {}, {{"done", 1000}}), kScript);
  auto c = compare_baselines(before, now);
  // "ealready" was seen 3 of 1000 times (<1%): noise, not a lost branch.
  REQUIRE(c.changes.size() == 1);
  CHECK(c.changes[0].kind == "race-branch-gone");
  CHECK(c.changes[0].detail.find("'cancelled' seen 300 of 1000") != std::string::npos);
  // And the other way round: a branch the baseline never saw.
  auto back = compare_baselines(now, before);
  CHECK(kinds(back) == std::vector<std::string>{"race-branch-new"});
}

TEST_CASE("verdict and rule changes are reported; stale and new scenarios are not compared", "[baseline]") {
  Baseline before, now;
  before.add(passing("a", {"1:fd"}), kScript);
  before.add(passing("b", {"1:fd"}, {"rule.one"}), kScript);
  before.add(passing("stale", {"1:fd"}), kScript);
  ScenarioResult skipped;
  skipped.name = "a";
  skipped.verdict = Verdict::Skip;
  skipped.reason = "requires io_uring: io_uring_setup: EPERM";
  now.add(skipped, kScript);
  now.add(passing("b", {"1:fd"}, {"rule.two"}), kScript);
  now.add(passing("stale", {"1:fd"}), kScript + "e = eventfd\n");
  now.add(passing("new", {"1:fd"}), kScript);
  auto c = compare_baselines(before, now);
  CHECK(c.compared == 2);
  CHECK(c.stale == std::vector<std::string>{"stale"});
  CHECK(c.not_in_baseline == std::vector<std::string>{"new"});
  CHECK(kinds(c) == std::vector<std::string>{"verdict", "rule-gone", "rule-new"});
  CHECK(c.changes[0].detail == "was PASSx1, now SKIPx1 (requires io_uring: io_uring_setup: EPERM)");
}

TEST_CASE("a tolerance a kernel newly needs is a behaviour change, and survives the round trip", "[baseline]") {
  Baseline before, now;
  before.add(passing("uring/poll", {"9:[p:IN]"}), kScript);
  ScenarioResult r = passing("uring/poll", {"9:[p:IN]"});
  r.tolerances = {{"uring.poll.pri_on_socket", 1}};
  now.add(r, kScript);
  auto c = compare_baselines(before, Baseline::from_json_text(now.to_json_text()));
  CHECK(kinds(c) == std::vector<std::string>{"tolerance-new"});
  CHECK(c.changes[0].detail == "tolerance uring.poll.pri_on_socket is now needed, not in the baseline");
  CHECK(kinds(compare_baselines(now, before)) == std::vector<std::string>{"tolerance-gone"});
  CHECK(compare_baselines(now, now).changes.empty());
}

TEST_CASE("repeated runs merge: a step outcome seen in any baseline run is no change", "[baseline]") {
  Baseline before, now;
  before.add(passing("connect", {"4:EINPROGRESS"}), kScript);
  before.add(passing("connect", {"4:0"}), kScript);
  now.add(passing("connect", {"4:0"}), kScript);
  CHECK(compare_baselines(before, now).changes.empty());
  CHECK(before.scenarios.at("connect").passes == 2);
}

TEST_CASE("malformed baselines are refused with a reason", "[baseline]") {
  CHECK_THROWS_WITH(Baseline::from_json_text("{"), Catch::Contains("not JSON"));
  CHECK_THROWS_WITH(Baseline::from_json_text("{\"format\": \"other\"}"), Catch::Contains("not a ringside baseline"));
  CHECK_THROWS_WITH(Baseline::from_json_text("{\"format\": \"ringside-baseline\", \"version\": 99}"),
                    Catch::Contains("version 99"));
  CHECK_THROWS_WITH(Baseline::from_json_text("{\"format\": \"ringside-baseline\", \"version\": 1}"),
                    Catch::Contains("malformed"));
}
