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
#include "runner/fault.hpp"

namespace ringside::cli {

struct FuzzCommonOptions {
  std::string profile = "linux";
  std::string inject;  // test-only fault (see `--inject list`)
  std::string format = "auto";
  int64_t step_timeout_ms = 2000;

  void add(po::options_description& opts) {
    opts.add_options()
        ("profile", po::value(&profile)->default_value(profile), "oracle profile: linux or contract")
        ("inject", po::value(&inject), "TEST ONLY: distort observations with this fault before the oracle sees them "
                                       "('--inject list' names them)")
        ("step-timeout", po::value(&step_timeout_ms)->default_value(step_timeout_ms), "deadline of one blocking step, ms");
  }
  void add_format(po::options_description& opts) {
    opts.add_options()("as", po::value(&format)->default_value(format),
                       "how to read FILE: auto (printable text is a script), script, or bytes (fuzzer input)");
  }

  // Checks the values; prints why and returns false on misuse.
  bool check(const char* cmd) const {
    auto bad = [&](const std::string& what) {
      std::cerr << "ringside " << cmd << ": " << what << "\nTry 'ringside " << cmd << " --help'.\n";
      return false;
    };
    if (profile != "linux" && profile != "contract") return bad("--profile must be linux or contract");
    if (format != "auto" && format != "script" && format != "bytes") return bad("--as must be auto, script or bytes");
    if (!inject.empty() && !observation_fault(inject)) {
      std::string names;
      for (const auto& f : observation_faults()) names += " " + std::string(f.name);
      return bad("unknown fault '" + inject + "'; known:" + names);
    }
    if (step_timeout_ms < 10) return bad("--step-timeout is too small");
    return true;
  }
  // `--inject list`: prints the faults; true if it did.
  bool list_faults() const {
    if (inject != "list") return false;
    for (const auto& f : observation_faults()) std::cout << f.name << "  " << f.description << "\n";
    return true;
  }
  ExecOptions exec() const {
    ExecOptions eo;
    eo.profile = profile == "contract" ? Profile::Contract : Profile::Linux;
    eo.fault = inject.empty() ? nullptr : observation_fault(inject);
    eo.step_deadline = std::chrono::milliseconds(step_timeout_ms);
    return eo;
  }
  ProgramFormat program_format() const {
    return format == "script" ? ProgramFormat::Script : format == "bytes" ? ProgramFormat::Bytes : ProgramFormat::Auto;
  }
};

// Runs programs the fuzzer's way (guarded, in process, one reused engine).
inline ProgramRunner executor_runner(std::shared_ptr<Executor> ex) {
  return [ex](const Program& p) { return ex->run(p); };
}

}  // namespace ringside::cli
