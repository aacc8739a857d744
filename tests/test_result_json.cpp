// A scenario's result read back from JSON (what an isolated child sends its parent)
// fails closed: a missing or unknown verdict is an ERROR, never a PASS.
#include <catch2/catch.hpp>

#include "runner/result_json.hpp"

using namespace ringside;

TEST_CASE("a result without a known verdict reads back as an ERROR", "[runner][json]") {
  auto read = [](const char* text) { return nlohmann::json::parse(text).get<ScenarioResult>(); };
  for (const char* bad : {R"({"name": "x"})", R"({"name": "x", "verdict": "MAYBE"})", R"({"verdict": "pass"})",
                          R"({"verdict": 1})", R"({"verdict": null, "reason": "half written"})"}) {
    INFO(bad);
    ScenarioResult r = read(bad);
    CHECK(r.verdict == Verdict::Error);
    CHECK(r.reason.find("verdict") != std::string::npos);
  }
  CHECK(read(R"({"verdict": null, "reason": "half written"})").reason.find("half written") != std::string::npos);
  for (Verdict v : {Verdict::Pass, Verdict::Fail, Verdict::Skip, Verdict::Error}) {
    ScenarioResult r;
    r.verdict = v;
    r.rule_id = v == Verdict::Fail ? "step.errno" : "";
    CHECK(nlohmann::json(r).get<ScenarioResult>().verdict == v);
  }
  CHECK_FALSE(verdict_from_name("PASSED"));
  CHECK(verdict_from_name("SKIP") == Verdict::Skip);
}
