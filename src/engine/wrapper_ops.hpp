// Engine: the readiness-over-completion wrappers (family 7) a program opened, by resource.
// Each wrapper reads its own dup of the file's fd, so `close f` does not pull the file
// from under its reads; its eventfd is the resource's fd for epoll/poll/select.
#pragma once
#include <map>
#include <memory>

#include "program/program.hpp"
#include "program/wrapper_steps.hpp"
#include "rwrap/readiness_wrapper.hpp"

namespace ringside {

class WrapperSet {
 public:
  WrapperSet() = default;
  WrapperSet(const WrapperSet&) = delete;
  WrapperSet& operator=(const WrapperSet&) = delete;
  ~WrapperSet() { close_all(); }

  // Takes the wrapper and the dup of the file fd it reads.
  void add(ResId r, std::unique_ptr<rwrap::ReadinessWrapper> w, int file_fd);
  rwrap::ReadinessWrapper* get(ResId r);

  struct Closed {
    bool clean = false;          // every CQE arrived and the reaper was joined
    bool eventfd_open = false;   // the eventfd number is still open after close (a leak)
    uint32_t in_flight = 0;      // reads in flight when close began
    WrapSnapshot last;           // the counters at close
  };
  Closed close(ResId r);
  // End of program: closes the wrapper whose eventfd is `fd`, if any (then the caller must
  // not close that fd itself).
  bool close_by_eventfd(int fd);
  void close_all();

 private:
  struct Entry {
    std::unique_ptr<rwrap::ReadinessWrapper> wrapper;
    int file_fd = -1;
  };
  std::map<ResId, Entry> entries_;
};

// rwrap::Snapshot in the observation's terms.
WrapSnapshot to_wrap_snapshot(const rwrap::Snapshot& s);

}  // namespace ringside
