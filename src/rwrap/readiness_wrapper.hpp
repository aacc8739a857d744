// ReadinessWrapper: readiness over completion for a disk file.
//
// A regular file is never "not ready" to epoll, so an event loop cannot wait
// for disk data the way it waits for a socket. This component reads the file
// ahead through its own io_uring and turns the completions back into readiness:
//
//   - It keeps up to D reads (the pipeline depth) of `buffer_size` bytes in
//     flight. A buffer whose read completed stays in the pipeline until it is
//     consumed, so reads in flight + completed-unconsumed buffers <= D.
//     "In flight" is begun: submitted to the ring, or queued in the wrapper
//     until the device needs it. A read of cached pages completes at once, so
//     reading far ahead would only fill buffers long before the owner reads
//     them (out of the CPU caches by then). While reads complete at once and
//     R > 0, the wrapper starts one per consume(), with preadv2(RWF_NOWAIT)
//     on the calling thread (what io_uring does inside the submit for cached
//     pages, without its cost per request; O_DIRECT fds always use the ring);
//     as soon as one would block, or R drops to 0, it submits every queued
//     read to the ring (all D go to the device), then batches of D/4. The testing knobs async_reads and
//     scramble_seed submit every read at once, and consume() leaves what
//     completed inside its submit to the next call or the reaper.
//   - R is the number of items consume() can hand out right now, in file
//     order: completed buffers with no unfinished read before them, plus the
//     final eof/error item once everything before it is ready. A buffer that
//     completed ahead of an earlier read is "held" and not counted in R, so
//     readiness always means consume() will not return would_block (an epoll
//     LT loop never spins).
//   - eventfd() is readable iff R > 0. It is written once when R goes 0 -> >0
//     and read (reset) by consume() when R drops to 0. Wait on it with epoll
//     LT or ET, exactly like a socket; with ET, consume until would_block.
//   - consume() hands out the next item in file order and begins the next
//     read so the pipeline stays full until end of file. Data are delivered
//     with no gap and no duplicate (completions are re-sequenced by offset,
//     short reads are completed by reading the rest); eof or an error comes
//     exactly once, after all data before it, then consume() returns done.
//
// Threads: completions are reaped under one mutex, by whichever thread looks
// first. consume() reaps itself, before it pops (what completed since the last
// call) and after it submits, so while the consumer keeps up with a warm cache R
// never drops to 0 and no other thread or eventfd system call is involved. A reaper thread, started the
// first time it is needed, waits in io_uring_enter only while someone depends on
// it: R = 0 with reads in flight (the owner waits for the eventfd), an owner in
// wait_quiescent(), or close(); otherwise it is parked on a condition variable
// and completions wake nobody. R, the eventfd, the reads in flight and the
// counters change only under the mutex, so snapshot() is a consistent view (it
// does not reap: a completion not yet reaped still counts as in flight). Only
// consume() lowers R; reaping anywhere only raises it. The owner calls
// consume()/snapshot()/close() from one thread at a time.
//
// Buffers are one anonymous mapping (transparent huge pages when it spans
// 2 MiB, reused from the wrapper closed before: buffer_memory.hpp). For an
// O_DIRECT fd they are registered with the ring when the kernel
// and RLIMIT_MEMLOCK allow (READ_FIXED: no page pinning per read).
//
// The wrapper does not own the file descriptor: keep it open until close().
// An O_DIRECT fd is detected (F_GETFL); then buffer_size, start_offset and
// length must be multiples of 4096 (buffers are always 4096-aligned).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <thread>

