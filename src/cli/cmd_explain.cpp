// ringside explain: one step, rule or tolerance, as the language reference writes it; for
// rules and tolerances also the scenarios that exercise them here and a trace that breaks
// them. `--markdown` prints the generated reference (docs/scenario-language.md).
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/options.hpp"
#include "report/explain.hpp"
#include "report/progress_line.hpp"
#include "report/reference.hpp"
#include "runner/suite_run.hpp"

namespace ringside::cli {

namespace {

// Which scenarios of the embedded suite use each step; with `run`, also which exercise
// each rule and tolerance on this kernel (the suite runs).
ExerciseIndex exercise_index(bool run, unsigned jobs) {
  ExerciseIndex index;
  std::optional<ScriptError> err;
  std::vector<LoadedScenario> suite = parse_all(embedded_scenarios(), err);
  if (err) throw std::runtime_error("the embedded suite does not parse: " + err->text());
  for (const auto& sc : suite) index.add(sc.program);
  if (!run) return index;
  SuiteOptions so;
  so.jobs = jobs;
  so.run.record = true;
  ProgressLine line("explain: running the embedded suite");
  line.start(count_runs(suite, so));
  size_t failed = 0;
  auto t0 = std::chrono::steady_clock::now();
  run_suite(suite, so, [&](const ScenarioResult& r) {
    index.add(r);
    failed += r.verdict == Verdict::Fail || r.verdict == Verdict::Error;
    line.update(index.runs, failed, r.display_name());
  });
  index.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  index.kernel = probe_kernel().release;
  return index;
}

int update_reference(const std::string& path, bool check) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream old;
  if (in) old << in.rdbuf();
  std::string now = with_current_reference(old.str());
  if (check) {
    if (now == old.str()) return kExitPass;
    std::cerr << "ringside explain: " << path << " is not current: run 'ringside explain --markdown --update " << path
              << "'\n";
    return kExitFail;
  }
  if (now == old.str()) return kExitPass;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!(out << now) || !out.flush()) {
    std::cerr << "ringside explain: cannot write " << path << "\n";
    return kExitFail;
  }
  std::cerr << "ringside explain: updated " << path << "\n";
  return kExitPass;
}

}  // namespace

int cmd_explain(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> names;
  std::string update, check;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  opts.add_options()
      ("list", "list every step, rule and tolerance name")
      ("no-run", "do not run the embedded suite to find the scenarios that exercise a rule or tolerance")
      ("jobs,j", po::value(&jobs)->default_value(jobs), "scenarios run in parallel for that")
      ("markdown", "print the generated language reference (the part of docs/scenario-language.md after its marker)")
      ("update", po::value(&update)->value_name("FILE"), "with --markdown: replace the generated part of FILE")
      ("check", po::value(&check)->value_name("FILE"), "with --markdown: exit 1 if the generated part of FILE is not current")
      ("name", po::value(&names)->composing(), "steps, rules or tolerances to explain");
  po::positional_options_description pos;
  pos.add("name", -1);
  po::variables_map vm;
  if (auto rc = parse("explain", "NAME... [--no-run] | --list | --markdown [--update FILE | --check FILE]", args, opts,
                      &pos, vm))
    return *rc;
  auto misuse = [](const std::string& what) {
    std::cerr << "ringside explain: " << what << "\nTry 'ringside explain --help'.\n";
    return kExitUsage;
  };
  if (vm.count("list")) {
    for (const auto& n : explain_names()) std::cout << n << "\n";
    return kExitPass;
  }
  if (vm.count("markdown")) {
    if (!names.empty()) return misuse("--markdown takes no NAME");
    if (!update.empty() || !check.empty()) return update_reference(update.empty() ? check : update, update.empty());
    std::cout << reference_markdown();
    return kExitPass;
  }
  if (!update.empty() || !check.empty()) return misuse("--update and --check go with --markdown");
  if (names.empty()) return misuse("name a step, rule or tolerance (--list shows them)");
  std::vector<EmbeddedTrace> traces = embedded_oracle_traces();
  for (const auto& n : names)
    if (!explain(n, nullptr, traces)) return misuse("no step, rule or tolerance is called '" + n + "' (--list shows them)");
  if (jobs < 1 || jobs > 256) return misuse("--jobs must be between 1 and 256");
  bool run = !vm.count("no-run") && std::any_of(names.begin(), names.end(), explain_needs_run);
  ExerciseIndex index = exercise_index(run, jobs);
  for (size_t i = 0; i < names.size(); ++i) std::cout << (i ? "\n" : "") << *explain(names[i], &index, traces);
  return kExitPass;
}

}  // namespace ringside::cli
