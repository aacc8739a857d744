#include "runner/run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "engine/errors.hpp"
#include "engine/probe.hpp"
#include "mutate/mutants.hpp"
#include "oracle/expect.hpp"
#include "oracle/oracle.hpp"
#include "program/script.hpp"
#include "runner/result_json.hpp"
#include "runner/trace.hpp"

namespace ringside {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "PASS";
    case Verdict::Fail: return "FAIL";
    case Verdict::Skip: return "SKIP";
    case Verdict::Error: return "ERROR";
  }
  return "?";
}

TolerancePolicy policy_of(const RunOptions& o) {
  TolerancePolicy policy(o.profile);
  for (auto [t, on] : o.tolerate) policy.set(t, on ? TolMode::On : TolMode::Off);
  return policy;
}

std::string missing_requirement(const Program& p, const KernelProbe& probe, const TolerancePolicy& policy) {
  for (const auto& id : p.shows)
    if (const Tolerance* t = tolerance_by_id(id); t && !policy.admits(t->tol))
      return "shows " + id + " (" + std::string(tol_kind_name(t->kind)) + "), which the " +
             std::string(profile_name(policy.profile())) + " profile does not admit";
  for (const auto& f : p.requires_) {
    if (probe.has(f)) continue;
    if ((f == "uring" || f.starts_with("uring.")) && !probe.uring) return "requires io_uring: " + probe.uring_reason;
    return "requires " + f + ": not supported here (probed)";
  }
  return {};
}

namespace {

// What the oracle needs to know of this kernel (probed once per process).
KernelFacts kernel_facts() {
  KernelFacts f;
  f.pipe_nowait = probe_kernel().pipe_nowait;
  return f;
}

void record_violation(ScenarioResult& r, const Program& p, const Violation& v, const std::string& state) {
  const Rule& rl = rule(v.rule);
  r.verdict = Verdict::Fail;
  r.violation = v;
  r.rule_id = std::string(rl.id);
  if (v.step < p.steps.size()) {
    const Step& s = p.steps[v.step];
    r.step_text = (s.later ? "later " : "") + print_step(p, s);
    r.step_line = s.loc.line ? s.loc.line : static_cast<uint32_t>(v.step + 1);
  } else {
    r.step_text = "(end of scenario: implicit join)";
  }
  r.reason = std::string(rl.id) + ": " + std::string(rl.summary);
  if (!v.needs.empty()) {
    r.reason += " (admitted only by";
    for (TolId t : v.needs) r.reason += " " + std::string(tolerance(t).id);
    r.reason += ")";
  }
  r.state = state;
}

// What the oracle's ledger says about how strictly the run was judged.
void record_strictness(ScenarioResult& r, const Program& p, const Oracle& oracle) {
  for (auto [t, n] : oracle.tolerances_used()) r.tolerances[std::string(tolerance(t).id)] = n;
  auto line = [&](size_t step) {
    if (step >= p.steps.size()) return static_cast<uint32_t>(0);
    return p.steps[step].loc.line ? p.steps[step].loc.line : static_cast<uint32_t>(step + 1);
  };
  for (const Span& s : oracle.unjudged()) {
    UnjudgedSpan u;
    u.resource = s.resource < p.resources.size() ? p.resources[s.resource].name : "?";
    u.from_line = line(s.from_step);
    u.to_line = s.to_step == SIZE_MAX ? 0 : line(s.to_step);
    u.tolerance = std::string(tolerance(s.tol).id);
    u.why = std::string(tolerance(s.tol).summary);
    r.unjudged.push_back(std::move(u));
  }
  r.steps_judged = oracle.steps_judged();
}

}  // namespace

