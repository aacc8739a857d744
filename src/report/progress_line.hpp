// One progress line on a terminal, redrawn in place: "run 120/2270  2 failed  ETA 0:41  NAME".
// It draws only when its fd is a terminal; on anything else it writes nothing, so CI logs
// stay as they were. Not thread-safe: call it from one thread, or under the caller's lock.
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace ringside {

class ProgressLine {
 public:
  // Draws on `fd` (stderr by default) if it is a terminal.
  explicit ProgressLine(std::string what, int fd = STDERR_FILENO);
  ProgressLine(std::string what, int fd, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool enabled() const { return enabled_; }
  // Starts the clock for `total` units of work (the ETA is measured from here).
  void start(size_t total);
  // `done` of the total finished, `failed` of them failed; `label`: what runs now.
  // Redraws at most every 100 ms, and always at the first and the last unit.
  void update(size_t done, size_t failed, std::string_view label = {});
  // Erases the line, e.g. before other output to the same terminal; the next update
  // draws it again.
  void clear();

 private:
  std::string text() const;
  void write_all(const std::string& s) const;

  std::string what_;
  int fd_;
  bool enabled_;
  bool shown_ = false;
  size_t total_ = 0, done_ = 0, failed_ = 0;
  std::string label_;
  std::chrono::steady_clock::time_point start_, drawn_;
};

// "0:41", "1:02:03".
std::string format_eta(std::chrono::seconds s);

}  // namespace ringside
