// Engine: wait_ready, a readiness wait observed through the program's via path: epoll
// level-triggered, epoll edge-triggered (a private epoll instance per operand set, so
// edges carry over between waits), or io_uring POLL_ADD (armed for the wait, removed
// after it if it did not fire). Reports are keyed by the operand's resource id.
#include <liburing.h>
#include <sys/epoll.h>

#include <cerrno>
#include <cstring>

#include "engine/engine.hpp"
#include "engine/errors.hpp"
#include "engine/uring_state.hpp"
#include "program/uring_ids.hpp"

namespace ringside {

Observation Engine::wait_ready(size_t, const Step& s) {
  UringState& st = uring_state();
  Observation o;
  const std::string_view via = uring::via_of(prog_->via);
  const auto events = static_cast<uint32_t>(s.param(0));
  int64_t timeout = s.param(1);
  const bool capped = timeout > budget().count();
  if (capped) timeout = budget().count();
  if (via == "epoll-lt" || via == "epoll-et") {
    auto& ve = st.via_epolls[s.ins];
    if (!ve.ep) {
      note("epoll_create1");
      ve.ep = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
      if (!ve.ep) throw EnvironmentError(std::string("epoll_create1: ") + std::strerror(errno));
      ve.events.assign(s.ins.size(), 0);
    }
    const uint32_t want = events | (via == "epoll-et" ? static_cast<uint32_t>(EPOLLET) : 0u);
    for (size_t k = 0; k < s.ins.size(); ++k) {
      if (ve.events[k] == want) continue;
      epoll_event ev{};
      ev.events = want;
      ev.data.u64 = s.ins[k];
      note("epoll_ctl");
      if (::epoll_ctl(ve.ep.get(), ve.events[k] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd(s.ins[k]), &ev) != 0) {
        o.ret = -errno;
        o.value = static_cast<int64_t>(k);  // which operand could not be watched
        return o;
      }
      ve.events[k] = want;
    }
    std::vector<epoll_event> evs(s.ins.size());
    note("epoll_wait");
    int rv;
    int64_t end = monotonic_ns() + timeout * 1'000'000;
    do {
      int64_t left = std::max<int64_t>(0, (end - monotonic_ns()) / 1'000'000);
      rv = ::epoll_wait(ve.ep.get(), evs.data(), static_cast<int>(evs.size()), static_cast<int>(left));
    } while (rv < 0 && errno == EINTR);
    if (rv < 0) {
      o.ret = -errno;
      return o;
    }
    o.ret = rv;
    for (int k = 0; k < rv; ++k) o.events.push_back({evs[k].data.u64, evs[k].events});
    o.deadline_hit = capped && rv == 0;
    return o;
  }
  if (via != "uring-poll") throw std::logic_error("wait_ready: unknown via path '" + std::string(via) + "'");

  if (!st.via_ring) st.via_ring = std::make_unique<UringRing>(64, 0);
  UringRing& ring = *st.via_ring;
  for (size_t k = 0; k < s.ins.size(); ++k) {
    UringSqe q;
    q.user_data = uring::kViaPoll + k;
    q.prep = [f = fd(s.ins[k]), events](io_uring_sqe* sqe, UringIo&) { io_uring_prep_poll_add(sqe, f, events); };
    ring.queue(std::move(q));
  }
  note("io_uring_enter");
  int64_t rc = ring.submit(0);
  if (rc < 0) {
    o.ret = rc;
    return o;
  }
  int waited = ring.take(1, static_cast<unsigned>(s.ins.size()), monotonic_ns() + timeout * 1'000'000, o.cqes, nullptr);
  // Polls that did not fire are removed; one may fire before its removal, and counts.
  for (size_t k = 0; k < s.ins.size(); ++k) {
    if (!ring.in_flight(uring::kViaPoll + k)) continue;
    UringSqe q;
    q.user_data = uring::kViaRemove + k;
    q.prep = [ud = uring::kViaPoll + k](io_uring_sqe* sqe, UringIo&) { io_uring_prep_poll_remove(sqe, ud); };
    ring.queue(std::move(q));
  }
  if (ring.queued() && ring.submit(0) < 0) throw EnvironmentError("wait_ready: io_uring_enter failed removing polls");
  int64_t deadline = monotonic_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(budget()).count();
  while (ring.in_flight())
    if (ring.take(1, 64, deadline, o.cqes, nullptr) < 0) {
      o.deadline_hit = true;
      break;
    }
  for (const Completion& c : o.cqes)
    if (c.user_data >= uring::kViaPoll && c.user_data < uring::kViaRemove && c.res > 0)
      o.events.push_back({s.ins[c.user_data - uring::kViaPoll], static_cast<uint32_t>(c.res)});
  o.ret = static_cast<int64_t>(o.events.size());
  o.deadline_hit = o.deadline_hit || (capped && waited == -ETIME);
  return o;
}

}  // namespace ringside
