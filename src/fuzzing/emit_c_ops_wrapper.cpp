// C code of the readiness-over-completion wrapper steps for the reproducer (DESIGN.md
// family 7): one CStepEmitter per Op of src/program/ops_wrapper.def. A step without an
// entry here makes `ringside repro --emit-c` say it is not supported yet.
#include "fuzzing/emit_c.hpp"

namespace ringside {

std::span<const CStepEmitter> wrapper_c_emitters() { return {}; }

}  // namespace ringside
