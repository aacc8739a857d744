#include "rwrap/readiness_wrapper.hpp"

#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <sys/uio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

#include "rwrap/buffer_memory.hpp"
#include "rwrap/in_order_delivery.hpp"

namespace ringside::rwrap {
namespace {

constexpr unsigned kMaxDepth = 256;
constexpr std::uint32_t kMaxBufferSize = 1u << 30;
constexpr unsigned kMaxRingEntries = 32768;
constexpr std::uint32_t kDirectAlign = 4096;

// user_data of requests that are not reads; a read carries its slot index.
constexpr std::uint64_t kWakeUd = ~std::uint64_t{0};
constexpr std::uint64_t kCancelUd = kWakeUd - 1;
constexpr std::uint64_t kProbeUd = kWakeUd - 2;
// The tag of a chunk whose read is queued: launch() gives it a buffer.
constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};

class UniqueFd {
 public:
  UniqueFd() = default;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(-1); }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

class Ring {
 public:
  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    if (live_) io_uring_queue_exit(&ring_);
  }
  int init(unsigned entries) {
    const int ret = io_uring_queue_init(entries, &ring_, 0);
    live_ = ret == 0;
    return ret;
  }
  io_uring* get() { return &ring_; }

 private:
  io_uring ring_{};
  bool live_ = false;
};

// Whether ASYNC_CANCEL accepts ANY | ALL (5.19+): older kernels reject unknown
// cancel flags with -EINVAL. Run on the fresh ring, before the reaper starts.
bool probe_cancel_any(io_uring* ring) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  if (sqe == nullptr) return false;
  io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(sqe, kProbeUd);
  int ret;
  do ret = io_uring_submit(ring);
  while (ret == -EINTR);
  if (ret != 1) return false;
  io_uring_cqe* cqe = nullptr;
  do ret = io_uring_wait_cqe(ring, &cqe);
  while (ret == -EINTR);
  if (ret < 0) return false;
  const bool supported = cqe->res != -EINVAL;
  io_uring_cqe_seen(ring, cqe);
  return supported;
}

struct RingFeatures {
  bool read = false;        // IORING_OP_READ
  bool cancel = false;      // IORING_OP_ASYNC_CANCEL
  bool cancel_any = false;  // ... with ANY | ALL
};

// What the kernel supports does not change while the process runs: probed on
// the first ring that gets here (before its reaper starts), then remembered.
RingFeatures ring_features(io_uring* ring) {
  static std::mutex mu;
  static std::optional<RingFeatures> known;
  std::lock_guard lock(mu);
  if (known) return *known;
  io_uring_probe* probe = io_uring_get_probe_ring(ring);
  if (probe == nullptr) return {};  // < 5.6
  RingFeatures f;
  f.read = io_uring_opcode_supported(probe, IORING_OP_READ);
  f.cancel = io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
  io_uring_free_probe(probe);
  f.cancel_any = f.cancel && probe_cancel_any(ring);
  known = f;
  return f;
}

// Registers each slot's buffer with the ring so that O_DIRECT reads pin no page
// per request (READ_FIXED). Optional: a refusal (RLIMIT_MEMLOCK, an old kernel)
// leaves plain reads.
bool register_buffers(io_uring* ring, std::byte* base, std::size_t slots, std::uint32_t size) {
  std::vector<iovec> iov(slots);
  for (std::size_t i = 0; i < slots; ++i) iov[i] = {base + i * size, size};
  return io_uring_register_buffers(ring, iov.data(), static_cast<unsigned>(slots)) == 0;
}

}  // namespace

struct ReadinessWrapper::State {
  enum class SlotState { free, reading, holding, lent };
  struct Slot {
    SlotState state = SlotState::free;
    std::uint64_t chunk = 0;
  };

  State(int fd, const Options& opts, std::optional<std::uint64_t> end, std::uint32_t alignment)
      : file_fd(fd), options(opts), order(opts.start_offset, end, opts.buffer_size, alignment),
        rng(opts.scramble_seed.value_or(0)) {}

  ~State() {
    // The reaper gave up with reads in flight: the kernel may still write into
    // the buffers, so leak them rather than free them.
    if (cqes_lost) buffers.leak();
  }

