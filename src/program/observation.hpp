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

struct Observation {
  int64_t ret = 0;                    // >= 0: result; < 0: -errno
  int64_t value = 0;                  // op-specific (SO_ERROR value, peer resource, eventfd count...)
  std::vector<int> fds;               // fds created by the step (for fd-number keyed rules)
  std::vector<ReadyEvent> events;     // epoll_wait / poll / select
  std::vector<Completion> cqes;       // io_uring completions reaped by the step
  std::vector<HelperResult> helpers;  // join
  std::string data;                   // bytes read (content checks)
  bool deadline_hit = false;          // a blocking call was interrupted by the step deadline
  uint64_t elapsed_ns = 0;
  std::optional<WrapperObservation> wrapper;  // readiness-wrapper steps (family 7)
};

// Observed value the engine reports for steps that do not apply (placeholder for `later`).
inline constexpr int64_t kScheduled = 0;

}  // namespace ringside
