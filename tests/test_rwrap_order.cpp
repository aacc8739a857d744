// InOrderDelivery without a kernel: reads are "completed" by a fake in a chosen
// order (in order, reversed, seeded shuffle), short, interrupted or failing.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "rwrap/in_order_delivery.hpp"

using ringside::rwrap::InOrderDelivery;
using Kind = InOrderDelivery::Kind;
using Next = InOrderDelivery::Next;

namespace {

std::uint8_t content_at(std::uint64_t offset) { return static_cast<std::uint8_t>(offset * 131 + 7); }

enum class Order { fifo, reversed, shuffled };

struct Params {
  std::uint64_t file_size = 0;
  std::uint64_t start = 0;
  std::optional<std::uint64_t> end;
  std::uint32_t chunk = 16;
  std::uint32_t align = 1;
  unsigned depth = 4;
  Order order = Order::shuffled;
  bool short_reads = false;
  bool eintr = false;
  std::optional<std::uint64_t> bad_byte;  // reads covering it fail with EIO (if inside the file)
  std::uint64_t seed = 1;
};

struct Outcome {
  std::vector<InOrderDelivery::Item> items;
  bool content_ok = true;
  std::uint64_t reordered = 0;
};

// Drives InOrderDelivery like the wrapper does: at most `depth` buffers (reading
// or holding), the fake completes reads in the chosen order, the consumer pops
// at random moments. Buffers carry bytes so resubmissions into the wrong place
// would show up as wrong content.
Outcome run(const Params& p) {
  InOrderDelivery order(p.start, p.end, p.chunk, p.align);
  std::mt19937_64 rng(p.seed);
  struct Buffer {
    std::uint64_t chunk;
    std::uint64_t chunk_offset;
    bool reading;
    std::vector<std::uint8_t> bytes;
  };
  std::map<std::uint32_t, Buffer> buffers;
  std::vector<std::pair<std::uint32_t, InOrderDelivery::Read>> pending;
  std::uint32_t next_tag = 0;
  Outcome out;

  const auto fill = [&] {
    while (buffers.size() < p.depth) {
      const auto read = order.begin_chunk(next_tag);
      if (!read) break;
      REQUIRE(read->into == 0);
      REQUIRE(read->length > 0);
      REQUIRE(read->length <= p.chunk);
      buffers[next_tag] = Buffer{read->chunk, read->offset, true, std::vector<std::uint8_t>(p.chunk, 0xEE)};
      pending.emplace_back(next_tag++, *read);
    }
  };
  const auto fake_read = [&](const InOrderDelivery::Read& r) -> std::int64_t {
    if (p.eintr && rng() % 8 == 0) return -EINTR;
    if (p.bad_byte && *p.bad_byte < p.file_size && *p.bad_byte >= r.offset && *p.bad_byte < r.offset + r.length)
      return -EIO;
    std::uint64_t n = p.file_size > r.offset ? std::min<std::uint64_t>(r.length, p.file_size - r.offset) : 0;
    if (p.short_reads && n > 1 && rng() % 3 == 0) {
      std::uint64_t cut = 1 + rng() % (n - 1);
      cut = cut / p.align * p.align;  // like O_DIRECT: a short read stops on a block boundary
      if (cut > 0) n = cut;
    }
    return static_cast<std::int64_t>(n);
  };

  fill();
  for (int steps = 0; !order.finished(); ++steps) {
    REQUIRE(steps < 1'000'000);
    if (order.ready() > 0 && (pending.empty() || rng() % 3 == 0)) {
      const auto item = order.pop();
      out.items.push_back(item);
      if (item.kind == Kind::data) {
        const Buffer& b = buffers.at(item.tag);
        REQUIRE(!b.reading);
        REQUIRE(item.offset == b.chunk_offset);
        for (std::uint32_t i = 0; i < item.length; ++i)
          if (b.bytes[i] != content_at(item.offset + i)) out.content_ok = false;
        buffers.erase(item.tag);
      }
      fill();
      continue;
    }
    REQUIRE(!pending.empty());  // nothing ready and nothing in flight would be a stall
    std::size_t i = 0;
    if (p.order == Order::reversed) i = pending.size() - 1;
    if (p.order == Order::shuffled) i = rng() % pending.size();
    const auto [tag, read] = pending[i];
    pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
    Buffer& b = buffers.at(tag);
    REQUIRE(read.offset == b.chunk_offset + read.into);
    REQUIRE(read.into + read.length <= p.chunk);
    const std::int64_t res = fake_read(read);
    for (std::int64_t k = 0; k < res; ++k) b.bytes[read.into + k] = content_at(read.offset + k);
    const auto done = order.complete(read.chunk, res);
    switch (done.next) {
      case Next::resubmit:
        REQUIRE(done.read.chunk == read.chunk);
        pending.emplace_back(tag, done.read);
        break;
      case Next::keep: b.reading = false; break;
      case Next::release: buffers.erase(tag); break;
    }
    if (const auto t = order.terminal_chunk())  // the wrapper frees completed buffers past the end
      std::erase_if(buffers, [&](const auto& kv) { return !kv.second.reading && kv.second.chunk > *t; });
  }
  CHECK(order.ready() == 0);
  CHECK(!order.begin_chunk(next_tag));
  for (const auto& [tag, read] : pending) CHECK(order.complete(read.chunk, 0).next == Next::release);
  out.reordered = order.reordered();
  return out;
}

// Checks the stream: data contiguous from start, then one terminal where expected.
void check_stream(const Params& p, const Outcome& out) {
  REQUIRE(!out.items.empty());
  CHECK(out.content_ok);
  std::uint64_t at = p.start;
  for (std::size_t i = 0; i + 1 < out.items.size(); ++i) {
    const auto& item = out.items[i];
    REQUIRE(item.kind == Kind::data);
    CHECK(item.offset == at);
    CHECK(item.length > 0);
    at = item.offset + item.length;
  }
  const auto& last = out.items.back();
  CHECK(last.offset == at);
  const std::uint64_t end = std::max(p.start, std::min(p.file_size, p.end.value_or(UINT64_MAX)));
  if (p.bad_byte && *p.bad_byte >= p.start && *p.bad_byte < end) {
    REQUIRE(last.kind == Kind::error);
    CHECK(last.error == EIO);
    const std::uint64_t chunk_start = p.start + (*p.bad_byte - p.start) / p.chunk * p.chunk;
    CHECK(last.offset >= chunk_start);
    CHECK(last.offset <= *p.bad_byte);
  } else {
    REQUIRE(last.kind == Kind::eof);
    CHECK(last.offset == end);
  }
}

}  // namespace

