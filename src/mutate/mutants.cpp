#include "mutate/mutants.hpp"

#include "program/uring_ids.hpp"

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

namespace ringside {
namespace {

constexpr uint32_t kIn = 0x1, kOut = 0x4, kHup = 0x10, kRdHup = 0x2000, kEt = 0x80000000u, kOneshot = 0x40000000u;

// Interest of the registration an epoll_wait event reports (the engine stores the target
// resource id as epoll_event.data): found from the last ADD/MOD before step i.
uint32_t interest_of(const Program& p, size_t i, ResId ep, uint64_t token) {
  uint32_t ev = 0;
  for (size_t k = 0; k < i; ++k) {
    const Step& s = p.steps[k];
    if ((s.op == Op::EpollAdd || s.op == Op::EpollMod) && s.ins[0] == ep && s.ins[1] == token)
      ev = static_cast<uint32_t>(s.param(0));
  }
  return ev;
}

bool consumes(const Step& s, ResId r) {
  return (s.op == Op::Read || s.op == Op::Drain) && !s.ins.empty() && s.ins[0] == r;
}

void drop_events(Observation& o, const std::set<uint64_t>& tokens) {
  std::vector<ReadyEvent> kept;
  for (const auto& e : o.events)
    if (!tokens.count(e.ref)) kept.push_back(e);
  o.events = kept;
  o.ret = static_cast<int64_t>(kept.size());
}

// Masks of poll/select/epoll_wait reports, with the resource each one is about.
template <class F>
void for_each_mask(const Program& p, const Step& s, Observation& o, F&& f) {
  if (s.op != Op::EpollWait && s.op != Op::Poll && s.op != Op::Select) return;
  for (auto& e : o.events) {
    ResId r = s.op == Op::EpollWait ? static_cast<ResId>(e.ref) : s.ins[e.ref];
    if (r < p.resources.size()) f(r, e.mask);
  }
  if (s.op != Op::EpollWait) {
    int64_t n = 0;
    for (auto& e : o.events) n += e.mask != 0;
    if (s.op == Op::Poll) o.ret = n;
  }
}

// --- family 2: edge-triggered epoll ------------------------------------------------

// An ET registration reported again without its target being read since: dropped.
struct DropEtRefire : Mutation {
  std::map<uint64_t, size_t> last;  // token -> step of its last report
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op != Op::EpollWait) return;
    std::set<uint64_t> drop;
    for (const auto& e : o.events) {
      if (!(interest_of(p, i, s.ins[0], e.ref) & kEt)) continue;
      auto it = last.find(e.ref);
      bool read_since = false;
      if (it != last.end())
        for (size_t k = it->second; k < i; ++k) read_since |= consumes(p.steps[k], static_cast<ResId>(e.ref));
      if (it != last.end() && !read_since) drop.insert(e.ref);
      else last[e.ref] = i;
    }
    drop_events(o, drop);
  }
};

// An ET report that follows a drain to EAGAIN of its target: dropped (the edge that the
// ET contract promises after EAGAIN is lost).
struct DropEtAfterDrain : Mutation {
  std::set<ResId> drained;
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if ((s.op == Op::Drain && o.value == -EAGAIN) || (s.op == Op::Read && o.ret == -EAGAIN)) drained.insert(s.ins[0]);
    if (s.op != Op::EpollWait) return;
    std::set<uint64_t> drop;
    for (const auto& e : o.events)
      if ((interest_of(p, i, s.ins[0], e.ref) & kEt) && drained.count(static_cast<ResId>(e.ref))) drop.insert(e.ref);
    for (auto t : drop) drained.erase(static_cast<ResId>(t));
    drop_events(o, drop);
  }
};

