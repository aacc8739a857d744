// The standalone C reproducer: a program that uses only libc and liburing, performs the
// steps of a (shrunk) failing program on the running kernel, and exits 1 when the
// failing step's observation is outside the set the oracle allowed, 0 when it is inside
// (2 when the environment fails, e.g. socket() is refused). For a kernel developer who
// will not install ringside: `cc -o repro repro.c -luring && ./repro`.
//
// Code per operation comes from tables (emit_c_ops*.cpp), one entry per Op. Emitting a
// program with an operation that has no entry fails with "not supported by --emit-c
// yet", naming it. Conventions an entry's code relies on, inside the step's block:
//   fd_[r], origin_[r], addr_[r], addrlen_[r]   per resource r (see CEmit::fd...)
//   written_[stream]                           bytes written per pattern stream
//   long ret, value;                           what the engine reports as
//                                              Observation::ret / ::value
//   masks_[ref]                                readiness reported per operand index
//                                              (poll, select) or epoll token (0: none)
//   data_, datalen_                            bytes a read returned
//   later_ret_[step]                           results of `later` steps after join
//   ring_[r], cqe_[0..ncqe_)                   io_uring: the ring of resource r, the
//                                              CQEs the last `reap` took (see
//                                              emit_c_ops_uring.cpp)
// and the helpers of the prelude: pattern_byte(), fill_pattern(), bind_loopback(),
// env_fail(), now_ns().
#pragma once
#include <span>
#include <string>
#include <vector>

#include "oracle/verdict.hpp"
#include "program/program.hpp"

namespace ringside {

struct Mutant;

// Writing one step's C code.
class CEmit {
 public:
  CEmit(std::string& out, const Program& p, size_t step) : out_(out), p_(p), step_(step) {}
  const Program& program() const { return p_; }
  size_t step_index() const { return step_; }
  // "fd_[3]" etc.
  std::string fd(ResId r) const { return "fd_[" + std::to_string(r) + "]"; }
  std::string origin(ResId r) const { return "origin_[" + std::to_string(r) + "]"; }
  ResKind kind(ResId r) const { return p_.res(r).kind; }
  // One line of C (indentation added).
  CEmit& line(const std::string& code);

 private:
  std::string& out_;
  const Program& p_;
  size_t step_;
};

struct CStepEmitter {
  Op op;
  // Emits the system calls of step `s`, setting ret/value/masks_/data_ as the engine's
  // Observation would.
  void (*emit)(CEmit& e, const Step& s);
  // C helpers the code needs, emitted once per program (or nullptr). Emitters that share
  // helpers name them from one entry only (io_uring: `ring`, which every program with an
  // io_uring step has).
  const char* support = nullptr;
  // io_uring requests: the code that prepares the SQE `sqe` of the request queued by step
  // `s` when it is submitted (the engine prepares SQEs at submit time, see uring_ring.hpp);
  // it runs in a generated `prep_step` switch, nullptr for other steps.
  void (*prep)(CEmit& e, const Step& s) = nullptr;
};

// The tables: readiness steps (emit_c_ops.cpp), io_uring steps (emit_c_ops_uring.cpp),
// readiness-wrapper steps (emit_c_ops_wrapper.cpp).
std::span<const CStepEmitter> readiness_c_emitters();
std::span<const CStepEmitter> uring_c_emitters();
std::span<const CStepEmitter> wrapper_c_emitters();
const CStepEmitter* c_emitter(Op op);

struct EmitCInput {
  const Program* program = nullptr;
  Violation violation;  // the failure to check (from a failing run of the program)
  std::string rule_summary;
  const Mutant* mutant = nullptr;  // re-applied in C if the failure was planted by a mutant
};

// The C source, or "" with `error` set (an operation without an emitter, a check the
// reproducer cannot express, or a mutant without a C form).
std::string emit_c(const EmitCInput& in, std::string& error);

// For the fuzz benchmark: one C program that runs the first `steps` steps of each
// program `rounds` times with no checks, closing each program's fds after it (as the
// engine does), and prints "programs N seconds S": the bare system calls of the same
// programs.
struct BenchProgram {
  const Program* program;
  size_t steps;
};
std::string emit_c_bench(const std::vector<BenchProgram>& programs, unsigned rounds, std::string& error);

}  // namespace ringside
