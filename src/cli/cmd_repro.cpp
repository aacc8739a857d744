// ringside repro --emit-c: a standalone C program (libc + liburing) that performs a
// failing program's steps and exits 1 when the kernel deviates the same way.
#include "cli/fuzz_options.hpp"
#include "fuzzing/emit_c.hpp"

namespace ringside::cli {

std::optional<ScenarioResult> first_failure(const ProgramRunner& run, const Program& p, unsigned tries,
                                            const std::string& rule);

int cmd_repro(const Args& args) {
  po::options_description opts("options");
  FuzzCommonOptions common;
  std::string file, rule_id, out;
  unsigned tries = 20;
  opts.add_options()
      ("emit-c", "write a standalone C reproducer (the only kind so far)")
      ("rule", po::value(&rule_id), "the rule to reproduce (default: the first one the program fails with)")
      ("tries", po::value(&tries)->default_value(tries), "runs to get a failure whose allowed set the C program checks")
      ("out,o", po::value(&out), "write the C program here (default: standard output)");
  po::variables_map vm;
  if (auto rc = common.parse_file_command("repro", "--emit-c FILE [-o OUT.c] [options]", args, opts, vm, file,
                                          "scenario script or fuzzer bytes (best: the output of 'ringside shrink')"))
    return *rc;
  auto misuse = [](const std::string& what) {
    std::cerr << "ringside repro: " << what << "\nTry 'ringside repro --help'.\n";
    return kExitUsage;
  };
  if (!vm.count("emit-c")) return misuse("say what to emit: --emit-c");
  if (file.empty()) return misuse("FILE is required");
  if (tries < 1 || tries > 100000) return misuse("--tries must be between 1 and 100000");
  if (!rule_id.empty() && !rule_by_id(rule_id)) return misuse("unknown rule '" + rule_id + "' (see 'ringside rules')");
  ProgramFile pf;
  std::string err;
  if (!load_program_file(file, common.program_format(), pf, err)) {
    std::cerr << "ringside repro: " << err << "\n";
    return kExitUsage;
  }
  ExecOptions eo = common.exec();
  auto ex = std::make_shared<Executor>(eo);
  auto failure = first_failure(executor_runner(ex), pf.program, tries, rule_id);
  if (!failure || !failure->violation) {
    std::cerr << "ringside repro: " << file << " did not fail" << (rule_id.empty() ? "" : " with " + rule_id) << " in "
              << tries << " runs: no allowed set to check\n";
    return kExitFail;
  }
  EmitCInput in;
  in.program = &pf.program;
  in.violation = *failure->violation;
  in.mutant = eo.mutant;
  std::string c = emit_c(in, err);
  if (c.empty()) {
    std::cerr << "ringside repro: " << err << "\n";
    return kExitFail;
  }
  if (out.empty()) {
    std::cout << c;
  } else {
    if (!write_file(out, c, err)) {
      std::cerr << "ringside repro: " << err << "\n";
      return kExitFail;
    }
    std::cerr << "written: " << out << " (build: cc -o repro " << out << " -luring)\n";
  }
  return kExitPass;
}

}  // namespace ringside::cli
