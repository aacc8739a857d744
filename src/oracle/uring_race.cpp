// Family 6: race steps. Every trial is checked on its own (each request ended exactly
// once, the canceller's answer consistent with its target's end, the bytes taken and
// left adding up to what was written), and its outcome is counted: the histogram shows
// that both branches of the race were exercised, and a branch never reached is a warning.
#include <algorithm>

#include "oracle/oracle_impl.hpp"
#include "program/pattern.hpp"
#include "program/uring_ids.hpp"

namespace ringside {
namespace {

// A race step with fewer trials than this is not expected to reach both branches.
constexpr size_t kRaceTrialsToWarn = 50;

bool cancelled_res(int64_t res) { return res == -ECANCELED || res == -EINTR; }

// The two branches of each race, by the outcome of its target.
struct Branches {
  const char* normal;     // the target ended by itself
  const char* cancelled;  // the competing canceller (or timer) won
};
Branches branches_of(Op op) {
  switch (op) {
    case Op::RacePollRemove:
      return {"fired", "removed"};
    case Op::RaceTimeoutRemove:
      return {"fired", "removed"};
    case Op::RaceCancelFd:
      return {"one done", "none done"};
    default:
      return {"done", "cancelled"};
  }
}

}  // namespace

// Trials on a channel the model does not follow (bytes already there, reader and writer of
// different channels, shut down...): the reader is drained after each trial, the writer's
// bytes may be anywhere.
void Oracle::Impl::race_unfollowed(DescId rd, DescId wr, uint64_t bytes) {
  for (DescId d : {rd, wr}) fds.unfollow(d, TolId::RaceChannelNotFollowed);
  if (rd != kNone && fds.desc(rd).rx != kNone) {
    auto& c = fds.chan(fds.desc(rd).rx);
    c.consumed = c.arrived = c.sent;
    c.msgs.clear();
    c.bytes.observed_empty();
  }
  if (wr != kNone && fds.desc(wr).tx != kNone) {
    auto& c = fds.chan(fds.desc(wr).tx);
    c.bytes.abandon_write(c.bytes.begin_write(bytes));
    fds.unfollow(c.reader, TolId::RaceChannelNotFollowed);
  }
}

Check Oracle::Impl::race(size_t i, const Step& s, const Observation& obs) {
  const OpSpec& spec = s.spec();
  auto param = [&](std::string_view n) { return s.param(spec.index(n)); };
  auto has = [&](std::string_view n) {
    return std::any_of(spec.params.begin(), spec.params.end(), [&](const ParamSpec& p) { return p.name == n; });
  };
  // Its trials post CQEs on a ring (the program's, or a private one when that is busy),
  // which wakes the ring fd's waiters: an ET registration on it may be reported again.
  fds.wakes().push_back({id_of(s.ins[0]), 0, Level::Maybe, RuleId::EtRefire});
  const auto trials = static_cast<size_t>(param("trials"));
  const uint64_t n = has("n") ? static_cast<uint64_t>(param("n")) : 0;
  const int targets = s.op == Op::RaceCancelFd ? static_cast<int>(param("k")) : 1;
  const bool io_race = s.op != Op::RaceTimeoutRemove;
  const Branches br = branches_of(s.op);
  const uint32_t line = s.loc.line ? s.loc.line : static_cast<uint32_t>(i + 1);
  const size_t race_steps = std::count_if(prog.steps.begin(), prog.steps.end(), [](const Step& x) { return is_race_op(x.op); });
  const std::string prefix = race_steps > 1 ? "line " + std::to_string(line) + ": " : "";

  if (obs.trials.size() != trials)
    return violation(i, RuleId::UringExactlyOnce, std::to_string(trials) + " trials, each ending",
                     std::to_string(obs.trials.size()) + " trials");
  // The channel the race runs on: it must be the reader's, and empty, for bytes to add up.
  DescId rd = kNone, wr = kNone;
  bool checked = true;
  uint64_t base = 0;
  uint32_t stream = 0;
  if (io_race) {
    rd = id_of(s.ins[1]);
    wr = id_of(s.ins[2]);
    const Desc& r = fds.desc(rd);
    const Desc& w = fds.desc(wr);
    // Two ends of one open channel, nothing shut down or reset.
    checked = checked && !fds.desc_unjudged(rd) && !fds.desc_unjudged(wr) && r.rx != kNone && r.rx == w.tx && w.peer_gone == Level::No && r.peer_gone == Level::No &&
              r.rcv_shut == Level::No && w.snd_shut == Level::No && r.reset == Level::No && w.reset == Level::No &&
              r.err_level == Level::No && w.err_level == Level::No;
    if (checked) {
      const auto& ch = fds.chan(r.rx);
      checked = ch.queued() == 0 && ch.maybe_sent == 0 && ch.uring_readers == 0 && ch.eof == Level::No;
      // A request queued (not yet submitted) on either end has its bytes laid out
      // already: the trials' bytes would not start where the stream is now.
      for (const model::Req& q : uring.reqs)
        if (checked && q.pending() && q.desc != kNone) {
          const Desc& x = fds.desc(q.desc);
          checked = x.rx != r.rx && x.tx != r.rx;
        }
      base = ch.bytes.writer_pos();
      stream = ch.bytes.stream();
    }
    // Trials on a channel the model cannot follow leave it known only within bounds: the
    // engine drains whatever it finds on the reader after each trial, and the writer's
    // bytes may land anywhere.
    if (!checked) race_unfollowed(rd, wr, trials * n);
  }
  uint64_t normal = 0, cancelled = 0;
  for (size_t t = 0; t < obs.trials.size(); ++t) {
    const RaceTrial& tr = obs.trials[t];
    const std::string where = "trial " + std::to_string(t + 1) + " (" + uring::KnobCell::decode(tr.knobs).text() + ")";
    auto fail = [&](RuleId rule, std::string expected, std::string observed) {
      fds.exercise(rule);
      return violation(i, rule, std::move(expected), std::move(observed), where);
    };
    // Each role's CQEs: exactly one final CQE each.
    std::vector<const Completion*> tgt(static_cast<size_t>(targets), nullptr);
    const Completion* canceller = nullptr;
    const Completion* timeout = nullptr;
    const Completion* cleanup = nullptr;
    fds.exercise(RuleId::UringExactlyOnce);
    for (const Completion& c : tr.cqes) {
      const Completion** slot = nullptr;
      if (c.user_data >= uring::kRaceTarget && c.user_data < uring::kRaceTarget + static_cast<uint64_t>(targets))
        slot = &tgt[c.user_data - uring::kRaceTarget];
      else if (c.user_data == uring::kRaceCanceller && s.op != Op::RaceLinkTimeout)
        slot = &canceller;
      else if (c.user_data == uring::kRaceTimeout && s.op == Op::RaceLinkTimeout)
        slot = &timeout;
      else if (c.user_data == uring::kRaceCleanup &&
               (s.op == Op::RaceCancelFd || s.op == Op::RaceCancel || s.op == Op::RacePollRemove))
        slot = &cleanup;
      if (!slot) return fail(RuleId::UringExactlyOnce, "CQEs of this trial's requests", "user_data " + std::to_string(c.user_data));
      if (*slot) return fail(RuleId::UringExactlyOnce, "one CQE per request", "a second CQE (res " + result_text(c.res) + ")");
      if (c.flags & model::kCqeMore) return fail(RuleId::UringMultishotMore, "no F_MORE on a one-shot request", "F_MORE");
      *slot = &c;
    }
    for (const Completion* c : tgt)
      if (!c) return fail(RuleId::UringExactlyOnce, "a CQE for every target", "none for one");
    const Completion* other = s.op == Op::RaceLinkTimeout ? timeout : canceller;
    if (!other) return fail(RuleId::UringExactlyOnce, "a CQE for the competing request", "none");

    // The targets' ends, and the bytes they took.
    int done = 0, cut = 0;
    uint64_t taken = 0;
    std::vector<std::pair<uint64_t, uint64_t>> claimed;  // stream ranges the reads returned
    size_t data_at = 0;
    for (const Completion* c : tgt) {
      const int64_t res = c->res;
      if (cancelled_res(res)) {
        ++cut;
        continue;
      }
      if (s.op == Op::RaceTimeoutRemove) {
        if (res != -ETIME) return fail(RuleId::UringTimeoutFire, "ETIME or ECANCELED", result_text(res));
        ++done;
        continue;
      }
      if (!checked) {  // a reader the model cannot follow (not connected, shut down...): any end
        if (!ledger.use(TolId::RaceChannelNotFollowed, "a trial's read on a channel the model does not follow")) {
          Check v = fail(RuleId::UringResultRange, "a trial on a channel the model follows", result_text(res));
          if (v) v->needs = {TolId::RaceChannelNotFollowed};
          return v;
        }
        ++done;
        if (res > 0 && s.op != Op::RacePollRemove) taken += static_cast<uint64_t>(res);
        continue;
      }
      if (s.op == Op::RacePollRemove) {
        if (res <= 0 || !(res & ev::In) || (res & ~(ev::In | ev::Err | ev::Hup)))
          return fail(RuleId::PollIn, "IN (n bytes arrived) or ECANCELED", res > 0 ? ev::text(static_cast<uint32_t>(res)) : result_text(res));
        ++done;
        continue;
      }
      if (res <= 0 || static_cast<uint64_t>(res) > n)
        return fail(RuleId::UringResultRange, "1.." + std::to_string(n) + " bytes or ECANCELED", result_text(res));
      ++done;
      taken += static_cast<uint64_t>(res);
      if (!checked) continue;
      // A read returns consecutive bytes of what this trial wrote, from some offset no
      // other read of the trial took.
      std::string_view d = std::string_view(tr.data).substr(std::min(data_at, tr.data.size()));
      d = d.substr(0, static_cast<size_t>(res));
      data_at += static_cast<size_t>(res);
      fds.exercise(RuleId::DataOrder);
      bool placed = false;
      for (uint64_t off = 0; off + static_cast<uint64_t>(res) <= n && !placed; ++off) {
        if (d.size() != static_cast<size_t>(res) || first_mismatch(stream, base + off, d) != std::string_view::npos) continue;
        bool overlap = std::any_of(claimed.begin(), claimed.end(), [&](auto rg) {
          return off < rg.second && rg.first < off + static_cast<uint64_t>(res);
        });
        if (!overlap) {
          claimed.push_back({off, off + static_cast<uint64_t>(res)});
          placed = true;
        }
      }
      if (!placed)
        return fail(RuleId::DataOrder, "bytes " + std::to_string(base) + ".." + std::to_string(base + n) + " of the stream",
                    "other bytes");
    }
    // The competing request's answer, consistent with the targets' ends.
    const int64_t o = other->res;
    std::string key;
    switch (s.op) {
      case Op::RaceCancel:
      case Op::RacePollRemove: {
        fds.exercise(RuleId::UringCancelConsistent);
        bool hit = cut == 1;
        // The cleanup ended a target the canceller did not find. Linux: a POLL_ADD with
        // IOSQE_ASYNC still queued to io-wq is not found (-ENOENT) yet stays pending; the
        // contract says -ENOENT means it was not pending.
        const bool missed = cleanup && cleanup->res > 0;
        const bool iowq = uring::KnobCell::decode(tr.knobs).async;
        if (o != 0 && o != -ENOENT && o != -EALREADY)
          return fail(RuleId::UringCancelConsistent, "0, ENOENT or EALREADY", result_text(o));
        if (o == 0 && !hit) return fail(RuleId::UringCancelConsistent, "the target cancelled (the cancel said 0)", result_text(tgt[0]->res));
        if (o == -ENOENT && hit) {
          Check v = fail(RuleId::UringCancelConsistent, "the target done (the cancel said ENOENT)",
                         result_text(tgt[0]->res) + (missed ? " (still pending: ended by the cleanup)" : ""));
          if (!(missed && iowq)) return v;
          if (Check e = tolerate(TolId::UringPollRemoveMissesIowqPoll, *v)) return e;
        }
        if (cleanup && cleanup->res != (missed ? 1 : 0) && cleanup->res != 0)
          return fail(RuleId::UringCancelCount, "0 or 1 (the targets left)", result_text(cleanup->res));
        key = std::string(hit ? br.cancelled : br.normal) + ", " + (s.op == Op::RaceCancel ? "cancel " : "remove ") + result_text(o);
        if (missed) key += ", missed";
        break;
      }
      case Op::RaceLinkTimeout: {
        fds.exercise(RuleId::UringLinkTimeoutOneOf);
        bool hit = cut == 1;
        // Linux: the timeout's cancel attempt interrupts a read running in io-wq
        // (IOSQE_ASYNC) yet answers -ENOENT (io_try_cancel does not keep -EALREADY).
        const bool iowq_enoent = uring::KnobCell::decode(tr.knobs).async && o == -ENOENT;
        bool ok = hit ? (o == -ETIME || o == -EALREADY)
                      : (o == -ECANCELED || o == -ETIME || o == -ENOENT || o == -EALREADY);
        if (!ok) {
          Check v = fail(RuleId::UringLinkTimeoutOneOf,
                         hit ? "ETIME or EALREADY from the timeout of a cancelled read" : "ECANCELED from the timeout of a read that completed",
                         result_text(o));
          if (!(hit && iowq_enoent)) return v;
          if (Check e = tolerate(TolId::UringLinkTimeoutIowqEnoent, *v)) return e;
        }
        key = std::string(hit ? br.cancelled : br.normal) + ", timeout " + result_text(o);
        break;
      }
      case Op::RaceTimeoutRemove: {
        fds.exercise(RuleId::UringTimeoutRemove);
        bool hit = cut == 1;
        if (o != 0 && o != -ENOENT && o != -EALREADY && o != -EBUSY)
          return fail(RuleId::UringTimeoutRemove, "0, ENOENT, EBUSY or EALREADY", result_text(o));
        if ((o == 0) != hit)
          return fail(RuleId::UringTimeoutRemove, o == 0 ? "the timeout ECANCELED (the removal said 0)" : "the timeout ETIME (the removal did not remove it)",
                      result_text(tgt[0]->res));
        key = std::string(hit ? br.cancelled : br.normal) + ", remove " + result_text(o);
        break;
      }
      default: {  // RaceCancelFd
        // Reads the FD cancel did not find (queued to io-wq, with no file yet) were ended
        // by a cleanup ASYNC_CANCEL_ANY: the two counts together are the cancelled reads.
        // Linux: with IOSQE_ASYNC the reads run in io-wq, and the count is inexact both ways
        // (measured on 6.18): some end cancelled uncounted, and a read found running is
        // counted even when it then completes, or goes on to wait for data (armed poll)
        // and is found again by the cleanup. Before pipes had FMODE_NOWAIT (Linux 6.4) a
        // pipe read that waited was retried from io-wq even without IOSQE_ASYNC, and
        // io_wq_cancel_cb counts all it removes there as one (measured on 6.1: 1 for 3).
        // The contract counts exactly the cancelled.
        fds.exercise(RuleId::UringCancelCount);
        const int64_t missed = cleanup ? cleanup->res : 0;
        const bool pipe_via_iowq = !facts.pipe_nowait && rd != kNone && fds.desc(rd).kind == ResKind::PipeRead;
        const bool iowq = uring::KnobCell::decode(tr.knobs).async || pipe_via_iowq;
        if (o < 0 || missed < 0 || o + missed != cut) {
          std::string ends;
          for (const Completion* c : tgt) ends += (ends.empty() ? "" : " ") + result_text(c->res);
          Check v = fail(RuleId::UringCancelCount, std::to_string(cut) + " (reads that ended cancelled: " + ends + ")",
                         result_text(o) + (cleanup ? " + " + result_text(missed) + " by the cleanup" : ""));
          if (!iowq || o < 0 || missed < 0 || o > targets || missed > cut) return v;
          if (Check e = tolerate(TolId::UringCancelIowqUncounted, *v)) return e;
        }
        key = std::string(done ? br.normal : br.cancelled) + ", cancel " + result_text(o);
        if (done > 1) key = std::to_string(done) + " done, cancel " + result_text(o);
        if (missed) key += ", missed " + std::to_string(missed);
        break;
      }
    }
    (s.op == Op::RaceCancelFd ? done > 0 : cut == 0) ? ++normal : ++cancelled;
    // Bytes add up: what the reads took plus what was left is what was written.
    if (io_race && checked) {
      uint64_t want_left = s.op == Op::RacePollRemove ? n : n - taken;
      RuleId rule = cut ? RuleId::UringCancelConsistent : RuleId::DataOrder;
      fds.exercise(rule);
      if (static_cast<uint64_t>(tr.leftover) != want_left)
        return fail(rule, std::to_string(want_left) + " bytes left on the reader" + (cut ? " (a cancelled read takes none)" : ""),
                    std::to_string(tr.leftover));
      fds.wrote(wr, n, false);
      fds.read_stream(rd, n);
      fds.chan(fds.desc(rd).rx).bytes.observed_empty();  // the trial's bytes were all taken
      base += n;
    }
    ++histogram[prefix + key];
  }
  // Both branches must have been reached for the race to have been exercised (a step of
  // a few trials is not meant to: it says nothing a user should act on).
  auto missing = [&](const char* branch, uint64_t count) {
    if (count == 0 && obs.trials.size() >= kRaceTrialsToWarn)
      race_warnings.push_back("branch not reached: " + prefix + branch + " (0 of " +
                              std::to_string(obs.trials.size()) + " trials of " + std::string(spec.name) + " at line " +
                              std::to_string(line) + ")");
  };
  missing(br.normal, normal);
  missing(br.cancelled, cancelled);
  return std::nullopt;
}

}  // namespace ringside
