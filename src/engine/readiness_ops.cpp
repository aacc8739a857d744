// Engine: readiness steps (epoll_ctl, epoll_wait, poll, select).
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include <cerrno>
#include <vector>

#include "engine/engine.hpp"
#include "engine/errors.hpp"

namespace ringside {

static_assert(EPOLLIN == 0x001 && EPOLLPRI == 0x002 && EPOLLOUT == 0x004 && EPOLLRDHUP == 0x2000);
static_assert(EPOLLET == (1u << 31) && EPOLLONESHOT == (1u << 30) && EPOLLEXCLUSIVE == (1u << 28));
static_assert(POLLIN == 0x001 && POLLOUT == 0x004 && POLLERR == 0x008 && POLLHUP == 0x010);

Observation Engine::readiness(size_t, const Step& s) {
  Observation o;
  auto blocking = [&](const char* name, int64_t timeout_ms, auto&& call) -> int {
    // Waits shorter than the deadline cannot hang; longer or infinite ones are bounded.
    bool bounded = timeout_ms >= 0 && timeout_ms < budget().count();
    if (bounded) {
      note(name);
      int rv;
      while ((rv = call()) < 0 && errno == EINTR) {
      }
      return rv;
    }
    int rv = blocking_call(o, name, call);
    if (o.deadline_hit) errno = EINTR;
    return rv;
  };
  switch (s.op) {
    case Op::EpollAdd:
    case Op::EpollMod:
    case Op::EpollDel: {
      int op = s.op == Op::EpollAdd ? EPOLL_CTL_ADD : s.op == Op::EpollMod ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
      epoll_event ev{};
      ev.events = s.op == Op::EpollDel ? 0 : static_cast<uint32_t>(s.param(0));
      ev.data.u64 = s.ins[1];  // the oracle maps reports back by this token
      note("epoll_ctl");
      o.ret = ::epoll_ctl(fd(s.ins[0]), op, fd(s.ins[1]), &ev) == 0 ? 0 : -errno;
      break;
    }
    case Op::EpollWait: {
      int max = static_cast<int>(s.param(0));
      int64_t timeout = s.param(1);
      thread_local std::vector<epoll_event> evs;
      evs.resize(static_cast<size_t>(max));
      int rv = blocking("epoll_wait", timeout, [&] {
        return ::epoll_wait(fd(s.ins[0]), evs.data(), max, static_cast<int>(timeout));
      });
      if (rv < 0) {
        o.ret = o.deadline_hit ? 0 : -errno;
        break;
      }
      o.ret = rv;
      for (int k = 0; k < rv; ++k) o.events.push_back({evs[k].data.u64, evs[k].events});
      break;
    }
    case Op::Poll: {
      std::vector<pollfd> pfds;
      for (ResId r : s.ins) pfds.push_back({fd(r), static_cast<short>(s.param(0)), 0});
      int64_t timeout = s.param(1);
      int rv = blocking("poll", timeout, [&] {
        return ::poll(pfds.data(), pfds.size(), static_cast<int>(timeout));
      });
      o.ret = rv < 0 ? (o.deadline_hit ? 0 : -errno) : rv;
      for (size_t k = 0; k < pfds.size(); ++k)
        o.events.push_back({k, rv > 0 ? static_cast<uint32_t>(static_cast<uint16_t>(pfds[k].revents)) : 0u});
      break;
    }
    case Op::Select: {
      fd_set rd, wr, ex;
      int64_t timeout = s.param(0);
      int nfds = 0;
      for (ResId r : s.ins) {
        if (fd(r) >= FD_SETSIZE) throw EnvironmentError("select: fd " + std::to_string(fd(r)) + " >= FD_SETSIZE");
        nfds = std::max(nfds, fd(r) + 1);
      }
      int rv = blocking("select", timeout, [&] {
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        FD_ZERO(&ex);
        for (ResId r : s.ins) {
          FD_SET(fd(r), &rd);
          FD_SET(fd(r), &wr);
          FD_SET(fd(r), &ex);
        }
        timeval tv{static_cast<time_t>(timeout / 1000), static_cast<suseconds_t>((timeout % 1000) * 1000)};
        return ::select(nfds, &rd, &wr, &ex, timeout < 0 ? nullptr : &tv);
      });
      o.ret = rv < 0 ? (o.deadline_hit ? 0 : -errno) : rv;
      for (size_t k = 0; k < s.ins.size(); ++k) {
        uint32_t m = 0;
        if (rv > 0) {
          int f = fd(s.ins[k]);
          if (FD_ISSET(f, &rd)) m |= POLLIN;
          if (FD_ISSET(f, &wr)) m |= POLLOUT;
          if (FD_ISSET(f, &ex)) m |= POLLPRI;
        }
        o.events.push_back({k, m});
      }
      break;
    }
    default:
      break;
  }
  return o;
}

}  // namespace ringside
