#include "runner/trace.hpp"

#include <algorithm>

#include "oracle/expect.hpp"
#include "oracle/readiness.hpp"
#include "program/script.hpp"

namespace ringside {
namespace {

// Stable across runs that behaved alike. How many items a consume gets, which step
// sees the end, and whether close still had reads to cancel all depend on timing (the
// trace shows them), so a wrapper step that the oracle accepted is just "ok".
std::string wrapper_outcome_class(const Step& s, const Observation& o) {
  if (o.ret < 0) return result_text(o.ret);
  return s.op == Op::WrapperNew ? "fd" : "ok";
}

}  // namespace

std::string format_observation(const Program& p, const Step& s, const Observation& o) {
  std::string out;
  if (o.deadline_hit) out += "DEADLINE ";
  if (s.later) return "scheduled on the helper thread";
  if (o.wrapper) {
    if (s.op == Op::WrapperNew) out += "fd " + std::to_string(o.ret) + " ";
    else if (o.ret != 0) out += result_text(o.ret) + " ";
    return out + format_wrapper_observation(p, o);
  }
  switch (s.op) {
    case Op::EpollWait: {
      out += std::to_string(o.ret) + " [";
      for (size_t k = 0; k < o.events.size(); ++k) {
        const auto& e = o.events[k];
        std::string name = e.ref < p.resources.size() ? p.res(static_cast<ResId>(e.ref)).name : std::to_string(e.ref);
        out += (k ? ", " : "") + name + ": " + ev::text(e.mask);
      }
      return out + "]";
    }
    case Op::Poll:
    case Op::Select: {
      out += result_text(o.ret) + " [";
      for (size_t k = 0; k < o.events.size(); ++k) {
        std::string name = k < s.ins.size() ? p.res(s.ins[k]).name : "?";
        out += (k ? ", " : "") + name + ": " + ev::text(o.events[k].mask);
      }
      return out + "]";
    }
    case Op::SockError:
      return out + (o.ret < 0 ? result_text(o.ret) : "SO_ERROR " + (o.value ? errno_name(static_cast<int>(o.value)) : "0"));
    case Op::Fill:
    case Op::Drain:
      return out + std::to_string(o.ret) + " bytes, then " + result_text(o.value);
    case Op::Join: {
      out += "joined";
      for (const auto& h : o.helpers) out += " (step " + std::to_string(h.step + 1) + ": " + result_text(h.ret) + ")";
      return out;
    }
    case Op::Read:
      if (p.res(s.ins[0]).kind == ResKind::EventFd && o.ret == 8) return out + "8 (counter " + std::to_string(o.value) + ")";
      break;
    case Op::Accept:
      if (o.ret >= 0) {
        out += "fd " + std::to_string(o.ret);
        if (o.value >= 0 && static_cast<size_t>(o.value) < p.resources.size())
          out += " (peer " + p.res(static_cast<ResId>(o.value)).name + ")";
        return out;
      }
      break;
    default:
      if (!s.outs.empty() && o.ret >= 0) {
        out += "fd";
        for (int f : o.fds) out += " " + std::to_string(f);
        return out;
      }
      break;
  }
  return out + result_text(o.ret);
}

std::string outcome_class(const Program& p, const Step& s, const Observation& o) {
  if (o.deadline_hit) return "deadline";
  if (s.later) return "later";
  if (o.wrapper) return wrapper_outcome_class(s, o);
  auto sized = [&](int64_t want) {
    if (o.ret < 0) return result_text(o.ret);
    if (o.ret == 0) return std::string("0");
    return std::string(o.ret >= want ? "all" : "part");
  };
  switch (s.op) {
    case Op::EpollWait:
    case Op::Poll:
    case Op::Select: {
      if (o.ret < 0) return result_text(o.ret);
      std::vector<std::string> parts;
      for (size_t k = 0; k < o.events.size(); ++k) {
        const auto& e = o.events[k];
        std::string name = s.op == Op::EpollWait ? (e.ref < p.resources.size() ? p.res(static_cast<ResId>(e.ref)).name : "?")
                                                 : (k < s.ins.size() ? p.res(s.ins[k]).name : "?");
        parts.push_back(name + ":" + ev::text(e.mask));
      }
      std::sort(parts.begin(), parts.end());
      std::string out = "[";
      for (size_t k = 0; k < parts.size(); ++k) out += (k ? " " : "") + parts[k];
      return out + "]";
    }
    case Op::Read:
    case Op::Write:
      if (p.res(s.ins[0]).kind == ResKind::EventFd) return result_text(o.ret);
      return sized(s.param(0));
    case Op::Fill:
    case Op::Drain:
      return (o.ret > 0 ? "some," : "none,") + result_text(o.value);
    case Op::SockError:
      return o.ret < 0 ? result_text(o.ret) : (o.value ? errno_name(static_cast<int>(o.value)) : "0");
    case Op::Join: {
      std::string out = "joined";
      for (const auto& h : o.helpers) out += " " + result_text(h.ret);
      return out;
    }
    default:
      if (!s.outs.empty()) return o.ret >= 0 ? "fd" : result_text(o.ret);
      return result_text(o.ret);
  }
}

std::string format_trace_line(const Program& p, size_t i, const Observation& o) {
  const Step& s = p.steps[i];
  std::string line = std::to_string(s.loc.line ? s.loc.line : i + 1) + ": ";
  if (s.later) line += "later ";
  return line + print_step(p, s) + " -> " + format_observation(p, s, o);
}

}  // namespace ringside
