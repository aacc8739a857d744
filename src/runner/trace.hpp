// One line per executed step, as people read it: "epoll_wait ep timeout=1s -> 1 [s: IN]".
#pragma once
#include <string>

#include "program/observation.hpp"
#include "program/program.hpp"

namespace ringside {

std::string format_observation(const Program& p, const Step& s, const Observation& o);
std::string format_trace_line(const Program& p, size_t i, const Observation& o);
// The class of what a step observed, stable across runs that behaved alike: errno name,
// "all"/"part" of a requested size, the set of reported events... Baselines compare
// these, and the fuzzer counts new ones as progress.
std::string outcome_class(const Program& p, const Step& s, const Observation& o);

}  // namespace ringside
