// C code of the io_uring steps for the reproducer (DESIGN.md families 4-6): one
// CStepEmitter per Op of src/program/ops_uring.def, with liburing calls. A step without
// an entry here makes `ringside repro --emit-c` say it is not supported yet (the race
// steps and wait_ready).
//
// The C code does what the engine does (src/engine/uring_ops.cpp, uring_ring.cpp):
//   - `ring`: io_uring_queue_init_params with IORING_SETUP_SUBMIT_ALL (and CQSIZE when
//     cq > 0); ret = the ring fd, value = sq_entries | cq_entries << 32.
//   - a `uring_*` step records its step number in the ring's queue (rq_) and sets up the
//     request's memory (buffer, timespec; a file write's pattern bytes, of the request's
//     own stream at the file offset); ret = 0. Its SQE is prepared at `submit` by the
//     generated prep_step() switch (CStepEmitter::prep), with user_data = step + 1, the
//     fd looked up then (-1 if the resource was closed), and a stream write's pattern
//     bytes taken from the writer's stream then.
//   - `submit`: at most `batch` SQEs per io_uring_enter (0: the SQ size); ret = the number
//     submitted or -errno of the first failing call.
//   - `reap`: CQEs into cqe_[0..ncqe_) until `min` or the timeout, at most `max`
//     (io_uring_peek_cqe flushes overflowed CQEs); ret = the number taken, value = 0 or
//     -ETIME; data_ = the bytes of the read CQEs with res > 0, in CQE order.
//   - `close` of a ring (emit_c_ops.cpp): cancel what is in flight, take its CQEs,
//     io_uring_queue_exit.
// All support code comes with the `ring` entry: every program with an io_uring step
// creates a ring first.
#include <string>

#include "fuzzing/emit_c.hpp"
#include "program/uring_ids.hpp"

