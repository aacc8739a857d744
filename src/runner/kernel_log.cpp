#include "runner/kernel_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "oracle/rules.hpp"

namespace ringside {

namespace {

bool parse_uint(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

constexpr size_t kMaxReports = 1000;  // bound memory on a kernel that warns in a loop

}  // namespace

std::optional<KernelLogRecord> parse_kmsg_line(std::string_view line) {
  size_t semi = line.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  std::string_view head = line.substr(0, semi);
  // prio,seq,usec,flags[,more...]
  size_t c1 = head.find(',');
  if (c1 == std::string_view::npos) return std::nullopt;
  size_t c2 = head.find(',', c1 + 1);
  uint64_t prio = 0, seq = 0;
  if (!parse_uint(head.substr(0, c1), prio)) return std::nullopt;
  if (!parse_uint(head.substr(c1 + 1, c2 == std::string_view::npos ? std::string_view::npos : c2 - c1 - 1), seq))
    return std::nullopt;
  KernelLogRecord r;
  r.facility = static_cast<unsigned>(prio >> 3);
  r.level = static_cast<unsigned>(prio & 7);
  r.seq = seq;
  r.text = std::string(line.substr(semi + 1));
  return r;
}

bool is_kernel_trouble(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  // Line-start matches only: "traps: prog[1] general protection fault" is a user crash.
  for (std::string_view p : {"WARNING:", "BUG:", "BUG ", "kernel BUG at", "Oops", "UBSAN:",
                             "general protection fault", "Kernel panic"})
    if (text.starts_with(p)) return true;
  return false;
}

KernelLog::KernelLog(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    reason_ = path + ": " + std::strerror(errno);
    return;
  }
  // Only what is logged from now on matters.
  if (::lseek(fd_, 0, SEEK_END) < 0 && errno != ESPIPE) {
    reason_ = path + ": seek to the end: " + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
  }
}

std::unique_ptr<KernelLog> KernelLog::from_fd(int fd) {
  std::unique_ptr<KernelLog> k(new KernelLog(Unopened{}));
  k->fd_ = fd;
  int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0) ::fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  return k;
}

KernelLog::~KernelLog() {
  if (fd_ >= 0) ::close(fd_);
}

void KernelLog::take(const KernelLogRecord& r) {
  if (r.facility != 0) return;
  ++count_;
  if (is_kernel_trouble(r.text)) {
    if (reports_.size() == kMaxReports) reports_.erase(reports_.begin());
    reports_.push_back({count_, {r.text}});
  } else if (!reports_.empty() && reports_.back().lines.size() <= kContextLines) {
    reports_.back().lines.push_back(r.text);
  }
}

void KernelLog::drain() {
  if (fd_ < 0) return;
  // /dev/kmsg returns one record per read; a record is at most a few KiB.
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) continue;  // records were overwritten before we read them: go on
      return;                        // EAGAIN: nothing more now
    }
    if (n == 0) return;
    partial_.append(buf, static_cast<size_t>(n));
    size_t start = 0, nl;
    while ((nl = partial_.find('\n', start)) != std::string::npos) {
      std::string_view line(partial_.data() + start, nl - start);
      start = nl + 1;
      if (line.empty() || line.front() == ' ') continue;  // " KEY=value" dictionary lines
      if (auto r = parse_kmsg_line(line)) take(*r);
    }
    partial_.erase(0, start);
  }
}

KernelLog::Mark KernelLog::mark() {
  std::lock_guard<std::mutex> l(mu_);
  drain();
  return count_;
}

std::vector<std::string> KernelLog::trouble_since(Mark m) {
  std::lock_guard<std::mutex> l(mu_);
  drain();
  std::vector<std::string> out;
  for (const auto& r : reports_)
    if (r.at > m) out.insert(out.end(), r.lines.begin(), r.lines.end());
  return out;
}

void fail_for_kernel_trouble(ScenarioResult& r, const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  std::string joined;
  for (const auto& l : lines) joined += (joined.empty() ? "" : "\n") + l;
  const Rule& rl = rule(RuleId::KernelLog);
  if (r.verdict == Verdict::Fail) {
    // Keep the first rule broken; the log still belongs in the report.
    for (const auto& l : lines) r.warnings.push_back("kernel log: " + l);
    return;
  }
  Violation v;
  v.rule = RuleId::KernelLog;
  v.step = 0;  // not one step: step_line 0 says "the whole scenario"
  v.expected = "no WARNING, BUG or Oops in the kernel log";
  v.observed = joined;
  if (r.verdict != Verdict::Pass)
    v.detail = std::string("the scenario itself ended ") + verdict_name(r.verdict) + ": " + r.reason;
  r.verdict = Verdict::Fail;
  r.violation = v;
  r.rule_id = std::string(rl.id);
  r.step_text = "(while the scenario ran)";
  r.step_line = 0;
  r.reason = std::string(rl.id) + ": the kernel logged " + lines.front();
}

}  // namespace ringside
