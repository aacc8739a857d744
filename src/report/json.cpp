// One JSON document per run (schema: docs/report-json.md and
// docs/schemas/ringside-report.schema.json). Written at the end, in one go.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "report/report.hpp"
#include "runner/result_json.hpp"

namespace ringside {

namespace {

class JsonReporter : public Reporter {
 public:
  explicit JsonReporter(std::ostream& out) : out_(out) {}
  void begin(const RunInfo& info) override {
    info_ = info;
    doc_["format"] = "ringside-report";
    doc_["version"] = 1;
    doc_["kernel"] = info.kernel;
    doc_["profile"] = info.profile;
    doc_["planned"] = info.total;
    doc_["repeat"] = info.repeat;
    doc_["results"] = nlohmann::json::array();
  }
  void result(size_t index, const ScenarioResult& r) override {
    nlohmann::json j = r;
    j["index"] = index;
    j["display_name"] = r.display_name();
    if (r.verdict == Verdict::Fail)
      if (auto it = info_.scripts.find(r.name); it != info_.scripts.end()) j["reproducer"] = it->second;
    doc_["results"].push_back(std::move(j));
  }
  void baseline(const BaselineComparison& c, bool gating) override {
    nlohmann::json changes = nlohmann::json::array();
    for (const auto& ch : c.changes) changes.push_back({{"scenario", ch.scenario}, {"kind", ch.kind}, {"detail", ch.detail}});
    doc_["baseline"] = {{"file", c.file},       {"kernel", c.baseline_kernel},   {"compared", c.compared},
                        {"gating", gating},     {"changes", changes},            {"stale", c.stale},
                        {"not_in_baseline", c.not_in_baseline}};
  }
  void end(const Totals& t, double seconds, const std::vector<std::string>& notes) override {
    doc_["totals"] = {{"pass", t.pass}, {"fail", t.fail}, {"skip", t.skip}, {"error", t.error}, {"xfail", t.xfail}};
    doc_["strictness"] = {{"steps_run", t.steps_run},
                          {"steps_judged", t.steps_judged},
                          {"unjudged_spans", t.spans},
                          {"tolerances", t.tolerances}};
    doc_["seconds"] = seconds;
    doc_["notes"] = notes;
    // Invalid UTF-8 (kernel data) is replaced rather than making the document unwritable.
    out_ << doc_.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n" << std::flush;
  }

 private:
  std::ostream& out_;
  RunInfo info_;
  nlohmann::json doc_;
};

}  // namespace

std::unique_ptr<Reporter> make_json_reporter(std::ostream& out) { return std::make_unique<JsonReporter>(out); }

}  // namespace ringside