namespace ringside {
namespace {

constexpr const char* kUringSupport = R"C(
/* ---- io_uring: rings, requests queued until `submit`, the CQEs of the last `reap` ---- */
#define RESET_USER_DATA (~0ull - 1)
static MAYBE_UNUSED struct io_uring ring_[NRES];
static MAYBE_UNUSED int ring_open_[NRES];
static MAYBE_UNUSED unsigned ring_sq_[NRES];
static MAYBE_UNUSED int rq_[NRES][NSTEPS]; /* queued requests (their steps), per ring */
static MAYBE_UNUSED int rqn_[NRES];
/* Per request, by its queuing step (user_data = step + 1). */
static MAYBE_UNUSED unsigned char *ubuf_[NSTEPS];
static MAYBE_UNUSED size_t ubuflen_[NSTEPS];
static MAYBE_UNUSED struct iovec uiov_[NSTEPS][2];
static MAYBE_UNUSED struct __kernel_timespec uts_[NSTEPS];
static MAYBE_UNUSED uint32_t uorigin_[NSTEPS];       /* the stream a write extends */
static MAYBE_UNUSED unsigned char uflags_[NSTEPS];   /* IOSQE_* */
static MAYBE_UNUSED unsigned char ureads_[NSTEPS];   /* a read: its CQE's bytes go to data_ */
static MAYBE_UNUSED unsigned char uinflight_[NSTEPS]; /* submitted, final CQE not taken */
static MAYBE_UNUSED int uring_of_[NSTEPS];
static MAYBE_UNUSED int ring_skip_[NRES];              /* a CQE_SKIP_SUCCESS request was submitted */
static MAYBE_UNUSED int reset_pending_;
struct cqe_rec {
  uint64_t user_data;
  int32_t res;
  uint32_t flags;
};
static MAYBE_UNUSED struct cqe_rec *cqe_; /* the CQEs the last reap took */
static MAYBE_UNUSED long ncqe_, cqecap_;
static MAYBE_UNUSED long finals_[NSTEPS + 1]; /* final CQEs per user_data taken by earlier reaps */
static MAYBE_UNUSED long long final_res_[NSTEPS + 1];
static MAYBE_UNUSED long long cres_;

static MAYBE_UNUSED unsigned char *req_buf(int step, size_t n) {
  free(ubuf_[step]);
  ubuf_[step] = scratch(n);
  ubuflen_[step] = n;
  return ubuf_[step];
}

static MAYBE_UNUSED void ring_queue(int r, int step, unsigned flags) {
  uflags_[step] = (unsigned char)flags;
  uring_of_[step] = r;
  rq_[r][rqn_[r]++] = step;
}

static MAYBE_UNUSED int ring_inflight(int r) {
  int n = 0;
  for (int s = 0; s < NSTEPS; ++s)
    if (uinflight_[s] && uring_of_[s] == r) ++n;
  return n;
}

/* As UringRing::submit: SQEs prepared now, at most `batch` per io_uring_enter (0: as many
   as the SQ holds). The number submitted, or -errno of the first failing call. */
static MAYBE_UNUSED long ring_submit(int r, unsigned batch) {
  unsigned per = batch && batch < ring_sq_[r] ? batch : ring_sq_[r];
  long total = 0;
  int next = 0;
  while (next < rqn_[r]) {
    int n = rqn_[r] - next < (int)per ? rqn_[r] - next : (int)per;
    for (int k = 0; k < n; ++k) {
      int step = rq_[r][next + k];
      struct io_uring_sqe *sqe = io_uring_get_sqe(&ring_[r]);
      if (!sqe) {
        fprintf(stderr, "repro: no free SQE after a full submit\n");
        cleanup();
        exit(2);
      }
      prep_fn_(step, sqe);
      sqe->user_data = (uint64_t)step + 1;
      sqe->flags |= uflags_[step];
      if (uflags_[step] & IOSQE_CQE_SKIP_SUCCESS) ring_skip_[r] = 1;
      else uinflight_[step] = 1;
    }
    next += n;
    int rc;
    while ((rc = io_uring_submit(&ring_[r])) == -EINTR) {
    }
    if (rc < 0) {
      memmove(rq_[r], rq_[r] + next, (size_t)(rqn_[r] - next) * sizeof(int));
      rqn_[r] -= next;
      return rc;
    }
    total += rc;
  }
  rqn_[r] = 0;
  return total;
}

static MAYBE_UNUSED void cqe_push(uint64_t user_data, int32_t res, uint32_t flags) {
  if (ncqe_ == cqecap_) {
    cqecap_ = cqecap_ ? 2 * cqecap_ : 64;
    cqe_ = realloc(cqe_, (size_t)cqecap_ * sizeof *cqe_);
    if (!cqe_) env_fail("realloc");
  }
  cqe_[ncqe_].user_data = user_data;
  cqe_[ncqe_].res = res;
  cqe_[ncqe_].flags = flags;
  ++ncqe_;
}

/* As UringRing::take: CQEs until `min` were taken or the deadline passed, at most `max`.
   0, or -ETIME if fewer than min. `record`: into cqe_ and data_ (a reap), else dropped. */
static MAYBE_UNUSED int ring_take(int r, unsigned min, unsigned max, int64_t deadline_ns, int record) {
  unsigned got = 0;
  for (;;) {
    struct io_uring_cqe *cqe = NULL;
    while (got < max && io_uring_peek_cqe(&ring_[r], &cqe) == 0 && cqe) {
      uint64_t ud = cqe->user_data;
      if (record) cqe_push(cqe->user_data, cqe->res, cqe->flags);
      if (ud == RESET_USER_DATA) reset_pending_ = 0;
      if (ud >= 1 && ud <= NSTEPS && uinflight_[ud - 1] && uring_of_[ud - 1] == r) {
        int step = (int)(ud - 1);
        if (record && ureads_[step] && cqe->res > 0) {
          size_t len = (size_t)cqe->res < ubuflen_[step] ? (size_t)cqe->res : ubuflen_[step];
          data_ = realloc(data_, (size_t)datalen_ + len + 1);
          if (!data_) env_fail("realloc");
          memcpy(data_ + datalen_, ubuf_[step], len);
          datalen_ += (long)len;
        }
        if (!(cqe->flags & IORING_CQE_F_MORE)) uinflight_[step] = 0;
      }
      io_uring_cqe_seen(&ring_[r], cqe);
      ++got;
    }
    if (got >= min || got >= max) return 0;
    int64_t left = deadline_ns - now_ns();
    if (left <= 0) return -ETIME;
    struct __kernel_timespec ts = {left / 1000000000, left % 1000000000};
    int rc = io_uring_wait_cqe_timeout(&ring_[r], &cqe, &ts);
    if (rc == -ETIME) return -ETIME;
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) return rc;
  }
}

/* A reap starts: the previous reap's CQEs (as a mutant left them) go to the history. */
static MAYBE_UNUSED void account_reap(void) {
  for (long k = 0; k < ncqe_; ++k) {
    uint64_t ud = cqe_[k].user_data;
    if (ud <= NSTEPS && !(cqe_[k].flags & IORING_CQE_F_MORE)) {
      ++finals_[ud];
      final_res_[ud] = cqe_[k].res;
    }
  }
  ncqe_ = 0;
}

/* Judged::CqeRes: the res of the last final CQE with user_data ud taken so far. 0 (with
   a note) if there is none: the failure did not recur. */
static MAYBE_UNUSED int cqe_final(uint64_t ud, long long *res) {
  int found = 0;
  if (ud <= NSTEPS && finals_[ud]) {
    *res = final_res_[ud];
    found = 1;
  }
  for (long k = 0; k < ncqe_; ++k)
    if (cqe_[k].user_data == ud && !(cqe_[k].flags & IORING_CQE_F_MORE)) {
      *res = cqe_[k].res;
      found = 1;
    }
  if (!found)
    fprintf(stderr, "repro: no final CQE with user_data %llu was taken: the failing CQE did not recur\n",
            (unsigned long long)ud);
  return found;
}

/* Judged::CqeCount: how many final CQEs with user_data ud were taken so far. */
static MAYBE_UNUSED long cqe_count(uint64_t ud) {
  long n = ud <= NSTEPS ? finals_[ud] : 0;
  for (long k = 0; k < ncqe_; ++k)
    if (cqe_[k].user_data == ud && !(cqe_[k].flags & IORING_CQE_F_MORE)) ++n;
  return n;
}

/* As UringRing::reset: cancel everything in flight (ANY|ALL) and take the CQEs, with
   IORING_REGISTER_SYNC_CANCEL where the kernel has it (a cancel SQE waits behind a drain),
   else with a cancel SQE. 0 if something did not finish by the deadline. */
static int sync_cancel_ok_ = 1;
static MAYBE_UNUSED int ring_reset(int r, int64_t deadline_ns) {
  rqn_[r] = 0;
  while (sync_cancel_ok_ && ring_inflight(r) && now_ns() < deadline_ns) {
    struct io_uring_sync_cancel_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.fd = -1;
    reg.flags = IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL;
    int64_t wait = deadline_ns - now_ns();
    if (wait > 50000000) wait = 50000000;
    reg.timeout.tv_sec = wait / 1000000000;
    reg.timeout.tv_nsec = wait % 1000000000;
    int rc = io_uring_register_sync_cancel(&ring_[r], &reg);
    if (rc == -EINVAL) {
      sync_cancel_ok_ = 0;
      break;
    }
    int before = ring_inflight(r);
    int64_t until = now_ns() + (rc > 0 ? 50000000 : 1000000);
    ring_take(r, 1, 4096, until < deadline_ns ? until : deadline_ns, 0);
    if (rc == 0 && ring_inflight(r) == before) break; /* what is left ended without a CQE */
  }
  if (!sync_cancel_ok_ && (ring_inflight(r) || ring_skip_[r])) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring_[r]);
    if (!sqe) return 0;
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
    sqe->user_data = RESET_USER_DATA;
    int rc;
    while ((rc = io_uring_submit(&ring_[r])) == -EINTR) {
    }
    if (rc < 0) return 0;
    reset_pending_ = 1;
    while (reset_pending_ || ring_inflight(r))
      if (ring_take(r, 1, 4096, deadline_ns, 0) < 0) break;
  }
  ring_take(r, 0, 1u << 30, 0, 0);
  return !ring_inflight(r);
}