// A fired ONESHOT registration reported again by the next wait.
struct OneshotTwice : Mutation {
  std::vector<ReadyEvent> fired;
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op == Op::EpollMod) fired.clear();
    if (s.op != Op::EpollWait) return;
    std::vector<ReadyEvent> now;
    for (const auto& e : o.events)
      if (interest_of(p, i, s.ins[0], e.ref) & kOneshot) now.push_back(e);
    for (const auto& f : fired) {
      bool there = false;
      for (const auto& e : o.events) there |= e.ref == f.ref;
      if (!there && o.ret < s.param(0)) {
        o.events.push_back(f);
        o.ret++;
      }
    }
    fired = now;
  }
};

// Full waits (maxevents reached) keep returning the same registrations: the rest starve.
struct StarveMaxevents : Mutation {
  std::vector<ReadyEvent> first;
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op != Op::EpollWait || o.ret != s.param(0) || o.ret == 0) return;
    if (first.size() != static_cast<size_t>(o.ret)) {
      first = o.events;
      return;
    }
    o.events = first;
  }
};

// --- family 1: nonblocking connect ---------------------------------------------------

// A connect still in progress polls writable.
struct PendingWritable : Mutation {
  std::set<ResId> pending;
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op == Op::Connect && p.res(s.ins[0]).kind == ResKind::Tcp && o.ret == -EINPROGRESS) pending.insert(s.ins[0]);
    uint32_t asked = s.op == Op::Poll ? static_cast<uint32_t>(s.param(0)) : kOut;
    for_each_mask(p, s, o, [&](ResId r, uint32_t& m) {
      if (!pending.count(r)) return;
      if (s.op == Op::EpollWait) return;
      if (asked & kOut) m |= kOut;
    });
    if (s.op == Op::EpollWait) {
      // A registration watching OUT on a pending socket is reported writable.
      for (ResId r : pending) {
        if (!(interest_of(p, i, s.ins[0], r) & kOut)) continue;
        bool there = false;
        for (auto& e : o.events)
          if (e.ref == r) {
            e.mask |= kOut;
            there = true;
          }
        if (!there && o.ret < s.param(0)) {
          o.events.push_back({r, kOut});
          o.ret++;
        }
      }
    }
    if (s.op == Op::Poll) {
      int64_t n = 0;
      for (auto& e : o.events) n += e.mask != 0;
      o.ret = n;
    }
  }
};

struct ZeroSoError : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (p.steps[i].op == Op::SockError && o.value == ECONNREFUSED) o.value = 0;
  }
};

struct StickySoError : Mutation {
  std::map<ResId, int64_t> seen;
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op != Op::SockError) return;
    if (o.value != 0) seen[s.ins[0]] = o.value;
    else if (seen.count(s.ins[0])) o.value = seen[s.ins[0]];
  }
};

// --- family 2: streams, pipes, eventfds ----------------------------------------------

struct CorruptData : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if ((s.op == Op::Read || s.op == Op::Drain) && !o.data.empty()) o.data[o.data.size() / 2] ^= 0x5a;
  }
};

struct DropPipeHup : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    for_each_mask(p, p.steps[i], o, [&](ResId r, uint32_t& m) {
      if (p.res(r).kind == ResKind::PipeRead) m &= ~kHup;
    });
  }
};

struct DropRdhup : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    for_each_mask(p, p.steps[i], o, [&](ResId, uint32_t& m) {
      if (m & kRdHup) m &= ~kRdHup;
    });
  }
};

// An eventfd read does not reset the counter: the next read returns the old value.
struct EventfdNoReset : Mutation {
  std::map<ResId, int64_t> last;
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op != Op::Read || p.res(s.ins[0]).kind != ResKind::EventFd) return;
    if (o.ret == 8) last[s.ins[0]] = o.value;
    else if (o.ret == -EAGAIN && last.count(s.ins[0])) {
      o.ret = 8;
      o.value = last[s.ins[0]];
    }
  }
};

// --- family 3: passive files ----------------------------------------------------------

struct FileEpollAccepts : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op == Op::EpollAdd && p.res(s.ins[1]).kind == ResKind::File && o.ret == -EPERM) o.ret = 0;
  }
};

