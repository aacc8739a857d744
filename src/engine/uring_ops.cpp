// Engine: io_uring steps (ops_uring.def): rings, queuing SQEs, submit, reap.
#include <liburing.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "engine/engine.hpp"
#include "engine/errors.hpp"
#include "engine/uring_state.hpp"
#include "program/pattern.hpp"
#include "program/uring_ids.hpp"

namespace ringside {
namespace {

__kernel_timespec timespec_of_us(int64_t us) {
  return {us / 1'000'000, (us % 1'000'000) * 1000};
}

}  // namespace

UringState& Engine::uring_state() {
  if (!uring_) uring_ = std::make_unique<UringState>();
  return *uring_;
}

Observation Engine::uring(size_t i, const Step& s) {
  UringState& st = uring_state();
  Observation o;
  const OpSpec& spec = s.spec();
  auto param = [&](std::string_view n) { return s.param(spec.index(n)); };
  if (s.op == Op::RingNew) {
    auto entries = static_cast<unsigned>(param("entries")), cq = static_cast<unsigned>(param("cq"));
    note("io_uring_setup");
    std::unique_ptr<UringRing> r = st.pool.take(entries, cq);
    if (!r) r = std::make_unique<UringRing>(entries, cq);
    created(s.outs[0], r->fd(), s.outs[0]);
    o.fds.push_back(r->fd());
    o.ret = r->fd();
    o.value = static_cast<int64_t>(r->sq_entries()) | static_cast<int64_t>(r->cq_entries()) << 32;
    st.add(s.outs[0], std::move(r));
    return o;
  }
  const ResId ring_res = s.ins[0];
  UringRing* ring = st.ring(ring_res);
  if (!ring) throw std::logic_error("engine: '" + prog_->res(ring_res).name + "' is not an open ring");
  if (s.op == Op::Close) {
    note("close");
    st.remove(ring_res);
    slots_[ring_res].open = false;
    o.ret = 0;
    return o;
  }
  if (s.op == Op::Submit) {
    note("io_uring_enter");
    o.ret = ring->submit(static_cast<unsigned>(param("batch")));
    return o;
  }
  if (s.op == Op::Reap) {
    int64_t ms = param("timeout");
    bool capped = ms > budget().count();
    if (capped) ms = budget().count();
    note("io_uring_enter");
    int rc = ring->take(static_cast<unsigned>(param("min")), static_cast<unsigned>(param("max")),
                        monotonic_ns() + ms * 1'000'000, o.cqes, &o.data);
    o.ret = static_cast<int64_t>(o.cqes.size());
    o.value = rc;
    o.deadline_hit = capped && rc == -ETIME;
    return o;
  }

  // Queue one SQE; it is prepared at submit. The fd is looked up then: a resource closed
  // in between gives -1 (EBADF), never a reused fd number.
  UringSqe q;
  q.user_data = uring::user_data_of_step(i);
  q.flags = static_cast<uint8_t>(param("flags"));
  q.io = std::make_unique<UringIo>();
  UringIo& io = *q.io;
  auto fd_at_submit = [this](ResId r) { return [this, r] { return slots_[r].open ? slots_[r].fd : -1; }; };
  auto target_ud = [&](ResId req) { return uring::user_data_of_step(prog_->res(req).created_by); };
  switch (s.op) {
    case Op::UringNop:
      q.prep = [](io_uring_sqe* sqe, UringIo&) { io_uring_prep_nop(sqe); };
      break;
    case Op::UringRead:
    case Op::UringWrite:
    case Op::UringRecv:
    case Op::UringSend: {
      const ResId r = s.ins[1];
      const ResKind kind = prog_->res(r).kind;
      const auto n = static_cast<size_t>(param("n"));
      const bool read = s.op == Op::UringRead || s.op == Op::UringRecv;
      const bool rw = s.op == Op::UringRead || s.op == Op::UringWrite;
      const bool vec = rw && param("vec");
      const int64_t off = rw ? param("off") : -1;
      const int msg = (!rw && param("waitall") ? MSG_WAITALL : 0) | (s.op == Op::UringSend ? MSG_NOSIGNAL : 0);
      if (!read && kind == ResKind::EventFd) {
        // An eventfd takes an 8-byte counter increment, as write(2) does.
        io.buf.resize(8);
        uint64_t v = n;
        std::memcpy(io.buf.data(), &v, 8);
      } else {
        io.buf.resize(std::max<size_t>(n, 1));
        // Files: the request's own pattern stream at the file offset, so its bytes can
        // be told from any other write's.
        if (!read && kind == ResKind::File) fill_pattern(s.outs[0], static_cast<uint64_t>(off), io.buf.data(), n);
      }
      // Streams: the writer's stream, in order; a request's bytes take their place in it
      // when it is submitted (as the oracle counts them), not when it is queued.
      std::atomic<uint64_t>* stream_at =
          !read && kind != ResKind::File && kind != ResKind::EventFd ? &written_[slots_[r].origin] : nullptr;
      const uint32_t origin = slots_[r].origin;
      io.returns_data = read;
      const size_t len = io.buf.size() < n ? io.buf.size() : n;
      q.prep = [fd = fd_at_submit(r), s_op = s.op, vec, off, msg, len, stream_at, origin, n](io_uring_sqe* sqe,
                                                                                             UringIo& m) {
        if (stream_at) fill_pattern(origin, stream_at->fetch_add(n), m.buf.data(), n);
        if (vec) {
          size_t half = len / 2;
          m.iov[0] = {m.buf.data(), half};
          m.iov[1] = {m.buf.data() + half, len - half};
        }
        auto uoff = static_cast<__u64>(off);
        switch (s_op) {
          case Op::UringRead:
            vec ? io_uring_prep_readv(sqe, fd(), m.iov, 2, uoff) : io_uring_prep_read(sqe, fd(), m.buf.data(), static_cast<unsigned>(len), uoff);
            break;
          case Op::UringWrite:
            vec ? io_uring_prep_writev(sqe, fd(), m.iov, 2, uoff)
                : io_uring_prep_write(sqe, fd(), m.buf.data(), static_cast<unsigned>(len), uoff);
            break;
          case Op::UringRecv:
            io_uring_prep_recv(sqe, fd(), m.buf.data(), len, msg);
            break;
          default:
            io_uring_prep_send(sqe, fd(), m.buf.data(), len, msg);
            break;
        }
      };
      if (!read && kind == ResKind::EventFd)
        q.prep = [fd = fd_at_submit(r)](io_uring_sqe* sqe, UringIo& m) {
          io_uring_prep_write(sqe, fd(), m.buf.data(), 8, static_cast<__u64>(-1));
        };
      break;
    }
    case Op::UringPoll: {
      auto events = static_cast<unsigned>(param("events"));
      bool multi = param("multishot") != 0;
      q.prep = [fd = fd_at_submit(s.ins[1]), events, multi](io_uring_sqe* sqe, UringIo&) {
        multi ? io_uring_prep_poll_multishot(sqe, fd(), events) : io_uring_prep_poll_add(sqe, fd(), events);
      };
      break;
    }
    case Op::UringPollRemove:
      q.prep = [ud = target_ud(s.ins[1])](io_uring_sqe* sqe, UringIo&) { io_uring_prep_poll_remove(sqe, ud); };
      break;
    case Op::UringTimeout: {
      io.ts = timespec_of_us(param("t"));
      auto count = static_cast<unsigned>(param("count"));
      q.prep = [count](io_uring_sqe* sqe, UringIo& m) { io_uring_prep_timeout(sqe, &m.ts, count, 0); };
      break;
    }
    case Op::UringTimeoutRemove:
      q.prep = [ud = target_ud(s.ins[1])](io_uring_sqe* sqe, UringIo&) { io_uring_prep_timeout_remove(sqe, ud, 0); };
      break;
    case Op::UringLinkTimeout:
      io.ts = timespec_of_us(param("t"));
      q.prep = [](io_uring_sqe* sqe, UringIo& m) { io_uring_prep_link_timeout(sqe, &m.ts, 0); };
      break;
    case Op::UringCancel: {
      int flags = param("all") ? IORING_ASYNC_CANCEL_ALL : 0;
      q.prep = [ud = target_ud(s.ins[1]), flags](io_uring_sqe* sqe, UringIo&) { io_uring_prep_cancel64(sqe, ud, flags); };
      break;
    }
    case Op::UringCancelFd: {
      unsigned flags = param("all") ? IORING_ASYNC_CANCEL_ALL : 0;
      q.prep = [fd = fd_at_submit(s.ins[1]), flags](io_uring_sqe* sqe, UringIo&) { io_uring_prep_cancel_fd(sqe, fd(), flags); };
      break;
    }
    case Op::UringCancelAny:
      q.prep = [](io_uring_sqe* sqe, UringIo&) { io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY); };
      break;
    default:
      throw std::logic_error("engine: step '" + std::string(spec.name) + "' is not an io_uring step");
  }
  ring->queue(std::move(q));
  o.ret = 0;
  return o;
}

void Engine::uring_finish() {
  if (!uring_) return;
  UringState& st = *uring_;
  int64_t deadline = monotonic_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(budget()).count();
  // Rings go back to the pool reset (everything cancelled, every CQE taken) before the
  // fds their requests use are closed; their fds are the rings' own. The helper thread
  // has been joined: the map is this thread's alone.
  for (auto& [res, ring] : st.rings) {
    slots_[res].open = false;
    st.pool.give(std::move(ring), deadline);
  }
  st.rings.clear();
  st.via_epolls.clear();
  if (st.via_ring && !st.via_ring->reset(deadline)) st.via_ring.reset();
  if (st.race_ring && !st.race_ring->reset(deadline)) st.race_ring.reset();
}

}  // namespace ringside
