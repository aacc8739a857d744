// Allowed sets of step results, printable for violation reports.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "oracle/tolerances.hpp"

namespace ringside {

std::string errno_name(int e);           // "EAGAIN"
std::string result_text(int64_t ret);    // "-11" -> "EAGAIN", 5 -> "5"

// A set of return values: a union of closed intervals; errors are -errno. An interval
// may be tagged with the tolerance that adds it: what the rule itself predicts is the
// untagged part, and a value only a tagged interval holds is admitted by that tolerance
// alone (Impl::expect counts it, or reports it as needed).
class RetSet {
 public:
  RetSet() = default;
  static RetSet of(std::initializer_list<int64_t> vs) {
    RetSet s;
    for (auto v : vs) s.add(v);
    return s;
  }
  static RetSet err(int e) { return of({-static_cast<int64_t>(e)}); }
  static RetSet range(int64_t lo, int64_t hi) {
    RetSet s;
    s.add(lo, hi);
    return s;
  }
  RetSet& add(int64_t v) { return add(v, v); }
  RetSet& add(int64_t v, TolId tol) { return add(v, v, tol); }
  RetSet& add(int64_t lo, int64_t hi, TolId tol = kNoTol) {
    if (lo <= hi) ranges_.push_back({lo, hi, tol});
    return *this;
  }
  RetSet& add_err(int e, TolId tol = kNoTol) {
    return add(-static_cast<int64_t>(e), -static_cast<int64_t>(e), tol);
  }
  // The union; with `tol`, o's untagged intervals are tagged with it.
  RetSet& add(const RetSet& o, TolId tol = kNoTol) {
    for (auto r : o.ranges_) ranges_.push_back({r.lo, r.hi, r.tol == kNoTol ? tol : r.tol});
    return *this;
  }
  // Every interval, tagged or not (what the model considers possible).
  bool contains(int64_t v) const {
    for (const auto& r : ranges_)
      if (v >= r.lo && v <= r.hi) return true;
    return false;
  }
  // What the rule predicts without any tolerance.
  bool contains_untolerated(int64_t v) const {
    for (const auto& r : ranges_)
      if (r.tol == kNoTol && v >= r.lo && v <= r.hi) return true;
    return false;
  }
  // The tolerances whose intervals hold v (in the order they were added).
  std::vector<TolId> tolerances_for(int64_t v) const {
    std::vector<TolId> out;
    for (const auto& r : ranges_)
      if (r.tol != kNoTol && v >= r.lo && v <= r.hi) out.push_back(r.tol);
    return out;
  }
  bool empty() const { return ranges_.empty(); }
  // The single value if the set has exactly one.
  bool single(int64_t& v) const {
    if (ranges_.size() != 1 || ranges_[0].lo != ranges_[0].hi) return false;
    v = ranges_[0].lo;
    return true;
  }
  // The intervals a policy admits, as closed intervals (for machine-readable reports).
  std::vector<std::pair<int64_t, int64_t>> ranges(const TolerancePolicy* policy = nullptr) const {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const auto& r : ranges_)
      if (r.tol == kNoTol || !policy || policy->admits(r.tol)) out.push_back({r.lo, r.hi});
    return out;
  }
  std::string text() const;

 private:
  struct Range {
    int64_t lo, hi;
    TolId tol;
  };
  std::vector<Range> ranges_;
};

}  // namespace ringside
