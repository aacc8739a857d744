// Families 4-6: the results a request's final CQE may carry, given how its chain went, who
// may have cancelled it, and what its opcode can end with in the state the model knows.
#include <algorithm>

#include "oracle/oracle_impl.hpp"
#include "oracle/uring_common.hpp"

namespace ringside {

using namespace uring_model;

RetSet Oracle::Impl::allowed_result(FinalCqe& f, RuleId& rule, std::string& detail) {
  Req& r = f.r;
  RetSet allowed;
  // Refused at submission: its own error, whatever its chain does.
  if (r.eopnotsupp) {
    // io_uring_enter(2): IOSQE_IO_DRAIN after IOSQE_CQE_SKIP_SUCCESS; Linux refuses it
    // (a linux rule: the documents leave it undefined).
    rule = RuleId::UringDrainAfterSkip;
    return RetSet::err(EOPNOTSUPP);
  }
  if (r.invalid) {
    detail = r.op == Op::UringPoll ? "a multishot POLL_ADD with CQE_SKIP_SUCCESS is refused"
                                   : "a LINK_TIMEOUT needs a request with IOSQE_IO_LINK just before it";
    return RetSet::err(EINVAL);
  }
  if (r.chain_failed_at_init && linux_rules()) {
    f.broken = true;
    rule = RuleId::UringLinkCancelRest;
    detail = "another member of its chain was refused at submission, which fails the whole chain";
    return RetSet::err(ECANCELED);
  }
  if (f.broken) {
    rule = RuleId::UringLinkCancelRest;
    detail = "an earlier member of its chain failed";
    return RetSet::err(ECANCELED);
  }
  if (r.badf) {
    allowed = RetSet::err(EBADF);
    // Issued later (from io-wq), it looks its fd up only then: a cancel may end it first.
    if (f.cancel.possible && may_run_in_iowq(r)) allowed.add_err(ECANCELED);
    detail = "its fd was closed before it was submitted";
    return allowed;
  }
  if (r.must_cancel) {
    rule = r.must_cancel_rule;
    allowed = RetSet::of({-ECANCELED, -EINTR}).add(moved_before_cancel(r));
    r.cancelled = allowed.contains(f.c.res);
    detail = "a cancel answered 0 for it";
    return allowed;
  }
  allowed = op_result(r, rule, detail);
  add_other_ends(f, allowed, rule, detail);
  return allowed;
}

// What the opcode itself may end with.
RetSet Oracle::Impl::op_result(const Req& r, RuleId& rule, std::string& detail) {
  switch (r.op) {
    case Op::UringNop:
      return RetSet::of({0});
    case Op::UringTimeout:
      rule = RuleId::UringTimeoutFire;
      return r.count ? RetSet::of({-ETIME, 0}) : RetSet::err(ETIME);
    case Op::UringLinkTimeout:
      rule = RuleId::UringLinkTimeoutOneOf;
      return RetSet::of({-ETIME, -ECANCELED, -EALREADY, -ENOENT});
    case Op::UringCancel:
    case Op::UringPollRemove:
    case Op::UringTimeoutRemove:
    case Op::UringCancelFd:
    case Op::UringCancelAny:
      return multi(r) ? multi_cancel_result(r, rule, detail) : cancel_result(r, rule, detail);
    case Op::UringPoll: {
      rule = RuleId::UringPollReady;
      // A regular file has no wait queue and is only ever IN|OUT: a poll for neither
      // cannot be armed, and __io_arm_poll_handler fails it (measured: -EINVAL).
      const Desc* d = r.desc != kNone ? &fds.desc(r.desc) : nullptr;
      if (d && d->kind == ResKind::File && !(r.events & (ev::In | ev::Out))) {
        detail = "a regular file cannot be waited on for these events";
        return RetSet::err(EINVAL);
      }
      return RetSet::range(1, INT32_MAX);
    }
    default:
      return rw_result(r, rule, detail);
  }
}

// Ends other than its own: a cancellation, an error its socket had, a closed fd...
void Oracle::Impl::add_other_ends(FinalCqe& f, RetSet& allowed, RuleId& rule, std::string& detail) {
  Req& r = f.r;
  const RetSet moved = moved_before_cancel(r);
  if (f.cancel.possible || f.cancel.tol != kNoTol) {
    // A short count no normal end explains is the count moved before the cancel.
    if (!allowed.contains(f.c.res) && moved.contains(f.c.res)) r.cancelled = true;
    const TolId t = f.cancel.possible ? kNoTol : f.cancel.tol;
    allowed.add_err(ECANCELED, t).add_err(EINTR, t).add(moved, t);
  }
  if (r.maybe_badf) allowed.add_err(EBADF);
  // It may have taken the error pending at its submission, whatever the state now.
  if (r.err_pending) allowed.add_err(ECONNREFUSED).add_err(ECONNRESET);
  if (r.unconnected_at_submit && reads(r.op))
    allowed.add(unconnected_read(fds.desc(r.desc)).add_err(EINVAL).add_err(ENOTCONN));
  if (r.unconnected_at_submit && !reads(r.op)) allowed.add_err(ENOTCONN).add_err(EPIPE);
  // contract: a chain refused at submission may cancel its other members or not: the
  // documents do not say (linux: it does, allowed_result).
  if (r.chain_failed_at_init) allowed.add_err(ECANCELED, TolId::UringLinkRefusedMemberFailsChain);
  if (r.desc != kNone && fds.desc_unjudged(r.desc))
    allowed.add(-4095, is_rw(r.op) ? static_cast<int64_t>(r.n) : INT32_MAX, *ledger.span_tol(r.desc));
  if (f.after_hard_failure) {
    rule = RuleId::UringHardlinkContinue;
    detail = "its predecessor failed, but with IOSQE_IO_HARDLINK";
  }
}

// ASYNC_CANCEL by fd, ANY, or ALL of a user_data: 0/ENOENT/EALREADY for the first found,
// or how many it cancelled (ALL, ANY).
RetSet Oracle::Impl::multi_cancel_result(const Req& r, RuleId& rule, std::string& detail) {
  int64_t matching = 0, held = 0;
  for (const Req& o : uring.reqs) {
    if (!(o.state == ReqState::InFlight || o.done_tick > r.submit_tick)) continue;
    if (can_cancel(r, o)) ++matching;
    else if (held_cancel_findable(r, o)) ++held;
  }
  detail = std::to_string(matching + held) + " matching request(s) in flight when it was submitted";
  if (counts(r)) {
    rule = RuleId::UringCancelCount;
    RetSet allowed = RetSet::range(0, matching);
    allowed.add(matching + 1, matching + held, TolId::UringCancelFindsHeldCancel);
    if (may_count_itself(r)) allowed.add(matching + held + 1, TolId::UringCancelCountsItself);
    return allowed;
  }
  rule = RuleId::UringCancelConsistent;
  RetSet allowed = matching ? RetSet::of({0, -ENOENT, -EALREADY}) : RetSet::err(ENOENT);
  if (!matching && held) allowed.add(0, TolId::UringCancelFindsHeldCancel).add_err(EALREADY, TolId::UringCancelFindsHeldCancel);
  // Linux: an FD cancel issued from io-wq that matches nothing answers -EALREADY (it
  // finds its own running work; measured on 6.18).
  if (may_run_in_iowq(r)) allowed.add_err(EALREADY, TolId::UringCancelFdIowqFindsItself);
  return allowed;
}

// A cancel of one request: 0 or EALREADY if it found it, ENOENT if it could not have.
RetSet Oracle::Impl::cancel_result(const Req& r, RuleId& rule, std::string& detail) {
  rule = r.op == Op::UringTimeoutRemove ? RuleId::UringTimeoutRemove : RuleId::UringCancelConsistent;
  const Req* t = r.target != kNoReq ? &uring.reqs[r.target] : nullptr;
  const bool findable = t && can_cancel(r, *t) && !(t->state == ReqState::Done && t->done_tick < r.submit_tick);
  if (!findable) {
    detail = "its target was not in flight on this ring when it was submitted";
    return RetSet::err(ENOENT);
  }
  RetSet allowed = RetSet::of({0, -EALREADY});
  if (r.op == Op::UringTimeoutRemove) allowed.add_err(EBUSY);
  const NotFound nf = why_not_found(r, *t);
  if (nf.ruled) allowed.add_err(ENOENT);
  else if (nf.tol != kNoTol) allowed.add_err(ENOENT, nf.tol);
  else detail = "its target could not have completed: it was still pending";
  return allowed;
}

// -ENOENT says the target was not pending: only if it could have finished, or was not
// findable yet (not started, or a poll still queued to io-wq).
Oracle::Impl::NotFound Oracle::Impl::why_not_found(const Req& r, const Req& t) const {
  NotFound nf;
  // A linked request starts from task work once its predecessor ends: after the rest of
  // that submission, a cancel in it included. Only a predecessor whose end was seen
  // before the cancel's submission has surely let it start.
  const Req* pred = t.prev != kNoReq ? &uring.reqs[t.prev] : nullptr;
  if (pred && !(!pred->pending() && pred->done_tick < r.submit_tick)) nf.tol = TolId::UringCancelMissesUnstartedLink;
  // POLL_REMOVE searches armed polls only: a poll still queued to io-wq is not found.
  if (r.op == Op::UringPollRemove && may_run_in_iowq(t)) nf.tol = TolId::UringPollRemoveMissesIowqPoll;
  if (!target_blocked(r, t, nf)) nf.ruled = true;
  return nf;
}

// Could the target not have completed by itself before the cancel looked?
bool Oracle::Impl::target_blocked(const Req& r, const Req& t, NotFound& nf) const {
  if (t.state != ReqState::InFlight || t.desc == kNone || t.badf || fds.desc_unjudged(t.desc)) return false;
  const Desc& td = fds.desc(t.desc);
  bool blocked = false;
  if (reads(t.op) && td.rx != kNone && td.kind != ResKind::File) {
    const auto& ch = fds.chan(td.rx);
    blocked = ch.queued() == 0 && ch.maybe_sent == 0 && ch.eof == Level::No && td.rcv_shut == Level::No &&
              td.reset == Level::No && td.err_level == Level::No;
  } else if (t.op == Op::UringPoll && t.multishot) {
    blocked = true;  // armed until removed (or the CQ overflows)
  } else if (t.op == Op::UringPoll) {
    const uint32_t f = (t.events & ev::Modeled) | ev::Err | ev::Hup;
    blocked = std::none_of(t.states.begin(), t.states.end(), [&](const ReadySet& rs) { return rs.possible_bits() & f; }) &&
              !(fds.readiness(t.desc).possible_bits() & f);
  }
  if (t.multishot && uring.rings[t.ring].overflow_possible()) blocked = false;
  // A multishot poll on its own ring is woken by the CQEs it posts itself; Linux may end it
  // before the remove looks (seen once by libFuzzer on 6.18, on a ring reused from earlier
  // inputs; not reproduced alone).
  const auto own = uring.ring_of.find(t.desc);
  if (blocked && t.multishot && own != uring.ring_of.end() && own->second == t.ring)
    nf.tol = TolId::UringPollMultishotOwnRingEnds;
  // A predecessor that failed broke the link: the target ends -ECANCELED without
  // starting (io_fail_links), possibly before this cancel looked.
  for (uint32_t p = t.prev; p != kNoReq; p = uring.reqs[p].prev)
    if (uring.reqs[p].failed && !(uring.reqs[p].flags & sqe::Hardlink)) blocked = false;
  // Another cancel submitted before it (a POLL_REMOVE, a cancel of the same request) may
  // have taken the target first: then this one finds nothing.
  for (const Req& k : uring.reqs)
    if (k.id != r.id && is_cancel(k.op) && k.state != ReqState::Queued && before(k, r) && can_cancel(k, t)) blocked = false;
  return blocked;
}

// Reads and writes on files, eventfds, pipes and sockets.
RetSet Oracle::Impl::rw_result(const Req& r, RuleId& rule, std::string& detail) {
  const Desc& d = fds.desc(r.desc);
  const int64_t n = static_cast<int64_t>(r.n);
  if (d.kind == ResKind::File) {
    rule = RuleId::FileRw;
    if (!reads(r.op)) return RetSet::of({n});
    const auto& fc = fds.content(r.desc);
    auto span = [&](uint64_t size) {
      const uint64_t off = static_cast<uint64_t>(r.off);
      return static_cast<int64_t>(std::min<uint64_t>(r.n, off < size ? size - off : 0));
    };
    // It may have run as soon as it was submitted, before writes since (files only grow).
    return RetSet::range(span(std::min(r.file_size_at_submit, fc.size_certain())), span(fc.size_possible()));
  }
  if (d.kind == ResKind::EventFd) {
    rule = RuleId::EventfdWrite;
    return r.n < 8 && reads(r.op) ? RetSet::err(EINVAL) : RetSet::of({8});
  }
  if (!reads(r.op)) {
    // As write(2) would answer, except that io_uring waits for room instead of failing
    // with EAGAIN, and a send may end short.
    Desc nb = d;
    nb.nonblock = true;
    RetSet w = write_expect(nb, r.n, rule);
    if (w.contains(n) && !w.contains(-EAGAIN)) return w;
    RetSet allowed = RetSet::range(r.waitall ? n : 1, n);
    for (int e : {EPIPE, ECONNRESET, ENOTCONN, ECONNREFUSED, EMSGSIZE})
      if (w.contains(-e)) allowed.add_err(e);
    return allowed;
  }
  return read_result(r, d, rule, detail);
}

// Reads on pipes and sockets: what was queued (and what io_uring writes in flight toward
// it may have put), the end of the stream, a reset.
RetSet Oracle::Impl::read_result(const Req& r, const Desc& d, RuleId& rule, std::string& detail) {
  const int64_t n = static_cast<int64_t>(r.n);
  rule = RuleId::ReadCount;
  RetSet allowed;
  // Issued by io-wq rather than by its submission (a chain member, a chain left open,
  // drained), a read of an empty O_NONBLOCK file is as read(2): EAGAIN (measured on 6.18;
  // issued inline, Linux arms a poll and waits instead).
  const TolId iowq_eagain = TolId::UringReadIowqNonblockEagain;
  if (d.rx == kNone || (d.kind != ResKind::PipeRead && d.sock != Sock::Established)) {
    // As read(2) on the socket, which may have connected (0 at its end) meanwhile.
    allowed = unconnected_read(d).add(0);
    if (d.nonblock && may_run_in_iowq(r)) allowed.add_err(EAGAIN, iowq_eagain);
    return allowed;
  }
  const auto& ch = fds.chan(d.rx);
  const uint64_t q = ch.queued();
  // An io_uring write in flight toward it may land, and be read, before its own CQE.
  const uint64_t q_most = ch.dgram ? q : ch.queued_at_most();
  Level eof = d.kind == ResKind::PipeRead ? ch.eof : strongest(ch.eof, d.rcv_shut);
  if (ch.dgram) {
    rule = RuleId::DgramBoundary;
    if (!ch.msgs.empty()) allowed.add(std::min<int64_t>(n, static_cast<int64_t>(ch.msgs.front())));
    if (ch.maybe_sent > 0 || ch.uring_readers > 1) allowed.add(0, n);  // another message may come first
  } else if (r.waitall) {
    rule = RuleId::UringRecvWaitall;
    if (q_most >= r.n) allowed.add(n);
    if ((q < r.n || may_end_before_in_flight(d, ch)) &&
        (eof != Level::No || possible(d.reset) || possible(d.err_level)))
      allowed.add(0, static_cast<int64_t>(std::min(q_most, r.n - 1)));
    detail = std::to_string(q) + " of " + std::to_string(r.n) + " bytes had been sent";
  } else if (q_most > 0) {
    allowed.add(1, std::min<int64_t>(n, static_cast<int64_t>(q_most)));
  }
  if (eof != Level::No && (q == 0 || (ch.known_arrived() == 0 && may_end_before_in_flight(d, ch)))) allowed.add(0);
  // Readers that compete (other io_uring reads, read(2)) may have taken what was there.
  if (eof != Level::No && ch.bytes.bounded()) allowed.add(0);
  // unix_dgram_recvmsg: an empty datagram socket shut for reading says EAGAIN to a
  // nonblocking attempt (only SOCK_SEQPACKET signals EOF), which io_uring makes first.
  if (ch.dgram && eof != Level::No && q == 0) allowed.add_err(EAGAIN);
  if (possible(d.reset) || possible(d.err_level)) allowed.add_err(ECONNRESET).add(0);
  // It may have run before anything arrived.
  if (d.nonblock && may_run_in_iowq(r) && (ch.known_arrived() == 0 || r.rx_empty_at_submit)) allowed.add_err(EAGAIN, iowq_eagain);
  if (allowed.empty()) detail = "nothing had been written to it";
  return allowed;
}

// io_uring retries a MSG_WAITALL send or recv on a stream socket that moved only part of
// its bytes, keeping count; cancelled (or failed) later, it ends with that count rather
// than -ECANCELED (io_sendrecv_fail, io_uring/net.c). A recv can have moved at most the
// bytes that had arrived; either one, at most all but one byte.
RetSet Oracle::Impl::moved_before_cancel(const Req& r) const {
  if (!r.waitall || r.n < 2 || r.desc == kNone || (r.op != Op::UringRecv && r.op != Op::UringSend)) return {};
  const Desc& d = fds.desc(r.desc);
  if (d.kind == ResKind::File || d.kind == ResKind::EventFd) return {};
  uint64_t most = r.n - 1;
  if (r.op == Op::UringRecv) {
    if (d.rx == kNone) return {};
    most = std::min<uint64_t>(most, fds.chan(d.rx).queued_at_most());
  }
  return most ? RetSet::range(1, static_cast<int64_t>(most)) : RetSet{};
}

// May io-wq run request r: as may_run_in_iowq, and regular file I/O, which Linux punts
// there when it cannot be done without blocking (measured on 6.18: two 1-byte writes to
// one file and an ANY|ALL cancel: both ended cancelled and it said 1; an async ANY cancel
// said 0 and a write to a file submitted after it ended cancelled).
bool Oracle::Impl::maybe_in_iowq(const Req& r) const {
  return may_run_in_iowq(r) || (is_rw(r.op) && r.desc != kNone && fds.desc(r.desc).kind == ResKind::File);
}

// Linux: a counting cancel running in io-wq may count itself when another ANY or FD
// cancel finds it running meanwhile. A request keeps one cancel sequence number
// (io_cancel_match_sequence), so the two re-mark it in turn, and the second, all-io-wq
// pass of __io_async_cancel no longer sees it as counted (measured on 6.18: 2 of 1000
// runs of tests/oracle_traces/tolerance.uring.cancel.counts_itself.pass.trace).
bool Oracle::Impl::may_count_itself(const Req& c) const {
  if (!counts(c) || !may_run_in_iowq(c)) return false;
  return std::any_of(uring.reqs.begin(), uring.reqs.end(), [&](const Req& k) { return held_cancel_findable(k, c); });
}

}  // namespace ringside
