// C code of the io_uring steps for the reproducer (DESIGN.md families 4-6): one
// CStepEmitter per Op of src/program/ops_uring.def, with liburing calls. A step without
// an entry here makes `ringside repro --emit-c` say it is not supported yet. Support
// code shared by these entries (ring setup, reaping CQEs into ret/value) goes in
// CStepEmitter::support.
#include "fuzzing/emit_c.hpp"

namespace ringside {

std::span<const CStepEmitter> uring_c_emitters() { return {}; }

}  // namespace ringside
