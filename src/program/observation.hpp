// What the engine saw when it executed one step: the kernel's answers, uninterpreted.
// The oracle decides whether they were allowed.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "program/wrapper_steps.hpp"

namespace ringside {

// One readiness report: `ref` names the registration or polled operand
// (epoll_wait: the token the engine stored in epoll_event.data; poll/select: operand index).
struct ReadyEvent {
  uint64_t ref = 0;
  uint32_t mask = 0;
  bool operator==(const ReadyEvent&) const = default;
};

struct Completion {
  uint64_t user_data = 0;
  int32_t res = 0;
  uint32_t flags = 0;
  bool operator==(const Completion&) const = default;
};

// Result of a `later` step, reported when the helper thread is joined.
struct HelperResult {
  uint32_t step = 0;
  int64_t ret = 0;
  bool operator==(const HelperResult&) const = default;
};

// One mini-trial of a race step: the knob cell it ran in and what the kernel said.
// CQE user_data is the request's role in the trial (see uring_race.hpp).
struct RaceTrial {
  uint32_t knobs = 0;             // the knob cell (engine-defined bits, for the report)
  std::vector<Completion> cqes;   // every CQE of the trial, in CQ order
  std::string data;               // bytes the trial's reads returned, in CQE order
  int64_t leftover = 0;           // bytes still queued after the trial (drained by the engine)
  bool operator==(const RaceTrial&) const = default;
};

struct Observation {
  int64_t ret = 0;                    // >= 0: result; < 0: -errno
  int64_t value = 0;                  // op-specific (SO_ERROR value, peer resource, eventfd count...)
  std::vector<int> fds;               // fds created by the step (for fd-number keyed rules)
  std::vector<ReadyEvent> events;     // epoll_wait / poll / select
  std::vector<Completion> cqes;       // io_uring completions reaped by the step
  std::vector<RaceTrial> trials;      // race steps: one entry per trial
  std::vector<HelperResult> helpers;  // join
  std::string data;                   // bytes read (content checks); reap: the payloads of
                                      // read CQEs with res > 0, concatenated in CQE order
  bool deadline_hit = false;          // a blocking call was interrupted by the step deadline
  uint64_t elapsed_ns = 0;
  std::optional<WrapperObservation> wrapper;  // readiness-wrapper steps (family 7)
};

// Observed value the engine reports for steps that do not apply (placeholder for `later`).
inline constexpr int64_t kScheduled = 0;

}  // namespace ringside
