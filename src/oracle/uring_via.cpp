// wait_ready: one readiness wait observed through the program's via path and checked by
// the same model whatever the path: epoll LT or ET (the EpollModel, on a virtual epoll
// instance per operand set, as the engine keeps), or io_uring POLL_ADD armed for the wait
// (checked as poll(2) would be, plus the requests' own CQE rules).
#include "oracle/oracle_impl.hpp"
#include "program/uring_ids.hpp"

namespace ringside {

Check Oracle::Impl::wait_ready(size_t i, const Step& s, const Observation& obs) {
  const std::string_view via = uring::via_of(prog.via);
  const auto events = static_cast<uint32_t>(s.param(0));
  const int64_t timeout = s.param(1);
  if (via == "epoll-lt" || via == "epoll-et") {
    auto& ve = uring.via_epolls[s.ins];
    if (ve.ep == kNone) {
      ve.ep = fds.create(ResKind::Epoll, 0, false);
      fds.desc(ve.ep).refs = 1;  // held by the engine for the whole program
      ve.events.assign(s.ins.size(), 0);
    }
    const uint32_t want = events | (via == "epoll-et" ? ev::Et : 0u);
    for (size_t k = 0; k < s.ins.size(); ++k) {
      if (ve.events[k] == want) continue;
      const int op = ve.events[k] ? 3 : 1;  // EPOLL_CTL_MOD : EPOLL_CTL_ADD
      DescId target = id_of(s.ins[k]);
      int fdnum = fds.fdnum_of(s.ins[k]);
      RuleId rule;
      int64_t expected = epoll.ctl_expected(op, ve.ep, target, fdnum, want, rule);
      if (expected != 0) {
        // The engine stops at the first operand it cannot watch and reports why.
        if (Check c = expect(i, rule, RetSet::of({expected}), obs.ret, "watching " + prog.res(s.ins[k]).name)) return c;
        return std::nullopt;
      }
      epoll.ctl_apply(op, ve.ep, target, fdnum, want, s.ins[k]);
      ve.events[k] = want;
    }
    return epoll.wait(i, ve.ep, static_cast<int>(s.ins.size()), timeout, obs);
  }

  // uring-poll: a POLL_ADD per operand, removed after the wait unless it fired.
  if (obs.ret < 0) return violation(i, RuleId::Errno, "a count of ready operands", result_text(obs.ret));
  std::vector<const Completion*> polls(s.ins.size(), nullptr), removes(s.ins.size(), nullptr);
  fds.exercise(RuleId::UringExactlyOnce);
  for (const Completion& c : obs.cqes) {
    bool poll = c.user_data >= uring::kViaPoll && c.user_data < uring::kViaPoll + s.ins.size();
    bool remove = c.user_data >= uring::kViaRemove && c.user_data < uring::kViaRemove + s.ins.size();
    if (!poll && !remove)
      return violation(i, RuleId::UringExactlyOnce, "CQEs of the wait's POLL_ADDs", "user_data " + std::to_string(c.user_data));
    auto& slot = poll ? polls[c.user_data - uring::kViaPoll] : removes[c.user_data - uring::kViaRemove];
    if (slot || (c.flags & model::kCqeMore))
      return violation(i, RuleId::UringExactlyOnce, "one CQE per request", "another CQE (res " + result_text(c.res) + ")",
                       "operand " + prog.res(s.ins[poll ? c.user_data - uring::kViaPoll : c.user_data - uring::kViaRemove]).name);
    slot = &c;
  }
  const uint32_t filter = (events & ev::Modeled) | ev::Err | ev::Hup;
  std::vector<uint32_t> masks(s.ins.size(), 0);
  for (size_t k = 0; k < s.ins.size(); ++k) {
    const std::string name = "operand " + prog.res(s.ins[k]).name;
    if (!polls[k]) return violation(i, RuleId::UringExactlyOnce, "a CQE for the POLL_ADD", "none", name);
    const int64_t res = polls[k]->res;
    if (removes[k]) {
      fds.exercise(RuleId::UringCancelConsistent);
      const int64_t rm = removes[k]->res;
      bool cut = res == -ECANCELED;
      bool ok = rm == 0 ? cut : rm == -ENOENT ? (!cut && res > 0) : rm == -EALREADY;
      if (!ok)
        return violation(i, RuleId::UringCancelConsistent, "a removal consistent with the poll's end",
                         "POLL_REMOVE " + result_text(rm) + ", POLL_ADD " + result_text(res), name);
    } else if (res <= 0) {
      return violation(i, RuleId::UringPollReady, "a mask (it was not removed)", result_text(res), name);
    }
    if (res > 0) masks[k] = static_cast<uint32_t>(res);
  }
  // Which operands were reported, checked as poll(2) is.
  int64_t nonzero = 0;
  for (size_t k = 0; k < s.ins.size(); ++k) {
    DescId d = id_of(s.ins[k]);
    ReadySet rs = fds.readiness(d);
    fds.exercise(rs, filter);
    if (masks[k]) ++nonzero;
    if (!rs.allows(masks[k], filter))
      return violation(i, rs.blame(masks[k], filter), rs.describe(filter), ev::text(masks[k]), "operand " + prog.res(s.ins[k]).name);
  }
  if (obs.ret != nonzero) return violation(i, RuleId::Errno, std::to_string(nonzero) + " reported operands", std::to_string(obs.ret));
  if (nonzero == 0 && timeout >= model::kSettleMs && !obs.deadline_hit) {
    for (size_t k = 0; k < s.ins.size(); ++k) {
      ReadySet rs = fds.readiness(id_of(s.ins[k]));
      for (const auto& c : rs.conditions())
        if (c.level == Level::Soon && (c.bits & filter)) {
          bool connect = c.cond == Cond::Connected || c.cond == Cond::Refused;
          return violation(i, connect ? c.rule : RuleId::WaitWakeup, "a report within " + std::to_string(timeout) + "ms",
                           "none", "operand " + prog.res(s.ins[k]).name);
        }
    }
  }
  for (size_t k = 0; k < s.ins.size(); ++k) {
    ReadySet rs = fds.readiness(id_of(s.ins[k]));
    for (const Condition* c : rs.implied_on(masks[k], filter)) fds.learn(*c);
  }
  return std::nullopt;
}

}  // namespace ringside
