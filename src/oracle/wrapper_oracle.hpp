// Family 7: the oracle's checks of readiness-wrapper steps (open, consume, settle,
// inspect, event_loop, close of a wrapper) against rules_wrapper.def.
#pragma once
#include "oracle/oracle.hpp"

namespace ringside {

// For steps where is_wrapper_step() holds. Updates the wrapper's model, pushes the
// eventfd's wakeups for the epoll model, and checks every item and the counters.
Check wrapper_step(Oracle::Impl& m, size_t i, const Step& s, const Observation& obs);

}  // namespace ringside
