#include "report/report.hpp"

#include "report/html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <set>

#include "oracle/tolerances.hpp"

namespace ringside {

void Totals::add(Verdict v) {
  switch (v) {
    case Verdict::Pass: ++pass; break;
    case Verdict::Fail: ++fail; break;
    case Verdict::Skip: ++skip; break;
    case Verdict::Error: ++error; break;
  }
}

std::string family_of(const std::string& name) {
  size_t slash = name.find('/');
  return slash == std::string::npos ? "scenarios" : name.substr(0, slash);
}

bool is_known(const ScenarioResult& r) { return r.verdict == Verdict::Fail && !r.known.empty(); }

std::string_view status_name(const ScenarioResult& r) { return is_known(r) ? "KNOWN" : verdict_name(r.verdict); }

void Totals::add(const ScenarioResult& r) {
  if (is_known(r)) ++xfail;
  else add(r.verdict);
  steps_run += r.steps_run;
  steps_judged += r.steps_judged;
  spans += r.unjudged.size();
  for (const auto& [id, n] : r.tolerances) tolerances[id] += n;
}

namespace {
std::string tolerance_list(const std::map<std::string, uint64_t>& tols, size_t most) {
  std::vector<std::pair<std::string, uint64_t>> v(tols.begin(), tols.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string s;
  for (size_t i = 0; i < v.size() && i < most; ++i) s += fmt::format("{}{} x{}", i ? ", " : "", v[i].first, v[i].second);
  if (v.size() > most) s += fmt::format(" and {} more", v.size() - most);
  return s;
}
}  // namespace

std::string strictness_summary(const Totals& t) {
  std::string s = fmt::format("strictness: {} of {} steps judged ({:.2f}%)", t.steps_judged, t.steps_run,
                              t.steps_run ? 100.0 * static_cast<double>(t.steps_judged) / static_cast<double>(t.steps_run)
                                          : 100.0);
  s += t.tolerances.empty() ? "; no tolerance used" : "; tolerances used: " + tolerance_list(t.tolerances, 5);
  if (t.spans) s += fmt::format("; {} unjudged span(s)", t.spans);
  return s;
}

std::string strictness_of(const ScenarioResult& r) {
  if (r.tolerances.empty() && r.unjudged.empty()) return {};
  std::string s = fmt::format("judged {}/{} steps", r.steps_judged, r.steps_run);
  if (!r.tolerances.empty()) s += "; tolerated: " + tolerance_list(r.tolerances, 100);
  for (const auto& u : r.unjudged)
    s += fmt::format("; unjudged {} from line {} to {} ({})", u.resource, u.from_line,
                     u.to_line ? std::to_string(u.to_line) : std::string("the end"), u.tolerance);
  return s;
}

std::string describe_failure(const ScenarioResult& r, size_t trace_tail) {
  std::string s;
  if (!r.purpose.empty()) s += "purpose:  " + r.purpose + "\n";
  s += "rule:     " + (r.rule_id.empty() ? std::string("-") : r.rule_id) + "\n";
  if (!r.step_text.empty()) s += fmt::format("step:     line {}: {}\n", r.step_line, r.step_text);
  if (r.violation) {
    s += "expected: " + r.violation->expected + "\n";
    s += "observed: " + r.violation->observed + "\n";
    if (!r.violation->detail.empty()) s += "detail:   " + r.violation->detail + "\n";
    if (!r.violation->needs.empty()) {
      s += "admitted only by tolerance(s):";
      for (TolId t : r.violation->needs) s += fmt::format(" {} ({})", tolerance(t).id, tol_kind_name(tolerance(t).kind));
      s += "\n";
    }
  } else {
    s += "reason:   " + r.reason + "\n";
  }
  if (!r.state.empty()) s += "model state:\n" + r.state;
  if (!r.trace.empty()) {
    size_t from = r.trace.size() > trace_tail ? r.trace.size() - trace_tail : 0;
    s += from ? fmt::format("trace (last {} of {} steps):\n", r.trace.size() - from, r.trace.size()) : "trace:\n";
    for (size_t i = from; i < r.trace.size(); ++i) s += "  " + r.trace[i] + "\n";
  }
  return s;
}

namespace {

class HumanReporter : public Reporter {
 public:
  HumanReporter(std::ostream& out, bool tty, bool verbose) : out_(out), tty_(tty), verbose_(verbose) {}
  void begin(const RunInfo& info) override {
    total_ = info.total;
    out_ << fmt::format("ringside: {} scenario run(s) on Linux {}, profile {}\n", info.total, info.kernel, info.profile);
  }
  void progress(size_t done, const std::string& running) override {
    if (!tty_) return;
    out_ << fmt::format("\r\033[K[{}/{}] {}", done, total_, running) << std::flush;
    dirty_ = true;
  }
  void result(size_t, const ScenarioResult& r) override {
    clear();
    out_ << fmt::format("{:<5} {:<48} {:7.3f}s", status_name(r), r.display_name(), r.seconds);
    if (r.verdict == Verdict::Skip || r.verdict == Verdict::Error) out_ << "  " << r.reason;
    out_ << "\n";
    if (is_known(r)) out_ << "      known deviation: " << r.known << "\n";
    for (const auto& w : r.warnings) out_ << "      warning: " << w << "\n";
    if (!r.histogram.empty()) {
      out_ << "      outcomes:";
      for (const auto& [k, v] : r.histogram) out_ << " " << k << "=" << v;
      out_ << "\n";
    }
    if (r.verdict == Verdict::Fail) {
      std::string d = describe_failure(r, verbose_ ? 1000 : 12);
      size_t pos = 0;
      while (pos < d.size()) {
        size_t nl = d.find('\n', pos);
        out_ << "      " << d.substr(pos, nl - pos) << "\n";
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
    } else if (verbose_) {
      for (const auto& t : r.trace) out_ << "      " << t << "\n";
    }
    if (verbose_)
      if (std::string st = strictness_of(r); !st.empty()) out_ << "      strictness: " << st << "\n";
    out_ << std::flush;
  }
  void baseline(const BaselineComparison& c, bool gating) override {
    clear();
    for (const auto& l : describe_baseline(c, gating)) out_ << l << "\n";
  }
  void end(const Totals& t, double seconds, const std::vector<std::string>& notes) override {
    clear();
    for (const auto& n : notes) out_ << n << "\n";
    out_ << strictness_summary(t) << "\n";
    out_ << fmt::format("{} run(s): {} passed, {} failed, {} skipped, {} errors{} in {:.2f}s\n", t.all(), t.pass, t.fail,
                        t.skip, t.error, t.xfail ? fmt::format(", {} known deviation(s)", t.xfail) : "", seconds)
         << std::flush;
  }

 private:
  void clear() {
    if (dirty_) out_ << "\r\033[K";
    dirty_ = false;
  }
  std::ostream& out_;
  bool tty_, verbose_, dirty_ = false;
  size_t total_ = 0;
};

// KTAP v1 as kselftest prints it: flat test points with descriptive names (KernelCI and
// LKFT drop indented subtests), "# SKIP reason", diagnostics as "# " lines, Totals.
class KtapReporter : public Reporter {
 public:
  explicit KtapReporter(std::ostream& out) : out_(out) {}
  void begin(const RunInfo& info) override {
    out_ << "KTAP version 1\n";
    out_ << fmt::format("# ringside on Linux {} (profile {})\n", info.kernel, info.profile);
    out_ << "1.." << info.total << "\n" << std::flush;
  }
  void result(size_t index, const ScenarioResult& r) override {
    std::string name = ktap_name(r.display_name());
    if (r.verdict == Verdict::Fail) {
      std::string d = describe_failure(r, 12);
      size_t pos = 0;
      while (pos < d.size()) {
        size_t nl = d.find('\n', pos);
        out_ << "# " << d.substr(pos, nl - pos) << "\n";
        if (nl == std::string::npos) break;
        pos = nl + 1;
      }
    }
    for (const auto& w : r.warnings) out_ << "# warning: " << w << "\n";
    switch (r.verdict) {
      case Verdict::Pass:
        out_ << fmt::format("ok {} {}\n", index + 1, name);
        break;
      case Verdict::Fail:
        if (!r.known.empty()) out_ << fmt::format("ok {} {} # XFAIL {}\n", index + 1, name, one_line(r.known));
        else out_ << fmt::format("not ok {} {}\n", index + 1, name);
        break;
      case Verdict::Skip:
        out_ << fmt::format("ok {} {} # SKIP {}\n", index + 1, name, one_line(r.reason));
        break;
      case Verdict::Error:
        out_ << fmt::format("not ok {} {} # ERROR {}\n", index + 1, name, one_line(r.reason));
        break;
    }
    out_ << std::flush;
  }
  // Diagnostics only: KTAP consumers count test points, and the gate's exit status
  // (--fail-on-baseline-change) is what acts on changes.
  void baseline(const BaselineComparison& c, bool gating) override {
    for (const auto& l : describe_baseline(c, gating)) out_ << "# " << l << "\n";
  }
  void end(const Totals& t, double seconds, const std::vector<std::string>& notes) override {
    for (const auto& n : notes) out_ << "# " << n << "\n";
    out_ << "# " << strictness_summary(t) << "\n";
    out_ << fmt::format("# {:.2f}s\n", seconds);
    out_ << fmt::format("# Totals: pass:{} fail:{} xfail:{} xpass:0 skip:{} error:{}\n", t.pass, t.fail, t.xfail, t.skip, t.error)
         << std::flush;
  }

