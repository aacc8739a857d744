#include "runner/fault.hpp"

namespace ringside {
namespace {

bool stream_read(const Program& p, const Step& s) {
  return s.op == Op::Read && !s.later && p.res(s.ins[0]).kind != ResKind::EventFd;
}

// A read that returned n > 1 bytes reports one byte less (a lost byte at the end).
bool read_short(const Program& p, size_t i, Observation& o) {
  if (!stream_read(p, p.steps[i]) || o.ret <= 1) return false;
  o.ret -= 1;
  if (!o.data.empty()) o.data.pop_back();
  return true;
}
std::string_view read_short_c(const Program& p, const Step& s) {
  return stream_read(p, s) ? "if (ret > 1) ret -= 1;" : "";
}

// poll(2) never reports POLLOUT.
bool poll_drop_out(const Program& p, size_t i, Observation& o) {
  if (p.steps[i].op != Op::Poll || o.ret <= 0) return false;
  bool hit = false;
  for (auto& e : o.events) {
    hit = hit || (e.mask & 0x004);
    e.mask &= ~0x004u;
  }
  if (hit) {
    int64_t n = 0;
    for (auto& e : o.events) n += e.mask != 0;
    o.ret = n;
  }
  return hit;
}
std::string_view poll_drop_out_c(const Program&, const Step& s) {
  return s.op == Op::Poll ? "if (ret > 0) { ret = 0; for (int k = 0; k < npfd; ++k) { masks_[k] &= ~POLLOUT; ret += masks_[k] != 0; } }"
                          : "";
}

// getsockopt(SO_ERROR) always reads 0.
bool so_error_zero(const Program& p, size_t i, Observation& o) {
  if (p.steps[i].op != Op::SockError || o.value == 0) return false;
  o.value = 0;
  return true;
}
std::string_view so_error_zero_c(const Program&, const Step& s) { return s.op == Op::SockError ? "value = 0;" : ""; }

// epoll_wait loses the first event it reports: a lost wakeup.
bool epoll_drop_first(const Program& p, size_t i, Observation& o) {
  if (p.steps[i].op != Op::EpollWait || o.ret <= 0 || o.events.empty()) return false;
  o.events.erase(o.events.begin());
  o.ret -= 1;
  return true;
}
std::string_view epoll_drop_first_c(const Program&, const Step& s) {
  return s.op == Op::EpollWait ? "if (ret > 0) { masks_[evs[0].data.u64] = 0; ret -= 1; }" : "";
}

constexpr ObservationFault kFaults[] = {
    {"read-short", "a stream read that returned n > 1 bytes reports n - 1", read_short, read_short_c},
    {"poll-drop-out", "poll never reports POLLOUT", poll_drop_out, poll_drop_out_c},
    {"so-error-zero", "getsockopt(SO_ERROR) always reads 0", so_error_zero, so_error_zero_c},
    {"epoll-drop-first", "epoll_wait loses the first event it reports (a lost wakeup)", epoll_drop_first,
     epoll_drop_first_c},
};

}  // namespace

std::span<const ObservationFault> observation_faults() { return kFaults; }

const ObservationFault* observation_fault(std::string_view name) {
  for (const auto& f : kFaults)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace ringside
