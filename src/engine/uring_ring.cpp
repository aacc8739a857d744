#include "engine/uring_ring.hpp"

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <mutex>

#include "engine/deadline.hpp"
#include "engine/errors.hpp"

namespace ringside {
namespace {

constexpr uint64_t kResetUserData = ~uint64_t{0} - 1;
// How long one synchronous cancel waits for what it cancelled to end.
constexpr int64_t kSyncCancelWaitNs = 50'000'000;

bool is_final(const io_uring_cqe* c) { return !(c->flags & IORING_CQE_F_MORE); }

// Memory the kernel may still use after its ring is gone: kept (reachable) for the life
// of the process rather than freed.
void keep_forever(std::unique_ptr<UringIo> io) {
  static std::mutex mu;
  static std::vector<std::unique_ptr<UringIo>> kept;
  std::lock_guard<std::mutex> l(mu);
  kept.push_back(std::move(io));
}

}  // namespace

UringRing::UringRing(unsigned entries, unsigned cq) : req_entries_(entries), req_cq_(cq) {
  io_uring_params p{};
  p.flags = IORING_SETUP_SUBMIT_ALL;
  if (cq) {
    p.flags |= IORING_SETUP_CQSIZE;
    p.cq_entries = cq;
  }
  int rc = io_uring_queue_init_params(entries, &ring_, &p);
  if (rc == -EINVAL) throw Unsupported("io_uring_setup: EINVAL (IORING_SETUP_SUBMIT_ALL needs Linux 5.18)");
  if (rc == -ENOSYS || rc == -EPERM) throw Unsupported(std::string("io_uring_setup: ") + strerrorname_np(-rc));
  if (rc < 0) throw EnvironmentError(std::string("io_uring_setup: ") + std::strerror(-rc));
  sq_entries_ = p.sq_entries;
  cq_entries_ = p.cq_entries;
}

UringRing::~UringRing() {
  // The kernel tears a ring down asynchronously: first cancel and wait for what is in
  // flight, so no request writes memory we free.
  if (!stuck_ && !inflight_.empty()) reset(monotonic_ns() + 1'000'000'000);
  io_uring_queue_exit(&ring_);
  // Memory a request may still use stays allocated for the life of the process: requests
  // a reset could not finish, and CQE_SKIP_SUCCESS requests, whose end leaves no sign.
  if (stuck_)
    for (auto& [ud, io] : inflight_) keep_forever(std::move(io));
  for (auto& [ud, io] : skipped_) keep_forever(std::move(io));
}

void UringRing::queue(UringSqe sqe) {
  if (sqe.flags & IOSQE_CQE_SKIP_SUCCESS) reusable_ = false;
  if (sqe.flags & IOSQE_IO_DRAIN) drain_used_ = true;
  queued_.push_back(std::move(sqe));
}

int64_t UringRing::submit(unsigned batch) {
  const unsigned per = batch ? std::min(batch, sq_entries_) : sq_entries_;
  int64_t total = 0;
  size_t next = 0;
  while (next < queued_.size()) {
    size_t n = std::min<size_t>(per, queued_.size() - next);
    for (size_t k = 0; k < n; ++k) {
      UringSqe& q = queued_[next + k];
      io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
      if (!sqe) throw std::logic_error("io_uring: no free SQE after a full submit");
      if (!q.io) q.io = std::make_unique<UringIo>();
      q.prep(sqe, *q.io);
      sqe->user_data = q.user_data;
      sqe->flags |= q.flags;
      // A request without a CQE on success leaves no sign of its end: keep its memory.
      if (q.flags & IOSQE_CQE_SKIP_SUCCESS) skipped_[q.user_data] = std::move(q.io);
      else inflight_[q.user_data] = std::move(q.io);
    }
    next += n;
    int rc;
    while ((rc = io_uring_submit(&ring_)) == -EINTR) {
    }
    if (rc < 0) {
      queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(next));
      return rc;
    }
    total += rc;
  }
  queued_.clear();
  return total;
}

int UringRing::take(unsigned min, unsigned max, int64_t deadline_ns, std::vector<Completion>& out, std::string* data) {
  unsigned got = 0;
  while (true) {
    io_uring_cqe* cqe = nullptr;
    // io_uring_peek_cqe enters the kernel to flush overflowed CQEs when the ring says so.
    while (got < max && io_uring_peek_cqe(&ring_, &cqe) == 0 && cqe) {
      out.push_back({cqe->user_data, cqe->res, cqe->flags});
      // A CQE_SKIP_SUCCESS request posts a CQE when it fails (a short read counts): its
      // memory is free then.
      auto& map = inflight_.count(cqe->user_data) ? inflight_ : skipped_;
      auto it = map.find(cqe->user_data);
      if (it != map.end()) {
        UringIo& io = *it->second;
        if (data && io.returns_data && cqe->res > 0)
          data->append(reinterpret_cast<const char*>(io.buf.data()),
                       std::min<size_t>(static_cast<size_t>(cqe->res), io.buf.size()));
        if (is_final(cqe)) map.erase(it);
      }
      io_uring_cqe_seen(&ring_, cqe);
      ++got;
    }
    if (got >= min || got >= max) return 0;
    int64_t left = deadline_ns - monotonic_ns();
    if (left <= 0) return -ETIME;
    __kernel_timespec ts{left / 1'000'000'000, left % 1'000'000'000};
    int rc = io_uring_wait_cqe_timeout(&ring_, &cqe, &ts);
    if (rc == -ETIME) return -ETIME;
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) return rc;
  }
}

