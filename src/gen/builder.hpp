// Building a Program one step at a time, keeping it valid: the shared core of the random
// generator and of the fuzzer-bytes decoder (and its inverse, the encoder). It offers the
// live resources each operand slot accepts and refuses steps that break the static rules
// (ProgramChecker) or, when fuzz limits are given, the fuzzing policy below. Driven by the
// op tables only, so operations added later flow through unchanged.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "program/program.hpp"

namespace ringside {

// What programs a fuzzer runs: small and quick, waits bounded, and `later` steps only
// where their effect is certain. Programs outside these limits are still valid (the
// scripted suite has some); the fuzzer just does not make them.
struct FuzzLimits {
  size_t max_steps = 48;
  size_t max_resources = 24;
  int64_t max_size = 1 << 20;     // size parameters (read/write n, file size, chunks)
  int64_t min_chunk = 1024;       // chunk parameters (fill/drain: a chunk of 1 on TCP is
                                  // millions of system calls)
  int64_t max_wait_ms = 2000;     // timeouts (-1, infinite, is allowed: the runner guards it)
  int64_t max_delay_us = 5000;    // `later` delays and duration parameters
  int64_t max_int = 1024;         // plain integers (backlog, maxevents, eventfd init, depth)
  int64_t max_waits = 10000;      // event_loop waits (it also ends when the wrapper is done)
  int64_t max_trials = 16;        // trials of one race step (the fuzzer repeats programs
                                  // instead; the suite runs 200)
  bool uring = true;              // io_uring is usable here (false: no rings, no wrappers;
                                  // a seccomp policy or sysctl refuses it)
};

class ProgramBuilder {
 public:
  // What the program did so far may rule a statically valid step out (the fuzzer asks its
  // model whether the step could only wait): called with the step appended as step i,
  // it returns "" to take it, else why not.
  using Veto = std::function<std::string(const Program& p, size_t i)>;

  explicit ProgramBuilder(std::optional<FuzzLimits> limits = std::nullopt) : limits_(limits) {}

  // The program so far. After reserve(), its resource table also holds the unused room.
  const Program& program() const { return prog_; }
  // The program as built (without unused room).
  Program take();
  const std::optional<FuzzLimits>& limits() const { return limits_; }
  bool full() const { return limits_ && prog_.steps.size() >= limits_->max_steps; }
  size_t resource_count() const { return nres_; }

  void set_veto(Veto v) { veto_ = std::move(v); }
  // Room made in advance for `resources` resources and `steps` steps, so that the
  // program can grow while an engine runs it: the resource table keeps its size and the
  // steps their addresses. Steps that would create more resources are refused.
  void reserve(size_t resources, size_t steps);

  // Live resources usable as input `slot` of `s` (whose earlier inputs are set), in
  // resource order.
  void candidates(const Step& s, size_t slot, std::vector<ResId>& out) const;
  // Can a step of `op` be added at all (inputs available, resource budget)?
  bool applicable(Op op) const;
  // Appends `s` (inputs and parameters set; outputs are created and named r<N>).
  // Returns "" on success, else why not, leaving the program unchanged.
  std::string add(Step s);

  // A `later` step is pending (no join since it was added).
  bool later_pending() const { return !busy_.empty(); }

 private:
  std::string policy(const Step& s) const;
  ResId root(ResId r) const { return roots_[r]; }
  void drop_outputs(size_t base);

  std::optional<FuzzLimits> limits_;
  Program prog_;
  size_t nres_ = 0;           // resources created (the rest of prog_.resources is room)
  bool reserved_ = false;
  Veto veto_;
  ProgramChecker checker_;
  std::vector<ResId> roots_;  // open file description of each resource (dup shares it)
  std::vector<ResId> busy_;   // descriptions a pending `later` step acts on
  std::vector<ResId> async_read_;  // files a readiness wrapper reads (no `later` step on them)
  std::vector<ResId> uring_written_;  // descriptions io_uring writes to (no wrapper on them)
};

// Operations the fuzzers use: all of the tables except test-only steps (test_hang,
// test_crash exist to test the runner, not the kernel).
bool fuzzable(const OpSpec& spec);
std::span<const OpSpec* const> fuzzable_ops();

// Why a whole program breaks the fuzz limits, or "" (for corpus seeding).
std::string check_fuzz_limits(const Program& p, const FuzzLimits& limits);
// p with the limits' bounds applied where that keeps what each step does: a race step
// runs at most max_trials of its trials. Other limits are not touched.
Program fit_fuzz_limits(Program p, const FuzzLimits& limits);

}  // namespace ringside
