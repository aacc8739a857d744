// Test-only fault injection between the engine and the oracle: distorts an observation
// the way a regressed kernel would, so that the suite and the fuzzer can be shown to
// catch it. Off unless a fault is named explicitly (--inject). The seed of the mutant
// catalogue (DESIGN.md "Proving the oracle works"): each fault says how it changes an
// observation, and how a standalone C reproducer applies the same change.
#pragma once
#include <span>
#include <string_view>

#include "program/observation.hpp"
#include "program/program.hpp"

namespace ringside {

struct ObservationFault {
  std::string_view name;
  std::string_view description;
  // Distorts the observation of step `i` in place; false if the step is not affected.
  bool (*apply)(const Program& p, size_t i, Observation& obs);
  // The same distortion for the C reproducer: a C statement over the variables the
  // emitted step defines (`ret`, `value`, `masks_[k]`...; see fuzzing/emit_c.hpp), or "" if `op` is unaffected.
  std::string_view (*c_code)(const Program& p, const Step& s);
};

std::span<const ObservationFault> observation_faults();
const ObservationFault* observation_fault(std::string_view name);

}  // namespace ringside