bool UringRing::cancel_by_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (!sqe) return false;
  io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
  sqe->user_data = kResetUserData;
  inflight_[kResetUserData] = std::make_unique<UringIo>();
  int rc;
  while ((rc = io_uring_submit(&ring_)) == -EINTR) {
  }
  return rc >= 0;
}

bool UringRing::reset(int64_t deadline_ns) {
  queued_.clear();
  if (stuck_) return false;
  std::vector<Completion> sink;
  // IORING_REGISTER_SYNC_CANCEL (Linux 6.0) first: a cancel SQE would wait behind a
  // request with IOSQE_IO_DRAIN in flight ("new requests will not be started before this
  // one completes", io_uring_enter(2)), which may never complete. Requests a drain held
  // back start when it ends, so cancel again until nothing is left or the deadline.
  bool by_sqe = !sync_cancel_;
  while (!inflight_.empty() && !by_sqe) {
    int64_t left = deadline_ns - monotonic_ns();
    if (left <= 0) break;
    io_uring_sync_cancel_reg reg{};
    reg.fd = -1;
    reg.flags = IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL;
    int64_t wait = std::min<int64_t>(left, kSyncCancelWaitNs);
    reg.timeout.tv_sec = wait / 1'000'000'000;
    reg.timeout.tv_nsec = wait % 1'000'000'000;
    int rc = io_uring_register_sync_cancel(&ring_, &reg);
    if (rc == -EINVAL) {
      sync_cancel_ = false;  // an older kernel: a cancel SQE (and its CQE) instead
      by_sqe = true;
      break;
    }
    size_t before = inflight_.size();
    // A cancelled request's CQE may come from task work after the call: wait for it; with
    // nothing cancelled, only for completions already under way.
    int64_t window = rc > 0 ? kSyncCancelWaitNs : kSyncCancelWaitNs / 50;
    take(1, 4096, std::min(deadline_ns, monotonic_ns() + window), sink, nullptr);
    // Nothing left to cancel (a count of 0 covers io-wq work too) and no CQE came: what
    // is still listed ended without a CQE (a chain broken at submission may omit some).
    // The ring is not reused, and their memory is kept.
    if (rc == 0 && inflight_.size() == before) break;
  }
  if (by_sqe && (!inflight_.empty() || !skipped_.empty())) {
    if (!cancel_by_sqe()) {
      stuck_ = true;
      return false;
    }
    while (!inflight_.empty())
      if (take(1, 4096, deadline_ns, sink, nullptr) < 0) break;
  }
  take(0, 1u << 30, 0, sink, nullptr);  // whatever else is there
  if (!inflight_.empty()) {
    stuck_ = true;
    reusable_ = false;
    return false;
  }
  if (drain_used_ && !end_drain_state(deadline_ns)) reusable_ = false;
  return true;
}

bool UringRing::end_drain_state(int64_t deadline_ns) {
  // A drain leaves the ring's drain state on until a later request passes the drain
  // check, and that request runs from task work, after its submission returned. NOPs until
  // one completes by its submission: the state is off, as on a new ring.
  std::vector<Completion> sink;
  for (int tries = 0; tries < 4; ++tries) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) return false;
    io_uring_prep_nop(sqe);
    sqe->user_data = kResetUserData;
    inflight_[kResetUserData] = std::make_unique<UringIo>();
    int rc;
    while ((rc = io_uring_submit(&ring_)) == -EINTR) {
    }
    if (rc < 0) return false;
    take(0, 1u << 30, 0, sink, nullptr);
    if (inflight_.empty()) {
      drain_used_ = false;
      return true;
    }
    if (take(1, 1, deadline_ns, sink, nullptr) < 0 || !inflight_.empty()) return false;
  }
  return false;
}

std::unique_ptr<UringRing> UringPool::take(unsigned entries, unsigned cq) {
  for (auto it = rings_.begin(); it != rings_.end(); ++it)
    if ((*it)->requested_entries() == entries && (*it)->requested_cq() == cq) {
      auto r = std::move(*it);
      rings_.erase(it);
      return r;
    }
  return nullptr;
}

void UringPool::give(std::unique_ptr<UringRing> r, int64_t deadline_ns) {
  if (!r->reset(deadline_ns) || !r->reusable()) return;  // destroyed here
  if (rings_.size() >= kUringPoolMax) rings_.erase(rings_.begin());
  rings_.push_back(std::move(r));
}

}  // namespace ringside