struct FileNotWritable : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    for_each_mask(p, p.steps[i], o, [&](ResId r, uint32_t& m) {
      if (p.res(r).kind == ResKind::File) m &= ~kOut;
    });
  }
};

// --- family 7: the readiness wrapper -------------------------------------------------

bool on_wrapper(const Program& p, const Step& s) {
  return s.op == Op::Consume || s.op == Op::Settle || s.op == Op::Inspect || s.op == Op::WrapperNew ||
         s.op == Op::EventLoop || (s.op == Op::Close && p.res(s.ins[0]).kind == ResKind::Wrapper);
}

// The eventfd is written twice for one R 0 -> >0 transition.
struct WrapperSignalTwice : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (on_wrapper(p, p.steps[i]) && o.wrapper && o.wrapper->snap.transitions > 0) o.wrapper->snap.signals++;
  }
};

// The eventfd stays readable after consume() emptied R (the reset is lost).
struct WrapperStaleReadable : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (!on_wrapper(p, p.steps[i]) || !o.wrapper) return;
    WrapSnapshot& s = o.wrapper->snap;
    if (s.ready == 0 && s.transitions > 0 && !s.closed) s.eventfd_readable = true;
  }
};

// Edge-triggered epoll reports the wrapper again while R stayed > 0 (a second wakeup).
struct WrapperEtRefire : Mutation {
  std::set<uint64_t> reported;  // ET wrapper registrations reported since R was last 0
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op == Op::Consume && o.wrapper)
      for (const WrapItem& it : o.wrapper->items)
        if (it.ready_after == 0) reported.clear();
    if (s.op != Op::EpollWait) return;
    for (const auto& e : o.events)
      if (p.res(static_cast<ResId>(e.ref)).kind == ResKind::Wrapper &&
          (interest_of(p, i, s.ins[0], e.ref) & kEt))
        reported.insert(e.ref);
    if (!o.events.empty() || reported.empty() || o.ret >= s.param(0)) return;
    o.events.push_back({*reported.begin(), kIn});
    o.ret++;
  }
};

// Two consecutive buffers of one consume come out in completion order, not file order.
struct WrapperReorder : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (!on_wrapper(p, p.steps[i]) || !o.wrapper) return;
    auto& items = o.wrapper->items;
    size_t pos = 0;
    for (size_t k = 0; k + 1 < items.size(); ++k) {
      WrapItem &a = items[k], &b = items[k + 1];
      if (a.status == WrapStatus::Data && b.status == WrapStatus::Data && a.length == b.length) {
        // Swap their bytes and offsets: each buffer stays self-consistent, the order does not.
        std::swap(a.offset, b.offset);
        std::string first = o.data.substr(pos, a.length);
        o.data.replace(pos, a.length, o.data, pos + a.length, b.length);
        o.data.replace(pos + b.length, b.length, first);
        return;
      }
      if (a.status == WrapStatus::Data) pos += a.length;
    }
  }
};

// The pipeline admits one read more than its depth.
struct WrapperOverDepth : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (!on_wrapper(p, p.steps[i]) || !o.wrapper) return;
    if (p.steps[i].op == Op::WrapperNew && o.wrapper->snap.in_flight > 0) o.wrapper->snap.max_in_flight++;
  }
};

// consume() does not submit the next read: the pipeline drains and stalls.
struct WrapperNoRefill : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (p.steps[i].op != Op::Consume || !o.wrapper) return;
    WrapSnapshot& s = o.wrapper->snap;
    if (s.ready == 0 && !s.eof_delivered) s.in_flight = s.held = 0;
  }
};

// End of file is reported a second time instead of done.
struct WrapperEofTwice : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (!on_wrapper(p, p.steps[i]) || !o.wrapper) return;
    auto& items = o.wrapper->items;
    for (size_t k = 0; k < items.size(); ++k)
      if (items[k].status == WrapStatus::Done) {
        items[k].status = WrapStatus::Eof;
        items[k].offset = o.wrapper->snap.next_offset;
        return;
      }
  }
};

