#include "oracle/expect.hpp"

#include <cstring>

namespace ringside {

std::string errno_name(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : "errno " + std::to_string(e);
}

std::string result_text(int64_t ret) { return ret < 0 ? errno_name(static_cast<int>(-ret)) : std::to_string(ret); }

std::string RetSet::text() const {
  if (ranges_.empty()) return "nothing";
  std::string s;
  for (size_t i = 0; i < ranges_.size(); ++i) {
    if (i) s += i + 1 == ranges_.size() ? " or " : ", ";
    const Range& r = ranges_[i];
    if (r.lo == r.hi) s += result_text(r.lo);
    else s += result_text(r.lo) + ".." + result_text(r.hi);
    if (r.tol != kNoTol) s += " [" + std::string(tolerance(r.tol).id) + "]";
  }
  return s;
}

}  // namespace ringside
