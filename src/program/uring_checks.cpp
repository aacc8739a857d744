// Static rules of the io_uring steps (ops_uring.def), called by ProgramChecker::check_step.
#include "program/program.hpp"

namespace ringside {
namespace {

constexpr int64_t kSqeFlags = 0x02 | 0x04 | 0x08 | 0x10 | 0x40;  // drain link hardlink async skip_success

}  // namespace

std::string check_uring_step(const Program& p, const Step& s) {
  const OpSpec& spec = s.spec();
  auto param = [&](std::string_view n) { return s.param(spec.index(n)); };
  auto has = [&](std::string_view n) {
    for (const auto& ps : spec.params)
      if (ps.name == n) return true;
    return false;
  };
  if (has("flags") && (param("flags") & ~kSqeFlags)) return "flags: only drain, link, hardlink, async, skip_success";
  switch (s.op) {
    case Op::Dup:
      // A ring is driven through the mappings of the fd it was created with.
      if (!s.ins.empty() && p.res(s.ins[0]).kind == ResKind::Ring) return "a ring cannot be dup'ed";
      return {};
    case Op::RingNew: {
      int64_t cq = param("cq");
      if (cq != 0 && cq < param("entries")) return "cq must be 0 or between entries and 4096";
      return {};
    }
    case Op::UringRead:
    case Op::UringWrite: {
      bool file = p.res(s.ins[1]).kind == ResKind::File;
      if (file && param("off") < 0) return "a regular file needs an explicit off (0 or more)";
      if (!file && param("off") != -1) return "off must be -1 on a pipe, socket or eventfd (a stream)";
      if (param("vec") && param("n") < 2) return "vec needs n of 2 or more (two halves)";
      return {};
    }
    case Op::UringPoll:
      if (param("events") == 0) return "events must not be empty";
      return {};
    case Op::Reap:
      if (param("min") > param("max")) return "min must be between 0 and max";
      return {};
    case Op::WaitReady:
      if (param("events") == 0) return "events must not be empty";
      return {};
    case Op::RaceCancel:
    case Op::RacePollRemove:
    case Op::RaceLinkTimeout:
    case Op::RaceCancelFd: {
      ResKind r = p.res(s.ins[1]).kind, w = p.res(s.ins[2]).kind;
      bool pair = (r == ResKind::PipeRead && w == ResKind::PipeWrite) ||
                  (r == w && (r == ResKind::Tcp || r == ResKind::UnixStream));
      if (!pair || s.ins[1] == s.ins[2]) return "the reader and the writer must be two ends of one pipe or stream";
      return {};
    }
    default:
      return {};
  }
}

}  // namespace ringside
