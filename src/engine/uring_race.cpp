// Engine: race steps. Each trial queues fresh requests on the scenario's ring, runs the
// competing action (n bytes written on the helper thread or the main thread, after a
// spin; or the main thread's canceller), takes every CQE of the trial, and drains what
// is left on the reader so the next trial starts from an empty channel. Knob cells
// (uring_ids.hpp) move the race window: IOSQE_ASYNC, helper or main thread, one or two
// io_uring_enter calls, the spin before the competing action.
#include <liburing.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/engine.hpp"
#include "engine/errors.hpp"
#include "engine/uring_state.hpp"
#include "program/pattern.hpp"
#include "program/uring_ids.hpp"

namespace ringside {

void spin_us(uint32_t us) {
  int64_t end = monotonic_ns() + int64_t{us} * 1000;
  while (monotonic_ns() < end) {
  }
}

RaceHelper::RaceHelper() : thread_([this] { loop(); }) {}

RaceHelper::~RaceHelper() {
  state_.store(Stop);
  state_.notify_all();
  thread_.join();
}

void RaceHelper::loop() {
  while (true) {
    int s = state_.load();
    for (int spins = 0; s != Posted && s != Stop && spins < 20000; ++spins) s = state_.load();
    if (s == Stop) return;
    if (s != Posted) {
      state_.wait(s);
      continue;
    }
    spin_us(delay_us_);
    job_();
    state_.store(Done);
    state_.notify_all();
  }
}

void RaceHelper::post(uint32_t delay_us, std::function<void()> job) {
  job_ = std::move(job);
  delay_us_ = delay_us;
  state_.store(Posted);
  state_.notify_all();
}

bool RaceHelper::wait(int64_t deadline_ns) {
  for (int spins = 0; state_.load() == Posted; ++spins) {
    if (spins > 1000) sched_yield();
    if (monotonic_ns() > deadline_ns) return false;
  }
  state_.store(Idle);
  return true;
}

namespace {

// Which knobs a race kind can use, and the spins its delay knob sweeps.
struct RaceKind {
  int64_t knob_mask;
  std::vector<uint32_t> delays;
};

RaceKind race_kind(Op op, uint32_t t_us) {
  constexpr int64_t kAll = 1 | 2 | 4 | 8;
  switch (op) {
    case Op::RaceLinkTimeout:  // no canceller: nothing to batch with
      return {kAll & ~8, {0, t_us / 2, t_us, 2 * t_us, 4 * t_us}};
    case Op::RaceTimeoutRemove:  // the main thread removes; a timer needs no IOSQE_ASYNC
      return {4 | 8, {0, t_us / 2, t_us, 2 * t_us}};
    default:
      return {kAll, {0, 2, 8, 32}};
  }
}

__kernel_timespec timespec_of_us(uint32_t us) {
  return {us / 1'000'000, static_cast<long long>(us % 1'000'000) * 1000};
}

// O_NONBLOCK on a pipe's write end for the life of a race step, restored after.
class NonblockWriter {
 public:
  explicit NonblockWriter(int fd) : fd_(fd) {
    if (fd_ < 0) return;
    flags_ = ::fcntl(fd_, F_GETFL);
    if (flags_ >= 0 && !(flags_ & O_NONBLOCK)) ::fcntl(fd_, F_SETFL, flags_ | O_NONBLOCK);
    else flags_ = -1;
  }
  ~NonblockWriter() {
    if (flags_ >= 0) ::fcntl(fd_, F_SETFL, flags_);
  }
  NonblockWriter(const NonblockWriter&) = delete;
  NonblockWriter& operator=(const NonblockWriter&) = delete;

