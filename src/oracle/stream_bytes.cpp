#include "oracle/stream_bytes.hpp"

#include <algorithm>

#include "program/pattern.hpp"

namespace ringside::model {
namespace {
// Parse steps one read may spend finding how its bytes interleave; beyond, the channel is
// checked within bounds until it empties.
constexpr size_t kParseBudget = 4096;
// A bounded check searches this many stream offsets for each run at most.
constexpr uint64_t kLooseWindow = 1 << 20;

// How many bytes of data, from `at`, are pattern bytes of stream s from offset off (at
// most len).
uint64_t run_length(uint32_t s, uint64_t off, std::string_view data, size_t at, uint64_t len) {
  std::string_view d = data.substr(at, static_cast<size_t>(std::min<uint64_t>(len, data.size() - at)));
  size_t bad = first_mismatch(s, off, d);
  return bad == std::string_view::npos ? d.size() : bad;
}
}  // namespace

void StreamBytes::append(uint64_t n) {
  if (n == 0) return;
  Seg s{pos_, n, {}};
  // Floating writes whose CQE was seen landed whole before this write.
  for (uint32_t f = 0; f < floating_.size(); ++f)
    if (!floating_[f].open && read_.floating[f] < floating_[f].len) s.after.push_back(f);
  ordered_.push_back(std::move(s));
  ordered_total_ += n;
  pos_ += n;
  if (bounded_) bounded_unread_ += n;
}

uint32_t StreamBytes::begin_write(uint64_t n) {
  floating_.push_back({pos_, n, 0, ordered_total_, true});
  read_.floating.push_back(0);
  pos_ += n;
  if (bounded_) bounded_unread_ += n;
  return static_cast<uint32_t>(floating_.size() - 1);
}

bool StreamBytes::end_write(uint32_t w, uint64_t landed, bool reserved) {
  if (w >= floating_.size()) return true;
  Floating& f = floating_[w];
  f.open = false;
  if (!reserved && f.off + f.len == pos_) pos_ = f.off + std::min(f.len, landed);
  const bool ok = bounded_ || read_.floating[w] <= landed;
  if (bounded_) bounded_unread_ -= std::min(bounded_unread_, f.len - std::min(f.len, landed));
  f.len = std::min(f.len, landed);
  settle_into_order(w);
  resync_if_empty();
  return ok;
}

// A write whose CQE was seen, when nothing was written since it began and no other write
// floats: its unread bytes are simply the next ones in order.
void StreamBytes::settle_into_order(uint32_t w) {
  Floating& f = floating_[w];
  if (bounded_ || f.open || f.after != ordered_total_ || read_.floating[w] >= f.len) return;
  for (size_t k = 0; k < floating_.size(); ++k)
    if (k != w && read_.floating[k] < floating_[k].len) return;
  const uint64_t from = read_.floating[w];
  ordered_.push_back({f.off + from, f.len - from, {}});
  ordered_total_ += f.len - from;
  f.len = from;  // what was read of it stays accounted to it
}

void StreamBytes::begin_read() {
  if (++readers_ > 1) go_bounded();
}

std::optional<StreamBytes::Mismatch> StreamBytes::end_read(std::string_view data) {
  if (readers_) --readers_;
  return consume(data);
}

std::optional<StreamBytes::Mismatch> StreamBytes::take(std::string_view data) {
  // An io_uring read in flight may take bytes before or after this one.
  if (readers_) go_bounded();
  return consume(data);
}

std::optional<StreamBytes::Mismatch> StreamBytes::consume(std::string_view data) {
  last_message_ = 0;
  if (bounded_) {
    auto m = bounded_check(data);
    if (!m) bounded_unread_ -= std::min<uint64_t>(bounded_unread_, dgram_ ? std::max<uint64_t>(data.size(), 1) : data.size());
    resync_if_empty();
    return m;
  }
  last_message_ = 0;
  if (data.empty()) return std::nullopt;  // nothing taken (an empty datagram is not told apart)
  Cursor c = read_;
  size_t budget = kParseBudget, reached = 0;
  uint64_t whole = 0;
  const bool ok = dgram_ ? take_message(data, c, whole) : parse(data, 0, c, budget, reached);
  last_message_ = whole;
  if (!ok && budget == 0) {  // too many interleavings to tell: within bounds from here
    go_bounded();
    return consume(data);
  }
  if (!ok) {
    uint64_t off = 0, len = 0;
    std::string want = ordered_at(read_.ordered, read_, off, len)
                           ? "the stream's bytes from offset " + std::to_string(off)
                           : std::string("no bytes (nothing written is unread)");
    for (size_t f = 0; f < floating_.size(); ++f)
      if (read_.floating[f] < floating_[f].len)
        want += ", or an io_uring write's from offset " + std::to_string(floating_[f].off + read_.floating[f]);
    return Mismatch{reached, want};
  }
  read_ = std::move(c);
  while (!ordered_.empty() && read_.ordered >= base_ + ordered_.front().len) {
    base_ += ordered_.front().len;
    ordered_.pop_front();
  }
  resync_if_empty();
  return std::nullopt;
}

bool StreamBytes::ordered_at(uint64_t k, const Cursor& c, uint64_t& off, uint64_t& len) const {
  if (k < base_ || k >= ordered_total_) return false;
  uint64_t at = base_;
  for (const Seg& s : ordered_) {
    if (k < at + s.len) {
      for (uint32_t f : s.after)
        if (c.floating[f] < floating_[f].len) return false;  // that write's bytes come first
      off = s.off + (k - at);
      len = at + s.len - k;
      return true;
    }
    at += s.len;
  }
  return false;
}

bool StreamBytes::parse(std::string_view data, size_t at, Cursor& c, size_t& budget, size_t& reached) const {
  reached = std::max(reached, at);
  if (at == data.size()) return true;
  if (budget == 0) return false;
  --budget;
  // The sources that may come next, with how far each matches.
  struct Cand {
    int64_t source;  // -1: ordered; else a floating write
    uint64_t run;
  };
  std::vector<Cand> cands;
  uint64_t off = 0, len = 0;
  if (ordered_at(c.ordered, c, off, len))
    if (uint64_t run = run_length(stream_, off, data, at, len)) cands.push_back({-1, run});
  for (size_t f = 0; f < floating_.size(); ++f) {
    const Floating& fl = floating_[f];
    if (c.floating[f] >= fl.len || c.ordered < fl.after) continue;
    if (uint64_t run = run_length(stream_, fl.off + c.floating[f], data, at, fl.len - c.floating[f]))
      cands.push_back({static_cast<int64_t>(f), run});
  }
  std::stable_sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) { return a.run > b.run; });
  for (const Cand& k : cands)
    // The longest run first; a shorter one only if the rest does not parse (a byte that
    // matches two sources by chance).
    for (uint64_t run = k.run; run >= 1 && budget; --run) {
      Cursor next = c;
      (k.source < 0 ? next.ordered : next.floating[static_cast<size_t>(k.source)]) += run;
      if (parse(data, at + run, next, budget, reached)) {
        c = std::move(next);
        return true;
      }
      if (cands.size() == 1) break;  // one source: cutting its run short cannot help
    }
  return false;
}

