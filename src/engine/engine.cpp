#include "engine/engine.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/errors.hpp"
#include "engine/helper.hpp"
#include "engine/uring_state.hpp"
#include "engine/wrapper_ops.hpp"
#include "program/pattern.hpp"

namespace ringside {

Engine::Engine(EngineOptions opts) : opts_(std::move(opts)), tmp_(opts_.temp_base) {
  // Writes to a pipe without readers must come back as EPIPE, an observation, instead of
  // killing the process: scenarios do that on purpose.
  ::signal(SIGPIPE, SIG_IGN);
}

Engine::~Engine() {
  if (prog_) finish();
}

void Engine::note(const char* syscall) {
  if (progress_) progress_(current_, syscall);
}

void Engine::begin(const Program& p) {
  if (prog_) finish();
  prog_ = &p;
  slots_.assign(p.resources.size(), Slot{});
  written_ = std::make_unique<std::atomic<uint64_t>[]>(p.resources.size() + 1);
}

void Engine::created(ResId r, int fdv, uint32_t origin) {
  Slot& s = slots_[r];
  s.fd = fdv;
  s.open = true;
  s.origin = origin;
}

Observation Engine::step(size_t i) {
  current_ = i;
  const Step& s = prog_->steps[i];
  if (s.later) {
    if (!helper_) helper_ = std::make_unique<HelperThread>();
    int64_t start = monotonic_ns() + s.delay_us * 1000;
    helper_->post(static_cast<uint32_t>(i), start, [this, i, &s] { return execute(i, s).ret; });
    // Resources a later close ends are the helper's now; the main thread never uses them again.
    Observation o;
    o.ret = kScheduled;
    return o;
  }
  int64_t t0 = monotonic_ns();
  Observation o = execute(i, s);
  o.elapsed_ns = static_cast<uint64_t>(monotonic_ns() - t0);
  return o;
}

Observation Engine::execute(size_t i, const Step& s) {
  if (is_wrapper_step(*prog_, s)) return wrapper(i, s);  // family 7, and `close` of a wrapper
  if (is_uring_ring_op(s.op)) return uring(i, s);        // families 4-6
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
    case Op::Accept:
      return create(i, s);
    case Op::EpollAdd:
    case Op::EpollMod:
    case Op::EpollDel:
    case Op::EpollWait:
    case Op::Poll:
    case Op::Select:
      return readiness(i, s);
    case Op::Join:
      return join();
    case Op::RaceCancel:
    case Op::RacePollRemove:
    case Op::RaceLinkTimeout:
    case Op::RaceTimeoutRemove:
    case Op::RaceCancelFd:
      return race(i, s);
    case Op::WaitReady:
      return wait_ready(i, s);
    case Op::Close:
      if (prog_->res(s.ins[0]).kind == ResKind::Ring) return uring(i, s);
      return io(i, s);
    default:
      return io(i, s);
  }
}

Observation Engine::join() {
  Observation o;
  if (!helper_) return o;
  note("join");
  // A helper blocked past its own deadline is interrupted by the watchdog; allow for that.
  int64_t deadline = monotonic_ns() + 2 * std::chrono::duration_cast<std::chrono::nanoseconds>(budget()).count();
  bool timed_out = false;
  o.helpers = helper_->join(deadline, timed_out);
  o.deadline_hit = timed_out;
  if (timed_out) {
    // The helper is stuck: drop it (its thread is joined when it returns) so the next
    // program starts clean.
    helper_.reset();
  }
  return o;
}

Observation Engine::finish() {
  Observation o = join();
  uring_finish();
  for (auto& s : slots_)
    if (s.open) {
      if (!wrappers_ || !wrappers_->close_by_eventfd(s.fd)) ::close(s.fd);  // a wrapper owns its eventfd
      s.open = false;
    }
  prog_ = nullptr;
  return o;
}

// ---- resources ------------------------------------------------------------------------

namespace {

int domain_of(int64_t family) { return family == 1 ? AF_INET6 : family == 2 ? AF_UNIX : AF_INET; }

[[noreturn]] void creation_failed(const char* what, int e, int64_t family) {
  if ((e == EAFNOSUPPORT || e == EADDRNOTAVAIL || e == EPROTONOSUPPORT) && family == 1)
    throw Unsupported(std::string(what) + ": IPv6 loopback unavailable (" + strerrorname_np(e) + ")");
  throw EnvironmentError(std::string(what) + ": " + std::strerror(e));
}

// Bind to the loopback address of the family, port 0, and return the address.
void bind_loopback(int fd, int64_t family, sockaddr_storage& addr, socklen_t& len, uint64_t unique) {
  std::memset(&addr, 0, sizeof addr);
  if (family == 0) {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  } else if (family == 1) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_addr = IN6ADDR_LOOPBACK_INIT;
    len = sizeof *a;
  } else {
    // Abstract AF_UNIX name: no file system entry, gone with the socket.
    auto* a = reinterpret_cast<sockaddr_un*>(&addr);
    a->sun_family = AF_UNIX;
    int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "ringside.%d.%llu", getpid(),
                     static_cast<unsigned long long>(unique));
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) creation_failed("bind", errno, family);
  if (family != 2 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    creation_failed("getsockname", errno, family);
}

int port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

}  // namespace

