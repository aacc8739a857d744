// Behaviour signatures: what the kernel did at one step, as numbers. Each executed step
// leaves several, each one aspect of what happened, so that a new combination of old
// aspects does not count as new:
// - the step: operation, class of result (errno, zero, a new fd, all or part of a size,
//   a count class) and of its value;
// - each report of poll, select and epoll_wait: the kind of resource it is about, its
//   mask, and for epoll the registration's edge-triggered/one-shot bits;
// - each io_uring completion: the operation of its request, class of result, flags;
// - each `later` step's result at join;
// - the oracle's model of each operand afterwards (connection state, which poll bits
//   are certain or possible, queued data, end of stream, errors).
// The fuzzers count new signatures as progress (there is no kernel coverage here: no
// KCOV).
#pragma once
#include <cstdint>
#include <vector>

#include "oracle/oracle.hpp"
#include "program/observation.hpp"
#include "program/program.hpp"

namespace ringside {

// Appends the signatures of step i to out.
void behaviour_signatures(const Program& p, size_t i, const Observation& o, const Oracle& oracle,
                          std::vector<uint64_t>& out);

}  // namespace ringside