/* The end of a ring (`close`, or the end of a program): what is in flight is cancelled
   first; the memory of requests that did not finish stays allocated. */
static MAYBE_UNUSED void ring_close(int r) {
  if (!ring_open_[r]) return;
  int ok = !ring_inflight(r) || ring_reset(r, now_ns() + 1000000000);
  io_uring_queue_exit(&ring_[r]);
  ring_open_[r] = 0;
  ring_skip_[r] = 0;
  fd_[r] = -1;
  for (int s = 0; s < NSTEPS; ++s)
    if (uring_of_[s] == r && uinflight_[s]) {
      uinflight_[s] = 0;
      if (!ok) ubuf_[s] = NULL; /* the kernel may still write it: kept */
    }
}

/* The engine's end of a program: its rings reset (then pooled by the engine, closed here). */
static MAYBE_UNUSED void rings_finish(void) {
  for (int r = 0; r < NRES; ++r)
    if (ring_open_[r]) {
      int ok = ring_reset(r, now_ns() + 1000000000);
      for (int s = 0; s < NSTEPS; ++s)
        if (!ok && uring_of_[s] == r && uinflight_[s]) ubuf_[s] = NULL; /* kept */
      ring_close(r);
    }
  for (int s = 0; s < NSTEPS; ++s) {
    free(ubuf_[s]);
    ubuf_[s] = NULL;
    ubuflen_[s] = 0;
    uinflight_[s] = 0;
  }
  ncqe_ = 0;
  memset(finals_, 0, sizeof finals_);
}
)C";

