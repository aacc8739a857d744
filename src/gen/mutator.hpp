// Edits of a corpus program into the plan of the next one, as coverage-guided fuzzers
// mutate their inputs: insert a fresh step, delete one, duplicate one, change a
// parameter or an operand, swap two, splice two programs, repeat a run of steps on the
// same resources (a second arrival before a read, one more connection than the backlog
// holds). The plan is then followed on a builder, which repairs what an edit broke:
// operands are re-bound to live resources that fit, and steps that the rules or the
// model refuse are left out.
#pragma once
#include <cstdint>

#include "gen/generator.hpp"

namespace ringside {

// A plan from `a`, edited 1 to 5 times; `other` is the second parent of a splice. Half
// the edits happen around step `hot` of `a` (the step that made it interesting), when
// it is one of its steps.
Plan mutate_plan(const Program& a, const Program& other, Rng& rng, const GenOptions& o, size_t hot = SIZE_MAX);

// Plans longer than this are cut (they would run slowly and dilute the edits).
inline constexpr size_t kMaxPlanSteps = 32;

}  // namespace ringside