TEST_CASE("rwrap order: reversed completions are delivered in file order", "[rwrap][order]") {
  InOrderDelivery order(0, std::nullopt, 10);
  std::vector<InOrderDelivery::Read> reads;
  for (std::uint32_t tag = 0; tag < 4; ++tag) reads.push_back(*order.begin_chunk(tag));
  for (int i = 3; i >= 1; --i) CHECK(order.complete(reads[i].chunk, 10).next == Next::keep);
  CHECK(order.ready() == 0);
  CHECK(order.held() == 3);
  CHECK(order.reordered() == 3);
  CHECK(order.complete(reads[0].chunk, 10).next == Next::keep);
  CHECK(order.ready() == 4);
  CHECK(order.held() == 0);
  for (std::uint32_t tag = 0; tag < 4; ++tag) {
    const auto item = order.pop();
    CHECK(item.kind == Kind::data);
    CHECK(item.tag == tag);
    CHECK(item.offset == tag * 10u);
    CHECK(item.length == 10u);
  }
  CHECK(order.ready() == 0);
  CHECK(order.next_offset() == 40);
}

TEST_CASE("rwrap order: short read then eof in the middle of the pipeline", "[rwrap][order]") {
  // File of 25 bytes, chunks of 10: chunk 2 is short, chunk 3 lies past the end.
  InOrderDelivery order(0, std::nullopt, 10);
  std::vector<InOrderDelivery::Read> r;
  for (std::uint32_t tag = 0; tag < 4; ++tag) r.push_back(*order.begin_chunk(tag));
  CHECK(order.complete(r[3].chunk, 0).next == Next::release);  // eof at 30, no data
  const auto rest = order.complete(r[2].chunk, 3);
  REQUIRE(rest.next == Next::resubmit);
  CHECK(rest.read.offset == 23);
  CHECK(rest.read.length == 7);
  CHECK(rest.read.into == 3);
  CHECK(order.complete(r[2].chunk, 2).next == Next::resubmit);      // 25 reached
  CHECK(order.complete(r[2].chunk, 0).next == Next::keep);          // eof at 25 wins over 30
  CHECK(order.terminal_chunk() == std::optional<std::uint64_t>{2});
  CHECK(order.ready() == 0);
  CHECK(order.complete(r[0].chunk, 10).next == Next::keep);
  CHECK(order.ready() == 1);
  CHECK(order.complete(r[1].chunk, 10).next == Next::keep);
  REQUIRE(order.ready() == 4);  // 3 data + eof
  CHECK(order.pop().offset == 0);
  CHECK(order.pop().offset == 10);
  const auto tail = order.pop();
  CHECK(tail.kind == Kind::data);
  CHECK(tail.offset == 20);
  CHECK(tail.length == 5);
  const auto eof = order.pop();
  CHECK(eof.kind == Kind::eof);
  CHECK(eof.offset == 25);
  CHECK(order.finished());
  CHECK(order.ready() == 0);
  CHECK(!order.begin_chunk(9));
}

