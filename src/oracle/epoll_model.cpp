#include "oracle/epoll_model.hpp"

#include <algorithm>
#include <cerrno>
#include <set>

#include "oracle/expect.hpp"

namespace ringside::model {
namespace {
constexpr int kAdd = 1, kDel = 2, kMod = 3;  // EPOLL_CTL_* values
// fs/eventpoll.c EPOLLEXCLUSIVE_OK_BITS: IN, OUT, ERR, HUP, WAKEUP, ET, EXCLUSIVE.
constexpr uint32_t kExclusiveOk = ev::In | ev::Out | ev::Err | ev::Hup | (1u << 29) | ev::Et | ev::Exclusive;
}  // namespace

bool EpollModel::wakeup_may_follow(const Registration& r) const {
  // A promised wakeup was absorbed and may not have come yet, or the target is a
  // readiness wrapper whose reads in flight make a transition (an eventfd write) come
  // without any promise absorbed (found by the fuzzer).
  return r.soon_pending || fds_.desc(r.target).kind == ResKind::Wrapper;
}

bool EpollModel::followed(DescId target) const {
  // Nested epoll readiness (an epoll watching an epoll) and its wakeups are not
  // modelled, nor are descriptions the model stopped following.
  const Desc& d = fds_.desc(target);
  return !fds_.desc_unjudged(target) && d.kind != ResKind::Epoll;
}

Registration* EpollModel::find(DescId ep, DescId target, int fdnum) {
  for (auto& r : regs_)
    if (r.live && r.epoll == ep && r.target == target && r.fdnum == fdnum) return &r;
  return nullptr;
}
const Registration* EpollModel::find(DescId ep, DescId target, int fdnum) const {
  return const_cast<EpollModel*>(this)->find(ep, target, fdnum);
}

int64_t EpollModel::ctl_expected(int op, DescId ep, DescId target, int fdnum, uint32_t events, RuleId& rule) const {
  rule = RuleId::EpollCtlErrors;
  const Desc& t = fds_.desc(target);
  if (ep == target) return -EINVAL;
  if (t.kind == ResKind::File) {
    rule = RuleId::EpollFileEperm;
    return -EPERM;
  }
  const Registration* r = find(ep, target, fdnum);
  if (op == kAdd) {
    if ((events & ev::Exclusive) && (t.kind == ResKind::Epoll || (events & ~kExclusiveOk))) return -EINVAL;
    if (r) return -EEXIST;
    return 0;
  }
  if (op == kMod && (events & ev::Exclusive)) return -EINVAL;
  if (!r) {
    rule = RuleId::EpollDescription;
    return -ENOENT;
  }
  if (op == kMod && (r->events & ev::Exclusive)) return -EINVAL;
  return 0;
}

Level EpollModel::reportable(const Registration& r) const {
  if (!r.live || r.disabled) return Level::No;
  if (!followed(r.target)) return Level::Maybe;  // may or may not report
  if (r.dying) {
    Registration alive = r;
    alive.dying = false;
    return reportable(alive) == Level::No ? Level::No : Level::Maybe;
  }
  ReadySet rs = fds_.readiness(r.target);
  uint32_t f = r.filter();
  Level mask = (rs.yes_bits() & f)        ? Level::Yes
               : (rs.soon_bits() & f)     ? Level::Soon
               : (rs.possible_bits() & f) ? Level::Maybe
                                          : Level::No;
  if (!r.et()) return mask;
  // Edge-triggered: reported only with an edge pending, and only if the mask is non-zero
  // at harvest. A soon edge comes with its own arrival, so it counts as the mask's level.
  if (r.edge == Level::No || mask == Level::No) return Level::No;
  if (r.edge == Level::Yes) return mask;
  if (r.edge == Level::Soon && (mask == Level::Yes || mask == Level::Soon)) return Level::Soon;
  return Level::Maybe;
}

void EpollModel::ctl_apply(int op, DescId ep, DescId target, int fdnum, uint32_t events, uint64_t token) {
  if (op == kDel) {
    if (auto* r = find(ep, target, fdnum)) r->live = false;
    return;
  }
  Registration* r = find(ep, target, fdnum);
  if (op == kAdd) {
    regs_.push_back({});
    r = &regs_.back();
    r->epoll = ep;
    r->target = target;
    r->fdnum = fdnum;
  }
  if (!r) return;
  r->events = events;
  r->token = token;
  r->disabled = false;
  r->missed = 0;
  // ep_insert / ep_modify poll the file and queue the item if it is ready: an edge now.
  ReadySet rs = fds_.readiness(target);
  uint32_t f = r->filter();
  Level now = (rs.yes_bits() & f)        ? Level::Yes
              : (rs.soon_bits() & f)     ? Level::Soon
              : (rs.possible_bits() & f) ? Level::Maybe
                                         : Level::No;
  if (fds_.desc(target).kind == ResKind::Epoll) now = strongest(now, Level::Maybe);
  if (strongest(r->edge, now) != r->edge) {
    r->edge = now;
    r->edge_rule = RuleId::EtEdge;
  }
  r->edge_ruled = strongest(r->edge_ruled, now);
  // A wakeup promised before the registration existed (a `later` step on the helper
  // thread) may come after it: an edge then, whatever a wait sees first (seed 8686).
  if (fds_.wake_coming(target, f) != Level::No) {
    r->soon_pending = true;
    r->edge = strongest(r->edge, Level::Maybe);
    r->edge_ruled = strongest(r->edge_ruled, Level::Maybe);
  }
}

void EpollModel::absorb_wakes() {
  for (const Wake& w : fds_.wakes()) {
    for (auto& r : regs_) {
      if (!r.live || r.disabled || r.target != w.desc) continue;
      // ep_poll_callback ignores wakeups whose key does not meet the interest.
      if (w.key != 0 && !(w.key & r.filter())) continue;
      if (strongest(r.edge, w.level) != r.edge || (r.edge == w.level && w.rule == RuleId::EtRefire)) {
        if (strongest(r.edge, w.level) != r.edge) r.edge_rule = w.rule;
        r.edge = strongest(r.edge, w.level);
      }
      if (w.tol == kNoTol) r.edge_ruled = strongest(r.edge_ruled, w.level);
      else if (strongest(r.edge_ruled, w.level) != r.edge_ruled) r.edge_tol = w.tol;
      if (w.level == Level::Soon) r.soon_pending = true;
    }
  }
  fds_.wakes().clear();
  // eventpoll_release: the last close of a description removes its registrations; an
  // epoll instance's own release drops everything registered in it.
  // A `later` close releases at an unknown time before the join: until then the
  // registration may or may not report.
  for (auto& r : regs_) {
    if (!r.live) continue;
    bool target = fds_.released(r.target), epoll = fds_.released(r.epoll);
    if (!target && !epoll) continue;
    if ((target && fds_.desc(r.target).release_soon) || (epoll && fds_.desc(r.epoll).release_soon)) r.dying = true;
    else r.live = false;
  }
}

// A violation about one registration's report (absent = mask 0), machine-readable too.
Violation EpollModel::mask_violation(size_t step, RuleId rule, const Registration& r, std::vector<uint32_t> masks,
                                     uint32_t filter, std::string expected, std::string observed, std::string detail) const {
  Violation v{rule, step, std::move(expected), std::move(observed), std::move(detail)};
  v.allowed.what = Judged::Mask;
  v.allowed.ref = r.token;
  v.allowed.filter = filter;
  for (uint32_t m : masks) v.allowed.ranges.push_back({m, m});
  return v;
}

// epoll(7): an edge-triggered registration "only delivers events when changes occur on
// the monitored file descriptor": a report needs a wakeup since the last one.
Check EpollModel::check_edge(size_t step, const Registration& r, uint32_t mask) {
  if (!r.et() || r.edge_ruled != Level::No) return std::nullopt;
  // A wrapper's eventfd wakes only when it is written, once per R 0 -> >0 transition.
  const bool wrapper = fds_.desc(r.target).kind == ResKind::Wrapper;
  Violation v = mask_violation(step, wrapper ? RuleId::WrapperSignalOnce : RuleId::EtNoSpurious, r, {0}, ~0u,
                               "no report without a new event", ev::text(mask),
                               "edge-triggered registration with no wakeup since its last report");
  Ledger& ledger = fds_.ledger();
  // A registration whose fd a `later` close releases at an unknown time: the wakeups of
  // that fd before the close are not followed.
  if (r.dying) return ledger.tolerate(TolId::EpollRegistrationClosing, v);
  if (auto t = ledger.span_tol(r.target)) return ledger.tolerate(*t, v);
  if (fds_.desc(r.target).kind == ResKind::Epoll) return ledger.tolerate(TolId::EpollNestedNotFollowed, v);
  if (r.edge != Level::No && r.edge_tol != kNoTol) return ledger.tolerate(r.edge_tol, v);
  return v;
}

// epoll_wait(2): the events reported are a mask the file's state allows, within the
// registration's interest.
Check EpollModel::check_mask(size_t step, const Registration& r, uint32_t mask, bool wait_not_full) {
  ReadySet rs = fds_.readiness(r.target);
  MaskJudgement j = rs.judge(mask, r.filter());
  if (j.ok && j.tols.empty()) return std::nullopt;
  auto masks = rs.allowed_masks(r.filter());
  // Not reported at all (a C reproducer's mask 0) is allowed unless the registration
  // certainly had to be reported by a wait that was not full.
  if (!(reportable(r) == Level::Yes && wait_not_full)) masks.push_back(0);
  Violation v = mask_violation(step, rs.blame(mask, r.filter()), r, masks, r.filter(), rs.describe(r.filter()),
                               ev::text(mask));
  if (!j.ok) return v;
  return fds_.ledger().tolerate_all(j.tols, v);
}

Check EpollModel::wait(size_t step, DescId ep, int max, int64_t timeout_ms, const Observation& obs) {
  auto fail = [&](RuleId rule, std::string expected, std::string observed, std::string detail = {}) -> Check {
    return Violation{rule, step, std::move(expected), std::move(observed), std::move(detail)};
  };
  auto fail_mask = [&](RuleId rule, const Registration& r, std::vector<uint32_t> masks, uint32_t filter,
                       std::string expected, std::string observed, std::string detail = {}) -> Check {
    return mask_violation(step, rule, r, std::move(masks), filter, std::move(expected), std::move(observed),
                          std::move(detail));
  };
  auto nonzero = [](std::vector<uint32_t> masks) {
    masks.erase(std::remove(masks.begin(), masks.end(), 0u), masks.end());
    return masks;
  };
  if (obs.ret < 0) return fail(RuleId::Errno, "a count of events", result_text(obs.ret));
  if (obs.ret != static_cast<int64_t>(obs.events.size()) || obs.ret > max)
    return fail(RuleId::WaitCount, "0.." + std::to_string(max) + " events", std::to_string(obs.ret) + " events");

  std::vector<Registration*> mine;
  for (auto& r : regs_)
    if (r.epoll == ep && r.live) mine.push_back(&r);
  fds_.exercise(RuleId::WaitCount);
  for (auto* r : mine) {
    fds_.exercise(fds_.readiness(r->target), r->filter());
    fds_.exercise(r->et() ? (r->edge_rule) : RuleId::LtReport);
    if (r->events & ev::Oneshot) fds_.exercise(RuleId::OneshotDisarm);
  }

  // Which registration each report is, and is each report allowed?
  std::vector<Registration*> reported;
  std::set<Registration*> seen;
  for (const ReadyEvent& e : obs.events) {
    Registration* r = nullptr;
    for (auto* c : mine)
      if (c->token == e.ref) r = c;
    if (!r) {
      bool was = std::any_of(regs_.begin(), regs_.end(), [&](const Registration& x) { return x.epoll == ep && x.token == e.ref; });
      return fail(RuleId::EpollDescription, "only live registrations",
                  "an event for " + std::string(was ? "a removed" : "an unknown") + " registration (data " +
                      std::to_string(e.ref) + ")");
    }
    if (!seen.insert(r).second) return fail(RuleId::WaitCount, "each registration at most once", "a duplicate");
    if (r->disabled)
      return fail_mask(RuleId::OneshotDisarm, *r, {0}, ~0u, "nothing from a fired ONESHOT registration",
                       ev::text(e.mask));
    if (e.mask & ~r->filter())
      return fail_mask(RuleId::EpollFilter, *r, {0}, ~r->filter(), "events within " + ev::text(r->filter()),
                       ev::text(e.mask));
    if (Check c = check_edge(step, *r, e.mask)) return c;
    if (Check c = check_mask(step, *r, e.mask, obs.ret < max)) return c;
    reported.push_back(r);
  }

  bool full = obs.ret == max;
  size_t candidates = 0;
  for (auto* r : mine)
    if (reportable(*r) != Level::No) ++candidates;
  if (!full) {
    // Every registration that is certainly ready must be among the reports.
    for (auto* r : mine) {
      if (seen.count(r) || reportable(*r) != Level::Yes) continue;
      ReadySet rs = fds_.readiness(r->target);
      auto masks = nonzero(rs.allowed_masks(r->filter()));
      if (r->et()) return fail_mask(r->edge_rule, *r, masks, r->filter(), "a report with " + rs.describe(r->filter()), "none");
      return fail_mask(RuleId::LtReport, *r, masks, r->filter(), "a report with " + rs.describe(r->filter()), "none",
                       "level-triggered registration whose condition holds");
    }
    // A wait long enough must not come back empty while something is on its way.
    if (obs.ret == 0 && (timeout_ms < 0 || timeout_ms >= kSettleMs) && !obs.deadline_hit) {
      for (auto* r : mine) {
        if (reportable(*r) != Level::Soon) continue;
        ReadySet rs = fds_.readiness(r->target);
        // A promised connect completion or wrapper readiness names its own rule;
        // otherwise the wakeup failed.
        RuleId rule = RuleId::WaitWakeup;
        for (const auto& c : rs.conditions())
          if (c.level == Level::Soon && (c.bits & r->filter()) &&
              (c.cond == Cond::Connected || c.cond == Cond::Refused || c.cond == Cond::WrapperReady)) {
            rule = c.rule;
            break;
          }
        if (r->et() && r->edge == Level::Soon) rule = r->edge_rule;
        return fail_mask(rule, *r, nonzero(rs.allowed_masks(r->filter())), r->filter(),
                         "a report within " + std::to_string(timeout_ms) + "ms", "none");
      }
    }
  }
  if (obs.deadline_hit) return fail(RuleId::Deadline, "epoll_wait to return", "still blocked at the deadline");
  if (obs.ret == 0 && timeout_ms < 0) return fail(RuleId::WaitCount, "at least one event", "0");

  // Round robin: a ready level-triggered registration is not skipped by more full waits
  // than it takes to cycle through every candidate.
  if (full && fds_.linux_rules()) {
    uint32_t bound = static_cast<uint32_t>((candidates + max - 1) / max);
    for (auto* r : mine) {
      if (seen.count(r)) continue;
      if (!r->et() && reportable(*r) == Level::Yes) {
        if (++r->missed >= bound + 1)
          return fail(RuleId::RoundRobin, "a report within " + std::to_string(bound) + " full waits",
                      "skipped by " + std::to_string(r->missed) + " consecutive full waits");
      } else {
        r->missed = 0;
      }
    }
  }

  // Learn and narrow.
  for (size_t i = 0; i < reported.size(); ++i) {
    Registration* r = reported[i];
    ReadySet rs = fds_.readiness(r->target);
    // Was a wakeup on its way before this harvest? The harvest may see its effect (the
    // condition turned on) before the wakeup itself is delivered, which then queues the
    // registration again (ep_poll_callback during ep_send_events): found by the fuzzer
    // with a readiness wrapper's first transition.
    const Level coming_before = fds_.wake_coming(r->target, r->filter());
    for (const Condition* c : rs.implied_on(obs.events[i].mask, r->filter())) fds_.learn(*c);
    r->missed = 0;
    if (r->et()) {
      // Consumed. If more was in flight, its wakeup may come before or after this harvest.
      Level next = Level::No;
      if (wakeup_may_follow(*r)) {
        next = fds_.wake_coming(r->target, r->filter());
        if (next == Level::No) r->soon_pending = false;
      }
      if (coming_before != Level::No) next = strongest(next, Level::Maybe);
      r->set_edge(next);
    }
    if (r->events & ev::Oneshot) r->disabled = true;
  }
  if (!full) {
    // The whole ready list was harvested: an ET edge that was not reported was consumed
    // with a zero mask. A soon edge may still be on its way, and so may one that a
    // stronger edge absorbed (a wrapper's eventfd reset after an earlier transition).
    for (auto* r : mine)
      if (!seen.count(r) && r->et() && r->edge != Level::Soon) {
        r->set_edge(wakeup_may_follow(*r) ? fds_.wake_coming(r->target, r->filter()) : Level::No);
        if (r->edge == Level::No) r->soon_pending = false;
      }
  }
  return std::nullopt;
}

}  // namespace ringside::model
