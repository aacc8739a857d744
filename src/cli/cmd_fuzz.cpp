// ringside fuzz: the built-in campaign. Generated programs on real resources, every
// observation checked by the oracle; progress lines; on the first failure the program
// is written, shrunk, and printed as a minimal scenario.
#include <fmt/format.h>

#include <filesystem>

#include "cli/fuzz_options.hpp"
#include "engine/probe.hpp"
#include "fuzzing/campaign.hpp"
#include "program/script.hpp"

namespace ringside::cli {

namespace {

// "90", "90s", "10m", "2h" -> seconds; nullopt if malformed.
std::optional<double> parse_duration(const std::string& s) {
  if (s.empty()) return std::nullopt;
  double mult = 1;
  std::string num = s;
  switch (s.back()) {
    case 's': num.pop_back(); break;
    case 'm': mult = 60; num.pop_back(); break;
    case 'h': mult = 3600; num.pop_back(); break;
    default: break;
  }
  try {
    size_t used = 0;
    double v = std::stod(num, &used);
    if (used != num.size() || v <= 0) return std::nullopt;
    return v * mult;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string as_scenario(const Program& p, const std::string& purpose) {
  Program shown = p;
  shown.purpose = purpose;
  shown.tags = {"fuzz", "reproducer"};
  return print_script(shown);
}

}  // namespace

int cmd_fuzz(const Args& args) {
  po::options_description opts("options");
  FuzzCommonOptions common;
  uint64_t seed = 1, max_execs = 0;
  std::string time = "60s", out_dir = ".";
  unsigned jobs = 1, repeats = 5;
  double every = 5;
  opts.add_options()
      ("seed", po::value(&seed)->default_value(seed), "campaign seed (with the worker number, names every program)")
      ("time,t", po::value(&time)->default_value(time), "how long to fuzz without a failure: 90, 90s, 10m, 2h")
      ("jobs,j", po::value(&jobs)->default_value(jobs), "worker processes")
      ("max-execs", po::value(&max_execs)->default_value(max_execs), "stop after this many programs (0: no limit)")
      ("progress", po::value(&every)->default_value(every), "seconds between progress lines (0: none)")
      ("out,o", po::value(&out_dir)->default_value(out_dir), "directory for the failing program and its shrunk form")
      ("repeats", po::value(&repeats)->default_value(repeats), "shrinking: runs of each candidate")
      ("no-shrink", "write the failing program without shrinking it");
  common.add(opts);
  po::variables_map vm;
  if (auto rc = parse("fuzz", "[--seed S] [--time T] [--jobs N] [options]", args, opts, nullptr, vm)) return *rc;
  if (common.list_mutants()) return kExitPass;
  if (!common.check("fuzz")) return kExitUsage;
  auto misuse = [](const std::string& what) {
    std::cerr << "ringside fuzz: " << what << "\nTry 'ringside fuzz --help'.\n";
    return kExitUsage;
  };
  auto seconds = parse_duration(time);
  if (!seconds) return misuse("--time must be a positive duration such as 90, 90s, 10m or 2h");
  if (jobs < 1 || jobs > 64) return misuse("--jobs must be between 1 and 64");
  if (repeats < 1 || repeats > 1000) return misuse("--repeats must be between 1 and 1000");
  if (every < 0) return misuse("--progress must not be negative");
  std::error_code ec;
  if (!std::filesystem::is_directory(out_dir, ec)) return misuse("--out: no directory " + out_dir);

  CampaignOptions co;
  co.seed = seed;
  co.seconds = *seconds;
  co.max_execs = max_execs;
  co.jobs = jobs;
  ExecOptions eo = common.exec();
  co.profile = eo.profile;
  co.mutant = eo.mutant;
  co.progress_every = every;
  std::cout << fmt::format("fuzz: seed {}, {} job(s), {:.0f}s, profile {}{}\n", seed, jobs, *seconds, common.profile,
                           co.mutant ? ", MUTANT " + std::string(co.mutant->id) : "");
  std::cout.flush();
  auto line = [](const CampaignStats& s) {
    double rate = s.seconds > 0 ? static_cast<double>(s.execs) / s.seconds : 0;
    double stop = s.execs ? 100.0 * static_cast<double>(s.stopped) / static_cast<double>(s.execs) : 0;
    std::cout << fmt::format("fuzz: {:6.0f}s  execs {:>9}  exec/s {:>7.0f}  behaviours {:>6}  failures {}  "
                             "ended early {:.0f}%  errors {}  skips {}\n",
                             s.seconds, s.execs, rate, s.behaviours, s.failures, stop, s.errors, s.skips);
    std::cout.flush();
  };
  co.gen = fuzz_gen_options();
  if (const KernelProbe& k = probe_kernel(); !k.uring) {
    // Containers' default seccomp profiles refuse io_uring: fuzz what is left.
    co.gen.limits->uring = false;
    std::cout << "fuzz: io_uring is not available (" << k.uring_reason << "): fuzzing the epoll part only\n";
  }
  CampaignResult res = run_campaign(co, line);
  line(res.stats);
  if (!res.first_error.empty()) {
    std::cout << "first ERROR (not a kernel failure): " << res.first_error << "\n";
    std::string err;
    std::string path = (std::filesystem::path(out_dir) / fmt::format("fuzz-error-{}.scn", res.first_error_seed)).string();
    if (write_file(path, as_scenario(generate_program(res.first_error_seed, co.gen), "fuzzer ERROR: " + res.first_error),
                   err))
      std::cout << "  its program: " << path << "\n";
  }
  if (!res.failure) {
    std::cout << "fuzz: no failure in " << res.stats.execs << " programs\n";
    if (res.stats.errors * 2 > res.stats.execs) {
      std::cout << "fuzz: but most programs ended in ERROR: the environment is not usable\n";
      return kExitFail;
    }
    return kExitPass;
  }

  CampaignFailure& f = *res.failure;
  const std::string& rule_id = f.result.rule_id;
  std::cout << "\n" << failure_report(f.result) << "  program seed " << f.program_seed << "\n";
  std::string base = (std::filesystem::path(out_dir) / fmt::format("fuzz-{}-{}", rule_id, f.program_seed)).string();
  std::string err;
  std::string text = as_scenario(f.program, "fuzzer failure of " + rule_id + " (seed " + std::to_string(f.program_seed) + ")");
  if (!write_file(base + ".scn", text, err)) std::cerr << "ringside fuzz: " << err << "\n";
  else std::cout << "written: " << base << ".scn\n";
  if (vm.count("no-shrink")) return kExitFail;

  std::cout << "\nshrinking (each candidate up to " << repeats << " runs)...\n";
  std::cout.flush();
  ShrinkOptions so;
  so.repeats = repeats;
  ProgramRunner run;
  std::shared_ptr<Executor> ex;
  FuzzGuard guard;
  if (f.crashed) {
    // The program killed or hung its worker: each candidate runs in its own process.
    run = [&](const Program& p) {
      RunOptions ro;
      ro.profile = co.profile;
      ro.mutant = co.mutant;
      ro.step_deadline = eo.step_deadline;
      ro.scenario_deadline = std::chrono::milliseconds(20000);
      ro.hooks = &guard;
      return run_program(p, ro);
    };
  } else {
    ex = std::make_shared<Executor>(eo);
    run = executor_runner(ex);
  }
  ShrinkResult sr = shrink_program(f.program, rule_id, run, so);
  if (!sr.reproduced) {
    std::cout << "the failure did not reproduce in " << repeats << " runs: kept the program as generated\n";
    return kExitFail;
  }
  unsigned hits = reproduce_count(sr.program, rule_id, run, 10);
  std::cout << fmt::format("shrunk from {} to {} steps in {} runs; it fails with {} in {}/10 runs\n", sr.steps_before,
                           sr.steps_after, sr.runs, rule_id, hits);
  std::string min = as_scenario(sr.program, "shrunk fuzzer failure of " + rule_id);
  if (write_file(base + ".min.scn", min, err)) std::cout << "written: " << base << ".min.scn\n";
  std::cout << "\nminimal scenario:\n" << min << "\n" << failure_report(sr.failure);
  std::cout << "\nnext: ringside replay " << base << ".min.scn --repeat 10; ringside repro --emit-c " << base
            << ".min.scn -o repro.c" << (co.mutant ? " --mutant " + std::string(co.mutant->id) : "") << "\n";
  return kExitFail;
}

}  // namespace ringside::cli