  // --- fixed after open() ---
  const int file_fd;
  const Options options;
  BufferMemory buffers;  // (depth + 1) * buffer_size, page-aligned; declared before the ring, freed after it
  Ring ring;
  UniqueFd efd;
  bool cancel_supported = false;  // IORING_OP_ASYNC_CANCEL in the probe
  bool cancel_any = false;        // ... and it accepts ANY | ALL
  bool registered = false;        // the buffers are registered with the ring: READ_FIXED
  bool fixed_file = false;        // file_fd is the ring's registered file 0: no fd lookup per read
  bool direct = false;            // file_fd is O_DIRECT
  bool nowait_reads = true;       // preadv2(RWF_NOWAIT) works on file_fd

  // --- everything below changes only under mu ---
  mutable std::mutex mu;
  mutable std::condition_variable cv;         // for the owner: reaper_done, submitted == 0
  mutable std::condition_variable reaper_cv;  // for the reaper: needs_reaper()
  InOrderDelivery order;
  std::mt19937_64 rng;
  std::vector<Slot> slots;  // depth + 1: the pipeline (<= depth) + the one lent to the owner
  std::vector<unsigned> free_slots;
  std::optional<unsigned> lent;
  std::deque<InOrderDelivery::Read> queued;  // chunks begun whose reads wait for launch(), in file order
  std::vector<unsigned> batch;               // launch_all()'s scratch: the slots it started
  bool device_mode = false;                  // the last reads launched did not all complete at once
  unsigned submitted = 0;  // reads submitted whose completion has not been reaped (slots reading)
  unsigned holding = 0;    // slots completed, waiting to be consumed
  unsigned prepared = 0;   // SQEs prepared since the last submit
  unsigned aux_pending = 0;  // cancel/wake CQEs still to come
  unsigned quiesce_waiters = 0;  // owners in wait_quiescent()
  bool reaper_parked = false;    // the reaper sleeps on reaper_cv, not in the ring
  unsigned max_in_flight = 0;
  std::uint64_t signals = 0;
  std::uint64_t transitions = 0;
  int error = 0;
  bool eof_delivered = false;
  bool error_delivered = false;
  bool closing = false;
  bool reaper_done = false;
  bool cqes_lost = false;

  std::byte* buffer(unsigned slot) const { return buffers.get() + std::size_t{slot} * options.buffer_size; }

