// The language reference and `ringside explain`: generated from the tables, current in
// docs/, covering every step, rule and tolerance; which steps a rule judges agrees with
// the recorded traces and with what the oracle checks while the suite runs.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "oracle/oracle.hpp"
#include "oracle/rule_steps.hpp"
#include "report/explain.hpp"
#include "report/reference.hpp"
#include "runner/run.hpp"
#include "runner/suite.hpp"
#include "support/recorded_trace.hpp"
#include "support/shell.hpp"

using namespace ringside;

namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool judges(RuleId r, Op op) {
  if (judges_every_step(r)) return true;
  auto steps = steps_judged_by(r);
  return std::find(steps.begin(), steps.end(), op) != steps.end();
}

// Attributes each rule the oracle checks to the step at which it first checked it.
struct FirstCheck : RunHooks {
  std::set<RuleId> seen;
  std::set<std::pair<Op, RuleId>>* pairs = nullptr;
  void after_step(const Program& p, size_t i, const Observation&, const Oracle& o) override {
    for (RuleId r : o.rules_exercised())
      if (seen.insert(r).second) pairs->insert({p.steps[i].op, r});
  }
};

// The embedded suite, every path, in this process: the results, and (step, rule) pairs.
struct SuiteRun {
  std::vector<ScenarioResult> results;
  std::vector<Program> programs;
  std::set<std::pair<Op, RuleId>> pairs;
};

const SuiteRun& suite_run() {
  static const SuiteRun run = [] {
    SuiteRun out;
    std::optional<ScriptError> err;
    auto suite = parse_all(embedded_scenarios(), err);
    REQUIRE_FALSE(err);
    Engine engine;
    for (const auto& sc : suite) {
      out.programs.push_back(sc.program);
      std::vector<std::string> vias = sc.program.via.empty() ? std::vector<std::string>{""} : sc.program.via;
      for (const auto& v : vias) {
        Program p = sc.program;
        if (!v.empty()) p.via = {v};
        FirstCheck hook;
        hook.pairs = &out.pairs;
        RunOptions o;
        o.isolate = false;
        o.hooks = &hook;
        if (!missing_requirement(p, probe_kernel()).empty()) continue;
        out.results.push_back(run_in_process(p, o, engine));
      }
    }
    return out;
  }();
  return run;
}

}  // namespace

TEST_CASE("docs/scenario-language.md is what the tables generate", "[reference]") {
  std::string doc = read_text(RINGSIDE_SOURCE_DIR "/docs/scenario-language.md");
  REQUIRE(doc.find(kReferenceMarker) != std::string::npos);
  INFO("regenerate with: ringside explain --markdown --update docs/scenario-language.md");
  CHECK(with_current_reference(doc) == doc);
}

TEST_CASE("the reference has a section for every kind, step, rule and tolerance", "[reference]") {
  std::string ref = reference_markdown();
  for (unsigned k = 0; k < kKindCount; ++k)
    CHECK(ref.find("| `" + std::string(kind_name(static_cast<ResKind>(k))) + "` |") != std::string::npos);
  for (const auto& op : all_ops()) {
    INFO("step " << op.name);
    CHECK(ref.find("<a id=\"step-" + std::string(op.name) + "\"></a>") != std::string::npos);
    for (const auto& p : op.params) CHECK(step_section(op).find("| `" + p.name + "` |") != std::string::npos);
  }
  for (const auto& r : all_rules()) CHECK(ref.find("<a id=\"rule-" + std::string(r.id) + "\"></a>") != std::string::npos);
  for (const auto& t : all_tolerances())
    CHECK(ref.find("<a id=\"tolerance-" + std::string(t.id) + "\"></a>") != std::string::npos);
}

TEST_CASE("a parameter's range is printed and checked from the table", "[reference][script]") {
  const OpSpec& wait = op_spec(Op::EpollWait);
  const ParamSpec& max = wait.params[wait.index("max")];
  REQUIRE(max.ranged);
  CHECK(max.lo == 1);
  CHECK(max.hi == 1024);
  CHECK(step_section(wait).find("| `max` | integer | `16` | 1 to 1024 |") != std::string::npos);
  CHECK(check_param_range(max, 0) == "max must be between 1 and 1024");
  CHECK(check_param_range(max, 1024).empty());
  auto r = parse_script("ep = epoll\nepoll_wait ep max=2000\n", "t.scn");
  REQUIRE(r.error);
  CHECK(r.error->text() == "t.scn:2:1: max must be between 1 and 1024");
}

TEST_CASE("rule_steps.def names real rules and steps, and every rule", "[reference][oracle]") {
  for (const auto& e : rule_steps_errors()) FAIL_CHECK(e);
  for (const auto& r : all_rules()) {
    INFO("rule " << r.id);
    CHECK((judges_every_step(r.rule) || !steps_judged_by(r.rule).empty()));
  }
}