std::string num(int64_t v) { return std::to_string(v); }
std::string res(ResId r) { return std::to_string(r); }
int64_t param(const Step& s, std::string_view name) { return s.param(s.spec().index(name)); }
// The user_data of the request resource `req` (uring_ids.hpp).
std::string target_ud(CEmit& e, ResId req) {
  return std::to_string(uring::user_data_of_step(e.program().res(req).created_by)) + "ull";
}
std::string step_no(CEmit& e) { return std::to_string(e.step_index()); }

void ring_(CEmit& e, const Step& s) {
  ResId o = s.outs[0];
  int64_t entries = param(s, "entries"), cq = param(s, "cq");
  std::string ring = "ring_[" + res(o) + "]";
  e.line("struct io_uring_params p;");
  e.line("memset(&p, 0, sizeof p);");
  e.line("p.flags = IORING_SETUP_SUBMIT_ALL;");
  if (cq) {
    e.line("p.flags |= IORING_SETUP_CQSIZE;");
    e.line("p.cq_entries = " + num(cq) + "u;");
  }
  e.line("int rc = io_uring_queue_init_params(" + num(entries) + "u, &" + ring + ", &p);");
  e.line("if (rc < 0) {");
  e.line("  errno = -rc;");
  e.line("  env_fail(\"io_uring_queue_init_params\");");
  e.line("}");
  e.line("ring_open_[" + res(o) + "] = 1;");
  e.line("ring_sq_[" + res(o) + "] = p.sq_entries;");
  e.line("rqn_[" + res(o) + "] = 0;");
  e.line("ring_finish_ = rings_finish;");
  e.line(e.fd(o) + " = " + ring + ".ring_fd;");
  e.line(e.origin(o) + " = " + res(o) + ";");
  e.line("ret = " + ring + ".ring_fd;");
  e.line("value = (long)p.sq_entries | (long)p.cq_entries << 32;");
}

// Every queuing step ends so: into the ring's queue, no system call.
void queued(CEmit& e, const Step& s) {
  e.line("ring_queue(" + res(s.ins[0]) + ", " + step_no(e) + ", " + num(param(s, "flags")) + "u);");
  e.line("ret = 0;");
}