// Closing a wrapper returns before the completion of a read it had in flight (applied to
// every close, so the kill does not depend on the close racing the reads).
struct WrapperCloseEarly : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op == Op::Close && o.wrapper) o.wrapper->snap.in_flight = std::max(o.wrapper->snap.in_flight, 1u);
  }
};

// --- families 4-6: io_uring --------------------------------------------------------

// The script step that queued the request a CQE completes (null for race/via roles).
const Step* request_step(const Program& p, uint64_t ud) {
  if (ud == 0 || ud >= uring::kRaceCanceller) return nullptr;
  size_t k = uring::step_of_user_data(ud);
  return k < p.steps.size() ? &p.steps[k] : nullptr;
}

int64_t sqe_flags(const Step& s) {
  const OpSpec& spec = s.spec();
  for (size_t k = 0; k < spec.params.size(); ++k)
    if (spec.params[k].name == "flags") return s.param(k);
  return 0;
}

int64_t size_param(const Step& s) {
  const OpSpec& spec = s.spec();
  for (size_t k = 0; k < spec.params.size(); ++k)
    if (spec.params[k].name == "n") return s.param(k);
  return -1;
}

// A completion is never posted.
struct DropCqe : Mutation {
  bool done = false;
  void apply(const Program& p, size_t i, Observation& o) override {
    if (done || p.steps[i].op != Op::Reap) return;
    for (size_t k = 0; k < o.cqes.size(); ++k)
      if (request_step(p, o.cqes[k].user_data)) {
        o.cqes.erase(o.cqes.begin() + static_cast<std::ptrdiff_t>(k));
        o.ret = static_cast<int64_t>(o.cqes.size());
        done = true;
        return;
      }
  }
};

// A completion is posted twice.
struct DuplicateCqe : Mutation {
  bool done = false;
  void apply(const Program& p, size_t i, Observation& o) override {
    if (done || p.steps[i].op != Op::Reap) return;
    for (const auto& c : o.cqes)
      if (request_step(p, c.user_data) && !(c.flags & 0x2 /* IORING_CQE_F_MORE */)) {
        o.cqes.push_back(c);
        o.ret = static_cast<int64_t>(o.cqes.size());
        done = true;
        return;
      }
  }
};

// ASYNC_CANCEL says 0 (cancelled) although its target completed normally.
struct CancelZeroNormal : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op == Op::RaceCancel || s.op == Op::RaceCancelFd) {
      for (auto& t : o.trials) {
        bool normal = false;
        for (const auto& c : t.cqes) normal |= c.user_data >= uring::kRaceTarget && c.res >= 0;
        for (auto& c : t.cqes)
          if (normal && c.user_data == uring::kRaceCanceller && c.res == -ENOENT) c.res = 0;
      }
    }
    if (s.op == Op::Reap)
      for (auto& c : o.cqes)
        if (const Step* q = request_step(p, c.user_data); q && q->op == Op::UringCancel && c.res == -ENOENT) c.res = 0;
  }
};

// Two requests of a link chain complete in the opposite order.
struct LinkOutOfOrder : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (p.steps[i].op != Op::Reap) return;
    for (size_t k = 0; k + 1 < o.cqes.size(); ++k) {
      const Step* a = request_step(p, o.cqes[k].user_data);
      const Step* b = request_step(p, o.cqes[k + 1].user_data);
      if (a && b && (sqe_flags(*a) & (0x4 | 0x8)) && o.cqes[k].user_data < o.cqes[k + 1].user_data) {
        std::swap(o.cqes[k], o.cqes[k + 1]);
        return;
      }
    }
  }
};

// After a failed link, the rest of the chain runs instead of being cancelled.
struct ChainContinues : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (p.steps[i].op != Op::Reap) return;
    for (auto& c : o.cqes) {
      const Step* q = request_step(p, c.user_data);
      if (!q || c.res != -ECANCELED) continue;
      if (q->op == Op::UringNop) c.res = 0;
      else if (int64_t n = size_param(*q); n > 0 && (q->op == Op::UringRead || q->op == Op::UringWrite)) c.res = n;
    }
  }
};

