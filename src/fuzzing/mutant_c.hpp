// C forms of mutants (src/mutate) for reproducers of planted deviations: the same
// distortion as C statements over the variables an emitted step defines (ret, value,
// masks_, data_, the CQEs of a reap cqe_[0..ncqe_); see emit_c.hpp), so that a C program
// re-applies it. Only mutants that need no memory of earlier steps (apart from "struck
// once already": the global mutant_done_) have one; reproducing another mutant's failure
// in C is refused rather than guessed.
#pragma once
#include <string>

#include "mutate/mutants.hpp"
#include "program/program.hpp"

namespace ringside {

bool mutant_has_c_form(const Mutant& m);
// C code applying m to step s ("" if m does not touch s).
std::string mutant_c_code(const Mutant& m, const Program& p, const Step& s);

}  // namespace ringside
