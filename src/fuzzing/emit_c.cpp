#include "fuzzing/emit_c.hpp"

#include <algorithm>
#include <set>

#include "oracle/rules.hpp"
#include "program/script.hpp"
#include "fuzzing/mutant_c.hpp"

namespace ringside {

CEmit& CEmit::line(const std::string& code) {
  out_ += "    " + code + "\n";
  return *this;
}

const CStepEmitter* c_emitter(Op op) {
  for (auto table : {readiness_c_emitters(), uring_c_emitters(), wrapper_c_emitters()})
    for (const auto& e : table)
      if (e.op == op) return &e;
  return nullptr;
}

namespace {

// Runtime support of every reproducer. Mirrors the engine: pattern bytes, loopback
// addresses, a helper thread for `later` steps that runs them in order after their delay.
constexpr const char* kPrelude = R"C(#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Not every reproducer uses every helper. */
#define MAYBE_UNUSED __attribute__((unused))

static MAYBE_UNUSED int fd_[NRES];
static MAYBE_UNUSED uint32_t origin_[NRES];
static MAYBE_UNUSED struct sockaddr_storage addr_[NRES];
static MAYBE_UNUSED socklen_t addrlen_[NRES];
static MAYBE_UNUSED unsigned long long written_[NRES]; /* bytes written per pattern stream (atomic) */
static MAYBE_UNUSED unsigned masks_[NMASKS];           /* readiness per operand or epoll token */
static MAYBE_UNUSED unsigned char *data_;              /* bytes the last read returned */
static MAYBE_UNUSED long datalen_;
static MAYBE_UNUSED long later_ret_[NSTEPS];
static char tmpdir_[] = "/tmp/ringside-repro.XXXXXX";
/* io_uring: prepares the SQE of the request queued by a step, at submit (generated per
   program); the end of a program's rings (set by its first `ring` step). */
static MAYBE_UNUSED void (*prep_fn_)(int step, struct io_uring_sqe *sqe);
static MAYBE_UNUSED void (*ring_finish_)(void);
static MAYBE_UNUSED int mutant_done_; /* a mutant that strikes once has struck */
static volatile int current_step_;

/* The bytes ringside writes: a function of (stream, offset), so readers can be checked. */
static MAYBE_UNUSED unsigned char pattern_byte(uint32_t stream, uint64_t offset) {
  uint64_t x = offset * 0x9E3779B97F4A7C15ull + (uint64_t)stream * 0xD1B54A32D192ED03ull;
  return (unsigned char)((x >> 56) ^ (x >> 29) ^ offset);
}

static MAYBE_UNUSED void fill_pattern(uint32_t stream, uint64_t offset, unsigned char *p, size_t n) {
  /* pattern_byte(stream, offset + i), with the multiplications hoisted out of the loop */
  uint64_t x = offset * 0x9E3779B97F4A7C15ull + (uint64_t)stream * 0xD1B54A32D192ED03ull;
  for (size_t i = 0; i < n; ++i, x += 0x9E3779B97F4A7C15ull) p[i] = (unsigned char)((x >> 56) ^ (x >> 29) ^ (offset + i));
}

static MAYBE_UNUSED void cleanup(void) { rmdir(tmpdir_); }

static MAYBE_UNUSED void env_fail(const char *what) {
  fprintf(stderr, "repro: step %d: %s: %s (the environment, not a deviation)\n", current_step_, what, strerror(errno));
  cleanup();
  exit(2);
}

static MAYBE_UNUSED unsigned char *scratch(size_t n) {
  unsigned char *p = malloc(n < 8 ? 8 : n);
  if (!p) env_fail("malloc");
  return p;
}

static MAYBE_UNUSED int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* 127.0.0.1 / ::1 port 0, or a unique abstract AF_UNIX name. */
static MAYBE_UNUSED void bind_loopback(int fd, int family, int r) {
  struct sockaddr_storage *a = &addr_[r];
  memset(a, 0, sizeof *a);
  if (family == 0) {
    struct sockaddr_in *in = (struct sockaddr_in *)a;
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addrlen_[r] = sizeof *in;
  } else if (family == 1) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)a;
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    addrlen_[r] = sizeof *in6;
  } else {
    struct sockaddr_un *un = (struct sockaddr_un *)a;
    un->sun_family = AF_UNIX;
    int n = snprintf(un->sun_path + 1, sizeof un->sun_path - 1, "ringside-repro.%d.%d", (int)getpid(), r);
    addrlen_[r] = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
  }
  if (bind(fd, (struct sockaddr *)a, addrlen_[r]) != 0) env_fail("bind");
  if (family != 2 && getsockname(fd, (struct sockaddr *)a, &addrlen_[r]) != 0) env_fail("getsockname");
}