TEST_CASE("rwrap order: an error in the middle drops everything after it", "[rwrap][order]") {
  InOrderDelivery order(100, std::nullopt, 10);
  std::vector<InOrderDelivery::Read> r;
  for (std::uint32_t tag = 0; tag < 3; ++tag) r.push_back(*order.begin_chunk(tag));
  CHECK(order.complete(r[2].chunk, 10).next == Next::keep);
  CHECK(order.complete(r[1].chunk, 4).next == Next::resubmit);
  CHECK(order.complete(r[1].chunk, -EIO).next == Next::keep);  // 4 bytes to deliver first
  CHECK(order.terminal_chunk() == std::optional<std::uint64_t>{1});
  CHECK(!order.begin_chunk(7));  // no reads past a known end
  CHECK(order.complete(r[0].chunk, 10).next == Next::keep);
  REQUIRE(order.ready() == 3);
  CHECK(order.pop().offset == 100);
  const auto partial = order.pop();
  CHECK(partial.offset == 110);
  CHECK(partial.length == 4);
  const auto err = order.pop();
  CHECK(err.kind == Kind::error);
  CHECK(err.error == EIO);
  CHECK(err.offset == 114);
  CHECK(order.finished());
}

TEST_CASE("rwrap order: EINTR and EAGAIN read the same range again", "[rwrap][order]") {
  InOrderDelivery order(0, std::nullopt, 10);
  const auto r = *order.begin_chunk(0);
  for (const int err : {EINTR, EAGAIN}) {
    const auto again = order.complete(r.chunk, -err);
    REQUIRE(again.next == Next::resubmit);
    CHECK(again.read.offset == 0);
    CHECK(again.read.length == 10);
  }
  CHECK(order.complete(r.chunk, 10).next == Next::keep);
  CHECK(order.ready() == 1);
}

TEST_CASE("rwrap order: O_DIRECT alignment resubmits from a block boundary", "[rwrap][order]") {
  // Blocks of 4, chunks of 8, file of 13 bytes.
  InOrderDelivery order(0, std::nullopt, 8, 4);
  const auto r0 = *order.begin_chunk(0);
  const auto r1 = *order.begin_chunk(1);
  CHECK(order.complete(r0.chunk, 8).next == Next::keep);
  const auto rest = order.complete(r1.chunk, 5);  // stops at 13, not block aligned
  REQUIRE(rest.next == Next::resubmit);
  CHECK(rest.read.offset == 12);
  CHECK(rest.read.into == 4);
  CHECK(rest.read.length == 4);
  CHECK(order.complete(r1.chunk, 1).next == Next::keep);  // nothing new past 13: eof
  REQUIRE(order.ready() == 3);
  order.pop();
  const auto tail = order.pop();
  CHECK(tail.offset == 8);
  CHECK(tail.length == 5);
  const auto eof = order.pop();
  CHECK(eof.kind == Kind::eof);
  CHECK(eof.offset == 13);
}

