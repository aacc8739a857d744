// Behaviour signatures: what the kernel did at one step, as a number. Two steps with the
// same signature behaved alike: same operation, same class of result (errno, all/part of
// a size, a new fd), same reported masks on the same kinds of resources, same
// completions, and the oracle's model of the operand in the same state afterwards. The
// fuzzers count new signatures as progress (there is no kernel coverage here: no KCOV).
#pragma once
#include <cstdint>

#include "oracle/oracle.hpp"
#include "program/observation.hpp"
#include "program/program.hpp"

namespace ringside {

uint64_t behaviour_signature(const Program& p, size_t i, const Observation& o, const Oracle& oracle);

}  // namespace ringside