 private:
  static std::string ktap_name(std::string s) {
    for (char& c : s)
      if (c == ' ' || c == '#') c = '_';
    return s;
  }
  static std::string one_line(std::string s) {
    for (char& c : s)
      if (c == '\n') c = ' ';
    return s;
  }
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<Reporter> make_human_reporter(std::ostream& out, bool tty, bool verbose) {
  return std::make_unique<HumanReporter>(out, tty, verbose);
}
std::unique_ptr<Reporter> make_ktap_reporter(std::ostream& out) { return std::make_unique<KtapReporter>(out); }

namespace {

class TeeReporter : public Reporter {
 public:
  explicit TeeReporter(std::vector<std::unique_ptr<Reporter>> r) : rs_(std::move(r)) {}
  void begin(const RunInfo& info) override {
    for (auto& r : rs_) r->begin(info);
  }
  void progress(size_t done, const std::string& running) override {
    for (auto& r : rs_) r->progress(done, running);
  }
  void result(size_t index, const ScenarioResult& res) override {
    for (auto& r : rs_) r->result(index, res);
  }
  void baseline(const BaselineComparison& c, bool gating) override {
    for (auto& r : rs_) r->baseline(c, gating);
  }
  void end(const Totals& t, double seconds, const std::vector<std::string>& notes) override {
    for (auto& r : rs_) r->end(t, seconds, notes);
  }

