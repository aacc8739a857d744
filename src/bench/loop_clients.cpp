#include "bench/loop_clients.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace ringside::bench {

struct ClientProcess::Shared {
  std::atomic<int> stop{0};
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t overflow = 0;
  uint64_t count = 0;
  uint64_t capacity = 0;
  char why[232] = {};  // the child's error, empty if none
  RttSample* samples() { return reinterpret_cast<RttSample*>(this + 1); }
};
static_assert(sizeof(ClientProcess::Shared) % alignof(RttSample) == 0);

namespace {

// Everything the child touches, allocated before the fork.
struct ClientState {
  const ClientPlan* plan = nullptr;
  std::vector<int> fds;
  std::vector<char> partial;          // message_bytes per connection: a reply being assembled
  std::vector<std::size_t> have;      // bytes of it so far
  std::vector<char> message;          // the request template
  std::vector<char> inbox;            // recv buffer
  int64_t expected_run_ns = 0;
};

[[noreturn]] void child_fail(ClientProcess::Shared& sh, const char* what, int err) {
  std::snprintf(sh.why, sizeof sh.why, "echo client: %s: %s", what, err != 0 ? std::strerror(err) : "failed");
  _exit(1);
}

void record(ClientProcess::Shared& sh, int64_t sent, int64_t now) {
  ++sh.received;
  if (sh.count < sh.capacity)
    sh.samples()[sh.count++] = RttSample{sent, now - sent};
  else
    ++sh.overflow;
}

// Reads what one connection has and records every complete echo.
void drain(ClientProcess::Shared& sh, ClientState& cs, std::size_t conn) {
  const std::size_t m = static_cast<std::size_t>(cs.plan->message_bytes);
  char* part = cs.partial.data() + conn * m;
  for (;;) {
    const ssize_t got = ::recv(cs.fds[conn], cs.inbox.data(), cs.inbox.size(), MSG_DONTWAIT);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return;
    if (got <= 0) child_fail(sh, "recv (the server closed the connection?)", got < 0 ? errno : 0);
    const int64_t now = mono_ns();
    for (std::size_t at = 0; at < static_cast<std::size_t>(got);) {
      const std::size_t take = std::min(m - cs.have[conn], static_cast<std::size_t>(got) - at);
      std::memcpy(part + cs.have[conn], cs.inbox.data() + at, take);
      cs.have[conn] += take;
      at += take;
      if (cs.have[conn] < m) break;
      cs.have[conn] = 0;
      int64_t sent;
      uint32_t from;
      std::memcpy(&sent, part, sizeof sent);
      std::memcpy(&from, part + 8, sizeof from);
      if (from != conn) child_fail(sh, "an echo came back on the wrong connection", 0);
      record(sh, sent, now);
    }
  }
}

void send_request(ClientProcess::Shared& sh, ClientState& cs, std::size_t conn) {
  const int64_t now = mono_ns();
  std::memcpy(cs.message.data(), &now, sizeof now);
  const auto from = static_cast<uint32_t>(conn);
  std::memcpy(cs.message.data() + 8, &from, sizeof from);
  if (!send_all(cs.fds[conn], cs.message.data(), cs.message.size(), 5'000'000'000))
    child_fail(sh, "send", errno);
  ++sh.sent;
}

int wait_events(int ep, epoll_event* evs, int max, int64_t timeout_ns) {
  timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
  const int n = ::epoll_pwait2(ep, evs, max, &ts, nullptr);
  if (n >= 0 || errno != ENOSYS) return n;
  return ::epoll_wait(ep, evs, max, static_cast<int>((timeout_ns + 999'999) / 1'000'000));  // before 5.11
}

[[noreturn]] void client_main(ClientProcess::Shared& sh, ClientState& cs) {
  const ClientPlan& plan = *cs.plan;
  const std::size_t n = cs.fds.size();
  Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep) child_fail(sh, "epoll_create1", errno);
  for (std::size_t i = 0; i < n; ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, cs.fds[i], &ev) != 0) child_fail(sh, "epoll_ctl", errno);
  }
  // Connection i sends at start + (i + k n) gap: each at `rate`, their slots evenly spread.
  const int64_t period = static_cast<int64_t>(1e9 / plan.rate_per_connection);
  const int64_t gap = std::max<int64_t>(1, period / static_cast<int64_t>(n));
  const int64_t start = mono_ns();
  const int64_t give_up = start + plan.max_run_ns;
  uint64_t slot = 0;
  int64_t stop_by = 0;
  epoll_event evs[256];
  for (;;) {
    int64_t now = mono_ns();
    if (now > give_up) child_fail(sh, "ran past its deadline (the server never said stop)", 0);
    if (stop_by == 0 && sh.stop.load(std::memory_order_acquire) != 0) stop_by = now + plan.drain_ns;
    if (stop_by != 0 && (sh.received == sh.sent || now > stop_by)) break;
    int64_t next = start + static_cast<int64_t>(slot) * gap;
    if (stop_by == 0) {
      // After a stall of the client itself, skip the missed slots instead of bursting.
      if (now - next > period) slot = static_cast<uint64_t>((now - start) / gap), next = start + static_cast<int64_t>(slot) * gap;
      for (; next <= now; next = start + static_cast<int64_t>(++slot) * gap) send_request(sh, cs, slot % n);
    }
    const int64_t timeout = stop_by != 0 ? std::min<int64_t>(1'000'000, stop_by - now) : next - now;
    const int got = wait_events(ep.get(), evs, 256, std::max<int64_t>(0, timeout));
    if (got < 0 && errno != EINTR) child_fail(sh, "epoll_wait", errno);
    for (int e = 0; e < got; ++e) drain(sh, cs, static_cast<std::size_t>(evs[e].data.u64));
  }
  _exit(0);
}

}  // namespace

std::unique_ptr<ClientProcess> ClientProcess::start(std::vector<Fd> connections, const ClientPlan& plan,
                                                    int64_t expected_run_ns, std::string& why) {
  if (plan.message_bytes < 12 || plan.rate_per_connection <= 0 || connections.empty()) {
    why = "echo clients: messages of at least 12 bytes, a positive rate and a connection are needed";
    return nullptr;
  }
  std::unique_ptr<ClientProcess> cp(new ClientProcess);
  const double per_second = plan.rate_per_connection * static_cast<double>(connections.size());
  // Room for twice the expected run plus 10 s; untouched pages cost nothing (NORESERVE).
  const auto capacity = static_cast<uint64_t>(per_second * (2.0 * static_cast<double>(expected_run_ns) / 1e9 + 10));
  cp->shared_bytes_ = sizeof(Shared) + capacity * sizeof(RttSample);
  void* mem = ::mmap(nullptr, cp->shared_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
  if (mem == MAP_FAILED) {
    why = errno_text("mmap the samples", errno);
    return nullptr;
  }
  cp->shared_ = new (mem) Shared;
  cp->shared_->capacity = capacity;

  ClientState cs;
  cs.plan = &plan;
  for (const Fd& c : connections) cs.fds.push_back(c.get());
  const auto m = static_cast<std::size_t>(plan.message_bytes);
  cs.partial.assign(connections.size() * m, 0);
  cs.have.assign(connections.size(), 0);
  cs.message.assign(m, 'x');
  cs.inbox.assign(64 * 1024, 0);
  for (int fd : cs.fds) set_nonblocking(fd, true);

  std::fflush(nullptr);  // the child must not print the parent's buffered output again
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    why = errno_text("fork the echo clients", errno);
    return nullptr;
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(14);
    client_main(*cp->shared_, cs);
  }
  cp->pid_ = pid;
  cp->pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!cp->pidfd_) {
    why = errno_text("pidfd_open", errno);
    return nullptr;  // the destructor kills and reaps the child
  }
  return cp;  // `connections` close here: the child has its own copies
}

ClientProcess::~ClientProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);  // our own child, not yet reaped: its pid cannot have been reused
    ::waitpid(pid_, nullptr, 0);
  }
  if (shared_ != nullptr) {
    shared_->~Shared();
    ::munmap(shared_, shared_bytes_);
  }
}

