#include "bench/echo_designs.hpp"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "bench/ring.hpp"
#include "bench/sys_util.hpp"

namespace ringside::bench {
namespace {

std::vector<char> make_message(int bytes) {
  std::vector<char> msg(static_cast<std::size_t>(bytes));
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<char>('a' + i % 26);
  return msg;
}

Point new_point(const EchoFixture& fx, const char* design, int batch) {
  Point p;
  p.transport = transport_name(fx.transport());
  p.design = design;
  p.k = fx.k();
  p.batch = batch;
  return p;
}

Point failed(Point p, Status status, std::string why) {
  p.status = status;
  p.reason = std::move(why);
  return p;
}

void record(Point& p, const Usage& used, uint64_t ops, uint64_t enters) {
  p.ops = ops;
  p.seconds = static_cast<double>(used.wall_ns) / 1e9;
  if (ops == 0) {
    p.status = Status::error;
    p.reason = "no round trip completed in the window";
    return;
  }
  const auto n = static_cast<double>(ops);
  p.user_ns_per_op = static_cast<double>(used.user_ns) / n;
  p.sys_ns_per_op = static_cast<double>(used.sys_ns) / n;
  p.cpu_ns_per_op = p.user_ns_per_op + p.sys_ns_per_op;
  p.ops_per_sec = p.seconds > 0 ? n / p.seconds : 0;
  p.voluntary_switches_per_op = static_cast<double>(used.voluntary_switches) / n;
  p.involuntary_switches_per_op = static_cast<double>(used.involuntary_switches) / n;
  p.ops_per_enter = enters ? n / static_cast<double>(enters) : 0;
}

// Warm-up, then the measured window, for the single-threaded loops: call
// tick() after each batch of work; it snapshots usage at the two edges.
class Window {
 public:
  explicit Window(const RunConfig& cfg)
      : warm_end_(mono_ns() + cfg.warmup_ns),
        end_(warm_end_ + cfg.measure_ns),
        hard_end_(end_ + cfg.op_deadline_ns),
        min_ops_(cfg.min_ops) {}
  // True once the window has closed: stop issuing new work.
  bool tick(uint64_t ops, uint64_t enters) {
    if (closed_) return true;
    const int64_t now = mono_ns();
    if (!open_ && now >= warm_end_) {
      open_ = true;
      start_ = Usage::now();
      ops0_ = ops;
      enters0_ = enters;
    } else if (open_ && now >= end_ && (ops - ops0_ >= min_ops_ || now >= hard_end_)) {
      closed_ = true;
      used_ = Usage::now() - start_;
      ops_ = ops - ops0_;
      enters_ = enters - enters0_;
    }
    return closed_;
  }
  void record_into(Point& p) const { record(p, used_, ops_, enters_); }

