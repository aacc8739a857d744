// Random Programs, driven by the op tables: every generated program is well-formed
// (types, liveness, `later` rules). Seeded, so a seed names a program.
#pragma once
#include <cstdint>

#include "program/program.hpp"

namespace ringside {

struct GenOptions {
  size_t max_steps = 24;
  double later_rate = 0.05;   // chance that an eligible step runs `later`
  bool allow_blocking = true;  // false: created fds are nonblocking and waits bounded
};

Program generate_program(uint64_t seed, const GenOptions& o = {});

}  // namespace ringside
