// The fuzzing benchmark (not a test): executions per second per core on generated
// programs, with a fresh engine per program and with one reused engine, and the cost of
// the engine and oracle against the bare system calls of the same programs, measured in
// the same run: the executed steps of every program are emitted as C (the reproducer's
// per-operation code, with no checks), compiled with -O2 and timed.
//
//   ringside-fuzz-bench [--programs N] [--seed S] [--rounds R] [--cc CC]
//
// With --time-to-find T: instead, the fuzzer's power, as the time the built-in campaign
// (one job, empty corpus) takes to find each mutant of the catalogue, median over
// --seeds seeds of at most T seconds each (the `fuzz-time-to-find` target records it).
//
//   ringside-fuzz-bench --time-to-find 60 [--seeds 3] [--mutant ID...] [--fresh-only]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <map>

#include "engine/probe.hpp"
#include "fuzzing/emit_c.hpp"
#include "fuzzing/executor.hpp"
#include "fuzzing/time_to_find.hpp"
#include "gen/generator.hpp"

using namespace ringside;
namespace po = boost::program_options;

namespace {

struct Timing {
  double wall = 0, cpu = 0;  // seconds
};

double cpu_seconds(int who) {
  rusage ru{};
  getrusage(who, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

template <class F>
Timing timed(F&& f) {
  double c0 = cpu_seconds(RUSAGE_SELF);
  auto t0 = std::chrono::steady_clock::now();
  f();
  Timing t;
  t.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  t.cpu = cpu_seconds(RUSAGE_SELF) - c0;
  return t;
}

std::string row(const char* what, double execs, const Timing& t) {
  return fmt::format("  {:<44} {:>10.0f} {:>10.1f} {:>10.1f}\n", what, execs / t.wall, 1e6 * t.wall / execs,
                     1e6 * t.cpu / execs);
}

// The time-to-find table; 0 if it ran, 2 on a bad mutant id.
int time_to_find_table(double seconds, unsigned seeds, const std::vector<std::string>& ids, bool fresh_only) {
  std::vector<const Mutant*> mutants;
  for (const auto& id : ids) {
    const Mutant* m = mutant_by_id(id);
    if (!m) {
      std::cerr << "ringside-fuzz-bench: unknown mutant '" << id << "'\n";
      return 2;
    }
    mutants.push_back(m);
  }
  if (mutants.empty())
    for (const auto& m : all_mutants()) mutants.push_back(&m);  // mutants added later join by themselves
  FindTimeOptions fo;
  fo.seconds = seconds;
  fo.seeds = seeds;
  fo.campaign.jobs = 1;
  fo.campaign.steer = !fresh_only;
  if (!probe_kernel().uring) fo.campaign.gen.limits->uring = false;
  double load[1] = {};
  getloadavg(load, 1);
  std::cout << fmt::format(
      "ringside fuzzer time to find: {} mutant(s), one job, empty corpus, seeds 1-{}, at most {:g}s each{}\n"
      "kernel {}; load average {:.2f} on {} cpus at the start\n\n",
      mutants.size(), seeds, seconds, fresh_only ? ", fresh programs only (no steering)" : "", probe_kernel().release,
      load[0], sysconf(_SC_NPROCESSORS_ONLN));
  find_table(mutants, fo, [](const std::string& line) { std::cout << line << std::endl; });
  getloadavg(load, 1);
  std::cout << fmt::format("load average {:.2f} at the end\n", load[0]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned programs = 2000, rounds = 3, seeds = 3;
  uint64_t seed = 1;
  double find_seconds = 0;
  std::vector<std::string> mutant_ids;
  std::string cc = "cc", keep;
  po::options_description opts("ringside-fuzz-bench options");
  opts.add_options()("help,h", "show this help")(
      "programs", po::value(&programs)->default_value(programs), "generated programs in the corpus")(
      "seed", po::value(&seed)->default_value(seed), "seed of the first program")(
      "rounds", po::value(&rounds)->default_value(rounds), "passes over the corpus (reused engine and bare C)")(
      "cc", po::value(&cc)->default_value(cc), "C compiler for the bare-syscall programs")(
      "keep", po::value(&keep), "also write the bare-syscall C program to this file")(
      "time-to-find", po::value(&find_seconds)->default_value(find_seconds),
      "instead: seconds per mutant and seed for the time-to-find table (0: the exec/s benchmark)")(
      "seeds", po::value(&seeds)->default_value(seeds), "time-to-find: seeds per mutant")(
      "mutant", po::value(&mutant_ids)->composing(), "time-to-find: only these mutants (default: the catalogue)")(
      "fresh-only", "time-to-find: fresh programs only, no steering by the corpus (to compare)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "ringside-fuzz-bench: " << e.what() << "\n" << opts << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  if (find_seconds < 0 || seeds < 1 || seeds > 99) {
    std::cerr << "ringside-fuzz-bench: --time-to-find must not be negative and --seeds between 1 and 99\n";
    return 2;
  }
  if (find_seconds > 0) return time_to_find_table(find_seconds, seeds, mutant_ids, vm.count("fresh-only") > 0);
  if (programs < 1 || rounds < 1) {
    std::cerr << "ringside-fuzz-bench: --programs and --rounds must be at least 1\n";
    return 2;
  }

  GenOptions go = fuzz_gen_options();
  std::vector<Program> corpus;
  Timing gen = timed([&] {
    for (unsigned k = 0; k < programs; ++k) corpus.push_back(generate_program(seed + k, go));
  });

  // A first pass: which steps each program runs (the guard may end one early), and the
  // verdicts (a benchmark of a failing program would measure something else).
  // Only programs whose executed steps all have C code (races, wait_ready and wrapper
  // steps have none) take part in the comparison with bare system calls.
  std::vector<BenchProgram> bare;
  std::vector<const Program*> comparable;
  size_t steps = 0, failures = 0;
  {
    Executor ex;
    for (const Program& p : corpus) {
      const ScenarioResult& r = ex.run(p);
      failures += r.verdict != Verdict::Pass;
      steps += r.steps_run;
      bool in_c = true;
      for (size_t i = 0; i < r.steps_run && i < p.steps.size(); ++i) in_c = in_c && c_emitter(p.steps[i].op);
      if (!in_c) continue;
      bare.push_back({&p, r.steps_run});
      comparable.push_back(&p);
    }
  }

  // Where the reused engine's wall time goes: per operation, and the rest of each run.
  std::map<std::string, std::pair<size_t, double>> by_op;  // name -> (steps, seconds)
  double rest = 0;
  Executor reused;
  Timing warm = timed([&] {
    for (unsigned round = 0; round < rounds; ++round)
      for (const Program& p : corpus) {
        reused.run(p);
        double in_steps = 0;
        const auto& ns = reused.step_times();
        for (size_t i = 0; i < ns.size(); ++i) {
          double sec = std::chrono::duration<double>(ns[i]).count();
          auto& [n, t] = by_op[std::string(op_spec(p.steps[i].op).name)];
          ++n;
          t += sec;
          in_steps += sec;
        }
        rest += std::chrono::duration<double>(reused.run_time()).count() - in_steps;
      }
  });
  Timing warm_c = timed([&] {
    for (unsigned round = 0; round < rounds; ++round)
      for (const Program* p : comparable) reused.run(*p);
  });
  ExecOptions fresh_opts;
  fresh_opts.fresh_engine = true;
  Executor fresh(fresh_opts);
  Timing cold = timed([&] {
    for (const Program& p : corpus) fresh.run(p);
  });

  // The same programs' system calls, bare: emitted C, compiled, run.
  std::string err;
  std::string c = emit_c_bench(bare, rounds, err);
  if (c.empty()) {
    std::cerr << "ringside-fuzz-bench: " << err << "\n";
    return 1;
  }
  std::string dir = std::filesystem::temp_directory_path() / "ringside-fuzz-bench-XXXXXX";
  if (!mkdtemp(dir.data())) {
    std::perror("mkdtemp");
    return 1;
  }
  std::ofstream(dir + "/bare.c") << c;
  if (!keep.empty()) std::ofstream(keep) << c;
  std::string build = cc + " -O2 -w -o " + dir + "/bare " + dir + "/bare.c -luring";
  if (std::system(build.c_str()) != 0) {
    std::cerr << "ringside-fuzz-bench: cannot build the bare programs: " << build << "\n";
    std::filesystem::remove_all(dir);
    return 1;
  }
  double child0 = cpu_seconds(RUSAGE_CHILDREN);
  FILE* pipe = popen((dir + "/bare").c_str(), "r");
  Timing raw;
  size_t bare_execs = 0;
  char line[256] = {};
  if (!pipe || !std::fgets(line, sizeof line, pipe) || std::sscanf(line, "programs %zu seconds %lf", &bare_execs, &raw.wall) != 2) {
    std::cerr << "ringside-fuzz-bench: the bare programs did not report\n";
    if (pipe) pclose(pipe);
    std::filesystem::remove_all(dir);
    return 1;
  }
  pclose(pipe);
  raw.cpu = cpu_seconds(RUSAGE_CHILDREN) - child0;  // includes the process start, small
  std::filesystem::remove_all(dir);

  double execs = static_cast<double>(corpus.size());
  double loadavg[3] = {};
  getloadavg(loadavg, 3);
  std::cout << fmt::format(
      "ringside fuzz benchmark: {} generated programs (seed {}), {:.1f} executed steps each on average, kernel {}\n"
      "one core (single process); load average {:.2f} on {} cpus; {} program(s) did not pass\n\n",
      corpus.size(), seed, static_cast<double>(steps) / execs, probe_kernel().release, loadavg[0],
      sysconf(_SC_NPROCESSORS_ONLN), failures);
  std::cout << fmt::format("  {:<44} {:>10} {:>10} {:>10}\n", "", "exec/s", "us/exec", "cpu us/exec");
  std::cout << row("fresh engine per program", execs, cold);
  std::cout << row(("reused engine (" + std::to_string(rounds) + " rounds)").c_str(), execs * rounds, warm);
  std::cout << row("generating the programs (not in the above)", execs, gen);
  const double cexecs = static_cast<double>(comparable.size()) * rounds;
  std::cout << fmt::format("\n  the {} programs whose executed steps all have C code ({:.0f}%):\n", comparable.size(),
                           100.0 * static_cast<double>(comparable.size()) / execs);
  std::cout << row(("reused engine (" + std::to_string(rounds) + " rounds)").c_str(), cexecs, warm_c);
  std::cout << row(("bare system calls, emitted C -O2 (" + std::to_string(rounds) + " rounds)").c_str(),
                   static_cast<double>(bare_execs), raw);
  double ratio_wall = (warm_c.wall / cexecs) / (raw.wall / static_cast<double>(bare_execs));
  double ratio_cpu = (warm_c.cpu / cexecs) / (raw.cpu / static_cast<double>(bare_execs));
  std::cout << fmt::format("\n  engine + oracle / bare system calls: {:.2f}x wall, {:.2f}x cpu (target: at most 1.5x)\n",
                           ratio_wall, ratio_cpu);
  std::cout << fmt::format("  reused / fresh engine: {:.2f}x the executions per second\n",
                           (execs * rounds / warm.wall) / (execs / cold.wall));

  // The operations taking the most wall time with the reused engine.
  std::vector<std::pair<double, std::string>> top;
  for (const auto& [name, nt] : by_op) top.emplace_back(nt.second, name);
  top.emplace_back(rest, "(set-up, end checks, clean-up)");
  std::sort(top.rbegin(), top.rend());
  std::cout << fmt::format("\n  where the reused engine's wall time goes:\n  {:<32} {:>8} {:>10} {:>7}\n", "operation",
                           "steps", "us/step", "share");
  for (size_t k = 0; k < top.size() && k < 15; ++k) {
    const auto& [sec, name] = top[k];
    size_t n = by_op.count(name) ? by_op[name].first : corpus.size() * rounds;
    std::cout << fmt::format("  {:<32} {:>8} {:>10.1f} {:>6.1f}%\n", name, n, 1e6 * sec / static_cast<double>(n),
                             100.0 * sec / warm.wall);
  }
  return 0;
}
