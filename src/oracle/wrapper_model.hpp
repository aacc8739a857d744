// The model of a readiness-over-completion wrapper (family 7): what consume() handed out
// so far, and what its eventfd's readiness can be. Pure state; the checks that drive it
// are in wrapper_oracle.cpp, and FdModel::readiness asks it for the eventfd's IN.
//
// R is the number of items consume() can return now, in file order (completed buffers
// with no unfinished read before them, and the final eof item); buffers that completed
// ahead of an earlier read are "held" and not counted. So R > 0 means consume() makes
// progress, and the eventfd is readable iff R > 0. The reaper thread changes R only
// upwards (completions), and only consume() on the owner thread lowers it, which makes
// the eventfd's IN a condition like a socket's: Yes once R > 0 was seen, Soon while
// R = 0 with a read on its way, No once the stream has ended.
#pragma once
#include <cstdint>
#include <string>

#include "oracle/readiness.hpp"
#include "program/wrapper_steps.hpp"

namespace ringside::model {

struct WrapperModel {
  // Fixed when the wrapper opened.
  uint32_t depth = 1;            // D
  uint32_t buf = 1;              // bytes per read
  uint32_t file = ~0u;           // DescId of the file it reads
  uint32_t stream = 0;           // the file's pattern stream
  uint64_t size_at_open = 0;     // the file holds at least this many bytes (files only grow)

  // What consume() handed out.
  uint64_t next_offset = 0;      // every byte before it was delivered, in order
  uint64_t data_items = 0;
  bool short_item = false;       // the last buffer was short: only eof may follow
  bool ended = false;            // eof (or an error) was delivered
  bool closed = false;

  // The eventfd.
  uint64_t resets = 0;           // consume() calls that left R = 0 after an item (the eventfd was read)
  Level ready = Level::Soon;     // IN: Yes (R > 0 seen), Soon (R = 0, a read on its way), No (ended)
  WrapSnapshot last;             // counters of the last wrapper step, for reports

  // An R 0 -> >0 transition (an eventfd write) is still to come.
  bool transition_coming() const { return ready == Level::Soon; }
  // The poll mask of the eventfd: IN as above, OUT always (an eventfd far from overflow).
  void readiness(uint32_t desc, ReadySet& r) const;
  // A report showed the eventfd readable: R > 0 now, and until the next consume().
  void learn_ready() { ready = Level::Yes; }
  std::string describe() const;
};

}  // namespace ringside::model
