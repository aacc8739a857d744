// Allowed sets of step results, printable for violation reports.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ringside {

std::string errno_name(int e);           // "EAGAIN"
std::string result_text(int64_t ret);    // "-11" -> "EAGAIN", 5 -> "5"

// A set of return values: a union of closed intervals; errors are -errno.
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
  RetSet& add(int64_t lo, int64_t hi) {
    if (lo <= hi) ranges_.push_back({lo, hi});
    return *this;
  }
  RetSet& add_err(int e) { return add(-static_cast<int64_t>(e)); }
  RetSet& add(const RetSet& o) {
    for (auto r : o.ranges_) ranges_.push_back(r);
    return *this;
  }
  bool contains(int64_t v) const {
    for (auto [lo, hi] : ranges_)
      if (v >= lo && v <= hi) return true;
    return false;
  }
  bool empty() const { return ranges_.empty(); }
  // The single value if the set has exactly one.
  bool single(int64_t& v) const {
    if (ranges_.size() != 1 || ranges_[0].first != ranges_[0].second) return false;
    v = ranges_[0].first;
    return true;
  }
  std::string text() const;
  const std::vector<std::pair<int64_t, int64_t>>& ranges() const { return ranges_; }

 private:
  std::vector<std::pair<int64_t, int64_t>> ranges_;
};

}  // namespace ringside
