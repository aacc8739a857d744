// Deadlines for blocking system calls. A watchdog thread interrupts a thread that stays
// in an armed call past its deadline with a signal installed without SA_RESTART, so the
// call returns EINTR and the step reports "deadline hit" instead of hanging the run.
#pragma once
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace ringside {

class Watchdog {
 public:
  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Armed for the lifetime of the guard, on the calling thread.
  class Guard {
   public:
    Guard(Watchdog& w, std::chrono::milliseconds budget);
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    // Did the deadline pass (the EINTR the caller saw was ours)?
    bool expired() const;

   private:
    Watchdog& w_;
    int slot_;
    uint64_t seq_;
  };

 private:
  struct Slot {
    std::atomic<pthread_t> tid{};
    std::atomic<int64_t> deadline_ns{0};  // 0: disarmed
    std::atomic<uint64_t> seq{0};
    std::atomic<bool> used{false};
  };
  static constexpr int kSlots = 8;
  void loop();
  Slot slots_[kSlots];
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

int64_t monotonic_ns();

}  // namespace ringside