  io_uring_sqe* get_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(ring.get());
    if (sqe == nullptr && submit()) sqe = io_uring_get_sqe(ring.get());  // SQ full: flush it
    return sqe;
  }

  bool submit() {
    if (prepared == 0) return true;
    int ret;
    do ret = io_uring_submit(ring.get());
    while (ret == -EINTR);
    if (ret < 0) {
      fail(-ret);
      return false;
    }
    prepared = 0;
    return true;
  }

  // The wrapper cannot go on: the owner gets `err` after the data already in order.
  void fail(int err) {
    if (error == 0) error = err;
    order.abort(err);
    release_dropped();
  }

  void prep_read(unsigned slot, const InOrderDelivery::Read& read, bool async) {
    io_uring_sqe* sqe = get_sqe();
    if (sqe == nullptr) {
      free_slot(slot);
      fail(EBUSY);
      return;
    }
    const int fd = fixed_file ? 0 : file_fd;
    if (registered)
      io_uring_prep_read_fixed(sqe, fd, buffer(slot) + read.into, read.length, read.offset, static_cast<int>(slot));
    else
      io_uring_prep_read(sqe, fd, buffer(slot) + read.into, read.length, read.offset);
    io_uring_sqe_set_flags(sqe, (async ? IOSQE_ASYNC : 0) | (fixed_file ? IOSQE_FIXED_FILE : 0));
    io_uring_sqe_set_data64(sqe, slot);
    slots[slot] = Slot{SlotState::reading, read.chunk};
    ++prepared;
    ++submitted;
  }

  bool async_flag() { return options.async_reads || (options.scramble_seed && (rng() & 1)); }

  // Reads begun: submitted or queued. This is the pipeline's "in flight".
  unsigned in_flight() const { return submitted + static_cast<unsigned>(queued.size()); }

  // Begins chunks until the pipeline (in flight + holding) has depth buffers.
  // Their reads wait in `queued` for launch(), which picks their buffers.
  void fill() {
    if (closing) return;
    while (in_flight() + holding < options.depth) {
      const auto read = order.begin_chunk(kNoSlot);
      if (!read) break;
      queued.push_back(*read);
    }
    max_in_flight = std::max(max_in_flight, in_flight());
  }

  // Submits the queued reads as the device needs them, then reaps what completed
  // inside the submit. A read of cached pages completes inside io_uring_enter:
  // submitting such reads far ahead only fills buffers long before the owner
  // reads them (by then out of the CPU caches) and gains nothing. So while reads
  // complete at once and R > 0: one read per call, first tried with
  // read_cached(). Once one has to wait (device mode), the whole queue goes, and from then on the queue goes in batches of
  // depth / 4 (the device keeps at least 3/4 of the pipeline, and one
  // io_uring_enter issues a batch for about the price of two reads), or at once
  // when R is 0 (the owner is about to wait). The testing knobs submit every
  // read at once and do not reap what completed inside the submit.
  void launch() {
    if (queued.empty()) return;  // (remainders of short reads were submitted when they were reaped)
    if (testing_knobs()) return launch_all();
    if (!device_mode) {
      const InOrderDelivery::Read read = queued.front();
      queued.pop_front();
      const unsigned slot = take_slot(read);
      if (!read_cached(slot, read)) {  // not all in the page cache: through the ring
        prep_read(slot, read, false);
        submit();
        reap();
      }
      if (slots[slot].state != SlotState::reading && order.ready() > 0) return;
      return launch_all();
    }
    if (queued.size() >= std::max(1u, options.depth / 4) || order.ready() == 0) launch_all();
  }

  // Submits every queued read; device mode holds when one of them did not complete at once.
  void launch_all() {
    if (queued.empty()) return;
    if (options.scramble_seed) std::shuffle(queued.begin(), queued.end(), rng);
    std::deque<InOrderDelivery::Read> reads;
    reads.swap(queued);  // a failure inside start() prunes `queued`
    std::vector<unsigned>& started = batch;
    started.clear();
    for (const InOrderDelivery::Read& read : reads) {
      const auto terminal = order.terminal_chunk();
      if (terminal && read.chunk >= *terminal) continue;  // dropped by a failure of the loop so far
      started.push_back(start(read));
    }
    submit();
    if (testing_knobs()) return;  // their completions come as from a device: to the next consume() or the reaper
    reap();
    device_mode = std::any_of(started.begin(), started.end(),
                              [&](unsigned slot) { return slots[slot].state == SlotState::reading; });
  }

  bool testing_knobs() const { return options.async_reads || options.scramble_seed; }

  // Prepares `read` into a free buffer; returns the buffer's slot.
  unsigned start(const InOrderDelivery::Read& read) {
    const unsigned slot = take_slot(read);
    prep_read(slot, read, async_flag());
    return slot;
  }

  // A free buffer for `read` (there is always one: in flight + holding <= depth,
  // plus the one lent out, of depth + 1).
  unsigned take_slot(const InOrderDelivery::Read& read) {
    const unsigned slot = free_slots.back();
    free_slots.pop_back();
    order.set_tag(read.chunk, slot);
    return slot;
  }

  // Reads the chunk at once with preadv2(RWF_NOWAIT) if the page cache holds all
  // of it: what io_uring would do inside the submit, without its cost per
  // request. False (nothing done) when that would block (EAGAIN), on an
  // O_DIRECT fd, or when the kernel or filesystem does not support it.
  bool read_cached(unsigned slot, const InOrderDelivery::Read& read) {
    if (direct || !nowait_reads) return false;
    const iovec iov{buffer(slot) + read.into, read.length};
    ssize_t n;
    do n = ::preadv2(file_fd, &iov, 1, static_cast<off_t>(read.offset), RWF_NOWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) return false;
    if (n < 0 && (errno == EOPNOTSUPP || errno == EINVAL)) {
      nowait_reads = false;
      return false;
    }
    slots[slot] = Slot{SlotState::reading, read.chunk};
    ++submitted;
    handle_cqe(slot, n < 0 ? -errno : static_cast<int>(n));  // as if its CQE had arrived
    submit();  // the rest of a short read, if any, goes through the ring
    return true;
  }

  void free_slot(unsigned slot) {
    slots[slot].state = SlotState::free;
    free_slots.push_back(slot);
  }

  // Frees the buffers of completed chunks that lie after the end of the stream,
  // and forgets the queued reads of chunks at or after it.
  void release_dropped() {
    const auto terminal = order.terminal_chunk();
    if (!terminal) return;
    while (!queued.empty() && queued.back().chunk >= *terminal) queued.pop_back();
    for (unsigned i = 0; i < slots.size(); ++i) {
      if (slots[i].state == SlotState::holding && slots[i].chunk > *terminal) {
        --holding;
        free_slot(i);
      }
    }
  }

  void release_lent() {
    if (lent) free_slot(*lent);
    lent.reset();
  }

  // Keeps "eventfd readable iff R > 0" at the end of every critical section.
  void sync_eventfd(std::size_t old_ready) {
    const std::size_t now = order.ready();
    if (old_ready == 0 && now > 0) {
      ++transitions;
      const std::uint64_t one = 1;
      if (::write(efd.get(), &one, sizeof one) == sizeof one) ++signals;
    } else if (old_ready > 0 && now == 0) {
      std::uint64_t count;
      (void)!::read(efd.get(), &count, sizeof count);
    }
  }

  void handle_cqe(std::uint64_t user_data, int res) {
    if (user_data == kWakeUd || user_data == kCancelUd) {
      --aux_pending;
      return;
    }
    if (user_data >= slots.size()) return;  // kProbeUd or a stray: not ours to count
    const auto slot = static_cast<unsigned>(user_data);
    --submitted;
    if (closing) {
      free_slot(slot);
      return;
    }
    const auto done = order.complete(slots[slot].chunk, res);
    switch (done.next) {
      case InOrderDelivery::Next::resubmit: prep_read(slot, done.read, async_flag()); break;
      case InOrderDelivery::Next::keep:
        slots[slot].state = SlotState::holding;
        ++holding;
        break;
      case InOrderDelivery::Next::release: free_slot(slot); break;
    }
    release_dropped();
  }

  // close(): asks the kernel to cancel the reads in flight (their CQEs still come).
  void cancel_in_flight() {
    if (!cancel_supported || submitted == 0) return;
    const auto cancel = [&](std::uint64_t target, unsigned flags) {
      if (io_uring_sqe* sqe = get_sqe()) {
        io_uring_prep_cancel64(sqe, target, static_cast<int>(flags));
        io_uring_sqe_set_data64(sqe, kCancelUd);
        ++prepared;
        ++aux_pending;
      }
    };
    if (cancel_any) {
      cancel(0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
    } else {
      for (unsigned i = 0; i < slots.size(); ++i)
        if (slots[i].state == SlotState::reading) cancel(i, 0);
    }
  }

  // Handles every CQE in the ring (any thread, under mu); returns how many.
  unsigned reap() {
    if (io_uring_cq_has_overflow(ring.get())) (void)io_uring_get_events(ring.get());  // a small ring's backlog
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(ring.get(), head, cqe) {
      handle_cqe(cqe->user_data, cqe->res);
      ++seen;
    }
    io_uring_cq_advance(ring.get(), seen);
    if (seen > 0) submit();  // resubmitted remainders of short reads
    return seen;
  }

  // What the reaper would have done had it run just now: the completions that
  // arrived since the last reap raise R, and a 0 -> >0 transition writes the eventfd.
  void catch_up() {
    const std::size_t before = order.ready();
    if (reap() > 0) sync_eventfd(before);
  }

  // The reaper must wait in the ring only when nobody else will look at the CQ:
  // R = 0 with reads in flight (the owner waits for the eventfd), an owner in
  // wait_quiescent(), or close(). While R > 0 the owner comes back to consume(),
  // which reaps by itself, so the reaper stays parked and completions cost no wakeup.
  bool needs_reaper() const {
    return closing || quiesce_waiters > 0 || (order.ready() == 0 && submitted > 0);
  }

  void wake_reaper() {
    if (reaper_parked && needs_reaper()) reaper_cv.notify_one();
  }

  void finish_reaper() {
    reaper_done = true;
    cv.notify_all();
  }

  void reaper_loop() {
    std::unique_lock lock(mu);
    for (;;) {
      reaper_parked = true;
      reaper_cv.wait(lock, [this] { return needs_reaper(); });
      reaper_parked = false;
      if (closing && submitted == 0 && aux_pending == 0) return finish_reaper();
      lock.unlock();
      // Sleeps until a CQE is posted (returns at once if one is there). The CQ
      // itself is read only under mu, by reap().
      const int ret = io_uring_enter(ring.get()->ring_fd, 0, 1, IORING_ENTER_GETEVENTS, nullptr);
      lock.lock();
      if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY && ret != -ETIME) {
        fail(-ret);
        cqes_lost = submitted > 0;
        return finish_reaper();
      }
      catch_up();
      if (closing && submitted == 0 && aux_pending == 0) return finish_reaper();
      if (submitted == 0) cv.notify_all();
    }
  }

  Snapshot snapshot_locked() const {
    Snapshot s;
    s.ready = order.ready();
    s.held = order.held();
    s.in_flight = in_flight();
    pollfd p{efd.get(), POLLIN, 0};
    s.eventfd_readable = ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
    s.signals = signals;
    s.transitions = transitions;
    s.max_in_flight = max_in_flight;
    s.reordered = order.reordered();
    s.next_offset = order.next_offset();
    s.eof_delivered = eof_delivered;
    s.error = error;
    s.error_delivered = error_delivered;
    return s;
  }
};

