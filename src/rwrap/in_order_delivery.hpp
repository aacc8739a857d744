// InOrderDelivery: the pure (no syscalls) bookkeeping behind the readiness
// wrapper. The file range [start, end) is cut into fixed-size chunks; reads of
// those chunks may complete in any order, short, or with an error, and this
// class turns them into one stream of items in file order:
//
//   data(offset, length) ... data  then exactly one terminal item: eof or error.
//
// Rules it enforces:
// - No gap, no duplicate: an item is ready only when every byte before it has
//   been delivered or is itself ready.
// - A short read asks for the rest of its chunk (from the last byte received,
//   rounded down to `alignment` for O_DIRECT); a read that returns no new byte
//   means end of file at the last byte received.
// - -EINTR / -EAGAIN ask to read the same rest again; other negative results are
//   an error at that chunk. Data before an eof/error is still delivered first.
// - The earliest terminal (in file order) wins; chunks after it are dropped and
//   their late completions are answered with `release`.
//
// ready() is the wrapper's R: the number of items pop() can return right now.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace ringside::rwrap {

class InOrderDelivery {
 public:
  // A read to submit: `length` bytes at file `offset` into the chunk's buffer at `into`.
  struct Read {
    std::uint64_t chunk;
    std::uint64_t offset;
    std::uint32_t length;
    std::uint32_t into;
  };

  // What to do with a chunk's buffer after one of its reads completed.
  enum class Next {
    resubmit,  // submit `read` (the rest of the chunk) into the same buffer
    keep,      // the buffer holds bytes waiting to be delivered
    release,   // the buffer is no longer needed
  };
  struct Completion {
    Next next;
    Read read;  // meaningful only for resubmit
  };

  enum class Kind { data, eof, error };
  struct Item {
    Kind kind;
    std::uint64_t offset;  // data: first byte; eof/error: where the stream ends
    std::uint32_t length;  // data only
    int error;             // error only: errno
    std::uint32_t tag;     // data only: the tag given to begin_chunk()
  };

  // `end` absent: read until the file says end of file.
  InOrderDelivery(std::uint64_t start, std::optional<std::uint64_t> end, std::uint32_t chunk_size,
                  std::uint32_t alignment = 1);

  // Starts the next chunk and returns its first read, or nothing when no more
  // chunks are needed (end of range reached, or a terminal is already known).
  // `tag` is returned with the chunk's data item (the wrapper's buffer slot).
  std::optional<Read> begin_chunk(std::uint32_t tag);

  // Changes the tag of a chunk that has not completed (the wrapper picks a
  // chunk's buffer only when it submits the read). Nothing if the chunk is gone.
  void set_tag(std::uint64_t chunk, std::uint32_t tag);

  // A read of `chunk` finished with `result` (bytes, or -errno).
  Completion complete(std::uint64_t chunk, std::int64_t result);

  // Ends the stream with `error` at the first byte not yet settled (used when the
  // wrapper cannot submit). Pending partial data of that chunk is dropped.
  void abort(int error);

  Item pop();  // precondition: ready() > 0

  std::size_t ready() const { return ready_; }
  std::size_t held() const;  // settled chunks waiting behind an unsettled earlier one
  bool finished() const { return finished_; }  // the terminal item was popped
  // The chunk that ends the stream, once known; later chunks are dropped.
  std::optional<std::uint64_t> terminal_chunk() const { return terminal_; }
  std::uint64_t next_offset() const { return next_offset_; }  // next byte to deliver
  std::uint64_t reordered() const { return reordered_; }  // completions that overtook an earlier read

 private:
  enum class State { reading, full, eof, error };
  struct Chunk {
    std::uint64_t offset;
    std::uint32_t length;
    std::uint32_t tag;
    std::uint32_t filled = 0;          // bytes received from the chunk's start
    std::uint32_t requested_from = 0;  // where the read in flight starts, relative
    State state = State::reading;
    int error = 0;
    bool data_popped = false;
  };

  Chunk* find(std::uint64_t chunk);
  void push_terminal(State state, int error);
  void set_terminal(std::uint64_t chunk);
  void advance_frontier();
  Read rest_of(std::uint64_t chunk, Chunk& c);

  std::uint64_t start_;
  std::optional<std::uint64_t> end_;
  std::uint32_t chunk_size_;
  std::uint32_t alignment_;

  std::deque<Chunk> chunks_;      // chunks_[i] is chunk number head_ + i
  std::uint64_t head_ = 0;        // first chunk not fully popped
  std::uint64_t issued_ = 0;      // chunks begun so far
  std::uint64_t frontier_ = 0;    // first chunk whose items are not counted in ready_
  std::optional<std::uint64_t> terminal_;  // earliest chunk that ends the stream
  std::size_t ready_ = 0;
  bool finished_ = false;
  std::uint64_t next_offset_;
  std::uint64_t reordered_ = 0;
};

}  // namespace ringside::rwrap
