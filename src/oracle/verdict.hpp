// What the oracle says about one observation: allowed, or which rule it broke.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "oracle/tolerances.hpp"

namespace ringside {

// Which part of the observation a violated check judged, so that a tool outside
// ringside (the standalone C reproducer) can make the same check on its own.
enum class Judged : uint8_t {
  Unknown,    // only the text says what was expected
  Ret,        // Observation::ret
  Value,      // Observation::value (SO_ERROR, eventfd counter, how a fill/drain ended...)
  Mask,       // the readiness mask reported for one operand (0 if not reported)
  Data,       // the bytes read: pattern_byte(stream, offset + k)
  HelperRet,  // the result of a `later` step, seen at join
  // io_uring (the failing step is a `reap`): `ref` is a request's user_data.
  CqeRes,     // the res of the last final CQE (no IORING_CQE_F_MORE) with user_data `ref`
              // taken so far, this reap included; the check holds if there is none (the
              // failure did not recur: the CQE was not taken)
  CqeCount,   // how many final CQEs with user_data `ref` were taken so far, this reap included
};

// The allowed set of a violated check in machine-readable form.
struct Allowed {
  Judged what = Judged::Unknown;
  // Ret / Value / HelperRet / CqeRes / CqeCount: allowed closed intervals. Mask: allowed masks (lo == hi),
  // compared after `& filter`.
  std::vector<std::pair<int64_t, int64_t>> ranges;
  uint64_t ref = 0;       // Mask: operand index (poll, select) or registration token (epoll_wait);
                          // Data: pattern stream; HelperRet: index of the `later` step;
                          // CqeRes / CqeCount: user_data of the request
  uint64_t offset = 0;    // Data: stream offset of the first byte read
  uint32_t filter = ~0u;  // Mask: bits that are compared
  bool contains(int64_t v) const {
    for (auto [lo, hi] : ranges)
      if (v >= lo && v <= hi) return true;
    return false;
  }
};

struct Violation {
  RuleId rule{};
  size_t step = 0;        // index into Program::steps
  std::string expected;   // the allowed set, in words
  std::string observed;
  std::string detail;     // optional context (state the prediction came from)
  Allowed allowed = {};   // the allowed set, for reproducers (what == Unknown if not expressible)
  // Tolerances that would have admitted the observation, were they on (none: nothing
  // would). Under `strict`, the tolerances the run needed.
  std::vector<TolId> needs = {};
};

using Check = std::optional<Violation>;

}  // namespace ringside