ReadinessWrapper::ReadinessWrapper(std::shared_ptr<State> state) : state_(std::move(state)) {}

bool ReadinessWrapper::start_reaper_if_needed() const {
  State& st = *state_;
  if (!st.needs_reaper()) return true;
  if (reaper_.joinable()) {
    st.wake_reaper();
    return true;
  }
  try {
    reaper_ = std::thread([st = state_] { st->reaper_loop(); });  // it waits for mu, held by the caller
    return true;
  } catch (const std::system_error& e) {
    st.fail(e.code().value());  // the owner gets the error after the data already in order
    st.sync_eventfd(0);
    return false;
  }
}

ReadinessWrapper::~ReadinessWrapper() { close(); }

OpenResult ReadinessWrapper::open(int fd, const Options& options) {
  const auto fail = [](OpenStatus status, int err) { return OpenResult{status, err, nullptr}; };
  const auto& o = options;
  if (o.depth < 1 || o.depth > kMaxDepth || o.buffer_size == 0 || o.buffer_size > kMaxBufferSize ||
      o.ring_entries > kMaxRingEntries)
    return fail(OpenStatus::invalid_argument, EINVAL);
  std::optional<std::uint64_t> end;
  if (o.length) {
    if (*o.length > std::numeric_limits<std::uint64_t>::max() - o.start_offset)
      return fail(OpenStatus::invalid_argument, EOVERFLOW);
    end = o.start_offset + *o.length;
  }
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0) return fail(OpenStatus::invalid_argument, errno);
  const bool direct = (fl & O_DIRECT) != 0;
  if (direct && (o.buffer_size % kDirectAlign != 0 || o.start_offset % kDirectAlign != 0 ||
                 (o.length && *o.length % kDirectAlign != 0)))
    return fail(OpenStatus::invalid_argument, EINVAL);

  auto st = std::make_shared<State>(fd, o, end, direct ? kDirectAlign : 1);
  st->direct = direct;
  if (const int ret = st->ring.init(o.ring_entries != 0 ? o.ring_entries : o.depth + 1); ret < 0) {
    // io_uring disabled (sysctl kernel.io_uring_disabled, seccomp, old kernel): a SKIP, not an error.
    const bool unavailable = ret == -ENOSYS || ret == -EPERM || ret == -EACCES;
    return fail(unavailable ? OpenStatus::uring_unavailable : OpenStatus::system_error, -ret);
  }
  const RingFeatures features = ring_features(st->ring.get());
  if (!features.read) return fail(OpenStatus::uring_unavailable, EOPNOTSUPP);  // < 5.6: no probe, no OP_READ
  st->cancel_supported = features.cancel;
  st->cancel_any = features.cancel_any && !o.cancel_by_user_data;

  const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) return fail(OpenStatus::system_error, errno);
  st->efd.reset(efd);

  const std::size_t slots = o.depth + 1;
  if (const int err = st->buffers.map(slots * o.buffer_size); err != 0) return fail(OpenStatus::system_error, err);
  st->slots.resize(slots);
  for (unsigned i = slots; i-- > 0;) st->free_slots.push_back(i);
  // Buffered reads copy from the page cache either way: registering would only add to open().
  if (direct) st->registered = register_buffers(st->ring.get(), st->buffer(0), slots, o.buffer_size);
  st->fixed_file = io_uring_register_files(st->ring.get(), &fd, 1) == 0;  // optional, like the buffers

  std::unique_ptr<ReadinessWrapper> w(new ReadinessWrapper(st));
  std::lock_guard lock(st->mu);
  st->fill();
  st->launch();
  st->sync_eventfd(0);  // an empty range is ready (eof) at once
  if (!w->start_reaper_if_needed()) return fail(OpenStatus::system_error, st->error);
  return OpenResult{OpenStatus::ok, 0, std::move(w)};
}

