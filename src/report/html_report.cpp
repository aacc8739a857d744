// One run as a self-contained HTML page: summary, families, failures with their traces,
// race outcome histograms, the strictness applied (tolerances, unjudged spans), every run.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>

#include "oracle/rules.hpp"
#include "oracle/tolerances.hpp"
#include "report/html.hpp"
#include "report/html_text.hpp"
#include "runner/result_json.hpp"

namespace ringside {

namespace {

using html::text;

// A failure of the run: a FAIL the known-deviation list does not explain, or an ERROR.
bool failed(const ScenarioResult& r) {
  return (r.verdict == Verdict::Fail && !is_known(r)) || r.verdict == Verdict::Error;
}
bool shown_in_full(const ScenarioResult& r) { return failed(r) || is_known(r); }

std::string overall(const Totals& t) {
  if (t.fail || t.error) return "FAIL";
  if (t.all() && t.skip == t.all()) return "SKIP";
  return t.xfail ? "KNOWN" : "PASS";
}

std::string summary_section(const RunPage& p) {
  std::string s = fmt::format("<h1>ringside {} Linux {}</h1>\n", html::badge(overall(p.totals)), text(p.kernel));
  s += fmt::format("<p class=\"muted\">profile <b>{}</b> &middot; {} scenario run(s) planned{} &middot; {:.2f} s</p>\n",
                   text(p.profile), p.planned, p.repeat > 1 ? fmt::format(" (repeat {})", p.repeat) : "", p.seconds);
  s += "<div class=\"summary\">";
  for (auto [what, n] : {std::pair{"runs", p.totals.all()}, std::pair{"passed", p.totals.pass},
                         std::pair{"failed", p.totals.fail}, std::pair{"known", p.totals.xfail},
                         std::pair{"skipped", p.totals.skip}, std::pair{"errors", p.totals.error}})
    s += fmt::format("<div><b>{}</b>{}</div>", n, what);
  s += "</div>\n";
  if (!p.notes.empty()) {
    s += "<ul class=\"notes\">";
    for (const auto& n : p.notes) s += "<li>" + text(n) + "</li>";
    s += "</ul>\n";
  }
  return s;
}

struct FamilyCount {
  size_t pass = 0, fail = 0, known = 0, skip = 0, error = 0;
  double seconds = 0;
  size_t all() const { return pass + fail + known + skip + error; }
  std::string status() const { return fail || error ? "FAIL" : known ? "KNOWN" : pass ? "PASS" : "SKIP"; }
};

std::map<std::string, FamilyCount> count_families(const std::vector<ScenarioResult>& results) {
  std::map<std::string, FamilyCount> fams;
  for (const auto& r : results) {
    FamilyCount& f = fams[family_of(r.name)];
    f.seconds += r.seconds;
    switch (r.verdict) {
      case Verdict::Pass: ++f.pass; break;
      case Verdict::Fail: ++(is_known(r) ? f.known : f.fail); break;
      case Verdict::Skip: ++f.skip; break;
      case Verdict::Error: ++f.error; break;
    }
  }
  return fams;
}

std::string families_section(const RunPage& p) {
  std::string s = "<h2 id=\"families\">Behaviour families</h2>\n<table class=\"families\">\n<thead><tr><th>family</th>"
                  "<th>status</th><th>runs</th><th>passed</th><th>failed</th><th>known</th><th>skipped</th><th>errors</th>"
                  "<th>seconds</th></tr></thead>\n<tbody>\n";
  for (const auto& [fam, f] : count_families(p.results)) {
    s += fmt::format("<tr><td><a href=\"#family-{}\">{}</a></td><td>{}</td>", html::anchor(fam), text(fam),
                     html::badge(f.status()));
    for (size_t n : {f.all(), f.pass, f.fail, f.known, f.skip, f.error}) s += fmt::format("<td class=\"num\">{}</td>", n);
    s += fmt::format("<td class=\"num\">{:.2f}</td></tr>\n", f.seconds);
  }
  return s + "</tbody>\n</table>\n";
}

std::string row(const char* head, const std::string& cell_html) {
  return fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", head, cell_html);
}

std::string failure_block(const RunPage& p, size_t index, const ScenarioResult& r) {
  std::string s = fmt::format("<section class=\"failure{}\" id=\"run-{}\">\n<h3>{} {}</h3>\n",
                              r.verdict == Verdict::Error ? " st-error-box" : is_known(r) ? " st-known-box" : "", index,
                              html::badge(status_name(r)), text(r.display_name()));
  if (!r.purpose.empty()) s += "<p class=\"muted\">" + text(r.purpose) + "</p>\n";
  s += "<table>\n";
  if (is_known(r)) s += row("known", text(r.known));
  if (!r.rule_id.empty()) {
    const Rule* rl = rule_by_id(r.rule_id);
    s += row("rule", "<code>" + text(r.rule_id) + "</code>" + (rl ? " &mdash; " + text(rl->summary) : ""));
  }
  if (!r.step_text.empty()) s += row("step", fmt::format("line {}: <code>{}</code>", r.step_line, text(r.step_text)));
  if (r.violation) {
    s += row("expected", text(r.violation->expected));
    s += row("observed", text(r.violation->observed));
    if (!r.violation->detail.empty()) s += row("detail", text(r.violation->detail));
  } else {
    s += row("reason", text(r.reason));
  }
  s += "</table>\n";
  for (const auto& w : r.warnings) s += "<p class=\"muted\">warning: " + text(w) + "</p>\n";
  if (!r.state.empty()) s += "<details><summary>model state</summary><pre>" + text(r.state) + "</pre></details>\n";
  if (!r.trace.empty()) {
    s += "<p>trace (what the kernel said at each step; the last is the failing one):</p>\n<pre class=\"trace\">";
    for (const auto& t : r.trace) s += text(t) + "\n";
    s += "</pre>\n";
  }
  if (auto it = p.reproducers.find(r.name); it != p.reproducers.end())
    s += "<details><summary>reproducer: the scenario (<code>ringside run FILE.scn</code>)</summary><pre>" +
         text(it->second) + "</pre></details>\n";
  return s + "</section>\n";
}

// The runs `which` selects, each as a failure block (at most 100: a run that fails
// everything still gives a readable page); `none` if there is none.
std::string failure_blocks(const RunPage& p, bool (*which)(const ScenarioResult&), const char* none) {
  constexpr size_t kShown = 100;
  std::string s;
  size_t n = 0;
  for (size_t i = 0; i < p.results.size(); ++i) {
    if (!which(p.results[i])) continue;
    if (n++ < kShown) s += failure_block(p, i, p.results[i]);
  }
  if (n == 0) return fmt::format("<p>{}</p>\n", none);
  if (n > kShown) s += fmt::format("<p>... and {} more (every run is listed below).</p>\n", n - kShown);
  return s;
}

std::string failures_section(const RunPage& p) {
  std::string s = "<h2 id=\"failures\">Failures</h2>\n" +
                  failure_blocks(p, failed, "None: no scenario run failed other than as a known deviation.");
  if (p.totals.xfail || std::any_of(p.results.begin(), p.results.end(), is_known))
    s += "<h2 id=\"known\">Known deviations</h2>\n<p class=\"muted\">Failures the known-deviation list explains "
         "for this kernel (KTAP XFAIL): they do not fail the run.</p>\n" +
         failure_blocks(p, is_known, "None.");
  return s;
}

std::string races_section(const RunPage& p) {
  std::map<std::string, std::map<std::string, uint64_t>> hist;
  std::map<std::string, std::set<std::string>> warnings;
  for (const auto& r : p.results) {
    if (r.histogram.empty()) continue;
    for (const auto& [k, v] : r.histogram) hist[r.display_name()][k] += v;
    for (const auto& w : r.warnings) warnings[r.display_name()].insert(w);
  }
  std::string s = "<h2 id=\"races\">Race outcomes</h2>\n";
  if (hist.empty()) return s + "<p>No race step ran.</p>\n";
  s += "<p class=\"muted\">Trials per outcome of each race step, summed over its runs: both branches of a race "
       "should appear.</p>\n<div class=\"charts\">\n";
  for (const auto& [name, outcomes] : hist) {
    std::vector<std::pair<std::string, uint64_t>> bars(outcomes.begin(), outcomes.end());
    s += "<div class=\"chart\"><h3>" + text(name) + "</h3>" + html::bar_chart(name + " outcomes", bars);
    for (const auto& w : warnings[name]) s += "<p class=\"muted\">warning: " + text(w) + "</p>";
    s += "</div>\n";
  }
  return s + "</div>\n";
}

std::string tolerances_table(const RunPage& p) {
  std::map<std::string, std::pair<uint64_t, size_t>> used;  // id -> (observations, runs)
  for (const auto& r : p.results)
    for (const auto& [id, n] : r.tolerances) {
      used[id].first += n;
      used[id].second += n > 0;
    }
  if (used.empty()) return "<p>No tolerance admitted an observation in this run.</p>\n";
  std::string s = "<table class=\"tolerances\"><thead><tr><th>tolerance</th><th>kind</th><th>observations</th>"
                  "<th>runs</th><th>what it admits</th></tr></thead>\n<tbody>\n";
  for (const auto& [id, c] : used) {
    const Tolerance* t = tolerance_by_id(id);
    s += fmt::format("<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                     "<td>{}</td></tr>\n",
                     text(id), t ? text(tol_kind_name(t->kind)) : "?", c.first, c.second, t ? text(t->summary) : "");
  }
  return s + "</tbody></table>\n";
}

std::string unjudged_table(const RunPage& p) {
  std::string rows;
  for (const auto& r : p.results)
    for (const auto& u : r.unjudged)
      rows += fmt::format("<tr><td>{}</td><td><code>{}</code></td><td>{}&ndash;{}</td><td><code>{}</code></td><td>{}</td>"
                          "</tr>\n",
                          text(r.display_name()), text(u.resource), u.from_line,
                          u.to_line ? std::to_string(u.to_line) : std::string("end"), text(u.tolerance), text(u.why));
  if (rows.empty()) return "<p>No span of any run was left unjudged.</p>\n";
  return "<table class=\"unjudged\"><thead><tr><th>scenario run</th><th>resource</th><th>lines</th><th>tolerance</th>"
         "<th>why</th></tr></thead>\n<tbody>\n" +
         rows + "</tbody></table>\n";
}

std::string strictness_section(const RunPage& p) {
  const Totals& t = p.totals;
  std::string s = "<h2 id=\"strictness\">Strictness</h2>\n<div class=\"summary\">";
  s += fmt::format("<div><b>{:.2f}%</b>steps judged exactly</div>",
                   t.steps_run ? 100.0 * static_cast<double>(t.steps_judged) / static_cast<double>(t.steps_run) : 100.0);
  for (auto [what, n] : {std::pair{"steps run", t.steps_run}, std::pair{"judged exactly", t.steps_judged},
                         std::pair{"tolerances used", uint64_t{t.tolerances.size()}},
                         std::pair{"unjudged spans", t.spans}})
    s += fmt::format("<div><b>{}</b>{}</div>", n, what);
  s += fmt::format("</div>\n<p class=\"muted\">Profile <b>{}</b>. A step is judged exactly when the oracle admitted "
                   "what the kernel did with no tolerance and outside any unjudged span.</p>\n",
                   text(p.profile));
  s += "<h3>Tolerances used</h3>\n" + tolerances_table(p) + "<h3>Unjudged spans</h3>\n" + unjudged_table(p);
  return s;
}

std::string baseline_section(const RunPage& p) {
  if (!p.baseline) return {};
  std::string s = "<h2 id=\"baseline\">Baseline</h2>\n<ul>";
  for (const auto& l : describe_baseline(*p.baseline, p.baseline_gating)) s += "<li>" + text(l) + "</li>";
  return s + "</ul>\n";
}

std::string runs_section(const RunPage& p) {
  std::map<std::string, std::vector<size_t>> by_family;
  for (size_t i = 0; i < p.results.size(); ++i) by_family[family_of(p.results[i].name)].push_back(i);
  std::string s = "<h2 id=\"runs\">Every scenario run</h2>\n";
  for (const auto& [fam, idx] : by_family) {
    bool open = std::any_of(idx.begin(), idx.end(), [&](size_t i) { return failed(p.results[i]); });
    s += fmt::format("<details id=\"family-{}\"{}><summary><b>{}</b>: {} run(s)</summary>\n<table class=\"runs\">"
                     "<thead><tr><th>scenario</th><th>verdict</th><th>seconds</th><th>steps judged</th><th>note</th>"
                     "</tr></thead>\n<tbody>\n",
                     html::anchor(fam), open ? " open" : "", text(fam), idx.size());
    for (size_t i : idx) {
      const ScenarioResult& r = p.results[i];
      std::string name = shown_in_full(r) ? fmt::format("<a href=\"#run-{}\">{}</a>", i, text(r.display_name()))
                                          : text(r.display_name());
      std::string note = is_known(r) ? r.known : r.verdict == Verdict::Pass ? strictness_of(r) : r.reason;
      s += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"num\">{:.3f}</td><td class=\"num\">{}/{}</td><td>{}</td>"
                       "</tr>\n",
                       name, html::badge(status_name(r)), r.seconds, r.steps_judged, r.steps_run, text(note));
    }
    s += "</tbody></table></details>\n";
  }
  return s;
}

class HtmlReporter : public Reporter {
 public:
  explicit HtmlReporter(std::ostream& out) : out_(out) {}
  void begin(const RunInfo& info) override {
    page_.kernel = info.kernel;
    page_.profile = info.profile;
    page_.planned = info.total;
    page_.repeat = info.repeat;
    scripts_ = info.scripts;
  }
  void result(size_t, const ScenarioResult& r) override {
    if (r.verdict == Verdict::Fail)
      if (auto it = scripts_.find(r.name); it != scripts_.end()) page_.reproducers[r.name] = it->second;
    page_.results.push_back(r);
  }
  void baseline(const BaselineComparison& c, bool gating) override {
    page_.baseline = c;
    page_.baseline_gating = gating;
  }
  void end(const Totals& t, double seconds, const std::vector<std::string>& notes) override {
    page_.totals = t;
    page_.seconds = seconds;
    page_.notes = notes;
    out_ << render_run_html(page_) << std::flush;
  }

