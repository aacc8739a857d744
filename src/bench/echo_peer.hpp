// k connected stream-socket pairs whose far ends are served by an echo peer
// running in a child process. The peer is the same code for every client
// design, and as a separate process its CPU time never appears in the
// client's getrusage(RUSAGE_SELF): its cost is excluded from the measurement.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/sys_util.hpp"

namespace ringside::bench {

enum class Transport { tcp, unix_stream };
const char* transport_name(Transport t);  // "tcp" or "unix"

// Connects k stream-socket pairs: TCP over 127.0.0.1 (TCP_NODELAY, socket
// deadlines of deadline_ns) or AF_UNIX socketpairs, appending the two ends to
// `clients` and `servers`. Returns "" or why it could not; `limit` then says
// whether that is a limit of this machine (descriptors, memory): a skip.
std::string connect_pairs(Transport transport, int k, int64_t deadline_ns, std::vector<Fd>& clients,
                          std::vector<Fd>& servers, bool& limit);

class EchoFixture {
 public:
  struct Failure {
    bool skip = false;  // the environment cannot run this point (limits), not a fault
    std::string why;
  };

  // Connects k pairs (TCP over 127.0.0.1, or AF_UNIX socketpairs) and forks
  // the echo peer, pinned to peer_cpu (-1: unpinned). Must be called while
  // the process has one thread. Every blocking step ends by deadline_ns (a
  // duration). Returns nullptr and fills `failure` when it cannot.
  static std::unique_ptr<EchoFixture> open(Transport transport, int k, int peer_cpu,
                                           int64_t deadline_ns, Failure& failure);
  EchoFixture(const EchoFixture&) = delete;
  EchoFixture& operator=(const EchoFixture&) = delete;
  // Closes the client ends (the peer then exits) and reaps the peer, killing
  // it if it has not exited within the deadline.
  ~EchoFixture();

  Transport transport() const { return transport_; }
  int k() const { return static_cast<int>(clients_.size()); }
  int client(int i) const { return clients_[static_cast<std::size_t>(i)].get(); }

 private:
  EchoFixture() = default;
  Transport transport_ = Transport::tcp;
  std::vector<Fd> clients_;
  pid_t peer_pid_ = -1;
  int64_t deadline_ns_ = 0;
};

}  // namespace ringside::bench
