// JUnit XML as Jenkins' JUnit plugin and GitLab's test reports read it: <testsuites>, one
// <testsuite> per behaviour family (the scenario name's first part), one <testcase> per
// scenario run with time, <failure type=RULE message=...> whose body has the rule, the
// expected set, the observation and the scenario as its reproducer, <skipped> with the
// reason as its text (Jenkins' junit-4 schema gives <skipped> no attributes), <error>.
// It validates against that schema (ci/validate-junit). Written at the end, in one go.
#include <fmt/format.h>
#include <unistd.h>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <chrono>
#include <ctime>
#include <map>
#include <ostream>

#include "report/report.hpp"
#include "report/xml_text.hpp"

namespace ringside {

namespace {

namespace pt = boost::property_tree;

std::string one_line(std::string s, size_t max = 400) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > max) s = s.substr(0, max) + "...";
  return s;
}

std::string iso_time_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

void attr(pt::ptree& node, const char* name, const std::string& value) {
  node.put(pt::ptree::path_type(std::string("<xmlattr>/") + name, '/'), xml_safe_text(value));
}

struct Case {
  std::string name;
  ScenarioResult result;
};

class JunitReporter : public Reporter {
 public:
  explicit JunitReporter(std::ostream& out) : out_(out) {}

  void begin(const RunInfo& info) override {
    info_ = info;
    timestamp_ = iso_time_now();
  }
  void result(size_t, const ScenarioResult& r) override {
    std::string name = r.display_name();
    const std::string& fam = family_of(r.name);
    if (name.starts_with(fam + "/")) name = name.substr(fam.size() + 1);
    if (info_.repeat > 1) name += fmt::format(" [run {}]", ++runs_[r.display_name()]);
    suites_[fam].push_back({name, r});
  }
  void baseline(const BaselineComparison& c, bool gating) override {
    baseline_ = c;
    gating_ = gating;
  }
  void end(const Totals& t, double seconds, const std::vector<std::string>& notes) override {
    pt::ptree doc;
    pt::ptree& root = doc.add_child("testsuites", pt::ptree());
    attr(root, "name", info_.report_name);
    size_t tests = t.all(), failures = t.fail;
    attr(root, "time", fmt::format("{:.3f}", seconds));
    for (auto& [fam, cases] : suites_) {
      std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
      root.add_child("testsuite", suite(fam, cases, notes));
    }
    if (baseline_) {
      auto [node, n, f] = baseline_suite(*baseline_);
      root.add_child("testsuite", node);
      tests += n;
      failures += f;
    }
    attr(root, "tests", std::to_string(tests));
    attr(root, "failures", std::to_string(failures));
    attr(root, "errors", std::to_string(t.error));
    pt::write_xml(out_, doc, pt::xml_writer_make_settings<std::string>(' ', 2));
    out_ << std::flush;
  }

 private:
  pt::ptree properties(const std::vector<std::string>& notes) const {
    pt::ptree props;
    auto prop = [&](const std::string& n, const std::string& v) {
      pt::ptree& p = props.add_child("property", pt::ptree());
      attr(p, "name", n);
      attr(p, "value", v);
    };
    prop("kernel", info_.kernel);
    prop("profile", info_.profile);
    for (const auto& n : notes) prop("note", n);
    return props;
  }

  std::string reproducer(const ScenarioResult& r) const {
    auto it = info_.scripts.find(r.name);
    if (it == info_.scripts.end()) return {};
    std::string base = r.name.substr(r.name.rfind('/') + 1);
    auto src = info_.sources.find(r.name);
    std::string from = src == info_.sources.end() ? r.name : src->second;
    return fmt::format("reproducer ({}): save it as {}.scn and run `ringside run {}.scn`\n{}", from, base, base,
                       it->second);
  }

