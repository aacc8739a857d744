// What one `ringside bench` run measured and concluded. Plain data: the
// measurement code fills it, the analysis adds the model comparison, and the
// table, JSON and SVG writers only read it. JSON schema: README.md here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringside::bench {

// Bump when a field changes meaning or disappears; --compare refuses other versions.
inline constexpr int kSchemaVersion = 1;
inline constexpr const char* kSchemaName = "ringside-bench";

// Where and how the run happened.
struct Environment {
  std::string kernel;          // uname -r
  int cpus_allowed = 0;        // CPUs in this process's affinity mask
  int client_cpu = -1;         // CPU the measured side is pinned to (-1: not pinned)
  int peer_cpu = -1;           // CPU the echo peer process is pinned to (-1: not pinned)
  bool quick = false;
  int message_bytes = 0;       // bytes per request and per reply
  double seconds_per_point = 0;
  std::string io_uring_setup;  // setup flags the workload ring got, or why none
  double load_average = 0;     // 1-minute load average at the start: others' work on the machine
};

// Costs measured by micro-benchmarks, in nanoseconds of CPU time.
struct Params {
  double ts_ns = 0;                 // one system call (user->kernel->user)
  double tk_ns = 0;                 // one thread context switch; the seed's s
  double switch_round_trip_ns = 0;  // raw ping-pong round trip it is derived from
  bool switch_pinned = false;       // both ping-pong threads shared one CPU
  double tr_ns = 0;                 // user-space ring bookkeeping per request
  double tr_kernel_ns = 0;          // kernel work per NOP request (outside the seed's model)
  std::string ts_method, tk_method, tr_method;
  std::string note;                 // anything that could not be measured, and why
};

enum class Status { ok, skip, error };
inline const char* status_name(Status s) { return s == Status::ok ? "ok" : s == Status::skip ? "skip" : "error"; }

// One workload point: a transport, a design, k connections, batch B.
struct Point {
  std::string transport;  // "tcp" (127.0.0.1) or "unix" (socketpair)
  std::string design;     // "blocking", "epoll" or "io_uring"
  int k = 0;              // connections (blocking: threads)
  int batch = 0;          // io_uring: round trips per io_uring_enter; else 0
  Status status = Status::ok;
  std::string reason;     // why skip/error; empty when ok
  uint64_t ops = 0;       // round trips (write + read) in the window
  double seconds = 0;     // wall length of the window
  double user_ns_per_op = 0;
  double sys_ns_per_op = 0;
  double cpu_ns_per_op = 0;  // user + sys
  double ops_per_sec = 0;
  double voluntary_switches_per_op = 0;
  double involuntary_switches_per_op = 0;
  double ops_per_enter = 0;  // io_uring: measured round trips per io_uring_enter; else 0

  // Identity for --compare, e.g. "tcp/io_uring/k=256/B=16".
  std::string key() const {
    return transport + "/" + design + "/k=" + std::to_string(k) +
           (batch > 0 ? "/B=" + std::to_string(batch) : std::string{});
  }
};

// R(k) = T_A(k) / T_B: measured vs the seed's model, per k.
struct RatioRow {
  int k = 0;
  double measured = 0;          // blocking CPU/op / epoll CPU/op, same k
  double measured_io_uring = 0; // blocking / io_uring (largest B run at this k); 0 if absent
  double model = 0;             // (t0 + 2s - l/k) / (t0 - l)
  double rel_error = 0;         // (model - measured) / measured
  bool holds = false;           // |rel_error| <= kModelTolerance
};

struct RatioFit {
  std::string transport;
  bool valid = false;
  std::string why_invalid;
  double t_b_ns = 0;       // t0 - l: median epoll CPU/op over t_b_ks
  std::vector<int> t_b_ks; // k whose epoll loop rarely slept (< 0.5 switches/op), else all k
  double t_b_min_ns = 0;   // spread of the epoll CPU/op the median came from
  double t_b_max_ns = 0;
  double l_ns = 0;         // locality benefit: slope of blocking CPU/op against 1/k
  double alpha_ns = 0;     // intercept of that fit; the model says alpha = t0 + 2s
  double t0_ns = 0;        // t_b + l
  double s_ns = 0;         // measured context switch
  std::string crossing_model;     // where R(k) = 1 by the model, in words
  std::string crossing_measured;  // where measured R(k) crosses 1, in words
  std::vector<RatioRow> rows;
};

// Overhead per request against batch size B at one k.
struct BatchRow {
  int batch = 0;
  double cpu_ns_per_op = 0;        // io_uring loop, measured
  double measured_overhead_ns = 0; // cpu_ns_per_op - work_ns
  double model_overhead_ns = 0;    // 2(ts+tk)/B + tr
};

struct BatchFit {
  std::string transport;
  bool valid = false;
  std::string why_invalid;
  int k = 0;                   // connections the B sweep ran with
  double legacy_cpu_ns = 0;    // blocking thread per connection, same k: the "legacy" design
  double legacy_model_ns = 0;  // 2(ts + tk): the model's legacy overhead per request
  double fit_fixed_ns = 0;     // c in io_uring cpu(B) = a + c/B: cost paid once per batch
  double fit_per_request_ns = 0;  // a: cost per request however large the batch
  double work_ns = 0;          // a - tr: the work under the overhead, shared by every design
  double legacy_measured_ns = 0;  // legacy_cpu_ns - work_ns: measured legacy overhead
  double b_star = 0;           // model break-even, 0 if none (tr >= 2(ts+tk))
  int measured_break_even = 0; // smallest swept B with io_uring CPU/op <= legacy; 0: none
  double fit_break_even = 0;   // c / (legacy - a) when both are positive, else 0
  bool break_even_agrees = false;  // measured_break_even within a factor 2 of b_star
  std::vector<BatchRow> rows;
};

struct Analysis {
  double tolerance = 0;  // relative error under which we say "the model holds"
  std::vector<RatioFit> ratio;
  std::vector<BatchFit> batching;
};

struct Report {
  std::string schema = kSchemaName;
  int version = kSchemaVersion;
  Environment env;
  Params params;
  std::vector<Point> points;
  Analysis analysis;
};

}  // namespace ringside::bench