void ClientProcess::stop() { shared_->stop.store(1, std::memory_order_release); }

std::string ClientProcess::finish(int64_t timeout_ns) {
  if (pid_ <= 0) return "";
  pollfd p{pidfd_.get(), POLLIN, 0};
  const int64_t until = mono_ns() + timeout_ns;
  int ready = 0;
  while (ready == 0) {
    const int64_t left_ms = (until - mono_ns()) / 1'000'000;
    if (left_ms <= 0) break;
    ready = ::poll(&p, 1, static_cast<int>(left_ms));
    if (ready < 0 && errno == EINTR) ready = 0;
    if (ready < 0) break;
  }
  std::string why;
  if (ready <= 0) {
    ::kill(pid_, SIGKILL);
    why = "the echo clients did not finish within the deadline";
  }
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (!why.empty()) return why;
  if (shared_->why[0] != '\0') return shared_->why;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "the echo clients failed (status " + std::to_string(status) + ")";
  return "";
}

std::span<const RttSample> ClientProcess::samples() const {
  return {shared_->samples(), static_cast<std::size_t>(shared_->count)};
}
uint64_t ClientProcess::sent() const { return shared_->sent; }
uint64_t ClientProcess::received() const { return shared_->received; }
uint64_t ClientProcess::overflow() const { return shared_->overflow; }

}  // namespace ringside::bench