bool StreamBytes::take_message(std::string_view data, Cursor& c, uint64_t& whole) const {
  // A datagram is one message: the ordered one next, or a floating one that may land first.
  uint64_t off = 0, len = 0;
  if (ordered_at(c.ordered, c, off, len) && data.size() <= len &&
      first_mismatch(stream_, off, data) == std::string_view::npos) {
    c.ordered += len;
    whole = len;
    return true;
  }
  for (size_t f = 0; f < floating_.size(); ++f) {
    const Floating& fl = floating_[f];
    if (c.floating[f] != 0 || fl.len == 0 || c.ordered < fl.after || data.size() > fl.len) continue;
    if (first_mismatch(stream_, fl.off, data) != std::string_view::npos) continue;
    c.floating[f] = fl.len;
    whole = fl.len;
    return true;
  }
  return false;
}

std::optional<StreamBytes::Mismatch> StreamBytes::bounded_check(std::string_view data) const {
  const uint64_t lo = bounded_lo_, hi = pos_;
  if (data.size() > bounded_unread_)
    return Mismatch{0, "at most " + std::to_string(bounded_unread_) + " unread bytes of the stream"};
  if (hi - lo > kLooseWindow) return std::nullopt;  // too wide to search: the count bound only
  // Each run: consecutive stream bytes from some offset that may be unread.
  for (size_t at = 0; at < data.size();) {
    uint64_t best = 0;
    for (uint64_t o = lo; o < hi; ++o)
      if (static_cast<uint8_t>(data[at]) == pattern_byte(stream_, o))
        best = std::max(best, run_length(stream_, o, data, at, hi - o));
    if (best == 0)
      return Mismatch{at, "bytes of the stream between offsets " + std::to_string(lo) + " and " + std::to_string(hi)};
    if (dgram_) break;  // a datagram's prefix is one run
    at += best;
  }
  return std::nullopt;
}

