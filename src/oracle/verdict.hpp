// What the oracle says about one observation: allowed, or which rule it broke.
#pragma once
#include <optional>
#include <string>

#include "oracle/rules.hpp"

namespace ringside {

struct Violation {
  RuleId rule{};
  size_t step = 0;        // index into Program::steps
  std::string expected;   // the allowed set, in words
  std::string observed;
  std::string detail;     // optional context (state the prediction came from)
};

using Check = std::optional<Violation>;

}  // namespace ringside