  pt::ptree suite(const std::string& fam, const std::vector<Case>& cases, const std::vector<std::string>& notes) const {
    pt::ptree s;
    Totals t;
    double secs = 0;
    for (const auto& c : cases) {
      t.add(c.result.verdict);
      secs += c.result.seconds;
    }
    attr(s, "name", info_.report_name + "." + fam);
    attr(s, "tests", std::to_string(t.all()));
    attr(s, "failures", std::to_string(t.fail));
    attr(s, "errors", std::to_string(t.error));
    attr(s, "skipped", std::to_string(t.skip));
    attr(s, "time", fmt::format("{:.3f}", secs));
    attr(s, "timestamp", timestamp_);
    attr(s, "hostname", host_name());
    s.add_child("properties", properties(notes));
    for (const auto& c : cases) {
      const ScenarioResult& r = c.result;
      pt::ptree& tc = s.add_child("testcase", pt::ptree());
      attr(tc, "classname", info_.report_name + "." + fam);
      attr(tc, "name", c.name);
      attr(tc, "time", fmt::format("{:.3f}", r.seconds));
      switch (r.verdict) {
        case Verdict::Pass: break;
        case Verdict::Skip: tc.add("skipped", xml_safe_text(r.reason)); break;
        case Verdict::Fail: {
          if (!r.known.empty()) {  // a known deviation of this kernel: not a failure of the run
            tc.add("skipped", xml_safe_text("known deviation: " + r.known + "\n" + describe_failure(r, 40)));
            break;
          }
          std::string body = describe_failure(r, 40);
          if (std::string rep = reproducer(r); !rep.empty()) body += rep;
          pt::ptree& f = tc.add("failure", xml_safe_text(body));
          attr(f, "message", one_line(r.reason));
          attr(f, "type", r.rule_id.empty() ? "fail" : r.rule_id);
          break;
        }
        case Verdict::Error: {
          pt::ptree& e = tc.add("error", xml_safe_text(r.reason));
          attr(e, "message", one_line(r.reason));
          attr(e, "type", "environment");
          break;
        }
      }
      std::string out;
      for (const auto& w : r.warnings) out += "warning: " + w + "\n";
      if (!r.histogram.empty()) {
        out += "race outcomes:";
        for (const auto& [k, v] : r.histogram) out += fmt::format(" {}={}", k, v);
        out += "\n";
      }
      if (!out.empty()) tc.add("system-out", xml_safe_text(out));
    }
    return s;
  }

  // One testcase per scenario whose behaviour changed (a failure only when the changes
  // gate the run, as the exit status does), or one passing testcase saying none did.
  std::tuple<pt::ptree, size_t, size_t> baseline_suite(const BaselineComparison& c) const {
    std::map<std::string, std::vector<const BaselineChange*>> by;
    for (const auto& ch : c.changes) by[ch.scenario].push_back(&ch);
    pt::ptree s;
    attr(s, "name", info_.report_name + ".baseline");
    size_t n = by.empty() ? 1 : by.size(), f = gating_ ? by.size() : 0;
    attr(s, "tests", std::to_string(n));
    attr(s, "failures", std::to_string(f));
    attr(s, "errors", "0");
    attr(s, "skipped", "0");
    attr(s, "time", "0.000");
    std::string summary;
    for (const auto& l : describe_baseline(c, gating_)) summary += l + "\n";
    if (by.empty()) {
      pt::ptree& tc = s.add_child("testcase", pt::ptree());
      attr(tc, "classname", info_.report_name + ".baseline");
      attr(tc, "name", "no behaviour changed");
      attr(tc, "time", "0.000");
      tc.add("system-out", xml_safe_text(summary));
    }
    for (const auto& [name, changes] : by) {
      pt::ptree& tc = s.add_child("testcase", pt::ptree());
      attr(tc, "classname", info_.report_name + ".baseline");
      attr(tc, "name", name);
      attr(tc, "time", "0.000");
      std::string body;
      for (const auto* ch : changes) body += ch->kind + ": " + ch->detail + "\n";
      if (gating_) {
        pt::ptree& fl = tc.add("failure", xml_safe_text(body));
        attr(fl, "message", one_line(changes.front()->kind + ": " + changes.front()->detail));
        attr(fl, "type", "baseline." + changes.front()->kind);
      } else {
        tc.add("system-out", xml_safe_text("behaviour changed since the baseline (informational):\n" + body));
      }
    }
    return {s, n, f};
  }

  std::ostream& out_;
  RunInfo info_;
  std::string timestamp_;
  std::map<std::string, std::vector<Case>> suites_;
  std::map<std::string, unsigned> runs_;
  std::optional<BaselineComparison> baseline_;
  bool gating_ = false;
};

}  // namespace

std::string xml_safe_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [&](unsigned char c) { out += fmt::format("\\x{:02x}", c); };
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') hex(c);
      else if (c == 0x7f) hex(c);
      else out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence passes; anything else is spelled out byte by byte.
    size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len && i + len <= s.size() && c >= 0xc2 && c <= 0xf4;
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 0x2;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      hex(c);
      ++i;
    }
  }
  return out;
}

std::unique_ptr<Reporter> make_junit_reporter(std::ostream& out) { return std::make_unique<JunitReporter>(out); }

}  // namespace ringside
