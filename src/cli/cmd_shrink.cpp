// ringside shrink: the smallest program that still fails with the same rule. The shrunk
// scenario goes to standard output (or -o FILE); progress and the failure to stderr, so
// that `ringside shrink crash > min.scn` works in scripts (ci/fuzz-campaign).
#include "cli/fuzz_options.hpp"
#include "program/script.hpp"

namespace ringside::cli {

// Finds the rule a program fails with (the first failing run among `tries`).
std::optional<ScenarioResult> first_failure(const ProgramRunner& run, const Program& p, unsigned tries,
                                            const std::string& rule = {}) {
  for (unsigned k = 0; k < tries; ++k) {
    ScenarioResult r = run(p);
    if (r.verdict == Verdict::Fail && (rule.empty() || r.rule_id == rule)) return r;
  }
  return std::nullopt;
}

int cmd_shrink(const Args& args) {
  po::options_description opts("options");
  FuzzCommonOptions common;
  std::string file, rule_id, out;
  unsigned repeats = 5;
  size_t max_runs = 5000;
  opts.add_options()
      ("rule", po::value(&rule_id), "the rule that must keep failing (default: the first one the program fails with)")
      ("repeats", po::value(&repeats)->default_value(repeats), "runs of each candidate before it counts as passing")
      ("max-runs", po::value(&max_runs)->default_value(max_runs), "budget of program runs")
      ("out,o", po::value(&out), "write the shrunk scenario here (default: standard output)");
  po::variables_map vm;
  if (auto rc = common.parse_file_command("shrink", "FILE [--rule RULE] [options]", args, opts, vm, file)) return *rc;
  auto misuse = [](const std::string& what) {
    std::cerr << "ringside shrink: " << what << "\nTry 'ringside shrink --help'.\n";
    return kExitUsage;
  };
  if (file.empty()) return misuse("FILE is required");
  if (repeats < 1 || repeats > 1000) return misuse("--repeats must be between 1 and 1000");
  if (!rule_id.empty() && !rule_by_id(rule_id)) return misuse("unknown rule '" + rule_id + "' (see 'ringside rules')");
  ProgramFile pf;
  std::string err;
  if (!load_program_file(file, common.program_format(), pf, err)) {
    std::cerr << "ringside shrink: " << err << "\n";
    return kExitUsage;
  }
  auto ex = std::make_shared<Executor>(common.exec());
  ProgramRunner run = executor_runner(ex);
  auto failure = first_failure(run, pf.program, std::max(repeats * 2, 10u), rule_id);
  if (!failure) {
    std::cerr << "ringside shrink: " << file << " does not fail"
              << (rule_id.empty() ? "" : " with " + rule_id) << " in " << std::max(repeats * 2, 10u)
              << " runs: nothing to shrink\n";
    return kExitFail;
  }
  rule_id = failure->rule_id;
  std::cerr << file << " fails with " << rule_id << "; shrinking (each candidate up to " << repeats << " runs)\n";
  ShrinkOptions so;
  so.repeats = repeats;
  so.max_runs = max_runs;
  ShrinkResult sr = shrink_program(pf.program, rule_id, run, so);
  unsigned hits = reproduce_count(sr.program, rule_id, run, 10);
  std::cerr << "shrunk from " << sr.steps_before << " to " << sr.steps_after << " steps in " << sr.runs
            << " runs; the result fails with " << rule_id << " in " << hits << "/10 runs\n\n";
  std::string text = "purpose: shrunk reproducer of " + rule_id + "\n";
  Program shown = sr.program;
  shown.purpose.clear();
  shown.tags.clear();
  text += "tags: fuzz, reproducer\n" + print_script(shown);
  std::cerr << failure_report(sr.failure);
  if (out.empty()) {
    std::cout << text;
    return kExitPass;
  }
  if (!write_file(out, text, err)) {
    std::cerr << "ringside shrink: " << err << "\n";
    return kExitFail;
  }
  std::cerr << "\n" << text << "\nwritten: " << out << "\n";
  return kExitPass;
}

}  // namespace ringside::cli
