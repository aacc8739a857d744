#include "bench/ring.hpp"

#include <cstring>
#include <iterator>

namespace ringside::bench {

Ring::~Ring() {
  if (open_) io_uring_queue_exit(&ring_);
}

std::string Ring::open(unsigned entries) {
  struct Choice {
    unsigned flags;
    const char* name;
  };
  static constexpr Choice choices[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "SINGLE_ISSUER|DEFER_TASKRUN"},
      {IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"},
      {0, "none"},
  };
  int last = 0;
  for (const Choice& c : choices) {
    io_uring_params params{};
    params.flags = c.flags;
    last = io_uring_queue_init_params(entries, &ring_, &params);
    if (last == 0) {
      open_ = true;
      features_ = params.features;
      setup_ = c.name;
      return "";
    }
    if (last != -EINVAL) break;  // EPERM, ENOSYS, ENOMEM: no other flags will help
  }
  return std::string("io_uring_setup: ") + std::strerror(-last);
}

bool Ring::supports(int opcode) {
  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  if (!probe) return false;
  const bool ok = io_uring_opcode_supported(probe, opcode) != 0;
  io_uring_free_probe(probe);
  return ok;
}

}  // namespace ringside::bench
