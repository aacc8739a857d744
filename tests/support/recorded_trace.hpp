// Recorded traces for oracle tests: a scenario with what the kernel said after each
// step, written by hand or copied from a run. One step per line:
//
//   #! expect epoll.et.refire        (or: #! expect pass; optional: #! profile contract,
//                                     #! tolerate ID, #! no-tolerate ID)
//   r, w = pipe nonblock  -> fd 3 4
//   write w 10            -> 10
//   epoll_wait ep         -> [r: IN]
//   read r 10             -> 10 data=w:0
//
// Observation syntax after "->": a number or errno name (the result), "fd N..." for
// created fds, "[name: MASK, ...]" for readiness reports, and key=value extras:
// value= (number, errno name or, for accept, peer=NAME), end= (fill/drain's final
// result), data=NAME:OFFSET (the bytes of NAME's stream from OFFSET, as many as the
// result), helper=STEP:RESULT (join; STEP is the script line), deadline.
//
// io_uring: "{NAME RES, ...}" lists a reap's CQEs in CQ order. NAME is a request's
// resource, "@LINE" for the request queued at that script line, "ud=N" for a raw
// user_data, or "poll:K"/"remove:K" for wait_ready's POLL_ADD/POLL_REMOVE of operand K
// (uring-poll). RES is a number, an errno name or a poll mask; "more" sets F_MORE;
// "STREAM:OFF" gives a read's bytes (RES of them). The reap's count is the number of
// CQEs; end=ETIME says the wait timed out. A race step lists its trials as
// "<ROLE RES ..., ... left=N>", roles target (target1.. for more), cancel, timeout,
// cleanup; left= the bytes the engine drained after the trial; the words async, helper,
// batch and delay=US give the trial's knob cell.
//
// Readiness-wrapper steps use the wrapper's text form (program/wrapper_steps.hpp):
//   consume w all -> data@0+4096:r1 data@4096+4096:r0 would_block:r0 | R=0 inflight=4
// with "fd N" first for `wrapper`, an optional result first otherwise (it overrides the
// bytes count), and data=NAME:OFFSET to replace the bytes the data items carry.
// By convention a trace that expects a rule ends at the step that breaks it.
#pragma once
#include <string>
#include <vector>

#include "oracle/rules.hpp"
#include "oracle/tolerances.hpp"
#include "program/observation.hpp"
#include "program/program.hpp"

namespace ringside::test {

struct RecordedTrace {
  std::string file;
  Program program;
  std::vector<Observation> observations;  // one per step
  std::string expect;                     // rule id, or "pass"
  Profile profile = Profile::Linux;
  std::vector<std::pair<TolId, bool>> tolerate;  // #! tolerate / no-tolerate, over the profile
  TolerancePolicy policy() const;
};

// Throws std::runtime_error with file:line on a malformed trace.
RecordedTrace parse_recorded_trace(const std::string& text, const std::string& file);

}  // namespace ringside::test
