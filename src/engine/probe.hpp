// What this kernel and machine actually support, probed (never guessed from the version).
// No probe can hang the run: a probe call that could block runs in a child process with
// a deadline (kProbeDeadline); one that does not answer in time is recorded as unknown,
// with the reason, and the run goes on with the looser fact.
#pragma once
#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace ringside {

// How long one probe call may take before it is given up as unknown.
inline constexpr std::chrono::milliseconds kProbeDeadline{2000};

// A fact the probe could not establish: the feature name and why.
struct UnknownFact {
  std::string feature;
  std::string reason;
};

struct KernelProbe {
  std::string release;          // uname -r
  bool ipv6 = false;            // a socket can bind ::1
  bool pipe_nowait = false;     // pipes take RWF_NOWAIT (FMODE_NOWAIT, Linux 6.4+): io_uring
                                // retries pipe reads inline instead of punting them to io-wq;
                                // false (the looser fact) when unknown
  std::vector<UnknownFact> unknown;  // probes that could not tell (in `features`: absent)
  bool uring = false;           // io_uring_setup works here
  std::string uring_reason;     // why not (sysctl, seccomp, ENOSYS...)
  std::vector<std::string> uring_ops;       // opcodes the kernel supports
  std::vector<unsigned> uring_op_codes;     // opcodes the kernel supports (numbers)
  unsigned uring_last_op = 0;               // probe->last_op
  std::vector<std::string> uring_features;  // IORING_FEAT_* reported at setup
  std::set<std::string> features;           // flat names for `requires:`
  bool has(const std::string& feature) const { return features.count(feature) != 0; }
  // Why `feature` could not be probed, or nullptr if it was.
  const UnknownFact* unknown_fact(const std::string& feature) const;
};

// Probed once per process.
const KernelProbe& probe_kernel();
// Name of an io_uring opcode ("read", "poll_add"...), or "op<N>" if unknown.
std::string uring_op_name(unsigned op);

}  // namespace ringside
