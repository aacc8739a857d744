// Families 4-6: reaping. Each CQE taken is judged (uring_cqe.cpp); then what a wait that
// ended tells: counting cancels whose targets have all ended, cancels that complete by the
// time their submission returns, and CQEs that were due but did not come.
#include <algorithm>

#include "oracle/oracle_impl.hpp"
#include "oracle/uring_common.hpp"

namespace ringside {

using namespace uring_model;
using model::RingModel;

Check Oracle::Impl::uring_reap(size_t i, const Step& s, const Observation& obs) {
  const uint32_t ri = uring.ring_of.at(id_of(s.ins[0]));
  RingModel& ring = uring.rings[ri];
  const int64_t min = s.param(0), max = s.param(1), timeout = s.param(2);
  if (obs.ret < 0) return violation(i, RuleId::Errno, "a count of CQEs", result_text(obs.ret));
  if (obs.ret != static_cast<int64_t>(obs.cqes.size()) || obs.ret > max)
    return violation(i, RuleId::Errno, "at most " + std::to_string(max) + " CQEs", std::to_string(obs.ret));
  size_t data_at = 0;
  for (const Completion& c : obs.cqes) {
    Req* r = c.user_data >= 1 ? uring.by_user_data(c.user_data) : nullptr;
    if (r && r->ring != ri) r = nullptr;
    if (!r)
      return violation(i, RuleId::UringExactlyOnce, "CQEs of requests submitted on this ring",
                       "a CQE with user_data " + std::to_string(c.user_data) + " (res " + result_text(c.res) + ")");
    std::string_view data;
    if (reads(r->op) && c.res > 0 && !(c.flags & model::kCqeMore)) {
      size_t len = std::min(static_cast<size_t>(c.res), obs.data.size() - std::min(obs.data.size(), data_at));
      data = std::string_view(obs.data).substr(std::min(data_at, obs.data.size()), len);
      data_at += static_cast<size_t>(c.res);
    }
    if (Check e = uring_cqe(i, *r, c, data)) return e;
  }
  if (Check e = uring_cancel_counts(i)) return e;
  Check e = uring_settled(i, ring, obs, timeout, min, max);
  // Everything there was taken: the CQ ring (and its overflow list) is empty again.
  if (static_cast<int64_t>(obs.cqes.size()) < max) ring.max_in_flight = uring.in_flight(ri);
  return e;
}

// A counting cancel's answer, once every request it could have taken has ended: it counts
// the requests it cancelled (io_uring_prep_cancel(3) IORING_ASYNC_CANCEL_ALL, _ANY).
Check Oracle::Impl::uring_cancel_counts(size_t i) {
  for (Req& c : uring.reqs) {
    // A count cancel with CQE_SKIP_SUCCESS that succeeded said nothing: no count to check.
    if (!multi(c) || c.pending() || c.settled || c.silent || cancelled_count(c) < 0) continue;
    const CountBounds b = cancel_count_bounds(c);
    if (!b.settled) continue;
    c.settled = true;
    fds.exercise(RuleId::UringCancelCount);
    RetSet allowed = RetSet::range(b.lo + b.lo_excused, b.hi);
    allowed.add(b.lo, b.lo + b.lo_excused - 1, b.tol).add(b.hi + 1, b.hi + b.hi_extra, b.tol);
    const RuleId rule = counts(c) ? RuleId::UringCancelCount : RuleId::UringCancelConsistent;
    const int64_t said = cancelled_count(c);
    Check v = expect(i, rule, allowed, said, req_name(prog, c) + ": the requests that ended cancelled by it");
    // A counting cancel's res is the count itself.
    if (v && counts(c)) return judged(std::move(v), Judged::CqeRes, c, RetSet::range(b.lo + b.lo_excused, b.hi));
    if (v) return v;
  }
  return std::nullopt;
}

// How many requests cancel c may have cancelled: at most those that ended cancelled, at
// least those that nothing else may have cancelled. Linux counts a request found running
// in io-wq even if it then completes, and may end one in io-wq cancelled uncounted
// (io_wq_cancel_cb); an ANY or FD cancel may find held cancels, and count itself.
Oracle::Impl::CountBounds Oracle::Impl::cancel_count_bounds(const Req& c) const {
  CountBounds b;
  for (const Req& o : uring.reqs) {
    const bool held = !can_cancel(c, o);
    if ((held && !held_cancel_findable(c, o)) || !(o.state == ReqState::InFlight || o.done_tick > c.submit_tick)) continue;
    if (o.pending()) b.settled = false;
    const bool in_iowq = maybe_in_iowq(o);
    if (!o.cancelled || held) {
      if (!o.cancelled && !in_iowq) continue;
      ++b.hi_extra;  // counted though it completed, or a held cancel it ended
      b.tol = held ? TolId::UringCancelFindsHeldCancel : TolId::UringCancelIowqUncounted;
      continue;
    }
    ++b.hi;
    bool other = o.ltimeout != kNoReq;
    for (uint32_t p = o.prev; p != kNoReq; p = uring.reqs[p].prev) other = other || uring.reqs[p].failed;
    TolId excuse = in_iowq ? TolId::UringCancelIowqUncounted : kNoTol;
    for (const Req& k : uring.reqs) {
      if (k.id == c.id || !is_cancel(k.op) || k.state == ReqState::Queued) continue;
      if (can_cancel(k, o)) other = true;
      else if (held_cancel_findable(k, o) && excuse == kNoTol) excuse = TolId::UringCancelFindsHeldCancel;
    }
    if (other) continue;
    if (excuse != kNoTol) {
      ++b.lo_excused;  // it may have ended cancelled uncounted, or by another cancel
      b.tol = excuse;
      continue;
    }
    ++b.lo;
  }
  if (may_count_itself(c)) {
    ++b.hi_extra;
    if (b.tol == kNoTol) b.tol = TolId::UringCancelCountsItself;
  }
  return b;
}

// Must request r have started (been issued) within a wait of timeout_ms: its predecessor
// in the chain ended, and whatever a drain orders it behind?
bool Oracle::Impl::uring_start_due(uint32_t ri, const Req& r, int64_t timeout_ms) const {
  if (r.prev != kNoReq && uring.reqs[r.prev].pending() && !uring_cqe_due(ri, uring.reqs[r.prev], timeout_ms)) return false;
  // A drained request waits for everything submitted before it. So does one the ring's
  // drain state held back: recent Linux issues a deferred request only once every live
  // request of the ring is deferred too (io_queue_deferred: nr_req_allocated ==
  // nr_drained), so a member of a drained chain still running (a multishot poll) holds
  // it back, drained or not (measured on 6.18).
  for (const Req& o : uring.reqs)
    if (o.ring == ri && o.state == ReqState::InFlight && before(o, r) && (r.drain || o.drain || r.held) &&
        !uring_cqe_due(ri, o, timeout_ms))
      return false;
  return true;
}

// The kernel bug of docs/findings/link-timeout-drained-chain.md: a read guarded by a
// LINK_TIMEOUT that io-wq issues as a blocking call (it has no IOSQE_ASYNC of its own, but
// its chain went to io-wq: drained by a later member, IOSQE_ASYNC on an earlier head, or
// left open at the end of its submission) blocks before its timeout is armed; on 6.18 the
// timeout did not fire within 3 s. (With IOSQE_ASYNC on the read itself, io-wq polls it.)
bool Oracle::Impl::ltimeout_blocked_in_iowq(const Req& guarded) const {
  if (guarded.flags & sqe::Async) return false;
  uint32_t head = guarded.id;
  while (uring.reqs[head].prev != kNoReq) head = uring.reqs[head].prev;
  const Req& h = uring.reqs[head];
  return h.drain_from_member || h.dangling || (head != guarded.id && (h.flags & sqe::Async));
}

// A request is due if it must post its final CQE within the wait (kSettleMs allows for
// scheduling; timers add their time), after whatever it is ordered behind.
std::optional<RuleId> Oracle::Impl::uring_cqe_due(uint32_t ri, const Req& r, int64_t timeout_ms) const {
  if (r.ring != ri || r.state != ReqState::InFlight || r.abandoned || r.badf) return std::nullopt;
  if (r.flags & sqe::SkipSuccess) return std::nullopt;
  for (uint32_t p = r.prev; p != kNoReq; p = uring.reqs[p].prev)
    if (uring.reqs[p].flags & sqe::SkipSuccess) return std::nullopt;  // its CQE may be omitted
  auto within = [&](int64_t us) { return us / 1000 + model::kSettleMs <= timeout_ms; };
  if (!uring_start_due(ri, r, timeout_ms)) return std::nullopt;
  if (r.must_cancel) return RuleId::UringCancelConsistent;
  if (r.invalid || r.eopnotsupp) return RuleId::UringExactlyOnce;
  const bool bug_tolerated = ledger.policy().admits(TolId::UringLinkTimeoutNeverFiresInIowqChain);
  if (r.ltimeout != kNoReq && uring.reqs[r.ltimeout].pending() && within(uring.reqs[r.ltimeout].t_us) &&
      !(bug_tolerated && ltimeout_blocked_in_iowq(r)))
    return RuleId::UringLinkTimeoutOneOf;
  switch (r.op) {
    case Op::UringNop:
      return within(0) ? std::optional(RuleId::UringExactlyOnce) : std::nullopt;
    case Op::UringTimeout:
      return within(r.t_us) ? std::optional(RuleId::UringTimeoutFire) : std::nullopt;
    case Op::UringLinkTimeout:
      if (r.target != kNoReq && bug_tolerated && ltimeout_blocked_in_iowq(uring.reqs[r.target])) return std::nullopt;
      return within(r.t_us) ? std::optional(RuleId::UringLinkTimeoutOneOf) : std::nullopt;
    case Op::UringCancel:
    case Op::UringCancelFd:
    case Op::UringCancelAny:
    case Op::UringPollRemove:
    case Op::UringTimeoutRemove:
      return within(0) ? std::optional(RuleId::UringCancelConsistent) : std::nullopt;
    case Op::UringPoll: {
      if (r.multishot || fds.desc_unjudged(r.desc)) return std::nullopt;
      const uint32_t filter = (r.events & ev::Modeled) | ev::Err | ev::Hup;
      return (fds.readiness(r.desc).soon_bits() & filter) && within(0) ? std::optional(RuleId::UringPollReady) : std::nullopt;
    }
    default:
      return rw_due(r, within(0));
  }
}

// A read or write must complete when what it waits for is certainly there.
std::optional<RuleId> Oracle::Impl::rw_due(const Req& r, bool quick) const {
  const Desc& d = fds.desc(r.desc);
  if (fds.desc_unjudged(r.desc) || !quick) return std::nullopt;
  if (d.kind == ResKind::File) return RuleId::UringExactlyOnce;
  if (d.kind == ResKind::EventFd) return reads(r.op) ? std::nullopt : std::optional(RuleId::UringExactlyOnce);
  if (reads(r.op)) {
    if (d.rx == kNone) return std::nullopt;
    const auto& ch = fds.chan(d.rx);
    if (ch.uring_readers > 1) return std::nullopt;
    const Level eof = d.kind == ResKind::PipeRead ? ch.eof : strongest(ch.eof, d.rcv_shut);
    const bool ends = (eof == Level::Yes || eof == Level::Soon) && !ch.dgram;  // an empty datagram socket may wait on
    if (r.waitall) return ch.queued() >= r.n || ends ? std::optional(RuleId::UringRecvWaitall) : std::nullopt;
    return ch.queued() > 0 || ends ? std::optional(RuleId::UringExactlyOnce) : std::nullopt;
  }
  // Writes: certain when there is room for all of it, or it certainly fails (no room is
  // not a failure: io_uring waits for room where write(2) says EAGAIN).
  Desc nb = d;
  nb.nonblock = true;
  RuleId wr;
  int64_t only;
  RetSet w = write_expect(nb, r.n, wr);
  return w.single(only) && only != -EAGAIN ? std::optional(RuleId::UringExactlyOnce) : std::nullopt;
}

// An armed multishot poll woken while its fd is ready posts again.
bool Oracle::Impl::uring_more_due(uint32_t ri, const Req& r, int64_t timeout_ms) const {
  if (r.ring != ri || r.state != ReqState::InFlight || !r.multishot || !r.woken || r.abandoned ||
      fds.desc_unjudged(r.desc) || model::kSettleMs > timeout_ms)
    return false;
  // Its first CQE needs it started (a drain may hold it back).
  if (r.cqes == 0 && !uring_start_due(ri, r, timeout_ms)) return false;
  const uint32_t filter = (r.events & ev::Modeled) | ev::Err | ev::Hup;
  return (fds.readiness(r.desc).yes_bits() & filter) != 0;
}

// What a wait that ended tells: a cancel's CQE, and the CQE of a target it cancelled, are
// posted by the time its submission returned (io_uring_prep_cancel(3) NOTES); a wait that
// timed out with fewer than `min` CQEs must not have left out one that was due.
Check Oracle::Impl::uring_settled(size_t i, RingModel& ring, const Observation& obs, int64_t timeout_ms, int64_t min,
                                  int64_t max) {
  const uint32_t ri = static_cast<uint32_t>(&ring - uring.rings.data());
  if (static_cast<int64_t>(obs.cqes.size()) < max)
    if (Check e = check_sync_cancels(i, ri)) return e;
  if (obs.value != -ETIME || obs.deadline_hit) return std::nullopt;
  std::vector<std::pair<const Req*, RuleId>> missing;
  std::vector<bool> final_due;  // per entry of `missing`: a final CQE (else a multishot wakeup)
  for (const Req& r : uring.reqs) {
    if (auto rule = uring_cqe_due(ri, r, timeout_ms)) {
      missing.push_back({&r, *rule});
      final_due.push_back(true);
    }
    if (uring_more_due(ri, r, timeout_ms)) {
      missing.push_back({&r, RuleId::UringMultishotMore});
      final_due.push_back(false);
    }
  }
  note_ltimeout_bug(i, ri, timeout_ms);
  if (missing.empty() || static_cast<int64_t>(obs.cqes.size() + missing.size()) < min) return std::nullopt;
  const Req& r = *missing.front().first;
  RuleId rule = missing.front().second;
  std::string detail = "it must have completed";
  if (ring.overflow_possible()) {
    rule = RuleId::UringOverflowNodrop;
    detail = "more requests were in flight than the CQ ring holds (" + std::to_string(ring.max_in_flight) + " > " +
             std::to_string(ring.cq) + ")";
  } else if (const Req* o = blocking_request(ri, r, timeout_ms)) {
    rule = RuleId::UringUnlinkedAny;
    detail = "it is not linked to " + req_name(prog, *o) + ", which is still pending";
  }
  fds.exercise(rule);
  Check v = violation(i, rule, "the CQE of " + req_name(prog, r) + " within " + std::to_string(timeout_ms) + "ms",
                      std::to_string(obs.cqes.size()) + " CQE(s), then the wait timed out", detail);
  // The kernel bug of docs/findings/link-timeout-drained-chain.md would explain it.
  const bool ltimeout_bug = (r.ltimeout != kNoReq && ltimeout_blocked_in_iowq(r)) ||
                            (r.op == Op::UringLinkTimeout && r.target != kNoReq &&
                             ltimeout_blocked_in_iowq(uring.reqs[r.target]));
  if (v && ltimeout_bug) v->needs = {TolId::UringLinkTimeoutNeverFiresInIowqChain};
  // A final CQE that was due: it must have been taken by now (a multishot wakeup is not a
  // final CQE and stays Unknown).
  if (final_due.front()) return judged(std::move(v), Judged::CqeCount, r, RetSet::range(1, INT64_MAX));
  return v;
}

Check Oracle::Impl::check_sync_cancels(size_t i, uint32_t ri) {
  for (const Req& r : uring.reqs) {
    if (r.ring != ri || r.state != ReqState::InFlight || r.abandoned) continue;
    // A request the ring's drain state held back ran later, from task work, even if the
    // drain has ended by now. With CQE_SKIP_SUCCESS a cancel that succeeded posts nothing
    // (a count, ANY or ALL, always succeeds).
    const bool drained = r.drain || r.held;
    const bool sync_cancel = is_cancel(r.op) && !drained && !may_run_in_iowq(r) && !(r.flags & sqe::SkipSuccess);
    if (!sync_cancel && !r.must_cancel) continue;
    fds.exercise(RuleId::UringCancelConsistent);
    return violation(i, RuleId::UringCancelConsistent, "the CQE of " + req_name(prog, r) + " (posted by submission)",
                     "not among the CQEs", r.must_cancel ? "a cancel answered 0 for it" : "cancels complete synchronously");
  }
  return std::nullopt;
}

// A request submitted before r, not linked to it and still pending, that r's CQE is not
// ordered behind: if r was due, that one is no excuse.
const model::Req* Oracle::Impl::blocking_request(uint32_t ri, const Req& r, int64_t timeout_ms) const {
  for (const Req& o : uring.reqs) {
    if (o.ring != ri || o.state != ReqState::InFlight || !before(o, r) || o.drain || r.drain) continue;
    bool linked = false;
    for (uint32_t p = r.prev; p != kNoReq; p = uring.reqs[p].prev) linked = linked || p == o.id;
    if (!linked && !uring_cqe_due(ri, o, timeout_ms)) return &o;
  }
  return nullptr;
}

// A wait timed out while a linked timeout that the kernel bug keeps from firing was
// pending: the tolerance (when on) kept it from being due.
void Oracle::Impl::note_ltimeout_bug(size_t i, uint32_t ri, int64_t timeout_ms) {
  if (!ledger.policy().admits(TolId::UringLinkTimeoutNeverFiresInIowqChain)) return;
  for (const Req& r : uring.reqs)
    if (r.ring == ri && r.state == ReqState::InFlight && r.ltimeout != kNoReq && uring.reqs[r.ltimeout].pending() &&
        ltimeout_blocked_in_iowq(r) && uring.reqs[r.ltimeout].t_us / 1000 + model::kSettleMs <= timeout_ms) {
      ledger.admit(TolId::UringLinkTimeoutNeverFiresInIowqChain,
                   Violation{RuleId::UringLinkTimeoutOneOf, i, "the CQE of " + req_name(prog, r), "none", {}});
      return;
    }
}

}  // namespace ringside
