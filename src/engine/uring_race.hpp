// A thread that runs a race step's competing action (a write) after a spin of a few
// microseconds, so the action lands inside the race window rather than after a scheduler
// tick. It spins briefly while a race step keeps it busy and sleeps on a futex otherwise.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

namespace ringside {

class RaceHelper {
 public:
  RaceHelper();
  ~RaceHelper();
  RaceHelper(const RaceHelper&) = delete;
  RaceHelper& operator=(const RaceHelper&) = delete;

  // Run `job` on the helper thread after spinning `delay_us` from when it picks it up.
  void post(uint32_t delay_us, std::function<void()> job);
  // Wait for the posted job to finish; false if it did not by the deadline (monotonic ns).
  bool wait(int64_t deadline_ns);

 private:
  enum : int { Idle, Posted, Done, Stop };
  void loop();
  std::atomic<int> state_{Idle};
  std::function<void()> job_;
  uint32_t delay_us_ = 0;
  std::thread thread_;
};

// Spin (no sleep: timer slack is tens of microseconds) for `us` microseconds.
void spin_us(uint32_t us);

}  // namespace ringside
