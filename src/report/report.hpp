// Reporters: the same results as people read them (human), as kernel CI parses them
// (KTAP), as CI systems read them (JUnit XML, JSON). Results stream in as scenarios
// finish; --output FORMAT=FILE runs several reporters at once (a tee).
#pragma once
#include <iosfwd>
#include <map>
#include <memory>
#include <span>
#include <string_view>
#include <string>
#include <vector>

#include "runner/baseline.hpp"
#include "runner/result.hpp"

namespace ringside {

struct RunInfo {
  std::string kernel;
  std::string profile;
  size_t total = 0;  // scenario runs planned
  unsigned repeat = 1;
  std::string report_name = "ringside";  // JUnit: root name and suite/class prefix
  // Scenario name -> its text and where it came from: failures carry it as their reproducer.
  std::map<std::string, std::string> scripts;
  std::map<std::string, std::string> sources;
};

struct Totals {
  size_t pass = 0, fail = 0, skip = 0, error = 0;
  size_t xfail = 0;  // failures the known-deviation list explains (not counted in fail)
  // Strictness over the run: steps executed and judged exactly, tolerances used (id ->
  // observations admitted), unjudged spans.
  uint64_t steps_run = 0, steps_judged = 0, spans = 0;
  std::map<std::string, uint64_t> tolerances;
  void add(Verdict v);
  void add(const ScenarioResult& r);
  size_t all() const { return pass + fail + skip + error + xfail; }
};

// A FAIL the known-deviation list explains (runner/known.hpp): shown as KNOWN (KTAP
// XFAIL), not a failure of the run.
bool is_known(const ScenarioResult& r);
// What a result shows as its status: PASS, FAIL, SKIP, ERROR, or KNOWN.
std::string_view status_name(const ScenarioResult& r);

// One line on how strictly a run was judged: judged steps, the tolerances used (most
// used first), unjudged spans.
std::string strictness_summary(const Totals& t);
// The same for one scenario's result ("" if it used no tolerance and had no span).
std::string strictness_of(const ScenarioResult& r);

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void begin(const RunInfo&) {}
  virtual void progress(size_t /*done*/, const std::string& /*running*/) {}
  virtual void result(size_t index, const ScenarioResult& r) = 0;
  // Behaviour that changed since a baseline (before end); `gating`: it fails the run.
  virtual void baseline(const BaselineComparison& /*c*/, bool /*gating*/) {}
  virtual void end(const Totals& t, double seconds, const std::vector<std::string>& notes) = 0;
};

std::unique_ptr<Reporter> make_human_reporter(std::ostream& out, bool tty, bool verbose);
std::unique_ptr<Reporter> make_ktap_reporter(std::ostream& out);
// JUnit XML as Jenkins and GitLab read it (one testsuite per behaviour family).
std::unique_ptr<Reporter> make_junit_reporter(std::ostream& out);
// One JSON document, schema in docs/report-json.md.
std::unique_ptr<Reporter> make_json_reporter(std::ostream& out);
// Sends everything to each of several reporters.
std::unique_ptr<Reporter> make_tee_reporter(std::vector<std::unique_ptr<Reporter>> reporters);

// The report formats by name ("human" needs a terminal decision, so is made by the caller).
struct ReportFormat {
  std::string_view name;
  std::string_view description;  // one line, for --help and the man page
};
std::span<const ReportFormat> report_formats();
std::string report_format_names();  // "human, ktap, junit, json or html"
bool is_report_format(const std::string& name);
std::unique_ptr<Reporter> make_reporter(const std::string& format, std::ostream& out, bool tty, bool verbose);

// What the baseline comparison found, as lines for people.
std::vector<std::string> describe_baseline(const BaselineComparison& c, bool gating);

// A scenario's behaviour family: the first part of its name ("epoll/et_refire" -> "epoll").
std::string family_of(const std::string& scenario_name);

// The failure of one scenario, several lines, for people.
std::string describe_failure(const ScenarioResult& r, size_t trace_tail);

}  // namespace ringside
