#include "fuzzing/campaign.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "fuzzing/codec.hpp"
#include "fuzzing/corpus_dir.hpp"
#include "fuzzing/executor.hpp"
#include "gen/mutator.hpp"
#include "program/script.hpp"
#include "runner/result_json.hpp"

namespace ringside {
namespace {

constexpr unsigned kMaxJobs = 64;
constexpr size_t kTableSize = size_t{1} << 20;  // distinct behaviours counted (8 MiB)
constexpr size_t kMessageBytes = 256 * 1024;    // a failure, as JSON
constexpr size_t kWhereBytes = 16 * 1024;       // the program a worker is running, as text
constexpr size_t kArenaBytes = size_t{32} << 20;
constexpr size_t kArenaEntries = size_t{1} << 18;
constexpr size_t kRecent = 32;                  // half the parents are among the newest inputs
constexpr int kTournament = 8;                  // a parent is the rarest of this many draws
constexpr uint32_t kNoSlot = ~0u;

// The corpus, in shared memory: inputs (fuzzer bytes) appended by any process. An entry
// is published (non-zero) once its bytes are written.
struct Arena {
  std::atomic<uint64_t> used{0};
  std::atomic<uint32_t> count{0};
  std::atomic<uint64_t> entry[kArenaEntries];  // 1 + (offset << 24 | length)
  // Why an input is there: the table slot of the first new signature it reached, and
  // the step that reached it (kNoSlot: an input read from the corpus directory).
  std::atomic<uint32_t> slot[kArenaEntries];
  std::atomic<uint8_t> hot[kArenaEntries];
  uint8_t bytes[kArenaBytes];
};

bool arena_add(Arena& a, const Bytes& b, uint32_t slot = kNoSlot, size_t hot = 255) {
  if (b.empty() || b.size() >= (size_t{1} << 24)) return false;
  uint64_t off = a.used.fetch_add(b.size());
  if (off + b.size() > kArenaBytes) return false;  // full: the campaign goes on without it
  uint32_t idx = a.count.fetch_add(1);
  if (idx >= kArenaEntries) return false;
  std::memcpy(a.bytes + off, b.data(), b.size());
  a.slot[idx].store(slot, std::memory_order_relaxed);
  a.hot[idx].store(static_cast<uint8_t>(std::min<size_t>(hot, 255)), std::memory_order_relaxed);
  a.entry[idx].store(1 + (off << 24 | b.size()), std::memory_order_release);
  return true;
}

uint32_t arena_count(const Arena& a) {
  return static_cast<uint32_t>(std::min<uint64_t>(a.count.load(std::memory_order_acquire), kArenaEntries));
}

// False if entry idx is not published yet.
bool arena_get(const Arena& a, uint32_t idx, std::span<const uint8_t>& out) {
  uint64_t e = a.entry[idx].load(std::memory_order_acquire);
  if (e == 0) return false;
  --e;
  out = std::span<const uint8_t>(a.bytes + (e >> 24), e & ((uint64_t{1} << 24) - 1));
  return true;
}

// A worker's mailbox for failures: it posts one, the parent answers.
enum Box : int { kEmpty = 0, kPosted, kShrink, kShrunk };

struct alignas(64) WorkerSlot {
  std::atomic<uint64_t> execs{0}, stopped{0}, errors{0}, skips{0}, false_alarms{0};
  std::atomic<uint64_t> program_seed{0};
  std::atomic<int> failed{0};      // posted its first failure (without keep_going)
  std::atomic<int> box{kEmpty};
  std::atomic<uint32_t> message_len{0};
  std::atomic<uint32_t> where_len{0};
  char message[kMessageBytes] = {};
  std::atomic<uint32_t> alarm_len{0};
  char alarm[kMessageBytes] = {};  // the first false alarm
  char where[kWhereBytes] = {};    // the program being run, up to its current step
  char first_error[256] = {};
  char first_error_program[kWhereBytes] = {};
};

// Lives in memory shared by the parent and the workers.
struct Shared {
  std::atomic<int> stop{0};
  std::atomic<uint64_t> total_execs{0};
  std::atomic<uint64_t> behaviours{0};
  WorkerSlot workers[kMaxJobs];
  Arena corpus;
  std::atomic<uint64_t> table[kTableSize];
  std::atomic<uint32_t> hits[kTableSize];  // runs that reached each signature
};

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Lock-free insert into the shared set of signatures, counting the hits of each: its
// slot, and whether it was new.
std::pair<uint32_t, bool> insert_behaviour(Shared& sh, uint64_t sig) {
  uint64_t key = sig | 1;  // 0 marks an empty slot
  const bool full = sh.behaviours.load(std::memory_order_relaxed) > kTableSize / 2;  // saturated
  for (size_t probe = 0, i = key & (kTableSize - 1); probe < 64; ++probe, i = (i + 1) & (kTableSize - 1)) {
    uint64_t cur = sh.table[i].load(std::memory_order_relaxed);
    if (cur == 0 && !full && sh.table[i].compare_exchange_strong(cur, key)) {
      sh.behaviours.fetch_add(1, std::memory_order_relaxed);
      sh.hits[i].fetch_add(1, std::memory_order_relaxed);
      return {static_cast<uint32_t>(i), true};
    }
    if (cur == key) {
      sh.hits[i].fetch_add(1, std::memory_order_relaxed);
      return {static_cast<uint32_t>(i), false};
    }
    if (cur == 0) break;
  }
  return {kNoSlot, false};
}

void put(char* buffer, std::atomic<uint32_t>& len, const std::string& s) {
  size_t n = std::min(s.size(), kMessageBytes);
  std::memcpy(buffer, s.data(), n);
  len.store(static_cast<uint32_t>(n));
}

void put(WorkerSlot& me, const std::string& s) { put(me.message, me.message_len, s); }

std::string message_of(const WorkerSlot& ws) { return std::string(ws.message, ws.message_len.load()); }

// A failure as JSON, within the mailbox (a long trace is dropped first).
std::string failure_message(const ScenarioResult& r, const Program& p, uint64_t seed) {
  nlohmann::json j{{"result", r}, {"program", print_script(p)}, {"seed", seed}};
  std::string s = j.dump();
  if (s.size() <= kMessageBytes) return s;
  ScenarioResult brief = r;
  brief.trace.clear();
  brief.state.clear();
  j["result"] = brief;
  return j.dump();
}

Program parse_program(const std::string& text) {
  auto r = parse_script(text, "<campaign>");
  Program p = r.ok() ? std::move(r.program) : Program{};
  p.purpose = "generated";
  return p;
}

CampaignFailure failure_from(const std::string& message) {
  auto j = nlohmann::json::parse(message);
  CampaignFailure f;
  f.result = j.at("result").get<ScenarioResult>();
  f.program = parse_program(j.at("program").get<std::string>());
  f.program_seed = j.at("seed").get<uint64_t>();
  return f;
}

Bytes encode_or_empty(const Program& p, const FuzzLimits& limits) {
  Bytes b;
  std::string err;
  if (!encode_program(p, limits, b, err)) b.clear();
  return b;
}

class Worker {
 public:
  Worker(Shared& sh, unsigned w, unsigned jobs, uint32_t seed_inputs, uint64_t generation, const CampaignOptions& o)
      : sh_(sh), me_(sh.workers[w]), w_(w), jobs_(jobs), seed_inputs_(seed_inputs), o_(o),
        limits_(o.gen.limits.value_or(FuzzLimits{})), seed_base_(o.seed + generation * 0x10000),
        ex_(exec_options()) {}

