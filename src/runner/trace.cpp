#include "runner/trace.hpp"

#include <algorithm>
#include <cerrno>
#include <map>

#include "oracle/expect.hpp"
#include "oracle/readiness.hpp"
#include "program/script.hpp"
#include "program/uring_ids.hpp"

namespace ringside {
namespace {

// A CQE's request as the script names it: its resource, or "@LINE" of its queuing step.
std::string cqe_name(const Program& p, uint64_t user_data) {
  if (user_data == 0 || user_data > p.steps.size()) return "ud " + std::to_string(user_data);
  const Step& q = p.steps[uring::step_of_user_data(user_data)];
  if (!q.outs.empty()) return p.res(q.outs[0]).name;
  return "@" + std::to_string(q.loc.line ? q.loc.line : uring::step_of_user_data(user_data) + 1);
}


std::string cqe_text(const Program& p, const Completion& c) {
  std::string out = cqe_name(p, c.user_data) + ": " + result_text(c.res);
  if (c.flags & 0x2) out += " more";
  return out;
}

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
  if (is_uring_queue_op(s.op) && o.ret == 0) return out + "queued";
  switch (s.op) {
    case Op::Reap: {
      out += std::to_string(o.ret) + " [";
      for (size_t k = 0; k < o.cqes.size(); ++k) out += (k ? ", " : "") + cqe_text(p, o.cqes[k]);
      out += "]";
      if (o.value < 0) out += " then " + result_text(o.value);
      return out;
    }
    case Op::RingNew:
      if (o.ret < 0) break;
      return out + "fd " + std::to_string(o.ret) + " (sq " + std::to_string(o.value & 0xffffffff) + ", cq " +
             std::to_string(o.value >> 32) + ")";
    case Op::RaceCancel:
    case Op::RacePollRemove:
    case Op::RaceLinkTimeout:
    case Op::RaceTimeoutRemove:
    case Op::RaceCancelFd: {
      // Per knob cell: trials whose (first) target ended by itself / was cut short, and
      // the cells where both happened, i.e. where the race itself was run.
      std::map<uint32_t, std::pair<int, int>> cells;
      for (const auto& t : o.trials)
        for (const auto& c : t.cqes)
          if (c.user_data == uring::kRaceTarget) (c.res == -ECANCELED || c.res == -EINTR ? cells[t.knobs].second : cells[t.knobs].first)++;
      out += std::to_string(o.trials.size()) + " trials; cells with both ends:";
      int mixed = 0;
      for (const auto& [k, v] : cells)
        if (v.first && v.second) {
          out += " " + uring::KnobCell::decode(k).text() + " (" + std::to_string(v.first) + "/" + std::to_string(v.second) + ")";
          ++mixed;
        }
      return mixed ? out : out + " none";
    }
    case Op::WaitReady:
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
  if (is_uring_queue_op(s.op)) return result_text(o.ret);
  if (is_race_op(s.op)) return "trials";
  switch (s.op) {
    case Op::Reap: {
      std::vector<std::string> parts;
      for (const auto& c : o.cqes) {
        std::string cls = c.res < 0 ? result_text(c.res) : c.res == 0 ? "0" : "ok";
        parts.push_back(cqe_name(p, c.user_data) + ":" + cls + ((c.flags & 0x2) ? "+" : ""));
      }
      std::sort(parts.begin(), parts.end());
      std::string out = "[";
      for (size_t k = 0; k < parts.size(); ++k) out += (k ? " " : "") + parts[k];
      return out + "]" + (o.value < 0 ? result_text(o.value) : "");
    }
    case Op::WaitReady:
    case Op::EpollWait:
    case Op::Poll:
    case Op::Select: {
      if (o.ret < 0) return result_text(o.ret);
      std::vector<std::string> parts;
      for (size_t k = 0; k < o.events.size(); ++k) {
        const auto& e = o.events[k];
        std::string name = s.op == Op::EpollWait || s.op == Op::WaitReady
                               ? (e.ref < p.resources.size() ? p.res(static_cast<ResId>(e.ref)).name : "?")
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
