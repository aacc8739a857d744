// ringside run: the scripted suite (or given scenarios) on the running kernel.
#include <unistd.h>

#include <fmt/format.h>

#include <map>
#include <thread>

#include "cli/options.hpp"
#include "engine/probe.hpp"
#include "program/uring_ids.hpp"
#include "report/report.hpp"
#include "runner/suite_run.hpp"

namespace ringside::cli {

bool load_selection(const std::vector<std::string>& paths, const std::vector<std::string>& filters,
                    std::vector<LoadedScenario>& out);

int cmd_run(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> paths, filters;
  std::string profile = "linux", format = "human", via;
  unsigned repeat = 1, jobs = std::max(1u, std::thread::hardware_concurrency());
  int64_t timeout_ms = 30000, step_timeout_ms = 5000;
  opts.add_options()
      ("filter,f", po::value(&filters)->composing(), "run scenarios whose name or tag matches (glob or substring)")
      ("profile", po::value(&profile)->default_value(profile), "oracle profile: linux (de-facto Linux) or contract (documented only)")
      ("repeat", po::value(&repeat)->default_value(repeat), "run the selection N times and report pass rates")
      ("format", po::value(&format)->default_value(format), "output: human or ktap")
      ("jobs,j", po::value(&jobs)->default_value(jobs), "scenarios run in parallel (each in its own process)")
      ("timeout", po::value(&timeout_ms)->default_value(timeout_ms), "deadline of one scenario, ms (a hang is a FAIL)")
      ("step-timeout", po::value(&step_timeout_ms)->default_value(step_timeout_ms), "deadline of one blocking step, ms")
      ("via", po::value(&via), "readiness paths for scenarios that list them, comma-separated: epoll-lt, epoll-et, uring-poll (default: every path a scenario lists)")
      ("no-isolate", "run scenarios in this process (no crash or hang protection)")
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
  if (timeout_ms < 100 || step_timeout_ms < 10) return misuse("timeouts are too small");

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
  so.run.profile = profile == "linux" ? Profile::Linux : Profile::Contract;
  so.run.scenario_deadline = std::chrono::milliseconds(timeout_ms);
  so.run.step_deadline = std::chrono::milliseconds(step_timeout_ms);
  so.run.isolate = !vm.count("no-isolate");
  so.jobs = jobs;
  so.repeat = repeat;
  so.via = via_paths;

  bool tty = isatty(STDOUT_FILENO) && format == "human";
  auto reporter = format == "ktap" ? make_ktap_reporter(std::cout) : make_human_reporter(std::cout, tty, vm.count("verbose"));
  RunInfo info{probe_kernel().release, profile, count_runs(sel, so)};
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
