// The three client designs of the echo workload. Each runs round trips
// (send one message, receive the echo) on every connection of a fixture,
// measures a window after a warm-up, and leaves every connection idle
// (no bytes in flight) when it returns, so the next design can reuse them.
#pragma once

#include <cstdint>

#include "bench/echo_peer.hpp"
#include "bench/results.hpp"

namespace ringside::bench {

struct RunConfig {
  int message_bytes = 64;
  int64_t warmup_ns = 100'000'000;
  int64_t measure_ns = 400'000'000;
  int64_t op_deadline_ns = 5'000'000'000;  // no single wait may exceed this
  // A window stays open past measure_ns until it holds min_ops round trips
  // (a busy machine can stall a run), but never longer than op_deadline_ns more.
  uint64_t min_ops = 2000;
  int client_cpu = -1;                     // all client threads run here (-1: anywhere)
};

// k threads, one per connection, blocking send + recv.
Point run_blocking(EchoFixture& fx, const RunConfig& cfg);
// One thread, level-triggered epoll over nonblocking sockets.
Point run_epoll(EchoFixture& fx, const RunConfig& cfg);
// One thread, io_uring: each round trip is send -> recv linked (the send's
// CQE skipped on success); the loop hands the kernel `batch` round trips per
// io_uring_enter, which also waits for `batch` completions.
// `setup` receives the ring's setup flags.
Point run_io_uring(EchoFixture& fx, int batch, const RunConfig& cfg, std::string& setup);

}  // namespace ringside::bench
