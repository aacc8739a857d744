// The HTML pages: what each part shows, escaping, the matrix cells. (Their structure is
// parsed by a real HTML parser in tests/html_report.sh; their look checked in Chromium by
// tests/html_screenshot.sh.)
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "report/html.hpp"
#include "report/html_text.hpp"
#include "runner/result_json.hpp"

using namespace ringside;

namespace {

ScenarioResult result(const std::string& name, Verdict v) {
  ScenarioResult r;
  r.name = name;
  r.verdict = v;
  r.purpose = "purpose of " + name;
  return r;
}

bool has(const std::string& page, const std::string& part) { return page.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a run's page shows failures, known deviations, races, tolerances and unjudged spans", "[report][html]") {
  RunPage p;
  p.kernel = "6.18";
  p.profile = "linux";
  ScenarioResult f = result("epoll/et <refire>", Verdict::Fail);
  f.rule_id = "epoll.et.refire";
  f.step_text = "epoll_wait ep";
  f.step_line = 9;
  f.violation = Violation{};
  f.violation->expected = "a report with IN";
  f.violation->observed = "none & nothing";
  f.trace = {"8: write w 1 -> 1", "9: epoll_wait ep -> []"};
  ScenarioResult race = result("race/cancel_pipe_read", Verdict::Pass);
  race.histogram = {{"cancelled, cancel 0", 120}, {"done, cancel ENOENT", 80}};
  race.tolerances = {{"uring.poll.pri_on_socket", 3}};
  race.unjudged = {UnjudgedSpan{"q", 5, 0, "uring.poll.pri_on_socket", "the model cannot follow it"}};
  race.steps_judged = 4;
  race.steps_run = 6;
  ScenarioResult known = result("uring_order/link_timeout_iowq_chain", Verdict::Fail);
  known.rule_id = "uring.link_timeout.fires";
  known.known = "the timer starts after the issue returns";
  p.results = {f, race, result("epoll/lt", Verdict::Skip), known};
  for (const auto& r : p.results) p.totals.add(r);
  p.reproducers["epoll/et <refire>"] = "ep = epoll\n";
  std::string page = render_run_html(p);
  CHECK(has(page, "<!DOCTYPE html>"));
  CHECK_FALSE(has(page, "<refire>"));  // escaped
  CHECK(has(page, "epoll/et &lt;refire&gt;"));
  CHECK(has(page, "none &amp; nothing"));
  CHECK(has(page, "<code>epoll.et.refire</code> &mdash; edge-triggered re-fires"));
  CHECK(has(page, "line 9: <code>epoll_wait ep</code>"));
  CHECK(has(page, "9: epoll_wait ep -&gt; []"));
  CHECK(has(page, "<details><summary>reproducer"));
  CHECK(has(page, "<svg"));
  CHECK(has(page, "<title>cancelled, cancel 0: 120</title>"));
  CHECK(has(page, "<td><code>uring.poll.pri_on_socket</code></td><td>linux-behaviour</td><td class=\"num\">3</td>"));
  CHECK(has(page, "<td><code>q</code></td><td>5&ndash;end</td>"));
  CHECK(has(page, "<div><b>66.67%</b>steps judged exactly</div><div><b>6</b>steps run</div><div><b>4</b>judged exactly"));
  CHECK(has(page, "<div><b>1</b>known</div>"));
  CHECK(has(page, "<h2 id=\"known\">Known deviations</h2>"));
  CHECK(has(page, "<section class=\"failure st-known-box\" id=\"run-3\">"));
  CHECK(has(page, "<tr><th>known</th><td>the timer starts after the issue returns</td></tr>"));
  CHECK(has(page, "<td class=\"num\">4/6</td>"));
  // the family of a known deviation alone is KNOWN; a real failure's is FAIL
  CHECK(has(page, "<td><a href=\"#family-uring_order\">uring_order</a></td><td><span class=\"badge st-known\">KNOWN"));
  CHECK(has(page, "<td><a href=\"#family-epoll\">epoll</a></td><td><span class=\"badge st-fail\">FAIL"));
  CHECK(has(page, "id=\"family-epoll\""));
  CHECK_FALSE(has(page, "http://"));
  CHECK_FALSE(has(page, "https://"));
}

TEST_CASE("a run's page from its report.json", "[report][html]") {
  nlohmann::json doc = {{"format", "ringside-report"}, {"version", 1},  {"kernel", "6.1"},     {"profile", "contract"},
                        {"planned", 2},               {"repeat", 1},   {"seconds", 1.5},
                        {"totals", {{"pass", 1}, {"fail", 1}, {"skip", 0}, {"error", 0}, {"xfail", 2}}},
                        {"strictness", {{"steps_run", 9}, {"steps_judged", 7}, {"unjudged_spans", 1},
                                        {"tolerances", {{"uring.poll.pri_on_socket", 2}}}}},
                        {"notes", {"a note"}},        {"results", nlohmann::json::array()}};
  nlohmann::json failing = result("stream/eof", Verdict::Fail);
  failing["reproducer"] = "a, b = socketpair unix_stream\n";
  doc["results"].push_back(failing);
  doc["results"].push_back(nlohmann::json(result("stream/read", Verdict::Pass)));
  RunPage p = run_page_from_json(doc);
  CHECK(p.kernel == "6.1");
  CHECK(p.totals.fail == 1);
  CHECK(p.totals.xfail == 2);
  CHECK(p.totals.steps_run == 9);
  CHECK(p.totals.steps_judged == 7);
  CHECK(p.totals.spans == 1);
  CHECK(p.totals.tolerances.at("uring.poll.pri_on_socket") == 2);
  REQUIRE(p.results.size() == 2);
  CHECK(p.reproducers.at("stream/eof") == "a, b = socketpair unix_stream\n");
  CHECK(has(render_run_html(p), "a note"));
  CHECK_THROWS(run_page_from_json(nlohmann::json{{"kernels", nlohmann::json::array()}}));
}

TEST_CASE("a matrix cell is PASS, KNOWN, FAIL, SKIP or the kernel's status", "[report][html]") {
  MatrixKernel k;
  k.label = "6.1";
  k.status = "TIMEOUT";
  CHECK(matrix_cell_status(k, "epoll") == "TIMEOUT");  // no report
  k.run = RunPage{};
  k.run->results = {result("epoll/a", Verdict::Pass), result("epoll/b", Verdict::Skip), result("pipe/a", Verdict::Skip),
                    result("uring/a", Verdict::Fail), result("race/a", Verdict::Fail), result("race/b", Verdict::Error)};
  k.failures = {{"uring/a", "r", "a known bug", true}, {"race/a", "r", "", true}, {"race/b", "r", "", false}};
  CHECK(matrix_cell_status(k, "epoll") == "PASS");
  CHECK(matrix_cell_status(k, "pipe") == "SKIP");
  CHECK(matrix_cell_status(k, "uring") == "KNOWN");
  CHECK(matrix_cell_status(k, "race") == "FAIL");  // race/b is not known
  CHECK(matrix_cell_status(k, "wrapper").empty());  // no run of that family
  k.run->results.push_back(result("pipe/b", Verdict::Fail));
  k.run->results.back().known = "the run itself said KNOWN";
  CHECK(matrix_cell_status(k, "pipe") == "KNOWN");
  mark_known_failures(k);  // the kernel's page says what the matrix says
  CHECK(is_known(k.run->results[3]));
  CHECK(k.run->results[3].known == "a known bug");
  CHECK(k.run->results[4].known == "known deviation");  // listed known without a reason
  CHECK_FALSE(is_known(k.run->results[5]));             // an ERROR is never known
  CHECK(matrix_cell_status(k, "race") == "FAIL");
  k.page = "k/report.html";
  std::string page = render_matrix_html({k});
  CHECK(has(page, "<a href=\"k/report.html#family-uring\">KNOWN"));
  CHECK(has(page, "class=\"st-fail\""));
}

TEST_CASE("matrix.json as ci/kernel-matrix writes it", "[report][html]") {
  auto doc = nlohmann::json::parse(R"({"kernels":[{"label":"host","release":"6.18","status":"PASS","dir":"host",
    "profile":"linux","failures":[{"scenario":"a/b","rule":"x.y","known":true,"reason":"why"}],"note":"n"}]})");
  auto ks = matrix_from_json(doc);
  REQUIRE(ks.size() == 1);
  CHECK(ks[0].dir == "host");
  REQUIRE(ks[0].failures.size() == 1);
  CHECK(ks[0].failures[0].known);
  CHECK_THROWS(matrix_from_json(nlohmann::json::array()));
}

TEST_CASE("html text is escaped and anchors are plain", "[report][html]") {
  CHECK(html::text("<a href=\"x\">&</a>") == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
  CHECK(html::anchor("uring_cancel/x y") == "uring_cancel-x-y");
  CHECK(html::status_class("KNOWN") == "st-known");
  CHECK(html::status_class("NO-REPORT") == "st-other");
}
