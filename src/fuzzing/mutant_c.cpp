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

// io_uring mutants act on the CQEs a reap took (cqe_[0..ncqe_), emit_c_ops_uring.cpp).
// A CQE names a request of the program when 1 <= user_data <= steps (request_step).
std::string is_request(const Program& p, const std::string& ud) {
  return "(" + ud + " >= 1 && " + ud + " <= " + std::to_string(p.steps.size()) + "u)";
}

// `ud` is one of the user_data of the steps `pick` selects ("0" if none).
std::string ud_in(const Program& p, const std::string& ud, const std::function<bool(const Step&)>& pick) {
  std::string c;
  for (size_t k = 0; k < p.steps.size(); ++k)
    if (pick(p.steps[k])) c += (c.empty() ? "" : " || ") + ud + " == " + std::to_string(k + 1) + "u";
  return c.empty() ? "0" : "(" + c + ")";
}

int64_t named_param(const Step& s, std::string_view name) {
  const OpSpec& spec = s.spec();
  for (size_t k = 0; k < spec.params.size(); ++k)
    if (spec.params[k].name == name) return s.param(k);
  return -1;
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
      {"uring.drop_cqe",
       [](const Program& p, const Step& s) -> std::string {
         if (s.op != Op::Reap) return "";
         return "for (long k = 0; !mutant_done_ && k < ncqe_; ++k) if " + is_request(p, "cqe_[k].user_data") +
                " { memmove(cqe_ + k, cqe_ + k + 1, (size_t)(ncqe_ - k - 1) * sizeof *cqe_); ret = --ncqe_; "
                "mutant_done_ = 1; }";
       }},
      {"uring.duplicate_cqe",
       [](const Program& p, const Step& s) -> std::string {
         if (s.op != Op::Reap) return "";
         return "for (long k = 0; !mutant_done_ && k < ncqe_; ++k) if (" + is_request(p, "cqe_[k].user_data") +
                " && !(cqe_[k].flags & IORING_CQE_F_MORE)) { struct cqe_rec c = cqe_[k]; "
                "cqe_push(c.user_data, c.res, c.flags); ret = ncqe_; mutant_done_ = 1; }";
       }},
      {"uring.cancel_zero_normal",
       [](const Program& p, const Step& s) -> std::string {
         if (s.op != Op::Reap) return "";
         std::string cancel = ud_in(p, "cqe_[k].user_data", [](const Step& q) { return q.op == Op::UringCancel; });
         if (cancel == "0") return "";
         return "for (long k = 0; k < ncqe_; ++k) if (" + cancel + " && cqe_[k].res == -ENOENT) cqe_[k].res = 0;";
       }},
      {"uring.waitall_early",
       [](const Program& p, const Step& s) -> std::string {
         if (s.op != Op::Reap) return "";
         std::string recv = ud_in(p, "cqe_[k].user_data",
                                  [](const Step& q) { return q.op == Op::UringRecv && named_param(q, "waitall") > 0; });
         if (recv == "0") return "";
         return "for (long k = 0; k < ncqe_; ++k) if (" + recv + " && cqe_[k].res > 1) cqe_[k].res -= 1;";
       }},
      {"uring.chain_continues",
       [](const Program& p, const Step& s) -> std::string {
         if (s.op != Op::Reap) return "";
         std::string c;
         for (size_t k = 0; k < p.steps.size(); ++k) {
           const Step& q = p.steps[k];
           int64_t n = named_param(q, "n");
           std::string to = q.op == Op::UringNop ? "0"
                            : n > 0 && (q.op == Op::UringRead || q.op == Op::UringWrite) ? std::to_string(n)
                                                                                          : "";
           if (!to.empty())
             c += " if (cqe_[k].user_data == " + std::to_string(k + 1) + "u && cqe_[k].res == -ECANCELED) cqe_[k].res = " +
                  to + ";";
         }
         return c.empty() ? "" : "for (long k = 0; k < ncqe_; ++k) {" + c + " }";
       }},
      {"uring.link_out_of_order",
       [](const Program& p, const Step& s) -> std::string {
         if (s.op != Op::Reap) return "";
         std::string linked = ud_in(p, "a", [](const Step& q) { return (named_param(q, "flags") & (0x4 | 0x8)) > 0; });
         if (linked == "0") return "";
         return "for (long k = 0; k + 1 < ncqe_; ++k) { uint64_t a = cqe_[k].user_data, b = cqe_[k + 1].user_data; "
                "if (" + linked + " && " + is_request(p, "b") + " && a < b) { struct cqe_rec c = cqe_[k]; "
                "cqe_[k] = cqe_[k + 1]; cqe_[k + 1] = c; break; } }";
       }},
      {"uring.overflow_loses_cqe",
       [](const Program& p, const Step& s) -> std::string {
         if (s.op != Op::Reap) return "";
         const Step& ring = p.steps[p.res(s.ins[0]).created_by];
         int64_t cq = ring.param(1) ? ring.param(1) : 2 * ring.param(0);
         return "if (ncqe_ > " + std::to_string(cq) + ") ret = --ncqe_;";
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