TEST_CASE("rwrap order: a length limit ends the stream without reading past it", "[rwrap][order]") {
  InOrderDelivery order(5, 23, 10);
  const auto a = *order.begin_chunk(0);
  const auto b = *order.begin_chunk(1);
  CHECK(a.offset == 5);
  CHECK(a.length == 10);
  CHECK(b.offset == 15);
  CHECK(b.length == 8);
  CHECK(!order.begin_chunk(2));
  CHECK(order.complete(b.chunk, 8).next == Next::keep);
  CHECK(order.complete(a.chunk, 10).next == Next::keep);
  REQUIRE(order.ready() == 3);
  order.pop();
  order.pop();
  const auto eof = order.pop();
  CHECK(eof.kind == Kind::eof);
  CHECK(eof.offset == 23);
}

TEST_CASE("rwrap order: an empty range is just eof, ready at once", "[rwrap][order]") {
  InOrderDelivery order(7, 7, 10);
  CHECK(order.ready() == 1);
  CHECK(!order.begin_chunk(0));
  const auto eof = order.pop();
  CHECK(eof.kind == Kind::eof);
  CHECK(eof.offset == 7);
  CHECK(order.finished());
}

TEST_CASE("rwrap order: abort ends the stream at the first unsettled byte", "[rwrap][order]") {
  SECTION("with a read in flight at the head") {
    InOrderDelivery order(0, std::nullopt, 10);
    const auto r0 = *order.begin_chunk(0);
    const auto r1 = *order.begin_chunk(1);
    CHECK(order.complete(r0.chunk, 10).next == Next::keep);
    CHECK(order.complete(r1.chunk, 3).next == Next::resubmit);
    order.abort(ENOMEM);
    CHECK(order.complete(r1.chunk, 7).next == Next::release);  // its late completion is dropped
    REQUIRE(order.ready() == 2);
    CHECK(order.pop().kind == Kind::data);
    const auto err = order.pop();
    CHECK(err.kind == Kind::error);
    CHECK(err.offset == 10);
    CHECK(err.error == ENOMEM);
  }
  SECTION("with nothing in flight") {
    InOrderDelivery order(0, std::nullopt, 10);
    const auto r0 = *order.begin_chunk(0);
    CHECK(order.complete(r0.chunk, 10).next == Next::keep);
    order.abort(EBUSY);
    REQUIRE(order.ready() == 2);
    order.pop();
    const auto err = order.pop();
    CHECK(err.kind == Kind::error);
    CHECK(err.offset == 10);
    order.abort(EIO);  // no second terminal
    CHECK(order.ready() == 0);
  }
}

TEST_CASE("rwrap order: fixed shapes in every completion order", "[rwrap][order]") {
  for (const Order o : {Order::fifo, Order::reversed, Order::shuffled}) {
    for (const std::uint64_t size : {0u, 1u, 15u, 16u, 17u, 100u, 161u}) {
      Params p;
      p.file_size = size;
      p.order = o;
      p.depth = 5;
      INFO("order " << static_cast<int>(o) << " size " << size);
      check_stream(p, run(p));
    }
  }
}

TEST_CASE("rwrap order: seeded random shapes (short reads, EINTR, errors, limits, alignment)", "[rwrap][order]") {
  std::uint64_t reordered = 0;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    std::mt19937_64 rng(seed);
    Params p;
    p.seed = seed;
    p.align = rng() % 2 ? 4 : 1;
    p.chunk = p.align * static_cast<std::uint32_t>(1 + rng() % 16);
    p.depth = static_cast<unsigned>(1 + rng() % 12);
    p.file_size = rng() % 600;
    p.start = rng() % 3 == 0 ? (rng() % 100) / p.align * p.align : 0;
    if (rng() % 3 == 0) p.end = p.start + (rng() % 500) / p.align * p.align;
    p.order = rng() % 3 == 0 ? Order::reversed : Order::shuffled;
    p.short_reads = rng() % 2;
    p.eintr = rng() % 4 == 0;
    if (rng() % 3 == 0) p.bad_byte = p.start + rng() % 600;
    INFO("seed " << seed << " size " << p.file_size << " chunk " << p.chunk << " align " << p.align << " depth "
                 << p.depth << " start " << p.start << " end " << p.end.value_or(0));
    const Outcome out = run(p);
    check_stream(p, out);
    reordered += out.reordered;
  }
  CHECK(reordered > 0);  // the fake really completed out of order
}
