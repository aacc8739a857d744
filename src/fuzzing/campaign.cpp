#include "fuzzing/campaign.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "fuzzing/campaign_shared.hpp"
#include "fuzzing/corpus_dir.hpp"
#include "fuzzing/executor.hpp"

namespace ringside {

using namespace campaign;

uint64_t program_seed(uint64_t campaign_seed, unsigned worker, uint64_t n) {
  return splitmix(splitmix(campaign_seed * 0x100 + worker) ^ n);
}

ExecOptions exec_options(const CampaignOptions& o) {
  ExecOptions eo;
  eo.profile = o.profile;
  eo.tolerate = o.tolerate;
  eo.mutant = o.mutant;
  eo.temp_base = o.temp_base;
  return eo;
}

ProgramRunner isolated_runner(const ExecOptions& eo) {
  auto guard = std::make_shared<FuzzGuard>();
  return [=](const Program& p) {
    RunOptions ro = run_options(eo);
    ro.scenario_deadline = std::chrono::milliseconds(20000);
    ro.hooks = guard.get();  // used in the child process
    return run_program(p, ro);
  };
}

namespace {

using Clock = std::chrono::steady_clock;

class Parent {
 public:
  Parent(Shared& sh, const CampaignOptions& o, const CampaignEvents& ev)
      : sh_(sh), o_(o), ev_(ev), jobs_(std::clamp(o.jobs, 1u, kMaxJobs)), pids_(jobs_, -1),
        generation_(jobs_, 0), last_execs_(jobs_, 0), last_move_(jobs_, Clock::now()) {}

  CampaignResult run();

 private:
  double since(Clock::time_point t) const { return std::chrono::duration<double>(Clock::now() - t).count(); }
  void spawn(unsigned w);
  void watch(unsigned w);
  void ended(unsigned w, int status);
  void lost(unsigned w, RuleId rule, const std::string& why);
  void serve(unsigned w);
  void file(CampaignFailure f, const Program& first);
  void sync_corpus(bool read_dir);
  CampaignStats collect() const;
  void finish();

