// The engine's io_uring state for one Engine: the program's rings, the pool they return
// to, the private instances `wait_ready` uses for its via paths, and the race helper.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/fd.hpp"
#include "engine/uring_race.hpp"
#include "engine/uring_ring.hpp"
#include "program/program.hpp"

namespace ringside {

struct UringState {
  // The program's rings by resource. A `later close` of a ring ends one on the helper
  // thread while the main thread may create another: the map is used under `mu`.
  std::mutex mu;
  std::map<ResId, std::unique_ptr<UringRing>> rings;
  UringPool pool;
  // wait_ready through epoll: one private epoll instance per operand set (so ET edges
  // carry over between waits on the same resources), with the interest last set.
  struct ViaEpoll {
    UniqueFd ep;
    std::vector<uint32_t> events;  // per operand
  };
  std::map<std::vector<ResId>, ViaEpoll> via_epolls;
  std::unique_ptr<UringRing> via_ring;   // wait_ready through POLL_ADD
  std::unique_ptr<UringRing> race_ring;  // races when the program's ring is busy
  std::unique_ptr<RaceHelper> race_helper;

  UringRing* ring(ResId r) {
    std::lock_guard<std::mutex> l(mu);
    auto it = rings.find(r);
    return it == rings.end() ? nullptr : it->second.get();
  }
  void add(ResId r, std::unique_ptr<UringRing> ring) {
    std::lock_guard<std::mutex> l(mu);
    rings[r] = std::move(ring);
  }
  // Ends the ring (cancels what is in flight, then io_uring_queue_exit).
  void remove(ResId r) {
    std::unique_ptr<UringRing> gone;
    {
      std::lock_guard<std::mutex> l(mu);
      auto it = rings.find(r);
      if (it == rings.end()) return;
      gone = std::move(it->second);
      rings.erase(it);
    }
  }
};

}  // namespace ringside
