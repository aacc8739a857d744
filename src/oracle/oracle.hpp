// The reference oracle: feed it a Program and, step by step, what the kernel did; it
// answers "allowed" or names the rule that was broken. Pure C++: no syscalls, so it is
// unit-tested without a kernel, and the fuzzer can run it millions of times.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oracle/ledger.hpp"
#include "oracle/rules.hpp"
#include "oracle/verdict.hpp"
#include "program/observation.hpp"
#include "program/program.hpp"

namespace ringside {

class Oracle {
 public:
  // The policy says which tolerances admit what the rules do not predict (a Profile is
  // its default policy).
  Oracle(const Program& program, TolerancePolicy policy = Profile::Linux, KernelFacts facts = {});
  ~Oracle();
  Oracle(const Oracle&) = delete;
  Oracle& operator=(const Oracle&) = delete;

  // Check the observation of step `i` (steps must be fed in order). After a violation
  // the oracle's state is unspecified: stop feeding it.
  Check observe(size_t i, const Observation& obs);
  // End of program: the implicit join of `later` steps still running. Under `strict`,
  // also the first observation that only a tolerance admitted (Violation::needs names
  // every tolerance the run needed).
  Check finish(const Observation& final_join);

  // Can step i (not yet run) block forever given what the model knows now: nothing
  // already sent, in flight, or promised by a helper thread or a timer can end it?
  bool may_block_forever(size_t i) const;
  // Do all inputs of step i exist in the model (their creating steps succeeded)? A
  // program whose accept failed cannot go on using the accepted socket.
  bool inputs_exist(size_t i) const;
  // Could step i keep the program waiting: a blocking call that nothing certainly on its
  // way will complete, or a wait longer than `quick_ms` that nothing ready or on its way
  // ends early? Conservative (unknown states say yes). The fuzzer ends a program before
  // such a step: it would only sit on a deadline or a timeout.
  bool may_stall(size_t i, int64_t quick_ms) const;
  // A small summary of what the model knows about resource r (kind, connection state,
  // which poll bits are certain or possible, queued data, end of stream, errors), for
  // behaviour signatures: equal summaries are alike states.
  uint64_t state_summary(ResId r) const;
  // If step i would block forever, the wait-for cycle spelled out (the blocked thread,
  // what it waits for, the later step of the same thread that would produce it).
  std::optional<std::string> deadlock(size_t i) const;
  // Rules whose checks ran so far (passed or not).
  std::vector<RuleId> rules_exercised() const;
  // Race steps: outcomes over all trials, and the branches never reached (a race whose
  // minority outcome never happened was not exercised: the report warns).
  std::map<std::string, uint64_t> race_histogram() const;
  std::vector<std::string> race_warnings() const;
  // Strictness as applied so far: tolerance -> observations it admitted; the spans the
  // model could only bound; the steps judged with no model-limit tolerance.
  std::map<TolId, uint64_t> tolerances_used() const;
  std::vector<Span> unjudged() const;
  uint32_t steps_judged() const;
  // Human-readable state, for failure reports.
  std::string describe_state() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ringside
