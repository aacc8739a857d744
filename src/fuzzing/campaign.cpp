#include "fuzzing/campaign.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "fuzzing/executor.hpp"
#include "runner/result_json.hpp"

namespace ringside {
namespace {

constexpr unsigned kMaxJobs = 64;
constexpr size_t kTableSize = size_t{1} << 20;  // distinct behaviours counted (8 MiB)
constexpr size_t kFailBytes = 256 * 1024;

struct alignas(64) WorkerSlot {
  std::atomic<uint64_t> execs{0}, stopped{0}, errors{0}, skips{0};
  std::atomic<uint64_t> current_seed{0};
  std::atomic<int> failed{0};
  std::atomic<uint32_t> fail_len{0};
  uint64_t fail_seed = 0;
  uint64_t first_error_seed = 0;
  char first_error[256] = {};
  char fail[kFailBytes] = {};
};

// Lives in memory shared by the parent and the workers.
struct Shared {
  std::atomic<int> stop{0};
  std::atomic<uint64_t> total_execs{0};
  std::atomic<uint64_t> behaviours{0};
  WorkerSlot workers[kMaxJobs];
  std::atomic<uint64_t> table[kTableSize];
};

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Lock-free insert into the shared set of signatures; true if it was new.
bool insert_behaviour(Shared& sh, uint64_t sig) {
  uint64_t key = sig | 1;  // 0 marks an empty slot
  if (sh.behaviours.load(std::memory_order_relaxed) > kTableSize / 2) return false;  // saturated
  for (size_t probe = 0, i = key & (kTableSize - 1); probe < 64; ++probe, i = (i + 1) & (kTableSize - 1)) {
    uint64_t cur = sh.table[i].load(std::memory_order_relaxed);
    if (cur == key) return false;
    if (cur == 0) {
      if (sh.table[i].compare_exchange_strong(cur, key)) {
        sh.behaviours.fetch_add(1, std::memory_order_relaxed);
        return true;
      }
      if (cur == key) return false;
    }
  }
  return false;
}

[[noreturn]] void worker(Shared& sh, unsigned w, const CampaignOptions& o) {
  WorkerSlot& me = sh.workers[w];
  ExecOptions eo;
  eo.profile = o.profile;
  eo.mutant = o.mutant;
  eo.temp_base = o.temp_base;
  int status = 0;
  try {
    Executor ex(eo);
    for (uint64_t n = 0; !sh.stop.load(std::memory_order_relaxed); ++n) {
      if (o.max_execs && sh.total_execs.load(std::memory_order_relaxed) >= o.max_execs) break;
      uint64_t seed = program_seed(o.seed, w, n);
      me.current_seed.store(seed, std::memory_order_relaxed);
      Program p = generate_program(seed, o.gen);
      const ScenarioResult& r = ex.run(p);
      for (uint64_t sig : ex.signatures()) insert_behaviour(sh, sig);
      if (ex.stopped_early()) me.stopped.fetch_add(1, std::memory_order_relaxed);
      if (r.verdict == Verdict::Error && me.errors.fetch_add(1) == 0) {
        std::strncpy(me.first_error, r.reason.c_str(), sizeof me.first_error - 1);
        me.first_error_seed = seed;
      }
      if (r.verdict == Verdict::Skip) me.skips.fetch_add(1, std::memory_order_relaxed);
      me.execs.fetch_add(1, std::memory_order_relaxed);
      sh.total_execs.fetch_add(1, std::memory_order_relaxed);
      if (r.verdict == Verdict::Fail) {
        std::string j = nlohmann::json(r).dump();
        if (j.size() > kFailBytes) {
          ScenarioResult brief = r;
          brief.trace.clear();
          brief.state.clear();
          j = nlohmann::json(brief).dump();
        }
        std::memcpy(me.fail, j.data(), std::min(j.size(), kFailBytes));
        me.fail_len = static_cast<uint32_t>(std::min(j.size(), kFailBytes));
        me.fail_seed = seed;
        me.failed.store(1);
        sh.stop.store(1);
        break;
      }
    }
  } catch (const std::exception& e) {
    std::strncpy(me.first_error, e.what(), sizeof me.first_error - 1);
    me.errors.fetch_add(1);
    status = 3;
  }
  _exit(status);
}

}  // namespace

uint64_t program_seed(uint64_t campaign_seed, unsigned worker, uint64_t n) {
  return splitmix(splitmix(campaign_seed * 0x100 + worker) ^ n);
}

CampaignResult run_campaign(const CampaignOptions& o, const ProgressLine& progress) {
  CampaignResult res;
  const unsigned jobs = std::clamp(o.jobs, 1u, kMaxJobs);
  void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
  Shared& sh = *new (mem) Shared;
  struct Unmap {
    Shared& sh;
    ~Unmap() {
      sh.~Shared();
      munmap(&sh, sizeof(Shared));
    }
  } unmap{sh};

  std::vector<pid_t> pids(jobs, -1);
  std::fflush(nullptr);
  for (unsigned w = 0; w < jobs; ++w) {
    pid_t pid = fork();
    if (pid < 0) {
      sh.stop = 1;
      for (pid_t q : pids)
        if (q > 0) waitpid(q, nullptr, 0);
      throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) worker(sh, w, o);
    pids[w] = pid;
  }

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto since = [&](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  auto last_progress = t0;
  std::vector<uint64_t> last_execs(jobs, 0);
  std::vector<Clock::time_point> last_move(jobs, t0);
  auto collect = [&] {
    CampaignStats s;
    s.seconds = since(t0);
    for (unsigned w = 0; w < jobs; ++w) {
      const WorkerSlot& ws = sh.workers[w];
      s.execs += ws.execs;
      s.stopped += ws.stopped;
      s.errors += ws.errors;
      s.skips += ws.skips;
      if (ws.failed) ++s.failures;
    }
    s.behaviours = sh.behaviours;
    return s;
  };
  auto fail_from_seed = [&](unsigned w, const std::string& rule, const std::string& reason) {
    CampaignFailure f;
    f.program_seed = sh.workers[w].current_seed;
    f.program = generate_program(f.program_seed, o.gen);
    f.crashed = true;
    f.result.verdict = Verdict::Fail;
    f.result.rule_id = rule;
    f.result.reason = reason;
    return f;
  };

  size_t running = jobs;
  while (running > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (unsigned w = 0; w < jobs; ++w) {
      if (pids[w] < 0) continue;
      int st = 0;
      pid_t got = waitpid(pids[w], &st, WNOHANG);
      if (got == pids[w]) {
        pids[w] = -1;
        --running;
        if (WIFSIGNALED(st) && !sh.workers[w].failed && !res.failure) {
          const char* sig = sigabbrev_np(WTERMSIG(st));
          res.failure = fail_from_seed(w, std::string(rule(RuleId::Crash).id),
                                       std::string(rule(RuleId::Crash).id) + ": the worker crashed with SIG" +
                                           (sig ? sig : "?") + " running this program");
          sh.stop = 1;
        } else if (WIFEXITED(st) && WEXITSTATUS(st) == 3 && res.first_error.empty()) {
          res.first_error = sh.workers[w].first_error;
        }
        continue;
      }
      uint64_t e = sh.workers[w].execs;
      if (e != last_execs[w]) {
        last_execs[w] = e;
        last_move[w] = Clock::now();
      } else if (since(last_move[w]) > o.hang_seconds && !sh.stop) {
        kill(pids[w], SIGKILL);  // our own worker, by its pid
        res.failure = fail_from_seed(w, std::string(rule(RuleId::Deadline).id),
                                     std::string(rule(RuleId::Deadline).id) + ": a worker made no progress for " +
                                         std::to_string(static_cast<int>(o.hang_seconds)) + "s running this program");
        sh.stop = 1;
      }
    }
    if (!sh.stop && (since(t0) >= o.seconds || (o.max_execs && sh.total_execs >= o.max_execs))) sh.stop = 1;
    if (progress && o.progress_every > 0 && since(last_progress) >= o.progress_every && running > 0) {
      last_progress = Clock::now();
      progress(collect());
    }
    if (sh.stop && since(t0) > o.seconds + 30) {
      for (pid_t q : pids)
        if (q > 0) kill(q, SIGKILL);  // stragglers: our own workers
    }
  }
  res.stats = collect();
  for (unsigned w = 0; w < jobs && !res.failure; ++w) {
    WorkerSlot& ws = sh.workers[w];
    if (!ws.failed) continue;
    CampaignFailure f;
    f.program_seed = ws.fail_seed;
    f.program = generate_program(ws.fail_seed, o.gen);
    f.result = nlohmann::json::parse(std::string(ws.fail, ws.fail_len)).get<ScenarioResult>();
    res.failure = std::move(f);
  }
  for (unsigned w = 0; w < jobs && res.first_error.empty(); ++w)
    if (sh.workers[w].first_error[0]) {
      res.first_error = sh.workers[w].first_error;
      res.first_error_seed = sh.workers[w].first_error_seed;
    }
  return res;
}

}  // namespace ringside
