// What the io_uring parts of the oracle share about requests: which opcodes are cancels,
// reads and writes, who can cancel whom, when a request may run from io-wq, and how a
// violation on a CQE names its request. Internal to the oracle.
#pragma once
#include <cerrno>
#include <cstdint>
#include <string>

#include "oracle/expect.hpp"
#include "oracle/uring_model.hpp"
#include "oracle/verdict.hpp"
#include "program/program.hpp"
#include "program/uring_ids.hpp"

namespace ringside::uring_model {

using model::kNoReq;
using model::Req;
using model::ReqState;
namespace sqe = model::sqe;

inline bool is_cancel(Op op) {
  return op == Op::UringCancel || op == Op::UringCancelFd || op == Op::UringCancelAny || op == Op::UringPollRemove ||
         op == Op::UringTimeoutRemove;
}
// A cancel that may match several requests (by fd, ANY, or ALL of a user_data)...
inline bool multi(const Req& c) {
  return c.op == Op::UringCancelFd || c.op == Op::UringCancelAny || (c.op == Op::UringCancel && c.all);
}
// ...and of those, one that answers with a count (ALL or ANY) rather than 0/ENOENT/EALREADY.
inline bool counts(const Req& c) { return c.op == Op::UringCancelAny || (multi(c) && c.all); }
// How many requests a multi-match cancel says it cancelled (-1: it cannot tell, EALREADY).
inline int64_t cancelled_count(const Req& c) {
  if (counts(c)) return c.res;
  return c.res == 0 ? 1 : c.res == -EALREADY ? -1 : 0;
}
inline bool is_rw(Op op) {
  return op == Op::UringRead || op == Op::UringWrite || op == Op::UringRecv || op == Op::UringSend;
}
inline bool reads(Op op) { return op == Op::UringRead || op == Op::UringRecv; }
inline bool cancelled_res(int64_t res) { return res == -ECANCELED || res == -EINTR; }

// May the request run from io-wq (IOSQE_ASYNC, a link left dangling at the end of its
// submission, after a predecessor, or drained or held by the ring's drain state:
// measured, such a request may be issued from io-wq)?
inline bool may_run_in_iowq(const Req& c) {
  return (c.flags & sqe::Async) || c.prev != kNoReq || c.dangling || c.drain || c.held ||
         ((c.flags & (sqe::Link | sqe::Hardlink)) && c.next == kNoReq);
}

// Submission order.
inline bool before(const Req& a, const Req& b) {
  return a.submit_tick < b.submit_tick || (a.submit_tick == b.submit_tick && a.id < b.id);
}

// Refused at submission (io_init_req), or failed with such a chain: it ends at once.
inline bool refused_own(const Req& x) { return x.eopnotsupp || x.invalid || x.chain_failed_at_init; }

// Can request `c` (a cancel-type request) take `r` out, as the kernel finds requests?
inline bool can_cancel(const Req& c, const Req& r) {
  if (c.ring != r.ring || c.id == r.id || r.op == Op::UringLinkTimeout || is_cancel(r.op)) return false;
  if (refused_own(r)) return false;
  // A cancel that starts after its submission (after a predecessor in its chain, from
  // io-wq, or held by a drain) also finds requests submitted after it, until it ends.
  if (!before(r, c) && !(may_run_in_iowq(c) && (c.pending() || c.done_tick >= r.submit_tick))) return false;
  switch (c.op) {
    case Op::UringCancel:
      return c.target == r.id;
    case Op::UringPollRemove:
      return c.target == r.id && r.op == Op::UringPoll;
    case Op::UringTimeoutRemove:
      return c.target == r.id && r.op == Op::UringTimeout;
    case Op::UringCancelFd:
      return r.desc != model::kNone && r.desc == c.desc;
    case Op::UringCancelAny:
      return true;
    default:
      return false;
  }
}

// A cancel held back (behind a drain, or queued to io-wq) is itself a pending request
// that another ANY or FD cancel on the ring, submitted before or after it, may find and
// end (measured on 6.18; an FD cancel's file is the fd it names). io_uring_prep_cancel(3)
// says ANY matches "any request"; it is silent on cancels (TolId::UringCancelFindsHeldCancel).
inline bool held_cancel_findable(const Req& k, const Req& o) {
  if (!is_cancel(o.op) || !may_run_in_iowq(o)) return false;
  if (k.id == o.id || k.ring != o.ring || k.state == ReqState::Queued || o.state == ReqState::Queued) return false;
  return k.op == Op::UringCancelAny || (k.op == Op::UringCancelFd && o.op == Op::UringCancelFd && k.desc == o.desc);
}

// A request's user_data (uring_ids.hpp).
inline uint64_t ud_of(const Req& r) { return uring::user_data_of_step(r.step); }

// Attaches the allowed set of a violated check on one request's CQEs in machine-readable
// form (Judged::CqeRes / CqeCount; see verdict.hpp), for the C reproducer.
inline Check judged(Check c, Judged what, const Req& r, const RetSet& allowed) {
  if (c) {
    c->allowed.what = what;
    c->allowed.ref = ud_of(r);
    c->allowed.ranges = allowed.ranges();
  }
  return c;
}

// Any res except a cancellation (-ECANCELED, -EINTR).
inline RetSet not_cancelled() {
  RetSet s;
  s.add(INT32_MIN, -ECANCELED - 1).add(-ECANCELED + 1, -EINTR - 1).add(-EINTR + 1, INT32_MAX);
  return s;
}

inline std::string req_name(const Program& p, const Req& r) {
  const Step& s = p.steps[r.step];
  if (!s.outs.empty()) return "'" + p.res(s.outs[0]).name + "'";
  return "the " + std::string(s.spec().name) + " of line " + std::to_string(s.loc.line ? s.loc.line : r.step + 1);
}

}  // namespace ringside::uring_model