  Shared& sh_;
  const CampaignOptions& o_;
  const CampaignEvents& ev_;
  const unsigned jobs_;
  std::vector<pid_t> pids_;
  std::vector<uint64_t> generation_;
  std::vector<uint64_t> last_execs_;
  std::vector<Clock::time_point> last_move_;
  Clock::time_point t0_ = Clock::now();
  size_t running_ = 0;
  uint32_t seed_inputs_ = 0;
  std::unique_ptr<CorpusDir> dir_;
  uint32_t written_ = 0;  // corpus entries written to dir_
  Clock::time_point last_read_ = Clock::now();
  struct Key {
    size_t shrunk = 0;
    std::string title;
  };
  std::map<std::string, Key> keys_;          // failure key -> what became of it
  std::map<unsigned, CampaignFailure> raw_;  // worker -> the failure it is shrinking
  std::map<std::string, size_t> titles_;     // title -> index in res_.findings
  CampaignResult res_;
};

void Parent::spawn(unsigned w) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    sh_.stop = 1;
    for (pid_t& q : pids_)
      if (q > 0) waitpid(q, nullptr, 0);  // our own workers, told to stop
    throw std::runtime_error(std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) run_worker(sh_, w, jobs_, seed_inputs_, generation_[w], o_);
  pids_[w] = pid;
  ++running_;
  last_execs_[w] = sh_.workers[w].execs;
  last_move_[w] = Clock::now();
}

// A worker that crashed or hung: its program is a failure of the campaign. With
// keep_going, it is shrunk in child processes and filed, and a new worker takes over.
void Parent::lost(unsigned w, RuleId rule_id, const std::string& why) {
  const WorkerSlot& ws = sh_.workers[w];
  CampaignFailure f;
  f.program_seed = ws.program_seed;
  f.program = parse_program(std::string(ws.where, ws.where_len.load()));
  f.crashed = true;
  f.result.verdict = Verdict::Fail;
  f.result.rule_id = std::string(rule(rule_id).id);
  f.result.reason = f.result.rule_id + ": " + why;
  f.result.steps_run = static_cast<uint32_t>(f.program.steps.size());
  if (!o_.keep_going) {
    if (!res_.failure) res_.failure = std::move(f);
    sh_.stop = 1;
    return;
  }
  Program first = f.program;
  ShrinkOptions so;
  so.repeats = o_.shrink_repeats;
  so.max_runs = 200;  // each run is a process of its own
  ShrinkResult sr = shrink_program(f.program, f.result.rule_id,
                                   isolated_runner(exec_options(o_)), so);
  if (sr.reproduced) {
    f.program = sr.program;
    f.result = sr.failure;
  }
  file(std::move(f), first);
  ++generation_[w];
  if (!sh_.stop) spawn(w);
}

void Parent::ended(unsigned w, int st) {
  pids_[w] = -1;
  --running_;
  WorkerSlot& ws = sh_.workers[w];
  if (WIFSIGNALED(st) && !ws.failed && !sh_.stop) {
    const char* sig = sigabbrev_np(WTERMSIG(st));
    lost(w, RuleId::Crash, std::string("the worker crashed with SIG") + (sig ? sig : "?") + " running this program");
  } else if (WIFEXITED(st) && WEXITSTATUS(st) == 3 && res_.first_error.empty()) {
    res_.first_error = ws.first_error;
  }
}

void Parent::watch(unsigned w) {
  if (pids_[w] < 0) return;
  int st = 0;
  if (waitpid(pids_[w], &st, WNOHANG) == pids_[w]) return ended(w, st);
  uint64_t e = sh_.workers[w].execs;
  if (e != last_execs_[w] || sh_.workers[w].box != kEmpty) {  // shrinking is progress too
    last_execs_[w] = e;
    last_move_[w] = Clock::now();
  } else if (since(last_move_[w]) > o_.hang_seconds && !sh_.stop) {
    kill(pids_[w], SIGKILL);  // our own worker, by its pid
    waitpid(pids_[w], &st, 0);
    pids_[w] = -1;
    --running_;
    lost(w, RuleId::Deadline,
         "a worker made no progress for " + std::to_string(static_cast<int>(o_.hang_seconds)) + "s running this program");
  }
}

void Parent::file(CampaignFailure f, const Program& first) {
  std::string title = finding_title(f.program, f.result);
  auto [it, fresh] = titles_.emplace(title, res_.findings.size());
  if (!fresh) {
    ++res_.findings[it->second].count;
    return;
  }
  Finding fd;
  fd.title = title;
  fd.rule = f.result.rule_id;
  fd.count = 1;
  fd.first_seconds = since(t0_);
  fd.program = first;
  fd.shrunk = std::move(f.program);
  fd.failure = std::move(f.result);
  fd.crashed = f.crashed;
  fd.known = fd.failure.known;
  res_.findings.push_back(std::move(fd));
  if (ev_.finding) ev_.finding(res_.findings.back());
  // Known kernel deviations are kept, but they neither count nor end the campaign.
  const auto fresh_findings = std::count_if(res_.findings.begin(), res_.findings.end(), [](const Finding& x) { return x.known.empty(); });
  if (o_.keep_going ? static_cast<size_t>(fresh_findings) >= o_.keep_going : fresh_findings > 0) sh_.stop = 1;
}

// Answers a worker's mailbox (keep_going): shrink a failure of a new key, count the
// others; file what it shrank.
void Parent::serve(unsigned w) {
  WorkerSlot& ws = sh_.workers[w];
  const int state = ws.box.load();
  if (state == kPosted) {
    CampaignFailure f = failure_from(message_of(ws));
    Key& k = keys_[failure_key(f.program, f.result)];
    if (k.shrunk < o_.shrink_per_key || k.title.empty()) {
      ++k.shrunk;
      raw_[w] = std::move(f);
      ws.box.store(kShrink);
    } else {
      ++res_.findings[titles_.at(k.title)].count;
      ws.box.store(kEmpty);
    }
  } else if (state == kShrunk) {
    CampaignFailure f = failure_from(message_of(ws));
    CampaignFailure& first = raw_[w];
    f.program_seed = first.program_seed;
    keys_[failure_key(first.program, first.result)].title = finding_title(f.program, f.result);
    file(std::move(f), first.program);
    raw_.erase(w);
    ws.box.store(kEmpty);
  }
}

// New corpus entries to the directory; with read_dir, inputs others wrote there into the
// corpus.
void Parent::sync_corpus(bool read_dir) {
  if (!dir_) return;
  for (uint32_t n = arena_count(sh_.corpus); written_ < n; ++written_) {
    std::span<const uint8_t> b;
    if (!arena_get(sh_.corpus, written_, b)) break;
    dir_->add(Bytes(b.begin(), b.end()));
  }
  if (!read_dir) return;
  for (const Bytes& b : dir_->read_new())
    if (arena_add(sh_.corpus, b)) ++written_;  // written already: it came from there
  last_read_ = Clock::now();
}

CampaignStats Parent::collect() const {
  CampaignStats s;
  s.seconds = since(t0_);
  for (unsigned w = 0; w < jobs_; ++w) {
    const WorkerSlot& ws = sh_.workers[w];
    s.execs += ws.execs;
    s.stopped += ws.stopped;
    s.errors += ws.errors;
    s.skips += ws.skips;
    s.false_alarms += ws.false_alarms;
    s.steps_run += ws.steps_run;
    s.steps_judged += ws.steps_judged;
    if (ws.failed) ++s.failures;
  }
  for (const Tolerance& t : all_tolerances()) {
    uint64_t n = 0;
    for (unsigned w = 0; w < jobs_; ++w) n += sh_.workers[w].tolerances[static_cast<size_t>(t.tol)];
    if (n) s.tolerances.emplace_back(std::string(t.id), n);
  }
  std::stable_sort(s.tolerances.begin(), s.tolerances.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  s.behaviours = sh_.behaviours;
  s.corpus = arena_count(sh_.corpus);
  for (const auto& f : res_.findings) {
    s.failures += f.count;
    ++(f.known.empty() ? s.findings : s.known);
  }
  return s;
}

void Parent::finish() {
  for (unsigned w = 0; w < jobs_; ++w)
    if (sh_.workers[w].box == kShrunk) serve(w);  // shrunk just before the end
  res_.stats = collect();
  res_.timeline.emplace_back(res_.stats.seconds, res_.stats.behaviours);
  for (unsigned w = 0; w < jobs_ && !res_.failure; ++w) {
    WorkerSlot& ws = sh_.workers[w];
    if (ws.failed) res_.failure = failure_from(message_of(ws));
  }
  for (unsigned w = 0; w < jobs_ && !res_.false_alarm; ++w) {
    WorkerSlot& ws = sh_.workers[w];
    if (ws.alarm_len) res_.false_alarm = failure_from(std::string(ws.alarm, ws.alarm_len.load()));
  }
  for (unsigned w = 0; w < jobs_ && res_.first_error.empty(); ++w)
    if (sh_.workers[w].first_error[0]) {
      res_.first_error = sh_.workers[w].first_error;
      res_.first_error_program = parse_program(sh_.workers[w].first_error_program);
    }
}

CampaignResult Parent::run() {
  if (!o_.corpus_dir.empty()) {
    dir_ = std::make_unique<CorpusDir>(o_.corpus_dir);
    for (const Bytes& b : dir_->read_new()) arena_add(sh_.corpus, b);
    written_ = seed_inputs_ = arena_count(sh_.corpus);
    res_.corpus_loaded = seed_inputs_;
  }
  for (unsigned w = 0; w < jobs_; ++w) spawn(w);
  auto last_progress = t0_;
  while (running_ > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (unsigned w = 0; w < jobs_; ++w) {
      serve(w);  // failures filed (keep_going, or known kernel deviations)
      watch(w);
    }
    sync_corpus(since(last_read_) >= o_.corpus_sync_every);
    if (!sh_.stop && (since(t0_) >= o_.seconds || (o_.max_execs && sh_.total_execs >= o_.max_execs))) sh_.stop = 1;
    if (o_.progress_every > 0 && since(last_progress) >= o_.progress_every && running_ > 0) {
      last_progress = Clock::now();
      CampaignStats s = collect();
      res_.timeline.emplace_back(s.seconds, s.behaviours);
      if (ev_.progress) ev_.progress(s);
    }
    if (sh_.stop && since(t0_) > o_.seconds + 30)
      for (pid_t q : pids_)
        if (q > 0) kill(q, SIGKILL);  // stragglers: our own workers
  }
  sync_corpus(false);
  finish();
  return std::move(res_);
}

}  // namespace

CampaignResult run_campaign(const CampaignOptions& o, const CampaignEvents& events) {
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
  Parent parent(sh, o, events);
  return parent.run();
}

}  // namespace ringside
