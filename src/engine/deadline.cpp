#include "engine/deadline.hpp"

#include <signal.h>
#include <time.h>

#include <cstring>

namespace ringside {
namespace {

int deadline_signal() { return SIGRTMIN + 2; }

// Sequence number of the last deadline signal this thread received.
thread_local volatile uint64_t t_fired_seq = 0;

void on_deadline(int, siginfo_t* si, void*) {
  t_fired_seq = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(si->si_value.sival_ptr));
}

void install_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_deadline;
    sa.sa_flags = SA_SIGINFO;  // no SA_RESTART: blocking calls return EINTR
    sigemptyset(&sa.sa_mask);
    sigaction(deadline_signal(), &sa, nullptr);
  });
}

}  // namespace

int64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Watchdog::Watchdog() {
  install_handler();
  thread_ = std::thread([this] { loop(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    cv_.wait_for(l, std::chrono::milliseconds(20));
    int64_t now = monotonic_ns();
    for (auto& s : slots_) {
      int64_t dl = s.deadline_ns.load();
      if (dl == 0 || now < dl) continue;
      // Re-sent every tick while armed: a signal that landed between two calls must
      // not leave the next call blocked.
      union sigval v;
      v.sival_ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(s.seq.load()));
      pthread_sigqueue(s.tid.load(), deadline_signal(), v);
    }
  }
}

Watchdog::Guard::Guard(Watchdog& w, std::chrono::milliseconds budget) : w_(w), slot_(-1), seq_(0) {
  pthread_t self = pthread_self();
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (w_.slots_[i].used.compare_exchange_strong(expected, true)) {
      slot_ = i;
      break;
    }
  }
  if (slot_ < 0) return;  // more concurrent guards than slots: no deadline (never happens)
  Slot& s = w_.slots_[slot_];
  static std::atomic<uint64_t> counter{0};
  seq_ = ++counter;
  s.seq = seq_;
  s.tid = self;
  s.deadline_ns = monotonic_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(budget).count();
}

Watchdog::Guard::~Guard() {
  if (slot_ < 0) return;
  Slot& s = w_.slots_[slot_];
  s.deadline_ns = 0;
  s.used = false;
}

bool Watchdog::Guard::expired() const { return slot_ >= 0 && t_fired_seq == seq_; }

}  // namespace ringside