 private:
  std::vector<std::unique_ptr<Reporter>> rs_;
};

}  // namespace

std::unique_ptr<Reporter> make_tee_reporter(std::vector<std::unique_ptr<Reporter>> reporters) {
  return std::make_unique<TeeReporter>(std::move(reporters));
}

std::span<const ReportFormat> report_formats() {
  static constexpr ReportFormat kFormats[] = {
      {"human", "one line per scenario run, failures in full, a progress line on a terminal"},
      {"ktap", "KTAP version 1 as kselftest prints it, for kernel CI (KernelCI, LKFT)"},
      {"junit", "JUnit XML as Jenkins and GitLab read it, one testsuite per behaviour family"},
      {"json", "one JSON document (docs/report-json.md, docs/schemas/ringside-report.schema.json)"},
      {"html", "one self-contained HTML page: summary, families, failures with traces, race histograms"},
  };
  return kFormats;
}

std::string report_format_names() {
  std::string s;
  auto all = report_formats();
  for (size_t i = 0; i < all.size(); ++i) s += (i == 0 ? "" : i + 1 == all.size() ? " or " : ", ") + std::string(all[i].name);
  return s;
}

bool is_report_format(const std::string& name) {
  for (const auto& f : report_formats())
    if (f.name == name) return true;
  return false;
}

std::unique_ptr<Reporter> make_reporter(const std::string& format, std::ostream& out, bool tty, bool verbose) {
  if (format == "ktap") return make_ktap_reporter(out);
  if (format == "junit") return make_junit_reporter(out);
  if (format == "json") return make_json_reporter(out);
  if (format == "html") return make_html_reporter(out);
  return make_human_reporter(out, tty, verbose);
}

std::vector<std::string> describe_baseline(const BaselineComparison& c, bool gating) {
  std::vector<std::string> out;
  std::set<std::string> changed;
  for (const auto& ch : c.changes) changed.insert(ch.scenario);
  out.push_back(fmt::format("baseline {} (kernel {}): {} scenario(s) compared, {} with changed behaviour{}", c.file,
                            c.baseline_kernel.empty() ? "?" : c.baseline_kernel, c.compared, changed.size(),
                            c.changes.empty() ? "" : gating ? " (fails this run: exit status 3)" : " (informational)"));
  for (const auto& ch : c.changes) out.push_back(fmt::format("  CHANGED {}: {}: {}", ch.scenario, ch.kind, ch.detail));
  for (const auto& s : c.stale)
    out.push_back(fmt::format("  STALE   {}: the scenario changed since the baseline was recorded; not compared", s));
  if (!c.not_in_baseline.empty())
    out.push_back(fmt::format("  {} scenario run(s) not in the baseline, not compared", c.not_in_baseline.size()));
  return out;
}

}  // namespace ringside
