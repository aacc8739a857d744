// Families 4-6: one CQE, judged in named passes. io_uring_enter(2): "each submitted SQE
// results in a CQE" (exactly one final CQE per request; a multishot request posts CQEs
// with IORING_CQE_F_MORE first); links, drains, cancels and linked timeouts order and
// pair them. A final CQE is checked, in this order, for:
//   check_chain_order       its predecessor in an IOSQE_IO_LINK chain ended first
//   check_drain_order       IOSQE_IO_DRAIN: nothing submitted before a drained request
//                           ends after it, nothing submitted after it ends before it
//   allowed_result          its res is one the opcode can end with in the model's state
//   check_result            ... including a poll's mask, CQE_SKIP_SUCCESS, count timeouts
//   check_cancel_pair       a cancel's answer and its target's end agree
//   check_link_timeout_pair a linked timeout and its request are never both cancelled
// and then applies its effects (bytes read or written) and silences the CQEs of the links
// a failing CQE_SKIP_SUCCESS member breaks.
#include <algorithm>

#include "oracle/oracle_impl.hpp"
#include "oracle/uring_common.hpp"

namespace ringside {

using namespace uring_model;
using model::RingModel;

Check Oracle::Impl::uring_cqe(size_t i, Req& r, const Completion& c, std::string_view data) {
  const std::string name = req_name(prog, r);
  fds.exercise(RuleId::UringExactlyOnce);
  if (r.state == ReqState::Queued)
    return violation(i, RuleId::UringExactlyOnce, "no CQE before the request is submitted", "a CQE for " + name);
  if (r.state == ReqState::Done) return check_after_final(i, r, c, name);
  const uint64_t now = uring.tick();
  count_for_count_timeouts(r, c);
  if (c.flags & model::kCqeMore) return check_more(i, r, c, name);

  FinalCqe f{i, r, c, data, name, now};
  settle_final(f);
  if (Check e = check_chain_order(f)) return e;
  if (Check e = check_drain_order(f)) return e;
  chain_state(f);
  f.cancel = cancel_evidence(r);
  RuleId rule = RuleId::UringResultRange;
  std::string detail;
  RetSet allowed = allowed_result(f, rule, detail);
  if (Check e = check_result(f, allowed, rule, detail)) return e;
  if (Check e = check_cancel_pair(f)) return e;
  if (Check e = check_link_timeout_pair(f)) return e;
  if (Check e = uring_cqe_effects(i, r, c.res, data)) return e;
  uring_released_holder(r);
  return silence_broken_links(f);
}

// A CQE for a request that already posted its final one (or omitted it).
Check Oracle::Impl::check_after_final(size_t i, const Req& r, const Completion& c, const std::string& name) {
  RuleId rule = r.silent ? RuleId::UringSkipSuccess : r.multishot ? RuleId::UringMultishotMore : RuleId::UringExactlyOnce;
  Check v = violation(i, rule, r.silent ? "no CQE (omitted)" : "no CQE after the final one",
                      "another CQE for " + name + " (res " + result_text(c.res) + ")");
  // A second final CQE: at most one (none if it was omitted) may have been taken.
  if (!(c.flags & model::kCqeMore)) return judged(std::move(v), Judged::CqeCount, r, RetSet::range(0, r.silent ? 0 : 1));
  return v;
}

// io_uring_prep_timeout(3): a count timeout completes once `count` completions were
// posted. Every CQE counts for the count timeouts armed before it; an expired timeout's
// is a posted completion too, but Linux leaves it out (cq_timeouts) unless the count is
// checked between the expiry and that CQE (measured on 6.18: a count=1 timeout ended 0
// with only another timeout's ETIME posted).
void Oracle::Impl::count_for_count_timeouts(const Req& r, const Completion& c) {
  for (Req& t : uring.reqs) {
    if (t.op != Op::UringTimeout || !t.count || t.state != ReqState::InFlight || t.ring != r.ring || t.id == r.id) continue;
    ++(r.op == Op::UringTimeout && c.res == -ETIME ? t.cqes_maybe : t.cqes_after);
    // A count timeout with CQE_SKIP_SUCCESS reached its count: it may have ended unseen
    // (unless its timer fired first: then its ETIME CQE comes). On the kernels of
    // docs/findings/count-timeout-skip-success.md the count timeouts in flight with it
    // then fire at once.
    if ((t.flags & sqe::SkipSuccess) && t.cqes_after >= t.count) {
      for (Req& o : uring.reqs)
        if (o.op == Op::UringTimeout && o.count && o.pending() && o.ring == t.ring && o.id != t.id)
          o.exposed_to_skipped_count = true;
    }
  }
}

// A CQE with IORING_CQE_F_MORE: only a multishot request posts one, and it keeps it armed.
Check Oracle::Impl::check_more(size_t i, Req& r, const Completion& c, const std::string& name) {
  fds.exercise(RuleId::UringMultishotMore);
  if (!r.multishot)
    return violation(i, RuleId::UringMultishotMore, "IORING_CQE_F_MORE only on multishot requests", "F_MORE on " + name);
  ++r.cqes;
  r.woken = false;
  Check e = check_poll_mask(i, r, c.res, name);
  r.wake_keys = 0;  // the next CQE is the next wakeup's
  return e;
}

void Oracle::Impl::settle_final(FinalCqe& f) {
  Req& r = f.r;
  ++r.cqes;
  r.state = ReqState::Done;
  r.done_tick = f.now;
  r.res = f.c.res;
  r.cancelled = cancelled_res(f.c.res);
  r.failed = !success(r, f.c.res);
  // io_recv: with MSG_WAITALL, a datagram cut short (MSG_TRUNC) fails the request, so it
  // posts its CQE despite CQE_SKIP_SUCCESS and breaks its chain (measured on 6.18).
  if (r.op == Op::UringRecv && r.waitall && f.c.res > 0 && r.desc != kNone && fds.desc(r.desc).rx != kNone) {
    const auto& ch = fds.chan(fds.desc(r.desc).rx);
    if (ch.dgram && !ch.msgs.empty() && ch.msgs.front() > static_cast<uint64_t>(f.c.res)) r.failed = true;
  }
}

// Did the request succeed, in the sense that decides CQE_SKIP_SUCCESS and chain breaking?
bool Oracle::Impl::success(const Req& r, int64_t res) const {
  const ResKind fd_kind = r.desc != kNone ? fds.desc(r.desc).kind : ResKind::Ring;
  switch (r.op) {
    case Op::UringRead:
    case Op::UringWrite:
      // Anything short of the full length fails the request (__io_complete_rw_common),
      // even an eventfd read's 8 bytes into a longer buffer (measured on 6.18). An
      // eventfd write is always the 8 bytes of a counter increment (n is its value).
      return res == static_cast<int64_t>(fd_kind == ResKind::EventFd && r.op == Op::UringWrite ? 8 : r.n);
    case Op::UringRecv:
    case Op::UringSend:
      return r.waitall ? res == static_cast<int64_t>(r.n) : res >= 0;
    case Op::UringPoll:
      return res > 0;
    case Op::UringTimeout:
      return res == 0;
    default:
      return res >= 0;
  }
}

// io_uring_enter(2) IOSQE_IO_LINK: "the next SQE will not be started before the previous
// request completes". A predecessor with CQE_SKIP_SUCCESS ends silently.
Check Oracle::Impl::check_chain_order(FinalCqe& f) {
  Req& r = f.r;
  if (r.prev == kNoReq) return std::nullopt;
  Req& p = uring.reqs[r.prev];
  fds.exercise(RuleId::UringLinkOrder);
  if (!p.pending()) return std::nullopt;
  if (!(p.flags & sqe::SkipSuccess))
    return violation(f.step, RuleId::UringLinkOrder, "the CQE of " + req_name(prog, p) + " first",
                     "the CQE of " + f.name + " (" + result_text(f.c.res) + ")", "they are linked, in this order");
  p.state = ReqState::Done;
  p.silent = true;
  p.done_tick = f.now;
  // Its success value: an eventfd moves 8 bytes whatever n says.
  const bool efd = p.desc != kNone && fds.desc(p.desc).kind == ResKind::EventFd;
  p.res = p.op == Op::UringNop ? 0 : efd && is_rw(p.op) ? 8 : static_cast<int64_t>(p.n);
  return uring_cqe_effects(f.step, p, p.res, {});
}

// Requests refused at submission, and the chains they fail, complete at once
// (io_queue_sqe_fallback fails them before any drain check); a LINK_TIMEOUT goes with the
// request it guards.
bool Oracle::Impl::refused(const Req& q) const {
  return refused_own(q) || (q.op == Op::UringLinkTimeout && q.target != kNoReq && refused_own(uring.reqs[q.target]));
}

// io_uring_enter(2) IOSQE_IO_DRAIN: "the SQE will not be started before previously
// submitted SQEs have completed, and new SQEs will not be started before this one
// completes". A drained request with CQE_SKIP_SUCCESS may have ended unseen.
Check Oracle::Impl::check_drain_order(FinalCqe& f) {
  Req& r = f.r;
  if (refused(r)) return std::nullopt;
  for (Req& o : uring.reqs) {
    if (o.ring != r.ring || o.id == r.id || o.state != ReqState::InFlight || refused(o) || !before(o, r) ||
        (o.flags & sqe::SkipSuccess))
      continue;
    if (r.drain) {
      fds.exercise(RuleId::UringDrain);
      return violation(f.step, RuleId::UringDrain, "the CQE of " + req_name(prog, o) + " first",
                       "the CQE of " + f.name + ", which has IOSQE_IO_DRAIN");
    }
    if (!o.drain) continue;
    // Members of the drained request's own chain come after it anyway, and so may a
    // linked timeout of its chain.
    const uint32_t from = r.op == Op::UringLinkTimeout && r.target != kNoReq ? r.target : r.id;
    bool same_chain = false;
    for (uint32_t p = from; p != kNoReq; p = uring.reqs[p].prev) same_chain = same_chain || p == o.id;
    if (same_chain) continue;
    fds.exercise(RuleId::UringDrain);
    return violation(f.step, RuleId::UringDrain, "the CQE of " + req_name(prog, o) + " (IOSQE_IO_DRAIN) first",
                     "the CQE of " + f.name + ", submitted after it");
  }
  return std::nullopt;
}

// A link breaks at a member that failed (io_fail_links): the rest end -ECANCELED. With
// IOSQE_IO_HARDLINK it does not, unless the member was refused at submission
// (io_queue_sqe_fallback turns the hardlink into a link).
void Oracle::Impl::chain_state(FinalCqe& f) {
  for (uint32_t p = f.r.prev; p != kNoReq; p = uring.reqs[p].prev) {
    const Req& q = uring.reqs[p];
    const bool refused_at_init = q.invalid || q.eopnotsupp;
    if (q.failed && (!(q.flags & sqe::Hardlink) || refused_at_init)) f.broken = true;
    if (q.failed && (q.flags & sqe::Hardlink) && !refused_at_init && p == f.r.prev) f.after_hard_failure = true;
    if (f.broken) break;
  }
}

// Who may have cancelled r: its linked timeout, a cancel request that found it (or may
// have), and who says nobody did.
Oracle::Impl::CancelEvidence Oracle::Impl::cancel_evidence(const Req& r) const {
  CancelEvidence e;
  if (r.ltimeout != kNoReq) {
    const Req& l = uring.reqs[r.ltimeout];
    if (l.pending() || l.res == -ETIME || l.res == -EALREADY) e.possible = true;
    else if (l.res == -ECANCELED || l.res == -ENOENT) {
      e.denied = true;
      e.denied_by = RuleId::UringLinkTimeoutOneOf;
    }
  }
  for (const Req& k : uring.reqs) {
    if (!is_cancel(k.op) || k.state == ReqState::Queued || !can_cancel(k, r)) continue;
    // A cancel whose CQE was omitted (CQE_SKIP_SUCCESS) succeeded with a count unseen.
    if (k.pending() || (k.silent && !k.failed) || (multi(k) ? cancelled_count(k) != 0 : (k.res == 0 || k.res == -EALREADY)))
      e.possible = true;
    // A request in io-wq may end cancelled by a counting cancel that did not count it.
    if (multi(k) && maybe_in_iowq(r)) e.tol = TolId::UringCancelIowqUncounted;
    if (!k.pending() && !multi(k) && k.res == -ENOENT) e.denied = true;
    if (!k.pending() && k.op == Op::UringTimeoutRemove && (k.res == -EBUSY || k.res == -EALREADY || k.res == -ENOENT)) {
      e.denied = true;
      e.denied_by = RuleId::UringTimeoutRemove;
    }
  }
  if (r.must_cancel) e.possible = true;
  if (e.tol == kNoTol)
    for (const Req& k : uring.reqs)
      if (held_cancel_findable(k, r)) e.tol = TolId::UringCancelFindsHeldCancel;
  return e;
}

// The result checks proper: a cancellation where a cancel said it found nothing, a poll's
// mask, the allowed set, CQE_SKIP_SUCCESS and count timeouts.
Check Oracle::Impl::check_result(FinalCqe& f, const RetSet& allowed, RuleId rule, const std::string& detail) {
  Req& r = f.r;
  if (r.cancelled && !f.broken && !f.cancel.possible && f.cancel.denied) {
    fds.exercise(f.cancel.denied_by);
    Check v = judged(violation(f.step, f.cancel.denied_by, "the request ends normally", result_text(f.c.res),
                               f.cancel.denied_by == RuleId::UringLinkTimeoutOneOf ? "its linked timeout said it completed first"
                                                                                   : "a cancel answered ENOENT for it"),
                     Judged::CqeRes, r, not_cancelled());
    if (f.cancel.tol == kNoTol) return v;
    if (Check e = tolerate(f.cancel.tol, *v)) return e;
  }
  if (r.op == Op::UringPoll && f.c.res > 0 && !f.broken && !r.badf) {
    fds.exercise(RuleId::UringPollReady);
    if (Check e = check_poll_mask(f.step, r, f.c.res, f.name)) return e;
  } else if (Check e = expect(f.step, rule, allowed, f.c.res, detail.empty() ? f.name : f.name + ": " + detail,
                              Judged::CqeRes, ud_of(r))) {
    return e;
  }
  if (r.flags & sqe::SkipSuccess) {
    fds.exercise(RuleId::UringSkipSuccess);
    if (!r.failed)
      return violation(f.step, RuleId::UringSkipSuccess, "no CQE for a successful request",
                       "a CQE for " + f.name + " (" + result_text(f.c.res) + ")");
  }
  return check_count_timeout(f);
}

// A count timeout that ended 0: after `count` other CQEs. With the CQ ring possibly
// overflowing, CQ order is not posting order (overflowed CQEs are flushed later): the CQEs
// before it in the ring do not bound the count.
Check Oracle::Impl::check_count_timeout(FinalCqe& f) {
  Req& r = f.r;
  if (r.op != Op::UringTimeout || !r.count || f.c.res != 0) return std::nullopt;
  fds.exercise(RuleId::UringTimeoutCount);
  if (r.cqes_after + r.cqes_maybe >= r.count || uring.rings[r.ring].overflow_possible()) return std::nullopt;
  Violation v{RuleId::UringTimeoutCount, f.step, "0 only after " + std::to_string(r.count) + " other CQEs",
              "0 after " + std::to_string(r.cqes_after + r.cqes_maybe), f.name};
  if (r.exposed_to_skipped_count) return tolerate(TolId::UringTimeoutCountAfterSkippedCqe, v);
  return v;
}

}  // namespace ringside
