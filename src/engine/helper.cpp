#include "engine/helper.hpp"

#include <time.h>

#include "engine/deadline.hpp"

namespace ringside {

HelperThread::HelperThread() : thread_([this] { loop(); }) {}

HelperThread::~HelperThread() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void HelperThread::post(uint32_t step, int64_t start_ns, Task task) {
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back({step, start_ns, std::move(task)});
  }
  cv_.notify_all();
}

void HelperThread::loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
    if (stop_ && queue_.empty()) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    l.unlock();
    // The delay is a knob that moves the race window, never a synchronisation: the
    // oracle treats the step's effect as "some time before the join".
    int64_t wait = job.start_ns - monotonic_ns();
    if (wait > 0) {
      timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
      while (nanosleep(&ts, &ts) != 0) {
      }
    }
    int64_t ret = job.task();
    l.lock();
    done_.push_back({job.step, ret});
    busy_ = false;
    cv_.notify_all();
  }
}

std::vector<HelperResult> HelperThread::join(int64_t deadline_ns, bool& timed_out) {
  std::unique_lock<std::mutex> l(mu_);
  timed_out = false;
  while (!queue_.empty() || busy_) {
    int64_t left = deadline_ns - monotonic_ns();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    cv_.wait_for(l, std::chrono::nanoseconds(left));
  }
  std::vector<HelperResult> out;
  out.swap(done_);
  return out;
}

}  // namespace ringside
