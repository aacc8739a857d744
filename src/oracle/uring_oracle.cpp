// Families 4-6: how io_uring requests in flight meet the rest of the model: a close(2) of
// a fd they act on, read(2) of a file they write, and what they may do at any moment
// (post a CQE, land bytes, take a pending error). Their queuing and submission are in
// uring_submit.cpp, their CQEs in uring_cqe.cpp, reaping in uring_due.cpp.
#include <algorithm>

#include "oracle/oracle_impl.hpp"
#include "oracle/uring_common.hpp"

namespace ringside {

using namespace uring_model;

void Oracle::Impl::uring_close(ResId r) {
  // A request issued later than its submission (io-wq, a chain, a drain) looks its fd
  // number up only then: closed meanwhile, it may end EBADF.
  for (Req& q : uring.reqs)
    if (q.state == ReqState::InFlight && q.desc != kNone && q.fd_res == r && may_run_in_iowq(q)) q.maybe_badf = true;
  DescId d = id_of(r);
  if (d == kNone || fds.desc(d).refs > 1) return;
  // The last fd goes, but a request in flight holds the file open: the description is
  // released when the last such request ends, some time from now.
  for (const Req& q : uring.reqs)
    if (q.state == ReqState::InFlight && q.desc == d) {
      fds.desc(d).held_by_requests = true;
      return;
    }
}

// A request ended: if it was the last to hold a closed description, the release that was
// only possible since the close has happened.
void Oracle::Impl::uring_released_holder(const Req& r) {
  if (r.desc == kNone) return;
  Desc& d = fds.desc(r.desc);
  if (!d.held_by_requests || d.refs > 0) return;
  for (const Req& q : uring.reqs)
    if (q.state == ReqState::InFlight && q.desc == r.desc && !q.abandoned) return;
  d.held_by_requests = false;
  fds.release_now(r.desc);
}

Check Oracle::Impl::file_read(size_t i, Desc& d, const Observation& obs, uint64_t n) {
  model::FileContent& fc = fds.content(d.id);
  auto span = [&](uint64_t size) { return static_cast<int64_t>(std::min(n, d.pos < size ? size - d.pos : 0)); };
  RetSet allowed = RetSet::range(span(fc.size_certain()), span(fc.size_possible()));
  if (Check e = expect(i, RuleId::FileRw, allowed, obs.ret)) return e;
  if (obs.ret <= 0) return std::nullopt;
  fds.exercise(RuleId::DataOrder);
  if (obs.data.size() != static_cast<size_t>(obs.ret))
    return violation(i, RuleId::DataOrder, std::to_string(obs.ret) + " bytes of data", std::to_string(obs.data.size()));
  if (auto m = fc.read(d.pos, obs.data)) return file_mismatch(i, *m, {});
  d.pos += static_cast<uint64_t>(obs.ret);
  return std::nullopt;
}

// A file read's bytes that no allowed writer explains, in words.
Check Oracle::Impl::file_mismatch(size_t i, const model::FileContent::Mismatch& m, const std::string& who) {
  std::string want;
  for (uint32_t st : m.allowed)
    want += (want.empty() ? "" : " or ") + (st < prog.resources.size() ? prog.res(st).name : std::string("zeros"));
  return violation(i, m.rule, "the bytes of " + (want.empty() ? std::string("nothing") : want) + " at offset " + std::to_string(m.offset),
                   "other bytes", who);
}

void Oracle::Impl::file_write(DescId d, uint64_t n) {
  Desc& f = fds.desc(d);
  fds.content(d).sync_write(f.origin, f.pos, n, uring.tick());
}

// One pass over the requests in flight, for what they may do at any moment:
// - a ring with requests in flight may post a CQE (a timer, io-wq, task work), and each
//   CQE wakes the ring's waiters: an edge-triggered registration may report again;
// - an io_uring write may land and wake the reader's waiters; a read may make room and
//   wake the writer's;
// - an error that came to a stream socket may be taken (and cleared) by a read or write
//   on it whenever it runs (sock_error): ERR may go, connect may find no error, and the
//   request may end with it.
void Oracle::Impl::uring_before_absorb() {
  std::vector<bool> ring_busy(uring.rings.size(), false);
  for (Req& r : uring.reqs) {
    if (r.state != ReqState::InFlight) continue;
    ring_busy[r.ring] = true;
    if (!is_rw(r.op) || r.desc == kNone || r.badf || fds.released(r.desc)) continue;
    Desc& d = fds.desc(r.desc);
    const model::ChanId ch = reads(r.op) ? d.rx : d.tx;
    if (ch != kNone) {
      const DescId other = reads(r.op) ? fds.chan(ch).writer : fds.chan(ch).reader;
      if (other != kNone && !fds.released(other))
        fds.wakes().push_back({other, reads(r.op) ? ev::Out : ev::In, Level::Maybe, RuleId::EtRefire});
    }
    if ((d.is_tcp() || d.kind == ResKind::UnixStream) && possible(d.err_level)) {
      r.err_pending = true;
      if (d.err_level == Level::Yes || d.err_level == Level::Soon) d.err_level = Level::Maybe;
    }
  }
  for (uint32_t ri = 0; ri < uring.rings.size(); ++ri) {
    const model::RingModel& ring = uring.rings[ri];
    if (ring_busy[ri] && ring.open && ring.desc != kNone && !fds.released(ring.desc))
      fds.wakes().push_back({ring.desc, 0, Level::Maybe, RuleId::EtRefire});
  }
  // Armed polls remember what their fd allowed at every step, since a CQE's mask was
  // computed at some moment between arming and reaping, and the keys of the wakeups since.
  for (Req& r : uring.reqs) {
    if (r.op != Op::UringPoll || r.state != ReqState::InFlight || r.desc == kNone || r.badf) continue;
    if (fds.released(r.desc)) continue;
    r.states.push_back(fds.readiness(r.desc));
    const uint32_t filter = (r.events & ev::Modeled) | ev::Err | ev::Hup;
    for (const model::Wake& w : fds.wakes()) {
      if (w.desc != r.desc) continue;
      r.wake_keys |= w.key ? w.key : ~0u;
      if (w.level == Level::Yes && (w.key == 0 || (w.key & filter))) r.woken = true;
    }
  }
}

}  // namespace ringside
