// "Never block the event loop" (the seed's E -> F -> E): a step that blocks the main
// thread waiting for an event that only a later step of the same thread could produce
// can never finish. The model knows what is queued, in flight, or promised by a helper
// thread or a timer, so it can tell before the step runs, and name the cycle.
#include <algorithm>
#include <sstream>

#include "oracle/oracle_impl.hpp"
#include "program/script.hpp"

namespace ringside {
namespace {

enum class Need { Data, Counter, Connection, Space, Anything };

const char* need_text(Need n) {
  switch (n) {
    case Need::Data: return "data or end of stream";
    case Need::Counter: return "a non-zero counter";
    case Need::Connection: return "an incoming connection";
    case Need::Space: return "room to write (the peer reading)";
    case Need::Anything: return "an event";
  }
  return "?";
}

}  // namespace

bool Oracle::may_block_forever(size_t i) const {
  const Step& s = impl_->step(i);
  if (s.later) return false;
  auto& m = *impl_;
  auto desc = [&](ResId r) -> const Desc& { return m.fds.desc(m.id_of(r)); };
  auto nothing_coming = [&](const Desc& d) {
    if (m.fds.desc_unjudged(d.id)) return false;
    if (d.kind == ResKind::EventFd) return d.count == 0 && d.count_soon == 0 && d.count_maybe == 0 && d.count_unknown == 0;
    if (d.kind == ResKind::File) return false;
    if (d.kind == ResKind::TcpListener || d.kind == ResKind::UnixListener)
      return d.queue.empty() && d.maybe_queue.empty();
    if (d.rx == kNone) return d.sock == Sock::Stalled;
    const auto& c = m.fds.chan(d.rx);
    return c.queued() == 0 && c.eof == Level::No && d.rcv_shut == Level::No && d.reset == Level::No &&
           d.err_level == Level::No;
  };
  auto wait_forever = [&](int64_t timeout) { return timeout < 0; };  // a finite timeout is a timer
  switch (s.op) {
    case Op::Read:
      return !desc(s.ins[0]).nonblock && nothing_coming(desc(s.ins[0]));
    case Op::Accept:
      return !desc(s.ins[0]).nonblock && nothing_coming(desc(s.ins[0]));
    case Op::Write: {
      const Desc& d = desc(s.ins[0]);
      // A write that fails at once (own SHUT_WR, or a reader that shut down: EPIPE) does
      // not wait for room.
      bool peer_shut = d.peer != kNone && m.fds.desc(d.peer).rcv_shut != Level::No;
      // An io_uring write in flight from it may fill the buffer first: it may wait then.
      auto may_be_full = [&] {
        const auto& c = m.fds.chan(d.tx);
        return c.full || (c.maybe_sent > 0 && !m.fds.sure_room(m.id_of(s.ins[0]), static_cast<uint64_t>(s.param(0))));
      };
      return !d.nonblock && d.tx != kNone && may_be_full() && d.peer_gone == Level::No &&
             d.snd_shut == Level::No && !peer_shut && (d.kind == ResKind::PipeWrite || d.kind == ResKind::UnixStream);
    }
    case Op::Connect: {
      const Desc& c = desc(s.ins[0]);
      const Desc& l = desc(s.ins[1]);
      if (c.nonblock || c.sock != Sock::Fresh || l.sock != Sock::Listening) return false;
      return l.kind == ResKind::UnixListener ? static_cast<int>(l.queue.size()) >= l.capacity
                                             : l.known_queued >= l.capacity;
    }
    case Op::EpollWait: {
      if (!wait_forever(s.param(1))) return false;
      for (const auto& r : m.epoll.registrations())
        if (r.live && r.epoll == m.id_of(s.ins[0]) && m.epoll.reportable(r) != Level::No) return false;
      return true;
    }
    case Op::Poll:
    case Op::Select: {
      int64_t timeout = s.op == Op::Poll ? s.param(1) : s.param(0);
      if (!wait_forever(timeout)) return false;
      uint32_t filter = s.op == Op::Poll ? (static_cast<uint32_t>(s.param(0)) | ev::Err | ev::Hup) : ev::Modeled;
      for (ResId r : s.ins)
        if (m.fds.readiness(m.id_of(r)).possible_bits() & filter) return false;
      return true;
    }
    default:
      return false;
  }
}

std::optional<std::string> Oracle::deadlock(size_t i) const {
  if (!may_block_forever(i)) return std::nullopt;
  auto& m = *impl_;
  const Program& p = m.prog;
  const Step& s = p.steps[i];
  auto name = [&](ResId r) { return p.res(r).name; };
  auto where = [&](size_t k) {
    return "step " + std::to_string(k + 1) + " (line " + std::to_string(p.steps[k].loc.line) + ": `" +
           (p.steps[k].later ? "later " : "") + print_step(p, p.steps[k]) + "`)";
  };
  // Resources that name a description, now or once later steps create them (dup, accept).
  auto names_of = [&](DescId d, std::vector<ResId>& out) {
    for (size_t r = 0; r < p.resources.size(); ++r)
      if (m.id_of(static_cast<ResId>(r)) == d) out.push_back(static_cast<ResId>(r));
  };
  // Later steps of this thread that would produce what a resource waits for.
  auto producers = [&](ResId waiting, Need need) {
    std::vector<size_t> out;
    const Desc& d = m.fds.desc(m.id_of(waiting));
    std::vector<ResId> peers;
    if (d.peer != kNone) names_of(d.peer, peers);
    if (need == Need::Counter) names_of(m.id_of(waiting), peers);
    for (size_t k = i + 1; k < p.steps.size(); ++k) {
      const Step& t = p.steps[k];
      auto uses = [&](ResId r) { return std::find(t.ins.begin(), t.ins.end(), r) != t.ins.end(); };
      bool hit = false;
      switch (need) {
        case Need::Data:
        case Need::Counter:
          for (ResId r : peers)
            if (uses(r) && (t.op == Op::Write || t.op == Op::Fill || t.op == Op::Close || t.op == Op::Shutdown)) hit = true;
          // A peer that does not exist yet: created by a later accept on our listener.
          if (d.listener != kNone && t.op == Op::Accept && m.id_of(t.ins[0]) == d.listener) hit = true;
          break;
        case Need::Connection:
          hit = t.op == Op::Connect && t.ins.size() > 1 && t.ins[1] == waiting;
          break;
        case Need::Space:
          for (ResId r : peers)
            if (uses(r) && (t.op == Op::Read || t.op == Op::Drain || t.op == Op::Close || t.op == Op::Accept)) hit = true;
          if (t.op == Op::Accept && t.ins[0] == waiting) hit = true;
          break;
        case Need::Anything:
          break;
      }
      if (hit) out.push_back(k);
    }
    return out;
  };
  auto need_of = [&](ResId r, uint32_t interest) {
    const Desc& d = m.fds.desc(m.id_of(r));
    if (d.kind == ResKind::TcpListener || d.kind == ResKind::UnixListener) return Need::Connection;
    if (d.kind == ResKind::EventFd) return Need::Counter;
    if (interest & ev::In) return Need::Data;
    if (interest & ev::Out) return Need::Space;
    return Need::Anything;
  };

  // What the step waits on: directly one resource, or through an epoll / poll set.
  struct Waited {
    ResId r;
    Need need;
  };
  std::vector<Waited> waits;
  std::string through;
  switch (s.op) {
    case Op::Read:
      waits.push_back({s.ins[0], need_of(s.ins[0], ev::In)});
      break;
    case Op::Accept:
      waits.push_back({s.ins[0], Need::Connection});
      break;
    case Op::Write:
      waits.push_back({s.ins[0], Need::Space});
      break;
    case Op::Connect:
      waits.push_back({s.ins[1], Need::Space});
      through = "the accept queue of " + name(s.ins[1]) + " is full";
      break;
    case Op::EpollWait: {
      through = "epoll " + name(s.ins[0]);
      for (const auto& reg : m.epoll.registrations()) {
        if (!reg.live || reg.epoll != m.id_of(s.ins[0]) || reg.disabled) continue;
        std::vector<ResId> rs;
        names_of(reg.target, rs);
        if (!rs.empty()) waits.push_back({rs.front(), need_of(rs.front(), reg.events)});
      }
      break;
    }
    default:
      through = std::string(s.spec().name);
      for (ResId r : s.ins) waits.push_back({r, need_of(r, s.op == Op::Poll ? static_cast<uint32_t>(s.param(0)) : ev::In)});
      break;
  }

  std::ostringstream o;
  o << "deadlock: " << where(i) << " would block the main thread forever";
  if (!through.empty()) o << " (" << through << ")";
  if (waits.empty()) {
    o << ": nothing is registered that could wake it";
    return o.str();
  }
  bool any = false;
  for (const auto& w : waits) {
    auto prod = producers(w.r, w.need);
    o << "; it waits for " << need_text(w.need) << " on " << name(w.r);
    if (prod.empty()) continue;
    any = true;
    o << ", which only " << where(prod.front()) << " produces, and the same thread runs that after it: main thread -> ";
    if (s.op == Op::EpollWait) o << "epoll " << name(s.ins[0]) << " -> ";
    o << need_text(w.need) << " on " << name(w.r) << " -> step " << prod.front() + 1 << " -> main thread";
  }
  if (!any) o << "; no later step, helper thread or timer produces it";
  return o.str();
}

}  // namespace ringside