 private:
  int fd_;
  int flags_ = -1;
};

constexpr int64_t kTrialBudgetNs = 2'000'000'000;  // one trial's CQEs and data
constexpr int64_t kLeftoverWaitNs = 200'000'000;   // bytes still in flight on loopback TCP
constexpr int64_t kCleanupGraceNs = 1'000'000;     // a target that got bytes ends well within this
constexpr int64_t kCleanupGraceFedNs = 20'000'000; // ... even when they are still on their way

}  // namespace

Observation Engine::race(size_t, const Step& s) {
  UringState& st = uring_state();
  Observation o;
  const OpSpec& spec = s.spec();
  auto param = [&](std::string_view n) { return s.param(spec.index(n)); };
  auto has = [&](std::string_view n) {
    for (const auto& p : spec.params)
      if (p.name == n) return true;
    return false;
  };
  UringRing* ring = st.ring(s.ins[0]);
  if (!ring) throw std::logic_error("engine: race on a ring that is not open");
  const unsigned needed = static_cast<unsigned>(has("k") ? param("k") : 1) + 2;  // one trial's SQEs in one call
  if (ring->queued() || ring->in_flight() || !ring->reusable() || ring->sq_entries() < needed) {
    // Trials need a ring with nothing else going on and room for a trial's SQEs in one
    // submission: the program's is busy or small (or ran CQE_SKIP_SUCCESS requests, which
    // may still be in flight unseen), so the race runs on a private one.
    if (!st.race_ring || !st.race_ring->reusable()) st.race_ring = std::make_unique<UringRing>(16, 0);
    ring = st.race_ring.get();
  }
  const bool io_race = s.op != Op::RaceTimeoutRemove;
  const int rfd = io_race ? fd(s.ins[1]) : -1, wfd = io_race ? fd(s.ins[2]) : -1;
  const bool socket = io_race && prog_->res(s.ins[1]).kind != ResKind::PipeRead;
  const uint32_t origin = io_race ? slots_[s.ins[2]].origin : 0;
  const size_t n = has("n") ? static_cast<size_t>(param("n")) : 0;
  const auto t_us = has("t") ? static_cast<uint32_t>(param("t")) : 0u;
  const int targets = s.op == Op::RaceCancelFd ? static_cast<int>(param("k")) : 1;
  const auto trials = static_cast<size_t>(param("trials"));
  const RaceKind kind = race_kind(s.op, t_us);
  const auto cells = uring::knob_cells(param("knobs") & kind.knob_mask, kind.delays);
  if (!st.race_helper) st.race_helper = std::make_unique<RaceHelper>();
  RaceHelper& helper = *st.race_helper;

  std::vector<std::byte> wbuf(std::max<size_t>(n, 1)), drain_buf(65536);
  // The competing write never blocks (a channel the program left full takes nothing);
  // the stream's offset advances by what was written.
  NonblockWriter nbw(io_race && !socket ? wfd : -1);
  ssize_t wrote = 0;  // the last competing write's result
  auto write_data = [&, wfd, socket] {
    fill_pattern(origin, written_[origin].load(), wbuf.data(), n);
    ssize_t rv;
    do rv = socket ? ::send(wfd, wbuf.data(), n, MSG_NOSIGNAL | MSG_DONTWAIT) : ::write(wfd, wbuf.data(), n);
    while (rv < 0 && errno == EINTR);
    if (rv > 0) written_[origin] += static_cast<uint64_t>(rv);
    wrote = rv;
  };
  // Whether bytes written on the writer show up on the reader (they are two ends of one
  // channel): assumed until a wait for them comes back empty.
  bool feeds = true;
  auto target_sqe = [&](int j, bool async, bool link) {
    UringSqe q;
    q.user_data = uring::kRaceTarget + static_cast<uint64_t>(j);
    q.flags = static_cast<uint8_t>((async ? IOSQE_ASYNC : 0) | (link ? IOSQE_IO_LINK : 0));
    q.io = std::make_unique<UringIo>();
    if (s.op == Op::RacePollRemove) {
      q.prep = [rfd](io_uring_sqe* sqe, UringIo&) { io_uring_prep_poll_add(sqe, rfd, POLLIN); };
    } else if (s.op == Op::RaceTimeoutRemove) {
      q.io->ts = timespec_of_us(t_us);
      q.prep = [](io_uring_sqe* sqe, UringIo& m) { io_uring_prep_timeout(sqe, &m.ts, 0, 0); };
    } else {
      q.io->buf.resize(n);
      q.io->returns_data = true;
      q.prep = [rfd, socket, n](io_uring_sqe* sqe, UringIo& m) {
        socket ? io_uring_prep_recv(sqe, rfd, m.buf.data(), n, 0)
               : io_uring_prep_read(sqe, rfd, m.buf.data(), static_cast<unsigned>(n), static_cast<__u64>(-1));
      };
    }
    return q;
  };
  auto canceller_sqe = [&] {
    UringSqe q;
    q.user_data = uring::kRaceCanceller;
    switch (s.op) {
      case Op::RacePollRemove:
        q.prep = [](io_uring_sqe* sqe, UringIo&) { io_uring_prep_poll_remove(sqe, uring::kRaceTarget); };
        break;
      case Op::RaceTimeoutRemove:
        q.prep = [](io_uring_sqe* sqe, UringIo&) { io_uring_prep_timeout_remove(sqe, uring::kRaceTarget, 0); };
        break;
      case Op::RaceCancelFd:
        q.prep = [rfd](io_uring_sqe* sqe, UringIo&) { io_uring_prep_cancel_fd(sqe, rfd, IORING_ASYNC_CANCEL_ALL); };
        break;
      default:
        q.prep = [](io_uring_sqe* sqe, UringIo&) { io_uring_prep_cancel64(sqe, uring::kRaceTarget, 0); };
        break;
    }
    return q;
  };
  auto link_timeout_sqe = [&] {
    UringSqe q;
    q.user_data = uring::kRaceTimeout;
    q.io = std::make_unique<UringIo>();
    q.io->ts = timespec_of_us(t_us);
    q.prep = [](io_uring_sqe* sqe, UringIo& m) { io_uring_prep_link_timeout(sqe, &m.ts, 0); };
    return q;
  };

  note("io_uring_enter");
  for (size_t t = 0; t < trials; ++t) {
    const uring::KnobCell cell = cells[t % cells.size()];
    RaceTrial tr;
    tr.knobs = cell.encode();
    const int64_t deadline = monotonic_ns() + kTrialBudgetNs;
    bool posted = false;
    // The competing action: n bytes arriving (io races) or the canceller (timeout_remove).
    auto compete = [&] {
      if (!io_race) return;
      if (cell.helper) {
        helper.post(cell.delay_us, [&write_data] { write_data(); });
        posted = true;
      } else {
        spin_us(cell.delay_us);
        write_data();
      }
    };
    for (int j = 0; j < targets; ++j) ring->queue(target_sqe(j, cell.async, s.op == Op::RaceLinkTimeout));
    if (s.op == Op::RaceLinkTimeout) ring->queue(link_timeout_sqe());
    int64_t rc = 0;
    if (s.op == Op::RaceLinkTimeout) {
      rc = ring->submit(0);
      compete();
    } else if (s.op == Op::RaceTimeoutRemove) {
      if (!cell.batch) {
        rc = ring->submit(0);
        spin_us(cell.delay_us);
      }
      ring->queue(canceller_sqe());
      if (rc >= 0) rc = ring->submit(0);
    } else if (cell.batch) {
      compete();
      ring->queue(canceller_sqe());
      rc = ring->submit(0);
    } else {
      rc = ring->submit(0);
      compete();
      ring->queue(canceller_sqe());
      if (rc >= 0) rc = ring->submit(0);
    }
    if (rc < 0) throw EnvironmentError(std::string("race step: io_uring_enter: ") + strerrorname_np(static_cast<int>(-rc)));
    // Every request of the trial ends before the next trial starts.
    bool complete = true;
    bool cleaned = false;
    const bool has_canceller = s.op == Op::RaceCancel || s.op == Op::RacePollRemove || s.op == Op::RaceCancelFd;
    while (ring->in_flight()) {
      int64_t until = deadline;
      // Once the canceller answered, targets still waiting are ones it did not find: a
      // POLL_ADD or read still queued to io-wq, or reads an FD cancel missed. Whatever
      // bytes they wait for get a grace period, then a cleanup ends them.
      if (has_canceller && !cleaned && !ring->in_flight(uring::kRaceCanceller)) {
        int64_t grace = s.op == Op::RaceCancelFd || !feeds ? kCleanupGraceNs : kCleanupGraceFedNs;
        until = std::min(deadline, monotonic_ns() + grace);
      }
      if (ring->take(1, 64, until, tr.cqes, &tr.data) < 0) {
        if (until == deadline) {
          complete = false;
          break;
        }
        // Targets the FD cancel did not find, still waiting for bytes that will not come.
        UringSqe q;
        q.user_data = uring::kRaceCleanup;
        q.prep = [](io_uring_sqe* sqe, UringIo&) {
          io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
        };
        ring->queue(std::move(q));
        if (ring->submit(0) < 0) throw EnvironmentError("race step: io_uring_enter failed cleaning up");
        cleaned = true;
      }
    }
    if (posted && !helper.wait(deadline)) complete = false;
    if (io_race && complete) {
      // What the targets did not take is still on the reader (on TCP perhaps still on
      // its way): take it, and anything beyond, so the next trial starts empty.
      uint64_t taken = 0;
      for (const auto& c : tr.cqes)
        if (c.user_data >= uring::kRaceTarget && s.op != Op::RacePollRemove && c.res > 0) taken += static_cast<uint64_t>(c.res);
      uint64_t written = wrote > 0 ? static_cast<uint64_t>(wrote) : 0;
      uint64_t want = feeds && written > taken ? written - taken : 0;
      int64_t until = std::min(deadline, monotonic_ns() + kLeftoverWaitNs);
      while (true) {
        int avail = 0;
        if (::ioctl(rfd, FIONREAD, &avail) != 0) break;
        if (avail > 0) {
          ssize_t rv = ::read(rfd, drain_buf.data(), std::min<size_t>(static_cast<size_t>(avail), drain_buf.size()));
          if (rv > 0) tr.leftover += rv;
          continue;
        }
        if (static_cast<uint64_t>(tr.leftover) >= want) break;
        int64_t left_ms = (until - monotonic_ns()) / 1'000'000;
        if (left_ms <= 0) {
          feeds = false;
          break;
        }
        pollfd p{rfd, POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left_ms, 10)));
      }
    }
    o.trials.push_back(std::move(tr));
    if (!complete) {
      // The helper's job points into this frame: it must have run before we leave.
      if (posted)
        while (!helper.wait(monotonic_ns() + kTrialBudgetNs)) {
        }
      // A request that does not end leaves the ring unusable for more trials; the oracle
      // sees the trial's missing CQEs.
      o.deadline_hit = true;
      break;
    }
  }
  o.ret = static_cast<int64_t>(o.trials.size());
  return o;
}

}  // namespace ringside
