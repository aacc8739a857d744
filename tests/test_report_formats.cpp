// The formats CI systems read: JUnit XML (structure as Jenkins and GitLab read it; the
// schema check against Jenkins' XSD is ci/validate-junit, run by ctest as junit_schema),
// JSON (the documented fields), KTAP (flat, SKIP reasons, Totals).
#include <catch2/catch.hpp>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/report.hpp"
#include "report/xml_text.hpp"

using namespace ringside;
namespace pt = boost::property_tree;

namespace {

std::vector<ScenarioResult> sample_results() {
  ScenarioResult pass;
  pass.name = "epoll/et_refire_tcp";
  pass.seconds = 0.0125;
  ScenarioResult fail;
  fail.name = "epoll/et_refire_pipe";
  fail.verdict = Verdict::Fail;
  fail.rule_id = "epoll.et.refire";
  fail.reason = "epoll.et.refire: edge-triggered epoll re-fires";
  fail.step_text = "epoll_wait ep";
  fail.step_line = 9;
  Violation v;
  v.expected = "a report with IN";
  v.observed = "none <&> \x01\xff";  // markup, a control character, broken UTF-8
  fail.violation = v;
  fail.trace = {"3: p = pipe -> fd 3 4"};
  fail.warnings = {"the helper ran late"};
  ScenarioResult skip;
  skip.name = "uring/cancel_race";
  skip.verdict = Verdict::Skip;
  skip.reason = "requires io_uring: io_uring_setup: EPERM (refused by policy, e.g. a seccomp profile)";
  ScenarioResult error;
  error.name = "connect/refused_v6";
  error.verdict = Verdict::Error;
  error.reason = "socket: EMFILE";
  return {pass, fail, skip, error};
}

RunInfo sample_info() {
  RunInfo info{"6.1.0-test", "linux", 4, 1, "ringside", {}, {}};
  info.scripts["epoll/et_refire_pipe"] = "purpose: p\ntags: t\np = pipe\n";
  info.sources["epoll/et_refire_pipe"] = "<embedded>/epoll/et_refire_pipe.scn";
  return info;
}

std::string render(const char* format, std::optional<BaselineComparison> baseline = {}, bool gating = false) {
  std::ostringstream out;
  auto r = make_reporter(format, out, false, false);
  r->begin(sample_info());
  Totals t;
  size_t i = 0;
  for (const auto& res : sample_results()) {
    t.add(res.verdict);
    r->result(i++, res);
  }
  if (baseline) r->baseline(*baseline, gating);
  r->end(t, 1.5, {"a note"});
  return out.str();
}

const pt::ptree* find_case(const pt::ptree& suites, const std::string& suite, const std::string& name) {
  for (const auto& [k, s] : suites)
    if (k == "testsuite" && s.get<std::string>("<xmlattr>.name") == suite)
      for (const auto& [k2, c] : s)
        if (k2 == "testcase" && c.get<std::string>("<xmlattr>.name") == name) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("JUnit: testsuites of families, testcases with time, failure/skipped/error as CI reads them", "[report][junit]") {
  std::string xml = render("junit");
  std::istringstream in(xml);
  pt::ptree doc;
  REQUIRE_NOTHROW(pt::read_xml(in, doc));
  const pt::ptree& root = doc.get_child("testsuites");
  CHECK(root.get<int>("<xmlattr>.tests") == 4);
  CHECK(root.get<int>("<xmlattr>.failures") == 1);
  CHECK(root.get<int>("<xmlattr>.errors") == 1);
  size_t suites = 0;
  for (const auto& [k, s] : root)
    if (k == "testsuite") {
      ++suites;
      CHECK(s.get<std::string>("<xmlattr>.name").starts_with("ringside."));
      CHECK(bool(s.get_optional<int>("<xmlattr>.tests")));
      CHECK(bool(s.get_optional<double>("<xmlattr>.time")));
      CHECK(s.get_child("properties").front().second.get<std::string>("<xmlattr>.name") == "kernel");
    }
  CHECK(suites == 3);  // connect, epoll, uring

  const pt::ptree* p = find_case(root, "ringside.epoll", "et_refire_tcp");
  REQUIRE(p);
  CHECK(p->get<std::string>("<xmlattr>.classname") == "ringside.epoll");
  CHECK(p->get<std::string>("<xmlattr>.time") == "0.013");
  CHECK_FALSE(bool(p->get_child_optional("failure")));

  const pt::ptree* f = find_case(root, "ringside.epoll", "et_refire_pipe");
  REQUIRE(f);
  const pt::ptree& failure = f->get_child("failure");
  CHECK(failure.get<std::string>("<xmlattr>.type") == "epoll.et.refire");
  CHECK(failure.get<std::string>("<xmlattr>.message").starts_with("epoll.et.refire:"));
  std::string body = failure.data();
  CHECK(body.find("rule:     epoll.et.refire") != std::string::npos);
  CHECK(body.find("step:     line 9: epoll_wait ep") != std::string::npos);
  CHECK(body.find("expected: a report with IN") != std::string::npos);
  CHECK(body.find("observed: none <&> \\x01\\xff") != std::string::npos);
  CHECK(body.find("reproducer (<embedded>/epoll/et_refire_pipe.scn)") != std::string::npos);
  CHECK(body.find("p = pipe") != std::string::npos);
  CHECK(f->get<std::string>("system-out").find("warning: the helper ran late") != std::string::npos);

  const pt::ptree* s = find_case(root, "ringside.uring", "cancel_race");
  REQUIRE(s);
  CHECK(s->get<std::string>("skipped").find("seccomp") != std::string::npos);
  const pt::ptree* e = find_case(root, "ringside.connect", "refused_v6");
  REQUIRE(e);
  CHECK(e->get<std::string>("error.<xmlattr>.message") == "socket: EMFILE");
}

TEST_CASE("JUnit: baseline changes are failures only when they gate the run", "[report][junit][baseline]") {
  BaselineComparison c;
  c.file = "base.json";
  c.compared = 4;
  c.changes.push_back({"epoll/et_refire_tcp", "outcome-new", "line 11: observed []"});
  for (bool gating : {false, true}) {
    std::istringstream in(render("junit", c, gating));
    pt::ptree doc;
    pt::read_xml(in, doc);
    const pt::ptree& root = doc.get_child("testsuites");
    CHECK(root.get<int>("<xmlattr>.tests") == 5);
    CHECK(root.get<int>("<xmlattr>.failures") == (gating ? 2 : 1));
    const pt::ptree* b = find_case(root, "ringside.baseline", "epoll/et_refire_tcp");
    REQUIRE(b);
    CHECK(bool(b->get_child_optional("failure")) == gating);
    if (gating) CHECK(b->get<std::string>("failure.<xmlattr>.type") == "baseline.outcome-new");
  }
}

TEST_CASE("JSON: one document with the documented fields", "[report][json]") {
  BaselineComparison c;
  c.file = "base.json";
  auto j = nlohmann::json::parse(render("json", c, true));
  CHECK(j["format"] == "ringside-report");
  CHECK(j["version"] == 1);
  CHECK(j["kernel"] == "6.1.0-test");
  CHECK(j["profile"] == "linux");
  CHECK(j["totals"] == nlohmann::json({{"pass", 1}, {"fail", 1}, {"skip", 1}, {"error", 1}, {"xfail", 0}}));
  CHECK(j["notes"] == nlohmann::json::array({"a note"}));
  CHECK(j["seconds"] == 1.5);
  REQUIRE(j["results"].size() == 4);
  const auto& f = j["results"][1];
  CHECK(f["verdict"] == "FAIL");
  CHECK(f["rule"] == "epoll.et.refire");
  CHECK(f["expected"] == "a report with IN");
  CHECK(f["line"] == 9);
  CHECK(f["reproducer"] == "purpose: p\ntags: t\np = pipe\n");
  CHECK(j["results"][2]["reason"].get<std::string>().starts_with("requires io_uring"));
  CHECK(j["baseline"]["gating"] == true);
  CHECK(j["baseline"]["changes"].is_array());
}

TEST_CASE("KTAP: flat test points, SKIP and ERROR reasons, Totals", "[report][ktap]") {
  std::string k = render("ktap");
  CHECK(k.starts_with("KTAP version 1\n"));
  CHECK(k.find("1..4\n") != std::string::npos);
  CHECK(k.find("ok 1 epoll/et_refire_tcp\n") != std::string::npos);
  CHECK(k.find("not ok 2 epoll/et_refire_pipe\n") != std::string::npos);
  CHECK(k.find("ok 3 uring/cancel_race # SKIP requires io_uring") != std::string::npos);
  CHECK(k.find("not ok 4 connect/refused_v6 # ERROR socket: EMFILE") != std::string::npos);
  CHECK(k.find("# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:1") != std::string::npos);
  std::istringstream lines(k);
  for (std::string l; std::getline(lines, l);) {
    INFO(l);
    CHECK((l.starts_with("ok ") || l.starts_with("not ok ") || l.starts_with("#") || l.starts_with("KTAP") ||
           l.starts_with("1..")));  // no indented subtests: KernelCI and LKFT drop them
  }
}

TEST_CASE("XML text: control characters and broken UTF-8 are spelled out, good UTF-8 kept", "[report][junit]") {
  CHECK(xml_safe_text("a\tb\nc") == "a\tb\nc");
  CHECK(xml_safe_text(std::string("x\0y", 3)) == "x\\x00y");
  CHECK(xml_safe_text("\x1b[0m") == "\\x1b[0m");
  CHECK(xml_safe_text("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(xml_safe_text("\xc3") == "\\xc3");
  CHECK(xml_safe_text("\xe2\x82") == "\\xe2\\x82");
  CHECK(xml_safe_text("\xc0\xaf") == "\\xc0\\xaf");  // overlong
}
