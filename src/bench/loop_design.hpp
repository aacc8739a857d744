// The event-loop benchmark's designs of the file read, and what a server run
// is told (filled from the LoopPlan, loop_runner.hpp, where the defaults are).
#pragma once

#include <cstdint>
#include <string>

#include "bench/loop_file.hpp"

namespace ringside::bench {

enum class LoopDesign {
  blocking,  // read() in the loop, one buffer per loop iteration
  wrapper,   // the readiness wrapper: its eventfd in the loop's epoll set
  libuv,     // a uv loop: uv_fs_read on libuv's thread pool
  helper,    // a helper thread reads ahead, a pipe tells the loop what is ready
};
const char* design_name(LoopDesign d);  // "blocking", "wrapper", "libuv", "helper"
bool design_by_name(const std::string& name, LoopDesign& out);

struct ServerPlan {
  Cache cache = Cache::warm;
  std::uint32_t buffer_bytes = 0;  // bytes per read
  unsigned depth = 0;              // reads in flight (wrapper, libuv, helper)
  int64_t idle_ns = 0;             // echo only, before the first pass
  int64_t min_read_ns = 0;         // passes go on until this much reading time
  int message_bytes = 0;           // of one request
  // ... and until this many requests were echoed in the reference part of the
  // idle window and during the passes (a loaded machine may starve the clients).
  std::uint64_t min_samples = 0;
  int64_t max_run_ns = 120'000'000'000;  // the whole run, whatever happens
};

}  // namespace ringside::bench
