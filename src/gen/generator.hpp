// Random Programs, driven by the op tables: every generated program is well-formed
// (types, liveness, `later` rules). Seeded, so a seed names a program. Operations added
// to the tables later (io_uring, the readiness wrapper) are generated without change
// here; weights only favour creating resources early and waits right after `later`
// steps, so that races are actually set up.
#pragma once
#include <cstdint>
#include <optional>

#include "gen/builder.hpp"
#include "program/program.hpp"

namespace ringside {

struct GenOptions {
  size_t max_steps = 24;
  double later_rate = 0.05;   // chance that an eligible step runs `later`
  bool allow_blocking = true;  // false: created fds are nonblocking and waits bounded
  // Fuzzing policy (small sizes, bounded waits, `later` only where certain); none: any
  // valid program.
  std::optional<FuzzLimits> limits;
};

Program generate_program(uint64_t seed, const GenOptions& o = {});

// The options `ringside fuzz` and the libFuzzer harness use.
GenOptions fuzz_gen_options();

}  // namespace ringside
