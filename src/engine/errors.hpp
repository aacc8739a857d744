// Outcomes that are not the kernel deviating: the environment failed (ERROR) or a
// feature is absent (SKIP). The engine throws these; the runner turns them into verdicts.
#pragma once
#include <stdexcept>
#include <string>

namespace ringside {

// Resource limits, unwritable temp dir, io_uring_setup refused by policy...: ERROR.
struct EnvironmentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A feature the scenario needs is absent on this kernel or machine: SKIP.
struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// errno values that say "the machine ran out of something", not "the kernel misbehaved".
bool is_environment_errno(int e);

}  // namespace ringside
