// Families 2 and 3: epoll_ctl, poll and select against the readiness the model allows.
#include <algorithm>

#include "oracle/oracle_impl.hpp"

namespace ringside {
namespace {
// fs/select.c: what poll bits put a fd in select's read, write and except sets
// (RDNORM/WRNORM travel with IN/OUT for every kind modelled).
uint32_t select_sets(uint32_t m) {
  uint32_t out = 0;
  if (m & (ev::In | ev::Hup | ev::Err)) out |= ev::In;
  if (m & (ev::Out | ev::Err)) out |= ev::Out;
  if (m & ev::Pri) out |= ev::Pri;
  return out;
}

void set_mask_allowed(Violation& v, size_t operand, const std::vector<uint32_t>& masks, uint32_t filter) {
  v.allowed.what = Judged::Mask;
  v.allowed.ref = operand;
  v.allowed.filter = filter;
  for (uint32_t m : masks) v.allowed.ranges.push_back({m, m});
}
}  // namespace

Check Oracle::Impl::epoll_ctl(size_t i, const Step& s, const Observation& obs, int op) {
  DescId ep = id_of(s.ins[0]);
  ResId target_res = s.ins[1];
  DescId target = id_of(target_res);
  int fdnum = fds.fdnum_of(target_res);
  uint32_t events = op == 2 ? 0 : static_cast<uint32_t>(s.param(0));
  RuleId rule;
  int64_t want = epoll.ctl_expected(op, ep, target, fdnum, events, rule);
  RetSet allowed = RetSet::of({want});
  if (fds.desc(target).kind == ResKind::Epoll && op == 1 && want == 0) allowed.add_err(ELOOP);
  // epoll_ctl(2) lists EPERM ("The target file fd does not support epoll") and ENOENT (MOD
  // or DEL of an fd "not registered with this epoll instance") in no order. For MOD/DEL
  // (op 3/2) of a file both apply: `contract` takes either; Linux checks EPERM first.
  if (want == -EPERM && op != 1 && !linux_rules()) allowed.add_err(ENOENT);
  // The same for MOD with EPOLLEXCLUSIVE ("EINVAL ... op was EPOLL_CTL_MOD and events
  // included EPOLLEXCLUSIVE") of an fd that is not registered (ENOENT).
  if (want == -EINVAL && op == 3 && (events & ev::Exclusive) && !linux_rules()) {
    RuleId unused;
    if (epoll.ctl_expected(op, ep, target, fdnum, events & ~ev::Exclusive, unused) == -ENOENT) allowed.add_err(ENOENT);
  }
  std::string detail;
  if (want == -ENOENT) detail = "no registration for this (open file description, fd number)";
  if (Check e = expect(i, rule, allowed, obs.ret, detail)) return e;
  // The engine stores the operand's resource id as epoll_event.data.
  if (obs.ret == 0) epoll.ctl_apply(op, ep, target, fdnum, events, target_res);
  return std::nullopt;
}

Check Oracle::Impl::poll(size_t i, const Step& s, const Observation& obs, bool select) {
  if (obs.ret < 0) return violation(i, RuleId::Errno, "a count of ready descriptors", result_text(obs.ret));
  uint32_t filter = select ? ev::Modeled : (static_cast<uint32_t>(s.param(0)) & ev::Modeled) | ev::Err | ev::Hup;
  int64_t timeout = select ? s.param(0) : s.param(1);
  if (obs.events.size() != s.ins.size())
    return violation(i, RuleId::Errno, std::to_string(s.ins.size()) + " results", std::to_string(obs.events.size()));
  int64_t nonzero = 0;
  for (size_t k = 0; k < s.ins.size(); ++k) {
    DescId d = id_of(s.ins[k]);
    ReadySet rs = fds.readiness(d);
    fds.exercise(rs, filter);
    if (select) fds.exercise(RuleId::SelectSets);
    uint32_t m = obs.events[k].mask;
    if (m) ++nonzero;
    MaskJudgement j = select ? MaskJudgement{rs.allows_mapped(m, select_sets), {}} : rs.judge(m, filter);
    if (!j.ok || !j.tols.empty()) {
      RuleId rule = select ? RuleId::SelectSets : rs.blame(m, filter);
      if (select && fds.desc(d).kind == ResKind::File) rule = RuleId::FileAlwaysReady;
      std::string exp = rs.describe(filter);
      if (select) exp = "sets matching poll " + exp;
      Violation v{rule, i, exp, (select ? "sets " : "") + ev::text(m), "operand " + prog.res(s.ins[k]).name};
      set_mask_allowed(v, k, select ? rs.allowed_masks(~0u, select_sets) : rs.allowed_masks(filter),
                       select ? ~0u : filter);
      if (!j.ok) return v;
      if (Check c = ledger.tolerate_all(j.tols, v)) return c;
    }
  }
  int64_t expected_count = select ? -1 : nonzero;
  if (!select && obs.ret != expected_count)
    return violation(i, RuleId::Errno, std::to_string(nonzero) + " (descriptors with events)", std::to_string(obs.ret));
  if (nonzero == 0 && (timeout < 0 || timeout >= model::kSettleMs) && !obs.deadline_hit) {
    for (size_t k = 0; k < s.ins.size(); ++k) {
      ReadySet rs = fds.readiness(id_of(s.ins[k]));
      uint32_t f = select ? (ev::In | ev::Out | ev::Err | ev::Hup | ev::Pri) : filter;
      for (const auto& c : rs.conditions())
        if (c.level == Level::Soon && (c.bits & f)) {
          // A promised connect completion or wrapper readiness names its own rule.
          bool own = c.cond == Cond::Connected || c.cond == Cond::Refused || c.cond == Cond::WrapperReady;
          Violation v{own ? c.rule : RuleId::WaitWakeup, i, "a report within " + std::to_string(timeout) + "ms",
                      "none", "operand " + prog.res(s.ins[k]).name};
          auto masks = select ? rs.allowed_masks(~0u, select_sets) : rs.allowed_masks(filter);
          masks.erase(std::remove(masks.begin(), masks.end(), 0u), masks.end());
          set_mask_allowed(v, k, masks, select ? ~0u : filter);
          return v;
        }
    }
  }
  if (obs.deadline_hit) return violation(i, RuleId::Deadline, "the wait to return", "still blocked at the deadline");
  for (size_t k = 0; k < s.ins.size() && !select; ++k) {
    ReadySet rs = fds.readiness(id_of(s.ins[k]));
    for (const Condition* c : rs.implied_on(obs.events[k].mask, filter)) fds.learn(*c);
  }
  return std::nullopt;
}

}  // namespace ringside
