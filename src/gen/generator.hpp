// Random Programs, driven by the op tables: every generated program is well-formed
// (types, liveness, `later` rules). Seeded, so a seed names a program. Operations added
// to the tables later (io_uring, the readiness wrapper) are generated without change
// here; weights only favour creating resources early and waits right after `later`
// steps, so that races are actually set up.
//
// A program is built by following a Plan: a list of steps to take (from an earlier
// program, edited by the mutator) and of places where a freshly drawn step goes. A fresh
// program is a plan of fresh steps only. Following a plan step by step on a builder
// whose veto asks the model lets the fuzzer build a program while an engine runs it,
// leaving out every step the model says could only wait.
#pragma once
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "gen/builder.hpp"
#include "program/program.hpp"

namespace ringside {

struct GenOptions {
  size_t max_steps = 24;
  double later_rate = 0.05;   // chance that an eligible step runs `later`
  bool allow_blocking = true;  // false: created fds are nonblocking and waits bounded
  // Fuzzing policy (small sizes, bounded waits, `later` only where certain); none: any
  // valid program.
  std::optional<FuzzLimits> limits;
};

using Rng = std::mt19937_64;

// What a step does, as far as the generator's plans go: makes a resource, ties
// resources together (a registration, a queued request), changes state (data, a
// connection, a submission, a shutdown), or looks at it (a wait, a poll, a reap).
enum class Role : uint8_t { Any, Make, Tie, Change, Look, Again };
Role role_of(const OpSpec& spec);

// One entry of a plan: a step whose operands name resources of the plan (the outputs of
// its earlier steps; kAnyResource: any live resource that fits), or a fresh step (of
// any operation, or of one role), or (Again) the last `again` steps once more, on the
// same resources.
struct PlanStep {
  bool fresh = false;
  Step step;
  Role role = Role::Any;
  size_t again = 0;
};
inline constexpr ResId kAnyResource = ResId(~0);

struct Plan {
  std::vector<PlanStep> steps;
  size_t resources = 0;            // resource ids the steps use are below this
  std::optional<ResKind> focus;    // fresh steps favour operations on this kind
};

// Random choices of the generator, for the plan follower and the mutator.
class StepDraw {
 public:
  StepDraw(Rng& rng, const GenOptions& o) : rng_(rng), o_(o) {}
  // One attempt at appending a random step (of `role`, if one applies) to b; false if b
  // refused it. Half the time the operands are taken among the resources the last
  // steps used, so that programs do several things to one resource rather than one
  // thing to many.
  bool add(ProgramBuilder& b, std::optional<ResKind> focus, Role role = Role::Any);
  // The last one to three steps of b again (the last n, if given), to be appended one at
  // a time on the same resources (a second arrival, another wait, one more connection);
  // empty if there is nothing worth repeating.
  std::vector<Step> repeat(const ProgramBuilder& b, size_t n = 0);
  // A random value of a parameter (with a `later` step pending, waits are longer).
  int64_t value(const ParamSpec& ps, bool later_pending);
  // A random `later` delay.
  int64_t delay();
  size_t pick(size_t n) { return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng_) : 0; }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

 private:
  const OpSpec* choose_op(const ProgramBuilder& b, std::optional<ResKind> focus, Role role);
  ResId choose_operand(const ProgramBuilder& b);
  double weight(const ProgramBuilder& b, const OpSpec& spec, std::optional<ResKind> focus, KindSet recent) const;

  Rng& rng_;
  const GenOptions& o_;
  std::vector<double> weights_;
  std::vector<ResId> cands_;
  std::vector<ResId> recent_;
};

// Builds a program by following a plan: each next() appends the plan's next step that
// the builder takes (operands renamed onto the program's resources; an operand whose
// resource is gone, or that no longer fits, is re-bound to a random live resource that
// fits), or a freshly drawn step. Steps the builder refuses (static rules, fuzz limits,
// the model's veto) are left out, and so are the steps that need what they created.
class PlanFollower {
 public:
  PlanFollower(Plan plan, uint64_t seed, const GenOptions& o);
  PlanFollower(const PlanFollower&) = delete;
  PlanFollower& operator=(const PlanFollower&) = delete;
  // Appends one step; false once the plan is done or the program is full.
  bool next(ProgramBuilder& b);

 private:
  bool take_planned(ProgramBuilder& b, const Step& planned);
  bool take_repeated(ProgramBuilder& b);

  Plan plan_;
  size_t pos_ = 0;
  Rng rng_;
  GenOptions o_;
  StepDraw draw_;
  std::vector<ResId> map_;  // plan resource -> program resource (kAnyResource: none)
  std::vector<ResId> cands_;
  // A repetition under way (one step per next(): the model judges each after the one
  // before it ran), and what its steps created, renamed to their new copies.
  std::vector<Step> repeating_;
  std::vector<std::pair<ResId, ResId>> renamed_;
};

// A plan of fresh steps, half the time a focus on one kind of resource. Either any
// steps, up to o.max_steps of them; or a story: make a few resources, tie them, then
// change and look in turns (what a behaviour needs: a second arrival, then a wait).
Plan fresh_plan(Rng& rng, const GenOptions& o);

// The plan of an existing program: its steps, in order.
Plan plan_of(const Program& p);

Program generate_program(uint64_t seed, const GenOptions& o = {});

// The options `ringside fuzz` and the libFuzzer harness use.
GenOptions fuzz_gen_options();

}  // namespace ringside
