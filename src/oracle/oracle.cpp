#include <algorithm>
#include <cstdint>
#include <sstream>

#include "oracle/oracle_impl.hpp"
#include "program/uring_ids.hpp"
#include "oracle/wrapper_oracle.hpp"

namespace ringside {

Oracle::Oracle(const Program& program, TolerancePolicy policy, KernelFacts facts)
    : impl_(std::make_unique<Impl>(program, std::move(policy))) {
  impl_->facts = facts;
}
Oracle::~Oracle() = default;

Check Oracle::observe(size_t i, const Observation& obs) {
  if (!inputs_exist(i))
    return impl_->violation(i, RuleId::Errno, "a step on resources that exist",
                            "a resource whose creating step failed", "the program cannot go on from here");
  impl_->ledger.begin_step(i);
  Check c = impl_->observe(i, obs);
  impl_->ledger.end_step();
  return c;
}

Check Oracle::Impl::observe(size_t i, const Observation& obs) {
  const Step& s = step(i);
  Check c = s.later ? observe_later(i, s) : dispatch(i, s, obs);
  uring_before_absorb();
  epoll.absorb_wakes();
  return c;
}

Check Oracle::finish(const Observation& final_join) {
  Check c = impl_->join(impl_->prog.steps.size(), final_join);
  impl_->uring_before_absorb();
  impl_->epoll.absorb_wakes();
  if (c || !impl_->ledger.noted()) return c;
  Violation v = *impl_->ledger.noted();
  v.needs = impl_->ledger.noted_tolerances();
  return v;
}

std::map<TolId, uint64_t> Oracle::tolerances_used() const { return impl_->ledger.used(); }
std::vector<Span> Oracle::unjudged() const { return impl_->ledger.spans(); }
uint32_t Oracle::steps_judged() const { return impl_->ledger.steps_judged(); }

Check Oracle::Impl::dispatch(size_t i, const Step& s, const Observation& obs) {
  if (obs.deadline_hit && s.op != Op::EpollWait && s.op != Op::Join)
    return violation(i, RuleId::Deadline, "the step to finish", "still blocked at the deadline");
  if (is_wrapper_step(prog, s)) return wrapper_step(*this, i, s, obs);  // family 7, and close of a wrapper
  if (is_uring_ring_op(s.op)) return uring_step(i, s, obs);                // families 4-6
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

bool Oracle::inputs_exist(size_t i) const {
  for (ResId r : impl_->step(i).ins)
    // io_uring requests are the uring model's, not descriptions: they always exist.
    if (impl_->prog.resources[r].kind != ResKind::Request && impl_->id_of(r) == kNone) return false;
  return true;
}

// The reads an event loop may make and still finish well within the step deadline on a
// loaded machine (about 200,000 one-byte reads ran in 5 s with three busy processes on
// two cores).
constexpr uint64_t kEventLoopMostReads = 65536;

bool Oracle::may_stall(size_t i, int64_t quick_ms) const {
  const Step& s = impl_->step(i);
  auto& m = *impl_;
  auto coming = [](Level l) { return l == Level::Yes || l == Level::Soon; };
  auto desc = [&](ResId r) -> const Desc& { return m.fds.desc(m.id_of(r)); };
  auto blocking_read_stalls = [&](ResId r) {
    const Desc& d = desc(r);
    if (d.nonblock) return false;
    if (m.fds.desc_unjudged(d.id)) return true;
    switch (d.kind) {
      case ResKind::File:
        return false;
      case ResKind::EventFd:
        return m.fds.eventfd_bounds(d.id).lo == 0 && d.count_soon == 0;
      case ResKind::TcpListener:
      case ResKind::UnixListener:
      case ResKind::ClosedPort:
        return false;  // EINVAL / ENOTCONN at once
      default:
        break;
    }
    if (d.rx == kNone) return !(d.is_stream() && (d.sock == Sock::Fresh || d.sock == Sock::Refused));
    const auto& c = m.fds.chan(d.rx);
    if (c.uring_readers > 0) return true;  // a pending io_uring read may take what is there first
    return c.queued() == 0 && !coming(c.eof) && !coming(d.rcv_shut) && !coming(d.reset) && !coming(d.err_level);
  };
  auto blocking_write_stalls = [&](ResId r, uint64_t n) {
    const Desc& d = desc(r);
    if (d.nonblock) return false;
    if (m.fds.desc_unjudged(d.id)) return true;
    if (d.is_tcp() && (d.sock == Sock::Connecting || d.sock == Sock::Stalled)) return d.connected != Level::Soon;
    if (m.fds.sure_room(d.id, n)) return false;
    // No room: only the errors found before waiting for buffer space return at once.
    switch (d.kind) {
      case ResKind::PipeWrite:
        return d.peer_gone != Level::Yes;
      case ResKind::UnixStream: {
        bool peer_shut = d.peer != kNone && m.fds.desc(d.peer).rcv_shut == Level::Yes;
        return d.sock == Sock::Established && d.snd_shut != Level::Yes && d.peer_gone != Level::Yes && !peer_shut;
      }
      case ResKind::UnixDgram:
        return d.tx != kNone && d.snd_shut != Level::Yes && d.peer_gone != Level::Yes;
      case ResKind::Tcp:
        return d.sock == Sock::Established && d.snd_shut != Level::Yes;
      default:
        return true;
    }
  };
  auto wait_stalls = [&](int64_t timeout) { return timeout < 0 || timeout > quick_ms; };
  if (s.later) return s.op == Op::Write && blocking_write_stalls(s.ins[0], static_cast<uint64_t>(s.param(0)));
  switch (s.op) {
    case Op::EventLoop: {
      // Not a wait that may never end but work that may outlast the step deadline: a
      // small buffer over a big file is one io_uring read per buffer (a 1-byte buffer
      // over 1 MiB ran out of its 5 s under load, found by libFuzzer).
      const Desc& wd = desc(s.ins[1]);
      if (wd.kind != ResKind::Wrapper || m.fds.desc_unjudged(wd.id)) return false;
      const model::WrapperModel& w = m.fds.wrapper(wd.id);
      const uint64_t left = w.size_at_open > w.next_offset ? w.size_at_open - w.next_offset : 0;
      const uint64_t reads = std::min<uint64_t>(left / std::max<uint32_t>(w.buf, 1) + 1,
                                                static_cast<uint64_t>(std::max<int64_t>(s.param(1), 0)) * w.depth);
      return reads > kEventLoopMostReads;
    }
    case Op::Read:
      return blocking_read_stalls(s.ins[0]);
    case Op::Write:
      return blocking_write_stalls(s.ins[0], static_cast<uint64_t>(s.param(0)));
    case Op::Accept: {
      const Desc& l = desc(s.ins[0]);
      return !l.nonblock && l.known_queued == 0 && l.queue.empty();
    }
    case Op::Connect: {
      const Desc& c = desc(s.ins[0]);
      const Desc& l = desc(s.ins[1]);
      if (c.nonblock || l.sock == Sock::Port) return false;
      if (m.fds.desc_unjudged(c.id) || m.fds.desc_unjudged(l.id)) return true;
      // AF_UNIX: a full backlog makes any blocking connect wait, connected or not.
      if (c.kind == ResKind::UnixStream) return static_cast<int>(l.queue.size()) >= l.capacity;
      if (c.sock == Sock::Connecting) return c.connected != Level::Soon;
      if (c.sock == Sock::Stalled) return true;
      if (c.sock != Sock::Fresh) return false;
      return static_cast<int>(l.queue.size() + l.maybe_queue.size()) >= l.capacity;
    }
    case Op::EpollWait: {
      if (!wait_stalls(s.param(1))) return false;
      for (const auto& r : m.epoll.registrations())
        if (r.live && r.epoll == m.id_of(s.ins[0]) && coming(m.epoll.reportable(r))) return false;
      return true;
    }
    case Op::Poll:
    case Op::Select:
    case Op::WaitReady: {
      bool select = s.op == Op::Select;
      if (!wait_stalls(select ? s.param(0) : s.param(1))) return false;
      uint32_t filter = select ? ev::In | ev::Out | ev::Pri | ev::Err | ev::Hup
                               : (static_cast<uint32_t>(s.param(0)) & ev::Modeled) | ev::Err | ev::Hup;
      // wait_ready through edge-triggered epoll, watching as before: a readiness already
      // reported is not reported again.
      if (s.op == Op::WaitReady && uring::via_of(m.prog.via) == "epoll-et") {
        auto it = m.uring.via_epolls.find(s.ins);
        const uint32_t want = static_cast<uint32_t>(s.param(0)) | ev::Et;
        if (it != m.uring.via_epolls.end() &&
            std::all_of(it->second.events.begin(), it->second.events.end(), [&](uint32_t e) { return e == want; })) {
          for (const auto& r : m.epoll.registrations())
            if (r.live && r.epoll == it->second.ep && coming(m.epoll.reportable(r))) return false;
          return true;
        }
      }
      for (ResId r : s.ins) {
        ReadySet rs = m.fds.readiness(m.id_of(r));
        if ((rs.yes_bits() | rs.soon_bits()) & filter) return false;
      }
      return true;
    }
    case Op::Reap: {
      // io_uring_wait_cqes(3) waits for `min` CQEs: run it only when the model is sure
      // that many come (or the wait is quick).
      const int64_t min = s.param(0), timeout = s.param(2);
      if (!wait_stalls(timeout) || min <= 0) return false;
      const uint32_t ri = m.uring.ring_of.at(m.id_of(s.ins[0]));
      int64_t due = 0;
      for (const model::Req& r : m.uring.reqs)
        due += (m.uring_cqe_due(ri, r, timeout) ? 1 : 0) + (m.uring_more_due(ri, r, timeout) ? 1 : 0);
      return due < min;
    }
    case Op::RaceCancel:
    case Op::RacePollRemove:
    case Op::RaceLinkTimeout:
    case Op::RaceCancelFd: {
      // Trials on a channel the model does not follow (bytes already there, a full pipe,
      // reader and writer of different channels, shut down...) may wait in ways nothing
      // predicts: the fuzzer leaves them out.
      const Desc& r = desc(s.ins[1]);
      const Desc& w = desc(s.ins[2]);
      if (m.fds.desc_unjudged(r.id) || m.fds.desc_unjudged(w.id) || r.rx == kNone || r.rx != w.tx) return true;
      // A blocking reader: with IOSQE_ASYNC its reads block inside io-wq, where only a
      // signal ends them (twice a trial did not finish in 2 s under load; not understood).
      if (!r.nonblock) return true;
      const auto& c = m.fds.chan(r.rx);
      return c.queued() != 0 || c.full || c.maybe_sent != 0 || c.uring_readers != 0 || c.eof != Level::No ||
             r.rcv_shut != Level::No || w.snd_shut != Level::No || r.reset != Level::No || w.reset != Level::No;
    }
    default:
      return false;
  }
}

uint64_t Oracle::state_summary(ResId r) const {
  auto& m = *impl_;
  DescId id = m.id_of(r);
  if (id == kNone) return 0;
  const Desc& d = m.fds.desc(id);
  ReadySet rs = m.fds.readiness(id);
  auto lvl = [](Level l) { return static_cast<uint64_t>(l); };
  uint64_t x = static_cast<uint64_t>(d.kind);
  x = x * 8 + static_cast<uint64_t>(d.sock);
  x = x * 64 + (rs.yes_bits() & ev::Modeled & 0x3f) + ((rs.yes_bits() & ev::RdHup) ? 1 : 0);
  x = x * 64 + (rs.possible_bits() & 0x3f);
  if (d.rx != kNone) {
    const auto& c = m.fds.chan(d.rx);
    x = x * 4 + (c.queued() == 0 ? 0 : c.known_arrived() == 0 ? 1 : c.known_arrived() < c.queued() ? 2 : 3);
    x = x * 8 + lvl(c.eof);
  }
  x = x * 8 + lvl(d.err_level);
  x = x * 8 + lvl(d.reset);
  x = x * 2 + d.nonblock;
  x = x * 2 + m.fds.desc_unjudged(id);
  return x;
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