// A MSG_WAITALL receive completes before its last byte arrived.
struct WaitallEarly : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (p.steps[i].op != Op::Reap) return;
    for (auto& c : o.cqes) {
      const Step* q = request_step(p, c.user_data);
      if (!q || q->op != Op::UringRecv || !q->param(q->spec().index("waitall")) || c.res <= 1) continue;
      c.res -= 1;
    }
  }
};

// With more completions than CQ entries, one of the overflowed CQEs is lost.
struct OverflowLoses : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op != Op::Reap || o.cqes.empty()) return;
    const Step& ring = p.steps[p.res(s.ins[0]).created_by];
    int64_t cq = ring.param(1) ? ring.param(1) : 2 * ring.param(0);
    if (static_cast<int64_t>(o.cqes.size()) > cq) {
      o.cqes.pop_back();
      o.ret = static_cast<int64_t>(o.cqes.size());
    }
  }
};

// --- inside tolerated states --------------------------------------------------------
// These regressions fire only where the oracle admits more than its rules predict (a
// tolerance of src/oracle/tolerances.def, or a span it follows only within bounds): the
// selftest proves that a tolerated state is still judged.

constexpr uint32_t kCqeMore = 0x2;  // IORING_CQE_F_MORE
constexpr uint32_t kPri = 0x2, kErr = 0x8;
constexpr int64_t kSqeDrain = 0x2;  // IOSQE_IO_DRAIN

// io_uring requests queued but without their final CQE yet, by step index.
struct InFlight {
  std::set<size_t> pending;
  void track(const Program& p, size_t i, const Observation& o) {
    const Step& s = p.steps[i];
    if (s.op == Op::Reap)
      for (const auto& c : o.cqes)
        if (!(c.flags & kCqeMore) && request_step(p, c.user_data)) pending.erase(uring::step_of_user_data(c.user_data));
    if (is_uring_queue_op(s.op) && o.ret == 0) pending.insert(i);
  }
  // Is a read or receive of resource r in flight (stream.readers_compete)?
  bool reading(const Program& p, ResId r) const {
    return std::any_of(pending.begin(), pending.end(), [&](size_t k) {
      const Step& q = p.steps[k];
      return (q.op == Op::UringRead || q.op == Op::UringRecv) && q.ins.size() > 1 && q.ins[1] == r;
    });
  }
};

// A read(2) beside an io_uring read in flight on the same channel returns a wrong byte.
struct CorruptBesideUringRead : Mutation {
  InFlight uring;
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if ((s.op == Op::Read || s.op == Op::Drain) && !o.data.empty() && uring.reading(p, s.ins[0]))
      o.data[o.data.size() / 2] ^= 0x5a;
    uring.track(p, i, o);
  }
};

// A read(2) beside an io_uring read in flight returns one byte more than the channel held.
struct ExtraBesideUringRead : Mutation {
  InFlight uring;
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op == Op::Read && o.ret > 0 && o.ret < s.param(0) && uring.reading(p, s.ins[0])) {
      o.data.push_back(o.data.back());
      o.ret += 1;
    }
    uring.track(p, i, o);
  }
};

// A drained request completes while a multishot poll submitted before it is still armed
// (io_uring holds it back until every earlier request is done).
struct DrainPassesMultishot : Mutation {
  InFlight uring;
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op == Op::Reap && !o.cqes.empty()) {
      bool multishot = false;
      for (size_t k : uring.pending) {
        const Step& q = p.steps[k];
        multishot |= q.op == Op::UringPoll && q.ins[0] == s.ins[0] && q.param(q.spec().index("multishot"));
      }
      for (size_t k : uring.pending) {
        const Step& q = p.steps[k];
        if (!multishot || q.op != Op::UringNop || q.ins[0] != s.ins[0] || !(sqe_flags(q) & kSqeDrain)) continue;
        o.cqes.insert(o.cqes.begin(), Completion{uring::user_data_of_step(k), 0, 0});
        o.ret = static_cast<int64_t>(o.cqes.size());
        break;
      }
    }
    uring.track(p, i, o);
  }
};

