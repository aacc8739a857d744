#include "bench/echo_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace ringside::bench {

const char* transport_name(Transport t) { return t == Transport::tcp ? "tcp" : "unix"; }

namespace {

// The peer: one level-triggered epoll loop that writes back whatever arrives.
// It exits when every connection has closed, or when nothing has happened for
// idle_ms (the parent is gone or stuck).
int echo_loop(const std::vector<int>& fds, int idle_ms, int64_t send_timeout_ns) {
  Fd ep(epoll_create1(EPOLL_CLOEXEC));
  if (!ep) return 10;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    set_nonblocking(fds[i], true);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    if (epoll_ctl(ep.get(), EPOLL_CTL_ADD, fds[i], &ev) != 0) return 11;
  }
  std::size_t open = fds.size();
  std::vector<epoll_event> events(256);
  std::vector<char> buf(64 * 1024);
  while (open > 0) {
    const int n = epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()), idle_ms);
    if (n == 0) return 12;
    if (n < 0) {
      if (errno == EINTR) continue;
      return 13;
    }
    for (int e = 0; e < n; ++e) {
      const int fd = fds[events[static_cast<std::size_t>(e)].data.u32];
      const ssize_t got = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got > 0 && send_all(fd, buf.data(), static_cast<std::size_t>(got), send_timeout_ns))
        continue;
      epoll_ctl(ep.get(), EPOLL_CTL_DEL, fd, nullptr);  // EOF, reset, or a stuck reader
      close(fd);
      --open;
    }
  }
  return 0;
}

bool tcp_pair(int listener, const sockaddr_in& addr, int64_t deadline_ns, Fd& client, Fd& server) {
  client.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!client || !set_socket_deadline(client.get(), deadline_ns)) return false;
  if (connect(client.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) return false;
  server.reset(accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!server) return false;
  // Small request/reply messages: do not let Nagle hold them back.
  const int one = 1;
  setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(server.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return true;
}

}  // namespace

std::string connect_pairs(Transport transport, int k, int64_t deadline_ns, std::vector<Fd>& clients,
                          std::vector<Fd>& servers, bool& limit) {
  const auto n = static_cast<std::size_t>(k);
  limit = false;
  if (std::string why = ensure_fd_limit(2 * n + 64); !why.empty()) {
    limit = true;
    return why;
  }
  auto fail = [&](const char* what) {
    const int err = errno;
    // Running out of descriptors or memory is a limit of this machine.
    limit = err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS;
    return errno_text(what, err);
  };

  Fd listener;
  sockaddr_in addr{};
  if (transport == Transport::tcp) {
    listener.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only
    socklen_t len = sizeof addr;
    if (!listener || bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listener.get(), 128) != 0 ||
        getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        !set_socket_deadline(listener.get(), deadline_ns))
      return fail("loopback listener");
  }
  for (std::size_t i = 0; i < n; ++i) {
    Fd client, server;
    if (transport == Transport::tcp) {
      if (!tcp_pair(listener.get(), addr, deadline_ns, client, server)) return fail("TCP connect/accept");
    } else {
      int sv[2];
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail("socketpair");
      client.reset(sv[0]);
      server.reset(sv[1]);
    }
    clients.push_back(std::move(client));
    servers.push_back(std::move(server));
  }
  return "";
}

std::unique_ptr<EchoFixture> EchoFixture::open(Transport transport, int k, int peer_cpu,
                                               int64_t deadline_ns, Failure& failure) {
  std::unique_ptr<EchoFixture> fx(new EchoFixture);
  fx->transport_ = transport;
  fx->deadline_ns_ = deadline_ns;
  std::vector<Fd> servers;
  bool limit = false;
  if (std::string why = connect_pairs(transport, k, deadline_ns, fx->clients_, servers, limit); !why.empty()) {
    failure = {limit, why};
    return nullptr;
  }
  auto fail = [&](const char* what) {
    failure = {errno == ENOMEM, errno_text(what, errno)};
    return nullptr;
  };

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) {
    // Child: the echo peer. Leaves with _exit so nothing of the parent's
    // (buffered output, atexit handlers) runs twice.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(14);
    for (const Fd& c : fx->clients_) close(c.get());
    pin_this_thread(peer_cpu);
    std::vector<int> fds;
    for (const Fd& s : servers) fds.push_back(s.get());
    _exit(echo_loop(fds, 60'000, deadline_ns));
  }
  fx->peer_pid_ = pid;
  return fx;  // `servers` close here: the parent keeps only the client ends
}

EchoFixture::~EchoFixture() {
  for (Fd& c : clients_) {
    if (transport_ == Transport::tcp) {
      // Reset instead of FIN: thousands of loopback connections per run would
      // otherwise sit in TIME_WAIT.
      const linger lg{1, 0};
      setsockopt(c.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    c.reset();
  }
  if (peer_pid_ <= 0) return;
  // Bounded wait for the peer to notice and exit; then it is killed.
  const int64_t until = mono_ns() + deadline_ns_;
  while (waitpid(peer_pid_, nullptr, WNOHANG) == 0) {
    if (mono_ns() > until) {
      kill(peer_pid_, SIGKILL);
      waitpid(peer_pid_, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace ringside::bench
