// Families 4-6, first half: rings, queuing SQEs, and what io_uring_enter(2) does with them
// at submission (chains, drains, requests refused at once, effects that start then).
#include <algorithm>

#include "oracle/oracle_impl.hpp"
#include "oracle/uring_common.hpp"

namespace ringside {

using namespace uring_model;
using model::RingModel;

namespace {
unsigned pow2_at_least(unsigned v) {
  unsigned p = 1;
  while (p < v) p <<= 1;
  return p;
}
}  // namespace

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
    case Op::Close:
      uring_ring_closed(i, uring.ring_of.at(id_of(s.ins[0])));
      return close(i, s, obs);
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

// io_uring_enter(2) hands the queued SQEs to the kernel: it returns how many it consumed
// (all of them with IORING_SETUP_SUBMIT_ALL), or fails and consumes none ("EBUSY ... if
// it can't flush the overflown events"): the SQEs then stay queued for the next call.
Check Oracle::Impl::uring_submit(size_t i, const Step& s, const Observation& obs) {
  const uint32_t ri = uring.ring_of.at(id_of(s.ins[0]));
  RingModel& ring = uring.rings[ri];
  RetSet allowed = RetSet::of({static_cast<int64_t>(ring.queued.size())});
  if (ring.overflow_possible()) allowed.add_err(EBUSY);
  if (Check c = expect(i, RuleId::UringSubmitCount, allowed, obs.ret)) return c;
  if (obs.ret < 0) return std::nullopt;
  const auto queued = ring.queued;
  ring.queued.clear();
  const uint64_t now = uring.tick();
  link_chains(ring, queued, s.param(0) ? static_cast<size_t>(s.param(0)) : ring.sq, now);
  fail_refused_chains(queued);
  hold_behind_drain(ri, queued);
  for (uint32_t id : queued) start_request(i, uring.reqs[id]);
  ring.max_in_flight = std::max(ring.max_in_flight, uring.in_flight(ri));
  return std::nullopt;
}

// The SQEs of one call in SQ order, `per` per io_uring_enter: links and hardlinks form
// chains, a LINK_TIMEOUT guards the request before it, drains mark their chain's head.
void Oracle::Impl::link_chains(RingModel& ring, const std::vector<uint32_t>& queued, size_t per, uint64_t now) {
  per = std::min<size_t>(std::max<size_t>(per, 1), ring.sq);
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
}

// A request refused at submission (io_init_req: drain after CQE_SKIP_SUCCESS, a second
// LINK_TIMEOUT) inside a chain fails the whole chain: io_submit_fail_init marks the head
// failed, so the other members never start and end -ECANCELED.
void Oracle::Impl::fail_refused_chains(const std::vector<uint32_t>& queued) {
  for (uint32_t id : queued) {
    const Req& r = uring.reqs[id];
    if (!r.eopnotsupp && !r.invalid) continue;
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
void Oracle::Impl::hold_behind_drain(uint32_t ri, const std::vector<uint32_t>& queued) {
  RingModel& ring = uring.rings[ri];
  auto drained_chain = [&](const Req& o) {
    uint32_t h = o.id;
    while (uring.reqs[h].prev != kNoReq) h = uring.reqs[h].prev;
    return uring.reqs[h].drain || uring.reqs[h].held;
  };
  for (uint32_t id : queued) {
    Req& r = uring.reqs[id];
    if (r.drain) ring.drain_active = true;
    if (r.prev != kNoReq || r.drain || refused_own(r) || !ring.drain_active) continue;
    r.held = true;
    // Waiting: a drained or held request still pending, or a member of a drained chain.
    bool waiting = false;
    for (const Req& o : uring.reqs)
      waiting = waiting || (o.ring == ri && o.id != r.id && o.pending() && (o.drain || o.held || drained_chain(o)));
    if (!waiting) ring.drain_active = false;
  }
}

// Effects that start with submission: a poll arms, a read joins its channel's readers, a
// write's bytes take their place in the writer's stream, a socket's pending error may
// be taken by it whenever it runs.
void Oracle::Impl::start_request(size_t i, Req& r) {
  const bool refused = r.badf || refused_own(r);
  if (refused && r.desc != kNone && is_rw(r.op) && !reads(r.op) && fds.desc(r.desc).kind != ResKind::File &&
      fds.desc(r.desc).tx != kNone) {
    // The engine gives a write's bytes their place in the writer's stream when it is
    // submitted; one refused at submission leaves that place empty.
    auto& c = fds.chan(fds.desc(r.desc).tx);
    c.bytes.end_write(c.bytes.begin_write(r.n), 0);
  }
  if (refused || r.desc == kNone || is_cancel(r.op)) return;
  Desc& d = fds.desc(r.desc);
  if (r.op == Op::UringPoll) {
    r.states.push_back(fds.readiness(r.desc));
    r.woken = r.multishot && (r.states.back().yes_bits() & ((r.events & ev::Modeled) | ev::Err | ev::Hup));
    return;
  }
  if (!is_rw(r.op)) return;
  // Issued at once on a socket not connected yet: its answer is that state's, even if
  // the socket connects before the reap.
  if ((d.is_stream() && d.sock != Sock::Established) || (d.kind == ResKind::UnixDgram && d.tx == kNone))
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
    return;
  }
  if (d.kind == ResKind::EventFd) return start_eventfd_request(r, d);
  if (reads(r.op)) return start_channel_read(r, d);
  start_channel_write(i, r, d);
}

// eventfd(2) through io_uring: Linux runs eventfd reads and writes from io-wq, where a
// cancel may still stop them, and a drain or a chain may hold them back for ever: a write's
// addition may come, a read may take the counter, at any moment.
void Oracle::Impl::start_eventfd_request(Req& r, Desc& d) {
  if (reads(r.op)) {
    ++d.count_readers;
    return;
  }
  d.count_maybe += r.n;
  r.count_reads_at_submit = d.count_reads;
}

void Oracle::Impl::start_channel_read(Req& r, Desc& d) {
  if (d.rx == kNone) return;
  auto& c = fds.chan(d.rx);
  r.rx_empty_at_submit = c.known_arrived() == 0;
  r.on_channel = true;
  ++c.uring_readers;
  c.uring_read_n += r.n;
  c.bytes.begin_read();
  if (c.pipe) c.layout_unknown = true;  // it frees pages whenever it runs
}

void Oracle::Impl::start_channel_write(size_t, Req& r, Desc& d) {
  // An AF_UNIX datagram send to a peer that is gone disconnects the socket
  // (unix_dgram_disconnected) whenever it runs: until its CQE says, the socket is
  // followed within bounds.
  if (d.kind == ResKind::UnixDgram && possible(d.peer_gone)) {
    ledger.open_span(d.id, d.origin, TolId::UnixDgramSendToGonePeer);
    r.floating = ~0u;
  }
  // Not connected: it fails, but while it runs its buffer is charged to the socket's send
  // space, so the socket's POLLOUT may come and go (seen with select, 64 KiB from io-wq on
  // an unconnected AF_UNIX datagram socket).
  if (d.tx == kNone) {
    if (d.kind == ResKind::UnixDgram) d.out_flickers = true;
    return;
  }
  auto& c = fds.chan(d.tx);
  c.maybe_sent += r.n;
  r.floating = c.bytes.begin_write(r.n);
  if (c.pipe) c.layout_unknown = true;  // which pages its bytes take depends on when it runs
}

// close(2) of a ring: its requests in flight are cancelled or complete at some moment
// after (io_ring_exit_work), and nobody sees their CQEs: a read may take bytes, a write
// may put some, at any time from now. Queued SQEs were never submitted: they go with the
// ring and take nothing.
void Oracle::Impl::uring_ring_closed(size_t, uint32_t ri) {
  for (Req& r : uring.reqs) {
    if (r.ring != ri || r.state != ReqState::InFlight || r.desc == kNone || r.abandoned) continue;
    r.abandoned = true;
    const Desc& d = fds.desc(r.desc);
    if (r.on_channel && d.rx != kNone) fds.chan(d.rx).bytes.abandon_read();
    if (r.floating != ~0u && d.tx != kNone) fds.chan(d.tx).bytes.abandon_write(r.floating);
  }
  uring.rings[ri].open = false;
}

}  // namespace ringside
