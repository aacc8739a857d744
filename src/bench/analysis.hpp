// Puts the measurements beside the seed's models: fits the R(k) model's t0
// and l from the workload, predicts R(k) from them and the measured s, and
// compares the measured break-even batch with B*.
#pragma once

#include <vector>

#include "bench/results.hpp"

namespace ringside::bench {

// A prediction within 25% of the measurement counts as "the model holds".
inline constexpr double kModelTolerance = 0.25;

// How the parameters are estimated (all per transport):
//  - T_B = t0 - l: median epoll CPU/op over all k (the model says it is constant;
//    the spread is reported so one can see whether it is).
//  - l: least-squares fit of blocking CPU/op = alpha - l * (1/k); the model says
//    alpha = t0 + 2s, which is reported as a check, not used.
//  - t0 = T_B + l; s = measured context switch (Params::tk_ns).
//  - Batching, at the k with the fullest B sweep: legacy = blocking CPU/op at
//    that k; overhead(B) = io_uring CPU/op - (legacy - 2(ts+tk)).
Analysis analyze(const Params& params, const std::vector<Point>& points);

}  // namespace ringside::bench
