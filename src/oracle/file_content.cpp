#include "oracle/file_content.hpp"

#include <algorithm>

#include "program/pattern.hpp"

namespace ringside::model {

FileContent::FileContent(uint32_t origin, uint64_t size) {
  writers_.push_back({origin, 0, size, 0, 0, true, kNoWriterReq});
  if (size) pieces_[0] = Piece{size, {0}, {}, {}};
  certain_ = possible_ = size;
}

void FileContent::split(uint64_t at) {
  auto it = pieces_.upper_bound(at);
  if (it == pieces_.begin()) return;
  --it;
  if (it->first == at || it->second.hi <= at) return;
  Piece tail = it->second;
  it->second.hi = at;
  pieces_[at] = std::move(tail);
}

uint32_t FileContent::begin(uint32_t stream, uint64_t lo, uint64_t hi, uint64_t tick, uint32_t req) {
  uint32_t w = static_cast<uint32_t>(writers_.size());
  writers_.push_back({stream, lo, hi, tick, 0, false, req});
  if (hi > possible_) {
    // Past the end: a hole that reads as zeros, for good before lo, and until this write
    // lands from lo on (another write may extend the file past it first).
    uint32_t z = static_cast<uint32_t>(writers_.size());
    writers_.push_back({kZeroStream, possible_, hi, 0, 0, true, kNoWriterReq});
    pieces_[possible_] = Piece{hi, {z}, {}, {}};
    possible_ = hi;
  }
  split(lo);
  split(hi);
  for (auto it = pieces_.lower_bound(lo); it != pieces_.end() && it->first < hi; ++it) it->second.cands.push_back(w);
  return w;
}

void FileContent::end(uint32_t w, uint64_t written, uint64_t tick, const Precedes& extra) {
  Writer& me = writers_[w];
  me.done = true;
  me.done_tick = tick;
  const uint64_t lo = me.lo, wrote_hi = std::min(me.hi, me.lo + written), hi = me.hi;
  split(wrote_hi);
  for (auto it = pieces_.lower_bound(lo); it != pieces_.end() && it->first < hi; ++it) {
    Piece& p = it->second;
    if (it->first >= wrote_hi) {
      // A short write did not get here.
      p.cands.erase(std::remove(p.cands.begin(), p.cands.end(), w), p.cands.end());
      continue;
    }
    std::vector<uint32_t> keep;
    for (uint32_t c : p.cands) {
      const Writer& cw = writers_[c];
      bool before = c != w && ((cw.done && cw.done_tick < me.submit_tick) || (extra && extra(cw, me)));
      if (before) p.gone_at.push_back(tick);
      (before ? p.gone : keep).push_back(c);
    }
    p.cands = std::move(keep);
  }
  if (written > 0) certain_ = std::max(certain_, wrote_hi);  // nothing written: no extent
}

void FileContent::sync_write(uint32_t stream, uint64_t lo, uint64_t n, uint64_t tick) {
  uint32_t w = begin(stream, lo, lo + n, tick, kNoWriterReq);
  // Everything whose completion was seen is before it: submit_tick == tick, and done
  // writers have done_tick < tick unless they completed in this very step.
  end(w, n, tick, [tick](const Writer& e, const Writer&) { return e.done && e.done_tick <= tick; });
}

bool FileContent::matches(uint32_t w, uint64_t lo, std::string_view bytes) const {
  const uint32_t stream = writers_[w].stream;
  if (stream == kZeroStream) return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
  return first_mismatch(stream, lo, bytes) == std::string_view::npos;
}

std::optional<FileContent::Mismatch> FileContent::read(uint64_t off, std::string_view data, uint64_t since) {
  if (data.empty()) return std::nullopt;
  const uint64_t end = off + data.size();
  split(off);
  split(end);
  for (uint64_t b = (off / kBlock + 1) * kBlock; b < end; b += kBlock) split(b);
  for (auto it = pieces_.lower_bound(off); it != pieces_.end() && it->first < end; ++it) {
    Piece& p = it->second;
    const uint64_t lo = it->first, hi = std::min(p.hi, end);
    std::string_view bytes = data.substr(lo - off, hi - lo);
    uint32_t found = ~0u;
    for (uint32_t c : p.cands)
      if (matches(c, lo, bytes)) found = c;
    bool seen_replaced = false;  // bytes replaced only after the read was issued
    for (size_t k = 0; k < p.gone.size() && found == ~0u; ++k)
      if (p.gone_at[k] > since && matches(p.gone[k], lo, bytes)) seen_replaced = true;
    if (seen_replaced) continue;
    // While a write to the block is in flight a read may catch it half copied (a
    // buffered read does not wait for the writer): each byte from one of the writers.
    // In flight for this read: not known complete when the read was issued (an io_uring
    // read runs at some moment before its CQE, which may be reaped after the write's).
    auto overlapped = [&](uint32_t c) { return !writers_[c].done || writers_[c].done_tick > since; };
    std::vector<uint32_t> mix = p.cands;
    for (size_t k = 0; k < p.gone.size(); ++k)
      if (p.gone_at[k] > since) mix.push_back(p.gone[k]);
    if (found == ~0u && std::any_of(mix.begin(), mix.end(), overlapped)) {
      bool each = true;
      for (size_t j = 0; j < bytes.size() && each; ++j)
        each = std::any_of(mix.begin(), mix.end(), [&](uint32_t c) { return matches(c, lo + j, bytes.substr(j, 1)); });
      if (each) continue;
    }
    if (found == ~0u) {
      Mismatch m{RuleId::UringWriteBlockAtomic, lo, {}, {}};
      for (uint32_t c : p.cands) m.allowed.push_back(writers_[c].stream);
      for (uint32_t g : p.gone) {
        m.replaced.push_back(writers_[g].stream);
        if (matches(g, lo, bytes)) m.rule = RuleId::UringWriteChainLast;
      }
      // A range only the file's own content ever held: plain data corruption.
      bool plain = p.gone.empty() && p.cands.size() == 1 && writers_[p.cands[0]].req == kNoWriterReq;
      if (plain) m.rule = RuleId::DataOrder;
      // Where the longest run of one allowed writer's bytes ends.
      uint64_t bad = 0;
      for (uint32_t c : p.cands) {
        uint64_t run = 0;
        while (run < bytes.size() && matches(c, lo + run, bytes.substr(run, 1))) ++run;
        bad = std::max(bad, run);
      }
      m.offset = lo + std::min<uint64_t>(bad, bytes.size() - 1);
      return m;
    }
    // What the read saw rules the other candidates out only if they had all completed
    // before it was issued: a read in flight with a write may have run before it landed.
    bool settled = std::none_of(p.cands.begin(), p.cands.end(), overlapped);
    if (settled && p.cands.size() > 1) p.cands = {found};  // the others are ruled out, not replaced
  }
  return std::nullopt;
}

}  // namespace ringside::model
