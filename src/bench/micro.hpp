// Micro-benchmarks for the models' parameters: the cost of a system call
// (ts), of a thread context switch (s = tk) and of queueing one request on an
// io_uring in user space (tr). Each returns CPU time, the median of repeats.
#pragma once

#include <string>

#include "bench/results.hpp"

namespace ringside::bench {

struct MicroPlan {
  long syscalls_per_repeat = 200'000;
  long switch_round_trips = 10'000;
  unsigned ring_batch = 4096;  // requests queued per repeat for tr
  int repeats = 5;
  int cpu = -1;                // where the switch ping-pong runs (-1: unpinned)
};

// Fills every Params field; unmeasurable parts are explained in Params::note.
Params measure_params(const MicroPlan& plan);

}  // namespace ringside::bench
