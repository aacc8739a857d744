// The echo clients of the event-loop benchmark: a forked child process that
// drives N loopback connections, each sending one small request every
// 1/rate seconds (the connections' slots evenly staggered), and records for
// every echo the time it was sent and its round-trip time. Being another
// process, its CPU time never appears in the server's getrusage(RUSAGE_SELF).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench/sys_util.hpp"

namespace ringside::bench {

struct ClientPlan {
  double rate_per_connection = 0;  // requests per second on each connection (from the LoopPlan)
  int message_bytes = 0;           // >= 12: the send time, the connection's index, filler
  int64_t drain_ns = 2'000'000'000;  // after stop(): how long to wait for the last echoes
  int64_t max_run_ns = 600'000'000'000;  // the child gives up after this long in all
};

struct RttSample {
  int64_t sent_ns;  // CLOCK_MONOTONIC when the request was sent
  int64_t rtt_ns;   // until its echo was complete
};

class ClientProcess {
 public:
  // Forks the clients over `connections` (the client ends; the parent's copies
  // are closed here). Call before the server starts threads of its own: the
  // child uses only system calls and memory allocated before the fork.
  // Returns nullptr and sets `why` on failure.
  static std::unique_ptr<ClientProcess> start(std::vector<Fd> connections, const ClientPlan& plan,
                                              int64_t expected_run_ns, std::string& why);
  ClientProcess(const ClientProcess&) = delete;
  ClientProcess& operator=(const ClientProcess&) = delete;
  ~ClientProcess();  // kills and reaps the child if it is still there

  // Readable (POLLIN) once the child has exited: for the server's event loop.
  int pidfd() const { return pidfd_.get(); }
  // Asks the child to stop sending; it exits once every echo is in (or after drain_ns).
  void stop();
  // Reaps the child (waits up to timeout_ns, then kills it). "" if it exited
  // cleanly, else what went wrong on its side.
  std::string finish(int64_t timeout_ns);

  // Valid after finish().
  std::span<const RttSample> samples() const;
  uint64_t sent() const;
  uint64_t received() const;
  uint64_t overflow() const;  // samples that did not fit the shared buffer

  struct Shared;  // the memory shared with the child (defined in loop_clients.cpp)

 private:
  ClientProcess() = default;
  Shared* shared_ = nullptr;
  std::size_t shared_bytes_ = 0;
  pid_t pid_ = -1;
  Fd pidfd_;
};

}  // namespace ringside::bench