/* `later` steps: one helper thread runs them in order, each after its delay. */
static long (*later_fn_)(int step);
static struct { int step; int64_t start_ns; } jobs_[NSTEPS];
static int njobs_, done_jobs_, next_job_, helper_started_;
static pthread_mutex_t mu_ = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_ = PTHREAD_COND_INITIALIZER;
static pthread_t helper_;

static MAYBE_UNUSED void *helper_main(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu_);
    while (next_job_ == njobs_) pthread_cond_wait(&cv_, &mu_);
    int step = jobs_[next_job_].step;
    int64_t start = jobs_[next_job_].start_ns;
    pthread_mutex_unlock(&mu_);
    int64_t wait = start - now_ns();
    if (wait > 0) {
      struct timespec ts = {wait / 1000000000, wait % 1000000000};
      while (nanosleep(&ts, &ts) != 0) {
      }
    }
    long ret = later_fn_(step);
    pthread_mutex_lock(&mu_);
    later_ret_[step] = ret;
    ++done_jobs_;
    ++next_job_;
    pthread_cond_broadcast(&cv_);
    pthread_mutex_unlock(&mu_);
  }
  return NULL;
}

static MAYBE_UNUSED void post_later(int step, long delay_us) {
  if (!helper_started_) {
    if (pthread_create(&helper_, NULL, helper_main, NULL) != 0) env_fail("pthread_create");
    helper_started_ = 1;
  }
  pthread_mutex_lock(&mu_);
  jobs_[njobs_].step = step;
  jobs_[njobs_].start_ns = now_ns() + (int64_t)delay_us * 1000;
  ++njobs_;
  pthread_cond_broadcast(&cv_);
  pthread_mutex_unlock(&mu_);
}

static MAYBE_UNUSED void join_later(void) {
  pthread_mutex_lock(&mu_);
  while (done_jobs_ < njobs_) pthread_cond_wait(&cv_, &mu_);
  pthread_mutex_unlock(&mu_);
}

/* A step that never returns: the kernel hung it. */
static MAYBE_UNUSED void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "repro: a step is still blocked after 30s\n";
  if (write(2, msg, sizeof msg - 1) < 0) {
  }
  _exit(HANG_EXIT);
}
)C";

std::string int_lit(int64_t v) {
  if (v == INT64_MIN) return "(-9223372036854775807LL - 1)";
  return std::to_string(v) + "LL";
}

// The check as a C condition that holds when the observation is allowed.
bool allowed_condition(const Allowed& a, std::string& cond, std::string& observed, std::string& error) {
  std::string x;
  switch (a.what) {
    case Judged::Ret:
      x = "ret";
      break;
    case Judged::Value:
      x = "value";
      break;
    case Judged::HelperRet:
      x = "later_ret_[" + std::to_string(a.ref) + "]";
      break;
    case Judged::Mask:
      x = "(long long)(masks_[" + std::to_string(a.ref) + "] & " + std::to_string(a.filter) + "u)";
      break;
    case Judged::Data:
      cond = "data_matches(" + std::to_string(a.ref) + "u, " + std::to_string(a.offset) + "ull)";
      observed = "\"the bytes read\"";
      return true;
    case Judged::CqeRes:
      // The res of the request's final CQE; if none was taken the failure did not recur
      // (cqe_final says so), and the check holds.
      x = "cres_";
      break;
    case Judged::CqeCount:
      x = "cqe_count(" + std::to_string(a.ref) + "ull)";
      break;
    case Judged::Unknown:
      error = "the check that failed cannot be expressed in C yet";
      return false;
  }
  if (a.ranges.empty()) {
    cond = "0";
  } else {
    for (size_t k = 0; k < a.ranges.size(); ++k) {
      auto [lo, hi] = a.ranges[k];
      if (k) cond += " || ";
      if (lo == hi) cond += "(long long)" + x + " == " + int_lit(lo);
      else cond += "((long long)" + x + " >= " + int_lit(lo) + " && (long long)" + x + " <= " + int_lit(hi) + ")";
    }
  }
  if (a.what == Judged::CqeRes) cond = "!cqe_final(" + std::to_string(a.ref) + "ull, &cres_) || " + cond;
  observed = x;
  return true;
}

