// The engine executes a Program against the running kernel: it owns real fds, a
// private temp dir, loopback-only sockets, a helper thread for `later` steps, and a
// deadline on every blocking call. It reports what the kernel said (Observation) and
// knows nothing about what is right: that is the oracle's job.
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/deadline.hpp"
#include "engine/tempdir.hpp"
#include "program/observation.hpp"
#include "program/program.hpp"

namespace ringside {

class WrapperSet;

struct EngineOptions {
  std::chrono::milliseconds step_deadline{5000};
  std::string temp_base;  // where the private temp dir goes ($TMPDIR or /tmp if empty)
};

class HelperThread;
struct UringState;

class Engine {
 public:
  explicit Engine(EngineOptions opts = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Start a program. Resources of a previous program must have been released (finish).
  void begin(const Program& p);
  // Execute step i (in order). `later` steps are handed to the helper thread.
  // Throws EnvironmentError / Unsupported for conditions that are not the kernel's fault.
  Observation step(size_t i);
  // End of program: join the helper (its results in Observation::helpers) and close
  // every fd the program still holds. Safe to call after an exception or a violation.
  Observation finish();

  const std::string& temp_dir() const { return tmp_.path(); }
  // Step and system call in progress (for reports of hangs and crashes).
  using ProgressHook = std::function<void(size_t step, const char* syscall)>;
  void set_progress_hook(ProgressHook h) { progress_ = std::move(h); }
  void note(const char* syscall);
  // Only a scenario's own child process may be crashed on purpose (test_crash).
  void allow_crash(bool on) { crash_allowed_ = on; }

  // Executes one step's system calls; used by the main and the helper thread.
  Observation execute(size_t i, const Step& s);

  // Runs a possibly blocking system call under the step deadline: EINTR caused by the
  // watchdog becomes o.deadline_hit, any other EINTR is retried.
  template <class Call>
  auto blocking_call(Observation& o, const char* name, Call&& call) {
    Watchdog::Guard g(watchdog_, budget());
    note(name);
    decltype(call()) rv;
    while ((rv = call()) < 0 && errno == EINTR) {
      if (g.expired()) {
        o.deadline_hit = true;
        break;
      }
    }
    return rv;
  }

 private:
  struct Slot {
    int fd = -1;
    bool open = false;
    uint32_t origin = 0;  // pattern stream of writes through this fd (creating resource)
    sockaddr_storage addr{};
    socklen_t addrlen = 0;
    int local_port = -1;  // TCP sockets after connect, to name the accepted peer
  };
  int fd(ResId r) const { return slots_[r].fd; }
  void created(ResId r, int fd, uint32_t origin);
  // Readiness-wrapper steps (wrapper_ops.cpp), including close of a wrapper.
  Observation wrapper(size_t i, const Step& s);
  Observation create(size_t i, const Step& s);
  Observation io(size_t i, const Step& s);
  Observation readiness(size_t i, const Step& s);
  Observation test_step(const Step& s);
  Observation join();
  // io_uring steps (uring_ops.cpp), race steps (uring_race.cpp), wait_ready (uring_via.cpp).
  UringState& uring_state();
  Observation uring(size_t i, const Step& s);
  Observation race(size_t i, const Step& s);
  Observation wait_ready(size_t i, const Step& s);
  void uring_finish();
  std::chrono::milliseconds budget() const { return opts_.step_deadline; }

  EngineOptions opts_;
  TempDir tmp_;
  Watchdog watchdog_;
  std::unique_ptr<HelperThread> helper_;
  std::unique_ptr<UringState> uring_;
  const Program* prog_ = nullptr;
  std::vector<Slot> slots_;
  std::unique_ptr<std::atomic<uint64_t>[]> written_;  // bytes written per pattern stream
  ProgressHook progress_;
  size_t current_ = 0;
  bool crash_allowed_ = false;
  uint64_t unique_ = 0;
  std::unique_ptr<WrapperSet> wrappers_;  // open readiness wrappers, by resource
};

}  // namespace ringside
