// Engine: data and connection steps (connect, read/write, fill/drain, shutdown, ...).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/engine.hpp"
#include "engine/errors.hpp"
#include "program/pattern.hpp"

namespace ringside {
namespace {

bool is_socket(ResKind k) {
  return k == ResKind::Tcp || k == ResKind::UnixStream || k == ResKind::UnixDgram || k == ResKind::TcpListener ||
         k == ResKind::UnixListener || k == ResKind::ClosedPort;
}

std::byte* scratch(size_t n) {
  thread_local std::vector<std::byte> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// Fill/drain never block: sockets use MSG_DONTWAIT, other files get O_NONBLOCK for the
// duration of the step (restored after).
class NonblockScope {
 public:
  NonblockScope(int fd, bool needed) : fd_(fd) {
    if (!needed) return;
    flags_ = ::fcntl(fd, F_GETFL);
    if (flags_ >= 0 && !(flags_ & O_NONBLOCK)) ::fcntl(fd, F_SETFL, flags_ | O_NONBLOCK);
    else flags_ = -1;
  }
  ~NonblockScope() {
    if (flags_ >= 0) ::fcntl(fd_, F_SETFL, flags_);
  }

 private:
  int fd_;
  int flags_ = -1;
};

constexpr uint64_t kMaxFill = uint64_t{256} << 20;  // bound on one fill/drain

}  // namespace

Observation Engine::test_step(const Step& s) {
  Observation o;
  switch (s.op) {
    case Op::TestHang: {
      // Read from a pipe nobody writes: blocks until the deadline interrupts it.
      int p[2];
      if (::pipe2(p, O_CLOEXEC) != 0) throw EnvironmentError("pipe2: " + std::string(std::strerror(errno)));
      char c;
      ssize_t rv = blocking_call(o, "read", [&] { return ::read(p[0], &c, 1); });
      o.ret = rv < 0 ? -errno : rv;
      ::close(p[0]);
      ::close(p[1]);
      break;
    }
    case Op::TestCrash:
      note("raise");
      if (!crash_allowed_) throw EnvironmentError("test_crash runs only in an isolated scenario process");
      ::raise(SIGSEGV);
      break;
    default:
      break;
  }
  return o;
}

Observation Engine::io(size_t, const Step& s) {
  if (s.ins.empty()) return test_step(s);
  Observation o;
  const ResId r = s.ins.empty() ? 0 : s.ins[0];
  const ResKind kind = prog_->res(r).kind;
  const int f = fd(r);
  Slot& sl = slots_[r];
  auto fail = [&](int e) { o.ret = -e; };
  auto blocking = [&](const char* name, auto&& call) { return blocking_call(o, name, call); };

  switch (s.op) {
    case Op::Connect: {
      const Slot& t = slots_[s.ins[1]];
      ssize_t rv = blocking("connect", [&] { return ::connect(f, reinterpret_cast<const sockaddr*>(&t.addr), t.addrlen); });
      o.ret = rv < 0 ? -errno : 0;
      if (kind == ResKind::Tcp && sl.local_port < 0) {
        sockaddr_storage me{};
        socklen_t len = sizeof me;
        if (::getsockname(f, reinterpret_cast<sockaddr*>(&me), &len) == 0)
          sl.local_port = me.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in&>(me).sin_port)
                                                  : ntohs(reinterpret_cast<sockaddr_in6&>(me).sin6_port);
      }
      break;
    }
    case Op::Close:
      note("close");
      o.ret = ::close(f) == 0 ? 0 : -errno;
      sl.open = false;
      break;
    case Op::Write: {
      const uint64_t n = static_cast<uint64_t>(s.param(0));
      ssize_t rv;
      if (kind == ResKind::EventFd) {
        uint64_t v = n;
        rv = blocking("write", [&] { return ::write(f, &v, sizeof v); });
      } else {
        std::byte* buf = scratch(n);
        uint64_t off = kind == ResKind::File ? static_cast<uint64_t>(::lseek(f, 0, SEEK_CUR)) : written_[sl.origin].load();
        fill_pattern(sl.origin, off, buf, n);
        if (is_socket(kind)) rv = blocking("send", [&] { return ::send(f, buf, n, MSG_NOSIGNAL); });
        else rv = blocking("write", [&] { return ::write(f, buf, n); });
        if (rv > 0 && kind != ResKind::File) written_[sl.origin] += static_cast<uint64_t>(rv);
      }
      o.ret = rv < 0 ? -errno : rv;
      break;
    }
    case Op::Read: {
      const uint64_t n = static_cast<uint64_t>(s.param(0));
      std::byte* buf = scratch(std::max<uint64_t>(n, 8));
      ssize_t rv;
      if (is_socket(kind)) rv = blocking("recv", [&] { return ::recv(f, buf, n, 0); });
      else rv = blocking("read", [&] { return ::read(f, buf, n); });
      o.ret = rv < 0 ? -errno : rv;
      if (kind == ResKind::EventFd) {
        if (rv == 8) std::memcpy(&o.value, buf, 8);
      } else if (rv > 0) {
        o.data.assign(reinterpret_cast<const char*>(buf), static_cast<size_t>(rv));
      }
      break;
    }
    case Op::Fill: {
      const uint64_t chunk = static_cast<uint64_t>(s.param(0));
      std::byte* buf = scratch(chunk);
      NonblockScope nbs(f, !is_socket(kind));
      uint64_t total = 0;
      note(is_socket(kind) ? "send" : "write");
      while (total < kMaxFill) {
        uint64_t off = written_[sl.origin].load();
        fill_pattern(sl.origin, off, buf, chunk);
        ssize_t rv = is_socket(kind) ? ::send(f, buf, chunk, MSG_NOSIGNAL | MSG_DONTWAIT) : ::write(f, buf, chunk);
        if (rv < 0 && errno == EINTR) continue;
        if (rv <= 0) {
          o.value = rv < 0 ? -errno : 0;
          break;
        }
        written_[sl.origin] += static_cast<uint64_t>(rv);
        total += static_cast<uint64_t>(rv);
      }
      o.ret = static_cast<int64_t>(total);
      break;
    }
    case Op::Drain: {
      const uint64_t chunk = static_cast<uint64_t>(s.param(0));
      std::byte* buf = scratch(std::max<uint64_t>(chunk, 8));
      NonblockScope nbs(f, !is_socket(kind));
      uint64_t total = 0;
      note(is_socket(kind) ? "recv" : "read");
      while (total < kMaxFill) {
        ssize_t rv = is_socket(kind) ? ::recv(f, buf, chunk, MSG_DONTWAIT) : ::read(f, buf, chunk);
        if (rv < 0 && errno == EINTR) continue;
        if (rv <= 0) {
          o.value = rv < 0 ? -errno : 0;
          break;
        }
        if (kind == ResKind::EventFd) {
          uint64_t v = 0;
          std::memcpy(&v, buf, 8);
          total += v;
        } else {
          o.data.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(rv));
          total += static_cast<uint64_t>(rv);
        }
      }
      o.ret = static_cast<int64_t>(total);
      break;
    }
    case Op::Shutdown: {
      static constexpr int kHow[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
      note("shutdown");
      o.ret = ::shutdown(f, kHow[s.param(0)]) == 0 ? 0 : -errno;
      break;
    }
    case Op::SockError: {
      int err = 0;
      socklen_t len = sizeof err;
      note("getsockopt");
      o.ret = ::getsockopt(f, SOL_SOCKET, SO_ERROR, &err, &len) == 0 ? 0 : -errno;
      o.value = err;
      break;
    }
    case Op::SetNonblock: {
      note("fcntl");
      int fl = ::fcntl(f, F_GETFL);
      if (fl < 0) {
        fail(errno);
        break;
      }
      fl = s.param(0) ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
      o.ret = ::fcntl(f, F_SETFL, fl) == 0 ? 0 : -errno;
      break;
    }
    default:
      throw std::logic_error("engine: step '" + std::string(s.spec().name) + "' is not implemented");
  }
  return o;
}

}  // namespace ringside
