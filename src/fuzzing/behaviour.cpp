#include "fuzzing/behaviour.hpp"

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

}  // namespace

uint64_t behaviour_signature(const Program& p, size_t i, const Observation& o, const Oracle& oracle) {
  const Step& s = p.steps[i];
  const OpSpec& spec = s.spec();
  uint64_t h = mix(static_cast<uint64_t>(s.op), s.later ? 1 : 0);
  h = mix(h, o.deadline_hit);
  if (s.later) return h;
  // Result: errno, 0, a new fd, all or part of a requested size, or a count class.
  uint64_t ret;
  if (o.ret <= 0) {
    ret = static_cast<uint64_t>(o.ret);
  } else if (!spec.outs.empty()) {
    ret = 1;
  } else {
    ret = 2 + count_class(o.ret);
    for (size_t k = 0; k < spec.params.size(); ++k)
      if (spec.params[k].type == ParamType::Size) {
        ret = o.ret >= s.param(k) ? 100 : 101;
        break;
      }
  }
  h = mix(h, ret);
  h = mix(h, o.value >= -4095 && o.value <= 4095 ? static_cast<uint64_t>(o.value) : 5000);
  // Reports, order-independent: the kind of resource each is about and its mask.
  uint64_t ev = 0;
  for (size_t k = 0; k < o.events.size(); ++k) {
    const ReadyEvent& e = o.events[k];
    ResId about = s.op == Op::EpollWait ? static_cast<ResId>(e.ref) : (k < s.ins.size() ? s.ins[k] : ResId(~0));
    uint64_t kind = about < p.resources.size() ? static_cast<uint64_t>(p.res(about).kind) : 99;
    ev += mix(kind, e.mask);
  }
  h = mix(h, ev);
  uint64_t cq = 0;
  for (const Completion& c : o.cqes) cq += mix(count_class(c.res), c.flags);
  h = mix(h, cq);
  uint64_t hl = 0;
  for (const HelperResult& r : o.helpers) hl += mix(count_class(r.ret), 7);
  h = mix(h, hl);
  if (!s.ins.empty()) h = mix(h, oracle.state_summary(s.ins[0]));
  return h;
}

}  // namespace ringside
