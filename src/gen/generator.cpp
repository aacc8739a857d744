#include "gen/generator.hpp"

#include <random>

namespace ringside {
namespace {

class Gen {
 public:
  Gen(uint64_t seed, const GenOptions& o) : rng_(seed), o_(o) {}

  Program run() {
    Program p;
    p.purpose = "generated";
    size_t n = 1 + pick(o_.max_steps);
    for (size_t tries = 0; p.steps.size() < n && tries < n * 20; ++tries) step(p);
    return p;
  }

 private:
  size_t pick(size_t n) { return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng_) : 0; }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  int64_t value(const ParamSpec& ps) {
    switch (ps.type) {
      case ParamType::Bool:
        return ps.name == "nonblock" ? (o_.allow_blocking ? chance(0.7) : 1) : chance(0.2);
      case ParamType::Size: {
        static constexpr int64_t kSizes[] = {1, 7, 64, 100, 1000, 4096, 5000, 65536};
        return kSizes[pick(std::size(kSizes))];
      }
      case ParamType::Ms:
        return chance(0.8) ? 0 : (chance(0.5) ? 10 : 100);
      case ParamType::Dur:
        return static_cast<int64_t>(pick(5)) * 1000;
      case ParamType::Enum:
        return ps.set->values[pick(ps.set->values.size())].value;
      case ParamType::Flags: {
        int64_t v = 0;
        for (const auto& x : ps.set->values)
          if (chance(x.name == "in" || x.name == "out" ? 0.6 : 0.15)) v |= x.value;
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

  void step(Program& p) {
    auto ops = all_ops();
    const OpSpec& spec = ops[pick(ops.size())];
    if (spec.name.starts_with("test_")) return;  // test-only steps
    Step s;
    s.op = spec.op;
    for (const auto& ps : spec.params) s.params.push_back(ps.positional || chance(0.5) ? value(ps) : ps.def);
    // Inputs: live resources of the right kinds.
    for (size_t k = 0; k < spec.ins.size(); ++k) {
      size_t count = spec.ins[k].variadic ? 1 + pick(3) : 1;
      for (size_t c = 0; c < count; ++c) {
        std::vector<ResId> cands;
        for (size_t r = 0; r < p.resources.size(); ++r)
          if (checker_.alive(static_cast<ResId>(r)) &&
              checker_.check_input(p, s, s.ins.size(), static_cast<ResId>(r)).empty())
            cands.push_back(static_cast<ResId>(r));
        if (cands.empty()) return;
        s.ins.push_back(cands[pick(cands.size())]);
      }
    }
    if (chance(o_.later_rate) && spec.outs.empty()) {
      s.later = true;
      s.delay_us = static_cast<int64_t>(pick(3)) * 1000;
    }
    size_t base = p.resources.size();
    for (size_t k = 0; k < spec.outs.size(); ++k) {
      p.resources.push_back({"r" + std::to_string(base + k), ResKind{}, static_cast<uint32_t>(p.steps.size())});
      s.outs.push_back(static_cast<ResId>(base + k));
      auto kind = output_kind(p, s, k);
      if (!kind) {
        p.resources.resize(base);
        return;
      }
      p.resources[base + k].kind = *kind;
    }
    if (!checker_.check_step(p, s).empty()) {
      p.resources.resize(base);
      return;
    }
    checker_.apply(p, s);
    p.steps.push_back(std::move(s));
  }

  std::mt19937_64 rng_;
  GenOptions o_;
  ProgramChecker checker_;
};

}  // namespace

Program generate_program(uint64_t seed, const GenOptions& o) { return Gen(seed, o).run(); }

}  // namespace ringside
