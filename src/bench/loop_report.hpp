// The event-loop benchmark's outputs: the text table (with the blocking
// design's model and how much worse its p99 is), the JSON, and the plot of the
// latency distributions (one panel per cache state and connection count).
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

#include "bench/loop_results.hpp"

namespace ringside::bench {

void print_loop_report(std::ostream& out, const LoopReport& report);
nlohmann::json loop_report_json(const LoopReport& report);
std::string plot_loop_report(const LoopReport& report);

}  // namespace ringside::bench