int ReadinessWrapper::eventfd() const { return state_ ? state_->efd.get() : -1; }

ConsumeResult ReadinessWrapper::consume() {
  ConsumeResult result;
  result.status = Status::done;
  if (!state_) return result;
  State& st = *state_;
  std::lock_guard lock(st.mu);
  st.release_lent();  // the previous view ends here
  st.catch_up();
  const std::size_t old_ready = st.order.ready();
  result.status = Status::would_block;
  result.offset = st.order.next_offset();
  if (st.order.finished()) {
    result.status = Status::done;
  } else if (old_ready > 0) {
    const auto item = st.order.pop();
    result.offset = item.offset;
    switch (item.kind) {
      case InOrderDelivery::Kind::data:
        st.slots[item.tag].state = State::SlotState::lent;
        --st.holding;
        st.lent = item.tag;
        result.status = Status::data;
        result.bytes = {st.buffer(item.tag), item.length};
        break;
      case InOrderDelivery::Kind::eof:
        result.status = Status::eof;
        st.eof_delivered = true;
        break;
      case InOrderDelivery::Kind::error:
        result.status = Status::error;
        result.error = item.error;
        st.error_delivered = true;
        if (st.error == 0) st.error = item.error;
        break;
    }
  }
  st.fill();
  st.launch();  // reads of cached pages complete inside it: R stays > 0, no eventfd traffic
  st.sync_eventfd(old_ready);
  start_reaper_if_needed();
  result.ready = st.order.ready();
  return result;
}

