// libFuzzer harness: bytes -> Program (decode is total) -> engine -> oracle, on the
// running kernel. On a violation it prints the rule and the program as a readable
// scenario, then aborts so that libFuzzer keeps the input as a crash file (replay it
// with `ringside replay FILE`, shrink it with `ringside shrink FILE`).
//
// Behaviour feedback: this kernel has no KCOV, so libFuzzer sees only user-space
// coverage and plateaus. Every executed step's behaviour signature (operation, result
// class, masks, the model's state) bumps one of libFuzzer's extra counters, so a new
// kernel behaviour counts as progress. RINGSIDE_FEEDBACK=0 turns that off (to measure
// what it brings). At exit the harness prints how many distinct behaviours it saw, and
// with RINGSIDE_BEHAVIOURS=FILE adds them to FILE (8 bytes each, locked while it is
// rewritten), so that the workers of -fork/-jobs add up.
//
// RINGSIDE_PROFILE=P and RINGSIDE_TOLERATE=ID,... set the oracle's strictness as
// --profile and --tolerate do. A failure that is a known kernel deviation (only
// kernel-bug tolerances admit it) is said once per rule and is not a crash.
//
// One engine (temp dir, watchdog, helper thread) serves every input; each program's
// fds are closed at its end, so nothing accumulates over millions of inputs.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/probe.hpp"
#include "fuzzing/codec.hpp"
#include "fuzzing/executor.hpp"
#include "fuzzing/findings.hpp"
#include "fuzzing/program_file.hpp"
#include "program/script.hpp"
#include "mutate/mutants.hpp"

using namespace ringside;

namespace {

constexpr size_t kCounters = 1 << 16;

struct Harness {
  Executor ex;
  FuzzLimits limits;
  bool feedback = true;
  std::unordered_set<uint64_t> seen;
  std::set<std::string> known_rules;  // known kernel deviations said so far
  unsigned long long execs = 0;
  explicit Harness(const ExecOptions& o) : ex(o) {}
};

Harness* harness = nullptr;

// Adds this process's behaviours to the union kept in RINGSIDE_BEHAVIOURS; returns its size.
size_t merge_behaviours(const char* path) {
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || flock(fd, LOCK_EX) != 0) {
    if (fd >= 0) close(fd);
    return 0;
  }
  std::unordered_set<uint64_t> all = harness->seen;
  uint64_t v;
  while (read(fd, &v, sizeof v) == static_cast<ssize_t>(sizeof v)) all.insert(v);
  std::vector<uint64_t> out(all.begin(), all.end());
  const size_t bytes = out.size() * sizeof(uint64_t);
  if (pwrite(fd, out.data(), bytes, 0) != static_cast<ssize_t>(bytes)) out.clear();
  close(fd);  // the lock goes with it
  return out.size();
}

void report() {
  if (!harness) return;
  std::fprintf(stderr, "ringside: %zu distinct behaviours in %llu executions (behaviour feedback %s)\n",
               harness->seen.size(), harness->execs, harness->feedback ? "on" : "off");
  if (const char* path = std::getenv("RINGSIDE_BEHAVIOURS"))
    std::fprintf(stderr, "ringside: %zu distinct behaviours in %s\n", merge_behaviours(path), path);
}

// The engine's private temp dir goes with it: at exit, and before an abort.
void end_harness() {
  delete harness;
  harness = nullptr;
}

void report_and_end() {
  report();
  end_harness();
}

}  // namespace

extern "C" {
// libFuzzer reads these as extra coverage (zeroed before each input).
__attribute__((section("__libfuzzer_extra_counters"))) uint8_t ringside_behaviour_counters[kCounters];

int LLVMFuzzerInitialize(int*, char***) {
  ExecOptions eo;
  // Test only: RINGSIDE_MUTANT=<id> distorts observations (see `ringside selftest --list`).
  if (const char* m = std::getenv("RINGSIDE_MUTANT")) {
    eo.mutant = mutant_by_id(m);
    if (!eo.mutant) {
      std::fprintf(stderr, "RINGSIDE_MUTANT: unknown mutant '%s'\n", m);
      std::exit(2);
    }
  }
  // The oracle's strictness, as `ringside fuzz --profile P --tolerate ID,...`.
  if (const char* pr = std::getenv("RINGSIDE_PROFILE")) {
    auto profile = profile_by_name(pr);
    if (!profile) {
      std::fprintf(stderr, "RINGSIDE_PROFILE: must be strict, contract or linux, not '%s'\n", pr);
      std::exit(2);
    }
    eo.profile = *profile;
  }
  if (const char* ids = std::getenv("RINGSIDE_TOLERATE")) {
    std::stringstream list(ids);
    for (std::string id; std::getline(list, id, ',');) {
      const Tolerance* t = tolerance_by_id(id);
      if (!t) {
        std::fprintf(stderr, "RINGSIDE_TOLERATE: unknown tolerance '%s' (see 'ringside rules')\n", id.c_str());
        std::exit(2);
      }
      eo.tolerate.push_back({t->tol, true});
    }
  }
  harness = new Harness(eo);  // lives until exit (report_and_end) or a violation
  if (const KernelProbe& k = probe_kernel(); !k.uring) {
    // Containers' default seccomp profiles refuse io_uring: say so once, decode programs
    // without rings or wrappers, and fuzz the epoll part.
    harness->limits.uring = false;
    std::fprintf(stderr, "ringside: io_uring is not available (%s): fuzzing the epoll part only\n",
                 k.uring_reason.c_str());
  }
  const char* fb = std::getenv("RINGSIDE_FEEDBACK");
  harness->feedback = !(fb && std::strcmp(fb, "0") == 0);
  std::atexit(report_and_end);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Program p = decode_program(std::span(data, size), harness->limits);
  const ScenarioResult& r = harness->ex.run(p);
  ++harness->execs;
  for (uint64_t sig : harness->ex.signatures()) {
    harness->seen.insert(sig);
    if (harness->feedback) {
      uint8_t& c = ringside_behaviour_counters[sig % kCounters];
      if (c < 255) ++c;
    }
  }
  // A known kernel deviation (only kernel-bug tolerances would admit it) is not a crash:
  // said once per rule, and fuzzing goes on (RINGSIDE_TOLERATE=ID admits it instead).
  if (r.verdict == Verdict::Fail && !harness->ex.options().mutant && !known_kernel_bug(r).empty()) {
    if (harness->known_rules.insert(r.rule_id).second)
      std::fprintf(stderr, "ringside: known kernel deviation, not a crash: %s: %s\n", r.rule_id.c_str(),
                   known_kernel_bug(r).c_str());
    return 0;
  }
  if (r.verdict == Verdict::Fail) {
    std::fprintf(stderr, "\n==== ringside: rule=%s\n%s\nthe program as a scenario:\n%s\n", r.rule_id.c_str(),
                 failure_report(r).c_str(), print_script(p).c_str());
    report();  // abort() skips atexit
    end_harness();
    std::abort();
  }
  return 0;
}
}
