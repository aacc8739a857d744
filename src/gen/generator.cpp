#include "gen/generator.hpp"

#include <bit>
#include <optional>
#include <random>

namespace ringside {
namespace {

class Gen {
 public:
  Gen(uint64_t seed, const GenOptions& o) : rng_(seed), o_(o), b_(o.limits) {}

  Program run() {
    // Half the programs focus on one kind of resource (epoll, ring, wrapper, TCP...):
    // behaviours that need several steps on the same kind (ET re-fire, SO_ERROR after a
    // refused connect, a CQ overflow) then come up far more often than by chance.
    if (chance(0.5)) focus_ = static_cast<ResKind>(pick(kKindCount));
    size_t n = 1 + pick(o_.max_steps);
    for (size_t tries = 0; b_.program().steps.size() < n && !b_.full() && tries < n * 20; ++tries) step();
    Program p = b_.take();
    p.purpose = "generated";
    return p;
  }

 private:
  size_t pick(size_t n) { return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng_) : 0; }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  // Weights from the op table's shape only: resources are created early, few at a time;
  // after a `later` step, waits and reads are favoured (they race with it), and a join
  // comes eventually.
  double weight(const OpSpec& spec) {
    size_t live = b_.program().resources.size();
    double w = 1;
    if (!spec.outs.empty()) w = live < 3 ? 4 : live < 8 ? 1.5 : 0.4;
    if (spec.op == Op::Close) w = 0.5;
    if (focus_ && touches(spec, *focus_)) w *= 5;
    if (spec.op == Op::Join) w = b_.later_pending() ? 1.5 : 0.05;
    if (b_.later_pending()) {
      bool waits = false;
      for (const auto& ps : spec.params) waits = waits || ps.type == ParamType::Ms;
      if (waits || spec.op == Op::Read) w *= 3;
    }
    return w;
  }

  const OpSpec* choose_op() {
    auto ops = all_ops();
    double total = 0;
    weights_.assign(ops.size(), 0);
    for (size_t k = 0; k < ops.size(); ++k) {
      if (!b_.applicable(ops[k].op)) continue;
      weights_[k] = weight(ops[k]);
      total += weights_[k];
    }
    if (total <= 0) return nullptr;
    double x = std::uniform_real_distribution<double>(0, total)(rng_);
    for (size_t k = 0; k < ops.size(); ++k) {
      x -= weights_[k];
      if (x < 0 && weights_[k] > 0) return &ops[k];
    }
    return nullptr;
  }

  int64_t value(const ParamSpec& ps) {
    switch (ps.type) {
      case ParamType::Bool:
        return ps.name == "nonblock" ? (o_.allow_blocking ? chance(0.7) : 1) : chance(0.2);
      case ParamType::Size: {
        static constexpr int64_t kSizes[] = {1, 7, 64, 100, 1000, 4096, 5000, 65536};
        static constexpr int64_t kChunks[] = {1024, 4096, 5000, 65536};
        if (ps.name == "chunk") return kChunks[pick(std::size(kChunks))];
        return kSizes[pick(std::size(kSizes))];
      }
      case ParamType::Ms:
        if (b_.later_pending() && chance(0.6)) {
          static constexpr int64_t kRaceWaits[] = {100, 600, -1};
          int64_t w = kRaceWaits[pick(std::size(kRaceWaits))];
          return w < 0 && !o_.allow_blocking ? 600 : w;
        }
        return chance(0.9) ? 0 : 1;
      case ParamType::Dur:
        return static_cast<int64_t>(pick(3)) * 1000;
      case ParamType::Enum:
        return ps.set->values[pick(ps.set->values.size())].value;
      case ParamType::Flags: {
        int64_t v = 0;
        for (const auto& x : ps.set->values) {
          double p = x.name == "in" || x.name == "out" ? 0.6 : x.name == "exclusive" ? 0.03 : 0.15;
          if (chance(p)) v |= x.value;
        }
        return v ? v : ps.set->values[0].value;
      }
      case ParamType::Int:
        if (ps.name == "max") return 1 + static_cast<int64_t>(pick(8));
        if (ps.name == "backlog") return static_cast<int64_t>(pick(3));
        if (ps.name == "depth") return int64_t{1} << pick(7);  // readiness wrapper: 1..64
        if (ps.name == "scramble") return chance(0.5) ? 0 : 1 + static_cast<int64_t>(pick(1000));
        if (ps.name == "waits") return 1 + static_cast<int64_t>(pick(16));
        return static_cast<int64_t>(pick(4));
    }
    return 0;
  }

  void step() {
    const OpSpec* spec = choose_op();
    if (!spec) return;
    Step s;
    s.op = spec->op;
    for (const auto& ps : spec->params) s.params.push_back(ps.positional || chance(0.5) ? value(ps) : ps.def);
    for (size_t k = 0; k < spec->ins.size(); ++k) {
      size_t count = spec->ins[k].variadic ? 1 + pick(3) : 1;
      for (size_t c = 0; c < count; ++c) {
        b_.candidates(s, s.ins.size(), cands_);
        if (cands_.empty()) return;
        s.ins.push_back(cands_[pick(cands_.size())]);
      }
    }
    if (spec->outs.empty() && may_run_later(spec->op) && chance(o_.later_rate)) {
      s.later = true;
      s.delay_us = static_cast<int64_t>(pick(3)) * 1000;
    }
    (void)b_.add(std::move(s));  // a step that breaks a rule is simply not taken
  }

  static bool touches(const OpSpec& spec, ResKind k) {
    for (const auto& o : spec.outs)
      if (o.kinds == kind_bit(k)) return true;
    for (const auto& o : spec.ins)
      if (kind_in(k, o.kinds) && std::popcount(o.kinds) <= 8) return true;  // not `any`
    return false;
  }

  std::optional<ResKind> focus_;
  std::mt19937_64 rng_;
  GenOptions o_;
  ProgramBuilder b_;
  std::vector<double> weights_;
  std::vector<ResId> cands_;
};

}  // namespace

Program generate_program(uint64_t seed, const GenOptions& o) { return Gen(seed, o).run(); }

GenOptions fuzz_gen_options() {
  GenOptions o;
  o.max_steps = 16;
  o.later_rate = 0.15;
  o.limits = FuzzLimits{};
  return o;
}

}  // namespace ringside