// A `later` write that blocked for room is never woken although a read made room: the
// step watchdog interrupts it (EINTR at the join).
struct BlockedWriterNotWoken : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (p.steps[i].op != Op::Join) return;
    for (auto& h : o.helpers)
      if (h.step < p.steps.size() && p.steps[h.step].op == Op::Write && h.ret > 0) h.ret = -EINTR;
  }
};

// An io_uring poll CQE on a socket woken by data says PRI alone (the key names IN|PRI).
struct PriOnlyPollCqe : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (p.steps[i].op != Op::Reap) return;
    for (auto& c : o.cqes)
      if (const Step* q = request_step(p, c.user_data); q && q->op == Op::UringPoll && (c.res & kPri) && (c.res & kIn))
        c.res &= ~static_cast<int32_t>(kIn);
  }
};

// A multishot poll fired by a keyed wakeup (an eventfd write names EPOLLIN) posts ERR too.
struct KeyedWakeAddsErr : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (p.steps[i].op != Op::Reap) return;
    for (auto& c : o.cqes)
      if (const Step* q = request_step(p, c.user_data);
          q && q->op == Op::UringPoll && (c.flags & kCqeMore) && c.res > 0 && p.res(q->ins[1]).kind == ResKind::EventFd)
        c.res |= static_cast<int32_t>(kErr);
  }
};

// An epoll report of a ring's own fd (whose readiness the model does not follow) carries
// an event outside the registration's interest.
struct RingFdOutsideInterest : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    const Step& s = p.steps[i];
    if (s.op != Op::EpollWait) return;
    for (auto& e : o.events)
      if (e.ref < p.resources.size() && p.res(static_cast<ResId>(e.ref)).kind == ResKind::Ring &&
          !(interest_of(p, i, s.ins[0], e.ref) & kOut))
        e.mask |= kOut;
  }
};

// An io_uring write on an AF_UNIX datagram socket whose peer may be gone reports more
// bytes than it was given.
struct GonePeerWriteOvercounts : Mutation {
  void apply(const Program& p, size_t i, Observation& o) override {
    if (p.steps[i].op != Op::Reap) return;
    for (auto& c : o.cqes)
      if (const Step* q = request_step(p, c.user_data);
          q && q->op == Op::UringWrite && p.res(q->ins[1]).kind == ResKind::UnixDgram)
        c.res = static_cast<int32_t>(size_param(*q) + 1);
  }
};

template <class T>
std::unique_ptr<Mutation> make() {
  return std::make_unique<T>();
}

