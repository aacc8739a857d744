#include "gen/builder.hpp"

#include <algorithm>

namespace ringside {
namespace {

// Main-thread steps that could change what a pending `later` step does (its result is
// predicted when it is scheduled): ending or reshaping resources, filling buffers,
// switching blocking mode, starting connections, and submitting io_uring requests
// (queued before the `later` step, they act on the same resources from now on).
bool disturbs_later(Op op) {
  return op == Op::Close || op == Op::Shutdown || op == Op::Fill || op == Op::SetNonblock || op == Op::Connect ||
         op == Op::Submit;
}

// Steps that may use a description a pending `later` step acts on: those that only
// watch readiness, and reads of what arrives (the race the later step is there for),
// except on regular files, whose offset a later write moves. Any other step (a write
// sharing the stream offset, and every operation added later until it is listed here)
// may not.
bool may_share_with_later(Op op, ResKind kind) {
  if (op == Op::EpollAdd || op == Op::EpollMod || op == Op::EpollDel || op == Op::EpollWait || op == Op::Poll ||
      op == Op::Select)
    return true;
  return (op == Op::Read || op == Op::Drain) && kind != ResKind::File;
}

std::string param_limit(const ParamSpec& ps, int64_t v, const FuzzLimits& l) {
  auto range = [&](int64_t lo, int64_t hi) -> std::string {
    if (v >= lo && v <= hi) return {};
    return ps.name + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " when fuzzing";
  };
  switch (ps.type) {
    case ParamType::Size:
      return range(ps.name == "chunk" ? l.min_chunk : 0, l.max_size);
    case ParamType::Ms:
      return range(-1, l.max_wait_ms);
    case ParamType::Dur:
      return range(0, l.max_delay_us);
    case ParamType::Int:
      if (ps.name == "off") return range(-1, l.max_size);  // -1: the stream's own position
      if (ps.name == "waits") return range(0, l.max_waits);  // an event loop stops when done
      if (ps.name == "trials") return range(0, l.max_trials);
      return range(0, l.max_int);
    case ParamType::Enum:
    case ParamType::Flags:
    case ParamType::Bool:
      break;
  }
  return {};
}

}  // namespace

void ProgramBuilder::candidates(const Step& s, size_t slot, std::vector<ResId>& out) const {
  out.clear();
  for (size_t r = 0; r < nres_; ++r)
    if (checker_.alive(static_cast<ResId>(r)) && checker_.check_input(prog_, s, slot, static_cast<ResId>(r)).empty())
      out.push_back(static_cast<ResId>(r));
}

bool fuzzable(const OpSpec& spec) { return !spec.name.starts_with("test_"); }

std::span<const OpSpec* const> fuzzable_ops() {
  static const std::vector<const OpSpec*> ops = [] {
    std::vector<const OpSpec*> v;
    for (const auto& spec : all_ops())
      if (fuzzable(spec)) v.push_back(&spec);
    return v;
  }();
  return ops;
}

bool ProgramBuilder::applicable(Op op) const {
  const OpSpec& spec = op_spec(op);
  if (!fuzzable(spec)) return false;
  if (limits_ && nres_ + spec.outs.size() > limits_->max_resources) return false;
  for (size_t k = 0; k < spec.ins.size(); ++k) {
    bool any = false;
    for (size_t r = 0; r < nres_ && !any; ++r) {
      const Resource& res = prog_.resources[r];
      any = checker_.alive(static_cast<ResId>(r)) && kind_in(res.kind, spec.ins[k].kinds);
    }
    if (!any) return false;
  }
  return true;
}

std::string ProgramBuilder::policy(const Step& s) const {
  const FuzzLimits& l = *limits_;
  if (prog_.steps.size() >= l.max_steps) return "more than " + std::to_string(l.max_steps) + " steps";
  if (nres_ + s.outs.size() > l.max_resources)
    return "more than " + std::to_string(l.max_resources) + " resources";
  const OpSpec& spec = s.spec();
  if (!l.uring)
    for (const auto& o : spec.outs)
      if (kind_in(ResKind::Ring, o.kinds) || kind_in(ResKind::Wrapper, o.kinds))
        return "io_uring is not available: no rings or wrappers";
  for (size_t k = 0; k < spec.params.size(); ++k)
    if (auto e = param_limit(spec.params[k], s.params[k], l); !e.empty()) return e;
  if (s.later && s.delay_us > l.max_delay_us)
    return "`later` delay must be at most " + std::to_string(l.max_delay_us) + "us when fuzzing";
  if (s.later)
    for (ResId r : s.ins)
      if (std::find(async_read_.begin(), async_read_.end(), root(r)) != async_read_.end())
        return "a `later` step on a file a readiness wrapper reads (its reads race with it)";
  // A wrapper checks the bytes it hands out against the file's own content: io_uring
  // writes (bytes of another stream, landing whenever they run) are kept off its file.
  auto in = [&](const std::vector<ResId>& v, ResId r) { return std::find(v.begin(), v.end(), root(r)) != v.end(); };
  for (const auto& o : spec.outs)
    if (kind_in(ResKind::Wrapper, o.kinds))
      for (ResId r : s.ins)
        if (in(uring_written_, r)) return "a readiness wrapper on a file io_uring writes";
  if (s.op == Op::UringWrite && s.ins.size() > 1 && in(async_read_, s.ins[1]))
    return "an io_uring write to a file a readiness wrapper reads";
  if (!s.later && !busy_.empty()) {
    if (disturbs_later(s.op)) return "'" + std::string(spec.name) + "' while a `later` step is pending";
    for (ResId r : s.ins)
      if (!may_share_with_later(s.op, prog_.res(r).kind) &&
          std::find(busy_.begin(), busy_.end(), root(r)) != busy_.end())
        return "'" + std::string(spec.name) + "' on a resource a pending `later` step acts on";
  }
  return {};
}

Program ProgramBuilder::take() {
  prog_.resources.resize(nres_);
  reserved_ = false;
  return std::move(prog_);
}

void ProgramBuilder::reserve(size_t resources, size_t steps) {
  prog_.steps.reserve(steps);
  if (prog_.resources.size() < resources) prog_.resources.resize(resources);
  reserved_ = true;
}

// Forgets the tentative outputs from `base` on (room made by reserve() stays).
void ProgramBuilder::drop_outputs(size_t base) {
  if (!reserved_) prog_.resources.resize(base);
  else
    for (size_t r = base; r < prog_.resources.size(); ++r) prog_.resources[r] = Resource{};
}

std::string ProgramBuilder::add(Step s) {
  const OpSpec& spec = s.spec();
  if (s.params.size() != spec.params.size()) return "wrong parameter count";
  if (s.ins.size() < spec.ins.size()) return "missing operands";
  for (size_t k = 0; k < s.ins.size(); ++k)
    if (s.ins[k] >= nres_) return "unknown resource";
    else if (auto e = checker_.check_input(prog_, s, k, s.ins[k]); !e.empty()) return e;
  if (s.later && !spec.outs.empty()) return "a `later` step cannot create resources";
  if (reserved_ && (nres_ + spec.outs.size() > prog_.resources.size() || prog_.steps.size() == prog_.steps.capacity()))
    return "no room left in the reserved program";
  // Outputs, tentatively, so that their kinds and the whole step can be checked.
  const size_t base = nres_;
  const uint32_t index = static_cast<uint32_t>(prog_.steps.size());
  s.outs.clear();
  for (size_t k = 0; k < spec.outs.size(); ++k) {
    ResId id = static_cast<ResId>(base + k);
    Resource res{"r" + std::to_string(id), ResKind{}, index};
    if (id < prog_.resources.size()) prog_.resources[id] = res;
    else prog_.resources.push_back(res);
    s.outs.push_back(id);
    auto kind = output_kind(prog_, s, k);
    if (!kind) {
      drop_outputs(base);
      return "cannot tell the kind of an output";
    }
    prog_.resources[id].kind = *kind;
  }
  std::string err = checker_.check_step(prog_, s);
  if (err.empty() && limits_) err = fuzzable(spec) ? policy(s) : "a test-only step";
  if (err.empty() && veto_) {
    prog_.steps.push_back(s);
    err = veto_(prog_, index);
    prog_.steps.pop_back();
  }
  if (!err.empty()) {
    drop_outputs(base);
    return err;
  }
  nres_ = base + s.outs.size();
  checker_.apply(prog_, s);
  for (size_t k = 0; k < s.outs.size(); ++k) roots_.push_back(s.op == Op::Dup ? root(s.ins[0]) : s.outs[k]);
  // A readiness wrapper reads its file asynchronously from now on.
  for (ResId o : s.outs)
    if (prog_.res(o).kind == ResKind::Wrapper)
      for (ResId r : s.ins) async_read_.push_back(root(r));
  if (s.op == Op::UringWrite && s.ins.size() > 1) uring_written_.push_back(root(s.ins[1]));
  if (s.later)
    for (ResId r : s.ins) busy_.push_back(root(r));
  if (s.op == Op::Join) busy_.clear();
  s.loc = {};
  prog_.steps.push_back(std::move(s));
  return {};
}

std::string check_fuzz_limits(const Program& p, const FuzzLimits& limits) {
  ProgramBuilder b(limits);
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const Step& s = p.steps[i];
    Step copy = s;
    // Inputs refer to p's resources; the builder numbers resources the same way when
    // they are created in step order, which every parsed or built program does.
    if (auto e = b.add(copy); !e.empty()) return "step " + std::to_string(i + 1) + ": " + e;
  }
  return {};
}

Program fit_fuzz_limits(Program p, const FuzzLimits& limits) {
  for (Step& s : p.steps) {
    const OpSpec& spec = s.spec();
    for (size_t k = 0; k < spec.params.size() && k < s.params.size(); ++k)
      if (spec.params[k].name == "trials") s.params[k] = std::min(s.params[k], limits.max_trials);
  }
  return p;
}

}  // namespace ringside
