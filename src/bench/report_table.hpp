// The human-readable form of a Report and of a Comparison.
#pragma once

#include <ostream>

#include "bench/compare.hpp"
#include "bench/results.hpp"

namespace ringside::bench {

void print_report(std::ostream& out, const Report& report);
void print_comparison(std::ostream& out, const Comparison& comparison);

}  // namespace ringside::bench