Snapshot ReadinessWrapper::snapshot() const {
  if (!state_) return final_;
  std::lock_guard lock(state_->mu);
  return state_->snapshot_locked();
}

bool ReadinessWrapper::wait_quiescent(std::chrono::milliseconds timeout) const {
  if (!state_) return true;
  State& st = *state_;
  std::unique_lock lock(st.mu);
  st.catch_up();
  if (!st.queued.empty()) {  // quiescent means every read of the pipeline done
    const std::size_t before = st.order.ready();
    st.launch_all();
    st.sync_eventfd(before);
  }
  if (st.submitted > 0 && !st.reaper_done) {
    ++st.quiesce_waiters;
    if (start_reaper_if_needed())
      st.cv.wait_for(lock, timeout, [&] { return st.submitted == 0 || st.reaper_done; });
    --st.quiesce_waiters;
  }
  return st.submitted == 0;
}

CloseStatus ReadinessWrapper::close() {
  if (!state_) return CloseStatus::ok;
  State& st = *state_;
  std::unique_lock lock(st.mu);
  st.catch_up();
  st.closing = true;
  st.queued.clear();  // never submitted: nothing to cancel or wait for
  bool reaped = true;
  // Nothing in flight and no reaper (a stream read to its end from the page cache):
  // nothing to cancel or wait for.
  if (st.submitted > 0 || reaper_.joinable()) {
    st.cancel_in_flight();
    if (io_uring_sqe* sqe = st.get_sqe()) {  // wakes the reaper even with nothing in flight
      io_uring_prep_nop(sqe);
      io_uring_sqe_set_data64(sqe, kWakeUd);
      ++st.prepared;
      ++st.aux_pending;
    }
    st.submit();
    if (start_reaper_if_needed())
      reaped = st.cv.wait_for(lock, st.options.close_timeout, [&] { return st.reaper_done; });
    else
      reaped = false;
    st.cqes_lost = !reaped && !reaper_.joinable() && st.submitted > 0;  // nobody will wait for them
  }
  final_ = st.snapshot_locked();
  final_.closed = true;
  lock.unlock();
  if (reaper_.joinable()) {
    if (reaped)
      reaper_.join();
    else
      reaper_.detach();  // it owns a reference to the state and frees it when the CQEs arrive
  }
  state_.reset();
  return reaped ? CloseStatus::ok : CloseStatus::timed_out;
}

}  // namespace ringside::rwrap