std::string c_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// One step's system calls (and the planted mutant's distortion, if any).
void emit_step_code(const Program& p, size_t i, const Mutant* mutant, std::string& o) {
  const Step& s = p.steps[i];
  CEmit ce(o, p, i);
  c_emitter(s.op)->emit(ce, s);
  if (mutant) {
    std::string f = mutant_c_code(*mutant, p, s);
    if (!f.empty()) ce.line("/* mutant " + std::string(mutant->id) + " */ " + f);
  }
}

// The function submit calls to prepare the SQE of the request a step queued (io_uring
// steps of the first `steps` steps, CStepEmitter::prep).
std::string prep_function(const std::string& name, const Program& p, size_t steps) {
  std::string out = "\nstatic MAYBE_UNUSED void " + name + "(int step, struct io_uring_sqe *sqe) {\n  switch (step) {\n";
  for (size_t i = 0; i < p.steps.size() && i < steps; ++i) {
    const CStepEmitter* e = c_emitter(p.steps[i].op);
    if (!e || !e->prep) continue;
    out += "  case " + std::to_string(i) + ": {\n";
    CEmit ce(out, p, i);
    e->prep(ce, p.steps[i]);
    out += "    break;\n  }\n";
  }
  return out + "  default:\n    (void)sqe;\n    break;\n  }\n}\n";
}

// The function the helper thread calls for the program's `later` steps (of the first
// `steps` steps).
std::string later_function(const std::string& name, const Program& p, size_t steps, const Mutant* mutant) {
  std::string out = "\nstatic long " + name + "(int step) {\n  switch (step) {\n";
  for (size_t i = 0; i < p.steps.size() && i < steps; ++i) {
    if (!p.steps[i].later) continue;
    out += "  case " + std::to_string(i) + ": {\n    long ret = 0, value = 0;\n";
    emit_step_code(p, i, mutant, out);
    out += "    (void)value;\n    return ret;\n  }\n";
  }
  return out + "  default:\n    return 0;\n  }\n}\n";
}

std::string c_comment(std::string s) {
  for (size_t p; (p = s.find("*/")) != std::string::npos;) s.replace(p, 2, "* /");
  return s;
}

}  // namespace

