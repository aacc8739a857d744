#include "bench/sys_util.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace ringside::bench {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

int Fd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

static int64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

int64_t mono_ns() { return clock_ns(CLOCK_MONOTONIC); }
int64_t thread_cpu_ns() { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

static int64_t timeval_ns(const timeval& tv) {
  return int64_t{tv.tv_sec} * 1'000'000'000 + int64_t{tv.tv_usec} * 1000;
}

Usage Usage::now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  Usage u;
  u.wall_ns = mono_ns();
  u.user_ns = timeval_ns(ru.ru_utime);
  u.sys_ns = timeval_ns(ru.ru_stime);
  u.voluntary_switches = ru.ru_nvcsw;
  u.involuntary_switches = ru.ru_nivcsw;
  return u;
}

Usage operator-(const Usage& end, const Usage& start) {
  Usage d;
  d.wall_ns = end.wall_ns - start.wall_ns;
  d.user_ns = end.user_ns - start.user_ns;
  d.sys_ns = end.sys_ns - start.sys_ns;
  d.voluntary_switches = end.voluntary_switches - start.voluntary_switches;
  d.involuntary_switches = end.involuntary_switches - start.involuntary_switches;
  return d;
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

bool pin_this_thread(int cpu) {
  if (cpu < 0) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

std::string ensure_fd_limit(std::size_t needed) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return errno_text("getrlimit(RLIMIT_NOFILE)", errno);
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur >= needed) return "";
  if (lim.rlim_cur == RLIM_INFINITY) return "";
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < needed)
    return "RLIMIT_NOFILE hard limit " + std::to_string(lim.rlim_max) + " < " +
           std::to_string(needed) + " descriptors needed";
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0) return errno_text("setrlimit(RLIMIT_NOFILE)", errno);
  return "";
}

bool set_socket_deadline(int fd, int64_t timeout_ns) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
  tv.tv_usec = static_cast<suseconds_t>((timeout_ns % 1'000'000'000) / 1000);
  return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
         setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0;
}

bool set_nonblocking(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  return fcntl(fd, F_SETFL, flags) == 0;
}

bool send_all(int fd, const void* buf, std::size_t len, int64_t timeout_ns) {
  const char* p = static_cast<const char*>(buf);
  int64_t deadline_ns = 0;
  while (len > 0) {
    const ssize_t n = ::send(fd, p, len, MSG_NOSIGNAL);
    if (n > 0) {
      p += n;
      len -= static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return false;
    if (deadline_ns == 0) deadline_ns = mono_ns() + timeout_ns;
    const int64_t left_ms = (deadline_ns - mono_ns()) / 1'000'000;
    if (left_ms <= 0) {
      errno = ETIMEDOUT;
      return false;
    }
    pollfd pfd{fd, POLLOUT, 0};
    if (::poll(&pfd, 1, static_cast<int>(left_ms)) < 0 && errno != EINTR) return false;
  }
  return true;
}

std::string errno_text(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

}  // namespace ringside::bench
