// Small system helpers shared by the benchmark's measurements: an owning fd,
// CPU-time snapshots, CPU pinning, the fd limit, deadlines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringside::bench {

// Owning file descriptor (move-only); closes on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Monotonic wall clock, nanoseconds.
int64_t mono_ns();
// CPU time of the calling thread, nanoseconds (a syscall: keep it out of hot loops).
int64_t thread_cpu_ns();

// Whole-process CPU usage at one instant (getrusage(RUSAGE_SELF): all threads,
// including ones that already exited, and io_uring's io-wq workers).
struct Usage {
  int64_t wall_ns = 0;
  int64_t user_ns = 0;
  int64_t sys_ns = 0;
  int64_t voluntary_switches = 0;
  int64_t involuntary_switches = 0;
  static Usage now();
};
Usage operator-(const Usage& end, const Usage& start);

// CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> allowed_cpus();
// Pins the calling thread to one CPU; false if the kernel refused.
bool pin_this_thread(int cpu);

// Raises RLIMIT_NOFILE's soft limit (up to the hard limit) so that `needed`
// descriptors fit. Returns "" on success, else why it cannot.
std::string ensure_fd_limit(std::size_t needed);

// Sets SO_RCVTIMEO and SO_SNDTIMEO so a blocking socket call ends by itself.
bool set_socket_deadline(int fd, int64_t timeout_ns);
bool set_nonblocking(int fd, bool on);

// Sends all of buf (MSG_NOSIGNAL); when the socket is full, waits for room
// with poll() for at most timeout_ns in all. False on error or timeout, with
// errno set (ETIMEDOUT for the deadline). The clock is read only if it waits.
bool send_all(int fd, const void* buf, std::size_t len, int64_t timeout_ns);

// "errno text" for messages.
std::string errno_text(const char* what, int err);

}  // namespace ringside::bench
