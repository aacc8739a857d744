// The reference oracle: feed it a Program and, step by step, what the kernel did; it
// answers "allowed" or names the rule that was broken. Pure C++: no syscalls, so it is
// unit-tested without a kernel, and the fuzzer can run it millions of times.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oracle/rules.hpp"
#include "oracle/verdict.hpp"
#include "program/observation.hpp"
#include "program/program.hpp"

namespace ringside {

class Oracle {
 public:
  Oracle(const Program& program, Profile profile = Profile::Linux);
  ~Oracle();
  Oracle(const Oracle&) = delete;
  Oracle& operator=(const Oracle&) = delete;

  // Check the observation of step `i` (steps must be fed in order). After a violation
  // the oracle's state is unspecified: stop feeding it.
  Check observe(size_t i, const Observation& obs);
  // End of program: the implicit join of `later` steps still running.
  Check finish(const Observation& final_join);

  // Can step i (not yet run) block forever given what the model knows now: nothing
  // already sent, in flight, or promised by a helper thread or a timer can end it?
  bool may_block_forever(size_t i) const;
  // If step i would block forever, the wait-for cycle spelled out (the blocked thread,
  // what it waits for, the later step of the same thread that would produce it).
  std::optional<std::string> deadlock(size_t i) const;
  // Rules whose checks ran so far (passed or not).
  std::vector<RuleId> rules_exercised() const;
  // Race steps: outcomes over all trials, and the branches never reached (a race whose
  // minority outcome never happened was not exercised: the report warns).
  std::map<std::string, uint64_t> race_histogram() const;
  std::vector<std::string> race_warnings() const;
  // Human-readable state, for failure reports.
  std::string describe_state() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ringside
