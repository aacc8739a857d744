// ringside run: the scripted suite (or given scenarios) on the running kernel.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/options.hpp"
#include "engine/probe.hpp"
#include "mutate/mutants.hpp"
#include "program/uring_ids.hpp"
#include "report/progress_line.hpp"
#include "report/report.hpp"
#include "runner/baseline.hpp"
#include "runner/kernel_log.hpp"
#include "runner/known.hpp"
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

namespace {

bool read_file(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  text = ss.str();
  return true;
}

// A report written to a file beside the one on stdout (--output FORMAT=FILE).
struct FileOutput {
  std::string format, path;
  std::unique_ptr<std::ofstream> stream;
};

}  // namespace

int cmd_run(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> paths, filters, outputs;
  StrictnessOptions strictness;
  std::string format = "human", record_baseline, baseline_file, report_name = "ringside";
  unsigned repeat = 1, jobs = std::max(1u, std::thread::hardware_concurrency()), stress = 0;
  int64_t timeout_ms = 30000, step_timeout_ms = 5000;
  std::string mutant, via, known_file;
  opts.add_options()
      ("filter,f", po::value(&filters)->composing(), "run scenarios whose name or tag matches (glob or substring)")
      ("repeat", po::value(&repeat)->default_value(repeat), "run the selection N times and report pass rates")
      ("format", po::value(&format)->default_value(format), ("output on stdout: " + report_format_names()).c_str())
      ("output,o", po::value(&outputs)->composing(), ("also write FORMAT=FILE (" + report_format_names() + "); may repeat").c_str())
      ("report-name", po::value(&report_name)->default_value(report_name), "JUnit: name of the run, prefix of suites and classes")
      ("record-baseline", po::value(&record_baseline), "save what was observed per scenario to FILE (JSON)")
      ("baseline", po::value(&baseline_file), "report behaviour that changed since the baseline FILE")
      ("fail-on-baseline-change", "exit with status 3 when behaviour changed since --baseline (and nothing failed)")
      ("no-kernel-log", "do not fail scenarios for a WARNING/BUG/Oops in the kernel log (/dev/kmsg)")
      ("jobs,j", po::value(&jobs)->default_value(jobs), "scenarios run in parallel (each in its own process)")
      ("stress", po::value(&stress), "N parallel workers while N busy processes load the CPUs (false-alarm hunting)")
      ("timeout", po::value(&timeout_ms)->default_value(timeout_ms), "deadline of one scenario, ms (a hang is a FAIL)")
      ("step-timeout", po::value(&step_timeout_ms)->default_value(step_timeout_ms), "deadline of one blocking step, ms")
      ("via", po::value(&via), "readiness paths for scenarios that list them, comma-separated: epoll-lt, epoll-et, uring-poll (default: every path a scenario lists)")
      ("no-isolate", "run scenarios in this process (no crash or hang protection)")
      ("mutant", po::value(&mutant), "inject a fault between kernel and oracle (see 'ringside selftest --list')")
      ("known-deviations", po::value(&known_file), "FILE of known kernel deviations (format of ci/known-kernel-deviations; default: the list built in), or 'none': such failures count as failures")
      ("verbose,v", "print every step's trace")
      ("path", po::value(&paths)->composing(), "scenario files or directories (default: the embedded suite)");
  strictness.add_to(opts);
  po::positional_options_description pos;
  pos.add("path", -1);
  po::variables_map vm;
  if (auto rc = parse("run", "[PATH...] [options]", args, opts, &pos, vm)) return *rc;
  auto misuse = [&](const std::string& what) {
    std::cerr << "ringside run: " << what << "\nTry 'ringside run --help'.\n";
    return kExitUsage;
  };
  Profile profile_id;
  std::vector<std::pair<TolId, bool>> overrides;
  if (std::string e = strictness.resolve(profile_id, overrides); !e.empty()) return misuse(e);
  const std::string& profile = strictness.profile;
  if (!is_report_format(format)) return misuse("--format must be " + report_format_names());
  std::vector<FileOutput> files;
  for (const auto& o : outputs) {
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq + 1 == o.size()) return misuse("--output takes FORMAT=FILE, e.g. junit=report.xml");
    FileOutput f{o.substr(0, eq), o.substr(eq + 1), nullptr};
    if (!is_report_format(f.format)) return misuse("--output: unknown format '" + f.format + "'");
    files.push_back(std::move(f));
  }
  if (vm.count("fail-on-baseline-change") && baseline_file.empty()) return misuse("--fail-on-baseline-change needs --baseline FILE");
  std::optional<Baseline> before;
  if (!baseline_file.empty()) {
    std::string text;
    if (!read_file(baseline_file, text)) return misuse("--baseline: cannot read " + baseline_file);
    try {
      before = Baseline::from_json_text(text);
    } catch (const std::exception& e) {
      return misuse("--baseline " + baseline_file + ": " + e.what());
    }
  }
  if (repeat < 1 || repeat > 100000) return misuse("--repeat must be between 1 and 100000");
  if (jobs < 1 || jobs > 256) return misuse("--jobs must be between 1 and 256");
  if (stress > 256) return misuse("--stress must be at most 256");
  if (timeout_ms < 100 || step_timeout_ms < 10) return misuse("timeouts are too small");

  const Mutant* injected = nullptr;
  if (!mutant.empty() && !(injected = mutant_by_id(mutant))) return misuse("unknown mutant '" + mutant + "'");
  std::vector<std::string> via_paths;
  for (size_t at = 0; at < via.size();) {
    size_t comma = via.find(',', at);
    std::string v = via.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (!uring::known_via(v)) return misuse("--via: unknown path '" + v + "' (epoll-lt, epoll-et or uring-poll)");
    via_paths.push_back(v);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }

  std::vector<LoadedScenario> sel;
  if (!load_selection(paths, filters, sel)) return kExitUsage;
  if (sel.empty()) return misuse("no scenario matches");

  SuiteOptions so;
  so.run.mutant = injected;
  so.run.profile = profile_id;
  so.run.tolerate = overrides;
  so.run.scenario_deadline = std::chrono::milliseconds(timeout_ms);
  so.run.step_deadline = std::chrono::milliseconds(step_timeout_ms);
  so.run.isolate = !vm.count("no-isolate");
  so.jobs = stress ? stress : jobs;
  so.repeat = repeat;
  so.via = via_paths;
  CpuLoad load(stress);

  std::vector<std::string> notes;
  std::unique_ptr<KernelLog> kernel_log;
  if (!vm.count("no-kernel-log")) {
    kernel_log = std::make_unique<KernelLog>();
    if (kernel_log->ok()) so.kernel_log = kernel_log.get();
    else notes.push_back("kernel log not checked for WARNING/BUG/Oops: " + kernel_log->reason());
  }
  const KernelProbe& probe = probe_kernel();
  KnownDeviations known;
  try {
    if (known_file.empty()) {
      known = KnownDeviations::embedded();
    } else if (known_file != "none") {
      std::string text;
      if (!read_file(known_file, text)) return misuse("--known-deviations: cannot read " + known_file);
      known = KnownDeviations::parse(text, known_file);
    }
  } catch (const std::exception& e) {
    return misuse(std::string("--known-deviations: ") + e.what());
  }
  known.set_running_kernel(probe.release);
  if (!probe.uring) notes.push_back("io_uring is unavailable here (" + probe.uring_reason + "): its scenarios SKIP");
  for (const auto& u : probe.unknown) notes.push_back("probe: " + u.feature + " unknown: " + u.reason);

  // Long runs (--repeat, --stress) show one progress line on a terminal's stderr; the
  // human report's own progress on stdout then stays off, not to draw two.
  ProgressLine line("run", STDERR_FILENO, isatty(STDERR_FILENO) && (repeat > 1 || stress > 0));
  const bool line_shares_stdout = line.enabled() && isatty(STDOUT_FILENO);
  bool tty = isatty(STDOUT_FILENO) && format == "human" && !line.enabled();
  std::vector<std::unique_ptr<Reporter>> reporters;
  reporters.push_back(make_reporter(format, std::cout, tty, vm.count("verbose")));
  for (auto& f : files) {
    f.stream = std::make_unique<std::ofstream>(f.path, std::ios::binary | std::ios::trunc);
    if (!*f.stream) {
      std::cerr << "ringside run: --output: cannot write " << f.path << "\n";
      return kExitUsage;
    }
    reporters.push_back(make_reporter(f.format, *f.stream, false, vm.count("verbose")));
  }
  auto reporter = make_tee_reporter(std::move(reporters));
  RunInfo info{probe.release, profile, count_runs(sel, so), repeat, report_name, {}, {}};
  for (const auto& sc : sel) {
    info.scripts[sc.program.name] = sc.source.text;
    info.sources[sc.program.name] = sc.source.path;
  }
  Baseline now;
  now.kernel = probe.release;
  now.profile = profile;
  reporter->begin(info);
  Totals totals;
  std::map<std::string, std::pair<unsigned, unsigned>> rates;  // name -> (passed, runs)
  size_t index = 0;
  auto t0 = std::chrono::steady_clock::now();
  line.start(info.total);
  run_suite(
      sel, so,
      [&](ScenarioResult r) {
        if (r.verdict == Verdict::Fail && !injected) r.known = known.reason(r.display_name(), r.rule_id);
        totals.add(r);
        auto& rate = rates[r.display_name()];
        rate.second++;
        if (r.verdict == Verdict::Pass || r.verdict == Verdict::Skip) rate.first++;
        now.add(r, info.scripts[r.name]);
        if (line_shares_stdout) line.clear();
        reporter->result(index++, r);
        line.update(index, totals.fail + totals.error, r.display_name());
      },
      [&](size_t done, const std::string& running) {
        reporter->progress(done, running);
        line.update(done, totals.fail + totals.error, running);
      });
  line.clear();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (repeat > 1) {
    size_t perfect = 0;
    for (const auto& [name, pr] : rates) {
      if (pr.first == pr.second) ++perfect;
      else notes.push_back(fmt::format("pass rate {}/{}  {}", pr.first, pr.second, name));
    }
    notes.push_back(fmt::format("{} of {} scenarios passed {}/{} times", perfect, rates.size(), repeat, repeat));
  }
  bool changed = false;
  if (before) {
    BaselineComparison c = compare_baselines(*before, now);
    c.file = baseline_file;
    changed = !c.changes.empty();
    reporter->baseline(c, vm.count("fail-on-baseline-change") != 0);
  }
  if (!record_baseline.empty()) {
    std::ofstream out(record_baseline, std::ios::binary | std::ios::trunc);
    out << now.to_json_text();
    if (out.flush()) {
      notes.push_back("baseline recorded in " + record_baseline);
    } else {
      notes.push_back("ERROR: could not write the baseline " + record_baseline);
      ++totals.error;
    }
  }
  reporter->end(totals, secs, notes);
  for (auto& f : files)
    if (!f.stream->flush()) std::cerr << "ringside run: --output: error writing " << f.path << "\n";
  if (totals.fail || totals.error) return kExitFail;
  if (changed && vm.count("fail-on-baseline-change")) return kExitBaselineChanged;
  if (totals.skip == totals.all()) return kExitSkip;
  return kExitPass;
}

}  // namespace ringside::cli
