// One io_uring instance the engine owns, with the memory its requests point at (read
// buffers, iovecs, timespecs) kept alive until each request's final CQE. SQEs are
// described when a step queues them and prepared only at submit, so a batch boundary is
// exactly where the engine calls io_uring_enter.
#pragma once
#include <liburing.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "program/observation.hpp"

namespace ringside {

// Memory of one request, owned by the ring until its final CQE.
struct UringIo {
  std::vector<std::byte> buf;
  iovec iov[2]{};
  __kernel_timespec ts{};
  bool returns_data = false;  // a read/recv: its CQE's bytes go to Observation::data
};

// A request described at queue time and prepared into an SQE at submit.
struct UringSqe {
  uint64_t user_data = 0;
  uint8_t flags = 0;  // IOSQE_*
  std::function<void(io_uring_sqe*, UringIo&)> prep;
  std::unique_ptr<UringIo> io;
};

class UringRing {
 public:
  // io_uring_setup with SUBMIT_ALL (every SQE of a call is consumed, so chains end at
  // call boundaries only) and CQSIZE when cq > 0. Throws Unsupported / EnvironmentError.
  UringRing(unsigned entries, unsigned cq);
  ~UringRing();
  UringRing(const UringRing&) = delete;
  UringRing& operator=(const UringRing&) = delete;

  int fd() const { return ring_.ring_fd; }
  unsigned sq_entries() const { return sq_entries_; }
  unsigned cq_entries() const { return cq_entries_; }
  unsigned requested_entries() const { return req_entries_; }
  unsigned requested_cq() const { return req_cq_; }

  void queue(UringSqe sqe);
  size_t queued() const { return queued_.size(); }
  // Submit the queued SQEs, at most `batch` per io_uring_enter (0: as many as fit).
  // Returns the number submitted, or -errno of the first failing call.
  int64_t submit(unsigned batch);
  // Take CQEs until `min` were taken or the deadline (CLOCK_MONOTONIC ns) passed, at most
  // `max`, flushing overflowed CQEs as room frees. Returns 0, or -ETIME if fewer than min.
  int take(unsigned min, unsigned max, int64_t deadline_ns, std::vector<Completion>& out, std::string* data);
  // Requests submitted whose final CQE was not taken yet.
  size_t in_flight() const { return inflight_.size(); }
  bool in_flight(uint64_t user_data) const { return inflight_.count(user_data) != 0; }

  // Back to an idle ring: queued SQEs dropped, everything in flight cancelled and its
  // CQEs taken. False if something did not finish by the deadline (then the ring must not
  // be reused, and its memory is leaked on destruction: the kernel may still write it).
  bool reset(int64_t deadline_ns);
  // IOSQE_CQE_SKIP_SUCCESS disables IOSQE_IO_DRAIN for the ring's life: such a ring is
  // never handed to another program.
  bool reusable() const { return reusable_; }

 private:
  io_uring ring_{};
  unsigned sq_entries_ = 0, cq_entries_ = 0, req_entries_ = 0, req_cq_ = 0;
  std::vector<UringSqe> queued_;
  std::map<uint64_t, std::unique_ptr<UringIo>> inflight_;
  // CQE_SKIP_SUCCESS requests: no CQE on success, so no sign of their end; their memory
  // is kept until a (failure) CQE comes, or for the life of the process.
  std::map<uint64_t, std::unique_ptr<UringIo>> skipped_;
  bool reusable_ = true;
  bool stuck_ = false;
  bool sync_cancel_ = true;  // IORING_REGISTER_SYNC_CANCEL works (Linux 6.0)
  bool drain_used_ = false;  // an IOSQE_IO_DRAIN request was queued since the last reset

  // After a drain: back to a ring whose next request is issued by its submission; false
  // if that could not be seen (the ring is then not reused).
  bool end_drain_state(int64_t deadline_ns);

  // The pre-6.0 reset: an IORING_OP_ASYNC_CANCEL SQE for everything; false if it could
  // not be submitted.
  bool cancel_by_sqe();
};

// Rings kept between programs (the fuzzer runs millions): reset, then reused by the next
// `ring` step asking for the same sizes. At most kUringPoolMax idle rings are kept.
inline constexpr size_t kUringPoolMax = 8;
class UringPool {
 public:
  std::unique_ptr<UringRing> take(unsigned entries, unsigned cq);
  void give(std::unique_ptr<UringRing> r, int64_t deadline_ns);
  void clear() { rings_.clear(); }

 private:
  std::vector<std::unique_ptr<UringRing>> rings_;
};

}  // namespace ringside
