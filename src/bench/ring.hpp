// An owned io_uring instance set up the way a single-threaded event loop
// wants it, falling back to plainer setups the running kernel accepts.
#pragma once

#include <liburing.h>

#include <string>

namespace ringside::bench {

class Ring {
 public:
  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring();

  // Returns "" on success, else why no ring could be set up (e.g. io_uring
  // disabled by sysctl). Tries SINGLE_ISSUER|DEFER_TASKRUN (completions are
  // processed only when the loop asks: the cheapest mode for one thread), then
  // COOP_TASKRUN, then no flags; setup() names the one that worked.
  std::string open(unsigned entries);

  io_uring* get() { return &ring_; }
  unsigned features() const { return features_; }
  const std::string& setup() const { return setup_; }
  bool supports(int opcode);  // probed, not guessed from the version

 private:
  io_uring ring_{};
  bool open_ = false;
  unsigned features_ = 0;
  std::string setup_;
};

}  // namespace ringside::bench
