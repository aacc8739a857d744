// ringside fuzz: the built-in campaign. Programs built on real resources while they run,
// steered by a corpus of those that reached new behaviours, every observation checked by
// the oracle; progress lines; on the first failure the program is written, shrunk, and
// printed as a minimal scenario. With --keep-going, failures are shrunk and filed under
// a title, and the campaign goes on.
#include <fmt/format.h>

#include <algorithm>
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

// How strictly the programs were judged: the share of steps judged, and the most used
// tolerances (all of them with `all`).
std::string strictness_summary(const CampaignStats& s, bool all) {
  double judged = s.steps_run ? 100.0 * static_cast<double>(s.steps_judged) / static_cast<double>(s.steps_run) : 100;
  std::string out = fmt::format("judged {:.2f}% of {} steps", judged, s.steps_run);
  if (s.tolerances.empty()) return out + ", no tolerance used";
  out += ", tolerances used:";
  const size_t shown = all ? s.tolerances.size() : std::min<size_t>(3, s.tolerances.size());
  for (size_t k = 0; k < shown; ++k) out += fmt::format(" {} x{}", s.tolerances[k].first, s.tolerances[k].second);
  if (shown < s.tolerances.size()) out += fmt::format(" (+{} more)", s.tolerances.size() - shown);
  return out;
}

void progress_line(const CampaignStats& s, bool keep_going) {
  double rate = s.seconds > 0 ? static_cast<double>(s.execs) / s.seconds : 0;
  double stop = s.execs ? 100.0 * static_cast<double>(s.stopped) / static_cast<double>(s.execs) : 0;
  std::cout << fmt::format("fuzz: {:6.0f}s  execs {:>9}  exec/s {:>6.0f}  behaviours {:>6}  corpus {:>5}  ", s.seconds,
                           s.execs, rate, s.behaviours, s.corpus)
            << (keep_going ? fmt::format("findings {} ({} failures)", s.findings, s.failures)
                           : fmt::format("failures {}", s.failures))
            << (s.known ? fmt::format("  known {}", s.known) : "")
            << fmt::format("  ended early {:.1f}%  errors {}  skips {}\n", stop, s.errors, s.skips)
            << "      " << strictness_summary(s, false) << "\n";
  std::cout.flush();
}

// Distinct behaviours over time, at 1, 2, 5, 10, 20, 30 s, 1, 2, 5, 10, 20, 30 min, 1 h...
void print_timeline(const std::vector<std::pair<double, uint64_t>>& t) {
  if (t.empty()) return;
  static constexpr double kMarks[] = {1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400};
  std::string line;
  size_t k = 0;
  for (double mark : kMarks) {
    if (mark > t.back().first) break;
    while (k + 1 < t.size() && t[k + 1].first <= mark) ++k;
    if (t[k].first <= mark) line += fmt::format("  {:g}s {}", mark, t[k].second);
  }
  std::cout << "behaviours over time:" << line << fmt::format("  {:.0f}s (end) {}\n", t.back().first, t.back().second);
}

// The collection of a --keep-going campaign: printed, and written to OUT/findings/.
void write_findings(const std::vector<Finding>& findings, const std::string& out_dir) {
  std::string dir = (std::filesystem::path(out_dir) / "findings").string();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string table, err;
  for (size_t k = 0; k < findings.size(); ++k) {
    const Finding& f = findings[k];
    std::string base = fmt::format("{}/{:02}-{}", dir, k + 1, f.rule.empty() ? "unknown" : f.rule);
    write_file(base + ".scn", as_scenario(f.shrunk, "finding: " + f.title), err);
    write_file(base + ".first.scn", as_scenario(f.program, "as first found: " + f.title), err);
    table += fmt::format("{:>3} {:>6} {:>7.1f}s  {}{}{}\n      {}.scn\n", k + 1, f.count, f.first_seconds,
                         f.known.empty() ? "" : "KNOWN ", f.title, f.crashed ? " (crashed or hung its worker)" : "", base);
    if (!f.known.empty()) table += "      " + f.known + "\n";
  }
  const auto known = std::count_if(findings.begin(), findings.end(), [](const Finding& f) { return !f.known.empty(); });
  std::string header = fmt::format("{} distinct finding(s), {} of them known kernel deviations\n  # count   first  title\n",
                                   findings.size(), known);
  write_file(dir + "/findings.txt", header + table, err);
  std::cout << "\n" << header << table;
}