// Read, write, recv, send: the buffer, as the engine sizes and fills it at queue time.
void rw_(CEmit& e, const Step& s) {
  const ResId r = s.ins[1];
  const ResKind kind = e.kind(r);
  const int64_t n = param(s, "n");
  const bool read = s.op == Op::UringRead || s.op == Op::UringRecv;
  const std::string i = step_no(e);
  if (!read && kind == ResKind::EventFd) {
    // An eventfd takes an 8-byte counter increment, as write(2) does.
    e.line("uint64_t v = " + num(n) + "ull;");
    e.line("memcpy(req_buf(" + i + ", 8), &v, 8);");
  } else {
    e.line("unsigned char *b = req_buf(" + i + ", " + num(std::max<int64_t>(n, 1)) + ");");
    // Files: the request's own pattern stream at the file offset.
    if (!read && kind == ResKind::File)
      e.line("fill_pattern(" + res(s.outs[0]) + ", " + num(param(s, "off")) + "ull, b, " + num(n) + ");");
    else
      e.line("(void)b;");
  }
  e.line("uorigin_[" + i + "] = " + e.origin(r) + ";");
  e.line("ureads_[" + i + "] = " + std::string(read ? "1" : "0") + ";");
  queued(e, s);
}

void rw_prep(CEmit& e, const Step& s) {
  const ResId r = s.ins[1];
  const ResKind kind = e.kind(r);
  const int64_t n = param(s, "n");
  const bool read = s.op == Op::UringRead || s.op == Op::UringRecv;
  const bool rw = s.op == Op::UringRead || s.op == Op::UringWrite;
  const bool vec = rw && param(s, "vec");
  const int64_t off = rw ? param(s, "off") : -1;
  const std::string i = step_no(e), buf = "ubuf_[" + i + "]", fd = e.fd(r);
  const std::string uoff = off < 0 ? "(__u64)-1" : "(__u64)" + num(off) + "ull";
  if (!read && kind == ResKind::EventFd) {
    e.line("io_uring_prep_write(sqe, " + fd + ", " + buf + ", 8, (__u64)-1);");
    return;
  }
  // Streams: the writer's stream, in order; a request's bytes take their place in it
  // when it is submitted (whatever it then writes).
  if (!read && kind != ResKind::File)
    e.line("fill_pattern(uorigin_[" + i + "], __atomic_fetch_add(&written_[uorigin_[" + i + "]], " + num(n) +
           "ull, __ATOMIC_SEQ_CST), " + buf + ", " + num(n) + ");");
  if (vec) {
    e.line("uiov_[" + i + "][0].iov_base = " + buf + ";");
    e.line("uiov_[" + i + "][0].iov_len = " + num(n / 2) + ";");
    e.line("uiov_[" + i + "][1].iov_base = " + buf + " + " + num(n / 2) + ";");
    e.line("uiov_[" + i + "][1].iov_len = " + num(n - n / 2) + ";");
  }
  std::string msg;
  if (!rw && param(s, "waitall")) msg = "MSG_WAITALL";
  if (s.op == Op::UringSend) msg += msg.empty() ? "MSG_NOSIGNAL" : " | MSG_NOSIGNAL";
  if (msg.empty()) msg = "0";
  switch (s.op) {
    case Op::UringRead:
      e.line(vec ? "io_uring_prep_readv(sqe, " + fd + ", uiov_[" + i + "], 2, " + uoff + ");"
                 : "io_uring_prep_read(sqe, " + fd + ", " + buf + ", " + num(n) + "u, " + uoff + ");");
      break;
    case Op::UringWrite:
      e.line(vec ? "io_uring_prep_writev(sqe, " + fd + ", uiov_[" + i + "], 2, " + uoff + ");"
                 : "io_uring_prep_write(sqe, " + fd + ", " + buf + ", " + num(n) + "u, " + uoff + ");");
      break;
    case Op::UringRecv:
      e.line("io_uring_prep_recv(sqe, " + fd + ", " + buf + ", " + num(n) + ", " + msg + ");");
      break;
    default:
      e.line("io_uring_prep_send(sqe, " + fd + ", " + buf + ", " + num(n) + ", " + msg + ");");
      break;
  }
}

