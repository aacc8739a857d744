// Keeping a campaign going past its failures, as syzkaller files crashes under a title:
// each failure is shrunk and filed under its rule, the step it failed at and the shape
// of the shrunk program; a failure whose title is known only counts. A kernel with known
// bugs, or another implementation of the interface (gVisor), still gets fuzzed past them.
#pragma once
#include <cstdint>
#include <string>

#include "program/program.hpp"
#include "runner/result.hpp"

namespace ringside {

struct Finding {
  std::string title;      // rule, failing step, shape of the shrunk program
  std::string rule;
  uint64_t count = 0;     // failures filed under it
  double first_seconds = 0;  // campaign time when it was first seen
  Program program;        // the first failing program, as it ran
  Program shrunk;         // its shrunk form (the program itself if it did not shrink)
  ScenarioResult failure; // a failing run (of the shrunk program when it shrank)
  bool crashed = false;   // the worker crashed or hung on it
  std::string known;      // why it is a known kernel deviation ("" : a new finding)
};

// Why a failure is a known kernel deviation, or "": the oracle says only tolerances of
// kind kernel-bug (documented bugs of some kernels, off unless --tolerate ID) would
// admit what the kernel did.
std::string known_kernel_bug(const ScenarioResult& r);

// Index of the step a failure happened at (the violation's, or the last one that ran).
size_t failing_step(const Program& p, const ScenarioResult& r);

// Before shrinking: the rule and the failing step's operation with its operands' kinds,
// e.g. "epoll.et.refire epoll_wait(epoll)". Failures that share it are usually one bug.
std::string failure_key(const Program& p, const ScenarioResult& r);

// The title of a shrunk failure: its key and the shrunk program's operations in order,
// e.g. "stream.data.order read(pipe_r) [pipe write read]".
std::string finding_title(const Program& shrunk, const ScenarioResult& r);

}  // namespace ringside
