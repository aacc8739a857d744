// Readiness as a set of possibilities. A resource's poll mask is the OR of conditions
// ("data queued", "peer shut down", "reset"...), each with a certainty level; a
// condition turns on or off as a whole. The oracle predicts the set of masks these
// allow and narrows the levels by what it observes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "oracle/tolerances.hpp"

namespace ringside {

// Poll bits (Linux ABI values; the oracle is pure and does not include kernel headers).
namespace ev {
inline constexpr uint32_t In = 0x001, Pri = 0x002, Out = 0x004, Err = 0x008, Hup = 0x010, RdHup = 0x2000;
inline constexpr uint32_t Et = 0x80000000u, Oneshot = 0x40000000u, Exclusive = 0x10000000u;
inline constexpr uint32_t Modeled = In | Pri | Out | Err | Hup | RdHup;
// The key sock_def_readable wakes with, for a socket's data and a listener's new
// connection alike: EPOLLIN|EPOLLPRI|EPOLLRDNORM|EPOLLRDBAND (net/core/sock.c).
inline constexpr uint32_t SocketData = In | Pri;
std::string text(uint32_t mask);  // "IN|OUT" or "0"
}  // namespace ev

// How sure the model is that a condition holds.
enum class Level : uint8_t {
  No,     // off, and stays off until the program acts
  Flaky,  // may be on or off and may change by itself (e.g. TCP send space while ACKs fly)
  Maybe,  // may be on; once seen on it stays on until the program acts
  Soon,   // like Maybe, and it will turn on by itself (data in flight on loopback)
  Yes,    // on, and stays on until the program acts
};
const char* level_name(Level l);
inline bool possible(Level l) { return l != Level::No; }
inline bool optional(Level l) { return l == Level::Flaky || l == Level::Maybe || l == Level::Soon; }
// Combine two sources of the same effect: the stronger certainty of "on" wins.
Level strongest(Level a, Level b);

// What a condition means, so that seeing it on teaches the model something.
enum class Cond : uint8_t {
  Static, RxData, RxEof, Reset, Connected, Refused, Writable, Accept, Counter,
  WrapperReady,  // a readiness wrapper's R > 0 (wrapper_model.hpp)
};

struct Condition {
  uint32_t bits = 0;
  Level level = Level::No;
  Cond cond = Cond::Static;
  uint32_t ref = 0;  // channel / description the condition is about
  RuleId rule{};     // the rule broken if the observation contradicts this condition
  TolId tol = kNoTol;  // a condition only a tolerance allows (always optional)
  bool tol_when_off = false;  // ... or one the rules predict on, whose absence tol allows
};

// Is an observed mask allowed, and at what price?
struct MaskJudgement {
  bool ok = false;          // some explanation exists (tolerated conditions included)
  std::vector<TolId> tols;  // the tolerances its cheapest explanation needs (empty: none)
};

class ReadySet {
 public:
  void add(uint32_t bits, Level level, RuleId rule, Cond cond = Cond::Static, uint32_t ref = 0) {
    conds_.push_back({bits, level, cond, ref, rule});
  }
  // A condition the rules do not predict but tolerance t allows: it may be on.
  void tolerate(uint32_t bits, Level level, RuleId rule, TolId t) {
    conds_.push_back({bits, level, Cond::Static, 0, rule, t});
  }
  // A condition the rules predict on, but tolerance t allows it to be off for a moment.
  void tolerate_absent(uint32_t bits, RuleId rule, TolId t) {
    conds_.push_back({bits, Level::Yes, Cond::Static, 0, rule, t, true});
  }
  const std::vector<Condition>& conditions() const { return conds_; }

  uint32_t bits_at_least(Level l) const;  // OR of conditions at level >= l (Flaky counts as Maybe)
  uint32_t yes_bits() const { return bits_at_least(Level::Yes); }
  uint32_t soon_bits() const { return bits_at_least(Level::Soon); }
  uint32_t possible_bits() const;

  // Is `observed` (already filtered by the kernel to `filter`) one of the allowed masks?
  bool allows(uint32_t observed, uint32_t filter) const;
  // The same, saying which tolerances the cheapest explanation needs.
  MaskJudgement judge(uint32_t observed, uint32_t filter) const;
  // Same, for an interface that reports a function of the mask (select's three sets).
  bool allows_mapped(uint32_t observed, uint32_t (*map)(uint32_t)) const;
  // The rule an observation breaks, judged by the first condition it contradicts.
  RuleId blame(uint32_t observed, uint32_t filter) const;
  // Conditions every allowed explanation of `observed` turns on (to learn from).
  std::vector<const Condition*> implied_on(uint32_t observed, uint32_t filter) const;
  // Every allowed mask after `& filter` (or after `map`), for machine-readable reports.
  std::vector<uint32_t> allowed_masks(uint32_t filter, uint32_t (*map)(uint32_t) = nullptr) const;
  // The allowed masks, in words: "IN|OUT, or OUT (IN may be in flight)".
  std::string describe(uint32_t filter) const;

 private:
  std::vector<Condition> conds_;
};

}  // namespace ringside
