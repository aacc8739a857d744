#include "bench/micro.hpp"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <thread>
#include <vector>

#include "bench/model.hpp"
#include "bench/ring.hpp"
#include "bench/sys_util.hpp"

namespace ringside::bench {
namespace {

// ts: syscall(SYS_getppid) is a real kernel entry and exit with almost no
// work inside (no fd lookup, no locks), and unlike getpid() no libc version
// ever cached it. File-descriptor work belongs to t0, not to ts.
double syscall_ns(const MicroPlan& plan) {
  std::vector<double> per_call;
  for (int r = 0; r < plan.repeats; ++r) {
    const int64_t start = thread_cpu_ns();
    for (long i = 0; i < plan.syscalls_per_repeat; ++i) syscall(SYS_getppid);
    per_call.push_back(static_cast<double>(thread_cpu_ns() - start) /
                       static_cast<double>(plan.syscalls_per_repeat));
  }
  return model::median(per_call);
}

// --- s = tk: two threads pinned to one CPU hand a futex word back and forth.
// Each half round trip is one FUTEX_WAKE, one FUTEX_WAIT that sleeps, and one
// switch to the other thread; so s = round_trip / 2 - 2 ts.

static_assert(sizeof(std::atomic<int>) == sizeof(int));

long futex(std::atomic<int>& word, int op, int value, const timespec* timeout) {
  return syscall(SYS_futex, reinterpret_cast<int*>(&word), op, value, timeout, nullptr, 0);
}

struct PingPong {
  std::atomic<int> turn{0};  // 0: the main thread's turn, 1: the partner's
  std::atomic<bool> abort{false};
  int64_t deadline_ns = 0;

  // Waits while turn == value; false when the deadline passed or the other side gave up.
  bool wait_while(int value) {
    const timespec slice{0, 100'000'000};  // re-check the deadline every 100 ms
    while (turn.load(std::memory_order_acquire) == value) {
      if (abort.load() || mono_ns() > deadline_ns) {
        abort.store(true);
        return false;
      }
      futex(turn, FUTEX_WAIT_PRIVATE, value, &slice);
    }
    return true;
  }
  void hand_to(int value) {
    turn.store(value, std::memory_order_release);
    futex(turn, FUTEX_WAKE_PRIVATE, 1, nullptr);
  }
};

struct SwitchCost {
  double round_trip_ns = 0;
  bool pinned = false;
  std::string error;
};

SwitchCost ping_pong(const MicroPlan& plan) {
  SwitchCost cost;
  const long warmup = plan.switch_round_trips / 10;
  const long total = warmup + plan.switch_round_trips;
  PingPong pp;
  pp.deadline_ns = mono_ns() + 20'000'000'000;  // 20 s for the whole measurement
  std::atomic<bool> partner_pinned{false};

  std::thread partner([&] {
    partner_pinned.store(pin_this_thread(plan.cpu));
    for (long i = 0; i < total; ++i) {
      if (!pp.wait_while(0)) return;
      pp.hand_to(0);
    }
  });
  const bool main_pinned = pin_this_thread(plan.cpu);

  Usage start;
  for (long i = 0; i < total; ++i) {
    if (i == warmup) start = Usage::now();
    pp.hand_to(1);
    if (!pp.wait_while(1)) break;
  }
  const Usage used = Usage::now() - start;
  pp.abort.store(true);
  pp.hand_to(1);  // release the partner if it still waits
  partner.join();

  cost.pinned = main_pinned && partner_pinned.load();
  if (mono_ns() > pp.deadline_ns) {
    cost.error = "context-switch ping-pong did not finish within its deadline";
    return cost;
  }
  cost.round_trip_ns = static_cast<double>(used.user_ns + used.sys_ns) /
                       static_cast<double>(plan.switch_round_trips);
  return cost;
}

// --- tr: get_sqe + prep_nop + user_data for a big batch, then (outside the
// timed part) one submit that runs them, then reaping the CQEs: the user-space
// share of a request, amortised so that the clock reads do not count.
struct RingCost {
  double user_ns = 0;
  double kernel_ns = 0;
  std::string error;
};

RingCost ring_bookkeeping(const MicroPlan& plan, double ts_ns) {
  RingCost cost;
  Ring ring;
  if (std::string why = ring.open(plan.ring_batch); !why.empty()) {
    cost.error = why;
    return cost;
  }
  io_uring* r = ring.get();
  const auto batch = static_cast<double>(plan.ring_batch);
  std::vector<double> user, kernel;
  for (int rep = 0; rep < plan.repeats + 1; ++rep) {  // repeat 0 warms caches, not kept
    const int64_t t0 = thread_cpu_ns();
    for (unsigned i = 0; i < plan.ring_batch; ++i) {
      io_uring_sqe* sqe = io_uring_get_sqe(r);
      if (!sqe) {
        cost.error = "submission queue full";
        return cost;
      }
      io_uring_prep_nop(sqe);
      io_uring_sqe_set_data64(sqe, i + 1);
    }
    const int64_t t1 = thread_cpu_ns();
    const int submitted = io_uring_submit_and_wait(r, plan.ring_batch);
    const int64_t t2 = thread_cpu_ns();
    unsigned head = 0, seen = 0;
    uint64_t sum = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(r, head, cqe) {
      sum += cqe->user_data;
      ++seen;
    }
    io_uring_cq_advance(r, seen);
    const int64_t t3 = thread_cpu_ns();
    const uint64_t n = plan.ring_batch;
    if (submitted != static_cast<int>(plan.ring_batch) || seen != plan.ring_batch ||
        sum != n * (n + 1) / 2) {
      cost.error = "NOP batch did not complete as submitted";
      return cost;
    }
    if (rep == 0) continue;
    user.push_back(static_cast<double>((t1 - t0) + (t3 - t2)) / batch);
    kernel.push_back((static_cast<double>(t2 - t1) - ts_ns) / batch);
  }
  cost.user_ns = model::median(user);
  cost.kernel_ns = model::median(kernel);
  return cost;
}

}  // namespace

Params measure_params(const MicroPlan& plan) {
  Params p;
  p.ts_method = "syscall(SYS_getppid), CPU time per call";
  p.ts_ns = syscall_ns(plan);

  const SwitchCost sw = ping_pong(plan);
  p.switch_pinned = sw.pinned;
  p.switch_round_trip_ns = sw.round_trip_ns;
  p.tk_ns = sw.round_trip_ns / 2 - 2 * p.ts_ns;
  p.tk_method = sw.pinned ? "futex ping-pong, two threads pinned to one CPU: round trip / 2 - 2 ts"
                          : "futex ping-pong, threads NOT pinned (cross-CPU wakeups, not pure "
                            "switches): round trip / 2 - 2 ts";
  if (!sw.error.empty()) p.note += "s: " + sw.error + ". ";

  const RingCost ring = ring_bookkeeping(plan, p.ts_ns);
  p.tr_ns = ring.user_ns;
  p.tr_kernel_ns = ring.kernel_ns;
  p.tr_method = "io_uring_get_sqe + prep_nop + set_data64, and reaping the CQE, batches of " +
                std::to_string(plan.ring_batch) + ", no syscall in the timed part";
  if (!ring.error.empty()) p.note += "tr: " + ring.error + ". ";
  return p;
}

}  // namespace ringside::bench