  [[noreturn]] void run() {
    int status = 0;
    try {
      for (uint64_t n = 0; !sh_.stop.load(std::memory_order_relaxed); ++n) {
        if (o_.max_execs && sh_.total_execs.load(std::memory_order_relaxed) >= o_.max_execs) break;
        if (!one(n)) break;
      }
    } catch (const std::exception& e) {
      std::strncpy(me_.first_error, e.what(), sizeof me_.first_error - 1);
      me_.errors.fetch_add(1);
      status = 3;
    }
    _exit(status);
  }

 private:
  ExecOptions exec_options() {
    ExecOptions eo;
    eo.profile = o_.profile;
    eo.mutant = o_.mutant;
    eo.temp_base = o_.temp_base;
    eo.limits = limits_;
    // Where the worker is, step by step, for the report of a crash or a hang.
    eo.on_step = [this](const Program& p, size_t i) {
      if (i == 0) where_.clear();
      const Step& s = p.steps[i];
      if (s.later) where_ += "later " + std::to_string(s.delay_us) + "us ";
      where_ += print_step(p, s) + "\n";
      size_t n = std::min(where_.size(), kWhereBytes);
      std::memcpy(me_.where, where_.data(), n);
      me_.where_len.store(static_cast<uint32_t>(n), std::memory_order_relaxed);
    };
    return eo;
  }

