// The ledger of a run's strictness: which tolerances admitted which observations, the
// first observation a `strict` run admitted only to name it at the end, the spans where
// the model could only bound what it saw (model-limit tolerances), and how many steps
// were judged exactly. The oracle's checks write to it; the report reads it.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "oracle/tolerances.hpp"
#include "oracle/verdict.hpp"

namespace ringside {

// A resource the model follows only within bounds, from one step to another.
struct Span {
  uint32_t resource = 0;    // the ResId the model names the description by
  size_t from_step = 0;
  size_t to_step = SIZE_MAX;  // SIZE_MAX: still open
  TolId tol = kNoTol;       // the model-limit tolerance
};

class Ledger {
 public:
  explicit Ledger(TolerancePolicy policy) : policy_(std::move(policy)), used_(kTolCount, 0) {}
  const TolerancePolicy& policy() const { return policy_; }

  // May tolerance t admit the observation that `would` describes (the violation it would
  // otherwise be)? Counts the use; under `strict` (Noted) the first such observation is
  // kept to fail the run at its end.
  bool admit(TolId t, const Violation& would);
  // A model-limit tolerance t let the current step's observation through unjudged (what).
  bool use(TolId t, const std::string& what);
  // The violation v unless tolerance t admits it (then none); v names t as needed.
  std::optional<Violation> tolerate(TolId t, Violation v) {
    if (admit(t, v)) return std::nullopt;
    v.needs = {t};
    return v;
  }
  // The violation v unless every tolerance of ts admits it (an explanation needing them all).
  std::optional<Violation> tolerate_all(const std::vector<TolId>& ts, const Violation& v) {
    for (TolId t : ts)
      if (auto c = tolerate(t, v)) return c;
    return std::nullopt;
  }
  // The first of ts that admits it; if none does, `would.needs` names them all.
  bool admit_any(std::span<const TolId> ts, Violation& would);

  // Model-limit spans: description or channel `key` is followed only within bounds from
  // the current step until close_span.
  void open_span(uint32_t key, uint32_t resource, TolId t);
  void close_span(uint32_t key);
  bool in_span(uint32_t key) const { return open_.count(key) != 0; }
  std::optional<TolId> span_tol(uint32_t key) const;

  // Per step: was anything of this step's judgement left to a model-limit tolerance?
  void begin_step(size_t step) {
    step_ = step;
    step_unjudged_ = false;
  }
  size_t step() const { return step_; }
  void mark_unjudged() { step_unjudged_ = true; }
  void end_step() { judged_ += step_unjudged_ ? 0 : 1; }

  std::map<TolId, uint64_t> used() const;
  std::vector<Span> spans() const;  // closed and still open, in opening order
  const std::optional<Violation>& noted() const { return noted_; }
  std::vector<TolId> noted_tolerances() const;
  uint32_t steps_judged() const { return judged_; }

 private:
  TolerancePolicy policy_;
  std::vector<uint64_t> used_;
  std::optional<Violation> noted_;
  std::vector<Span> spans_;
  std::map<uint32_t, size_t> open_;  // key -> index into spans_
  bool step_unjudged_ = false;
  size_t step_ = 0;
  uint32_t judged_ = 0;
};

}  // namespace ringside
