// Program-level pieces of the readiness-wrapper steps (family 7): which steps they are,
// their static rules, and what such a step saw: the items consume() handed out, the
// epoll_wait calls of an event_loop between them, and the wrapper's counters read under
// its lock at the end of the step. Pure data, plus the text form used by trace lines and
// recorded oracle traces:
//
//   data@0+4096:r1 data@4096+4096:r0 would_block:r0 | R=0 held=1 inflight=3 max=4 signals=1 transitions=1 efd=0 next=8192
//
// Items: `data@OFFSET+LENGTH:rN` (N = R right after the call), `data@O+L*K:r+` (K
// contiguous items of L bytes, each leaving R > 0), `eof@O:rN`, `error@O/ERRNO:rN`,
// `would_block:rN`, `done:rN`, and for event_loop `wait(NAME:MASK,...)` (the reports of
// one epoll_wait, `wait()` when it came back empty). After `|`, the counters as key=value
// (close adds at_close=N, the reads in flight when it began, and eventfd_open=1 on a leak).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringside {

struct Observation;
struct Program;
struct Step;

// epoll_wait's maxevents inside an event_loop step (engine and oracle agree on it).
inline constexpr int kEventLoopMaxEvents = 16;

enum class WrapStatus : uint8_t { Data, WouldBlock, Eof, Error, Done, Wait };

struct WrapItem {
  WrapStatus status = WrapStatus::Done;
  uint64_t offset = 0;       // data: first byte; eof/error: where the stream ends
  uint32_t length = 0;       // data: bytes; wait: number of events (next ones in Observation::events)
  int32_t error = 0;         // error: errno
  uint32_t ready_after = 0;  // R right after this consume() call, under the wrapper's lock
  bool operator==(const WrapItem&) const = default;
};

// The wrapper's counters (rwrap::Snapshot), read under its lock.
struct WrapSnapshot {
  uint32_t ready = 0;          // R: items consume() can hand out now, in file order
  uint32_t held = 0;           // completed ahead of an earlier read: not in R
  uint32_t in_flight = 0;      // reads submitted and not completed
  uint32_t max_in_flight = 0;  // ever
  uint64_t signals = 0;        // eventfd writes
  uint64_t transitions = 0;    // R went 0 -> >0
  uint64_t reordered = 0;      // completions that overtook an earlier read
  uint64_t next_offset = 0;    // next byte consume() will deliver
  bool eventfd_readable = false;  // poll() with timeout 0, under the lock
  bool eof_delivered = false;
  bool error_delivered = false;
  int32_t error = 0;
  bool closed = false;
  bool operator==(const WrapSnapshot&) const = default;
};

struct WrapperObservation {
  std::vector<WrapItem> items;
  WrapSnapshot snap;
  // close only: reads in flight when close began (the cancellations it had to wait for),
  // and whether the eventfd's number was still open afterwards (a leak).
  uint32_t in_flight_at_close = 0;
  bool eventfd_open = false;
  bool operator==(const WrapperObservation&) const = default;
};

const char* wrap_status_name(WrapStatus s);

// The text form above. Event names come from the program's resources (epoll_wait tokens).
std::string format_wrapper_observation(const Program& p, const Observation& o);

// Parses the text form into o.wrapper, o.events and o.ret (bytes of data items). Counters
// not given keep their value from `previous` (the last snapshot of the same wrapper),
// except: next and eof follow the items, max is at least inflight, efd defaults to R > 0.
// Returns an error text, or "".
std::string parse_wrapper_observation(const Program& p, std::string_view text, const WrapSnapshot& previous,
                                      Observation& o);

// Steps handled by the wrapper's engine and oracle code: the family-7 ops, and close of a wrapper.
bool is_wrapper_step(const Program& p, const Step& s);

// Static rules of steps on wrappers (ranges; a wrapper is not a plain fd: no dup, no
// O_NONBLOCK change, no `later` close while its owner thread may use it). "" if fine.
std::string check_wrapper_step(const Program& p, const Step& s);

}  // namespace ringside
