#include "program/op.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <map>
#include <stdexcept>

namespace ringside {
namespace {

struct KindInfo {
  std::string_view name, desc;
};
constexpr std::array<KindInfo, kKindCount> kKinds = {{
#define KIND(e, name, desc) {name, desc},
#include "program/kinds.def"
#undef KIND
}};

struct RawOp {
  Op op;
  std::string_view name, sig, desc;
};
constexpr RawOp kRawOps[] = {
#define OP(e, name, sig, desc) {Op::e, name, sig, desc},
#include "program/ops.def"
#include "program/ops_uring.def"
#include "program/ops_wrapper.def"
#undef OP
};

struct RawValue {
  std::string_view set, name;
  int64_t value;
};
constexpr RawValue kRawValues[] = {
#define SET(set, name, value) {#set, name, value},
#include "program/valuesets.def"
#undef SET
};

// Numbers: decimal or 0x hex, optional leading '-', optional unit suffix.
std::optional<int64_t> parse_int(std::string_view s) {
  bool neg = false;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

std::optional<int64_t> with_suffix(std::string_view s, std::initializer_list<std::pair<std::string_view, int64_t>> units,
                                   int64_t bare) {
  for (auto [suffix, mult] : units) {
    if (s.size() > suffix.size() && s.ends_with(suffix)) {
      auto v = parse_int(s.substr(0, s.size() - suffix.size()));
      if (!v || *v < 0 || *v > std::numeric_limits<int64_t>::max() / mult) return std::nullopt;
      return *v * mult;
    }
  }
  auto v = parse_int(s);
  if (!v) return std::nullopt;
  if (*v > std::numeric_limits<int64_t>::max() / bare || *v < std::numeric_limits<int64_t>::min() / bare)
    return std::nullopt;
  return *v * bare;
}

KindSet all_kinds() { return (KindSet{1} << kKindCount) - 1; }

KindSet group(std::string_view g) {
  auto b = [](ResKind k) { return kind_bit(k); };
  using K = ResKind;
  // `any` means any file descriptor: a request is not one.
  if (g == "any") return all_kinds() & ~b(K::Request);
  if (g == "readable")
    return b(K::Tcp) | b(K::UnixStream) | b(K::UnixDgram) | b(K::PipeRead) | b(K::EventFd) | b(K::File);
  if (g == "writable")
    return b(K::Tcp) | b(K::UnixStream) | b(K::UnixDgram) | b(K::PipeWrite) | b(K::EventFd) | b(K::File);
  if (auto k = kind_by_name(g)) return b(*k);
  throw std::logic_error("ops table: unknown kind or group '" + std::string(g) + "'");
}

KindSet parse_kinds(std::string_view s) {
  KindSet set = 0;
  while (!s.empty()) {
    auto bar = s.find('|');
    set |= group(s.substr(0, bar));
    if (bar == std::string_view::npos) break;
    s.remove_prefix(bar + 1);
  }
  return set;
}

std::vector<ValueSet>& value_sets() {
  static std::vector<ValueSet> sets = [] {
    std::vector<ValueSet> v;
    for (const auto& r : kRawValues) {
      if (v.empty() || v.back().name != r.set) v.push_back(ValueSet{r.set, {}});
      v.back().values.push_back({r.name, r.value});
    }
    return v;
  }();
  return sets;
}

int64_t parse_default(const ParamSpec& p, std::string_view text) {
  if (p.type == ParamType::Flags || p.type == ParamType::Enum) {
    int64_t v = 0;
    while (!text.empty()) {
      auto bar = text.find('|');
      auto one = p.set->lookup(text.substr(0, bar));
      if (!one) throw std::logic_error("ops table: bad default for " + p.name);
      v |= *one;
      if (bar == std::string_view::npos) break;
      text.remove_prefix(bar + 1);
    }
    return v;
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || ptr != text.data() + text.size())
    throw std::logic_error("ops table: bad default for " + p.name);
  return v;
}

// "lo..hi" or "lo.." in script literals (e.g. 1..64M, 0..10s).
void parse_range(ParamSpec& p, std::string_view text) {
  auto dots = text.find("..");
  auto lo = dots == std::string_view::npos ? std::nullopt : parse_param_value(p, text.substr(0, dots));
  std::string_view hi_text = dots == std::string_view::npos ? std::string_view{} : text.substr(dots + 2);
  auto hi = hi_text.empty() ? std::optional<int64_t>(std::numeric_limits<int64_t>::max()) : parse_param_value(p, hi_text);
  if (!lo || !hi || *lo > *hi) throw std::logic_error("ops table: bad range for " + p.name);
  p.ranged = true;
  p.lo = *lo;
  p.hi = *hi;
}

ParamSpec parse_param(std::string_view tok) {
  ParamSpec p;
  if (tok.back() == '?') {
    p.name = std::string(tok.substr(0, tok.size() - 1));
    p.type = ParamType::Bool;
    return p;
  }
  auto colon = tok.find(':');
  if (colon == std::string_view::npos) throw std::logic_error("ops table: bad token " + std::string(tok));
  p.name = std::string(tok.substr(0, colon));
  std::string_view type = tok.substr(colon + 1);
  std::string_view def, range;
  if (auto eq = type.find('='); eq != std::string_view::npos) {
    def = type.substr(eq + 1);
    type = type.substr(0, eq);
  } else {
    p.positional = true;
  }
  if (auto br = type.find('['); br != std::string_view::npos && type.back() == ']') {
    range = type.substr(br + 1, type.size() - br - 2);
    type = type.substr(0, br);
  }
  if (type.starts_with("enum/") || type.starts_with("flags/")) {
    p.type = type[0] == 'e' ? ParamType::Enum : ParamType::Flags;
    p.set = value_set(type.substr(type.find('/') + 1));
    if (!p.set) throw std::logic_error("ops table: unknown value set in " + std::string(tok));
  } else if (type == "int") {
    p.type = ParamType::Int;
  } else if (type == "size") {
    p.type = ParamType::Size;
  } else if (type == "ms") {
    p.type = ParamType::Ms;
  } else if (type == "dur") {
    p.type = ParamType::Dur;
  } else {
    throw std::logic_error("ops table: unknown type in " + std::string(tok));
  }
  if (!p.positional) p.def = parse_default(p, def);
  if (!range.empty()) parse_range(p, range);
  return p;
}

OpSpec parse_op(const RawOp& r) {
  OpSpec s;
  s.op = r.op;
  s.name = r.name;
  s.description = r.desc;
  std::string_view sig = r.sig;
  while (!sig.empty()) {
    auto sp = sig.find(' ');
    std::string_view tok = sig.substr(0, sp);
    sig = sp == std::string_view::npos ? std::string_view{} : sig.substr(sp + 1);
    if (tok.empty()) continue;
    if (tok[0] == '>') {
      s.outs.push_back({parse_kinds(tok.substr(1)), false});
    } else if (tok[0] == '<') {
      bool variadic = tok.size() > 1 && tok[1] == '*';
      s.ins.push_back({parse_kinds(tok.substr(variadic ? 2 : 1)), variadic});
    } else {
      s.params.push_back(parse_param(tok));
    }
  }
  return s;
}

const std::vector<OpSpec>& specs() {
  static const std::vector<OpSpec> v = [] {
    std::vector<OpSpec> out;
    for (const auto& r : kRawOps) out.push_back(parse_op(r));
    return out;
  }();
  return v;
}

}  // namespace

std::string_view kind_name(ResKind k) { return kKinds[static_cast<size_t>(k)].name; }
std::string_view kind_description(ResKind k) { return kKinds[static_cast<size_t>(k)].desc; }
std::optional<ResKind> kind_by_name(std::string_view name) {
  for (size_t i = 0; i < kKinds.size(); ++i)
    if (kKinds[i].name == name) return static_cast<ResKind>(i);
  return std::nullopt;
}

std::optional<int64_t> ValueSet::lookup(std::string_view n) const {
  for (const auto& v : values)
    if (v.name == n) return v.value;
  return std::nullopt;
}
std::string_view ValueSet::name_of(int64_t v) const {
  for (const auto& x : values)
    if (x.value == v) return x.name;
  return {};
}

const ValueSet* value_set(std::string_view name) {
  for (const auto& s : value_sets())
    if (s.name == name) return &s;
  return nullptr;
}

size_t OpSpec::index(std::string_view n) const {
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].name == n) return i;
  throw std::logic_error("op " + std::string(name) + " has no parameter " + std::string(n));
}

