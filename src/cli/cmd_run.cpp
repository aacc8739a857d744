// ringside run: the scripted suite (or given scenarios) on the running kernel.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <map>
#include <thread>

#include "cli/options.hpp"
#include "engine/probe.hpp"
#include "mutate/mutants.hpp"
#include "report/report.hpp"
#include "runner/suite_run.hpp"

namespace ringside::cli {

namespace {
// Busy child processes that keep the CPUs loaded while the suite runs (--stress); ended
// by their pids when the run is over.
class CpuLoad {
 public:
  explicit CpuLoad(unsigned n) {
    for (unsigned k = 0; k < n; ++k) {
      pid_t pid = fork();
      if (pid == 0) {
        volatile uint64_t x = 0;
        while (true) x = x + 1;
      }
      if (pid > 0) pids_.push_back(pid);
    }
  }
  ~CpuLoad() {
    for (pid_t p : pids_) kill(p, SIGKILL);
    for (pid_t p : pids_) waitpid(p, nullptr, 0);
  }
  CpuLoad(const CpuLoad&) = delete;
  CpuLoad& operator=(const CpuLoad&) = delete;

 private:
  std::vector<pid_t> pids_;
};
}  // namespace

bool load_selection(const std::vector<std::string>& paths, const std::vector<std::string>& filters,
                    std::vector<LoadedScenario>& out);

int cmd_run(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> paths, filters;
  std::string profile = "linux", format = "human";
  unsigned repeat = 1, jobs = std::max(1u, std::thread::hardware_concurrency()), stress = 0;
  int64_t timeout_ms = 30000, step_timeout_ms = 5000;
  std::string mutant;
  opts.add_options()
      ("filter,f", po::value(&filters)->composing(), "run scenarios whose name or tag matches (glob or substring)")
      ("profile", po::value(&profile)->default_value(profile), "oracle profile: linux (de-facto Linux) or contract (documented only)")
      ("repeat", po::value(&repeat)->default_value(repeat), "run the selection N times and report pass rates")
      ("format", po::value(&format)->default_value(format), "output: human or ktap")
      ("jobs,j", po::value(&jobs)->default_value(jobs), "scenarios run in parallel (each in its own process)")
      ("stress", po::value(&stress), "N parallel workers while N busy processes load the CPUs (false-alarm hunting)")
      ("timeout", po::value(&timeout_ms)->default_value(timeout_ms), "deadline of one scenario, ms (a hang is a FAIL)")
      ("step-timeout", po::value(&step_timeout_ms)->default_value(step_timeout_ms), "deadline of one blocking step, ms")
      ("no-isolate", "run scenarios in this process (no crash or hang protection)")
      ("mutant", po::value(&mutant), "inject a fault between kernel and oracle (see 'ringside selftest --list')")
      ("verbose,v", "print every step's trace")
      ("path", po::value(&paths)->composing(), "scenario files or directories (default: the embedded suite)");
  po::positional_options_description pos;
  pos.add("path", -1);
  po::variables_map vm;
  if (auto rc = parse("run", "[PATH...] [options]", args, opts, &pos, vm)) return *rc;
  auto misuse = [&](const std::string& what) {
    std::cerr << "ringside run: " << what << "\nTry 'ringside run --help'.\n";
    return kExitUsage;
  };
  if (profile != "linux" && profile != "contract") return misuse("--profile must be linux or contract");
  if (format != "human" && format != "ktap") return misuse("--format must be human or ktap");
  if (repeat < 1 || repeat > 100000) return misuse("--repeat must be between 1 and 100000");
  if (jobs < 1 || jobs > 256) return misuse("--jobs must be between 1 and 256");
  if (stress > 256) return misuse("--stress must be at most 256");
  if (timeout_ms < 100 || step_timeout_ms < 10) return misuse("timeouts are too small");

  const Mutant* injected = nullptr;
  if (!mutant.empty() && !(injected = mutant_by_id(mutant))) return misuse("unknown mutant '" + mutant + "'");

  std::vector<LoadedScenario> sel;
  if (!load_selection(paths, filters, sel)) return kExitUsage;
  if (sel.empty()) return misuse("no scenario matches");

  SuiteOptions so;
  so.run.mutant = injected;
  so.run.profile = profile == "linux" ? Profile::Linux : Profile::Contract;
  so.run.scenario_deadline = std::chrono::milliseconds(timeout_ms);
  so.run.step_deadline = std::chrono::milliseconds(step_timeout_ms);
  so.run.isolate = !vm.count("no-isolate");
  so.jobs = stress ? stress : jobs;
  so.repeat = repeat;
  CpuLoad load(stress);

  bool tty = isatty(STDOUT_FILENO) && format == "human";
  auto reporter = format == "ktap" ? make_ktap_reporter(std::cout) : make_human_reporter(std::cout, tty, vm.count("verbose"));
  RunInfo info{probe_kernel().release, profile, sel.size() * repeat};
  reporter->begin(info);
  Totals totals;
  std::map<std::string, std::pair<unsigned, unsigned>> rates;  // name -> (passed, runs)
  size_t index = 0;
  auto t0 = std::chrono::steady_clock::now();
  run_suite(
      sel, so,
      [&](const ScenarioResult& r) {
        totals.add(r.verdict);
        auto& rate = rates[r.display_name()];
        rate.second++;
        if (r.verdict == Verdict::Pass || r.verdict == Verdict::Skip) rate.first++;
        reporter->result(index++, r);
      },
      [&](size_t done, const std::string& running) { reporter->progress(done, running); });
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<std::string> notes;
  if (repeat > 1) {
    size_t perfect = 0;
    for (const auto& [name, pr] : rates) {
      if (pr.first == pr.second) ++perfect;
      else notes.push_back(fmt::format("pass rate {}/{}  {}", pr.first, pr.second, name));
    }
    notes.push_back(fmt::format("{} of {} scenarios passed {}/{} times", perfect, rates.size(), repeat, repeat));
  }
  reporter->end(totals, secs, notes);
  if (totals.fail || totals.error) return kExitFail;
  if (totals.skip == totals.all()) return kExitSkip;
  return kExitPass;
}

}  // namespace ringside::cli
