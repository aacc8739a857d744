#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

#include "fuzzing/campaign_shared.hpp"
#include "fuzzing/executor.hpp"
#include "gen/mutator.hpp"
#include "program/script.hpp"

namespace ringside::campaign {
namespace {

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
    ExecOptions eo = ringside::exec_options(o_);
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
    // The last new signature, and the step that reached it, say why a program is kept.
    uint32_t new_slot = kNoSlot;
    size_t hot = 0;
    const auto& sigs = ex_.signatures();
    for (size_t k = 0; k < sigs.size(); ++k)
      if (auto [slot, fresh] = insert_behaviour(sh_, sigs[k]); fresh) {  // the last one: the furthest
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
    me_.steps_run.fetch_add(r.steps_run, std::memory_order_relaxed);
    me_.steps_judged.fetch_add(r.steps_judged, std::memory_order_relaxed);
    for (const auto& [id, n] : r.tolerances)
      if (const Tolerance* t = tolerance_by_id(id)) me_.tolerances[static_cast<size_t>(t->tol)].fetch_add(n, std::memory_order_relaxed);
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
    ScenarioResult r = result;
    const Program p = program;
    if (o_.mutant && o_.clean_replays && !mutants_doing(r, p)) {
      if (me_.false_alarms.fetch_add(1) == 0) put(me_.alarm, me_.alarm_len, failure_message(r, p, seed));
      return true;
    }
    // A known kernel deviation is filed (shrunk, marked known) and the campaign goes on.
    if (!o_.mutant && r.known.empty()) r.known = known_kernel_bug(r);
    put(me_, failure_message(r, p, seed));
    if (!o_.keep_going && r.known.empty()) {
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
    sr.failure.known = r.known;
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

void run_worker(Shared& sh, unsigned w, unsigned jobs, uint32_t seed_inputs, uint64_t generation,
                const CampaignOptions& o) {
  Worker(sh, w, jobs, seed_inputs, generation, o).run();
}

}  // namespace ringside::campaign