const Mutant kMutants[] = {
    {"connect.pending_writable", 1, "a connect that cannot complete (accept queue full) polls writable",
     make<PendingWritable>},
    {"connect.zero_so_error", 1, "SO_ERROR reads 0 after a refused connect", make<ZeroSoError>},
    {"connect.sticky_so_error", 1, "SO_ERROR is not cleared by reading it", make<StickySoError>},
    {"epoll.drop_et_refire", 2, "edge-triggered epoll does not re-fire on a new arrival without a read",
     make<DropEtRefire>},
    {"epoll.drop_et_after_drain", 2, "edge-triggered epoll loses the edge after a drain to EAGAIN",
     make<DropEtAfterDrain>},
    {"epoll.oneshot_twice", 2, "a ONESHOT registration is reported a second time without EPOLL_CTL_MOD",
     make<OneshotTwice>},
    {"epoll.starve_maxevents", 2, "with maxevents smaller than the ready set, the same registrations always win",
     make<StarveMaxevents>},
    {"stream.corrupt_data", 2, "a byte read from a stream is wrong", make<CorruptData>},
    {"stream.drop_rdhup", 2, "peer shutdown is not reported as RDHUP", make<DropRdhup>},
    {"pipe.drop_hup", 2, "a pipe without writers does not poll HUP", make<DropPipeHup>},
    {"eventfd.no_reset", 2, "reading an eventfd does not reset its counter", make<EventfdNoReset>},
    {"file.epoll_accepts", 3, "epoll_ctl ADD of a regular file succeeds", make<FileEpollAccepts>},
    {"uring.drop_cqe", 4, "a request's completion is never posted", make<DropCqe>},
    {"uring.duplicate_cqe", 4, "a request's completion is posted twice", make<DuplicateCqe>},
    {"uring.waitall_early", 4, "a MSG_WAITALL receive completes before its last byte arrived", make<WaitallEarly>},
    {"uring.overflow_loses_cqe", 4, "a completion that overflowed the CQ is lost despite IORING_FEAT_NODROP",
     make<OverflowLoses>},
    {"uring.link_out_of_order", 5, "two requests of a link chain complete in the wrong order", make<LinkOutOfOrder>},
    {"uring.chain_continues", 5, "after a failed link the rest of the chain runs instead of -ECANCELED",
     make<ChainContinues>},
    {"uring.cancel_zero_normal", 6, "ASYNC_CANCEL returns 0 although its target completed normally",
     make<CancelZeroNormal>},
    {"file.not_writable", 3, "poll reports a regular file not writable", make<FileNotWritable>},
    {"wrapper.signal_twice", 7, "the wrapper writes its eventfd twice for one R 0 -> >0 transition",
     make<WrapperSignalTwice>},
    {"wrapper.stale_readable", 7, "the wrapper's eventfd stays readable after consume() emptied R",
     make<WrapperStaleReadable>},
    {"wrapper.et_refire", 7, "edge-triggered epoll reports the wrapper again while R stayed > 0",
     make<WrapperEtRefire>},
    {"wrapper.reorder", 7, "two buffers are handed out in completion order instead of file order",
     make<WrapperReorder>},
    {"wrapper.over_depth", 7, "the wrapper has one read more in flight than its depth", make<WrapperOverDepth>},
    {"wrapper.no_refill", 7, "consuming a buffer does not submit the next read: the pipeline stalls",
     make<WrapperNoRefill>},
    {"wrapper.eof_twice", 7, "end of file is reported again instead of done", make<WrapperEofTwice>},
    {"wrapper.close_early", 7, "closing a wrapper returns with a read still in flight", make<WrapperCloseEarly>},
    {"tolerated.corrupt_beside_uring_read", 2, "a read(2) beside an io_uring read in flight returns a wrong byte",
     make<CorruptBesideUringRead>},
    {"tolerated.extra_beside_uring_read", 2, "a read(2) beside an io_uring read in flight returns a byte nobody wrote",
     make<ExtraBesideUringRead>},
    {"tolerated.drain_passes_multishot", 5, "a drained request completes while an earlier multishot poll is armed",
     make<DrainPassesMultishot>},
    {"tolerated.blocked_writer_not_woken", 2, "a blocked writer is not woken when a read makes room (watchdog EINTR)",
     make<BlockedWriterNotWoken>},
    {"tolerated.pri_only_poll_cqe", 4, "an io_uring poll CQE on a socket with data says PRI without IN",
     make<PriOnlyPollCqe>},
    {"tolerated.keyed_wake_adds_err", 4, "a multishot poll CQE from an eventfd write carries ERR", make<KeyedWakeAddsErr>},
    {"tolerated.ring_fd_outside_interest", 4, "epoll reports a ring's fd with OUT outside the registration's interest",
     make<RingFdOutsideInterest>},
    {"tolerated.gone_peer_write_overcounts", 4, "an io_uring datagram write to a gone peer reports more than it was given",
     make<GonePeerWriteOvercounts>},
};

}  // namespace

std::span<const Mutant> all_mutants() { return kMutants; }

const Mutant* mutant_by_id(std::string_view id) {
  for (const auto& m : kMutants)
    if (m.id == id) return &m;
  return nullptr;
}

}  // namespace ringside
