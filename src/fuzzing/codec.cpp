#include "fuzzing/codec.hpp"

#include <array>

namespace ringside {
namespace {

// Values worth hitting often; anything else is reachable through the raw tail.
constexpr std::array<int64_t, 8> kSizes = {1, 8, 100, 1000, 4096, 4097, 16384, 65536};
constexpr std::array<int64_t, 6> kWaits = {0, 1, 10, 100, 600, -1};
constexpr std::array<int64_t, 5> kDurations = {0, 100, 1000, 2000, 5000};

std::span<const int64_t> table(ParamType t) {
  switch (t) {
    case ParamType::Size: return kSizes;
    case ParamType::Ms: return kWaits;
    case ParamType::Dur: return kDurations;
    default: return {};
  }
}

uint64_t zigzag(int64_t x) { return (static_cast<uint64_t>(x) << 1) ^ static_cast<uint64_t>(x >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> b) : b_(b) {}
  bool done() const { return pos_ >= b_.size(); }
  uint64_t varint() {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (pos_ >= b_.size()) break;
      uint8_t byte = b_[pos_++];
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    return v;
  }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

void put_varint(Bytes& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

const ParamSpec kDelay{"delay", ParamType::Dur};

}  // namespace

int64_t decode_value(const ParamSpec& ps, uint64_t v) {
  switch (ps.type) {
    case ParamType::Bool:
      return static_cast<int64_t>(v & 1);
    case ParamType::Enum:
      return ps.set->values[v % ps.set->values.size()].value;
    case ParamType::Flags: {
      int64_t out = 0;
      for (size_t k = 0; k < ps.set->values.size() && k < 64; ++k)
        if (v & (uint64_t{1} << k)) out |= ps.set->values[k].value;
      return out;
    }
    default:
      break;
  }
  auto t = table(ps.type);
  if (v < t.size()) return t[v];
  return unzigzag(v - t.size());
}

bool encode_value(const ParamSpec& ps, int64_t value, uint64_t& v) {
  switch (ps.type) {
    case ParamType::Bool:
      if (value != 0 && value != 1) return false;
      v = static_cast<uint64_t>(value);
      return true;
    case ParamType::Enum:
      for (size_t k = 0; k < ps.set->values.size(); ++k)
        if (ps.set->values[k].value == value) {
          v = k;
          return true;
        }
      return false;
    case ParamType::Flags: {
      v = 0;
      int64_t left = value;
      for (size_t k = 0; k < ps.set->values.size() && k < 64; ++k) {
        int64_t x = ps.set->values[k].value;
        if (x != 0 && (value & x) == x) {
          v |= uint64_t{1} << k;
          left &= ~x;
        }
      }
      return left == 0 && decode_value(ps, v) == value;
    }
    default:
      break;
  }
  auto t = table(ps.type);
  for (size_t k = 0; k < t.size(); ++k)
    if (t[k] == value) {
      v = k;
      return true;
    }
  uint64_t z = zigzag(value);
  if (z > UINT64_MAX - t.size()) return false;
  v = z + t.size();
  return true;
}

Program decode_program(std::span<const uint8_t> bytes, const FuzzLimits& limits) {
  ProgramBuilder b(limits);
  Reader in(bytes);
  const auto ops = fuzzable_ops();
  std::vector<ResId> cands;
  while (!in.done() && !b.full()) {
    const OpSpec& spec = *ops[in.varint() % ops.size()];
    Step s;
    s.op = spec.op;
    s.later = (in.varint() & 1) != 0;
    if (s.later) s.delay_us = decode_value(kDelay, in.varint());
    bool ok = true;
    for (size_t k = 0; k < spec.ins.size() && ok; ++k) {
      size_t count = spec.ins[k].variadic ? 1 + in.varint() % kMaxVariadic : 1;
      for (size_t c = 0; c < count; ++c) {
        b.candidates(s, s.ins.size(), cands);
        if (cands.empty()) {
          ok = false;
          break;
        }
        s.ins.push_back(cands[in.varint() % cands.size()]);
      }
    }
    if (!ok) continue;
    for (const auto& ps : spec.params) s.params.push_back(decode_value(ps, in.varint()));
    (void)b.add(std::move(s));  // a step that breaks a rule is skipped
  }
  return b.take();
}

bool encode_program(const Program& p, const FuzzLimits& limits, Bytes& out, std::string& error) {
  out.clear();
  ProgramBuilder b(limits);
  const auto ops = fuzzable_ops();
  std::vector<ResId> cands;
  std::vector<ResId> map(p.resources.size(), ResId(~0));  // p's ids -> the builder's
  auto fail = [&](size_t i, const std::string& why) {
    error = "step " + std::to_string(i + 1) + " (" + std::string(p.steps[i].spec().name) + "): " + why;
    return false;
  };
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const Step& src = p.steps[i];
    const OpSpec& spec = src.spec();
    size_t op_index = 0;
    while (op_index < ops.size() && ops[op_index]->op != src.op) ++op_index;
    if (op_index == ops.size()) return fail(i, "a test-only step");
    put_varint(out, op_index);
    put_varint(out, src.later ? 1 : 0);
    uint64_t v = 0;
    if (src.later) {
      if (!encode_value(kDelay, src.delay_us, v)) return fail(i, "delay not expressible");
      put_varint(out, v);
    }
    Step s;
    s.op = src.op;
    s.later = src.later;
    s.delay_us = src.delay_us;
    size_t next = 0;
    for (size_t k = 0; k < spec.ins.size(); ++k) {
      size_t count = 1;
      if (spec.ins[k].variadic) {
        count = src.ins.size() - next;
        if (count < 1 || count > kMaxVariadic) return fail(i, "more than 8 operands in one slot");
        put_varint(out, count - 1);
      }
      for (size_t c = 0; c < count; ++c, ++next) {
        if (next >= src.ins.size()) return fail(i, "missing operand");
        ResId want = src.ins[next] < map.size() ? map[src.ins[next]] : ResId(~0);
        b.candidates(s, s.ins.size(), cands);
        size_t pick = 0;
        while (pick < cands.size() && cands[pick] != want) ++pick;
        if (pick == cands.size()) return fail(i, "operand is not a live resource of the right kind");
        put_varint(out, pick);
        s.ins.push_back(want);
      }
    }
    if (next != src.ins.size()) return fail(i, "too many operands");
    for (size_t k = 0; k < spec.params.size(); ++k) {
      if (!encode_value(spec.params[k], src.params[k], v))
        return fail(i, spec.params[k].name + "=" + std::to_string(src.params[k]) + " not expressible");
      put_varint(out, v);
      s.params.push_back(src.params[k]);
    }
    size_t base = b.program().resources.size();
    if (auto e = b.add(s); !e.empty()) return fail(i, e);
    for (size_t k = 0; k < src.outs.size(); ++k)
      if (src.outs[k] < map.size()) map[src.outs[k]] = static_cast<ResId>(base + k);
  }
  return true;
}

Program canonical(const Program& p) {
  Program c;
  c.resources = p.resources;
  for (size_t r = 0; r < c.resources.size(); ++r) c.resources[r].name = "r" + std::to_string(r);
  c.steps = p.steps;
  for (auto& s : c.steps) s.loc = {};
  return c;
}

}  // namespace ringside