 private:
  std::ostream& out_;
  RunPage page_;
  std::map<std::string, std::string> scripts_;
};

}  // namespace

std::string render_run_html(const RunPage& p) {
  std::string body = summary_section(p) + families_section(p) + failures_section(p) + races_section(p) +
                     strictness_section(p) + baseline_section(p) + runs_section(p);
  return html::page("ringside: Linux " + p.kernel + " (" + p.profile + ")", body);
}

RunPage run_page_from_json(const nlohmann::json& doc) {
  if (!doc.is_object() || doc.value("format", "") != "ringside-report")
    throw std::runtime_error("not a ringside report (\"format\": \"ringside-report\")");
  RunPage p;
  p.kernel = doc.value("kernel", "");
  p.profile = doc.value("profile", "");
  p.planned = doc.value("planned", size_t{0});
  p.repeat = doc.value("repeat", 1u);
  p.seconds = doc.value("seconds", 0.0);
  p.notes = doc.value("notes", std::vector<std::string>{});
  if (auto t = doc.find("totals"); t != doc.end()) {
    p.totals.pass = t->value("pass", size_t{0});
    p.totals.fail = t->value("fail", size_t{0});
    p.totals.skip = t->value("skip", size_t{0});
    p.totals.error = t->value("error", size_t{0});
    p.totals.xfail = t->value("xfail", size_t{0});
  }
  if (auto t = doc.find("strictness"); t != doc.end() && t->is_object()) {
    p.totals.steps_run = t->value("steps_run", uint64_t{0});
    p.totals.steps_judged = t->value("steps_judged", uint64_t{0});
    p.totals.spans = t->value("unjudged_spans", uint64_t{0});
    p.totals.tolerances = t->value("tolerances", std::map<std::string, uint64_t>{});
  }
  for (const auto& j : doc.value("results", nlohmann::json::array())) {
    ScenarioResult r = j.get<ScenarioResult>();
    if (j.contains("reproducer")) p.reproducers[r.name] = j.value("reproducer", "");
    p.results.push_back(std::move(r));
  }
  if (auto b = doc.find("baseline"); b != doc.end() && b->is_object()) {
    BaselineComparison c;
    c.file = b->value("file", "");
    c.baseline_kernel = b->value("kernel", "");
    c.compared = b->value("compared", size_t{0});
    for (const auto& ch : b->value("changes", nlohmann::json::array()))
      c.changes.push_back({ch.value("scenario", ""), ch.value("kind", ""), ch.value("detail", "")});
    c.stale = b->value("stale", std::vector<std::string>{});
    c.not_in_baseline = b->value("not_in_baseline", std::vector<std::string>{});
    p.baseline = c;
    p.baseline_gating = b->value("gating", false);
  }
  return p;
}

std::unique_ptr<Reporter> make_html_reporter(std::ostream& out) { return std::make_unique<HtmlReporter>(out); }

}  // namespace ringside