Observation Engine::create(size_t, const Step& s) {
  Observation o;
  const OpSpec& spec = s.spec();
  auto flag = [&](std::string_view name) {
    for (size_t k = 0; k < spec.params.size(); ++k)
      if (spec.params[k].name == name) return s.param(k) != 0;
    return false;
  };
  const bool nb = flag("nonblock");
  const int sock_nb = nb ? SOCK_NONBLOCK : 0;
  auto done = [&](ResId r, int fdv, uint32_t origin) {
    created(r, fdv, origin);
    o.fds.push_back(fdv);
  };
  switch (s.op) {
    case Op::Socket: {
      int64_t dom = s.param(0);
      int type = dom == 3 ? SOCK_DGRAM : SOCK_STREAM;
      note("socket");
      int f = ::socket(domain_of(dom <= 1 ? dom : 2), type | SOCK_CLOEXEC | sock_nb, 0);
      if (f < 0) creation_failed("socket", errno, dom);
      done(s.outs[0], f, s.outs[0]);
      break;
    }
    case Op::Listen:
    case Op::ClosedPort: {
      int64_t fam = s.param(0);
      bool listening = s.op == Op::Listen;
      note("socket");
      int f = ::socket(domain_of(fam), SOCK_STREAM | SOCK_CLOEXEC | (listening ? sock_nb : 0), 0);
      if (f < 0) creation_failed("socket", errno, fam);
      Slot& sl = slots_[s.outs[0]];
      note("bind");
      try {
        bind_loopback(f, fam, sl.addr, sl.addrlen, ++unique_);
      } catch (...) {
        ::close(f);
        throw;
      }
      if (listening) {
        note("listen");
        if (::listen(f, static_cast<int>(s.param(1))) != 0) {
          int e = errno;
          ::close(f);
          creation_failed("listen", e, fam);
        }
      }
      done(s.outs[0], f, s.outs[0]);
      break;
    }
    case Op::SocketPair: {
      int sv[2];
      note("socketpair");
      if (::socketpair(AF_UNIX, (s.param(0) == 3 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | sock_nb, 0, sv) != 0)
        creation_failed("socketpair", errno, 2);
      done(s.outs[0], sv[0], s.outs[0]);
      done(s.outs[1], sv[1], s.outs[1]);
      break;
    }
    case Op::Pipe: {
      int p[2];
      note("pipe2");
      if (::pipe2(p, O_CLOEXEC | (nb ? O_NONBLOCK : 0)) != 0) creation_failed("pipe2", errno, 0);
      done(s.outs[0], p[0], s.outs[0]);
      done(s.outs[1], p[1], s.outs[1]);
      break;
    }
    case Op::EventFdNew: {
      note("eventfd");
      int f = ::eventfd(static_cast<unsigned>(s.param(0)),
                        EFD_CLOEXEC | (nb ? EFD_NONBLOCK : 0) | (s.param(1) ? EFD_SEMAPHORE : 0));
      if (f < 0) creation_failed("eventfd", errno, 0);
      done(s.outs[0], f, s.outs[0]);
      break;
    }
    case Op::FileNew: {
      std::string path = tmp_.path() + "/f" + std::to_string(s.outs[0]) + "." + std::to_string(++unique_);
      note("open");
      int f = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | (nb ? O_NONBLOCK : 0), 0600);
      if (f < 0) creation_failed("open in the private temp dir", errno, 0);
      // Only the fd is used from now on: unlinked at once, nothing is left behind even
      // after millions of fuzzed programs.
      ::unlink(path.c_str());
      // Content: the pattern of this file's stream, so reads can be checked.
      uint64_t size = static_cast<uint64_t>(s.param(0)), off = 0;
      std::vector<std::byte> buf(std::min<uint64_t>(size, 1 << 20));
      note("write");
      while (off < size) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - off));
        fill_pattern(s.outs[0], off, buf.data(), n);
        ssize_t w = ::pwrite(f, buf.data(), n, static_cast<off_t>(off));
        if (w <= 0) {
          int e = w < 0 ? errno : ENOSPC;
          ::close(f);
          creation_failed("write to the private temp dir", e, 0);
        }
        off += static_cast<uint64_t>(w);
      }
      done(s.outs[0], f, s.outs[0]);
      break;
    }
    case Op::EpollNew: {
      note("epoll_create1");
      int f = ::epoll_create1(EPOLL_CLOEXEC);
      if (f < 0) creation_failed("epoll_create1", errno, 0);
      done(s.outs[0], f, s.outs[0]);
      break;
    }
    case Op::Dup: {
      note("dup");
      int f = ::fcntl(fd(s.ins[0]), F_DUPFD_CLOEXEC, 0);
      if (f < 0) creation_failed("dup", errno, 0);
      done(s.outs[0], f, slots_[s.ins[0]].origin);
      // Same socket: a connect to the dup reaches the same address.
      slots_[s.outs[0]].addr = slots_[s.ins[0]].addr;
      slots_[s.outs[0]].addrlen = slots_[s.ins[0]].addrlen;
      slots_[s.outs[0]].local_port = slots_[s.ins[0]].local_port;
      break;
    }
    case Op::Accept: {
      sockaddr_storage peer{};
      socklen_t len = sizeof peer;
      int f = blocking_call(o, "accept4", [&] {
        return ::accept4(fd(s.ins[0]), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC | sock_nb);
      });
      if (f < 0) {
        if (is_environment_errno(errno)) creation_failed("accept4", errno, 0);
        o.ret = -errno;
        return o;
      }
      done(s.outs[0], f, s.outs[0]);
      // Name the client by its port (AF_UNIX clients are anonymous: -1).
      o.value = -1;
      int port = port_of(peer);
      for (size_t r = 0; r < slots_.size() && port >= 0; ++r)
        if (slots_[r].local_port == port && prog_->res(static_cast<ResId>(r)).kind == ResKind::Tcp) {
          o.value = static_cast<int64_t>(r);
          break;
        }
      break;
    }
    default:
      break;
  }
  o.ret = o.fds.empty() ? 0 : o.fds[0];
  return o;
}

}  // namespace ringside