 private:
  int64_t warm_end_, end_, hard_end_;
  uint64_t min_ops_;
  bool open_ = false, closed_ = false;
  Usage start_, used_;
  uint64_t ops0_ = 0, enters0_ = 0, ops_ = 0, enters_ = 0;
};

// ---------------------------------------------------------------- blocking

struct BlockingShared {
  const RunConfig* cfg = nullptr;
  const std::vector<char>* msg = nullptr;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
};

struct alignas(64) BlockingSlot {  // one cache line per thread's counter
  std::atomic<uint64_t> ops{0};
  BlockingShared* shared = nullptr;
  int fd = -1;
  std::string error;  // written by the thread before it ends, read after join
};

bool recv_full(int fd, char* buf, std::size_t len, std::string& error) {
  std::size_t got = 0;
  while (got < len) {
    const ssize_t n = recv(fd, buf + got, len - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n == 0) {
      error = "peer closed the connection";
      return false;
    } else if (errno != EINTR) {
      error = errno == EAGAIN ? "no reply within the deadline" : errno_text("recv", errno);
      return false;
    }
  }
  return true;
}

void* blocking_thread(void* arg) {
  auto& slot = *static_cast<BlockingSlot*>(arg);
  BlockingShared& sh = *slot.shared;
  const std::vector<char>& msg = *sh.msg;
  pin_this_thread(sh.cfg->client_cpu);
  sh.ready.fetch_add(1);
  sh.go.wait(false);
  std::vector<char> reply(msg.size());
  while (!sh.stop.load(std::memory_order_relaxed)) {
    if (!send_all(slot.fd, msg.data(), msg.size(), sh.cfg->op_deadline_ns)) {
      slot.error = errno_text("send", errno);
      break;
    }
    if (!recv_full(slot.fd, reply.data(), reply.size(), slot.error)) break;
    if (std::memcmp(reply.data(), msg.data(), msg.size()) != 0) {
      slot.error = "echo differs from the request";
      break;
    }
    slot.ops.store(slot.ops.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  return nullptr;
}

}  // namespace

Point run_blocking(EchoFixture& fx, const RunConfig& cfg) {
  Point p = new_point(fx, "blocking", 0);
  const int k = fx.k();
  for (int i = 0; i < k; ++i)
    if (!set_nonblocking(fx.client(i), false) || !set_socket_deadline(fx.client(i), cfg.op_deadline_ns))
      return failed(p, Status::error, errno_text("socket options", errno));

  const std::vector<char> msg = make_message(cfg.message_bytes);
  BlockingShared shared;
  shared.cfg = &cfg;
  shared.msg = &msg;
  auto slots = std::make_unique<BlockingSlot[]>(static_cast<std::size_t>(k));
  std::vector<pthread_t> threads;

  // Small stacks: 1024 threads with the default 8 MiB would reserve 8 GiB.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  std::string start_error;
  for (int i = 0; i < k; ++i) {
    BlockingSlot& s = slots[static_cast<std::size_t>(i)];
    s.shared = &shared;
    s.fd = fx.client(i);
    pthread_t tid;
    if (const int err = pthread_create(&tid, &attr, blocking_thread, &s); err != 0) {
      start_error = "cannot start thread " + std::to_string(i + 1) + " of " + std::to_string(k) +
                    ": " + std::strerror(err);
      break;
    }
    threads.push_back(tid);
  }
  pthread_attr_destroy(&attr);
  const int started = static_cast<int>(threads.size());

  // Bounded wait (sleeping only inside a deadline) until every thread is parked.
  const int64_t until = mono_ns() + cfg.op_deadline_ns;
  while (start_error.empty() && shared.ready.load() < started && mono_ns() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (start_error.empty() && shared.ready.load() < started)
    start_error = "threads did not start within the deadline";

  auto sum_ops = [&] {
    uint64_t total = 0;
    for (int i = 0; i < started; ++i)
      total += slots[static_cast<std::size_t>(i)].ops.load(std::memory_order_relaxed);
    return total;
  };
  Usage used;
  uint64_t ops = 0;
  if (start_error.empty()) {
    shared.go.store(true);
    shared.go.notify_all();
    std::this_thread::sleep_for(std::chrono::nanoseconds(cfg.warmup_ns));
    const Usage start = Usage::now();
    const uint64_t ops0 = sum_ops();
    std::this_thread::sleep_for(std::chrono::nanoseconds(cfg.measure_ns));
    // Sleeping here only bounds the window: the threads do not wait for us.
    const int64_t hard_end = mono_ns() + cfg.op_deadline_ns;
    while (sum_ops() - ops0 < cfg.min_ops && mono_ns() < hard_end)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    used = Usage::now() - start;
    ops = sum_ops() - ops0;
  }
  shared.stop.store(true);
  shared.go.store(true);
  shared.go.notify_all();
  // Each thread ends within one round trip: every socket call it makes has a
  // deadline (SO_RCVTIMEO / SO_SNDTIMEO), so these joins are bounded too.
  for (pthread_t tid : threads) pthread_join(tid, nullptr);

  if (!start_error.empty()) return failed(p, Status::skip, start_error);
  int errors = 0;
  std::string first;
  for (int i = 0; i < started; ++i) {
    const std::string& e = slots[static_cast<std::size_t>(i)].error;
    if (!e.empty() && errors++ == 0) first = e;
  }
  if (errors) return failed(p, Status::error, std::to_string(errors) + " thread(s) failed: " + first);
  record(p, used, ops, 0);
  return p;
}

// ---------------------------------------------------------------- epoll

Point run_epoll(EchoFixture& fx, const RunConfig& cfg) {
  Point p = new_point(fx, "epoll", 0);
  const int k = fx.k();
  const auto n = static_cast<std::size_t>(k);
  Fd ep(epoll_create1(EPOLL_CLOEXEC));
  if (!ep) return failed(p, Status::error, errno_text("epoll_create1", errno));
  for (int i = 0; i < k; ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    if (!set_nonblocking(fx.client(i), true) ||
        epoll_ctl(ep.get(), EPOLL_CTL_ADD, fx.client(i), &ev) != 0)
      return failed(p, Status::error, errno_text("epoll_ctl(ADD)", errno));
  }
  const std::vector<char> msg = make_message(cfg.message_bytes);
  std::vector<char> replies(n * msg.size());
  std::vector<std::size_t> got(n, 0);
  std::vector<epoll_event> events(n);
  const int timeout_ms = static_cast<int>(cfg.op_deadline_ns / 1'000'000);

  for (int i = 0; i < k; ++i)
    if (!send_all(fx.client(i), msg.data(), msg.size(), cfg.op_deadline_ns))
      return failed(p, Status::error, errno_text("send", errno));
  int outstanding = k;
  uint64_t ops = 0;
  Window window(cfg);
  bool stopping = false;
  while (outstanding > 0) {
    const int ready = epoll_wait(ep.get(), events.data(), k, timeout_ms);
    if (ready == 0) return failed(p, Status::error, "no reply within the deadline");
    if (ready < 0) {
      if (errno == EINTR) continue;
      return failed(p, Status::error, errno_text("epoll_wait", errno));
    }
    for (int e = 0; e < ready; ++e) {
      const std::size_t i = events[static_cast<std::size_t>(e)].data.u32;
      const int fd = fx.client(static_cast<int>(i));
      char* reply = replies.data() + i * msg.size();
      const ssize_t r = recv(fd, reply + got[i], msg.size() - got[i], MSG_DONTWAIT);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) return failed(p, Status::error, r == 0 ? "peer closed" : errno_text("recv", errno));
      got[i] += static_cast<std::size_t>(r);
      if (got[i] < msg.size()) continue;
      got[i] = 0;
      if (std::memcmp(reply, msg.data(), msg.size()) != 0)
        return failed(p, Status::error, "echo differs from the request");
      ++ops;
      if (stopping) {
        --outstanding;
      } else if (!send_all(fd, msg.data(), msg.size(), cfg.op_deadline_ns)) {
        return failed(p, Status::error, errno_text("send", errno));
      }
    }
    stopping = window.tick(ops, 0);
  }
  window.record_into(p);
  return p;
}

// ---------------------------------------------------------------- io_uring

Point run_io_uring(EchoFixture& fx, int batch, const RunConfig& cfg, std::string& setup) {
  Point p = new_point(fx, "io_uring", batch);
  const int k = fx.k();
  const auto n = static_cast<std::size_t>(k);
  unsigned entries = 8;
  while (entries < 2 * n) entries *= 2;  // two SQEs per round trip, all k at once
  Ring ring;
  if (std::string why = ring.open(entries); !why.empty()) return failed(p, Status::skip, why);
  setup = ring.setup();
  if (!ring.supports(IORING_OP_SEND) || !ring.supports(IORING_OP_RECV))
    return failed(p, Status::skip, "IORING_OP_SEND/RECV not supported by this kernel");
  const bool skip_send_cqe = (ring.features() & IORING_FEAT_CQE_SKIP) != 0;
  // io_uring waits for socket readiness itself; a blocking-mode socket keeps it
  // from handing -EAGAIN back to us.
  for (int i = 0; i < k; ++i)
    if (!set_nonblocking(fx.client(i), false))
      return failed(p, Status::error, errno_text("fcntl", errno));

  io_uring* r = ring.get();
  const std::vector<char> msg = make_message(cfg.message_bytes);
  std::vector<char> replies(n * msg.size());
  const auto len = static_cast<unsigned>(msg.size());
  std::deque<int> pending;  // connections whose next round trip is not queued yet
  for (int i = 0; i < k; ++i) pending.push_back(i);
  int inflight = 0;
  uint64_t ops = 0, enters = 0;
  Window window(cfg);
  bool stopping = false;
  __kernel_timespec deadline{};
  deadline.tv_sec = cfg.op_deadline_ns / 1'000'000'000;
  deadline.tv_nsec = cfg.op_deadline_ns % 1'000'000'000;

  // Each io_uring_enter hands the kernel at most `batch` round trips; it also
  // waits, unless a full batch is already queued, until enough completions
  // have arrived for the next full batch. So enters ~= round trips / batch.
  for (;;) {
    const std::size_t queue = std::min(static_cast<std::size_t>(batch), pending.size());
    for (std::size_t q = 0; q < queue; ++q) {  // a linked send -> recv per round trip
      const int i = pending.front();
      pending.pop_front();
      const int fd = fx.client(i);
      io_uring_sqe* send = io_uring_get_sqe(r);
      io_uring_sqe* recv = io_uring_get_sqe(r);
      if (!send || !recv) return failed(p, Status::error, "submission queue full");
      io_uring_prep_send(send, fd, msg.data(), len, MSG_WAITALL);
      send->flags |= IOSQE_IO_LINK | (skip_send_cqe ? IOSQE_CQE_SKIP_SUCCESS : 0);
      io_uring_sqe_set_data64(send, static_cast<uint64_t>(i) << 1);
      io_uring_prep_recv(recv, fd, replies.data() + static_cast<std::size_t>(i) * msg.size(), len,
                         MSG_WAITALL);
      io_uring_sqe_set_data64(recv, (static_cast<uint64_t>(i) << 1) | 1);
      ++inflight;
    }
    const int queued = static_cast<int>(pending.size());
    if (inflight == 0 && queued == 0) break;
    const int want = queued >= batch ? 0 : std::min(batch - queued, inflight);
    int ret = 0;
    if (want == 0) {
      ret = io_uring_submit(r);
    } else {
      io_uring_cqe* first = nullptr;
      ret = io_uring_submit_and_wait_timeout(r, &first, static_cast<unsigned>(want), &deadline, nullptr);
    }
    ++enters;
    if (ret == -ETIME) return failed(p, Status::error, "no completion within the deadline");
    if (ret < 0 && ret != -EINTR) return failed(p, Status::error, errno_text("io_uring_enter", -ret));

    unsigned head = 0, seen = 0;
    io_uring_cqe* cqe = nullptr;
    std::string error;
    io_uring_for_each_cqe(r, head, cqe) {
      ++seen;
      const auto i = static_cast<int>(cqe->user_data >> 1);
      const bool is_recv = cqe->user_data & 1;
      if (!is_recv) {  // only failed sends post a CQE when CQE_SKIP works
        if (cqe->res < 0) error = errno_text("send", -cqe->res);
        continue;
      }
      if (cqe->res != static_cast<int>(len)) {
        error = cqe->res < 0 ? errno_text("recv", -cqe->res) : "short recv";
        continue;
      }
      if (std::memcmp(replies.data() + static_cast<std::size_t>(i) * msg.size(), msg.data(),
                      msg.size()) != 0)
        error = "echo differs from the request";
      ++ops;
      --inflight;
      if (!stopping) pending.push_back(i);
    }
    io_uring_cq_advance(r, seen);
    if (!error.empty()) return failed(p, Status::error, error);
    stopping = window.tick(ops, enters);
  }
  window.record_into(p);
  return p;
}

}  // namespace ringside::bench
