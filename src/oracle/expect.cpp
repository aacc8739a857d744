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
    auto [lo, hi] = ranges_[i];
    if (lo == hi) s += result_text(lo);
    else s += result_text(lo) + ".." + result_text(hi);
  }
  return s;
}

}  // namespace ringside