ScenarioResult run_in_process(const Program& p, const RunOptions& o, Engine& engine, const TraceSink& sink) {
  ScenarioResult r;
  r.name = p.name;
  r.via = p.via.empty() ? "" : p.via.front();
  r.purpose = p.purpose;
  r.tags = p.tags;
  auto t0 = std::chrono::steady_clock::now();
  // Observations are kept so that a failure's trace can be written after the fact
  // without formatting every step of every passing run.
  thread_local std::vector<Observation> seen;
  seen.clear();
  size_t ran = 0;
  auto trace_of = [&](size_t upto) {
    for (size_t k = r.trace.size(); k < upto; ++k) r.trace.push_back(format_trace_line(p, k, seen[k]));
  };
  try {
    Oracle oracle(p, policy_of(o), kernel_facts());
    std::unique_ptr<Mutation> mutation = o.mutant ? o.mutant->make() : nullptr;
    engine.begin(p);
    bool failed = false;
    for (size_t i = 0; i < p.steps.size(); ++i) {
      if (o.hooks && !o.hooks->before_step(p, i, oracle)) break;
      if (auto cycle = oracle.deadlock(i)) {
        // The scenario, not the kernel, is wrong: it would wait for the deadline in vain.
        r.verdict = Verdict::Error;
        r.reason = *cycle;
        failed = true;
        break;
      }
      seen.push_back(engine.step(i));
      Observation& obs = seen.back();
      ran = i + 1;
      if (mutation) mutation->apply(p, i, obs);
      if (sink || o.record) {
        std::string line = format_trace_line(p, i, obs);
        if (sink) sink(line);
        r.trace.push_back(std::move(line));
      }
      const Step& st = p.steps[i];
      if (o.record)
        r.behaviours.push_back(std::to_string(st.loc.line ? st.loc.line : i + 1) + ":" + outcome_class(p, st, obs));
      Check v = oracle.observe(i, obs);
      if (o.hooks) o.hooks->after_step(p, i, obs, oracle);
      if (v) {
        if (!sink) trace_of(ran);
        record_violation(r, p, *v, oracle.describe_state());
        failed = true;
        break;
      }
    }
    r.steps_run = static_cast<uint32_t>(ran);
    Observation j = engine.finish();
    if (!failed && !j.helpers.empty() && (sink || o.record)) {
      Step join_step;
      join_step.op = Op::Join;
      std::string line = "end: " + format_observation(p, join_step, j);
      if (sink) sink(line);
      r.trace.push_back(line);
    }
    if (!failed)
      if (Check v = oracle.finish(j)) {
        if (!sink && !o.record) {
          trace_of(ran);
          if (!j.helpers.empty()) {
            Step join_step;
            join_step.op = Op::Join;
            r.trace.push_back("end: " + format_observation(p, join_step, j));
          }
        }
        record_violation(r, p, *v, oracle.describe_state());
      }
    if (o.record)
      for (RuleId id : oracle.rules_exercised()) r.rules.emplace_back(rule(id).id);
    record_strictness(r, p, oracle);
    r.histogram = oracle.race_histogram();
    if (!failed)
      for (auto& w : oracle.race_warnings()) r.warnings.push_back(std::move(w));
  } catch (const Unsupported& e) {
    engine.finish();
    r.verdict = Verdict::Skip;
    r.reason = e.what();
  } catch (const EnvironmentError& e) {
    engine.finish();
    r.verdict = Verdict::Error;
    r.reason = e.what();
  } catch (const std::exception& e) {
    engine.finish();
    r.verdict = Verdict::Error;
    r.reason = std::string("internal error: ") + e.what();
  }
  r.steps_run = static_cast<uint32_t>(ran);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

namespace {

// Shared with the child: where it is, for reports of hangs and crashes.
struct Progress {
  std::atomic<int64_t> step{-1};
  char syscall[32] = {};
};

// Frames on the pipe: 'T' trace line, 'R' result JSON; each "<kind><len>\n<bytes>".
void send_frame(int fd, char kind, const std::string& body) {
  std::string f = kind + std::to_string(body.size()) + "\n" + body;
  const char* p = f.data();
  size_t left = f.size();
  while (left) {
    ssize_t w = ::write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    left -= static_cast<size_t>(w);
  }
}

bool take_frame(std::string& buf, char& kind, std::string& body) {
  size_t nl = buf.find('\n');
  if (nl == std::string::npos || nl < 1) return false;
  size_t len = std::stoul(buf.substr(1, nl - 1));
  if (buf.size() < nl + 1 + len) return false;
  kind = buf[0];
  body = buf.substr(nl + 1, len);
  buf.erase(0, nl + 1 + len);
  return true;
}

std::string where(const Program& p, const Progress& pr) {
  int64_t i = pr.step.load();
  if (i < 0 || static_cast<size_t>(i) >= p.steps.size()) return "before the first step";
  const Step& s = p.steps[static_cast<size_t>(i)];
  return "in step " + std::to_string(i + 1) + " (line " + std::to_string(s.loc.line) + ": " + print_step(p, s) +
         "), system call " + std::string(pr.syscall[0] ? pr.syscall : "?");
}

ScenarioResult run_isolated(const Program& p, const RunOptions& o) {
  ScenarioResult r;
  r.name = p.name;
  r.purpose = p.purpose;
  r.tags = p.tags;
  auto t0 = std::chrono::steady_clock::now();
  auto finish = [&](ScenarioResult& res) {
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
  };
  // The parent owns the child's temp dir, so it is removed even after a crash or a kill.
  std::unique_ptr<TempDir> base;
  try {
    base = std::make_unique<TempDir>(o.temp_base);
  } catch (const EnvironmentError& e) {
    r.verdict = Verdict::Error;
    r.reason = e.what();
    return finish(r);
  }
  void* mem = mmap(nullptr, sizeof(Progress), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    r.verdict = Verdict::Error;
    r.reason = std::string("mmap: ") + std::strerror(errno);
    return finish(r);
  }
  auto* progress = new (mem) Progress;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    munmap(mem, sizeof(Progress));
    r.verdict = Verdict::Error;
    r.reason = std::string("pipe2: ") + std::strerror(errno);
    return finish(r);
  }
  fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    munmap(mem, sizeof(Progress));
    r.verdict = Verdict::Error;
    r.reason = std::string("fork: ") + std::strerror(e);
    return finish(r);
  }
  if (pid == 0) {
    ::close(pipefd[0]);
    signal(SIGPIPE, SIG_IGN);
    int out = pipefd[1];
    ScenarioResult res;
    {
      EngineOptions eo;
      eo.step_deadline = o.step_deadline;
      eo.temp_base = base->path();
      try {
        Engine engine(eo);
        engine.allow_crash(true);
        engine.set_progress_hook([progress](size_t step, const char* sc) {
          progress->step = static_cast<int64_t>(step);
          std::strncpy(progress->syscall, sc, sizeof progress->syscall - 1);
        });
        res = run_in_process(p, o, engine, [out](const std::string& line) { send_frame(out, 'T', line); });
      } catch (const std::exception& e) {
        res.verdict = Verdict::Error;
        res.reason = e.what();
      }
    }
    res.trace.clear();  // already streamed
    send_frame(out, 'R', nlohmann::json(res).dump());
    _exit(0);
  }
  ::close(pipefd[1]);
  std::string buf;
  std::vector<std::string> trace;
  std::optional<ScenarioResult> got;
  auto deadline = t0 + o.scenario_deadline;
  bool timed_out = false;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{pipefd[0], POLLIN, 0};
    int pr = ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (pr < 0 && errno == EINTR) continue;
    if (pr == 0) continue;
    char chunk[65536];
    ssize_t n = ::read(pipefd[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
    char kind;
    std::string body;
    while (take_frame(buf, kind, body)) {
      if (kind == 'T') trace.push_back(body);
      else if (kind == 'R') got = nlohmann::json::parse(body).get<ScenarioResult>();
    }
  }
  ::close(pipefd[0]);
  int status = 0;
  if (timed_out) kill(pid, SIGKILL);  // only our own child, by its pid
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string at = where(p, *progress);
  progress->~Progress();
  munmap(mem, sizeof(Progress));
  if (got && !timed_out) {
    r = std::move(*got);
    r.trace = std::move(trace);
    return finish(r);
  }
  r.trace = std::move(trace);
  r.verdict = Verdict::Fail;
  if (timed_out) {
    r.rule_id = std::string(rule(RuleId::Deadline).id);
    r.reason = r.rule_id + ": scenario timed out after " + std::to_string(o.scenario_deadline.count()) + "ms " + at;
  } else if (WIFSIGNALED(status)) {
    r.rule_id = std::string(rule(RuleId::Crash).id);
    const char* sig = sigabbrev_np(WTERMSIG(status));
    r.reason = r.rule_id + ": crashed with " + (sig ? "SIG" + std::string(sig) : "signal " + std::to_string(WTERMSIG(status))) +
               " " + at;
  } else {
    r.verdict = Verdict::Error;
    r.reason = "the scenario process exited (status " + std::to_string(WEXITSTATUS(status)) + ") without a result " + at;
  }
  return finish(r);
}

}  // namespace

ScenarioResult run_program(const Program& p, const RunOptions& o) {
  if (o.isolate) return run_isolated(p, o);
  EngineOptions eo;
  eo.step_deadline = o.step_deadline;
  eo.temp_base = o.temp_base;
  try {
    Engine engine(eo);
    return run_in_process(p, o, engine);
  } catch (const EnvironmentError& e) {
    ScenarioResult r;
    r.name = p.name;
    r.verdict = Verdict::Error;
    r.reason = e.what();
    return r;
  }
}

}  // namespace ringside
