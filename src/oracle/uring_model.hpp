// The oracle's model of io_uring: one state machine per request (queued, in flight,
// done), the chains and drains that order them, and per ring what it was set up with.
// Requests act on the FdModel's descriptions and channels, the same ones read(2) and
// write(2) use: one model of the data, two interfaces.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "oracle/fd_model.hpp"
#include "oracle/readiness.hpp"

namespace ringside::model {

inline constexpr uint32_t kNoReq = ~0u;

enum class ReqState : uint8_t { Queued, InFlight, Done };

// IOSQE_* values (the oracle includes no kernel headers).
namespace sqe {
inline constexpr uint32_t Drain = 0x02, Link = 0x04, Hardlink = 0x08, Async = 0x10, SkipSuccess = 0x40;
}
inline constexpr uint32_t kCqeMore = 0x2;  // IORING_CQE_F_MORE

struct Req {
  uint32_t id = kNoReq;
  uint32_t step = 0;  // queuing step; user_data = step + 1
  Op op{};
  uint32_t ring = 0;
  ResId fd_res = 0;         // the fd operand, if the opcode has one
  DescId desc = kNone;      // its description
  uint32_t flags = 0;       // IOSQE_*
  uint64_t n = 0;
  int64_t off = -1;
  bool waitall = false, multishot = false, all = false;
  uint32_t events = 0;
  int64_t t_us = 0;
  uint64_t count = 0;
  uint32_t target = kNoReq;  // cancel / poll_remove / timeout_remove: the request named; link timeout: the guarded one

  ReqState state = ReqState::Queued;
  uint64_t submit_tick = 0, done_tick = 0;
  uint32_t batch = 0;       // io_uring_enter call that submitted it
  uint32_t prev = kNoReq;   // previous chain member: it ends before this one starts
  uint32_t next = kNoReq;
  uint32_t ltimeout = kNoReq;  // the LINK_TIMEOUT guarding this request
  bool drain = false;       // effective IOSQE_IO_DRAIN (set on a chain's head)
  bool drain_from_member = false;  // ... by a later member's flag (Linux forces the chain to io-wq)
  bool held = false;        // queued while the ring's drain state was on: issued later,
                            // from task work, not by its submission
  bool dangling = false;    // head of a chain left open at the end of its submit call
  bool chain_failed_at_init = false;  // another member of its chain failed at submission
  bool eopnotsupp = false;  // drain on a ring that saw CQE_SKIP_SUCCESS (Linux fails it)
  bool badf = false;        // its fd was closed before submission
  bool maybe_badf = false;  // ... or after, before it was issued (from io-wq, a chain, a drain)
  bool err_pending = false; // its socket's error (SO_ERROR) may have been pending at submission
  bool unconnected_at_submit = false;  // a stream socket not connected when it was submitted
  bool invalid = false;     // a LINK_TIMEOUT with nothing to guard: -EINVAL
  uint32_t floating = ~0u;  // a write on a channel: its bytes' place (StreamBytes write id)
  bool on_channel = false;  // a read counted among its channel's io_uring readers
  uint64_t count_reads_at_submit = 0;  // eventfd writes: the reads of the counter before it ran
  bool settled = false;     // a counting cancel whose count was checked
  bool abandoned = false;   // its ring was closed while it was in flight: its end is never seen

  uint32_t cqes = 0;        // CQEs seen (a multishot poll posts several)
  int64_t res = 0;          // final result
  bool failed = false;      // ended with a chain-breaking result
  bool cancelled = false;   // ended -ECANCELED or -EINTR
  bool silent = false;      // ended without a CQE (skip success, or a broken chain's omitted CQE)
  bool must_cancel = false;       // a canceller said 0: it ends -ECANCELED/-EINTR
  RuleId must_cancel_rule = RuleId::UringCancelConsistent;  // the canceller's rule
  bool must_not_cancel = false;   // a canceller said -ENOENT and nothing else may cancel it
  uint64_t cqes_after = 0;  // count timeouts: CQEs seen since submission...
  uint64_t cqes_maybe = 0;  // ... and expired timeouts' CQEs, which may count too

  // Streams: where its bytes start (writes) and whether its effect is applied.
  uint32_t file_writer = ~0u;
  uint64_t file_size_at_submit = 0;  // file reads: the size certain when it was submitted
  bool rx_empty_at_submit = false;   // pipe and socket reads: nothing had surely arrived
  // Polls: readiness while armed (since submission or the last CQE), and wakeups since.
  std::vector<ReadySet> states;
  bool woken = false;
  uint32_t wake_keys = 0;   // keys of the wakeups of its fd since it was armed (or its last CQE)
  bool exposed_to_skipped_count = false;  // count timeouts: in flight when a count timeout
                                          // with CQE_SKIP_SUCCESS reached its count

  bool is(Op o) const { return op == o; }
  bool pending() const { return state != ReqState::Done; }
};

struct RingModel {
  DescId desc = kNone;
  ResId res = 0;
  unsigned sq = 0, cq = 0;
  bool open = true;
  bool skip_used = false;   // a request with CQE_SKIP_SUCCESS was submitted (io_init_req
                            // refuses IOSQE_IO_DRAIN from then on: ctx->drain_disabled)
  bool drain_next = false;      // ctx->drain_next: a drain on a chain member drains the next
                                // request or chain too (io_init_drain)
  bool drain_active = false;    // ctx->drain_active: set by a drain, cleared by the first
                                // request queued when nothing is left to wait for
  // CQE-posting requests in flight at once since the CQ ring was last emptied by a reap
  // (more than cq: CQEs may have overflowed and wait to be flushed).
  uint32_t max_in_flight = 0;
  std::vector<uint32_t> queued;  // in SQ order
  bool overflow_possible() const { return max_in_flight > cq; }
};

struct UringModel {
  std::vector<Req> reqs;
  std::vector<RingModel> rings;
  std::map<DescId, uint32_t> ring_of;     // ring description -> ring index
  std::map<size_t, uint32_t> by_step;     // queuing step -> request
  // wait_ready through epoll: a virtual epoll instance per operand set, as the engine keeps.
  struct ViaEpoll {
    DescId ep = kNone;
    std::vector<uint32_t> events;
  };
  std::map<std::vector<ResId>, ViaEpoll> via_epolls;
  uint64_t ticks = 1;
  uint32_t batches = 0;

  uint64_t tick() { return ++ticks; }
  Req* by_user_data(uint64_t ud) {
    if (ud == 0) return nullptr;
    auto it = by_step.find(static_cast<size_t>(ud - 1));
    return it == by_step.end() ? nullptr : &reqs[it->second];
  }
  uint32_t in_flight(uint32_t ring) const {
    uint32_t k = 0;
    for (const auto& r : reqs)
      if (r.ring == ring && r.state == ReqState::InFlight) ++k;
    return k;
  }
};

}  // namespace ringside::model