// The first failure of a campaign: written, shrunk (unless repeats is 0), printed.
int report_failure(const CampaignFailure& f, const CampaignOptions& co, const ExecOptions& eo,
                   const std::string& out_dir, unsigned repeats) {
  const std::string& rule_id = f.result.rule_id;
  std::cout << "\n" << failure_report(f.result) << "  program seed " << f.program_seed << "\n";
  std::string base = (std::filesystem::path(out_dir) / fmt::format("fuzz-{}-{}", rule_id, f.program_seed)).string();
  std::string err;
  std::string text = as_scenario(f.program, "fuzzer failure of " + rule_id + " (seed " + std::to_string(f.program_seed) + ")");
  if (!write_file(base + ".scn", text, err)) std::cerr << "ringside fuzz: " << err << "\n";
  else std::cout << "written: " << base << ".scn\n";
  if (!repeats) return kExitFail;

  std::cout << "\nshrinking (each candidate up to " << repeats << " runs)...\n";
  std::cout.flush();
  ShrinkOptions so;
  so.repeats = repeats;
  // A program that killed or hung its worker runs each candidate in a process of its own.
  ProgramRunner run = f.crashed ? isolated_runner(eo)
                                : executor_runner(std::make_shared<Executor>(eo));
  ShrinkResult sr = shrink_program(f.program, rule_id, run, so);
  if (!sr.reproduced) {
    std::cout << "the failure did not reproduce in " << repeats << " runs: kept the program as it ran\n";
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

}  // namespace

int cmd_fuzz(const Args& args) {
  po::options_description opts("options");
  FuzzCommonOptions common;
  uint64_t seed = 1, max_execs = 0;
  std::string time = "60s", out_dir = ".", corpus;
  unsigned jobs = 1, repeats = 5;
  size_t keep_going = 0;
  double every = 5, sync = 10;
  opts.add_options()
      ("seed", po::value(&seed)->default_value(seed), "campaign seed (with the worker number, names every program)")
      ("time,t", po::value(&time)->default_value(time), "how long to fuzz: 90, 90s, 10m, 2h")
      ("jobs,j", po::value(&jobs)->default_value(jobs), "worker processes")
      ("max-execs", po::value(&max_execs)->default_value(max_execs), "stop after this many programs (0: no limit)")
      ("corpus", po::value(&corpus), "corpus directory in libFuzzer's format (one file of fuzzer bytes per input, "
                                     "named by its SHA-1): read at the start, new inputs written as they are found; "
                                     "share it with libFuzzer or with campaigns on other hosts")
      ("corpus-sync", po::value(&sync)->default_value(sync), "seconds between reads of --corpus for inputs others wrote")
      ("keep-going", po::value(&keep_going)->default_value(keep_going),
       "go on past failures until this many distinct findings (or --time): each failure is shrunk and filed under "
       "its rule and the shrunk program's shape; the collection goes to OUT/findings/ (0: stop at the first failure)")
      ("progress", po::value(&every)->default_value(every), "seconds between progress lines (0: none)")
      ("out,o", po::value(&out_dir)->default_value(out_dir), "directory for the failing program and its shrunk form")
      ("repeats", po::value(&repeats)->default_value(repeats), "shrinking: runs of each candidate")
      ("no-shrink", "write the failing program without shrinking it");
  common.add(opts);
  po::variables_map vm;
  if (auto rc = parse("fuzz", "[--seed S] [--time T] [--jobs N] [--corpus DIR] [--keep-going N] [options]", args, opts,
                      nullptr, vm))
    return *rc;
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
  if (!(sync > 0)) return misuse("--corpus-sync must be a positive number of seconds");
  if (keep_going > 100000) return misuse("--keep-going must be at most 100000");
  std::error_code ec;
  if (!std::filesystem::is_directory(out_dir, ec)) return misuse("--out: no directory " + out_dir);

  CampaignOptions co;
  co.seed = seed;
  co.seconds = *seconds;
  co.max_execs = max_execs;
  co.jobs = jobs;
  ExecOptions eo = common.exec();
  co.profile = eo.profile;
  co.tolerate = eo.tolerate;
  co.mutant = eo.mutant;
  co.progress_every = every;
  co.corpus_dir = corpus;
  co.corpus_sync_every = sync;
  co.keep_going = keep_going;
  co.shrink_repeats = repeats;
  std::cout << fmt::format("fuzz: seed {}, {} job(s), {:.0f}s, profile {}{}{}{}{}\n", seed, jobs, *seconds,
                           common.strictness.profile, tolerance_overrides(co.tolerate),
                           corpus.empty() ? "" : ", corpus " + corpus,
                           keep_going ? fmt::format(", keep going to {} findings", keep_going) : "",
                           co.mutant ? ", MUTANT " + std::string(co.mutant->id) : "");
  std::cout.flush();
  co.gen = fuzz_gen_options();
  if (const KernelProbe& k = probe_kernel(); !k.uring) {
    // Containers' default seccomp profiles refuse io_uring: fuzz what is left.
    co.gen.limits->uring = false;
    std::cout << "fuzz: io_uring is not available (" << k.uring_reason << "): fuzzing the epoll part only\n";
  }
  CampaignEvents events;
  events.progress = [&](const CampaignStats& s) { progress_line(s, keep_going > 0); };
  events.finding = [](const Finding& f) {
    std::cout << fmt::format("fuzz: {:6.0f}s  {}: {}\n", f.first_seconds,
                             f.known.empty() ? "NEW finding" : "KNOWN kernel deviation (not a new finding)", f.title);
    std::cout.flush();
  };
  CampaignResult res;
  try {
    res = run_campaign(co, events);
  } catch (const std::exception& e) {
    std::cerr << "ringside fuzz: " << e.what() << "\n";
    return kExitFail;
  }
  progress_line(res.stats, keep_going > 0);
  if (res.corpus_loaded) std::cout << "corpus: " << res.corpus_loaded << " inputs read from " << corpus << "\n";
  print_timeline(res.timeline);
  std::cout << "strictness: " << strictness_summary(res.stats, true) << "\n";
  if (!res.first_error.empty()) {
    std::cout << "first ERROR (not a kernel failure): " << res.first_error << "\n";
    std::string err;
    std::string path = (std::filesystem::path(out_dir) / "fuzz-error.scn").string();
    if (write_file(path, as_scenario(res.first_error_program, "fuzzer ERROR: " + res.first_error), err))
      std::cout << "  its program: " << path << "\n";
  }
  // Known kernel deviations are kept (OUT/findings/) but fail nothing.
  if (keep_going || !res.findings.empty()) write_findings(res.findings, out_dir);
  if (keep_going) return res.stats.findings ? kExitFail : kExitPass;
  if (!res.failure) {
    std::cout << "fuzz: no failure in " << res.stats.execs << " programs\n";
    if (res.stats.errors * 2 > res.stats.execs) {
      std::cout << "fuzz: but most programs ended in ERROR: the environment is not usable\n";
      return kExitFail;
    }
    return kExitPass;
  }
  return report_failure(*res.failure, co, eo, out_dir, vm.count("no-shrink") ? 0 : repeats);
}

}  // namespace ringside::cli
