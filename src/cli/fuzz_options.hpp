// Options shared by the fuzzing commands (fuzz, shrink, replay, repro, corpus).
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "cli/options.hpp"
#include "fuzzing/executor.hpp"
#include "fuzzing/program_file.hpp"
#include "fuzzing/shrink.hpp"
#include "mutate/mutants.hpp"

namespace ringside::cli {

struct FuzzCommonOptions {
  StrictnessOptions strictness;  // --profile, --tolerate ID, --no-tolerate ID
  std::string mutant;  // test-only fault (see `ringside selftest --list`)
  std::string format = "auto";
  int64_t step_timeout_ms = 2000;

  void add(po::options_description& opts) {
    strictness.add_to(opts);
    opts.add_options()
        ("mutant", po::value(&mutant), "TEST ONLY: distort observations with this mutant before the oracle sees "
                                       "them (a planted deviation; '--mutant list' names them)")
        ("step-timeout", po::value(&step_timeout_ms)->default_value(step_timeout_ms), "deadline of one blocking step, ms");
  }
  void add_format(po::options_description& opts) {
    opts.add_options()("as", po::value(&format)->default_value(format),
                       "how to read FILE: auto (printable text is a script), script, or bytes (fuzzer input)");
  }

  // Checks the values (and resolves the strictness); prints why and returns false on misuse.
  bool check(const char* cmd) {
    auto bad = [&](const std::string& what) {
      std::cerr << "ringside " << cmd << ": " << what << "\nTry 'ringside " << cmd << " --help'.\n";
      return false;
    };
    if (std::string e = strictness.resolve(profile_, tolerate_); !e.empty()) return bad(e);
    if (format != "auto" && format != "script" && format != "bytes") return bad("--as must be auto, script or bytes");
    if (!mutant.empty() && !mutant_by_id(mutant)) return bad("unknown mutant '" + mutant + "' ('--mutant list' names them)");
    if (step_timeout_ms < 10) return bad("--step-timeout is too small");
    return true;
  }
  // The shape of shrink, replay and repro: their own options, these, and one FILE (a
  // scenario script or fuzzer bytes). Returns the exit status when the command is done
  // already (--help, a usage error, `--mutant list`), nullopt to go on with `file` set.
  std::optional<int> parse_file_command(const char* cmd, const char* synopsis, const Args& args,
                                        po::options_description& opts, po::variables_map& vm, std::string& file,
                                        const char* file_help = "scenario script or fuzzer bytes") {
    opts.add_options()("file", po::value(&file), file_help);
    add(opts);
    add_format(opts);
    po::positional_options_description pos;
    pos.add("file", 1);
    if (auto rc = parse(cmd, synopsis, args, opts, &pos, vm)) return rc;
    if (list_mutants()) return kExitPass;
    if (!check(cmd)) return kExitUsage;
    return std::nullopt;
  }
  // `--mutant list`: prints the mutants; true if it did.
  bool list_mutants() const {
    if (mutant != "list") return false;
    for (const auto& m : all_mutants()) std::cout << m.id << "  " << m.summary << "\n";
    return true;
  }
  ExecOptions exec() const {
    ExecOptions eo;
    eo.profile = profile_;
    eo.tolerate = tolerate_;
    eo.mutant = mutant.empty() ? nullptr : mutant_by_id(mutant);
    eo.step_deadline = std::chrono::milliseconds(step_timeout_ms);
    return eo;
  }
  ProgramFormat program_format() const {
    return format == "script" ? ProgramFormat::Script : format == "bytes" ? ProgramFormat::Bytes : ProgramFormat::Auto;
  }

 private:
  Profile profile_ = Profile::Linux;  // resolved by check()
  std::vector<std::pair<TolId, bool>> tolerate_;
};

// Runs programs the fuzzer's way (guarded, in process, one reused engine).
inline ProgramRunner executor_runner(std::shared_ptr<Executor> ex) {
  return [ex](const Program& p) { return ex->run(p); };
}

}  // namespace ringside::cli
