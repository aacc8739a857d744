#include "report/progress_line.hpp"

#include <sys/ioctl.h>

#include <cerrno>
#include <cstdio>

namespace ringside {

namespace {
constexpr auto kRedrawEvery = std::chrono::milliseconds(100);
constexpr std::string_view kEraseLine = "\r\033[K";

size_t terminal_columns(int fd) {
  winsize ws{};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}
}  // namespace

std::string format_eta(std::chrono::seconds s) {
  long long t = s.count(), h = t / 3600, m = t / 60 % 60, sec = t % 60;
  char buf[32];
  if (h) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", h, m, sec);
  else std::snprintf(buf, sizeof buf, "%lld:%02lld", m, sec);
  return buf;
}

ProgressLine::ProgressLine(std::string what, int fd) : ProgressLine(std::move(what), fd, isatty(fd) == 1) {}

ProgressLine::ProgressLine(std::string what, int fd, bool enabled)
    : what_(std::move(what)), fd_(fd), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::start(size_t total) {
  total_ = total;
  done_ = failed_ = 0;
  start_ = std::chrono::steady_clock::now();
}

std::string ProgressLine::text() const {
  std::string eta = "--:--";
  auto elapsed = std::chrono::steady_clock::now() - start_;
  if (done_ > 0 && done_ <= total_)
    eta = format_eta(std::chrono::duration_cast<std::chrono::seconds>(elapsed * static_cast<double>(total_ - done_) /
                                                                      static_cast<double>(done_)));
  std::string s = what_ + " " + std::to_string(done_) + "/" + std::to_string(total_) + "  " +
                  std::to_string(failed_) + " failed  ETA " + eta;
  if (!label_.empty()) s += "  " + label_;
  size_t cols = terminal_columns(fd_);
  if (s.size() >= cols) s.resize(cols - 1);  // one line: never wrap
  return s;
}

void ProgressLine::update(size_t done, size_t failed, std::string_view label) {
  if (!enabled_) return;
  done_ = done;
  failed_ = failed;
  label_ = label;
  auto now = std::chrono::steady_clock::now();
  bool edge = !shown_ || done == total_;
  if (!edge && now - drawn_ < kRedrawEvery) return;
  drawn_ = now;
  write_all(std::string(kEraseLine) + text());
  shown_ = true;
}

void ProgressLine::clear() {
  if (!enabled_ || !shown_) return;
  write_all(std::string(kEraseLine));
  shown_ = false;
}

void ProgressLine::write_all(const std::string& s) const {
  const char* p = s.data();
  size_t left = s.size();
  while (left) {
    ssize_t w = ::write(fd_, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // a terminal that went away: progress is not worth an error
    p += w;
    left -= static_cast<size_t>(w);
  }
}

}  // namespace ringside
