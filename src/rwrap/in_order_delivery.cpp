#include "rwrap/in_order_delivery.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace ringside::rwrap {

InOrderDelivery::InOrderDelivery(std::uint64_t start, std::optional<std::uint64_t> end,
                                 std::uint32_t chunk_size, std::uint32_t alignment)
    : start_(start), end_(end), chunk_size_(chunk_size), alignment_(alignment), next_offset_(start) {
  if (chunk_size == 0 || alignment == 0) throw std::invalid_argument("InOrderDelivery: zero size");
  if (end_ && *end_ <= start_) {
    end_ = start_;
    push_terminal(State::eof, 0);  // empty range: the stream is just eof
  }
}

std::optional<InOrderDelivery::Read> InOrderDelivery::begin_chunk(std::uint32_t tag) {
  if (terminal_ || finished_) return std::nullopt;
  const std::uint64_t offset = start_ + issued_ * chunk_size_;
  std::uint32_t length = chunk_size_;
  if (end_) length = static_cast<std::uint32_t>(std::min<std::uint64_t>(length, *end_ - offset));
  const std::uint64_t index = issued_++;
  chunks_.push_back(Chunk{offset, length, tag});
  // Knowing the end of the range up front stops begin_chunk() from reading past it.
  if (end_ && offset + length == *end_) push_terminal(State::eof, 0);
  return Read{index, offset, length, 0};
}

void InOrderDelivery::set_tag(std::uint64_t chunk, std::uint32_t tag) {
  if (Chunk* c = find(chunk)) c->tag = tag;
}

InOrderDelivery::Completion InOrderDelivery::complete(std::uint64_t chunk, std::int64_t result) {
  Chunk* c = find(chunk);
  if (c == nullptr || c->state != State::reading) return {Next::release, {}};  // dropped
  if (chunk > frontier_) ++reordered_;  // the chunk at frontier_ is still being read

  if (result == -EINTR || result == -EAGAIN) return {Next::resubmit, rest_of(chunk, *c)};
  if (result < 0) {
    c->state = State::error;
    c->error = static_cast<int>(-result);
    set_terminal(chunk);
  } else {
    const auto reached =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(c->requested_from + static_cast<std::uint64_t>(result), c->length));
    const bool progress = reached > c->filled;
    if (progress) c->filled = reached;
    if (c->filled == c->length) {
      c->state = State::full;
    } else if (progress) {
      return {Next::resubmit, rest_of(chunk, *c)};
    } else {
      c->state = State::eof;  // no new byte: the file ends at c->filled
      set_terminal(chunk);
    }
  }
  const bool has_data = c->filled > 0;
  advance_frontier();
  return {has_data ? Next::keep : Next::release, {}};
}

void InOrderDelivery::abort(int error) {
  if (finished_ || (terminal_ && frontier_ > *terminal_)) return;  // terminal already ready
  const std::uint64_t i = frontier_ - head_;
  if (i < chunks_.size()) {  // the frontier chunk is still being read: it becomes the error
    Chunk& c = chunks_[i];
    c.state = State::error;
    c.error = error;
    c.filled = 0;  // its buffer may still be written by the read in flight
    set_terminal(frontier_);
    advance_frontier();
  } else {
    push_terminal(State::error, error);
  }
}

InOrderDelivery::Item InOrderDelivery::pop() {
  if (ready_ == 0) throw std::logic_error("InOrderDelivery::pop with nothing ready");
  Chunk& c = chunks_.front();
  --ready_;
  if (!c.data_popped && c.filled > 0) {
    const Item item{Kind::data, c.offset, c.filled, 0, c.tag};
    next_offset_ = c.offset + c.filled;
    if (c.state == State::full) {
      chunks_.pop_front();
      ++head_;
    } else {
      c.data_popped = true;  // the terminal of this chunk comes next
    }
    return item;
  }
  const Item item{c.state == State::eof ? Kind::eof : Kind::error, c.offset + c.filled, 0, c.error, 0};
  finished_ = true;
  chunks_.clear();
  return item;
}

std::size_t InOrderDelivery::held() const {
  std::size_t n = 0;
  for (std::uint64_t i = frontier_ - head_; i < chunks_.size(); ++i)
    if (chunks_[i].state != State::reading) ++n;
  return n;
}

InOrderDelivery::Chunk* InOrderDelivery::find(std::uint64_t chunk) {
  if (chunk < head_ || chunk - head_ >= chunks_.size()) return nullptr;
  return &chunks_[chunk - head_];
}

void InOrderDelivery::push_terminal(State state, int error) {
  std::uint64_t offset = start_ + issued_ * chunk_size_;
  if (end_) offset = std::min(offset, *end_);
  chunks_.push_back(Chunk{offset, 0, 0});
  chunks_.back().state = state;
  chunks_.back().error = error;
  set_terminal(issued_++);
  advance_frontier();
}

void InOrderDelivery::set_terminal(std::uint64_t chunk) {
  if (terminal_ && *terminal_ <= chunk) return;
  terminal_ = chunk;
  chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(chunk - head_ + 1), chunks_.end());
}

void InOrderDelivery::advance_frontier() {
  while (frontier_ - head_ < chunks_.size()) {
    const Chunk& c = chunks_[frontier_ - head_];
    if (c.state == State::reading) return;
    ++frontier_;
    if (c.state == State::full) {
      ++ready_;
      continue;
    }
    ready_ += (c.filled > 0 ? 1 : 0) + 1;  // its data, then the terminal item
    return;
  }
}

InOrderDelivery::Read InOrderDelivery::rest_of(std::uint64_t chunk, Chunk& c) {
  c.requested_from = c.filled / alignment_ * alignment_;
  return Read{chunk, c.offset + c.requested_from, c.length - c.requested_from, c.requested_from};
}

}  // namespace ringside::rwrap
