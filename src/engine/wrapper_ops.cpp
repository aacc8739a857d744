// Engine: readiness-wrapper steps (family 7): open, consume, settle, inspect, the event
// loop over an epoll, and close of a wrapper. Every step ends with the wrapper's counters
// read under its lock, for the oracle.
#include "engine/wrapper_ops.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/engine.hpp"
#include "engine/errors.hpp"
#include "engine/probe.hpp"

namespace ringside {
namespace {

constexpr int64_t kConsumeAllCap = 1 << 24;   // `consume w all` stops here at the latest

WrapStatus status_of(rwrap::Status s) {
  switch (s) {
    case rwrap::Status::data: return WrapStatus::Data;
    case rwrap::Status::would_block: return WrapStatus::WouldBlock;
    case rwrap::Status::eof: return WrapStatus::Eof;
    case rwrap::Status::error: return WrapStatus::Error;
    case rwrap::Status::done: return WrapStatus::Done;
  }
  return WrapStatus::Done;
}

// One consume() call into the observation. Returns false when the caller should stop
// (nothing more now, or the stream ended).
bool consume_one(rwrap::ReadinessWrapper& w, Observation& o) {
  const rwrap::ConsumeResult r = w.consume();
  WrapItem it;
  it.status = status_of(r.status);
  it.offset = r.offset;
  it.error = r.error;
  it.ready_after = static_cast<uint32_t>(r.ready);
  if (r.status == rwrap::Status::data) {
    it.length = static_cast<uint32_t>(r.bytes.size());
    o.data.append(reinterpret_cast<const char*>(r.bytes.data()), r.bytes.size());
    o.ret += static_cast<int64_t>(r.bytes.size());
  }
  o.wrapper->items.push_back(it);
  // Running out of memory or descriptors inside the wrapper is the machine's problem.
  if (r.status == rwrap::Status::error && is_environment_errno(r.error))
    throw EnvironmentError(std::string("readiness wrapper: ") + std::strerror(r.error));
  return r.status == rwrap::Status::data;
}

}  // namespace

WrapSnapshot to_wrap_snapshot(const rwrap::Snapshot& s) {
  WrapSnapshot w;
  w.ready = static_cast<uint32_t>(s.ready);
  w.held = static_cast<uint32_t>(s.held);
  w.in_flight = s.in_flight;
  w.max_in_flight = s.max_in_flight;
  w.signals = s.signals;
  w.transitions = s.transitions;
  w.reordered = s.reordered;
  w.next_offset = s.next_offset;
  w.eventfd_readable = s.eventfd_readable;
  w.eof_delivered = s.eof_delivered;
  w.error_delivered = s.error_delivered;
  w.error = s.error;
  w.closed = s.closed;
  return w;
}

void WrapperSet::add(ResId r, std::unique_ptr<rwrap::ReadinessWrapper> w, int file_fd) {
  entries_[r] = Entry{std::move(w), file_fd};
}

rwrap::ReadinessWrapper* WrapperSet::get(ResId r) {
  auto it = entries_.find(r);
  return it == entries_.end() ? nullptr : it->second.wrapper.get();
}

WrapperSet::Closed WrapperSet::close(ResId r) {
  Closed c;
  auto it = entries_.find(r);
  if (it == entries_.end()) return c;
  Entry& e = it->second;
  const int efd = e.wrapper->eventfd();
  c.in_flight = e.wrapper->snapshot().in_flight;
  c.clean = e.wrapper->close() == rwrap::CloseStatus::ok;
  c.last = to_wrap_snapshot(e.wrapper->snapshot());
  // Nothing else opens descriptors while the owner thread is here (`later` steps only
  // write, shut down or close), so an open fd with that number is the wrapper's own.
  c.eventfd_open = efd >= 0 && ::fcntl(efd, F_GETFD) >= 0;
  // Reads still in flight after a timed-out close hold their own file reference.
  ::close(e.file_fd);
  entries_.erase(it);
  return c;
}

bool WrapperSet::close_by_eventfd(int fd) {
  for (auto& [r, e] : entries_)
    if (e.wrapper->eventfd() == fd) {
      close(r);
      return true;
    }
  return false;
}

void WrapperSet::close_all() {
  while (!entries_.empty()) close(entries_.begin()->first);
}

Observation Engine::wrapper(size_t, const Step& s) {
  if (!wrappers_) wrappers_ = std::make_unique<WrapperSet>();
  Observation o;
  o.wrapper.emplace();
  const OpSpec& spec = s.spec();
  auto param = [&](std::string_view name) { return s.param(spec.index(name)); };
  const ResId wr = s.op == Op::WrapperNew ? s.outs[0] : s.op == Op::EventLoop ? s.ins[1] : s.ins[0];

  if (s.op == Op::WrapperNew) {
    note("fcntl");
    const int file_fd = ::fcntl(fd(s.ins[0]), F_DUPFD_CLOEXEC, 0);
    if (file_fd < 0) throw EnvironmentError(std::string("dup of the wrapper's file: ") + std::strerror(errno));
    rwrap::Options opts;
    opts.depth = static_cast<unsigned>(param("depth"));
    opts.buffer_size = static_cast<uint32_t>(param("buf"));
    opts.async_reads = param("async") != 0;
    if (param("scramble") > 0) opts.scramble_seed = static_cast<uint64_t>(param("scramble"));
    opts.close_timeout = budget();
    note("io_uring_setup");
    rwrap::OpenResult res = rwrap::ReadinessWrapper::open(file_fd, opts);
    if (res.status != rwrap::OpenStatus::ok) {
      ::close(file_fd);
      const std::string why = std::strerror(res.error);
      switch (res.status) {
        case rwrap::OpenStatus::uring_unavailable: {
          const KernelProbe& probe = probe_kernel();
          throw Unsupported("readiness wrapper needs io_uring: " + (probe.uring ? why : probe.uring_reason));
        }
        case rwrap::OpenStatus::system_error:
          throw EnvironmentError("readiness wrapper: " + why);
        default:  // the program checker keeps options in range
          throw std::logic_error("readiness wrapper refused its options: " + why);
      }
    }
    const int efd = res.wrapper->eventfd();
    wrappers_->add(wr, std::move(res.wrapper), file_fd);
    created(wr, efd, wr);
    o.fds.push_back(efd);
    o.ret = efd;
    o.wrapper->snap = to_wrap_snapshot(wrappers_->get(wr)->snapshot());
    return o;
  }

  if (s.op == Op::Close) {
    note("close");
    const WrapperSet::Closed c = wrappers_->close(wr);
    slots_[wr].open = false;
    o.ret = c.clean ? 0 : -ETIMEDOUT;
    o.wrapper->snap = c.last;
    o.wrapper->in_flight_at_close = c.in_flight;
    o.wrapper->eventfd_open = c.eventfd_open;
    return o;
  }

  rwrap::ReadinessWrapper* w = wrappers_->get(wr);
  if (!w) throw std::logic_error("engine: wrapper '" + prog_->res(wr).name + "' is not open");
  switch (s.op) {
    case Op::Consume: {
      note("consume");
      const int64_t max = param("all") ? kConsumeAllCap : param("max");
      for (int64_t k = 0; k < max && consume_one(*w, o); ++k) {
      }
      break;
    }
    case Op::Settle:
      note("wait_quiescent");
      o.deadline_hit = !w->wait_quiescent(budget());
      break;
    case Op::Inspect:
      break;
    case Op::EventLoop: {
      const int epfd = fd(s.ins[0]);
      const int64_t timeout = param("timeout");
      const int64_t waits = param("waits");
      const int64_t deadline = monotonic_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(budget()).count();
      epoll_event evs[kEventLoopMaxEvents];
      if (param("first")) {
        note("consume");
        while (consume_one(*w, o)) {
        }
        if (o.wrapper->items.back().status != WrapStatus::WouldBlock) break;  // the stream ended
      }
      for (int64_t n = 0; n < waits; ++n) {
        const int64_t left_ms = (deadline - monotonic_ns()) / 1'000'000;
        if (left_ms <= 0) {
          o.deadline_hit = true;
          break;
        }
        note("epoll_wait");
        int rv;
        while ((rv = ::epoll_wait(epfd, evs, kEventLoopMaxEvents, static_cast<int>(std::min(timeout, left_ms)))) < 0 &&
               errno == EINTR) {
        }
        if (rv < 0) {
          o.ret = -errno;
          break;
        }
        WrapItem wait;
        wait.status = WrapStatus::Wait;
        wait.length = static_cast<uint32_t>(rv);
        o.wrapper->items.push_back(wait);
        bool mine = false;
        for (int k = 0; k < rv; ++k) {
          o.events.push_back({evs[k].data.u64, evs[k].events});
          mine |= evs[k].data.u64 == wr && (evs[k].events & EPOLLIN);
        }
        if (rv == 0) break;  // nothing came within the timeout
        if (!mine) continue;
        note("consume");
        while (consume_one(*w, o)) {
        }
        const WrapStatus last = o.wrapper->items.back().status;
        if (last != WrapStatus::WouldBlock) break;  // eof, error or done: the stream ended
      }
      break;
    }
    default:
      throw std::logic_error("engine: '" + std::string(spec.name) + "' is not a wrapper step");
  }
  o.wrapper->snap = to_wrap_snapshot(w->snapshot());
  return o;
}

}  // namespace ringside