const OpSpec& op_spec(Op op) { return specs()[static_cast<size_t>(op)]; }

bool is_uring_queue_op(Op op) {
  switch (op) {
    case Op::UringNop:
    case Op::UringRead:
    case Op::UringWrite:
    case Op::UringRecv:
    case Op::UringSend:
    case Op::UringPoll:
    case Op::UringPollRemove:
    case Op::UringTimeout:
    case Op::UringTimeoutRemove:
    case Op::UringLinkTimeout:
    case Op::UringCancel:
    case Op::UringCancelFd:
    case Op::UringCancelAny:
      return true;
    default:
      return false;
  }
}

bool is_race_op(Op op) {
  return op == Op::RaceCancel || op == Op::RacePollRemove || op == Op::RaceLinkTimeout || op == Op::RaceTimeoutRemove ||
         op == Op::RaceCancelFd;
}

bool is_uring_ring_op(Op op) {
  return op == Op::RingNew || op == Op::Submit || op == Op::Reap || is_uring_queue_op(op);
}
std::span<const OpSpec> all_ops() { return specs(); }
std::optional<Op> op_by_name(std::string_view name) {
  for (const auto& s : specs())
    if (s.name == name) return s.op;
  return std::nullopt;
}

std::optional<int64_t> parse_param_value(const ParamSpec& p, std::string_view s) {
  switch (p.type) {
    case ParamType::Int:
      return parse_int(s);
    case ParamType::Size:
      return with_suffix(s, {{"k", 1024}, {"K", 1024}, {"M", 1 << 20}, {"G", 1 << 30}}, 1);
    case ParamType::Ms:
      if (s == "-1" || s == "inf") return -1;
      return with_suffix(s, {{"ms", 1}, {"s", 1000}}, 1);
    case ParamType::Dur:
      return with_suffix(s, {{"us", 1}, {"ms", 1000}, {"s", 1000000}}, 1000);
    case ParamType::Bool:
      if (s == "1" || s == "on" || s == "true" || s == "yes") return 1;
      if (s == "0" || s == "off" || s == "false" || s == "no") return 0;
      return std::nullopt;
    case ParamType::Enum:
      if (auto v = p.set->lookup(s)) return v;
      if (auto v = parse_int(s); v && !p.set->name_of(*v).empty()) return v;
      return std::nullopt;
    case ParamType::Flags: {
      if (auto v = parse_int(s)) return v;
      int64_t v = 0;
      while (true) {
        auto bar = s.find('|');
        auto one = p.set->lookup(s.substr(0, bar));
        if (!one) return std::nullopt;
        v |= *one;
        if (bar == std::string_view::npos) return v;
        s.remove_prefix(bar + 1);
      }
    }
  }
  return std::nullopt;
}

