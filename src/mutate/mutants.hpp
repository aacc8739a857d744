// Fault injection between the kernel and the oracle: each mutant distorts observations
// the way a regressed kernel would (drop an ET edge, zero an SO_ERROR, ...). Compiled
// into the normal binary, active only when explicitly selected (`--mutant`,
// `ringside selftest`). A gate that cannot kill every mutant is not trusted.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "program/observation.hpp"
#include "program/program.hpp"

namespace ringside {

// Per-run state of one active mutant (what it has seen so far).
class Mutation {
 public:
  virtual ~Mutation() = default;
  // Distort the observation of step i (already executed by the engine) in place.
  virtual void apply(const Program& p, size_t i, Observation& o) = 0;
};

struct Mutant {
  std::string_view id;       // stable name, e.g. "epoll.drop_et_refire"
  int family;                // DESIGN.md behaviour family it imitates a regression in
  std::string_view summary;  // the regression it imitates
  std::unique_ptr<Mutation> (*make)();
};

std::span<const Mutant> all_mutants();
const Mutant* mutant_by_id(std::string_view id);

}  // namespace ringside