std::string emit_c(const EmitCInput& in, std::string& error) {
  const Program& p = *in.program;
  const Violation& v = in.violation;
  // Which steps run: up to the failing one; a `later` step's result is seen at the
  // next join (or the implicit one at the end).
  size_t last = std::min(v.step, p.steps.size());
  bool at_end = v.step >= p.steps.size();
  if (v.allowed.what == Judged::HelperRet) {
    last = p.steps.size();
    for (size_t k = v.allowed.ref + 1; k < p.steps.size(); ++k)
      if (p.steps[k].op == Op::Join) {
        last = k;
        break;
      }
    at_end = last >= p.steps.size();
  }
  std::set<const CStepEmitter*> used;
  for (size_t i = 0; i < p.steps.size() && i <= last; ++i) {
    const CStepEmitter* e = c_emitter(p.steps[i].op);
    if (!e) {
      error = "step " + std::to_string(i + 1) + ": '" + std::string(p.steps[i].spec().name) +
              "' is not supported by --emit-c yet";
      return {};
    }
    used.insert(e);
  }
  if (in.mutant && !mutant_has_c_form(*in.mutant)) {
    error = "the mutant '" + std::string(in.mutant->id) + "' has no C form: the reproducer could not re-apply it";
    return {};
  }
  std::string cond, observed;
  if (!allowed_condition(v.allowed, cond, observed, error)) {
    error = rule(v.rule).id.data() + std::string(": ") + error;
    return {};
  }

  std::string out;
  const Rule& rl = rule(v.rule);
  out += "/* Reproducer emitted by `ringside repro --emit-c`.\n";
  out += " *\n * " + c_comment(std::string(rl.id)) + ": " + c_comment(std::string(rl.summary)) + "\n";
  out += " * (" + c_comment(std::string(rl.source)) + ")\n";
  std::string where = at_end ? "the end of the program (implicit join)" : print_step(p, p.steps[std::min(v.step, p.steps.size() - 1)]);
  out += " * Failing step: " + c_comment(where) + "\n";
  out += " * Allowed: " + c_comment(v.expected) + "\n * ringside observed: " + c_comment(v.observed) + "\n";
  if (in.mutant)
    out += " * NOTE: planted by the mutant '" + std::string(in.mutant->id) + "' (" + std::string(in.mutant->summary) +
           "), re-applied below.\n";
  out += " *\n * Build: cc -o repro repro.c -luring      Run: ./repro\n";
  out += " * Exit status: 1 the kernel deviated, 0 it did not, 2 the environment failed.\n *\n";
  out += " * The program, as a ringside scenario:\n";
  {
    std::string text = print_script(p);
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      out += " *   " + c_comment(text.substr(pos, nl - pos)) + "\n";
      pos = nl == std::string::npos ? text.size() : nl + 1;
    }
  }
  out += " */\n";
  size_t nres = std::max<size_t>(p.resources.size(), 1);
  out += "#define NRES " + std::to_string(nres) + "\n";
  out += "#define NMASKS " + std::to_string(std::max<size_t>(nres, 64)) + "\n";
  out += "#define NSTEPS " + std::to_string(std::max<size_t>(p.steps.size(), 1)) + "\n";
  out += "#define HANG_EXIT " + std::string(v.rule == RuleId::Deadline ? "1" : "2") + "\n";
  out += kPrelude;
  for (const CStepEmitter* e : used)
    if (e->support) out += e->support;
  out += "\nstatic MAYBE_UNUSED int data_matches(uint32_t stream, uint64_t offset) {\n"
         "  for (long k = 0; k < datalen_; ++k)\n"
         "    if (data_[k] != pattern_byte(stream, offset + (uint64_t)k)) return 0;\n"
         "  return 1;\n}\n";

  auto step_code = [&](size_t i, std::string& o) { emit_step_code(p, i, in.mutant, o); };
  out += later_function("run_later", p, last + 1, in.mutant);
  out += prep_function("prep_steps", p, last + 1);

  std::string fail_block = "      fprintf(stderr, \"DEVIATION %s: %s\\n  observed %lld, allowed: %s\\n\", " +
                           c_string(std::string(rl.id)) + ", " + c_string(where) + ", (long long)(" +
                           (observed.front() == '"' ? "0" : observed) + "), " + c_string(v.expected) + ");\n";
  auto check = [&](std::string& o) {
    o += "    if (!(" + cond + ")) {\n" + fail_block + "      cleanup();\n      return 1;\n    }\n";
  };

  out += "\nint main(void) {\n";
  out += "  signal(SIGPIPE, SIG_IGN);\n  signal(SIGALRM, on_alarm);\n  alarm(30);\n  later_fn_ = run_later;\n"
         "  prep_fn_ = prep_steps;\n";
  out += "  for (int r = 0; r < NRES; ++r) fd_[r] = -1;\n";
  out += "  if (!mkdtemp(tmpdir_)) env_fail(\"mkdtemp\");\n";
  for (size_t i = 0; i < p.steps.size() && i <= last; ++i) {
    const Step& s = p.steps[i];
    out += "  /* step " + std::to_string(i + 1) + ": " + c_comment((s.later ? "later " : "") + print_step(p, s)) + " */\n";
    out += "  current_step_ = " + std::to_string(i + 1) + ";\n  {\n    long ret = 0, value = 0;\n";
    if (s.later) out += "    post_later(" + std::to_string(i) + ", " + std::to_string(s.delay_us) + "L);\n";
    else step_code(i, out);
    bool checked_here = !at_end && i == last;
    if (checked_here) check(out);
    out += "    (void)ret;\n    (void)value;\n  }\n";
  }
  if (at_end) {
    out += "  /* end of the program: the implicit join */\n  {\n    long ret = 0, value = 0;\n    join_later();\n";
    check(out);
    out += "    (void)ret;\n    (void)value;\n  }\n";
  }
  out += "  printf(\"no deviation: " + std::string(rl.id) + " held (the observation was in the allowed set)\\n\");\n";
  out += "  cleanup();\n  return 0;\n}\n";
  return out;
}

