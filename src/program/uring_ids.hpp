// Names the engine and the oracle share for io_uring requests: the user_data of script
// requests and of race roles, the knob cells of race steps, and the readiness paths a
// `wait_ready` step can be observed through. Pure data, no kernel headers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringside::uring {

// A script request's user_data is its queuing step's index + 1 (0 stays unused).
constexpr uint64_t user_data_of_step(size_t step) { return static_cast<uint64_t>(step) + 1; }
constexpr size_t step_of_user_data(uint64_t ud) { return static_cast<size_t>(ud - 1); }

// Race trials run on the scenario's ring with these user_data values, one trial at a
// time (every CQE of a trial is reaped before the next starts).
inline constexpr uint64_t kRaceCanceller = 1u << 20;   // ASYNC_CANCEL, POLL_REMOVE, TIMEOUT_REMOVE
inline constexpr uint64_t kRaceTimeout = 2u << 20;     // LINK_TIMEOUT
inline constexpr uint64_t kRaceTarget = 3u << 20;      // + index of the target (race_cancel_fd has k)
inline constexpr uint64_t kRaceTargetMax = 16;
// A trial's cleanup: an ASYNC_CANCEL_ANY|ALL that ends targets the canceller did not find
// (requests queued to io-wq: an FD match misses them, POLL_REMOVE does not see a POLL_ADD
// not yet armed), so that the next trial starts from an idle ring.
inline constexpr uint64_t kRaceCleanup = 4u << 20;

// wait_ready through uring-poll runs on a private ring: POLL_ADD of operand k has
// user_data kViaPoll + k, the POLL_REMOVE that ends it if it did not fire kViaRemove + k.
inline constexpr uint64_t kViaPoll = 1u << 24;
inline constexpr uint64_t kViaRemove = 2u << 24;

// One cell of a race step's knob sweep, as RaceTrial::knobs encodes it.
struct KnobCell {
  bool async = false;   // IOSQE_ASYNC on the target
  bool helper = false;  // the competing action runs on a helper thread (else: the main thread)
  bool batch = false;   // target and canceller share one io_uring_enter (else: two)
  uint32_t delay_us = 0;  // spin before the competing action
  uint32_t encode() const { return (async ? 1u : 0u) | (helper ? 2u : 0u) | (batch ? 4u : 0u) | (delay_us << 8); }
  static KnobCell decode(uint32_t k) { return {(k & 1) != 0, (k & 2) != 0, (k & 4) != 0, k >> 8}; }
  std::string text() const {
    return std::string(async ? "async" : "inline") + "/" + (helper ? "helper" : "main") + "/" +
           (batch ? "batch" : "split") + "/" + std::to_string(delay_us) + "us";
  }
};

// Knob sweep of a race step: `knobs` is the raceknob flags (async 1, thread 2, delay 4,
// batch 8); `delays` the spins a delay sweep uses. Cells are ordered so that consecutive
// trials differ, and trial t runs in cell t % size.
inline std::vector<KnobCell> knob_cells(int64_t knobs, const std::vector<uint32_t>& delays) {
  std::vector<KnobCell> cells;
  std::vector<uint32_t> ds = (knobs & 4) ? delays : std::vector<uint32_t>{0};
  for (uint32_t d : ds)
    for (int b = 0; b < ((knobs & 8) ? 2 : 1); ++b)
      for (int h = 0; h < ((knobs & 2) ? 2 : 1); ++h)
        for (int a = 0; a < ((knobs & 1) ? 2 : 1); ++a) cells.push_back({a == 1, h == 1, b == 1, d});
  return cells;
}

// Readiness paths of `wait_ready` (the scenario header `via:` lists the applicable ones).
inline constexpr std::string_view kViaPaths[] = {"epoll-lt", "epoll-et", "uring-poll"};
inline bool known_via(std::string_view v) {
  for (auto k : kViaPaths)
    if (k == v) return true;
  return false;
}
// A program runs `wait_ready` through its first `via` path, epoll-lt if it names none.
inline std::string_view via_of(const std::vector<std::string>& via) {
  return via.empty() ? kViaPaths[0] : std::string_view(via.front());
}

}  // namespace ringside::uring
