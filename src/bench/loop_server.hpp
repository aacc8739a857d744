// The server side of the event-loop benchmark: one event-loop thread echoes
// every request of N connections and, after an idle window, reads the file
// pass after pass with one of four designs, until enough reading time has
// been seen; then it tells the clients to stop and serves until they exit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/loop_clients.hpp"
#include "bench/loop_design.hpp"
#include "bench/loop_file.hpp"
#include "bench/sys_util.hpp"

namespace ringside::bench {

// One pass over the whole file.
struct PassRecord {
  int64_t start_ns = 0, end_ns = 0;  // CLOCK_MONOTONIC, the clients' clock too
  std::uint64_t bytes = 0;
  std::uint64_t digest = 0;
  Usage used;  // process CPU during the pass (all threads: io-wq, libuv's pool, helper)
};

struct ServerLog {
  int64_t idle_start_ns = 0, idle_end_ns = 0;
  Usage idle_used;  // process CPU of the idle window: the echo load alone
  std::vector<PassRecord> passes;
  std::vector<int64_t> read_ns;  // blocking design: how long each read() took
  std::string error;             // why the run failed, empty if it did not
};

// The phases, shared by the epoll loop and the uv loop.
class PassSchedule {
 public:
  PassSchedule(const ServerPlan& plan, const TestFile& file, int file_fd, ClientProcess& clients, ServerLog& log);
  void begin_idle();
  // How long the loop may sleep before the idle window could end; 0 once it may.
  int64_t idle_left_ns() const;
  // The idle window is over: its time has passed and enough requests were echoed.
  bool idle_done() const;
  bool idle() const { return phase_ == Phase::idle; }
  bool draining() const { return phase_ == Phase::draining; }
  bool overdue() const;   // the run passed max_run_ns: abort()
  bool hopeless() const;  // ... and 10 s more: stop serving, the clients are stuck
  // Ends the idle window, prepares the cache and opens a pass window.
  void begin_pass();
  // Closes the window. True if another pass follows (begin_pass() was called),
  // false when the clients were told to stop (or the pass failed).
  bool end_pass(std::uint64_t bytes, std::uint64_t digest);
  // The run failed: stop the clients and drain.
  void abort(const std::string& why);
  // The loop echoed `bytes` of requests.
  void echoed(std::size_t bytes);

 private:
  enum class Phase { idle, reading, draining };
  const ServerPlan& plan_;
  const TestFile& file_;
  int file_fd_;
  ClientProcess& clients_;
  ServerLog& log_;
  Phase phase_ = Phase::idle;
  int64_t started_ns_ = 0;
  int64_t read_ns_ = 0;
  std::uint64_t idle_bytes_ = 0, read_bytes_ = 0;  // echoed in the reference idle window, in passes
  Usage pass_start_;
};

// Runs one design to the end (the clients have exited). `servers` are the
// server ends of the connections. The log says what happened.
ServerLog run_server(LoopDesign design, std::vector<Fd>& servers, const TestFile& file, int file_fd,
                     const ServerPlan& plan, ClientProcess& clients);

// The libuv design (loop_uv.cpp).
void run_uv_server(std::vector<Fd>& servers, int file_fd, std::uint64_t file_size, const ServerPlan& plan,
                   PassSchedule& schedule, ClientProcess& clients, ServerLog& log);

}  // namespace ringside::bench
