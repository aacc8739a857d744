// The bytes on their way through one channel (a stream or datagram socket, a pipe), as
// far as the reader can be sure of them. Every write puts pattern bytes of the writer's
// stream at the writer's position (program/pattern.hpp), so a read's bytes say where
// they came from. What the model knows of their order:
//
// - a write that completed (write(2), a fill, an io_uring write whose CQE was seen) lands
//   after every byte written before it: "ordered" bytes;
// - an io_uring write in flight ("floating") reserved its place in the writer's stream
//   when it was submitted, but its bytes may land at any moment until its CQE: after the
//   bytes that were ordered before its submission, interleaved with later ones. Its own
//   bytes stay in order; a short write leaves a gap (the rest never comes). Once its CQE
//   is seen, whatever is written after it comes after all of it.
//
// A read's bytes must parse as runs, each continuing the ordered bytes or one floating
// write where it left off. When readers compete (an io_uring read in flight while
// another read takes bytes), which reader took which bytes is not known: until the
// channel is empty again, each run need only be bytes of this writer's stream that may
// still be unread (`bounded`: checked within bounds). Pure: no syscalls.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringside::model {

class StreamBytes {
 public:
  // What a read's bytes did not match.
  struct Mismatch {
    uint64_t at = 0;       // index of the first byte of the read no allowed source explains
    std::string expected;  // in words
  };

  StreamBytes() = default;
  StreamBytes(uint32_t stream, bool dgram) : stream_(stream), dgram_(dgram) {}
  uint32_t stream() const { return stream_; }
  void set_stream(uint32_t s) { stream_ = s; }

  // A write of n bytes that completed now (at the writer's position, in order).
  void append(uint64_t n);
  // An io_uring write of n bytes submitted now: it reserves its place, and its bytes may
  // land from now on. Returns its id.
  uint32_t begin_write(uint64_t n);
  // Its CQE: `landed` of its n bytes were written (0: refused or failed; the rest of its
  // place stays empty). False if the reader already took more of it than that. A write
  // the writer did not reserve its place for (write(2) on a helper thread: the next
  // write starts where it ended) gives the rest of its place back.
  bool end_write(uint32_t w, uint64_t landed, bool reserved = true);
  // An io_uring read submitted now: it may take bytes from the front at any moment.
  void begin_read();
  // Its CQE, with the bytes it took (none: data empty).
  std::optional<Mismatch> end_read(std::string_view data);
  // A read(2) (one read of a drain) returned these bytes. A datagram read takes a whole
  // message, of which data may be a truncated prefix.
  std::optional<Mismatch> take(std::string_view data);
  // A request whose end will not be seen (its ring was closed): a read may have taken
  // bytes, a write may have put some or all of its bytes.
  void abandon_read();
  void abandon_write(uint32_t w);
  // The reader found nothing to read, with nothing in flight toward it: every byte
  // written was read.
  void observed_empty() { discard_all(); }
  // Everything queued is gone unseen (a datagram socket's queue purged, a race trial's
  // leftover drained by the engine): reading starts afresh at the writer's position.
  void discard_all();

  // Of io_uring write w, the bytes already read.
  uint64_t read_of(uint32_t w) const { return w < read_.floating.size() ? read_.floating[w] : 0; }
  // The whole length of the message the last datagram take() consumed (0 if unknown).
  uint64_t last_message() const { return last_message_; }
  // The stream offset the next read starts at, when the order is plain (nothing in
  // flight, nothing floating unread, not bounded): for machine-readable reports.
  std::optional<uint64_t> next_offset() const;

  // Are reads checked only within bounds (competing readers), until the channel empties?
  bool bounded() const { return bounded_; }
  // Bytes that may still be read: landed or possibly landing, not yet read.
  uint64_t unread_at_most() const;
  // The writer's next stream offset.
  uint64_t writer_pos() const { return pos_; }

 private:
  struct Seg {
    uint64_t off = 0, len = 0;
    std::vector<uint32_t> after;  // floating writes (CQE seen before this was written) that come first
  };
  struct Floating {
    uint64_t off = 0, len = 0;  // its place in the stream; len becomes what landed at its CQE
    uint64_t read = 0;          // of it, bytes already read
    uint64_t after = 0;         // ordered bytes written before it (index into the ordered sequence)
    bool open = true;           // its CQE not seen yet
  };
  // The reading state a parse moves on.
  struct Cursor {
    uint64_t ordered = 0;             // ordered bytes read (absolute index)
    std::vector<uint64_t> floating;   // per floating write, bytes read
  };
  bool parse(std::string_view data, size_t at, Cursor& c, size_t& budget, size_t& reached) const;
  bool take_message(std::string_view data, Cursor& c, uint64_t& whole) const;
  // Ordered byte k (absolute): its stream offset, the bytes contiguous from it, and whether
  // every floating write it waits for was read whole under cursor c.
  bool ordered_at(uint64_t k, const Cursor& c, uint64_t& off, uint64_t& len) const;
  std::optional<Mismatch> bounded_check(std::string_view data) const;
  std::optional<Mismatch> consume(std::string_view data);
  void settle_into_order(uint32_t w);
  void go_bounded();
  void resync_if_empty();

  uint32_t stream_ = 0;
  bool dgram_ = false;
  uint64_t pos_ = 0;                // the writer's next offset
  std::deque<Seg> ordered_;         // ordered segments, from index base_
  uint64_t base_ = 0;               // absolute index of ordered_.front()'s first byte
  uint64_t ordered_total_ = 0;      // ordered bytes written (absolute index of the next)
  Cursor read_;                     // what was read
  std::vector<Floating> floating_;  // io_uring writes, by id
  uint32_t readers_ = 0;            // io_uring reads in flight
  bool bounded_ = false;
  uint64_t bounded_lo_ = 0;           // bounded: lowest stream offset that may be unread
  uint64_t bounded_unread_ = 0;       // bounded: bytes that may be unread (an upper bound)
  uint64_t last_message_ = 0;
};

}  // namespace ringside::model
