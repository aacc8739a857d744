// The model of epoll instances: registrations bound to (open file description, fd
// number), their interest, ET edges and ONESHOT state, and the checks of epoll_ctl and
// epoll_wait results against the readiness the FdModel allows.
#pragma once
#include <cstdint>
#include <vector>

#include "oracle/fd_model.hpp"
#include "oracle/verdict.hpp"
#include "program/observation.hpp"

namespace ringside::model {

struct Registration {
  DescId epoll = kNone;
  DescId target = kNone;
  int fdnum = -1;
  uint32_t events = 0;       // interest incl. ET / ONESHOT / EXCLUSIVE
  uint64_t token = 0;        // the epoll_event.data the engine stored (last ADD/MOD)
  bool disabled = false;     // ONESHOT fired, waiting for MOD
  Level edge = Level::No;    // ET: a wakeup since the last harvest
  RuleId edge_rule = RuleId::EtEdge;
  // ... of which the wakeups the rules predict (edge may be higher only through wakeups a
  // tolerance allows: edge_tol, the last such).
  Level edge_ruled = Level::No;
  TolId edge_tol = kNoTol;
  bool soon_pending = false; // a wakeup was promised by something still in flight
  uint32_t missed = 0;       // consecutive full waits that skipped it while it was ready
  bool live = true;
  bool dying = false;        // its description is being released by a `later` close

  uint32_t filter() const { return (events & ev::Modeled) | ev::Err | ev::Hup; }
  // The edge is consumed, or set anew by the model's own reasoning (not a tolerance).
  void set_edge(Level l) { edge = edge_ruled = l; edge_tol = kNoTol; }
  bool et() const { return events & ev::Et; }
};

class EpollModel {
 public:
  explicit EpollModel(FdModel& fds) : fds_(fds) {}

  // epoll_ctl: the allowed result, and the effect once the oracle accepted it.
  int64_t ctl_expected(int op, DescId ep, DescId target, int fdnum, uint32_t events, RuleId& rule) const;
  void ctl_apply(int op, DescId ep, DescId target, int fdnum, uint32_t events, uint64_t token);

  // epoll_wait: check the reported events; narrows ET edges, ONESHOT, and what was learned.
  Check wait(size_t step, DescId ep, int max, int64_t timeout_ms, const Observation& obs);

  // Apply the FdModel's wakeups to the registrations, and drop registrations of released
  // descriptions.
  void absorb_wakes();

  // Registrations alive on an epoll (for the deadlock detector and state dumps).
  const std::vector<Registration>& registrations() const { return regs_; }
  // Could this registration be reported soon (used to judge a blocking wait)?
  Level reportable(const Registration& r) const;

 private:
  Violation mask_violation(size_t step, RuleId rule, const Registration& r, std::vector<uint32_t> masks, uint32_t filter,
                           std::string expected, std::string observed, std::string detail = {}) const;
  Check check_edge(size_t step, const Registration& r, uint32_t mask);
  Check check_mask(size_t step, const Registration& r, uint32_t mask, bool wait_not_full);
  bool followed(DescId target) const;
  bool wakeup_may_follow(const Registration& r) const;
  Registration* find(DescId ep, DescId target, int fdnum);
  const Registration* find(DescId ep, DescId target, int fdnum) const;
  FdModel& fds_;
  std::vector<Registration> regs_;
};

// Waits at least this long must see conditions that are only in flight ("soon").
inline constexpr int64_t kSettleMs = 500;

}  // namespace ringside::model
