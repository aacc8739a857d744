#include "fuzzing/behaviour.hpp"

#include "program/uring_ids.hpp"

namespace ringside {
namespace {

uint64_t mix(uint64_t h, uint64_t v) {
  // splitmix64 finaliser over the running hash: cheap and well spread.
  uint64_t x = h ^ (v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2));
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The class of a count or size: errno, zero, or a small bucket.
uint64_t count_class(int64_t v) {
  if (v < 0) return static_cast<uint64_t>(v);
  return v < 8 ? static_cast<uint64_t>(v) : 8 + (v < 64 ? 0 : v < 4096 ? 1 : 2);
}

// Kinds of aspect, so that equal numbers of different aspects differ.
enum Aspect : uint64_t { kStep = 1, kReport, kCompletion, kJoined, kModel };

constexpr uint32_t kEdgeBits = 0x80000000u | 0x40000000u;  // EPOLLET | EPOLLONESHOT

// The interest (ET/ONESHOT bits) of the registration of `token` in epoll `ep` that step
// i reports: from the last ADD or MOD before it.
uint32_t edge_bits(const Program& p, size_t i, ResId ep, uint64_t token) {
  for (size_t k = i; k-- > 0;) {
    const Step& s = p.steps[k];
    if ((s.op == Op::EpollAdd || s.op == Op::EpollMod) && s.ins[0] == ep && s.ins[1] == token)
      return static_cast<uint32_t>(s.param(0)) & kEdgeBits;
  }
  return 0;
}

// A count against what a step asked for: all of a size (or as many reports or
// completions as `max` allowed), part of it, or a count class.
uint64_t asked_class(const Step& s, int64_t got) {
  const OpSpec& spec = s.spec();
  for (size_t k = 0; k < spec.params.size(); ++k)
    if (spec.params[k].type == ParamType::Size || spec.params[k].name == "max") return got >= s.param(k) ? 100 : 101;
  return 2 + count_class(got);
}

uint64_t result_class(const Step& s, const Observation& o) {
  if (o.ret <= 0) return static_cast<uint64_t>(o.ret);
  if (!s.spec().outs.empty()) return 1;  // a new resource
  return asked_class(s, o.ret);
}

// The switches of a step (waitall, multishot, vec, nonblock...), as bits.
uint64_t switches(const Step& s) {
  const OpSpec& spec = s.spec();
  uint64_t bits = 0;
  for (size_t k = 0; k < spec.params.size() && k < 16; ++k)
    if (spec.params[k].type == ParamType::Bool && s.param(k)) bits |= uint64_t{1} << k;
  return bits;
}

// The modes a step asked for: its switches and its flags (ET, ONESHOT, LINK, DRAIN...).
uint64_t modes(const Step& s) {
  const OpSpec& spec = s.spec();
  uint64_t h = switches(s);
  for (size_t k = 0; k < spec.params.size(); ++k)
    if (spec.params[k].type == ParamType::Flags) h = mix(h, static_cast<uint64_t>(s.param(k)));
  return h;
}

uint64_t kind_of(const Program& p, ResId r) {
  return r < p.resources.size() ? static_cast<uint64_t>(p.res(r).kind) : 99;
}

}  // namespace

void behaviour_signatures(const Program& p, size_t i, const Observation& o, const Oracle& oracle,
                          std::vector<uint64_t>& out) {
  const Step& s = p.steps[i];
  const uint64_t op = mix(static_cast<uint64_t>(s.op), s.later ? 1 : 0);
  if (s.later) {
    out.push_back(mix(mix(kStep, op), o.deadline_hit));
    return;
  }
  // The value: an errno or SO_ERROR as it is, a count (an eventfd's counter) by class.
  uint64_t value = o.value < 0 || s.op == Op::SockError ? static_cast<uint64_t>(o.value) : count_class(o.value);
  out.push_back(mix(mix(mix(mix(mix(kStep, op), modes(s)), o.deadline_hit), result_class(s, o)), value));
  for (size_t k = 0; k < o.events.size(); ++k) {
    const ReadyEvent& e = o.events[k];
    const bool epoll = s.op == Op::EpollWait;
    ResId about = epoll ? static_cast<ResId>(e.ref) : (k < s.ins.size() ? s.ins[k] : ResId(~0));
    uint32_t edges = epoll ? edge_bits(p, i, s.ins[0], e.ref) : 0;
    out.push_back(mix(mix(mix(mix(kReport, op), kind_of(p, about)), e.mask), edges));
  }
  for (const Completion& c : o.cqes) {
    // The request's operation and switches, and its result against what it asked for.
    uint64_t req = 999, res = count_class(c.res);  // 999: a race step's or the engine's own request
    if (c.user_data > 0 && c.user_data < uring::kRaceCanceller) {
      size_t k = uring::step_of_user_data(c.user_data);
      if (k < p.steps.size()) {
        const Step& q = p.steps[k];
        req = mix(static_cast<uint64_t>(q.op), switches(q));
        res = c.res <= 0 ? static_cast<uint64_t>(c.res) : asked_class(q, c.res);
      }
    }
    out.push_back(mix(mix(mix(mix(kCompletion, op), req), res), c.flags));
  }
  for (const HelperResult& r : o.helpers) {
    uint64_t helper = r.step < p.steps.size() ? static_cast<uint64_t>(p.steps[r.step].op) : 999;
    out.push_back(mix(mix(mix(kJoined, op), helper), count_class(r.ret)));
  }
  for (size_t k = 0; k < s.ins.size() && k < 4; ++k)
    out.push_back(mix(mix(mix(mix(kModel, op), k), kind_of(p, s.ins[k])), oracle.state_summary(s.ins[k])));
}

}  // namespace ringside
