#include "engine/probe.hpp"

#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <optional>

#include "engine/deadline.hpp"

namespace ringside {
namespace {

// Opcode names in kernel order (include/uapi/linux/io_uring.h); newer kernels than
// liburing 2.3's headers report more, which we name by number if unknown here.
constexpr const char* kOpNames[] = {
    "nop",          "readv",         "writev",       "fsync",          "read_fixed",  "write_fixed",
    "poll_add",     "poll_remove",   "sync_file_range", "sendmsg",     "recvmsg",     "timeout",
    "timeout_remove", "accept",      "async_cancel", "link_timeout",   "connect",     "fallocate",
    "openat",       "close",         "files_update", "statx",          "read",        "write",
    "fadvise",      "madvise",       "send",         "recv",           "openat2",     "epoll_ctl",
    "splice",       "provide_buffers", "remove_buffers", "tee",        "shutdown",    "renameat",
    "unlinkat",     "mkdirat",       "symlinkat",    "linkat",         "msg_ring",    "fsetxattr",
    "setxattr",     "fgetxattr",     "getxattr",     "socket",         "uring_cmd",   "send_zc",
    "sendmsg_zc",   "read_multishot", "waitid",      "futex_wait",     "futex_wake",  "futex_waitv",
    "fixed_fd_install", "ftruncate", "bind",         "listen",         "recv_zc",     "epoll_wait",
    "readv_fixed",  "writev_fixed",
};

struct FeatName {
  unsigned bit;
  const char* name;
};
constexpr FeatName kFeats[] = {
    {1u << 0, "single_mmap"},     {1u << 1, "nodrop"},        {1u << 2, "submit_stable"},
    {1u << 3, "rw_cur_pos"},      {1u << 4, "cur_personality"}, {1u << 5, "fast_poll"},
    {1u << 6, "poll_32bits"},     {1u << 7, "sqpoll_nonfixed"}, {1u << 8, "ext_arg"},
    {1u << 9, "native_workers"},  {1u << 10, "rsrc_tags"},    {1u << 11, "cqe_skip"},
    {1u << 12, "linked_file"},    {1u << 13, "reg_reg_ring"}, {1u << 14, "recvsend_bundle"},
    {1u << 15, "min_timeout"},    {1u << 16, "rw_attr"},      {1u << 17, "no_iowait"},
};

// Runs `call` in a child process and returns what it returned, or nothing (with the reason
// in `why`) if the child gave no answer within kProbeDeadline; it is then killed. For the
// probe calls that could block where an implementation does not honour a nonblocking flag.
std::optional<int> in_child_with_deadline(int (*call)(), std::string& why) {
  int res[2];
  if (::pipe2(res, O_CLOEXEC) != 0) {
    why = std::string("pipe2: ") + strerrorname_np(errno);
    return std::nullopt;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(res[0]);
    const int r = call();
    ::_exit(::write(res[1], &r, sizeof r) == sizeof r ? 0 : 1);
  }
  ::close(res[1]);
  if (pid < 0) {
    why = std::string("fork: ") + strerrorname_np(errno);
    ::close(res[0]);
    return std::nullopt;
  }
  const int64_t until = monotonic_ns() + std::chrono::nanoseconds(kProbeDeadline).count();
  pollfd pf{res[0], POLLIN, 0};
  int n = 0;
  for (int64_t left; (left = until - monotonic_ns()) > 0;) {
    n = ::poll(&pf, 1, static_cast<int>(left / 1000000 + 1));
    if (n >= 0 || errno != EINTR) break;
  }
  int r = 0;
  const bool answered = n > 0 && ::read(res[0], &r, sizeof r) == sizeof r;
  if (!answered) ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  ::close(res[0]);
  if (answered) return r;
  why = n > 0 ? "the probe's child process ended without an answer"
              : "no answer within " + std::to_string(kProbeDeadline.count()) + " ms (the call blocked)";
  return std::nullopt;
}

// preadv2(RWF_NOWAIT) of an empty pipe: 0, or the errno. A file without FMODE_NOWAIT fails
// EOPNOTSUPP (kiocb_set_rw_flags); a pipe that supports it says EAGAIN. An implementation
// that ignores the flag blocks here (gVisor does), hence the child process.
int pipe_read_nowait() {
  int pfd[2];
  if (::pipe2(pfd, O_CLOEXEC) != 0) return errno;
  char b;
  iovec v{&b, 1};
  const int r = ::preadv2(pfd[0], &v, 1, -1, RWF_NOWAIT) < 0 ? errno : 0;
  ::close(pfd[0]);
  ::close(pfd[1]);
  return r;
}

void probe_pipe_nowait(KernelProbe& p) {
  std::string why;
  if (auto e = in_child_with_deadline(pipe_read_nowait, why)) {
    p.pipe_nowait = *e != EOPNOTSUPP;
    if (p.pipe_nowait) p.features.insert("pipe_nowait");
  } else {
    p.unknown.push_back({"pipe_nowait", "preadv2(RWF_NOWAIT) of an empty pipe: " + why});
  }
}

KernelProbe do_probe() {
  KernelProbe p;
  utsname u{};
  if (uname(&u) == 0) p.release = u.release;
  int s = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s >= 0) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = IN6ADDR_LOOPBACK_INIT;
    p.ipv6 = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(s);
  }
  if (p.ipv6) p.features.insert("ipv6");
  probe_pipe_nowait(p);

  // io_uring_setup and IORING_REGISTER_PROBE wait for nothing: no child needed.
  io_uring ring;
  io_uring_params params{};
  int rc = io_uring_queue_init_params(4, &ring, &params);
  if (rc < 0) {
    int e = -rc;
    std::string sysctl;
    std::ifstream f("/proc/sys/kernel/io_uring_disabled");
    if (f >> sysctl && sysctl != "0") p.uring_reason = "disabled by sysctl kernel.io_uring_disabled=" + sysctl;
    else if (e == ENOSYS) p.uring_reason = "io_uring_setup: ENOSYS (kernel without io_uring, or seccomp)";
    else if (e == EPERM) p.uring_reason = "io_uring_setup: EPERM (refused by policy, e.g. a seccomp profile)";
    else p.uring_reason = std::string("io_uring_setup: ") + strerrorname_np(e);
    return p;
  }
  p.uring = true;
  p.features.insert("uring");
  for (auto f : kFeats)
    if (params.features & f.bit) {
      p.uring_features.push_back(f.name);
      p.features.insert(std::string("uring.feat.") + f.name);
    }
  if (io_uring_probe* pr = io_uring_get_probe_ring(&ring)) {
    p.uring_last_op = pr->last_op;
    for (unsigned op = 0; op <= pr->last_op; ++op)
      if (io_uring_opcode_supported(pr, static_cast<int>(op))) {
        p.uring_op_codes.push_back(op);
        p.uring_ops.push_back(uring_op_name(op));
        p.features.insert("uring.op." + uring_op_name(op));
      }
    io_uring_free_probe(pr);
  }
  io_uring_queue_exit(&ring);
  return p;
}

}  // namespace

std::string uring_op_name(unsigned op) {
  if (op < std::size(kOpNames)) return kOpNames[op];
  return "op" + std::to_string(op);
}

const UnknownFact* KernelProbe::unknown_fact(const std::string& feature) const {
  for (const auto& u : unknown)
    if (u.feature == feature) return &u;
  return nullptr;
}

const KernelProbe& probe_kernel() {
  static const KernelProbe p = do_probe();
  return p;
}

}  // namespace ringside
