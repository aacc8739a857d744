// One line per executed step, as people read it: "epoll_wait ep timeout=1s -> 1 [s: IN]".
#pragma once
#include <string>

#include "program/observation.hpp"
#include "program/program.hpp"

namespace ringside {

std::string format_observation(const Program& p, const Step& s, const Observation& o);
std::string format_trace_line(const Program& p, size_t i, const Observation& o);

}  // namespace ringside
