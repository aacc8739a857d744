#include <sstream>

#include "oracle/oracle_impl.hpp"
#include "oracle/wrapper_oracle.hpp"

namespace ringside {

Oracle::Oracle(const Program& program, Profile profile) : impl_(std::make_unique<Impl>(program, profile)) {}
Oracle::~Oracle() = default;

Check Oracle::observe(size_t i, const Observation& obs) {
  const Step& s = impl_->step(i);
  Check c;
  if (s.later) {
    // The helper thread runs it some time before the next join: predict now (the state
    // it starts from is this one), apply its effects as "soon", check the result at join.
    RetSet expect;
    RuleId rule = RuleId::Errno;
    if (s.op == Op::Write) {
      const Desc& d = impl_->d_of(s.ins[0]);
      expect = impl_->write_expect(d, static_cast<uint64_t>(s.param(0)), rule);
    } else {
      expect = RetSet::of({0});
    }
    impl_->later_expect[static_cast<uint32_t>(i)] = expect;
    impl_->later_rule[static_cast<uint32_t>(i)] = rule;
    impl_->fds.set_later(true);
    Observation assumed;
    assumed.ret = s.op == Op::Write ? (impl_->fds.desc(impl_->id_of(s.ins[0])).kind == ResKind::EventFd ? 8 : s.param(0)) : 0;
    c = impl_->dispatch(i, s, assumed);
    impl_->fds.set_later(false);
  } else {
    c = impl_->dispatch(i, s, obs);
  }
  impl_->uring_before_absorb();
  impl_->epoll.absorb_wakes();
  return c;
}

Check Oracle::finish(const Observation& final_join) {
  Check c = impl_->join(impl_->prog.steps.size(), final_join);
  impl_->uring_before_absorb();
  impl_->epoll.absorb_wakes();
  return c;
}

Check Oracle::Impl::join(size_t i, const Observation& obs) {
  for (const HelperResult& h : obs.helpers) {
    auto it = later_expect.find(h.step);
    if (it == later_expect.end()) continue;
    if (Check c = expect(h.step, later_rule[h.step], it->second, h.ret, "result of the `later` step, seen at join"))
      return c;
    later_expect.erase(it);
  }
  if (!later_expect.empty() && !obs.deadline_hit)
    return violation(i, RuleId::Deadline, "every `later` step reported", "step " +
                     std::to_string(later_expect.begin()->first + 1) + " never finished");
  if (obs.deadline_hit)
    return violation(i, RuleId::Deadline, "the helper thread to finish", "still running at the deadline");
  fds.joined();
  return std::nullopt;
}

Check Oracle::Impl::dispatch(size_t i, const Step& s, const Observation& obs) {
  if (obs.deadline_hit && s.op != Op::EpollWait && s.op != Op::Join)
    return violation(i, RuleId::Deadline, "the step to finish", "still blocked at the deadline");
  if (is_wrapper_step(prog, s)) return wrapper_step(*this, i, s, obs);  // family 7, and close of a wrapper
  switch (s.op) {
    case Op::Socket:
    case Op::Listen:
    case Op::ClosedPort:
    case Op::SocketPair:
    case Op::Pipe:
    case Op::EventFdNew:
    case Op::FileNew:
    case Op::EpollNew:
    case Op::Dup:
      return create(i, s, obs);
    case Op::Connect:
      return connect(i, s, obs);
    case Op::Accept:
      return accept(i, s, obs);
    case Op::Close:
      if (prog.res(s.ins[0]).kind == ResKind::Ring) return uring_step(i, s, obs);
      uring_close(s.ins[0]);
      return close(i, s, obs);
    case Op::Write:
      return write(i, s, obs);
    case Op::Read:
      return read(i, s, obs);
    case Op::Fill:
      return fill(i, s, obs);
    case Op::Drain:
      return drain(i, s, obs);
    case Op::Shutdown:
      return shutdown(i, s, obs);
    case Op::SockError:
      return sockerr(i, s, obs);
    case Op::SetNonblock:
      if (Check c = expect(i, RuleId::Errno, RetSet::of({0}), obs.ret)) return c;
      d_of(s.ins[0]).nonblock = s.param(0) != 0;
      return std::nullopt;
    case Op::EpollAdd:
      return epoll_ctl(i, s, obs, 1);
    case Op::EpollDel:
      return epoll_ctl(i, s, obs, 2);
    case Op::EpollMod:
      return epoll_ctl(i, s, obs, 3);
    case Op::EpollWait:
      return epoll.wait(i, id_of(s.ins[0]), static_cast<int>(s.param(0)), s.param(1), obs);
    case Op::Poll:
      return poll(i, s, obs, false);
    case Op::Select:
      return poll(i, s, obs, true);
    case Op::Join:
      return join(i, obs);
    case Op::RingNew:
    case Op::UringNop:
    case Op::UringRead:
    case Op::UringWrite:
    case Op::UringRecv:
    case Op::UringSend:
    case Op::UringPoll:
    case Op::UringPollRemove:
    case Op::UringTimeout:
    case Op::UringTimeoutRemove:
    case Op::UringLinkTimeout:
    case Op::UringCancel:
    case Op::UringCancelFd:
    case Op::UringCancelAny:
    case Op::Submit:
    case Op::Reap:
      return uring_step(i, s, obs);
    case Op::RaceCancel:
    case Op::RacePollRemove:
    case Op::RaceLinkTimeout:
    case Op::RaceTimeoutRemove:
    case Op::RaceCancelFd:
      return race(i, s, obs);
    case Op::WaitReady:
      return wait_ready(i, s, obs);
    case Op::TestHang:
    case Op::TestCrash:
      // The model expects them to return at once; a hang or crash is then reported.
      return expect(i, RuleId::Errno, RetSet::of({0}), obs.ret);
    default:
      return violation(i, RuleId::Errno, "a step the oracle knows", std::string(s.spec().name));
  }
}

std::vector<RuleId> Oracle::rules_exercised() const {
  const auto& s = impl_->fds.exercised();
  return {s.begin(), s.end()};
}

std::map<std::string, uint64_t> Oracle::race_histogram() const { return impl_->histogram; }
std::vector<std::string> Oracle::race_warnings() const { return impl_->race_warnings; }

std::string Oracle::describe_state() const {
  std::ostringstream o;
  auto& m = *impl_;
  for (size_t r = 0; r < m.prog.resources.size(); ++r) {
    const Resource& res = m.prog.resources[r];
    if (m.fds.fdnum_of(static_cast<ResId>(r)) < 0) continue;
    DescId d = m.id_of(static_cast<ResId>(r));
    if (d == kNone) continue;
    ReadySet rs = m.fds.readiness(d);
    o << "  " << res.name << " (" << kind_name(res.kind) << "): poll " << rs.describe(ev::Modeled);
    const Desc& x = m.fds.desc(d);
    if (x.rx != kNone) {
      const auto& c = m.fds.chan(x.rx);
      o << "; rx queued " << c.queued() << " (" << c.known_arrived() << " known arrived)";
    }
    if (x.wrapper != kNone) o << "; " << m.fds.wrapper(d).describe();
    o << "\n";
  }
  return o.str();
}

}  // namespace ringside