std::string param_type_text(const ParamSpec& p) {
  switch (p.type) {
    case ParamType::Int:
      return "an integer";
    case ParamType::Size:
      return "a size (e.g. 100, 4k, 1M)";
    case ParamType::Ms:
      return "a timeout (e.g. 0, 100ms, 1s, -1)";
    case ParamType::Dur:
      return "a duration (e.g. 200us, 5ms, 1s)";
    case ParamType::Bool:
      return "on or off";
    case ParamType::Enum:
    case ParamType::Flags: {
      std::string s = p.type == ParamType::Enum ? "one of " : "flags from ";
      for (size_t i = 0; i < p.set->values.size(); ++i) s += (i ? ", " : "") + std::string(p.set->values[i].name);
      if (p.type == ParamType::Flags) s += " joined by |";
      return s;
    }
  }
  return "a value";
}

std::string check_param_range(const ParamSpec& p, int64_t v) {
  if (!p.ranged || (v >= p.lo && v <= p.hi)) return {};
  if (p.hi == std::numeric_limits<int64_t>::max()) return p.name + " must be at least " + format_param(p, p.lo);
  return p.name + " must be between " + format_param(p, p.lo) + " and " + format_param(p, p.hi);
}

std::string format_flags(const ValueSet& set, int64_t v) {
  std::string out;
  int64_t left = v;
  for (const auto& x : set.values) {
    if (x.value != 0 && (left & x.value) == x.value) {
      if (!out.empty()) out += '|';
      out += x.name;
      left &= ~x.value;
    }
  }
  if (left != 0 || out.empty()) {
    if (!out.empty()) out += '|';
    out += left == 0 ? std::string("0") : std::to_string(left);
  }
  return out;
}

std::string format_param(const ParamSpec& p, int64_t v) {
  switch (p.type) {
    case ParamType::Enum: {
      auto n = p.set->name_of(v);
      return n.empty() ? std::to_string(v) : std::string(n);
    }
    case ParamType::Flags:
      return format_flags(*p.set, v);
    case ParamType::Size:
      if (v != 0 && v % (1 << 20) == 0) return std::to_string(v >> 20) + "M";
      if (v != 0 && v % 1024 == 0) return std::to_string(v >> 10) + "k";
      return std::to_string(v);
    case ParamType::Ms:
      return v < 0 ? std::string("-1") : std::to_string(v) + "ms";
    case ParamType::Dur:
      if (v != 0 && v % 1000000 == 0) return std::to_string(v / 1000000) + "s";
      if (v != 0 && v % 1000 == 0) return std::to_string(v / 1000) + "ms";
      return std::to_string(v) + "us";
    case ParamType::Bool:
      return v ? "1" : "0";
    case ParamType::Int:
      break;
  }
  return std::to_string(v);
}

std::string kinds_text(KindSet s) {
  std::string out;
  for (unsigned i = 0; i < kKindCount; ++i) {
    if (s & (KindSet{1} << i)) {
      if (!out.empty()) out += " or ";
      out += kind_name(static_cast<ResKind>(i));
    }
  }
  return out;
}

}  // namespace ringside
