#include "fuzzing/mutant_c.hpp"

#include <functional>
#include <map>

namespace ringside {
namespace {

bool reports(const Step& s) { return s.op == Op::Poll || s.op == Op::Select || s.op == Op::EpollWait; }

// Clears `bits` from the reported masks of the resources `which` selects, as the
// mutants' for_each_mask does (poll's count is recomputed, epoll's and select's are not).
std::string clear_masks(const Program& p, const Step& s, const char* bits, const std::function<bool(ResKind)>& which) {
  if (!reports(s)) return {};
  std::string c;
  if (s.op == Op::EpollWait) {
    for (size_t r = 0; r < p.resources.size(); ++r)
      if (which(p.resources[r].kind)) c += "masks_[" + std::to_string(r) + "] &= ~" + bits + "; ";
  } else {
    for (size_t k = 0; k < s.ins.size(); ++k)
      if (which(p.res(s.ins[k]).kind)) c += "masks_[" + std::to_string(k) + "] &= ~" + bits + "; ";
  }
  if (s.op == Op::Poll && !c.empty())
    c += "ret = 0; for (int k = 0; k < npfd; ++k) ret += masks_[k] != 0;";
  return c;
}

using CForm = std::function<std::string(const Program&, const Step&)>;

const std::map<std::string_view, CForm>& forms() {
  static const std::map<std::string_view, CForm> f = {
      {"connect.zero_so_error",
       [](const Program&, const Step& s) -> std::string {
         return s.op == Op::SockError ? "if (value == ECONNREFUSED) value = 0;" : "";
       }},
      {"stream.corrupt_data",
       [](const Program&, const Step& s) -> std::string {
         return s.op == Op::Read || s.op == Op::Drain ? "if (datalen_ > 0) data_[datalen_ / 2] ^= 0x5a;" : "";
       }},
      {"pipe.drop_hup",
       [](const Program& p, const Step& s) {
         return clear_masks(p, s, "POLLHUP", [](ResKind k) { return k == ResKind::PipeRead; });
       }},
      {"stream.drop_rdhup",
       [](const Program& p, const Step& s) { return clear_masks(p, s, "POLLRDHUP", [](ResKind) { return true; }); }},
      {"file.not_writable",
       [](const Program& p, const Step& s) {
         return clear_masks(p, s, "POLLOUT", [](ResKind k) { return k == ResKind::File; });
       }},
      {"file.epoll_accepts",
       [](const Program& p, const Step& s) -> std::string {
         return s.op == Op::EpollAdd && p.res(s.ins[1]).kind == ResKind::File ? "if (ret == -EPERM) ret = 0;" : "";
       }},
  };
  return f;
}

}  // namespace

bool mutant_has_c_form(const Mutant& m) { return forms().count(m.id) != 0; }

std::string mutant_c_code(const Mutant& m, const Program& p, const Step& s) {
  auto it = forms().find(m.id);
  return it == forms().end() ? std::string() : it->second(p, s);
}

}  // namespace ringside
