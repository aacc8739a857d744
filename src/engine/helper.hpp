// The helper thread runs `later` steps: each after its delay, in order, while the main
// thread goes on. Results wait for the next join.
#pragma once
#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "program/observation.hpp"

namespace ringside {

class HelperThread {
 public:
  using Task = std::function<int64_t()>;
  HelperThread();
  ~HelperThread();
  void post(uint32_t step, int64_t start_ns, Task task);
  // Wait until every posted task finished or the deadline passed. Returns results so far.
  std::vector<HelperResult> join(int64_t deadline_ns, bool& timed_out);
  pthread_t native() { return thread_.native_handle(); }

 private:
  struct Job {
    uint32_t step;
    int64_t start_ns;
    Task task;
  };
  void loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::vector<HelperResult> done_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ringside