  // How many runs reached the signature that brought input idx in (fewer: rarer, and
  // more worth mutating); inputs from the directory count as middling.
  uint32_t rarity(uint32_t idx) const {
    uint32_t slot = sh_.corpus.slot[idx].load(std::memory_order_relaxed);
    return slot == kNoSlot ? 1000 : sh_.hits[slot].load(std::memory_order_relaxed);
  }

  // A parent for the next program: the rarest of a few inputs drawn among all of them
  // or among the newest (then the shortest); with the step that made it interesting.
  bool pick_input(Rng& rng, Program& out, size_t& hot) {
    uint32_t n = arena_count(sh_.corpus);
    if (n == 0) return false;
    std::uniform_int_distribution<uint32_t> any(0, n - 1), recent(0, static_cast<uint32_t>(std::min<size_t>(n, kRecent)) - 1);
    std::optional<uint32_t> best;
    std::span<const uint8_t> best_bytes;
    for (int k = 0; k < kTournament; ++k) {
      uint32_t idx = rng() & 1 ? any(rng) : n - 1 - recent(rng);
      std::span<const uint8_t> b;
      if (!arena_get(sh_.corpus, idx, b)) continue;
      if (!best || std::pair(rarity(idx), b.size()) < std::pair(rarity(*best), best_bytes.size())) {
        best = idx;
        best_bytes = b;
      }
    }
    if (!best) return false;
    out = decode_program(best_bytes, limits_);
    uint8_t h = sh_.corpus.hot[*best].load(std::memory_order_relaxed);
    hot = h == 255 ? SIZE_MAX : h;
    return true;
  }

  // The next program's plan: mostly a mutation of corpus programs, else fresh.
  Plan plan(Rng& rng) {
    std::bernoulli_distribution fresh(o_.fresh_rate);
    Program a, b;
    size_t hot = SIZE_MAX, unused = 0;
    if (!o_.steer || fresh(rng) || !pick_input(rng, a, hot)) return fresh_plan(rng, o_.gen);
    if (!pick_input(rng, b, unused)) b = a;
    return mutate_plan(a, b, rng, o_.gen, hot);
  }

  // Runs program n; false to stop.
  bool one(uint64_t n) {
    const uint64_t seed = program_seed(seed_base_, w_, n);
    me_.program_seed.store(seed, std::memory_order_relaxed);
    me_.where_len.store(0, std::memory_order_relaxed);
    where_.clear();
    Rng rng(seed);
    const ScenarioResult* r = nullptr;
    const Program* p = nullptr;
    bool kept = false;  // a corpus input, run again to learn its behaviours
    uint32_t input = w_ + static_cast<uint32_t>(seed_pass_) * jobs_;
    std::span<const uint8_t> bytes;
    if (input < seed_inputs_ && arena_get(sh_.corpus, input, bytes)) {
      ++seed_pass_;
      fixed_ = decode_program(bytes, limits_);
      r = &ex_.run(fixed_);
      p = &fixed_;
      kept = true;
    } else if (!o_.live) {
      fixed_ = generate_program(seed, o_.gen);
      r = &ex_.run(fixed_);
      p = &fixed_;
    } else {
      PlanFollower follow(plan(rng), rng(), o_.gen);
      r = &ex_.run_live(follow);
      p = &ex_.program();
    }
    // The first new signature, and the step that reached it, say why a program is kept.
    uint32_t new_slot = kNoSlot;
    size_t hot = 0;
    const auto& sigs = ex_.signatures();
    for (size_t k = 0; k < sigs.size(); ++k)
      if (auto [slot, fresh] = insert_behaviour(sh_, sigs[k]); fresh && new_slot == kNoSlot) {
        new_slot = slot;
        hot = ex_.signature_steps()[k];
      }
    if (new_slot != kNoSlot && !kept && r->verdict == Verdict::Pass && o_.steer) {
      Bytes b = encode_or_empty(*p, limits_);
      if (!b.empty()) arena_add(sh_.corpus, b, new_slot, hot);
    }
    count(*r, *p);
    if (r->verdict == Verdict::Fail) return failed(*r, *p, seed);
    return true;
  }

  void count(const ScenarioResult& r, const Program& p) {
    if (ex_.stopped_early()) me_.stopped.fetch_add(1, std::memory_order_relaxed);
    if (r.verdict == Verdict::Error && me_.errors.fetch_add(1) == 0) {
      std::strncpy(me_.first_error, r.reason.c_str(), sizeof me_.first_error - 1);
      std::string text = print_script(p);
      std::strncpy(me_.first_error_program, text.c_str(), sizeof me_.first_error_program - 1);
    }
    if (r.verdict == Verdict::Skip) me_.skips.fetch_add(1, std::memory_order_relaxed);
    me_.execs.fetch_add(1, std::memory_order_relaxed);
    sh_.total_execs.fetch_add(1, std::memory_order_relaxed);
  }