TEST_CASE("a rule judges the step at which its recorded trace breaks it", "[reference][oracle][traces]") {
  auto traces = embedded_oracle_traces();
  size_t on_disk = 0;
  for (const auto& e : std::filesystem::directory_iterator(RINGSIDE_SOURCE_DIR "/tests/oracle_traces"))
    on_disk += e.path().extension() == ".trace";
  CHECK(traces.size() == on_disk);
  for (const auto& t : traces) {
    auto rec = test::parse_recorded_trace(t.text, t.name + ".trace");
    if (rec.expect == "pass") continue;
    Oracle o(rec.program, rec.profile);
    Check c;
    for (size_t i = 0; i < rec.observations.size() && !c; ++i) c = o.observe(i, rec.observations[i]);
    if (!c) c = o.finish(Observation{});
    REQUIRE(c);
    Op at = c->step < rec.program.steps.size() ? rec.program.steps[c->step].op : Op::Join;
    INFO(t.name << ": " << rule(c->rule).id << " at step " << op_spec(at).name);
    CHECK(judges(c->rule, at));
  }
}

TEST_CASE("a rule judges every step at which the oracle checks it in the suite", "[reference][oracle][kernel]") {
  const SuiteRun& run = suite_run();
  REQUIRE(run.pairs.size() > 50);
  for (auto [op, r] : run.pairs) {
    INFO("the oracle checks " << rule(r).id << " at `" << op_spec(op).name << "`: add it to rule_steps.def");
    CHECK(judges(r, op));
  }
}

TEST_CASE("explain knows every step, rule and tolerance", "[reference][explain][kernel]") {
  const SuiteRun& run = suite_run();
  ExerciseIndex index;
  for (const auto& p : run.programs) index.add(p);
  for (const auto& r : run.results) index.add(r);
  index.kernel = "test";
  auto traces = embedded_oracle_traces();
  const std::set<std::string> runner_only = {"step.crash", "kernel.log"};
  auto names = explain_names();
  CHECK(names.size() == all_ops().size() + all_rules().size() + all_tolerances().size());
  for (const auto& name : names) {
    INFO("explain " << name);
    auto text = explain(name, &index, traces);
    REQUIRE(text);
    if (auto op = op_by_name(name)) {
      CHECK(text->find(step_section(op_spec(*op))) == 0);
      auto used = index.steps.find(name);
      if (used != index.steps.end()) CHECK(text->find(*used->second.begin()) != std::string::npos);
    }
    if (const Rule* r = rule_by_id(name)) {
      CHECK(text->find(rule_section(*r)) != std::string::npos);
      CHECK(text->find("Scenarios that exercise it on Linux test") != std::string::npos);
      auto ex = index.exercised.find(name);
      if (ex != index.exercised.end()) CHECK(text->find(*ex->second.begin()) != std::string::npos);
      if (!runner_only.count(name)) {
        CHECK(text->find("A recorded trace that breaks it") != std::string::npos);
        CHECK(text->find("#! expect " + name) != std::string::npos);
      }
    }
    if (const Tolerance* t = tolerance_by_id(name)) {
      CHECK(text->find(tolerance_section(*t)) != std::string::npos);
      for (const auto& tr : traces)
        if (tr.name == "tolerance." + name + ".pass" || tr.name == "tolerance." + name + ".bug") {
          // the trace, indented as a code block under its file name
          CHECK(text->find("(tests/oracle_traces/" + tr.name + ".trace):") != std::string::npos);
          std::string first_line = tr.text.substr(0, tr.text.find('\n'));
          CHECK(text->find("    " + first_line + "\n") != std::string::npos);
        }
    }
  }
  CHECK_FALSE(explain("no_such_step", &index, traces));
}

TEST_CASE("ringside explain on the command line", "[reference][explain][cli]") {
  using support::ringside;
  auto r = ringside("explain epoll_wait --no-run");
  CHECK(r.status == 0);
  CHECK(r.out.find(step_section(op_spec(Op::EpollWait))) == 0);
  r = ringside("explain epoll.et.refire uring.poll.pri_on_socket --no-run");
  CHECK(r.status == 0);
  CHECK(r.out.find("A recorded trace that breaks it (tests/oracle_traces/epoll.et.refire.trace)") != std::string::npos);
  CHECK(r.out.find("### `uring.poll.pri_on_socket`") != std::string::npos);
  r = ringside("explain frobnicate");
  CHECK(r.status == 2);
  CHECK(r.out.find("no step, rule or tolerance is called 'frobnicate'") != std::string::npos);
  r = ringside("explain --list");
  CHECK(r.status == 0);
  CHECK(static_cast<size_t>(std::count(r.out.begin(), r.out.end(), '\n')) == explain_names().size());
  r = ringside("explain --markdown --check " RINGSIDE_SOURCE_DIR "/docs/scenario-language.md");
  CHECK(r.status == 0);
}
