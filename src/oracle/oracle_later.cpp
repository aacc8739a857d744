// `later` steps: a write or a shutdown the helper thread makes some time before the next
// join, while the main thread goes on. The model predicts its result from the state it
// starts from, applies its effects as "soon" (or, when its result is not known yet, as
// what may happen), and checks the result and settles the effects at join.
#include <utility>

#include "oracle/oracle_impl.hpp"

namespace ringside {

Check Oracle::Impl::observe_later(size_t i, const Step& s) {
  Desc& d = d_of(s.ins[0]);
  RetSet expect = RetSet::of({0});
  RuleId rule = RuleId::Errno;
  int64_t success = 0;
  const uint64_t n = s.op == Op::Write ? static_cast<uint64_t>(s.param(0)) : 0;
  if (s.op == Op::Write) {
    expect = write_expect(d, n, rule);
    success = d.kind == ResKind::EventFd ? 8 : static_cast<int64_t>(n);
  } else if (s.op == Op::Shutdown) {
    expect = shutdown_expect(d, rule);
  }
  if (fds.desc_unjudged(d.id)) expect.add(-4095, success, *ledger.span_tol(d.id));
  // A write predicted not to fit (EAGAIN, or part of it) may fit when it runs: the
  // main thread may read meanwhile.
  int64_t only = 0;
  const bool room_bound =
      s.op == Op::Write && expect.single(only) && (only == -EAGAIN || (only > 0 && only < success));
  if (room_bound) {
    RuleId ignored;
    expect.add(write_expect(d, n, ignored, true)).add(1, success);
  }
  LaterStep later{d.id, n, expect, rule};
  // A blocking write to a fd not surely writable may find no room (a peer that never
  // reads) and wait until the engine's watchdog interrupts it at the step deadline:
  // EINTR, nothing written. Only if nothing made room meanwhile (checked at join).
  if (s.op == Op::Write && !d.nonblock && !(fds.readiness(d.id).yes_bits() & ev::Out)) {
    later.expect.add_err(EINTR);
    later.may_block = true;
    if (d.tx != kNone) later.consumed_at_start = fds.chan(d.tx).consumed;
  }
  // Unconnected, an AF_UNIX datagram send charges its buffer to the socket before it
  // fails ENOTCONN, so POLLOUT may be gone for a moment while the helper runs it.
  if (s.op == Op::Write && d.kind == ResKind::UnixDgram && d.tx == kNone) d.out_flickers = true;
  // To a peer that is gone it disconnects the socket (unix_dgram_disconnected) when it
  // runs: until the join the socket is followed within bounds.
  if (s.op == Op::Write && d.kind == ResKind::UnixDgram && d.tx != kNone && possible(d.peer_gone))
    ledger.open_span(d.id, d.origin, TolId::UnixDgramSendToGonePeer);
  if ((s.op == Op::Write || s.op == Op::Read) && d.is_tcp()) d.err_may_be_taken = true;
  // Data for a TCP peer that is closed or closing draws a RST whenever the helper sends it.
  if (s.op == Op::Write && d.is_tcp() && tcp_peer_discards(d)) tcp_sent_to_discarding_peer(d, Level::Maybe);
  // (A shutdown takes effect even when it fails ENOTCONN on a closed TCP socket.)
  const bool certain = later.expect.single(only) && (only == success || s.op == Op::Shutdown);
  later.uncertain = !certain;
  if (!certain) {
    // Its result is not known until join: so neither is its effect. A write's bytes may
    // come, all, some or none; an eventfd's addition may come; a shutdown may take effect.
    if (s.op == Op::Write && d.tx != kNone && d.kind != ResKind::File) {
      auto& c = fds.chan(d.tx);
      c.maybe_sent += n;
      later.floating = c.bytes.begin_write(n);
      if (c.pipe) c.layout_unknown = true;  // which pages it takes, if any, depends on when it runs
      if (c.reader != kNone) fds.wakes().push_back({c.reader, ev::In, Level::Maybe, RuleId::EtEdge});
    } else if (s.op == Op::Write && d.kind == ResKind::EventFd) {
      d.count_maybe += n;
    } else if (s.op == Op::Shutdown) {
      ledger.open_span(d.id, d.origin, TolId::LaterShutdownUnknown);
    }
    later_steps[static_cast<uint32_t>(i)] = later;
    return std::nullopt;
  }
  Observation assumed;
  assumed.ret = s.op == Op::Shutdown ? only : success;
  fds.set_later(true);
  Check c = dispatch(i, s, assumed);
  fds.set_later(false);
  if (s.op == Op::Write && d.tx != kNone) later.floating = std::exchange(fds.chan(d.tx).later_write, ~0u);
  later_steps[static_cast<uint32_t>(i)] = later;
  return c;
}

// The helper thread's results: each as predicted, and its effects settled.
Check Oracle::Impl::join(size_t i, const Observation& obs) {
  for (const HelperResult& h : obs.helpers) {
    auto it = later_steps.find(h.step);
    if (it == later_steps.end()) continue;
    const LaterStep& l = it->second;
    if (Check c = expect(h.step, l.rule, l.expect, h.ret, "result of the `later` step, seen at join", Judged::HelperRet,
                         h.step))
      return c;
    if (Check c = check_blocked_writer(h.step, l, h.ret)) return c;
    settle_later(h.step, l, h.ret);
    later_steps.erase(it);
  }
  if (!later_steps.empty() && !obs.deadline_hit)
    return violation(i, RuleId::Deadline, "every `later` step reported", "step " +
                     std::to_string(later_steps.begin()->first + 1) + " never finished");
  if (obs.deadline_hit)
    return violation(i, RuleId::Deadline, "the helper thread to finish", "still running at the deadline");
  fds.joined();
  return std::nullopt;
}

// pipe(7), unix(7), tcp(7): a writer blocked for room wakes once the reader makes room. A
// `later` blocking write interrupted by the watchdog (EINTR) was never woken: only
// allowed if nothing was read from its channel since it started.
Check Oracle::Impl::check_blocked_writer(size_t step, const LaterStep& l, int64_t ret) {
  if (!l.may_block || ret != -EINTR) return std::nullopt;
  const Desc& d = fds.desc(l.desc);
  if (d.tx == kNone || fds.chan(d.tx).consumed == l.consumed_at_start) return std::nullopt;
  return violation(step, RuleId::WriteCount, "the write woken once the reader made room",
                   "EINTR: still blocked at the step deadline",
                   std::to_string(fds.chan(d.tx).consumed - l.consumed_at_start) + " bytes were read from its channel meanwhile");
}

void Oracle::Impl::settle_later(size_t step, const LaterStep& l, int64_t ret) {
  Desc& d = fds.desc(l.desc);
  d.out_flickers = false;
  d.err_may_be_taken = false;
  const Step& s = prog.steps[step];
  if (s.op == Op::Shutdown && ledger.in_span(d.id)) {
    if (ret == 0) fds.shutdown(d.id, static_cast<int>(s.param(0)), false);
    ledger.close_span(d.id);
    return;
  }
  if (s.op != Op::Write) return;
  if (d.kind == ResKind::UnixDgram && ledger.span_tol(d.id) == TolId::UnixDgramSendToGonePeer) {
    ledger.close_span(d.id);
    if (ret == -ECONNREFUSED) fds.dgram_disconnect(d.id);
  }
  const uint64_t wrote = ret > 0 ? static_cast<uint64_t>(ret) : 0;
  if (d.kind == ResKind::EventFd && d.count_maybe >= l.n) {
    d.count_maybe -= l.n;
    if (ret == 8) d.count_unknown += l.n;  // it may have been read already
    return;
  }
  if (d.tx == kNone) return;
  auto& c = fds.chan(d.tx);
  if (l.floating == ~0u) return;
  c.bytes.end_write(l.floating, wrote, false);
  if (l.uncertain && c.maybe_sent >= l.n) {
    // Uncertain until now: its bytes arrive as what it wrote.
    c.maybe_sent -= l.n;
    if (wrote) fds.wrote_counts(d.id, wrote);
  }
}

}  // namespace ringside