void StreamBytes::go_bounded() {
  if (bounded_) return;
  bounded_ = true;
  bounded_lo_ = pos_;
  bounded_unread_ = 0;
  uint64_t off = 0, len = 0;
  for (uint64_t k = read_.ordered; k < ordered_total_; k += len) {
    Cursor all = read_;  // bounds only: ignore what a segment waits for
    for (auto& f : all.floating) f = UINT64_MAX;
    if (!ordered_at(k, all, off, len)) break;
    bounded_lo_ = std::min(bounded_lo_, off);
    bounded_unread_ += len;
  }
  for (size_t f = 0; f < floating_.size(); ++f)
    if (read_.floating[f] < floating_[f].len) {
      bounded_lo_ = std::min(bounded_lo_, floating_[f].off + read_.floating[f]);
      bounded_unread_ += floating_[f].len - read_.floating[f];
    }
}

std::optional<uint64_t> StreamBytes::next_offset() const {
  if (bounded_ || readers_) return std::nullopt;
  for (size_t f = 0; f < floating_.size(); ++f)
    if (read_.floating[f] < floating_[f].len || floating_[f].open) return std::nullopt;
  uint64_t off = 0, len = 0;
  if (ordered_at(read_.ordered, read_, off, len)) return off;
  return pos_;
}

uint64_t StreamBytes::unread_at_most() const {
  if (bounded_) return bounded_unread_;
  uint64_t n = ordered_total_ - read_.ordered;
  for (size_t f = 0; f < floating_.size(); ++f) n += floating_[f].len - std::min(floating_[f].len, read_.floating[f]);
  return n;
}

void StreamBytes::resync_if_empty() {
  // Nothing in flight either way and nothing unread: every byte is where the model says.
  if (readers_ || unread_at_most() > 0) return;
  for (const Floating& f : floating_)
    if (f.open) return;
  discard_all();
}

void StreamBytes::abandon_read() {
  if (readers_) --readers_;
  go_bounded();
}

void StreamBytes::abandon_write(uint32_t w) {
  if (w >= floating_.size()) return;
  go_bounded();
  floating_[w].open = false;  // bounded by its whole length; the channel found empty resyncs
}

void StreamBytes::discard_all() {
  ordered_.clear();
  base_ = ordered_total_ = 0;
  // Writes still in flight keep their place (nothing ordered comes before them any more);
  // the others are gone. Ids stay valid.
  for (size_t w = 0; w < floating_.size(); ++w) {
    Floating& f = floating_[w];
    if (!f.open) f.len = read_.floating[w] = 0;
    f.after = 0;
  }
  read_.ordered = 0;
  bounded_ = false;
  bounded_lo_ = pos_;
  bounded_unread_ = 0;
}

}  // namespace ringside::model
