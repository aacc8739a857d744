#include "gen/generator.hpp"

#include <algorithm>
#include <bit>

namespace ringside {
namespace {

// Attempts at drawing one fresh step (a drawn step may break a rule or be vetoed).
constexpr int kFreshTries = 20;
// A fresh step is the repetition of a recent one this often.
constexpr double kRepeatRate = 0.3;
// Steps that count as recent (for repetitions and for the operands' locality).
constexpr size_t kRecentSteps = 3;

bool touches(const OpSpec& spec, ResKind k) {
  for (const auto& o : spec.outs)
    if (o.kinds == kind_bit(k)) return true;
  for (const auto& o : spec.ins)
    if (kind_in(k, o.kinds) && std::popcount(o.kinds) <= 8) return true;  // not `any`
  return false;
}

bool observes(Op op) { return role_of(op_spec(op)) == Role::Look; }

// Kinds of the resources the last steps used or created.
KindSet recent_kinds(const Program& p) {
  KindSet k = 0;
  for (size_t i = p.steps.size(); i-- > 0 && i + kRecentSteps >= p.steps.size();)
    for (const auto* v : {&p.steps[i].ins, &p.steps[i].outs})
      for (ResId r : *v) k |= kind_bit(p.res(r).kind);
  return k;
}

// Is `target` registered in epoll `ep` after the steps so far (its last ADD, MOD or DEL
// as written; whether it succeeded is the kernel's business)?
bool registered(const Program& p, ResId ep, ResId target) {
  for (size_t i = p.steps.size(); i-- > 0;) {
    const Step& s = p.steps[i];
    if ((s.op == Op::EpollAdd || s.op == Op::EpollMod || s.op == Op::EpollDel) && s.ins[0] == ep && s.ins[1] == target)
      return s.op != Op::EpollDel;
  }
  return false;
}

// Mostly, an epoll_add registers what is not registered yet, and epoll_mod and
// epoll_del change what is (the other way round is an errno, worth a try now and then).
void prefer_registrations(const Program& p, const Step& s, size_t slot, std::vector<ResId>& cands) {
  if (slot != 1 || (s.op != Op::EpollAdd && s.op != Op::EpollMod && s.op != Op::EpollDel)) return;
  std::vector<ResId> fit;
  for (ResId r : cands)
    if (r != s.ins[0] && registered(p, s.ins[0], r) == (s.op != Op::EpollAdd)) fit.push_back(r);
  if (!fit.empty()) cands = std::move(fit);
}

}  // namespace

Role role_of(const OpSpec& spec) {
  switch (spec.op) {
    case Op::Poll:
    case Op::Select:
    case Op::EpollWait:
    case Op::WaitReady:
    case Op::Reap:
    case Op::SockError:
    case Op::Inspect:
    case Op::Read:
      return Role::Look;
    case Op::EpollAdd:
    case Op::EpollMod:
    case Op::EpollDel:
    case Op::SetNonblock:
      return Role::Tie;
    default:
      break;
  }
  if (spec.outs.empty()) return Role::Change;
  // io_uring requests are resources made on a ring: queuing one ties it to the ring.
  for (const auto& o : spec.outs)
    if (o.kinds == kind_bit(ResKind::Request)) return Role::Tie;
  return Role::Make;
}

// Weights from the op table's shape only: resources are created early, few at a time;
// operations on the kinds of resource the last steps used are favoured (behaviours come
// from several steps on one resource); after a `later` step, waits and reads are
// favoured (they race with it), and a join comes eventually.
double StepDraw::weight(const ProgramBuilder& b, const OpSpec& spec, std::optional<ResKind> focus,
                        KindSet recent) const {
  size_t live = b.resource_count();
  double w = 1;
  if (!spec.outs.empty()) w = live < 2 ? 4 : live < 6 ? 0.8 : 0.2;
  if (spec.op == Op::Close) w = 0.5;
  if (focus && touches(spec, *focus)) w *= 5;
  const auto& steps = b.program().steps;
  if (observes(spec.op) && !steps.empty() && !observes(steps.back().op) && !steps.back().ins.empty()) w *= 5;
  for (const auto& in : spec.ins)
    if ((in.kinds & recent) && std::popcount(in.kinds) <= 8) {  // not `any`
      w *= 3;
      break;
    }
  if (spec.op == Op::Join) w = b.later_pending() ? 1.5 : 0.05;
  if (b.later_pending()) {
    bool waits = false;
    for (const auto& ps : spec.params) waits = waits || ps.type == ParamType::Ms;
    if (waits || spec.op == Op::Read) w *= 3;
  }
  return w;
}

const OpSpec* StepDraw::choose_op(const ProgramBuilder& b, std::optional<ResKind> focus, Role role) {
  auto ops = all_ops();
  double total = 0;
  weights_.assign(ops.size(), 0);
  const KindSet recent = recent_kinds(b.program());
  for (size_t k = 0; k < ops.size(); ++k) {
    if (!b.applicable(ops[k].op) || (role != Role::Any && role_of(ops[k]) != role)) continue;
    weights_[k] = weight(b, ops[k], focus, recent);
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

int64_t StepDraw::delay() {
  // A `later` step that acts before or after the main thread's next step is judged
  // either way: no need to sleep for milliseconds. A short delay mostly lets the main
  // thread block first (the wake-up path), none mostly races it.
  static constexpr int64_t kDelaysUs[] = {0, 0, 50, 200};
  return kDelaysUs[pick(std::size(kDelaysUs))];
}

int64_t StepDraw::value(const ParamSpec& ps, bool later_pending) {
  switch (ps.type) {
    case ParamType::Bool:
      return ps.name == "nonblock" ? (o_.allow_blocking ? chance(0.7) : 1) : chance(0.5);
    case ParamType::Size: {
      static constexpr int64_t kSizes[] = {1, 7, 64, 100, 1000, 4096, 5000, 65536};
      static constexpr int64_t kChunks[] = {1024, 4096, 5000, 65536};
      if (ps.name == "chunk") return kChunks[pick(std::size(kChunks))];
      return kSizes[pick(std::size(kSizes))];
    }
    case ParamType::Ms:
      if (later_pending && chance(0.6)) {
        static constexpr int64_t kRaceWaits[] = {100, 600, -1};
        int64_t w = kRaceWaits[pick(std::size(kRaceWaits))];
        return w < 0 && !o_.allow_blocking ? 600 : w;
      }
      return chance(0.9) ? 0 : 1;
    case ParamType::Dur: {
      // io_uring timeouts: the oracle judges "not before t" and "fired", not how long.
      static constexpr int64_t kDurationsUs[] = {0, 100, 500};
      return kDurationsUs[pick(std::size(kDurationsUs))];
    }
    case ParamType::Enum:
      return ps.set->values[pick(ps.set->values.size())].value;
    case ParamType::Flags: {
      int64_t v = 0;
      for (const auto& x : ps.set->values) {
        // Edge-triggered is a mode of its own with its own rules: a third of the time.
        double p = x.name == "in" || x.name == "out" ? 0.6 : x.name == "et" ? 0.35 : x.name == "exclusive" ? 0.03 : 0.15;
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

// One of cands_, half the time among those the last steps used or created, or their
// peers (the other end of a pipe or socket pair: a write there is what a watch here
// sees).
ResId StepDraw::choose_operand(const ProgramBuilder& b) {
  if (chance(0.5)) {
    const Program& p = b.program();
    recent_.clear();
    auto consider = [&](ResId r) {
      if (std::find(cands_.begin(), cands_.end(), r) != cands_.end()) recent_.push_back(r);
    };
    for (size_t k = p.steps.size(); k-- > 0 && k + kRecentSteps >= p.steps.size();)
      for (const auto* v : {&p.steps[k].ins, &p.steps[k].outs})
        for (ResId r : *v) {
          consider(r);
          for (ResId peer : p.steps[p.res(r).created_by].outs)
            if (peer != r) consider(peer);
        }
    if (!recent_.empty()) return recent_[pick(recent_.size())];
  }
  return cands_[pick(cands_.size())];
}

bool StepDraw::add(ProgramBuilder& b, std::optional<ResKind> focus, Role role) {
  const OpSpec* spec = choose_op(b, focus, role);
  if (!spec && role != Role::Any) spec = choose_op(b, focus, Role::Any);  // nothing of that role applies
  if (!spec) return false;
  Step s;
  s.op = spec->op;
  for (const auto& ps : spec->params)
    s.params.push_back(ps.positional || chance(0.5) ? value(ps, b.later_pending()) : ps.def);
  for (size_t k = 0; k < spec->ins.size(); ++k) {
    size_t count = spec->ins[k].variadic ? 1 + pick(3) : 1;
    for (size_t c = 0; c < count; ++c) {
      b.candidates(s, s.ins.size(), cands_);
      if (!cands_.empty() && chance(0.8)) prefer_registrations(b.program(), s, s.ins.size(), cands_);
      if (cands_.empty()) return false;
      s.ins.push_back(choose_operand(b));
    }
  }
  if (spec->outs.empty() && may_run_later(spec->op) && chance(o_.later_rate)) {
    s.later = true;
    s.delay_us = delay();
  }
  return b.add(std::move(s)).empty();  // a step that breaks a rule is simply not taken
}

std::vector<Step> StepDraw::repeat(const ProgramBuilder& b, size_t n) {
  const auto& steps = b.program().steps;
  if (steps.empty()) return {};
  // The last step, or the last two or three (a write and a wait: a second arrival, then
  // a look; a socket and its connect: one more connection).
  const size_t len = std::min(n ? n : 1 + pick(std::min<size_t>(3, steps.size())), steps.size());
  std::vector<Step> run(steps.end() - static_cast<std::ptrdiff_t>(len), steps.end());
  // Resources alone are not worth repeating: something must be done to them.
  if (std::all_of(run.begin(), run.end(), [](const Step& s) { return !s.outs.empty() && s.ins.empty(); })) return {};
  for (Step& s : run) {
    // Sometimes with one parameter drawn anew (another size, another timeout).
    const OpSpec& spec = s.spec();
    if (!spec.params.empty() && chance(0.3)) {
      size_t k = pick(spec.params.size());
      s.params[k] = value(spec.params[k], b.later_pending());
    }
  }
  return run;
}

PlanFollower::PlanFollower(Plan plan, uint64_t seed, const GenOptions& o)
    : plan_(std::move(plan)), rng_(seed), o_(o), draw_(rng_, o_), map_(plan_.resources, kAnyResource) {}

bool PlanFollower::take_planned(ProgramBuilder& b, const Step& planned) {
  Step s = planned;
  s.outs.clear();
  s.loc = {};
  for (size_t k = 0; k < s.ins.size(); ++k) {
    const ResId from = planned.ins[k];
    ResId want = from < map_.size() ? map_[from] : kAnyResource;
    b.candidates(s, k, cands_);
    if (cands_.empty()) return false;
    if (want == kAnyResource || std::find(cands_.begin(), cands_.end(), want) == cands_.end())
      want = cands_[draw_.pick(cands_.size())];
    s.ins[k] = want;
  }
  const size_t base = b.resource_count();
  if (!b.add(s).empty()) return false;
  for (size_t k = 0; k < planned.outs.size(); ++k)
    if (planned.outs[k] < map_.size()) map_[planned.outs[k]] = static_cast<ResId>(base + k);
  return true;
}

// The next step of a repetition, its operands renamed to what the repetition created.
bool PlanFollower::take_repeated(ProgramBuilder& b) {
  while (!repeating_.empty()) {
    Step s = std::move(repeating_.front());
    repeating_.erase(repeating_.begin());
    for (ResId& r : s.ins)
      for (const auto& [from, to] : renamed_)
        if (r == from) r = to;
    const std::vector<ResId> outs = std::move(s.outs);
    s.outs.clear();
    const size_t base = b.resource_count();
    if (!b.add(std::move(s)).empty()) continue;
    for (size_t k = 0; k < outs.size(); ++k) renamed_.emplace_back(outs[k], static_cast<ResId>(base + k));
    return true;
  }
  return false;
}

bool PlanFollower::next(ProgramBuilder& b) {
  if (take_repeated(b)) return true;
  while (pos_ < plan_.steps.size() && !b.full()) {
    const PlanStep& ps = plan_.steps[pos_++];
    if (ps.fresh) {
      if (ps.role == Role::Again || (ps.role == Role::Any && draw_.chance(kRepeatRate))) {
        repeating_ = draw_.repeat(b, ps.again);
        renamed_.clear();
        if (take_repeated(b)) return true;
        if (ps.role == Role::Again) continue;
      }
      for (int t = 0; t < kFreshTries; ++t)
        if (draw_.add(b, plan_.focus, ps.role)) return true;
    } else if (take_planned(b, ps.step)) {
      return true;
    }
  }
  return false;
}

Plan fresh_plan(Rng& rng, const GenOptions& o) {
  StepDraw draw(rng, o);
  Plan plan;
  // Half the programs focus on one kind of resource (epoll, ring, wrapper, TCP...):
  // behaviours that need several steps on the same kind (ET re-fire, SO_ERROR after a
  // refused connect, a CQ overflow) then come up far more often than by chance.
  if (draw.chance(0.5)) plan.focus = static_cast<ResKind>(draw.pick(kKindCount));
  if (draw.chance(0.5)) {
    plan.steps.resize(1 + draw.pick(o.max_steps), PlanStep{true, {}, Role::Any});
    return plan;
  }
  auto add = [&](Role r, size_t n) {
    for (size_t k = 0; k < n && plan.steps.size() < o.max_steps; ++k) plan.steps.push_back({true, {}, r});
  };
  add(Role::Make, 1 + draw.pick(3));
  add(Role::Tie, draw.pick(3));
  size_t last = 0;  // steps of the last turn
  for (size_t turns = 1 + draw.pick(4); turns-- > 0;) {
    if (last && draw.chance(0.5)) {
      // The same turn again: a second arrival and a second look, one more connection.
      plan.steps.push_back({true, {}, Role::Again, last});
      continue;
    }
    const size_t before = plan.steps.size();
    add(Role::Change, 1 + draw.pick(2));
    add(Role::Look, 1 + draw.pick(2));
    last = plan.steps.size() - before;
    if (draw.chance(0.3)) add(Role::Any, 1);
  }
  return plan;
}

Plan plan_of(const Program& p) {
  Plan plan;
  plan.resources = p.resources.size();
  for (const Step& s : p.steps) plan.steps.push_back({false, s});
  return plan;
}

Program generate_program(uint64_t seed, const GenOptions& o) {
  Rng rng(seed);
  Plan plan = fresh_plan(rng, o);
  ProgramBuilder b(o.limits);
  PlanFollower follow(std::move(plan), rng(), o);
  while (follow.next(b)) {
  }
  Program p = b.take();
  p.purpose = "generated";
  return p;
}

GenOptions fuzz_gen_options() {
  GenOptions o;
  o.max_steps = 16;
  o.later_rate = 0.15;
  o.limits = FuzzLimits{};
  return o;
}

}  // namespace ringside