std::string emit_c_bench(const std::vector<BenchProgram>& programs, unsigned rounds, std::string& error) {
  size_t nres = 1, nsteps = 1;
  for (const auto& bp : programs) {
    nres = std::max(nres, bp.program->resources.size());
    nsteps = std::max(nsteps, bp.program->steps.size());
    for (size_t i = 0; i < bp.steps && i < bp.program->steps.size(); ++i)
      if (!c_emitter(bp.program->steps[i].op)) {
        error = "'" + std::string(bp.program->steps[i].spec().name) + "' is not supported by --emit-c yet";
        return {};
      }
  }
  std::string out = "/* Bare system calls of " + std::to_string(programs.size()) +
                    " programs, emitted by the ringside fuzz benchmark. */\n";
  out += "#define NRES " + std::to_string(nres) + "\n#define NMASKS " + std::to_string(std::max<size_t>(nres, 64)) +
         "\n#define NSTEPS " + std::to_string(nsteps) + "\n#define HANG_EXIT 3\n";
  out += kPrelude;
  std::set<const CStepEmitter*> support;
  for (const auto& bp : programs)
    for (size_t i = 0; i < bp.steps && i < bp.program->steps.size(); ++i) support.insert(c_emitter(bp.program->steps[i].op));
  for (const CStepEmitter* e : support)
    if (e->support) out += e->support;
  out += R"C(
/* The engine's end of a program: join the helper, close every fd still open. */
static void finish_program(void) {
  join_later();
  if (ring_finish_) ring_finish_(); /* rings are reset before the fds their requests use are closed */
  pthread_mutex_lock(&mu_);
  njobs_ = done_jobs_ = next_job_ = 0;
  pthread_mutex_unlock(&mu_);
  for (int r = 0; r < NRES; ++r) {
    if (fd_[r] >= 0) close(fd_[r]);
    fd_[r] = -1;
    written_[r] = 0;
  }
}
)C";
  for (size_t k = 0; k < programs.size(); ++k) {
    const Program& p = *programs[k].program;
    size_t steps = std::min(programs[k].steps, p.steps.size());
    std::string name = "p" + std::to_string(k);
    out += later_function("later_" + name, p, steps, nullptr);
    out += prep_function("prep_" + name, p, steps);
    out += "\nstatic void run_" + name + "(void) {\n  later_fn_ = later_" + name + ";\n  prep_fn_ = prep_" + name + ";\n";
    for (size_t i = 0; i < steps; ++i) {
      out += "  {\n    long ret = 0, value = 0;\n";
      if (p.steps[i].later) out += "    post_later(" + std::to_string(i) + ", " + std::to_string(p.steps[i].delay_us) + "L);\n";
      else emit_step_code(p, i, nullptr, out);
      out += "    (void)ret;\n    (void)value;\n  }\n";
    }
    out += "  finish_program();\n}\n";
  }
  out += "\nstatic void (*const programs_[])(void) = {\n";
  for (size_t k = 0; k < programs.size(); ++k) out += "    run_p" + std::to_string(k) + ",\n";
  out += "};\n\nint main(void) {\n  signal(SIGPIPE, SIG_IGN);\n  signal(SIGALRM, on_alarm);\n";
  out += "  for (int r = 0; r < NRES; ++r) fd_[r] = -1;\n  if (!mkdtemp(tmpdir_)) env_fail(\"mkdtemp\");\n";
  out += "  size_t n = sizeof programs_ / sizeof programs_[0];\n";
  out += "  alarm(600);\n  int64_t t0 = now_ns();\n";
  out += "  for (int round = 0; round < " + std::to_string(rounds) + "; ++round)\n";
  out += "    for (size_t k = 0; k < n; ++k) programs_[k]();\n";
  out += "  int64_t t1 = now_ns();\n";
  out += "  printf(\"programs %zu seconds %.6f\\n\", n * " + std::to_string(rounds) + ", (double)(t1 - t0) / 1e9);\n";
  out += "  cleanup();\n  return 0;\n}\n";
  return out;
}

}  // namespace ringside