void timed_(CEmit& e, const Step& s) {
  int64_t us = param(s, "t");
  e.line("uts_[" + step_no(e) + "].tv_sec = " + num(us / 1000000) + ";");
  e.line("uts_[" + step_no(e) + "].tv_nsec = " + num((us % 1000000) * 1000) + ";");
  queued(e, s);
}

void nop_prep(CEmit& e, const Step&) { e.line("io_uring_prep_nop(sqe);"); }
void poll_prep(CEmit& e, const Step& s) {
  e.line(std::string(param(s, "multishot") ? "io_uring_prep_poll_multishot" : "io_uring_prep_poll_add") + "(sqe, " +
         e.fd(s.ins[1]) + ", " + num(param(s, "events")) + "u);");
}
void poll_remove_prep(CEmit& e, const Step& s) {
  e.line("io_uring_prep_poll_remove(sqe, " + target_ud(e, s.ins[1]) + ");");
}
void timeout_prep(CEmit& e, const Step& s) {
  e.line("io_uring_prep_timeout(sqe, &uts_[" + step_no(e) + "], " + num(param(s, "count")) + "u, 0);");
}
void timeout_remove_prep(CEmit& e, const Step& s) {
  e.line("io_uring_prep_timeout_remove(sqe, " + target_ud(e, s.ins[1]) + ", 0);");
}
void link_timeout_prep(CEmit& e, const Step&) { e.line("io_uring_prep_link_timeout(sqe, &uts_[" + step_no(e) + "], 0);"); }
void cancel_prep(CEmit& e, const Step& s) {
  e.line("io_uring_prep_cancel64(sqe, " + target_ud(e, s.ins[1]) + ", " +
         (param(s, "all") ? "IORING_ASYNC_CANCEL_ALL" : "0") + ");");
}
void cancel_fd_prep(CEmit& e, const Step& s) {
  e.line("io_uring_prep_cancel_fd(sqe, " + e.fd(s.ins[1]) + ", " + (param(s, "all") ? "IORING_ASYNC_CANCEL_ALL" : "0") +
         ");");
}
void cancel_any_prep(CEmit& e, const Step&) { e.line("io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);"); }

void submit_(CEmit& e, const Step& s) {
  e.line("ret = ring_submit(" + res(s.ins[0]) + ", " + num(param(s, "batch")) + "u);");
}

void reap_(CEmit& e, const Step& s) {
  e.line("account_reap();");
  e.line("free(data_);");
  e.line("data_ = NULL;");
  e.line("datalen_ = 0;");
  e.line("value = ring_take(" + res(s.ins[0]) + ", " + num(param(s, "min")) + "u, " + num(param(s, "max")) +
         "u, now_ns() + " + num(param(s, "timeout")) + "LL * 1000000, 1);");
  e.line("ret = ncqe_;");
}

constexpr CStepEmitter kUring[] = {
    {Op::RingNew, ring_, kUringSupport},
    {Op::UringNop, queued, nullptr, nop_prep},
    {Op::UringRead, rw_, nullptr, rw_prep},
    {Op::UringWrite, rw_, nullptr, rw_prep},
    {Op::UringRecv, rw_, nullptr, rw_prep},
    {Op::UringSend, rw_, nullptr, rw_prep},
    {Op::UringPoll, queued, nullptr, poll_prep},
    {Op::UringPollRemove, queued, nullptr, poll_remove_prep},
    {Op::UringTimeout, timed_, nullptr, timeout_prep},
    {Op::UringTimeoutRemove, queued, nullptr, timeout_remove_prep},
    {Op::UringLinkTimeout, timed_, nullptr, link_timeout_prep},
    {Op::UringCancel, queued, nullptr, cancel_prep},
    {Op::UringCancelFd, queued, nullptr, cancel_fd_prep},
    {Op::UringCancelAny, queued, nullptr, cancel_any_prep},
    {Op::Submit, submit_},
    {Op::Reap, reap_},
};

}  // namespace

std::span<const CStepEmitter> uring_c_emitters() { return kUring; }

}  // namespace ringside
