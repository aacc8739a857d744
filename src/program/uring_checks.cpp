// Static rules of the io_uring steps (ops_uring.def), called by ProgramChecker::check_step.
#include "program/program.hpp"

namespace ringside {
namespace {

constexpr int64_t kSqeFlags = 0x02 | 0x04 | 0x08 | 0x10 | 0x40;  // drain link hardlink async skip_success
constexpr int64_t kMaxIo = int64_t{1} << 20;
constexpr int64_t kMaxDurUs = 10'000'000;

std::string between(const char* what, int64_t v, int64_t lo, int64_t hi) {
  if (v >= lo && v <= hi) return {};
  return std::string(what) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi);
}

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
      if (auto e = between("entries", param("entries"), 1, 256); !e.empty()) return e;
      int64_t cq = param("cq");
      if (cq != 0 && (cq < param("entries") || cq > 4096)) return "cq must be 0 or between entries and 4096";
      return {};
    }
    case Op::UringRead:
    case Op::UringWrite: {
      if (auto e = between("n", param("n"), 1, kMaxIo); !e.empty()) return e;
      bool file = p.res(s.ins[1]).kind == ResKind::File;
      if (file && param("off") < 0) return "a regular file needs an explicit off (0 or more)";
      if (!file && param("off") != -1) return "off must be -1 on a pipe, socket or eventfd (a stream)";
      if (param("vec") && param("n") < 2) return "vec needs n of 2 or more (two halves)";
      return {};
    }
    case Op::UringRecv:
    case Op::UringSend:
      return between("n", param("n"), 1, kMaxIo);
    case Op::UringPoll:
      if (param("events") == 0) return "events must not be empty";
      return {};
    case Op::UringTimeout:
      if (auto e = between("t", param("t"), 0, kMaxDurUs); !e.empty()) return e;
      return between("count", param("count"), 0, 64);
    case Op::UringLinkTimeout:
      return between("t", param("t"), 0, kMaxDurUs);
    case Op::Submit:
      return between("batch", param("batch"), 0, 4096);
    case Op::Reap:
      if (auto e = between("max", param("max"), 1, 4096); !e.empty()) return e;
      if (auto e = between("min", param("min"), 0, param("max")); !e.empty()) return e;
      return between("timeout", param("timeout"), 0, 10000);
    case Op::WaitReady:
      if (param("events") == 0) return "events must not be empty";
      return between("timeout", param("timeout"), 0, 10000);
    case Op::RaceCancel:
    case Op::RacePollRemove:
    case Op::RaceLinkTimeout:
    case Op::RaceCancelFd: {
      if (auto e = between("trials", param("trials"), 1, 5000); !e.empty()) return e;
      if (auto e = between("n", param("n"), 1, 4096); !e.empty()) return e;
      ResKind r = p.res(s.ins[1]).kind, w = p.res(s.ins[2]).kind;
      bool pair = (r == ResKind::PipeRead && w == ResKind::PipeWrite) ||
                  (r == w && (r == ResKind::Tcp || r == ResKind::UnixStream));
      if (!pair || s.ins[1] == s.ins[2]) return "the reader and the writer must be two ends of one pipe or stream";
      if (s.op == Op::RaceLinkTimeout)
        if (auto e = between("t", param("t"), 1, 1'000'000); !e.empty()) return e;
      if (s.op == Op::RaceCancelFd)
        if (auto e = between("k", param("k"), 1, 8); !e.empty()) return e;
      return {};
    }
    case Op::RaceTimeoutRemove:
      if (auto e = between("trials", param("trials"), 1, 5000); !e.empty()) return e;
      return between("t", param("t"), 1, 1'000'000);
    default:
      return {};
  }
}

}  // namespace ringside
