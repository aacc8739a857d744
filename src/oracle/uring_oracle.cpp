// Families 4-6: io_uring requests, from queuing to their CQEs, checked against the
// request state machines of uring_model.hpp. Requests act on the FdModel's channels and
// file contents, which read(2) and write(2) share.
#include <algorithm>

#include "oracle/oracle_impl.hpp"
#include "program/pattern.hpp"
#include "program/uring_ids.hpp"

namespace ringside {

using model::kNoReq;
using model::Req;
using model::ReqState;
using model::RingModel;
namespace sqe = model::sqe;

namespace {

bool is_cancel(Op op) {
  return op == Op::UringCancel || op == Op::UringCancelFd || op == Op::UringCancelAny || op == Op::UringPollRemove ||
         op == Op::UringTimeoutRemove;
}
bool can_cancel(const Req& c, const Req& r);
// A cancel that may match several requests (by fd, ANY, or ALL of a user_data)...
bool multi(const Req& c) { return c.op == Op::UringCancelFd || c.op == Op::UringCancelAny || (c.op == Op::UringCancel && c.all); }
// ...and of those, one that answers with a count (ALL or ANY) rather than 0/ENOENT/EALREADY.
bool counts(const Req& c) { return c.op == Op::UringCancelAny || (multi(c) && c.all); }
// How many requests a multi-match cancel says it cancelled (-1: it cannot tell, EALREADY).
int64_t cancelled_count(const Req& c) {
  if (counts(c)) return c.res;
  return c.res == 0 ? 1 : c.res == -EALREADY ? -1 : 0;
}
// May the cancel run from io-wq (IOSQE_ASYNC, a link left dangling at the end of its
// submission, after a predecessor, or drained or held by the ring's drain state:
// measured, such a request may be issued from io-wq)? Linux then answers -EALREADY for
// an FD cancel that matches nothing (measured on 6.18: it finds its own running work).
bool may_run_in_iowq(const Req& c) {
  return (c.flags & sqe::Async) || c.prev != kNoReq || c.dangling || c.drain || c.held ||
         ((c.flags & (sqe::Link | sqe::Hardlink)) && c.next == kNoReq);
}
bool is_rw(Op op) { return op == Op::UringRead || op == Op::UringWrite || op == Op::UringRecv || op == Op::UringSend; }
bool reads(Op op) { return op == Op::UringRead || op == Op::UringRecv; }
bool cancelled_res(int64_t res) { return res == -ECANCELED || res == -EINTR; }

// Submission order.
bool before(const Req& a, const Req& b) { return a.submit_tick < b.submit_tick || (a.submit_tick == b.submit_tick && a.id < b.id); }

unsigned pow2_at_least(unsigned v) {
  unsigned p = 1;
  while (p < v) p <<= 1;
  return p;
}

// Did the request succeed, in the sense that decides CQE_SKIP_SUCCESS and chain breaking?
bool success(const Req& r, int64_t res, ResKind fd_kind) {
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

// A request's user_data (uring_ids.hpp).
uint64_t ud_of(const Req& r) { return uring::user_data_of_step(r.step); }

// Attaches the allowed set of a violated check on one request's CQEs in machine-readable
// form (Judged::CqeRes / CqeCount; see verdict.hpp), for the C reproducer. The check
// itself is unchanged: only violations are touched.
Check judged(Check c, Judged what, const Req& r, const RetSet& allowed) {
  if (c) {
    c->allowed.what = what;
    c->allowed.ref = ud_of(r);
    c->allowed.ranges = allowed.ranges();
  }
  return c;
}

// Any res except a cancellation (-ECANCELED, -EINTR).
RetSet not_cancelled() {
  RetSet s;
  s.add(INT32_MIN, -ECANCELED - 1).add(-ECANCELED + 1, -EINTR - 1).add(-EINTR + 1, INT32_MAX);
  return s;
}

std::string req_name(const Program& p, const Req& r) {
  const Step& s = p.steps[r.step];
  if (!s.outs.empty()) return "'" + p.res(s.outs[0]).name + "'";
  return "the " + std::string(s.spec().name) + " of line " + std::to_string(s.loc.line ? s.loc.line : r.step + 1);
}

}  // namespace

// ---- queuing and submission ----------------------------------------------------------

Check Oracle::Impl::uring_step(size_t i, const Step& s, const Observation& obs) {
  switch (s.op) {
    case Op::RingNew: {
      if (obs.ret < 0 || obs.fds.size() != 1) return violation(i, RuleId::Errno, "a new ring", result_text(obs.ret));
      ResId res = s.outs[0];
      DescId d = fds.create(ResKind::Ring, res, false);
      fds.bind(res, d, obs.fds[0]);
      RingModel rm;
      rm.desc = d;
      rm.res = res;
      rm.sq = pow2_at_least(static_cast<unsigned>(s.param(0)));
      rm.cq = s.param(1) ? pow2_at_least(static_cast<unsigned>(s.param(1))) : 2 * rm.sq;
      uring.ring_of[d] = static_cast<uint32_t>(uring.rings.size());
      uring.rings.push_back(rm);
      return std::nullopt;
    }
    case Op::Submit:
      return uring_submit(i, s, obs);
    case Op::Reap:
      return uring_reap(i, s, obs);
    case Op::Close: {
      // The ring's requests end with it, taking whatever they took: their resources are
      // beyond the model from here.
      // Queued SQEs were never submitted: they go with the ring and take nothing.
      RingModel& ring = uring.rings[uring.ring_of.at(id_of(s.ins[0]))];
      for (Req& r : uring.reqs)
        if (r.ring == uring.ring_of.at(id_of(s.ins[0])) && r.state == ReqState::InFlight && r.desc != kNone)
          fds.lose_track(r.desc);
      ring.open = false;
      return close(i, s, obs);
    }
    default:
      return uring_queue(i, s, obs);
  }
}

Check Oracle::Impl::uring_queue(size_t i, const Step& s, const Observation& obs) {
  if (Check c = expect(i, RuleId::Errno, RetSet::of({0}), obs.ret)) return c;
  const OpSpec& spec = s.spec();
  auto param = [&](std::string_view n) { return s.param(spec.index(n)); };
  auto has = [&](std::string_view n) {
    return std::any_of(spec.params.begin(), spec.params.end(), [&](const ParamSpec& p) { return p.name == n; });
  };
  Req r;
  r.id = static_cast<uint32_t>(uring.reqs.size());
  r.step = static_cast<uint32_t>(i);
  r.op = s.op;
  r.ring = uring.ring_of.at(id_of(s.ins[0]));
  r.flags = static_cast<uint32_t>(param("flags"));
  if (is_rw(s.op) || s.op == Op::UringPoll || s.op == Op::UringCancelFd) {
    r.fd_res = s.ins[1];
    r.desc = id_of(s.ins[1]);
  }
  if (has("n")) r.n = static_cast<uint64_t>(param("n"));
  if (has("off")) r.off = param("off");
  if (has("waitall")) r.waitall = param("waitall") != 0;
  if (has("multishot")) r.multishot = param("multishot") != 0;
  if (has("all")) r.all = param("all") != 0;
  if (has("events")) r.events = static_cast<uint32_t>(param("events"));
  if (has("t")) r.t_us = param("t");
  if (has("count")) r.count = static_cast<uint64_t>(param("count"));
  if (s.op == Op::UringPollRemove || s.op == Op::UringTimeoutRemove || s.op == Op::UringCancel) {
    auto it = uring.by_step.find(prog.res(s.ins[1]).created_by);
    if (it != uring.by_step.end()) r.target = it->second;
  }
  uring.by_step[i] = r.id;
  uring.rings[r.ring].queued.push_back(r.id);
  uring.reqs.push_back(std::move(r));
  return std::nullopt;
}

Check Oracle::Impl::uring_submit(size_t i, const Step& s, const Observation& obs) {
  const uint32_t ri = uring.ring_of.at(id_of(s.ins[0]));
  RingModel& ring = uring.rings[ri];
  const auto queued = ring.queued;
  ring.queued.clear();
  RetSet allowed = RetSet::of({static_cast<int64_t>(queued.size())});
  if (ring.overflow_possible()) allowed.add_err(EBUSY);  // "if it can't flush the overflown events"
  if (!ring.chaos)
    if (Check c = expect(i, RuleId::UringSubmitCount, allowed, obs.ret)) return c;
  const uint64_t now = uring.tick();
  if (obs.ret < 0 || ring.chaos) {
    ring.chaos = true;
    for (uint32_t id : queued) {
      Req& r = uring.reqs[id];
      r.state = ReqState::InFlight;
      r.loose = true;
      r.submit_tick = now;
      if (r.desc != kNone) fds.lose_track(r.desc);
    }
    return std::nullopt;
  }
  const size_t per = std::min<size_t>(s.param(0) ? static_cast<size_t>(s.param(0)) : ring.sq, ring.sq);
  bool link_open = false;
  uint32_t prev_member = kNoReq, prev_sqe = kNoReq, head = kNoReq;
  // A chain still open when the call ends is queued to io-wq from its head
  // (io_submit_state_end -> io_queue_sqe_fallback).
  auto mark_left_open = [&](size_t k) {
    if (link_open && head != kNoReq && (k + 1 == queued.size() || (k + 1) % per == 0)) uring.reqs[head].dangling = true;
  };
  for (size_t k = 0; k < queued.size(); ++k) {
    if (k % per == 0) {
      // A chain ends with its submission: "even if the last SQE in a submission has this
      // flag set, it will still terminate the current chain" (io_uring_enter(2)).
      ++uring.batches;
      link_open = false;
      prev_member = prev_sqe = head = kNoReq;
    }
    Req& r = uring.reqs[queued[k]];
    r.state = ReqState::InFlight;
    r.submit_tick = now;
    r.batch = uring.batches;
    if (r.flags & sqe::SkipSuccess) ring.skip_used = true;
    if ((r.flags & sqe::SkipSuccess) && r.op == Op::UringTimeout && r.count) ring.silent_count_timeout = true;
    if (r.multishot) ring.multishot_used = true;
    if (r.desc != kNone && fds.fdnum_of(r.fd_res) < 0) r.badf = true;
    // io_init_req: IOSQE_IO_DRAIN once CQE_SKIP_SUCCESS was seen (this SQE included).
    if ((r.flags & sqe::Drain) && ring.skip_used) r.eopnotsupp = true;
    if (r.op == Op::UringLinkTimeout && prev_sqe != kNoReq) {
      Req& g = uring.reqs[prev_sqe];
      if ((g.flags & (sqe::Link | sqe::Hardlink)) && g.op != Op::UringLinkTimeout && g.ltimeout == kNoReq) {
        // It guards the request before it; the chain goes on from that request.
        r.target = g.id;
        g.ltimeout = r.id;
        if ((r.flags & sqe::Drain) && !r.eopnotsupp && head != kNoReq) {
          uring.reqs[head].drain = true;
          uring.reqs[head].drain_from_member = true;
          ring.drain_next = true;
        }
        link_open = (r.flags & (sqe::Link | sqe::Hardlink)) != 0;
        prev_sqe = r.id;
        mark_left_open(k);
        continue;
      }
    }
    if (r.op == Op::UringLinkTimeout) r.invalid = true;  // nothing linked before it
    // io_poll_add_prep: a multishot poll cannot skip its CQEs.
    if (r.op == Op::UringPoll && r.multishot && (r.flags & sqe::SkipSuccess)) r.invalid = true;
    if (link_open && prev_member != kNoReq) {
      r.prev = prev_member;
      uring.reqs[prev_member].next = r.id;
    } else {
      head = r.id;
      // The next request or chain after a chain drained by a member is drained too, and
      // sent to io-wq, whichever submission it comes in (io_init_req: ctx->drain_next).
      if (ring.drain_next && !r.eopnotsupp && !r.invalid) {
        r.drain = true;
        ring.drain_next = false;
      }
    }
    // A drain inside a chain drains its head (io_init_req_drain).
    if ((r.flags & sqe::Drain) && !r.eopnotsupp) {
      uring.reqs[head].drain = true;
      if (head != r.id) {
        uring.reqs[head].drain_from_member = true;
        ring.drain_next = true;
      }
    }
    link_open = (r.flags & (sqe::Link | sqe::Hardlink)) != 0;
    prev_member = prev_sqe = r.id;
    mark_left_open(k);
  }
  // A request refused at submission (io_init_req: drain after CQE_SKIP_SUCCESS, a second
  // LINK_TIMEOUT) inside a chain fails the whole chain: io_submit_fail_init marks the head
  // failed, so the other members never start and end -ECANCELED.
  for (uint32_t id : queued) {
    const Req& r = uring.reqs[id];
    if (r.eopnotsupp || r.invalid) {
      // A refused LINK_TIMEOUT sits beside the request it guards: that one's chain fails.
      const bool guards = r.op == Op::UringLinkTimeout && r.target != kNoReq;
      const Req& at = guards ? uring.reqs[r.target] : r;
      if (guards) uring.reqs[r.target].chain_failed_at_init = true;
      for (uint32_t p = at.prev; p != kNoReq; p = uring.reqs[p].prev) uring.reqs[p].chain_failed_at_init = true;
      // The chain is still assembled and failed whole when it ends, hardlinks too
      // (io_queue_sqe_fallback drops IOSQE_IO_HARDLINK from a failed head).
      for (uint32_t n = at.next; n != kNoReq; n = uring.reqs[n].next) uring.reqs[n].chain_failed_at_init = true;
    }
  }
  // After a drain, Linux queues the next chain head through io_drain_req, which sends it
  // to task work even when nothing is left to wait for and only then clears the ring's
  // drain state (measured on 6.18: such a cancel's CQE is not there when the submission
  // returns). The model clears the state only when no drain or held request is pending.
  for (uint32_t id : queued) {
    Req& r = uring.reqs[id];
    if (r.drain) ring.drain_active = true;
    if (r.prev != kNoReq || r.drain || r.eopnotsupp || r.invalid || r.chain_failed_at_init || !ring.drain_active) continue;
    r.held = true;
    // Waiting: a drained or held request still pending, or a member of a drained chain.
    auto drained_chain = [&](const Req& o) {
      uint32_t h = o.id;
      while (uring.reqs[h].prev != kNoReq) h = uring.reqs[h].prev;
      return uring.reqs[h].drain || uring.reqs[h].held;
    };
    bool waiting = false;
    for (const Req& o : uring.reqs)
      waiting = waiting || (o.ring == ri && o.id != r.id && o.pending() && (o.drain || o.held || drained_chain(o)));
    if (!waiting) ring.drain_active = false;
  }
  // Effects that start with submission.
  for (uint32_t id : queued) {
    Req& r = uring.reqs[id];
    // The engine gives a write's bytes their place in the writer's stream when it is
    // submitted; one refused at submission leaves that place empty: the reader's bytes
    // no longer follow on (files are written at explicit offsets).
    if ((r.badf || r.invalid || r.eopnotsupp || r.chain_failed_at_init) && is_rw(r.op) && !reads(r.op) && r.desc != kNone &&
        fds.desc(r.desc).kind != ResKind::File && fds.desc(r.desc).tx != kNone) {
      DescId reader = fds.chan(fds.desc(r.desc).tx).reader;
      if (reader != kNone) fds.lose_track(reader);
    }
    if (r.badf || r.invalid || r.eopnotsupp || r.desc == kNone || is_cancel(r.op)) continue;
    Desc& d = fds.desc(r.desc);
    if (d.chaos) {
      r.loose = true;
      continue;
    }
    if (r.op == Op::UringPoll) {
      r.states.push_back(fds.readiness(r.desc));
      r.woken = r.multishot && (r.states.back().yes_bits() & ((r.events & ev::Modeled) | ev::Err | ev::Hup));
      continue;
    }
    if (!is_rw(r.op)) continue;
    // Issued at once on a socket not connected yet: its answer is that state's, even if
    // the socket connects before the reap.
    if (d.is_stream() && d.sock != Sock::Established)
      r.unconnected_at_submit = true;
    // Whenever it runs it may report (and so clear) the socket's pending error.
    if ((d.is_tcp() || d.kind == ResKind::UnixStream) && possible(d.err_level)) {
      d.err_level = Level::Maybe;
      r.err_pending = true;
    }
    if (d.kind == ResKind::File) {
      if (!reads(r.op))
        r.file_writer = fds.content(r.desc).begin(prog.steps[r.step].outs[0], static_cast<uint64_t>(r.off),
                                                  static_cast<uint64_t>(r.off) + r.n, r.submit_tick, r.id);
      else
        r.file_size_at_submit = fds.content(r.desc).size_certain();
      continue;
    }
    if (d.kind == ResKind::EventFd) {
      // An eventfd read in flight is not modelled, nor a write that a chain may cancel
      // (a predecessor that fails breaks the link): the count is no longer known.
      // A write that the ring's drain state holds back may never start (a drained poll
      // waiting for this very write): its effect is not "soon" either. Nor that of a
      // drained write: it waits for everything before it, which may wait for ever (a
      // poll on its own ring, nothing else to complete).
      if (reads(r.op) || r.prev != kNoReq || r.held || r.drain) fds.lose_track(r.desc);
      else fds.wrote(r.desc, r.n, true);
      continue;
    }
    if (reads(r.op)) {
      if (d.rx == kNone) continue;
      auto& c = fds.chan(d.rx);
      r.rx_empty_at_submit = c.known_arrived() == 0;
      // Two reads in flight on one channel split its bytes in an order the CQEs do not tell.
      if (++c.uring_readers > 1) fds.lose_track(r.desc);
      if (c.pipe) c.layout_unknown = true;  // it frees pages whenever it runs
    } else {
      // An AF_UNIX datagram send to a peer that is gone disconnects the socket
      // (unix_dgram_disconnected) whenever it runs: later writes may see ECONNREFUSED or
      // ENOTCONN. The model stops following the socket.
      if (d.kind == ResKind::UnixDgram && possible(d.peer_gone)) {
        fds.lose_track(r.desc);
        continue;
      }
      // Not connected: it fails, but while it runs its buffer is charged to the socket's
      // send space, so the socket's POLLOUT comes and goes (seen with select, 64 KiB from
      // io-wq on an unconnected AF_UNIX datagram socket).
      if (d.tx == kNone) {
        fds.lose_track(r.desc);
        continue;
      }
      auto& c = fds.chan(d.tx);
      // With CQE_SKIP_SUCCESS its bytes land and no CQE says so: the reader's count is
      // no longer known.
      if ((r.flags & sqe::SkipSuccess) && c.reader != kNone) fds.lose_track(c.reader);
      // Two writes in flight on one stream may land in either order.
      if (c.maybe_sent > 0 && c.reader != kNone) fds.lose_track(c.reader);
      c.maybe_sent += r.n;
      if (c.pipe) c.layout_unknown = true;  // which pages its bytes take depends on when it runs
    }
  }
  // An eventfd write that a cancel in flight may find may never happen (io_uring punts
  // eventfd writes to io-wq, where a later cancel still finds them): its count is no
  // longer known, so no blocking read of it is promised a value.
  for (uint32_t id : queued) {
    const Req& c = uring.reqs[id];
    if (!is_cancel(c.op) || c.badf || c.invalid || c.eopnotsupp) continue;
    for (const Req& o : uring.reqs)
      if (o.state == ReqState::InFlight && o.op == Op::UringWrite && o.desc != kNone &&
          fds.desc(o.desc).kind == ResKind::EventFd && can_cancel(c, o))
        fds.lose_track(o.desc);
  }
  ring.max_in_flight = std::max(ring.max_in_flight, uring.in_flight(ri));
  return std::nullopt;
}

// ---- hooks for read(2), write(2) and close(2) ----------------------------------------

bool Oracle::Impl::uring_busy(Desc& d, bool reading) {
  // read(2) while an io_uring read is in flight, or write(2) while an io_uring write is:
  // which takes (or puts) which bytes first is not known. The model gives up on the
  // reader rather than guess, and on the writer, whose room (POLLOUT, EAGAIN) is the
  // channel's fill.
  model::ChanId ch = reading ? d.rx : d.tx;
  if (ch == kNone) return false;
  auto& c = fds.chan(ch);
  bool busy = reading ? (c.uring_readers > 0 || c.maybe_sent > 0) : c.maybe_sent > 0;
  if (busy && c.reader != kNone) fds.lose_track(c.reader);
  if (busy && c.writer != kNone) fds.lose_track(c.writer);
  return busy;
}

void Oracle::Impl::uring_close(ResId r) {
  // A request issued later than its submission (io-wq, a chain, a drain) looks its fd
  // number up only then: closed meanwhile, it may end EBADF.
  for (Req& q : uring.reqs)
    if (q.state == ReqState::InFlight && q.desc != kNone && q.fd_res == r && may_run_in_iowq(q)) q.maybe_badf = true;
  DescId d = id_of(r);
  if (d == kNone || fds.desc(d).refs > 1) return;
  // The last fd goes, but a request in flight holds the file open: the description is
  // not released when the model would release it.
  for (const Req& q : uring.reqs)
    if (q.state == ReqState::InFlight && q.desc == d) {
      fds.lose_track(d);
      return;
    }
}

Check Oracle::Impl::file_read(size_t i, Desc& d, const Observation& obs, uint64_t n) {
  model::FileContent& fc = fds.content(d.id);
  auto span = [&](uint64_t size) { return static_cast<int64_t>(std::min(n, d.pos < size ? size - d.pos : 0)); };
  RetSet allowed = RetSet::range(span(fc.size_certain()), span(fc.size_possible()));
  if (Check e = expect(i, RuleId::FileRw, allowed, obs.ret)) return e;
  if (obs.ret > 0) {
    fds.exercise(RuleId::DataOrder);
    if (obs.data.size() != static_cast<size_t>(obs.ret))
      return violation(i, RuleId::DataOrder, std::to_string(obs.ret) + " bytes of data", std::to_string(obs.data.size()));
    if (auto m = fc.read(d.pos, obs.data)) {
      std::string want;
      for (uint32_t st : m->allowed) want += (want.empty() ? "" : " or ") + (st < prog.resources.size() ? prog.res(st).name : "zeros");
      return violation(i, m->rule, "the bytes of " + want + " at offset " + std::to_string(m->offset),
                       "other bytes");
    }
    d.pos += static_cast<uint64_t>(obs.ret);
  }
  return std::nullopt;
}

void Oracle::Impl::file_write(DescId d, uint64_t n) {
  Desc& f = fds.desc(d);
  fds.content(d).sync_write(f.origin, f.pos, n, uring.tick());
}

void Oracle::Impl::uring_before_absorb() {
  // One pass over the requests in flight, for what they may do at any moment:
  // - a ring with requests in flight may post a CQE (a timer, io-wq, task work), and
  //   each CQE wakes the ring's waiters: an edge-triggered registration may report again;
  // - an io_uring write may land and wake the reader's waiters; a read may make room and
  //   wake the writer's;
  // - an error that came to a stream socket may be taken (and cleared) by a read or
  //   write on it whenever it runs (sock_error): ERR may go, connect may find no error,
  //   and the request may end with it.
  std::vector<bool> ring_busy(uring.rings.size(), false);
  for (Req& r : uring.reqs) {
    if (r.state != ReqState::InFlight) continue;
    ring_busy[r.ring] = true;
    if (!is_rw(r.op) || r.loose || r.desc == kNone || r.badf || fds.released(r.desc)) continue;
    Desc& d = fds.desc(r.desc);
    const model::ChanId ch = reads(r.op) ? d.rx : d.tx;
    if (ch != kNone) {
      const DescId other = reads(r.op) ? fds.chan(ch).writer : fds.chan(ch).reader;
      if (other != kNone && !fds.released(other))
        fds.wakes().push_back({other, reads(r.op) ? ev::Out : ev::In, Level::Maybe, RuleId::EtRefire});
    }
    if ((d.is_tcp() || d.kind == ResKind::UnixStream) && possible(d.err_level)) {
      r.err_pending = true;
      if (d.err_level == Level::Yes || d.err_level == Level::Soon) d.err_level = Level::Maybe;
    }
  }
  for (uint32_t ri = 0; ri < uring.rings.size(); ++ri) {
    const RingModel& ring = uring.rings[ri];
    if (ring_busy[ri] && ring.open && ring.desc != kNone && !fds.released(ring.desc))
      fds.wakes().push_back({ring.desc, 0, Level::Maybe, RuleId::EtRefire});
  }
  // Armed polls remember what their fd allowed at every step, since a CQE's mask was
  // computed at some moment between arming and reaping; multishot polls note wakeups.
  for (Req& r : uring.reqs) {
    if (r.op != Op::UringPoll || r.state != ReqState::InFlight || r.loose || r.desc == kNone || r.badf) continue;
    if (fds.released(r.desc)) continue;
    r.states.push_back(fds.readiness(r.desc));
    uint32_t filter = (r.events & ev::Modeled) | ev::Err | ev::Hup;
    for (const model::Wake& w : fds.wakes())
      if (w.desc == r.desc && w.level == Level::Yes && (w.key == 0 || (w.key & filter))) r.woken = true;
  }
}

// ---- completions ----------------------------------------------------------------------

namespace {

// Can request `c` (a cancel-type request) take `r` out, as the kernel finds requests?
bool can_cancel(const Req& c, const Req& r) {
  if (c.ring != r.ring || c.id == r.id || r.op == Op::UringLinkTimeout || is_cancel(r.op)) return false;
  // Refused at submission, or failed with such a chain: it ends before any later SQE.
  if (r.eopnotsupp || r.invalid || r.chain_failed_at_init) return false;
  // A cancel that starts after its submission (after a predecessor in its chain, from
  // io-wq, or held by a drain) also finds requests submitted after it, until it ends.
  if (!before(r, c) && !(may_run_in_iowq(c) && (c.pending() || c.done_tick >= r.submit_tick)))
    return false;
  switch (c.op) {
    case Op::UringCancel:
      return c.target == r.id;
    case Op::UringPollRemove:
      return c.target == r.id && r.op == Op::UringPoll;
    case Op::UringTimeoutRemove:
      return c.target == r.id && r.op == Op::UringTimeout;
    case Op::UringCancelFd:
      return r.desc != kNone && r.desc == c.desc;
    case Op::UringCancelAny:
      return true;
    default:
      return false;
  }
}

// A cancel held back (behind a drain, or queued to io-wq) is itself a pending request
// that another ANY or FD cancel on the ring, submitted before or after it, may find and
// end (measured on 6.18; an FD cancel's file is the fd it names). The documentation says
// ANY matches "any request"; it is silent on cancels, so both profiles allow it.
bool held_cancel_findable(const Req& k, const Req& o) {
  if (!is_cancel(o.op) || !may_run_in_iowq(o)) return false;
  if (k.id == o.id || k.ring != o.ring || k.state == ReqState::Queued || o.state == ReqState::Queued) return false;
  return k.op == Op::UringCancelAny || (k.op == Op::UringCancelFd && o.op == Op::UringCancelFd && k.desc == o.desc);
}

}  // namespace

Check Oracle::Impl::uring_cqe(size_t i, Req& r, const Completion& c, std::string_view data) {
  RingModel& ring = uring.rings[r.ring];
  const bool more = (c.flags & model::kCqeMore) != 0;
  const std::string name = req_name(prog, r);
  fds.exercise(RuleId::UringExactlyOnce);
  if (r.state == ReqState::Queued)
    return violation(i, RuleId::UringExactlyOnce, "no CQE before the request is submitted", "a CQE for " + name);
  if (r.state == ReqState::Done) {
    RuleId rule = r.silent ? RuleId::UringSkipSuccess : r.multishot ? RuleId::UringMultishotMore : RuleId::UringExactlyOnce;
    Check v = violation(i, rule, r.silent ? "no CQE (omitted)" : "no CQE after the final one",
                        "another CQE for " + name + " (res " + result_text(c.res) + ")");
    // A second final CQE: at most one (none if it was omitted) may have been taken.
    if (!more) return judged(std::move(v), Judged::CqeCount, r, RetSet::range(0, r.silent ? 0 : 1));
    return v;
  }
  const uint64_t now = uring.tick();
  // Every CQE counts for the count timeouts armed before it. An expired timeout's is a
  // posted completion too (io_uring_prep_timeout(3)); Linux leaves it out (cq_timeouts),
  // but counts it when the count is checked between the expiry and that CQE (measured on
  // 6.18: a count=1 timeout ended 0 with only another timeout's ETIME posted).
  for (Req& t : uring.reqs)
    if (t.op == Op::UringTimeout && t.count && t.state == ReqState::InFlight && t.ring == r.ring && t.id != r.id)
      ++(r.op == Op::UringTimeout && c.res == -ETIME ? t.cqes_maybe : t.cqes_after);
  const uint32_t filter = (r.events & ev::Modeled) | ev::Err | ev::Hup;
  auto poll_mask_ok = [&]() -> Check {
    if (c.res <= 0)
      return more ? violation(i, RuleId::UringPollReady, "a non-empty poll mask", result_text(c.res))
                  : judged(violation(i, RuleId::UringPollReady, "a non-empty poll mask", result_text(c.res)),
                           Judged::CqeRes, r, RetSet::range(1, INT32_MAX));
    for (const ReadySet& rs : r.states)
      if (rs.allows(static_cast<uint32_t>(c.res), filter)) return std::nullopt;
    // io_poll_wake posts the events of the wakeup that triggered it when the waker names
    // them (an eventfd write wakes with EPOLLIN only), not a fresh vfs_poll: such a CQE may
    // show part of what is ready (measured on 6.18). Only the first CQE of a poll armed
    // on a ready fd is a whole vfs_poll.
    const bool keyed = r.cqes > 1 || r.states.empty() || !(r.states.front().yes_bits() & filter);
    // A socket's data arrival, or a listener's new connection, wakes with
    // EPOLLIN|EPOLLPRI|EPOLLRDNORM|EPOLLRDBAND (sock_def_readable), urgent data or not:
    // such a CQE may carry PRI (libFuzzer; seed 8989 with a listener).
    const ResKind kind = fds.desc(r.desc).kind;
    const bool socket = kind == ResKind::Tcp || kind == ResKind::UnixStream || kind == ResKind::UnixDgram ||
                        kind == ResKind::TcpListener || kind == ResKind::UnixListener;
    const uint32_t named = socket ? static_cast<uint32_t>(ev::Pri) : 0u;
    if (keyed)
      for (const ReadySet& rs : r.states)
        if (!(static_cast<uint32_t>(c.res) & filter & ~(rs.possible_bits() | named))) return std::nullopt;
    ReadySet now_rs = fds.readiness(r.desc);
    return violation(i, now_rs.blame(static_cast<uint32_t>(c.res), filter), now_rs.describe(filter),
                     ev::text(static_cast<uint32_t>(c.res)), "mask of the POLL_ADD " + name);
  };
  if (more) {
    fds.exercise(RuleId::UringMultishotMore);
    if (!r.multishot)
      return violation(i, RuleId::UringMultishotMore, "IORING_CQE_F_MORE only on multishot requests",
                       "F_MORE on " + name);
    ++r.cqes;
    r.woken = false;
    if (!r.loose && !ring.chaos && fds.desc(r.desc).chaos == false)
      if (Check e = poll_mask_ok()) return e;
    return std::nullopt;
  }

  // The final CQE.
  ++r.cqes;
  r.state = ReqState::Done;
  r.done_tick = now;
  r.res = c.res;
  r.cancelled = cancelled_res(c.res);
  r.failed = !success(r, c.res, r.desc != kNone ? fds.desc(r.desc).kind : ResKind::Ring);
  // io_recv: with MSG_WAITALL, a datagram cut short (MSG_TRUNC) fails the request, so it
  // posts its CQE despite CQE_SKIP_SUCCESS and breaks its chain (measured on 6.18).
  if (r.op == Op::UringRecv && r.waitall && c.res > 0 && r.desc != kNone && fds.desc(r.desc).rx != kNone) {
    const auto& ch = fds.chan(fds.desc(r.desc).rx);
    if (ch.dgram && !ch.msgs.empty() && ch.msgs.front() > static_cast<uint64_t>(c.res)) r.failed = true;
  }
  // A description the model lost track of leaves its I/O unchecked; a cancel by fd is not I/O.
  const bool checked = !r.loose && !ring.chaos && (is_cancel(r.op) || r.desc == kNone || !fds.desc(r.desc).chaos);

  // Chain order: the predecessor ended first. One with CQE_SKIP_SUCCESS ends silently.
  if (r.prev != kNoReq) {
    Req& p = uring.reqs[r.prev];
    fds.exercise(RuleId::UringLinkOrder);
    if (p.pending()) {
      if (p.flags & sqe::SkipSuccess) {
        p.state = ReqState::Done;
        p.silent = true;
        p.done_tick = now;
        // Its success value: an eventfd moves 8 bytes whatever n says.
        const bool efd = p.desc != kNone && fds.desc(p.desc).kind == ResKind::EventFd;
        p.res = p.op == Op::UringNop ? 0 : efd && is_rw(p.op) ? 8 : static_cast<int64_t>(p.n);
        if (Check e = uring_cqe_effects(i, p, p.res, {})) return e;
      } else if (checked) {
        return violation(i, RuleId::UringLinkOrder, "the CQE of " + req_name(prog, p) + " first",
                         "the CQE of " + name + " (" + result_text(c.res) + ")", "they are linked, in this order");
      }
    }
  }
  // Drains: a drained request ends after everything submitted before it; everything
  // submitted after a drained request ends after it.
  // Requests refused at submission, and the chains they fail, complete at once
  // (io_queue_sqe_fallback fails them before any drain check).
  // (A LINK_TIMEOUT goes with the request it guards.)
  auto refused = [&](const Req& q) {
    auto own = [](const Req& x) { return x.eopnotsupp || x.invalid || x.chain_failed_at_init; };
    return own(q) || (q.op == Op::UringLinkTimeout && q.target != kNoReq && own(uring.reqs[q.target]));
  };
  if (checked && !ring.multishot_used && !refused(r)) {
    for (Req& o : uring.reqs) {
      if (o.ring != r.ring || o.id == r.id || o.state == ReqState::Queued || refused(o)) continue;
      if (r.drain && before(o, r) && o.state == ReqState::InFlight && !(o.flags & sqe::SkipSuccess)) {
        fds.exercise(RuleId::UringDrain);
        return violation(i, RuleId::UringDrain, "the CQE of " + req_name(prog, o) + " first",
                         "the CQE of " + name + ", which has IOSQE_IO_DRAIN");
      }
      // A drained request with CQE_SKIP_SUCCESS may have ended unseen.
      if (o.drain && before(o, r) && o.state == ReqState::InFlight && !(o.flags & sqe::SkipSuccess)) {
        // Members of the drained request's own chain come after it anyway, and so may a
        // linked timeout of its chain.
        uint32_t from = r.op == Op::UringLinkTimeout && r.target != kNoReq ? r.target : r.id;
        bool same_chain = false;
        for (uint32_t p = from; p != kNoReq; p = uring.reqs[p].prev) same_chain = same_chain || p == o.id;
        if (!same_chain) {
          fds.exercise(RuleId::UringDrain);
          return violation(i, RuleId::UringDrain, "the CQE of " + req_name(prog, o) + " (IOSQE_IO_DRAIN) first",
                           "the CQE of " + name + ", submitted after it");
        }
      }
    }
  }

  // What the result may be.
  RetSet allowed;
  RuleId rule = RuleId::UringResultRange;
  std::string detail;
  bool broken = false, after_hard_failure = false;
  for (uint32_t p = r.prev; p != kNoReq; p = uring.reqs[p].prev) {
    const Req& q = uring.reqs[p];
    // A member refused at submission fails its chain even with IOSQE_IO_HARDLINK
    // (io_queue_sqe_fallback turns the hardlink into a link).
    const bool refused_at_init = q.invalid || q.eopnotsupp;
    if (q.failed && (!(q.flags & sqe::Hardlink) || refused_at_init)) broken = true;
    if (q.failed && (q.flags & sqe::Hardlink) && !refused_at_init && p == r.prev) after_hard_failure = true;
    if (broken) break;
  }
  // Who may cancel it: its link timeout, a cancel request that found it (or may have).
  bool cancel_possible = false, cancel_denied = false;
  RuleId denied_by = RuleId::UringCancelConsistent;
  if (r.ltimeout != kNoReq) {
    const Req& l = uring.reqs[r.ltimeout];
    if (l.pending() || l.res == -ETIME || l.res == -EALREADY) cancel_possible = true;
    else if (l.res == -ECANCELED || l.res == -ENOENT) {
      cancel_denied = true;
      denied_by = RuleId::UringLinkTimeoutOneOf;
    }
  }
  for (const Req& k : uring.reqs) {
    if (!is_cancel(k.op) || k.state == ReqState::Queued || !can_cancel(k, r)) continue;
    // A cancel whose CQE was omitted (CQE_SKIP_SUCCESS) succeeded with a count unseen.
    if (k.pending() || (k.silent && !k.failed) || (multi(k) ? cancelled_count(k) != 0 : (k.res == 0 || k.res == -EALREADY)))
      cancel_possible = true;
    // Linux: a request in io-wq may end cancelled uncounted (see uring_cancel_counts).
    if (linux_rules() && multi(k) && maybe_in_iowq(r)) cancel_possible = true;
    if (!k.pending() && !multi(k) && k.res == -ENOENT) cancel_denied = true;
    if (!k.pending() && k.op == Op::UringTimeoutRemove && (k.res == -EBUSY || k.res == -EALREADY || k.res == -ENOENT)) {
      cancel_denied = true;
      denied_by = RuleId::UringTimeoutRemove;
    }
  }
  if (r.must_cancel) cancel_possible = true;
  // Refused at submission: its own error, whatever its chain does.
  if (r.eopnotsupp) {
    rule = RuleId::UringDrainAfterSkip;
    allowed = RetSet::err(EOPNOTSUPP);
    if (profile == Profile::Contract) allowed.add(INT32_MIN, INT32_MAX);  // "undefined behavior"
  } else if (r.invalid) {
    allowed = RetSet::err(EINVAL);
    detail = r.op == Op::UringPoll ? "a multishot POLL_ADD with CQE_SKIP_SUCCESS is refused"
                                   : "a LINK_TIMEOUT needs a request with IOSQE_IO_LINK just before it";
  } else if (r.chain_failed_at_init && linux_rules()) {
    broken = true;
    rule = RuleId::UringLinkCancelRest;
    allowed = RetSet::err(ECANCELED);
    detail = "another member of its chain was refused at submission, which fails the whole chain";
  } else if (broken) {
    rule = RuleId::UringLinkCancelRest;
    allowed = RetSet::err(ECANCELED);
    detail = "an earlier member of its chain failed";
  } else if (r.badf) {
    allowed = RetSet::err(EBADF);
    // Issued later (from io-wq), it looks its fd up only then: a cancel may end it first.
    if (cancel_possible && may_run_in_iowq(r)) allowed.add_err(ECANCELED);
    detail = "its fd was closed before it was submitted";
  } else if (r.must_cancel) {
    rule = r.must_cancel_rule;
    allowed = RetSet::of({-ECANCELED, -EINTR}).add(moved_before_cancel(r));
    r.cancelled = allowed.contains(c.res);
    detail = "a cancel answered 0 for it";
  } else {
    const Desc* d = r.desc != kNone ? &fds.desc(r.desc) : nullptr;
    switch (r.op) {
      case Op::UringNop:
        allowed = RetSet::of({0});
        break;
      case Op::UringTimeout:
        rule = RuleId::UringTimeoutFire;
        allowed = RetSet::err(ETIME);
        if (r.count) allowed.add(0);
        break;
      case Op::UringLinkTimeout:
        rule = RuleId::UringLinkTimeoutOneOf;
        allowed = RetSet::of({-ETIME, -ECANCELED, -EALREADY, -ENOENT});
        break;
      case Op::UringCancel:
      case Op::UringPollRemove:
      case Op::UringTimeoutRemove:
      case Op::UringCancelFd:
      case Op::UringCancelAny: {
        if (multi(r)) {
          int64_t matching = 0;
          for (const Req& o : uring.reqs)
            if ((can_cancel(r, o) || held_cancel_findable(r, o)) &&
                (o.state == ReqState::InFlight || o.done_tick > r.submit_tick))
              ++matching;
          detail = std::to_string(matching) + " matching request(s) in flight when it was submitted";
          if (counts(r)) {
            rule = RuleId::UringCancelCount;
            allowed = RetSet::range(0, matching + (may_count_itself(r) ? 1 : 0));
          } else {
            rule = RuleId::UringCancelConsistent;
            allowed = matching ? RetSet::of({0, -ENOENT, -EALREADY}) : RetSet::err(ENOENT);
            if (linux_rules() && may_run_in_iowq(r)) allowed.add_err(EALREADY);
          }
          break;
        }
        rule = r.op == Op::UringTimeoutRemove ? RuleId::UringTimeoutRemove : RuleId::UringCancelConsistent;
        const Req* t = r.target != kNoReq ? &uring.reqs[r.target] : nullptr;
        bool findable = t && can_cancel(r, *t) && !(t->state == ReqState::Done && t->done_tick < r.submit_tick);
        if (!findable) {
          allowed = RetSet::err(ENOENT);
          detail = "its target was not in flight on this ring when it was submitted";
          break;
        }
        allowed = RetSet::of({0, -EALREADY});
        if (r.op == Op::UringTimeoutRemove) allowed.add_err(EBUSY);
        // -ENOENT says the target was not pending: only if it could have finished (or not
        // yet started: a linked request waiting for its predecessor is not findable, nor
        // by POLL_REMOVE, which searches armed polls only, a poll still queued to io-wq).
        // A linked request starts from task work once its predecessor ends: after the
        // rest of that submission, a cancel in it included. So only a predecessor whose
        // end was seen before the cancel's submission has surely let it start.
        const Req* pred = t->prev != kNoReq ? &uring.reqs[t->prev] : nullptr;
        bool started = (!pred || (!pred->pending() && pred->done_tick < r.submit_tick)) &&
                       !(r.op == Op::UringPollRemove && may_run_in_iowq(*t));
        bool blocked = false;
        if (started && t->state == ReqState::InFlight && t->desc != kNone && !t->badf && !fds.desc(t->desc).chaos) {
          const Desc& td = fds.desc(t->desc);
          if (reads(t->op) && td.rx != kNone && td.kind != ResKind::File) {
            const auto& ch = fds.chan(td.rx);
            blocked = ch.queued() == 0 && ch.maybe_sent == 0 && ch.eof == Level::No && td.rcv_shut == Level::No &&
                      td.reset == Level::No && td.err_level == Level::No;
          } else if (t->op == Op::UringPoll && t->multishot) {
            blocked = true;  // armed until removed (or the CQ overflows)
          } else if (t->op == Op::UringPoll) {
            blocked = std::none_of(t->states.begin(), t->states.end(), [&](const ReadySet& rs) {
              return rs.possible_bits() & ((t->events & ev::Modeled) | ev::Err | ev::Hup);
            }) && !(fds.readiness(t->desc).possible_bits() & ((t->events & ev::Modeled) | ev::Err | ev::Hup));
          }
        }
        // A multishot poll on its own ring is woken by the CQEs it posts itself; Linux
        // may end it before the remove looks (seen once by libFuzzer on 6.18, on a ring
        // reused from earlier inputs; not reproduced alone).
        const auto own = uring.ring_of.find(t->desc);
        const bool polls_own_ring = own != uring.ring_of.end() && own->second == t->ring;
        if (t->multishot && (ring.overflow_possible() || polls_own_ring)) blocked = false;
        // A predecessor that failed broke the link: the target ends -ECANCELED without
        // starting (io_fail_links), possibly before this cancel looked.
        for (uint32_t p = t->prev; p != kNoReq; p = uring.reqs[p].prev)
          if (uring.reqs[p].failed && !(uring.reqs[p].flags & sqe::Hardlink)) blocked = false;
        // Another cancel submitted before it (a POLL_REMOVE, a cancel of the same request)
        // may have taken the target first: then this one finds nothing.
        for (const Req& k : uring.reqs)
          if (k.id != r.id && is_cancel(k.op) && k.state != ReqState::Queued && before(k, r) && can_cancel(k, *t))
            blocked = false;
        if (!blocked || !started) allowed.add_err(ENOENT);
        if (blocked) detail = "its target could not have completed: it was still pending";
        break;
      }
      case Op::UringPoll:
        rule = RuleId::UringPollReady;
        allowed = RetSet::range(1, INT32_MAX);
        // A regular file has no wait queue and is only ever IN|OUT: a poll for neither
        // cannot be armed, and __io_arm_poll_handler fails it (measured: -EINVAL).
        if (d && d->kind == ResKind::File && !(r.events & (ev::In | ev::Out))) {
          allowed = RetSet::err(EINVAL);
          detail = "a regular file cannot be waited on for these events";
        }
        break;
      default: {
        // Reads and writes.
        const int64_t n = static_cast<int64_t>(r.n);
        if (d->kind == ResKind::File) {
          rule = RuleId::FileRw;
          if (reads(r.op)) {
            const auto& fc = fds.content(r.desc);
            auto span = [&](uint64_t size) {
              return static_cast<int64_t>(std::min<uint64_t>(r.n, static_cast<uint64_t>(r.off) < size ? size - static_cast<uint64_t>(r.off) : 0));
            };
            // It may have run as soon as it was submitted, before writes since (files
            // only grow here).
            allowed = RetSet::range(span(std::min(r.file_size_at_submit, fc.size_certain())), span(fc.size_possible()));
          } else {
            allowed = RetSet::of({n});
          }
          break;
        }
        if (d->kind == ResKind::EventFd) {
          rule = RuleId::EventfdWrite;
          allowed = r.n < 8 && reads(r.op) ? RetSet::err(EINVAL) : RetSet::of({8});
          break;
        }
        if (!reads(r.op)) {
          // As write(2) would answer, except that io_uring waits for room instead of
          // failing with EAGAIN, and a send may end short.
          Desc nb = *d;
          nb.nonblock = true;
          RetSet w = write_expect(nb, r.n, rule);
          if (w.contains(n) && !w.contains(-EAGAIN)) {
            allowed = w;
          } else {
            allowed = RetSet::range(r.waitall ? n : 1, n);
            for (int e : {EPIPE, ECONNRESET, ENOTCONN, ECONNREFUSED, EMSGSIZE})
              if (w.contains(-e)) allowed.add_err(e);
          }
          break;
        }
        // Reads on pipes and sockets.
        rule = RuleId::ReadCount;
        if (d->rx == kNone || (d->kind != ResKind::PipeRead && d->sock != Sock::Established)) {
          // As read(2) on the socket, which may have connected (0 at its end) meanwhile.
          allowed = unconnected_read(*d).add(0);
          // An unconnected datagram socket waits for a sender; issued by io-wq, an
          // O_NONBLOCK one says EAGAIN as read(2) would (measured on 6.18).
          if (d->nonblock && may_run_in_iowq(r)) allowed.add_err(EAGAIN);
          break;
        }
        const auto& ch = fds.chan(d->rx);
        const uint64_t q = ch.queued();
        // An io_uring write in flight toward it may land, and be read, before its own CQE.
        const uint64_t q_most = ch.dgram ? q : ch.queued_at_most();
        Level eof = d->kind == ResKind::PipeRead ? ch.eof : strongest(ch.eof, d->rcv_shut);
        if (ch.dgram) {
          rule = RuleId::DgramBoundary;
          if (!ch.msgs.empty()) allowed.add(std::min<int64_t>(n, static_cast<int64_t>(ch.msgs.front())));
        } else if (r.waitall) {
          rule = RuleId::UringRecvWaitall;
          if (q_most >= r.n) allowed.add(n);
          if ((q < r.n || may_end_before_in_flight(*d, ch)) &&
              (eof != Level::No || possible(d->reset) || possible(d->err_level)))
            allowed.add(0, static_cast<int64_t>(std::min(q_most, r.n - 1)));
          detail = std::to_string(q) + " of " + std::to_string(r.n) + " bytes had been sent";
        } else if (q_most > 0) {
          allowed.add(1, std::min<int64_t>(n, static_cast<int64_t>(q_most)));
        }
        if (eof != Level::No && (q == 0 || (ch.known_arrived() == 0 && may_end_before_in_flight(*d, ch)))) allowed.add(0);
        // unix_dgram_recvmsg: an empty datagram socket shut for reading says EAGAIN to a
        // nonblocking attempt (only SOCK_SEQPACKET signals EOF), which io_uring makes first.
        if (ch.dgram && eof != Level::No && q == 0) allowed.add_err(EAGAIN);
        if (possible(d->reset) || possible(d->err_level)) allowed.add_err(ECONNRESET).add(0);
        // Issued by io-wq rather than by its submission (a chain member, a chain left
        // open, drained), a read of an empty O_NONBLOCK file is as read(2): EAGAIN
        // (measured on 6.18; issued inline, Linux arms a poll instead).
        // It may have run before anything arrived.
        if (d->nonblock && may_run_in_iowq(r) && (ch.known_arrived() == 0 || r.rx_empty_at_submit)) allowed.add_err(EAGAIN);
        if (allowed.empty()) detail = "nothing had been written to it";
        break;
      }
    }
    if (cancel_possible) {
      // A short count no normal end explains is the count moved before the cancel.
      const RetSet moved = moved_before_cancel(r);
      if (!allowed.contains(c.res) && moved.contains(c.res)) r.cancelled = true;
      allowed.add_err(ECANCELED).add_err(EINTR).add(moved);
    }
    if (r.maybe_badf) allowed.add_err(EBADF);
    // It may have taken the error pending at its submission, whatever the state now.
    if (r.err_pending) allowed.add_err(ECONNREFUSED).add_err(ECONNRESET);
    if (r.unconnected_at_submit && reads(r.op)) allowed.add(unconnected_read(fds.desc(r.desc)).add_err(EINVAL).add_err(ENOTCONN));
    if (r.unconnected_at_submit && !reads(r.op)) allowed.add_err(ENOTCONN).add_err(EPIPE);
    for (const Req& k : uring.reqs)
      if (held_cancel_findable(k, r)) allowed.add_err(ECANCELED);
    if (r.chain_failed_at_init) allowed.add_err(ECANCELED);  // contract: not documented either way
    if (after_hard_failure) {
      rule = RuleId::UringHardlinkContinue;
      detail = "its predecessor failed, but with IOSQE_IO_HARDLINK";
    }
  }
  if (checked) {
    if (r.cancelled && !broken && !cancel_possible && cancel_denied) {
      fds.exercise(denied_by);
      return judged(violation(i, denied_by, "the request ends normally", result_text(c.res),
                              denied_by == RuleId::UringLinkTimeoutOneOf ? "its linked timeout said it completed first"
                                                                          : "a cancel answered ENOENT for it"),
                    Judged::CqeRes, r, not_cancelled());
    }
    if (r.op == Op::UringPoll && c.res > 0 && !broken && !r.badf) {
      fds.exercise(RuleId::UringPollReady);
      if (Check e = poll_mask_ok()) return e;
    } else if (Check e = expect(i, rule, allowed, c.res, detail.empty() ? name : name + ": " + detail,
                                Judged::CqeRes, ud_of(r))) {
      return e;
    }
    if (r.flags & sqe::SkipSuccess) {
      fds.exercise(RuleId::UringSkipSuccess);
      if (!r.failed) return violation(i, RuleId::UringSkipSuccess, "no CQE for a successful request", "a CQE for " + name + " (" + result_text(c.res) + ")");
    }
    if (r.op == Op::UringTimeout && r.count && c.res == 0) {
      fds.exercise(RuleId::UringTimeoutCount);
      // With the CQ ring possibly overflowing, CQ order is not posting order (overflowed
      // CQEs are flushed later): the CQEs before it in the ring do not bound the count.
      // Known deviation: once a count timeout with CQE_SKIP_SUCCESS has been submitted,
      // the others may fire after a single CQE (measured on 6.18; see
      // docs/findings/count-timeout-skip-success.md). Not judged, so fuzzing goes on.
      if (r.cqes_after + r.cqes_maybe < r.count && !ring.overflow_possible() && !ring.silent_count_timeout)
        return violation(i, RuleId::UringTimeoutCount, "0 only after " + std::to_string(r.count) + " other CQEs",
                         "0 after " + std::to_string(r.cqes_after + r.cqes_maybe), name);
    }
  }
  // Consistency of a cancel with its target, whichever ends second.
  if (checked && is_cancel(r.op) && !multi(r) && r.target != kNoReq && !broken) {
    Req& t = uring.reqs[r.target];
    RuleId crule = r.op == Op::UringTimeoutRemove ? RuleId::UringTimeoutRemove : RuleId::UringCancelConsistent;
    fds.exercise(crule);
    if (can_cancel(r, t)) {
      if (c.res == 0) {
        if (t.state == ReqState::Done && !t.cancelled && !t.silent)
          return judged(violation(i, crule, "ENOENT or EALREADY (the target already ended " + result_text(t.res) + ")",
                                  "0", req_name(prog, t)),
                        Judged::CqeRes, r, RetSet::of({-ENOENT, -EALREADY}));
        t.must_cancel = true;
        t.must_cancel_rule = crule;
      }
      // Did something else (another canceller, its linked timeout, its chain failing)
      // possibly end it?
      auto other_canceller = [&] {
        bool other = t.ltimeout != kNoReq || t.chain_failed_at_init;
        for (uint32_t p = t.prev; p != kNoReq; p = uring.reqs[p].prev) other = other || uring.reqs[p].failed;
        for (const Req& k : uring.reqs)
          other = other || (k.id != r.id && is_cancel(k.op) && k.state != ReqState::Queued &&
                            (can_cancel(k, t) || held_cancel_findable(k, t)));
        return other;
      };
      if (c.res == -ENOENT && t.state == ReqState::Done && t.cancelled && t.done_tick > r.submit_tick &&
          !other_canceller())
        return judged(violation(i, crule, "0 or EALREADY (the target ended " + result_text(t.res) + ")", "ENOENT",
                                req_name(prog, t)),
                      Judged::CqeRes, r, RetSet::of({0, -EALREADY}));
      if (r.op == Op::UringTimeoutRemove && (c.res == -EBUSY || c.res == -EALREADY || c.res == -ENOENT) &&
          t.state == ReqState::Done && t.res == -ECANCELED && t.done_tick > r.submit_tick && !other_canceller())
        return judged(violation(i, crule, "the timeout fired (ETIME)", "it ended ECANCELED", req_name(prog, t)),
                      Judged::CqeRes, t, RetSet::err(ETIME));
    }
  }
  // A linked timeout and its request: never both cancelled.
  if (checked && (r.op == Op::UringLinkTimeout || r.ltimeout != kNoReq) && !broken) {
    Req& l = r.op == Op::UringLinkTimeout ? r : uring.reqs[r.ltimeout];
    if (l.target != kNoReq && !l.invalid && !l.eopnotsupp) {
      Req& t = uring.reqs[l.target];
      fds.exercise(RuleId::UringLinkTimeoutOneOf);
      // Linux answers -ENOENT for a request it interrupted in io-wq (IOSQE_ASYNC).
      const bool iowq_enoent = linux_rules() && (t.flags & sqe::Async) && l.res == -ENOENT;
      // A chain refused at submission fails every member, the timeout and its request both.
      const bool refused_chain = t.chain_failed_at_init || l.chain_failed_at_init;
      if (!t.pending() && !l.pending() && t.cancelled && (l.res == -ECANCELED || l.res == -ENOENT) && !iowq_enoent &&
          !refused_chain) {
        bool other = false;
        for (const Req& k : uring.reqs)
          other = other || (is_cancel(k.op) && k.state != ReqState::Queued && (can_cancel(k, t) || held_cancel_findable(k, t)));
        for (uint32_t p = t.prev; p != kNoReq; p = uring.reqs[p].prev) other = other || uring.reqs[p].failed;
        if (!other)
          return judged(violation(i, RuleId::UringLinkTimeoutOneOf, "ETIME from the timeout of a cancelled request",
                                  result_text(l.res), req_name(prog, t) + " ended " + result_text(t.res)),
                        Judged::CqeRes, l, RetSet::err(ETIME));
      }
    }
  }
  if (Check e = uring_cqe_effects(i, r, c.res, data)) return e;
  // A failing member with CQE_SKIP_SUCCESS omits the CQEs of the links it breaks; a chain
  // refused at submission is failed whole instead, every member with its CQE (measured on
  // 6.18: a NOP, then drain|skip_success refused with EOPNOTSUPP, the member after it
  // ECANCELED). Only
  // the member that failed first decides (io_fail_links): one cancelled because an
  // earlier member failed breaks nothing itself.
  auto silence = [&](Req& m) -> Check {
    m.state = ReqState::Done;
    m.silent = true;
    m.cancelled = m.failed = true;
    m.res = -ECANCELED;
    m.done_tick = now;
    return uring_cqe_effects(i, m, m.res, {});
  };
  if (r.failed && !broken && !(r.flags & sqe::Hardlink) && (r.flags & sqe::SkipSuccess) && !r.eopnotsupp &&
      !r.invalid && !r.chain_failed_at_init)
    for (uint32_t nx = r.next; nx != kNoReq; nx = uring.reqs[nx].next) {
      Req& m = uring.reqs[nx];
      if (!m.pending()) break;
      if (Check e = silence(m)) return e;
    }
  // Except when its head has CQE_SKIP_SUCCESS: io_submit_fail_init fails the head, whose
  // skip flag then hides the CQEs of every later member, the refused one and their
  // linked timeouts included, hardlinks too. A valid LINK_TIMEOUT guarding the head
  // itself is disarmed apart (io_disarm_next) and still posts -ECANCELED (measured on
  // 6.18).
  const bool refused_chain_head = r.prev == kNoReq && (r.chain_failed_at_init || r.eopnotsupp || r.invalid);
  if (refused_chain_head && (r.flags & sqe::SkipSuccess)) {
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
  }
  return std::nullopt;
}

// The request ended with `res`: apply what it did to channels and files.
Check Oracle::Impl::uring_cqe_effects(size_t i, Req& r, int64_t res, std::string_view data) {
  if (!is_rw(r.op) || r.desc == kNone || r.badf) return std::nullopt;
  Desc& d = fds.desc(r.desc);
  if (d.kind == ResKind::File) {
    if (r.file_writer != ~0u) {
      auto& fc = fds.content(r.desc);
      fc.end(r.file_writer, res > 0 ? static_cast<uint64_t>(res) : 0, r.done_tick,
             [this](const model::FileContent::Writer& e, const model::FileContent::Writer& l) {
               if (e.req == model::kNoWriterReq || l.req == model::kNoWriterReq) return false;
               const Req& a = uring.reqs[e.req];
               const Req& b = uring.reqs[l.req];
               for (uint32_t p = b.prev; p != kNoReq; p = uring.reqs[p].prev)
                 if (p == a.id) return true;  // earlier in its chain
               if (b.drain && before(a, b)) return true;
               if (a.drain && before(a, b)) return true;
               return false;
             });
      fds.exercise(RuleId::UringWriteChainLast);
      fds.exercise(RuleId::UringWriteBlockAtomic);
    } else if (reads(r.op) && res > 0 && !d.chaos && !r.silent) {
      fds.exercise(RuleId::DataOrder);
      if (data.size() != static_cast<size_t>(res))
        return violation(i, RuleId::DataOrder, std::to_string(res) + " bytes of data", std::to_string(data.size()));
      if (auto m = fds.content(r.desc).read(static_cast<uint64_t>(r.off), data, r.submit_tick)) {
        fds.exercise(m->rule);
        std::string want;
        for (uint32_t st : m->allowed) want += (want.empty() ? "" : " or ") + (st < prog.resources.size() ? prog.res(st).name : "zeros");
        return violation(i, m->rule, "the bytes of " + (want.empty() ? std::string("nothing") : want) + " at offset " + std::to_string(m->offset),
                         "other bytes", req_name(prog, r));
      }
    }
    return std::nullopt;
  }
  if (d.kind == ResKind::EventFd) {
    if (!reads(r.op) && d.count_soon >= r.n) {
      d.count_soon -= r.n;
      if (res == 8) d.count += r.n;
    }
    return std::nullopt;
  }
  if (reads(r.op)) {
    if (d.rx == kNone || (d.kind != ResKind::PipeRead && d.sock != Sock::Established)) {
      unconnected_read_seen(d, res);
      return std::nullopt;
    }
    auto& ch = fds.chan(d.rx);
    if (ch.uring_readers) --ch.uring_readers;
    if (d.chaos) return std::nullopt;
    if (res > 0 && !ch.dgram && static_cast<uint64_t>(res) > ch.queued()) {
      // It took bytes of a write whose CQE is still to come: which bytes, and where the
      // write's own count puts the stream, the model does not follow.
      fds.lose_track(r.desc);
      return std::nullopt;
    }
    if (res > 0 && r.silent) {
      fds.read_stream(r.desc, static_cast<uint64_t>(res));  // its bytes were not reported
    } else if (res > 0) {
      fds.exercise(RuleId::DataOrder);
      if (data.size() != static_cast<size_t>(res))
        return violation(i, RuleId::DataOrder, std::to_string(res) + " bytes of data", std::to_string(data.size()));
      size_t bad = first_mismatch(ch.stream, ch.consumed, data);
      if (bad != std::string_view::npos)
        return violation(i, RuleId::DataOrder, "the stream's bytes from offset " + std::to_string(ch.consumed),
                         "a wrong byte at offset " + std::to_string(ch.consumed + bad), req_name(prog, r));
      uint64_t take = static_cast<uint64_t>(res);
      if (ch.dgram && !ch.msgs.empty()) take = ch.msgs.front();
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
  if (d.tx == kNone) return std::nullopt;
  auto& ch = fds.chan(d.tx);
  ch.maybe_sent -= std::min(ch.maybe_sent, r.n);
  if (res > 0) fds.wrote(r.desc, static_cast<uint64_t>(res), false);
  // Bytes reserved in the stream and not sent: later writes' offsets are off.
  if (res < static_cast<int64_t>(r.n) && ch.reader != kNone) fds.lose_track(ch.reader);
  return std::nullopt;
}

// ---- reaping ---------------------------------------------------------------------------

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
    if (!r) {
      if (ring.chaos) continue;
      return violation(i, RuleId::UringExactlyOnce, "CQEs of requests submitted on this ring",
                       "a CQE with user_data " + std::to_string(c.user_data) + " (res " + result_text(c.res) + ")");
    }
    std::string_view data;
    if (reads(r->op) && c.res > 0 && !(c.flags & model::kCqeMore)) {
      size_t len = std::min(static_cast<size_t>(c.res), obs.data.size() - std::min(obs.data.size(), data_at));
      data = std::string_view(obs.data).substr(std::min(data_at, obs.data.size()), len);
      data_at += static_cast<size_t>(c.res);
    }
    if (Check e = uring_cqe(i, *r, c, data)) return e;
  }
  if (Check e = uring_cancel_counts(i)) return e;
  return uring_settled(i, ring, obs, timeout, min, max);
}

Check Oracle::Impl::uring_cancel_counts(size_t i) {
  // A count cancel's answer, once every request it could have taken has ended.
  for (Req& c : uring.reqs) {
    // A count cancel with CQE_SKIP_SUCCESS that succeeded said nothing: no count to check.
    if (!multi(c) || c.pending() || c.loose || c.silent || cancelled_count(c) < 0 || uring.rings[c.ring].chaos)
      continue;
    const int64_t said = cancelled_count(c);
    int64_t lo = 0, hi = 0;
    bool settled = true;
    auto finds = [&](const Req& k, const Req& o) {
      return can_cancel(k, o) || held_cancel_findable(k, o);
    };
    for (const Req& o : uring.reqs) {
      if (!finds(c, o) || !(o.state == ReqState::InFlight || o.done_tick > c.submit_tick)) continue;
      if (o.pending()) settled = false;
      // Linux counts a request found running in io-wq even if it then completes.
      const bool in_iowq = linux_rules() && maybe_in_iowq(o);
      if (!o.cancelled && in_iowq) ++hi;
      if (!o.cancelled) continue;
      ++hi;
      // Linux: a request in io-wq (IOSQE_ASYNC, a dangling chain...) may end cancelled
      // uncounted.
      bool other = o.ltimeout != kNoReq || in_iowq;
      for (const Req& k : uring.reqs) other = other || (k.id != c.id && is_cancel(k.op) && k.state != ReqState::Queued && finds(k, o));
      for (uint32_t p = o.prev; p != kNoReq; p = uring.reqs[p].prev) other = other || uring.reqs[p].failed;
      if (!other) ++lo;
    }
    if (may_count_itself(c)) ++hi;
    if (!settled) continue;
    fds.exercise(RuleId::UringCancelCount);
    if (said < lo || said > hi) {
      Check v = violation(i, counts(c) ? RuleId::UringCancelCount : RuleId::UringCancelConsistent,
                          RetSet::range(lo, hi).text() + " request(s) ended cancelled by it", result_text(c.res),
                          req_name(prog, c));
      // A counting cancel's res is the count itself.
      return counts(c) ? judged(std::move(v), Judged::CqeRes, c, RetSet::range(lo, hi)) : v;
    }
    c.loose = true;  // checked once
  }
  return std::nullopt;
}

// Linux: a counting cancel running in io-wq may count itself when another ANY or FD
// cancel finds it running meanwhile. A request keeps one cancel sequence number
// (io_cancel_match_sequence), so the two re-mark it in turn, and the second, all-io-wq
// pass of __io_async_cancel no longer sees it as counted (measured on 6.18: 2 of 1000
// runs of tests/oracle_traces/pass.cancel_any_counts_itself.trace).
bool Oracle::Impl::may_count_itself(const Req& c) const {
  if (!linux_rules() || !counts(c) || !may_run_in_iowq(c)) return false;
  return std::any_of(uring.reqs.begin(), uring.reqs.end(), [&](const Req& k) { return held_cancel_findable(k, c); });
}

// Must request r have started within the wait: its predecessor in the chain ended, and
// whatever a drain orders it behind.
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

// A request is due if it must post its final CQE within the wait (kSettleMs allows for
// scheduling; timers add their time), after whatever it is ordered behind.
std::optional<RuleId> Oracle::Impl::uring_cqe_due(uint32_t ri, const Req& r, int64_t timeout_ms) const {
  if (r.ring != ri || r.state != ReqState::InFlight || r.loose || r.badf) return std::nullopt;
  if (r.flags & sqe::SkipSuccess) return std::nullopt;
  for (uint32_t p = r.prev; p != kNoReq; p = uring.reqs[p].prev)
    if (uring.reqs[p].flags & sqe::SkipSuccess) return std::nullopt;  // its CQE may be omitted
  auto within = [&](int64_t us) { return us / 1000 + model::kSettleMs <= timeout_ms; };
  if (!uring_start_due(ri, r, timeout_ms)) return std::nullopt;
  if (r.must_cancel) return RuleId::UringCancelConsistent;
  if (r.invalid || r.eopnotsupp) return RuleId::UringExactlyOnce;
  // Known deviation (docs/findings/link-timeout-drained-chain.md): a read guarded by a
  // LINK_TIMEOUT that io-wq issues as a blocking call (it has no IOSQE_ASYNC of its own,
  // but its chain went to io-wq: drained by a later member, IOSQE_ASYNC on an earlier
  // head, or left open at the end of its submission) blocks before its timeout is armed;
  // on 6.18 the timeout did not fire within 3 s. Not claimed due, so that fuzzing goes on
  // past it. (With IOSQE_ASYNC on the read itself, io-wq polls it and the timeout fires.)
  auto ltimeout_deviation_for = [&](const Req& guarded) {
    if (guarded.flags & sqe::Async) return false;
    uint32_t head = guarded.id;
    while (uring.reqs[head].prev != kNoReq) head = uring.reqs[head].prev;
    const Req& h = uring.reqs[head];
    return h.drain_from_member || h.dangling || (head != guarded.id && (h.flags & sqe::Async));
  };
  const bool ltimeout_deviation = ltimeout_deviation_for(r);
  if (r.ltimeout != kNoReq && uring.reqs[r.ltimeout].pending() && within(uring.reqs[r.ltimeout].t_us) &&
      !ltimeout_deviation)
    return RuleId::UringLinkTimeoutOneOf;
  switch (r.op) {
    case Op::UringNop:
      return within(0) ? std::optional(RuleId::UringExactlyOnce) : std::nullopt;
    case Op::UringTimeout:
      return within(r.t_us) ? std::optional(RuleId::UringTimeoutFire) : std::nullopt;
    case Op::UringLinkTimeout:
      if (r.target != kNoReq && ltimeout_deviation_for(uring.reqs[r.target])) return std::nullopt;
      return within(r.t_us) ? std::optional(RuleId::UringLinkTimeoutOneOf) : std::nullopt;
    case Op::UringCancel:
    case Op::UringCancelFd:
    case Op::UringCancelAny:
    case Op::UringPollRemove:
    case Op::UringTimeoutRemove:
      return within(0) ? std::optional(RuleId::UringCancelConsistent) : std::nullopt;
    case Op::UringPoll: {
      if (r.multishot) return std::nullopt;
      uint32_t filter = (r.events & ev::Modeled) | ev::Err | ev::Hup;
      if (fds.desc(r.desc).chaos) return std::nullopt;
      ReadySet rs = fds.readiness(r.desc);
      return (rs.soon_bits() & filter) && within(0) ? std::optional(RuleId::UringPollReady) : std::nullopt;
    }
    default:
      break;
  }
  const Desc& d = fds.desc(r.desc);
  if (d.chaos || !within(0)) return std::nullopt;
  if (d.kind == ResKind::File) return RuleId::UringExactlyOnce;
  if (d.kind == ResKind::EventFd) return reads(r.op) ? std::nullopt : std::optional(RuleId::UringExactlyOnce);
  if (reads(r.op)) {
    if (d.rx == kNone) return std::nullopt;
    const auto& ch = fds.chan(d.rx);
    if (ch.uring_readers > 1) return std::nullopt;
    Level eof = d.kind == ResKind::PipeRead ? ch.eof : strongest(ch.eof, d.rcv_shut);
    bool ends = (eof == Level::Yes || eof == Level::Soon) && !ch.dgram;  // an empty datagram socket may wait on
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
    const auto& ch = fds.chan(d.rx);
    most = std::min<uint64_t>(most, ch.queued_at_most());
  }
  return most ? RetSet::range(1, static_cast<int64_t>(most)) : RetSet{};
}

// May io-wq run it: as may_run_in_iowq, and regular file I/O, which Linux punts there
// when it cannot be done without blocking (measured on 6.18: two 1-byte writes to one
// file and an ANY|ALL cancel: both ended cancelled and it said 1; an async ANY cancel
// said 0 and a write to a file submitted after it ended cancelled).
bool Oracle::Impl::maybe_in_iowq(const Req& r) const {
  return may_run_in_iowq(r) || (is_rw(r.op) && r.desc != kNone && fds.desc(r.desc).kind == ResKind::File);
}

// An armed multishot poll woken while its fd is ready posts again.
bool Oracle::Impl::uring_more_due(uint32_t ri, const Req& r, int64_t timeout_ms) const {
  if (r.ring != ri || r.state != ReqState::InFlight || !r.multishot || !r.woken || r.loose || fds.desc(r.desc).chaos ||
      model::kSettleMs > timeout_ms)
    return false;
  // Its first CQE needs it started (a drain may hold it back).
  if (r.cqes == 0 && !uring_start_due(ri, r, timeout_ms)) return false;
  uint32_t filter = (r.events & ev::Modeled) | ev::Err | ev::Hup;
  return (fds.readiness(r.desc).yes_bits() & filter) != 0;
}

Check Oracle::Impl::uring_settled(size_t i, RingModel& ring, const Observation& obs, int64_t timeout_ms, int64_t min,
                                  int64_t max) {
  if (ring.chaos) return std::nullopt;
  const uint32_t ri = static_cast<uint32_t>(&ring - uring.rings.data());
  const bool complete = static_cast<int64_t>(obs.cqes.size()) < max;  // everything there was taken
  // Synchronous answers: a cancel's CQE, and the CQE of a target it cancelled, are posted
  // by the time its submission returned (io_uring_prep_cancel(3) NOTES).
  if (complete) {
    for (const Req& r : uring.reqs) {
      if (r.ring != ri || r.state != ReqState::InFlight || r.loose) continue;
      // A request the ring's drain state held back ran later, from task work, even if the
      // drain has ended by now.
      bool drained = r.drain || r.held;
      // With CQE_SKIP_SUCCESS a cancel that succeeded posts nothing (a count, ANY or ALL,
      // always succeeds).
      bool sync_cancel = is_cancel(r.op) && !drained && !may_run_in_iowq(r) && !(r.flags & sqe::SkipSuccess);
      if (sync_cancel || r.must_cancel) {
        fds.exercise(RuleId::UringCancelConsistent);
        return violation(i, RuleId::UringCancelConsistent, "the CQE of " + req_name(prog, r) + " (posted by submission)",
                         "not among the CQEs", r.must_cancel ? "a cancel answered 0 for it" : "cancels complete synchronously");
      }
    }
  }
  if (obs.value != -ETIME || obs.deadline_hit) return std::nullopt;
  // The wait ended with fewer than `min` CQEs: were more certainly on their way? The rule
  // that promised the first missing one is blamed.
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
  if (missing.empty() || static_cast<int64_t>(obs.cqes.size() + missing.size()) < min) return std::nullopt;
  const Req& r = *missing.front().first;
  RuleId rule = missing.front().second;
  std::string detail = "it must have completed";
  if (ring.overflow_possible()) {
    rule = RuleId::UringOverflowNodrop;
    detail = "more requests were in flight than the CQ ring holds (" + std::to_string(ring.max_in_flight) + " > " +
             std::to_string(ring.cq) + ")";
  } else {
    // Blocked behind an unrelated request submitted before it?
    for (const Req& o : uring.reqs) {
      if (o.ring != ri || o.state != ReqState::InFlight || !before(o, r) || o.drain || r.drain) continue;
      bool linked = false;
      for (uint32_t p = r.prev; p != kNoReq; p = uring.reqs[p].prev) linked = linked || p == o.id;
      if (!linked && !uring_cqe_due(ri, o, timeout_ms)) {
        rule = RuleId::UringUnlinkedAny;
        detail = "it is not linked to " + req_name(prog, o) + ", which is still pending";
        break;
      }
    }
  }
  fds.exercise(rule);
  Check v = violation(i, rule, "the CQE of " + req_name(prog, r) + " within " + std::to_string(timeout_ms) + "ms",
                      std::to_string(obs.cqes.size()) + " CQE(s), then the wait timed out", detail);
  // A final CQE that was due: it must have been taken by now (a multishot wakeup is not a
  // final CQE and stays Unknown).
  if (final_due.front()) return judged(std::move(v), Judged::CqeCount, r, RetSet::range(1, INT64_MAX));
  return v;
}

}  // namespace ringside
