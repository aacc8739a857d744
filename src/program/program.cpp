#include "program/program.hpp"

#include <bit>

#include "program/wrapper_steps.hpp"

namespace ringside {
namespace {

ResKind socket_kind(int64_t domain) {
  switch (domain) {
    case 0:
    case 1:
      return ResKind::Tcp;
    case 2:
      return ResKind::UnixStream;
    default:
      return ResKind::UnixDgram;
  }
}

bool is_inet(ResKind k) { return k == ResKind::Tcp || k == ResKind::TcpListener || k == ResKind::ClosedPort; }

}  // namespace

bool may_run_later(Op op) { return op == Op::Write || op == Op::Shutdown || op == Op::Close; }
std::string check_uring_step(const Program& p, const Step& s);  // uring_checks.cpp

std::optional<ResKind> output_kind(const Program& p, const Step& s, size_t idx) {
  const OpSpec& spec = s.spec();
  if (idx >= spec.outs.size()) return std::nullopt;
  KindSet k = spec.outs[idx].kinds;
  if (std::popcount(k) == 1) return static_cast<ResKind>(std::countr_zero(k));
  switch (s.op) {
    case Op::Socket:
      return socket_kind(s.param(spec.index("domain")));
    case Op::SocketPair:
      return socket_kind(s.param(spec.index("type")));
    case Op::Listen:
      return s.param(spec.index("family")) == 2 ? ResKind::UnixListener : ResKind::TcpListener;
    case Op::Accept:
      if (s.ins.empty()) return std::nullopt;
      return p.res(s.ins[0]).kind == ResKind::UnixListener ? ResKind::UnixStream : ResKind::Tcp;
    case Op::Dup:
      if (s.ins.empty()) return std::nullopt;
      return p.res(s.ins[0]).kind;
    default:
      return std::nullopt;
  }
}

std::string ProgramChecker::check_input(const Program& p, const Step& s, size_t slot, ResId id) const {
  const OpSpec& spec = s.spec();
  if (id >= p.resources.size()) return "unknown resource";
  const Resource& r = p.res(id);
  if (!alive(id)) return "resource '" + r.name + "' is closed";
  size_t spec_slot = slot < spec.ins.size() ? slot : spec.ins.size() - 1;
  if (spec.ins.empty() || (slot >= spec.ins.size() && !spec.ins.back().variadic)) return "too many operands";
  if (!kind_in(r.kind, spec.ins[spec_slot].kinds))
    return "'" + r.name + "' is a " + std::string(kind_name(r.kind)) + ", expected " +
           kinds_text(spec.ins[spec_slot].kinds);
  return {};
}

std::string ProgramChecker::check_step(const Program& p, const Step& s) const {
  const OpSpec& spec = s.spec();
  size_t min_ins = spec.ins.size();
  if (s.ins.size() < min_ins) return "expected " + kinds_text(spec.ins[s.ins.size()].kinds) + " operand";
  if (s.outs.size() != spec.outs.size())
    return "'" + std::string(spec.name) + "' creates " + std::to_string(spec.outs.size()) + " resource(s), " +
           std::to_string(s.outs.size()) + " named";
  if (s.later) {
    if (!may_run_later(s.op)) return "'" + std::string(spec.name) + "' cannot run `later` (only write, shutdown, close)";
    if (s.delay_us < 0 || s.delay_us > 10'000'000) return "`later` delay must be between 0 and 10s";
  }
  for (size_t i = 0; i < s.params.size() && i < spec.params.size(); ++i) {
    const ParamSpec& ps = spec.params[i];
    int64_t v = s.params[i];
    if ((ps.type == ParamType::Size || ps.type == ParamType::Dur) && v < 0) return ps.name + " must not be negative";
    if (ps.type == ParamType::Ms && v < -1) return ps.name + " must be -1 (infinite) or a duration";
    if (ps.type == ParamType::Enum && ps.set->name_of(v).empty()) return ps.name + ": value out of range";
    if (auto e = check_param_range(ps, v); !e.empty()) return e;
  }
  auto kind_of = [&](size_t in) { return p.res(s.ins[in]).kind; };
  if (auto e = check_wrapper_step(p, s); !e.empty()) return e;
  if (!s.later && (s.op == Op::Write || s.op == Op::Fill || s.op == Op::Close || s.op == Op::Shutdown) && !s.ins.empty())
    for (ResId b : busy_)
      if (b == root(s.ins[0]))
        return "a `later` step still uses '" + p.res(s.ins[0]).name + "' (or a dup of it): `join` first";
  switch (s.op) {
    case Op::Connect: {
      ResKind a = kind_of(0), b = kind_of(1);
      if (a == ResKind::UnixDgram) return "connect: unix_dgram sockets are connected by socketpair";
      if (is_inet(a) != is_inet(b)) return "connect: address family of the target does not match the socket";
      break;
    }
    case Op::Write:
    case Op::Read:
      if (s.param(0) == 0 && kind_of(0) != ResKind::EventFd) return "n must be at least 1";
      break;
    case Op::Fill:
    case Op::Drain:
      if (kind_of(0) == ResKind::File) return "fill/drain on a regular file never reaches EAGAIN";
      if (s.op == Op::Fill && kind_of(0) == ResKind::EventFd) return "fill on an eventfd is not defined (use write)";
      break;
    case Op::EpollAdd:
    case Op::EpollMod:
      if (s.ins[0] == s.ins[1]) break;  // the kernel answers EINVAL; let the oracle check that
      break;
    default:
      return check_uring_step(p, s);
  }
  return {};
}

void ProgramChecker::apply(const Program& p, const Step& s) {
  if (alive_.size() < p.resources.size()) alive_.resize(p.resources.size(), false);
  while (root_.size() < p.resources.size()) root_.push_back(static_cast<ResId>(root_.size()));
  for (ResId o : s.outs) {
    alive_[o] = true;
    root_[o] = s.op == Op::Dup ? root(s.ins[0]) : o;
  }
  if (s.op == Op::Close) alive_[s.ins[0]] = false;
  if (s.later && !s.ins.empty()) busy_.push_back(root(s.ins[0]));
  if (s.op == Op::Join) busy_.clear();
}

std::string validate(const Program& p) {
  ProgramChecker c;
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const Step& s = p.steps[i];
    const OpSpec& spec = s.spec();
    if (s.params.size() != spec.params.size()) return "step " + std::to_string(i + 1) + ": wrong parameter count";
    for (size_t k = 0; k < s.ins.size(); ++k)
      if (auto e = c.check_input(p, s, k, s.ins[k]); !e.empty()) return "step " + std::to_string(i + 1) + ": " + e;
    for (size_t k = 0; k < s.outs.size(); ++k) {
      if (s.outs[k] >= p.resources.size()) return "step " + std::to_string(i + 1) + ": unknown output";
      if (c.alive(s.outs[k]) || p.res(s.outs[k]).created_by != i)
        return "step " + std::to_string(i + 1) + ": output defined twice";
      if (output_kind(p, s, k) != p.res(s.outs[k]).kind)
        return "step " + std::to_string(i + 1) + ": output kind mismatch";
    }
    if (auto e = c.check_step(p, s); !e.empty()) return "step " + std::to_string(i + 1) + ": " + e;
    c.apply(p, s);
  }
  return {};
}

}  // namespace ringside
