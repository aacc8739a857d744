// Watching the kernel log while scenarios run: a WARNING, BUG or Oops logged by the kernel
// fails the scenarios that were running then, even if every observation conformed.
//
// Attribution: each scenario takes a mark when it starts and collects, when it ends, the
// trouble logged after its mark. With parallel jobs the kernel log cannot tell which
// process caused a record, so a record fails every scenario that was running when it was
// logged (run with --jobs 1 to pin it on one). Only records of the kernel facility count:
// userspace can write to /dev/kmsg but not as the kernel.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/result.hpp"

namespace ringside {

struct KernelLogRecord {
  unsigned facility = 0;  // 0 = the kernel
  unsigned level = 0;     // 0 emerg .. 7 debug
  uint64_t seq = 0;
  std::string text;       // the message, as /dev/kmsg escapes it
};

// One line of /dev/kmsg ("prio,seq,usec,flags[,...];message"), or nullopt.
std::optional<KernelLogRecord> parse_kmsg_line(std::string_view line);
// Whether a kernel message starts a report of a kernel bug: WARNING:, BUG:, Oops,
// kernel BUG at, UBSAN:, general protection fault, Kernel panic.
bool is_kernel_trouble(std::string_view text);

class KernelLog {
 public:
  using Mark = uint64_t;
  // Opens /dev/kmsg (or another path) non-blocking and skips what is already logged;
  // ok() is false, with reason(), if it cannot be read (e.g. not root, dmesg_restrict).
  explicit KernelLog(const std::string& path = "/dev/kmsg");
  // Reads records from fd (taken over), e.g. a pipe in tests; nothing is skipped.
  static std::unique_ptr<KernelLog> from_fd(int fd);
  ~KernelLog();
  KernelLog(const KernelLog&) = delete;
  KernelLog& operator=(const KernelLog&) = delete;

  bool ok() const { return fd_ >= 0; }
  const std::string& reason() const { return reason_; }

  // Where the log is now (reads what is pending first). Thread-safe.
  Mark mark();
  // The trouble logged after the mark: each report's first line and the kernel records
  // that followed it (its call trace), up to kContextLines. Thread-safe.
  std::vector<std::string> trouble_since(Mark m);

  static constexpr size_t kContextLines = 16;

 private:
  struct Unopened {};
  explicit KernelLog(Unopened) {}
  void drain();  // with mu_ held
  void take(const KernelLogRecord& r);

  struct Report {
    Mark at;
    std::vector<std::string> lines;
  };
  int fd_ = -1;
  std::string reason_;
  std::mutex mu_;
  std::string partial_;  // an unfinished line (pipes)
  Mark count_ = 0;       // kernel records read so far
  std::vector<Report> reports_;
};

// Fails r with rule kernel.log (or, if it already failed, adds the lines to its details).
void fail_for_kernel_trouble(ScenarioResult& r, const std::vector<std::string>& lines);

}  // namespace ringside
