// The content of a regular file as far as the oracle knows it: for each byte range, the
// writes whose bytes it may hold. A writer is a pattern stream: the file's own origin for
// its initial content and for write(2), an io_uring write's request resource otherwise,
// so every byte names the write it came from. Reads are checked block-wise: within one
// 4 KiB block, a range whose writers were not ordered holds the bytes of one of them.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oracle/rules.hpp"

namespace ringside::model {

inline constexpr uint32_t kZeroStream = ~0u;  // a hole: zeros
inline constexpr uint64_t kBlock = 4096;
inline constexpr uint32_t kNoWriterReq = ~0u;

class FileContent {
 public:
  struct Writer {
    uint32_t stream = 0;
    uint64_t lo = 0, hi = 0;
    uint64_t submit_tick = 0;
    uint64_t done_tick = 0;
    bool done = false;
    uint32_t req = kNoWriterReq;  // the io_uring request, if it is one
  };
  // Does `earlier` certainly land before `later` (both writers of this file)?
  using Precedes = std::function<bool(const Writer& earlier, const Writer& later)>;

  FileContent(uint32_t origin, uint64_t size);

  // A write of [lo, hi) was issued at `tick`: from now its bytes may be there.
  uint32_t begin(uint32_t stream, uint64_t lo, uint64_t hi, uint64_t tick, uint32_t req);
  // It completed at `tick` having written `written` bytes: in that range the writes that
  // certainly landed before it no longer show. `extra` adds orderings the file cannot see
  // (link chains, drains); a write whose completion was seen before the other was issued
  // is always ordered.
  void end(uint32_t writer, uint64_t written, uint64_t tick, const Precedes& extra);
  // write(2): issued and complete at once.
  void sync_write(uint32_t stream, uint64_t lo, uint64_t n, uint64_t tick);

  uint64_t size_certain() const { return certain_; }
  uint64_t size_possible() const { return possible_; }
  const Writer& writer(uint32_t w) const { return writers_[w]; }

  struct Mismatch {
    RuleId rule;
    uint64_t offset;                 // first byte that no allowed writer explains
    std::vector<uint32_t> allowed;   // streams the range could hold
    std::vector<uint32_t> replaced;  // streams a later ordered write replaced there
  };
  // Check `data` read at `off`, and narrow: once no write is pending on a range, what a
  // read saw there is what later reads must see. A read issued at `since` (an io_uring
  // read in flight) may also see what a write replaced after that tick.
  std::optional<Mismatch> read(uint64_t off, std::string_view data, uint64_t since = UINT64_MAX);

 private:
  struct Piece {
    uint64_t hi;
    std::vector<uint32_t> cands;  // writers whose bytes may be there
    std::vector<uint32_t> gone;   // writers a later ordered write replaced there
    std::vector<uint64_t> gone_at;  // ... and the tick it was replaced at
  };
  void split(uint64_t at);
  bool matches(uint32_t w, uint64_t lo, std::string_view bytes) const;
  std::map<uint64_t, Piece> pieces_;  // by start; cover [0, possible_)
  std::vector<Writer> writers_;
  uint64_t certain_ = 0, possible_ = 0;
};

}  // namespace ringside::model