  // Waits for the parent to take the mailbox out of state `posted`; false if the campaign
  // stopped meanwhile.
  bool await_answer(int posted) {
    while (me_.box.load() == posted)
      if (sh_.stop.load()) return false;
      else std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return true;
  }

  // Under a mutant, is a failure the mutant's? It must come again with the mutant (with
  // the same rule) and never without it; a rare race of the oracle's own passes neither.
  bool mutants_doing(const ScenarioResult& r, const Program& p) {
    if (!clean_) {
      ExecOptions eo = exec_options();
      eo.mutant = nullptr;
      eo.on_step = nullptr;
      clean_ = std::make_unique<Executor>(eo);
    }
    const std::string rule_id = r.rule_id;
    bool again = false;
    for (unsigned k = 0; k < o_.clean_replays && !again; ++k) {
      const ScenarioResult& x = ex_.run(p);
      again = x.verdict == Verdict::Fail && x.rule_id == rule_id;
    }
    if (!again) return false;
    for (unsigned k = 0; k < 2 * o_.clean_replays; ++k)  // a 10% flake passes this 0.2% of the time
      if (clean_->run(p).verdict == Verdict::Fail) return false;
    return true;
  }

  bool failed(const ScenarioResult& result, const Program& program, uint64_t seed) {
    // Copies: replays and shrinking run on the executor that holds them.
    const ScenarioResult r = result;
    const Program p = program;
    if (o_.mutant && o_.clean_replays && !mutants_doing(r, p)) {
      if (me_.false_alarms.fetch_add(1) == 0) put(me_.alarm, me_.alarm_len, failure_message(r, p, seed));
      return true;
    }
    put(me_, failure_message(r, p, seed));
    if (!o_.keep_going) {
      me_.failed.store(1);
      sh_.stop.store(1);
      return false;
    }
    me_.box.store(kPosted);
    if (!await_answer(kPosted)) return false;
    if (me_.box.load() != kShrink) return true;  // a known failure: counted
    ShrinkOptions so;
    so.repeats = o_.shrink_repeats;
    ShrinkResult sr = shrink_program(p, r.rule_id, [this](const Program& q) { return ex_.run(q); }, so);
    put(me_, sr.reproduced ? failure_message(sr.failure, sr.program, seed) : failure_message(r, p, seed));
    me_.box.store(kShrunk);
    return await_answer(kShrunk);
  }

  Shared& sh_;
  WorkerSlot& me_;
  unsigned w_, jobs_;
  uint32_t seed_inputs_;
  uint64_t seed_pass_ = 0;
  const CampaignOptions& o_;
  FuzzLimits limits_;
  uint64_t seed_base_;
  Executor ex_;
  std::unique_ptr<Executor> clean_;  // without the mutant, to tell false alarms
  Program fixed_;
  std::string where_;
};

}  // namespace

uint64_t program_seed(uint64_t campaign_seed, unsigned worker, uint64_t n) {
  return splitmix(splitmix(campaign_seed * 0x100 + worker) ^ n);
}

ProgramRunner isolated_runner(Profile profile, const Mutant* mutant, std::chrono::milliseconds step_deadline) {
  auto guard = std::make_shared<FuzzGuard>();
  return [=](const Program& p) {
    RunOptions ro;
    ro.profile = profile;
    ro.mutant = mutant;
    ro.step_deadline = step_deadline;
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
  if (pid == 0) Worker(sh_, w, jobs_, seed_inputs_, generation_[w], o_).run();
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
                                   isolated_runner(o_.profile, o_.mutant, std::chrono::milliseconds(2000)), so);
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
  res_.findings.push_back(std::move(fd));
  if (ev_.finding) ev_.finding(res_.findings.back());
  if (res_.findings.size() >= o_.keep_going) sh_.stop = 1;
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
    if (ws.failed) ++s.failures;
  }
  s.behaviours = sh_.behaviours;
  s.corpus = arena_count(sh_.corpus);
  s.findings = res_.findings.size();
  for (const auto& f : res_.findings) s.failures += f.count;
  return s;
}

void Parent::finish() {
  if (o_.keep_going)
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
      if (o_.keep_going) serve(w);
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