namespace ringside::rwrap {

struct Options {
  unsigned depth = 8;                       // D, 1..256
  std::uint32_t buffer_size = 128 * 1024;   // bytes per read, 1..1 GiB
  std::uint64_t start_offset = 0;           // first byte delivered
  std::optional<std::uint64_t> length;      // deliver at most this many bytes, then eof
  bool async_reads = false;                 // IOSQE_ASYNC on every read (forces io-wq)
  unsigned ring_entries = 0;                // SQ size; 0 = depth + 1
  // Testing knob for out-of-order completions: when set, each batch of reads
  // is submitted in a shuffled order (seeded) and every read gets IOSQE_ASYNC
  // with probability 1/2, so inline (page-cache) and io-wq completions mix.
  std::optional<std::uint64_t> scramble_seed;
  // Testing knob: cancel reads one by one (by user_data) at close even when the
  // kernel supports IORING_ASYNC_CANCEL_ANY | ALL.
  bool cancel_by_user_data = false;
  std::chrono::milliseconds close_timeout{5000};  // deadline for the CQEs at close
};

enum class OpenStatus {
  ok,
  invalid_argument,   // bad options, or not a readable fd
  uring_unavailable,  // io_uring_setup refused (ENOSYS/EPERM: sysctl, seccomp) or no IORING_OP_READ: SKIP
  system_error,       // any other failure (EMFILE, ENOMEM, ...): environment error
};

enum class Status {
  data,         // `bytes` at `offset`
  would_block,  // nothing in order yet (R == 0)
  eof,          // end of file (or of `length`) at `offset`; reported once
  error,        // read failed at `offset` with `error` (errno); reported once
  done,         // eof/error was already reported, or the wrapper is closed
};

struct ConsumeResult {
  Status status = Status::done;
  std::uint64_t offset = 0;
  // Status::data only: a view of the wrapper's buffer, valid until the next
  // consume() or close() call (the buffer is then recycled for a new read).
  std::span<const std::byte> bytes;
  int error = 0;
  // R right after this call, read under the same lock as the pop: 0 means the eventfd was
  // just reset (or stays unreadable), so an ET consumer may stop here and wait for the
  // next edge; > 0 means another consume() returns an item at once.
  std::size_t ready = 0;
};

struct Snapshot {
  std::size_t ready = 0;       // R
  std::size_t held = 0;        // completed ahead of an earlier read (not in R)
  unsigned in_flight = 0;      // reads begun: queued, or submitted and their completion not reaped yet
  bool eventfd_readable = false;  // poll() with timeout 0, under the lock
  std::uint64_t signals = 0;      // eventfd writes
  std::uint64_t transitions = 0;  // R went 0 -> >0
  unsigned max_in_flight = 0;     // ever observed; <= depth
  std::uint64_t reordered = 0;    // completions that overtook an earlier read
  std::uint64_t next_offset = 0;  // next file offset consume() will deliver
  bool eof_delivered = false;
  int error = 0;                  // errno of a read error or internal failure, 0 if none
  bool error_delivered = false;
  bool closed = false;
};

enum class CloseStatus {
  ok,
  // Some CQEs did not arrive before close_timeout. The reaper thread is
  // detached and keeps the ring and buffers alive until they do.
  timed_out,
};

class ReadinessWrapper;

struct OpenResult {
  OpenStatus status;
  int error;  // errno for anything but ok
  std::unique_ptr<ReadinessWrapper> wrapper;  // set iff status == ok
};

class ReadinessWrapper {
 public:
  static OpenResult open(int fd, const Options& options);

  ReadinessWrapper(const ReadinessWrapper&) = delete;
  ReadinessWrapper& operator=(const ReadinessWrapper&) = delete;
  ~ReadinessWrapper();

  int eventfd() const;  // -1 after close()
  ConsumeResult consume();
  Snapshot snapshot() const;  // after close(): the last state, closed = true

  // Submits the queued reads, then waits until no read is in flight (every read
  // of the pipeline has completed) or the timeout passes; returns whether it got there. For tests and oracles
  // that want a quiet point to observe.
  bool wait_quiescent(std::chrono::milliseconds timeout) const;

  // Cancels the reads in flight, waits for every CQE (until close_timeout;
  // with nothing in flight and no reaper started it waits for nothing),
  // joins the reaper, frees the buffers, closes the ring and the eventfd.
  // Idempotent; the destructor calls it.
  CloseStatus close();

  struct State;  // shared with the reaper thread

 private:
  explicit ReadinessWrapper(std::shared_ptr<State> state);
  // Starts the reaper the first time it is needed (R = 0 with reads in flight,
  // wait_quiescent, close), else wakes it if it is parked. Call with the lock held.
  // False if the thread could not be started (the stream then ends with that error).
  bool start_reaper_if_needed() const;

  std::shared_ptr<State> state_;
  mutable std::thread reaper_;
  Snapshot final_;
};

}  // namespace ringside::rwrap
