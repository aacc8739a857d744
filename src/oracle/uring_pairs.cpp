// Families 4-6: the CQE checks that look at two requests (a cancel and its target, a
// linked timeout and its request), a poll's mask, and what a request's end does to the
// channels, files and chains it acts on.
#include <algorithm>

#include "oracle/oracle_impl.hpp"
#include "oracle/uring_common.hpp"

namespace ringside {

using namespace uring_model;

namespace {
bool is_socket_kind(ResKind k) {
  return k == ResKind::Tcp || k == ResKind::UnixStream || k == ResKind::UnixDgram || k == ResKind::TcpListener ||
         k == ResKind::UnixListener;
}
}  // namespace

// io_uring_prep_poll_add(3): the CQE's res is the mask of the events that triggered it;
// the model knows what the fd allowed at every step since the poll was armed.
Check Oracle::Impl::check_poll_mask(size_t i, const Req& r, int64_t res, const std::string& name) {
  const uint32_t filter = (r.events & ev::Modeled) | ev::Err | ev::Hup;
  if (res <= 0) {
    Check v = violation(i, RuleId::UringPollReady, "a non-empty poll mask", result_text(res));
    return (r.state == ReqState::Done) ? judged(std::move(v), Judged::CqeRes, r, RetSet::range(1, INT32_MAX)) : v;
  }
  const uint32_t mask = static_cast<uint32_t>(res);
  // io_uring/poll.c posts the wakeup's events masked by the request's own (ERR and HUP
  // always included): nothing outside the interest.
  if (mask & ev::Modeled & ~filter)
    return violation(i, RuleId::UringPollReady, "events within " + ev::text(filter), ev::text(mask),
                     "mask of the POLL_ADD " + name);
  ReadySet now_rs = fds.readiness(r.desc);
  Violation v{now_rs.blame(mask, filter), i, now_rs.describe(filter), ev::text(mask), "mask of the POLL_ADD " + name};
  // A mask that held at some moment while it was armed (the cheapest explanation).
  std::optional<MaskJudgement> held;
  for (const ReadySet& rs : r.states)
    if (MaskJudgement j = rs.judge(mask, filter); j.ok && (!held || j.tols.size() < held->tols.size())) held = j;
  if (held && held->tols.empty()) return std::nullopt;
  if (held) {
    for (TolId t : held->tols)
      if (Check e = tolerate(t, v)) return e;
    return std::nullopt;
  }
  // io_poll_wake posts the events of the wakeup that fired it when the waker names them
  // (an eventfd write wakes with EPOLLIN only), not a fresh vfs_poll: the CQE may show part
  // of what is ready. Only the first CQE of a poll armed on a ready fd is a whole vfs_poll.
  const bool keyed = r.cqes > 1 || r.states.empty() || !(r.states.front().yes_bits() & filter);
  auto partial_ok = [&](uint32_t m) {
    return keyed && std::any_of(r.states.begin(), r.states.end(),
                                [&](const ReadySet& rs) { return !(m & filter & ~rs.possible_bits()); });
  };
  auto whole_ok = [&](uint32_t m) {
    return std::any_of(r.states.begin(), r.states.end(), [&](const ReadySet& rs) { return rs.allows(m, filter); });
  };
  // A socket's data or a listener's new connection wakes with
  // EPOLLIN|EPOLLPRI|EPOLLRDNORM|EPOLLRDBAND (sock_def_readable): PRI comes with that
  // wakeup's key, urgent data or not.
  const bool pri_keyed = (mask & ev::Pri) && (r.wake_keys & ev::Pri) && is_socket_kind(fds.desc(r.desc).kind);
  const uint32_t without_pri = pri_keyed ? mask & ~ev::Pri : mask;
  // That wakeup names IN with PRI: PRI alone is no mask it posts.
  if (pri_keyed && (filter & ev::In) && !(mask & ev::In)) return v;
  if (pri_keyed && whole_ok(without_pri)) return tolerate(TolId::UringPollPriOnSocket, v);
  if (partial_ok(without_pri)) {
    if (Check e = tolerate(TolId::UringPollKeyedPartialMask, v)) return e;
    return pri_keyed ? tolerate(TolId::UringPollPriOnSocket, v) : std::nullopt;
  }
  return v;
}

// io_uring_prep_cancel(3): 0 means the target was found and cancelled, -ENOENT that it
// was not found, -EALREADY that it was running. Whichever of the two ends second is
// checked against the other.
Check Oracle::Impl::check_cancel_pair(FinalCqe& f) {
  const Req& r = f.r;
  if (!is_cancel(r.op) || multi(r) || r.target == kNoReq || f.broken) return std::nullopt;
  Req& t = uring.reqs[r.target];
  const RuleId crule = r.op == Op::UringTimeoutRemove ? RuleId::UringTimeoutRemove : RuleId::UringCancelConsistent;
  fds.exercise(crule);
  if (!can_cancel(r, t)) return std::nullopt;
  const int64_t res = f.c.res;
  if (res == 0) {
    if (t.state == ReqState::Done && !t.cancelled && !t.silent)
      return judged(violation(f.step, crule, "ENOENT or EALREADY (the target already ended " + result_text(t.res) + ")",
                              "0", req_name(prog, t)),
                    Judged::CqeRes, r, RetSet::of({-ENOENT, -EALREADY}));
    t.must_cancel = true;
    t.must_cancel_rule = crule;
  }
  const bool ended_cancelled_after = t.state == ReqState::Done && t.done_tick > r.submit_tick;
  Check v;
  if (res == -ENOENT && ended_cancelled_after && t.cancelled)
    v = judged(violation(f.step, crule, "0 or EALREADY (the target ended " + result_text(t.res) + ")", "ENOENT",
                         req_name(prog, t)),
               Judged::CqeRes, r, RetSet::of({0, -EALREADY}));
  else if (r.op == Op::UringTimeoutRemove && (res == -EBUSY || res == -EALREADY || res == -ENOENT) &&
           ended_cancelled_after && t.res == -ECANCELED)
    v = judged(violation(f.step, crule, "the timeout fired (ETIME)", "it ended ECANCELED", req_name(prog, t)),
               Judged::CqeRes, t, RetSet::err(ETIME));
  if (!v) return std::nullopt;
  // Something else (another canceller, its linked timeout, its chain failing) may have
  // ended it.
  const OtherCanceller o = other_canceller(t, r.id);
  if (o.ruled) return std::nullopt;
  return o.tol == kNoTol ? v : tolerate(o.tol, *v);
}

Oracle::Impl::OtherCanceller Oracle::Impl::other_canceller(const Req& t, uint32_t except) const {
  OtherCanceller o;
  o.ruled = (t.ltimeout != kNoReq && t.ltimeout != except) || t.chain_failed_at_init;
  for (uint32_t p = t.prev; p != kNoReq; p = uring.reqs[p].prev) o.ruled = o.ruled || uring.reqs[p].failed;
  for (const Req& k : uring.reqs) {
    if (k.id == except || !is_cancel(k.op) || k.state == ReqState::Queued) continue;
    if (can_cancel(k, t)) o.ruled = true;
    else if (held_cancel_findable(k, t)) o.tol = TolId::UringCancelFindsHeldCancel;
  }
  return o;
}

// io_uring_prep_link_timeout(3): the linked request completes, or the timeout fires and
// cancels it; never both cancelled.
Check Oracle::Impl::check_link_timeout_pair(FinalCqe& f) {
  Req& r = f.r;
  if ((r.op != Op::UringLinkTimeout && r.ltimeout == kNoReq) || f.broken) return std::nullopt;
  Req& l = r.op == Op::UringLinkTimeout ? r : uring.reqs[r.ltimeout];
  if (l.target == kNoReq || l.invalid || l.eopnotsupp) return std::nullopt;
  Req& t = uring.reqs[l.target];
  fds.exercise(RuleId::UringLinkTimeoutOneOf);
  // A chain refused at submission fails every member, the timeout and its request both.
  if (t.chain_failed_at_init || l.chain_failed_at_init) return std::nullopt;
  if (t.pending() || l.pending() || !t.cancelled || (l.res != -ECANCELED && l.res != -ENOENT)) return std::nullopt;
  const OtherCanceller o = other_canceller(t, l.id);
  if (o.ruled) return std::nullopt;
  Check v = judged(violation(f.step, RuleId::UringLinkTimeoutOneOf, "ETIME from the timeout of a cancelled request",
                             result_text(l.res), req_name(prog, t) + " ended " + result_text(t.res)),
                   Judged::CqeRes, l, RetSet::err(ETIME));
  // Linux answers -ENOENT for a request it interrupted in io-wq (IOSQE_ASYNC):
  // io_try_cancel does not keep -EALREADY.
  if ((t.flags & sqe::Async) && l.res == -ENOENT) return tolerate(TolId::UringLinkTimeoutIowqEnoent, *v);
  return o.tol == kNoTol ? v : tolerate(o.tol, *v);
}

// A failing member with CQE_SKIP_SUCCESS omits the CQEs of the links it breaks; a chain
// refused at submission is failed whole instead, every member with its CQE (measured on
// 6.18: a NOP, then drain|skip_success refused with EOPNOTSUPP, the member after it
// ECANCELED). Only the member that failed first decides (io_fail_links): one cancelled
// because an earlier member failed breaks nothing itself. Except when its head has
// CQE_SKIP_SUCCESS: io_submit_fail_init fails the head, whose skip flag then hides the
// CQEs of every later member, the refused one and their linked timeouts included,
// hardlinks too. A valid LINK_TIMEOUT guarding the head itself is disarmed apart
// (io_disarm_next) and still posts -ECANCELED (measured on 6.18).
Check Oracle::Impl::silence_broken_links(FinalCqe& f) {
  Req& r = f.r;
  auto silence = [&](Req& m) -> Check {
    m.state = ReqState::Done;
    m.silent = true;
    m.cancelled = m.failed = true;
    m.res = -ECANCELED;
    m.done_tick = f.now;
    return uring_cqe_effects(f.step, m, m.res, {});
  };
  if (r.failed && !f.broken && !(r.flags & sqe::Hardlink) && (r.flags & sqe::SkipSuccess) && !refused_own(r))
    for (uint32_t nx = r.next; nx != kNoReq; nx = uring.reqs[nx].next) {
      Req& m = uring.reqs[nx];
      if (!m.pending()) break;
      if (Check e = silence(m)) return e;
    }
  const bool refused_chain_head = r.prev == kNoReq && refused_own(r);
  if (!refused_chain_head || !(r.flags & sqe::SkipSuccess)) return std::nullopt;
  for (uint32_t nx = r.id; nx != kNoReq; nx = uring.reqs[nx].next) {
    Req& m = uring.reqs[nx];
    if (m.ltimeout != kNoReq && uring.reqs[m.ltimeout].pending()) {
      Req& lt = uring.reqs[m.ltimeout];
      if (nx != r.id || lt.eopnotsupp || lt.invalid)
        if (Check e = silence(lt)) return e;
    }
    if (nx != r.id && m.pending())
      if (Check e = silence(m)) return e;
  }
  return std::nullopt;
}

// The request ended with `res`: apply what it did to channels, files and counters.
Check Oracle::Impl::uring_cqe_effects(size_t i, Req& r, int64_t res, std::string_view data) {
  if (!is_rw(r.op) || r.desc == kNone || r.badf) return std::nullopt;
  Desc& d = fds.desc(r.desc);
  if (d.kind == ResKind::File) return file_request_ended(i, r, res, data);
  if (d.kind == ResKind::EventFd) {
    eventfd_request_ended(r, d, res, data);
    return std::nullopt;
  }
  if (reads(r.op)) return channel_read_ended(i, r, d, res, data);
  if (d.kind == ResKind::UnixDgram && fds.desc_unjudged(d.id) && ledger.span_tol(d.id) == TolId::UnixDgramSendToGonePeer) {
    if (res == -ECONNREFUSED) fds.dgram_disconnect(d.id);
    ledger.close_span(d.id);
  }
  d.out_flickers = false;
  if (d.tx == kNone) return std::nullopt;
  auto& ch = fds.chan(d.tx);
  ch.maybe_sent -= std::min(ch.maybe_sent, r.n);
  const uint64_t wrote = res > 0 ? static_cast<uint64_t>(res) : 0;
  if (r.floating != ~0u && !ch.bytes.end_write(r.floating, wrote))
    return violation(i, RuleId::DataOrder, "at most " + std::to_string(wrote) + " of its bytes read",
                     std::to_string(ch.bytes.read_of(r.floating)) + " of them were read", req_name(prog, r));
  // A datagram already read went through the channel's counts as it was read.
  if (wrote && !(ch.dgram && ch.bytes.read_of(r.floating) > 0)) fds.wrote_counts(r.desc, wrote);
  return std::nullopt;
}

Check Oracle::Impl::channel_read_ended(size_t i, Req& r, Desc& d, int64_t res, std::string_view data) {
  if (d.rx == kNone || (d.kind != ResKind::PipeRead && d.sock != Sock::Established)) {
    unconnected_read_seen(d, res);
    return std::nullopt;
  }
  auto& ch = fds.chan(d.rx);
  if (r.on_channel) {
    r.on_channel = false;
    if (ch.uring_readers) --ch.uring_readers;
    ch.uring_read_n -= std::min(ch.uring_read_n, r.n);
  }
  if (res > 0 && r.silent) data = {};  // its bytes were not reported: counted, not seen
  if (res > 0 && !r.silent) {
    fds.exercise(RuleId::DataOrder);
    if (data.size() != static_cast<size_t>(res))
      return violation(i, RuleId::DataOrder, std::to_string(res) + " bytes of data", std::to_string(data.size()));
  }
  const std::optional<uint64_t> plain = ch.bytes.next_offset();
  const auto m = r.silent ? std::nullopt : ch.bytes.end_read(res > 0 ? data : std::string_view{});
  if (Check e = bytes_checked(i, d.rx, m, plain, req_name(prog, r))) return e;
  if (res > 0) {
    uint64_t take = static_cast<uint64_t>(res);
    if (ch.dgram) take = ch.bytes.last_message() ? ch.bytes.last_message() : ch.msgs.empty() ? take : ch.msgs.front();
    fds.read_stream(r.desc, take);
  } else if (res == 0 && ch.queued() == 0) {
    d.rcv_shut = Level::Yes;
    if (ch.eof != Level::No) ch.eof = Level::Yes;
  } else if (res == -ECONNRESET) {
    d.err_level = Level::No;
    d.reset = Level::Yes;
  }
  return std::nullopt;
}

// An eventfd write through io_uring added its value (res 8) at some moment since it was
// submitted; a read took the counter (its value in data).
void Oracle::Impl::eventfd_request_ended(Req& r, Desc& d, int64_t res, std::string_view data) {
  if (reads(r.op)) {
    if (d.count_readers) --d.count_readers;
    // It took the counter at some moment; what was certainly there then may be gone.
    d.count_unknown += d.count;
    d.count = 0;
    ++d.count_reads;
    (void)data;
    return;
  }
  d.count_maybe -= std::min(d.count_maybe, r.n);
  if (res != 8) return;
  // Read since it was submitted: its addition may have been taken already.
  (d.count_reads != r.count_reads_at_submit || d.count_readers ? d.count_unknown : d.count) += r.n;
}

Check Oracle::Impl::file_request_ended(size_t i, Req& r, int64_t res, std::string_view data) {
  auto& fc = fds.content(r.desc);
  if (r.file_writer != ~0u) {
    fc.end(r.file_writer, res > 0 ? static_cast<uint64_t>(res) : 0, r.done_tick,
           [this](const model::FileContent::Writer& e, const model::FileContent::Writer& l) {
             if (e.req == model::kNoWriterReq || l.req == model::kNoWriterReq) return false;
             const Req& a = uring.reqs[e.req];
             const Req& b = uring.reqs[l.req];
             for (uint32_t p = b.prev; p != kNoReq; p = uring.reqs[p].prev)
               if (p == a.id) return true;  // earlier in its chain
             return (b.drain || a.drain) && before(a, b);
           });
    fds.exercise(RuleId::UringWriteChainLast);
    fds.exercise(RuleId::UringWriteBlockAtomic);
    return std::nullopt;
  }
  if (!reads(r.op) || res <= 0 || r.silent) return std::nullopt;
  fds.exercise(RuleId::DataOrder);
  if (data.size() != static_cast<size_t>(res))
    return violation(i, RuleId::DataOrder, std::to_string(res) + " bytes of data", std::to_string(data.size()));
  auto m = fc.read(static_cast<uint64_t>(r.off), data, r.submit_tick);
  if (!m) return std::nullopt;
  fds.exercise(m->rule);
  return file_mismatch(i, *m, req_name(prog, r));
}

}  // namespace ringside
