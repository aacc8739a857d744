// ringside replay: run a scenario script or fuzzer bytes N times, the fuzzer's way, and
// say how often it fails (nondeterministic failures are common).
#include <map>

#include "cli/fuzz_options.hpp"
#include "fuzzing/findings.hpp"
#include "program/script.hpp"

namespace ringside::cli {

int cmd_replay(const Args& args) {
  po::options_description opts("options");
  FuzzCommonOptions common;
  std::string file;
  unsigned repeat = 10;
  opts.add_options()
      ("repeat,n", po::value(&repeat)->default_value(repeat), "runs")
      ("verbose,v", "print the program and the first failure's trace");
  po::variables_map vm;
  if (auto rc = common.parse_file_command("replay", "FILE [--repeat N] [options]", args, opts, vm, file)) return *rc;
  if (file.empty()) {
    std::cerr << "ringside replay: FILE is required\nTry 'ringside replay --help'.\n";
    return kExitUsage;
  }
  if (repeat < 1 || repeat > 1000000) {
    std::cerr << "ringside replay: --repeat must be between 1 and 1000000\n";
    return kExitUsage;
  }
  ProgramFile pf;
  std::string err;
  if (!load_program_file(file, common.program_format(), pf, err)) {
    std::cerr << "ringside replay: " << err << "\n";
    return kExitUsage;
  }
  if (vm.count("verbose") || pf.from_bytes) std::cout << "program (" << pf.program.steps.size() << " steps):\n"
                                                      << print_script(pf.program) << "\n";
  Executor ex(common.exec());
  std::map<std::string, unsigned> outcomes;  // "PASS", "FAIL rule", ...
  std::optional<ScenarioResult> first_fail;
  unsigned fails = 0, stopped = 0;
  uint64_t steps_run = 0, steps_judged = 0;
  std::map<std::string, uint64_t> tolerances;  // id -> observations admitted, over all runs
  for (unsigned k = 0; k < repeat; ++k) {
    const ScenarioResult& r = ex.run(pf.program);
    steps_run += r.steps_run;
    steps_judged += r.steps_judged;
    for (const auto& [id, n] : r.tolerances) tolerances[id] += n;
    std::string key = verdict_name(r.verdict);
    if (r.verdict == Verdict::Fail) {
      key += " " + r.rule_id;
      if (!known_kernel_bug(r).empty()) key += " (known kernel bug)";
      ++fails;
      if (!first_fail) first_fail = r;
    } else if (r.verdict != Verdict::Pass) {
      key += " " + r.reason;
    }
    if (ex.stopped_early()) ++stopped;
    ++outcomes[key];
  }
  std::cout << "replay " << file << ": " << fails << "/" << repeat << " runs failed\n";
  for (const auto& [k, n] : outcomes) std::cout << "  " << n << "/" << repeat << "  " << k << "\n";
  std::cout << "  judged " << steps_judged << " of " << steps_run << " steps; tolerances used:";
  for (const auto& [id, n] : tolerances) std::cout << " " << id << " x" << n;
  std::cout << (tolerances.empty() ? " none\n" : "\n");
  if (stopped)
    std::cout << "  (" << stopped << " runs ended before the last step: the next step could only wait; "
              << "the fuzzer runs programs the same way)\n";
  if (first_fail) {
    std::cout << "\nfirst failure:\n" << failure_report(*first_fail);
    if (std::string known = known_kernel_bug(*first_fail); !known.empty()) std::cout << "  " << known << "\n";
  }
  return fails ? kExitFail : kExitPass;
}

}  // namespace ringside::cli
