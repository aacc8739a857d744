#include "runner/known.hpp"

#include <fnmatch.h>

#include <fstream>
#include <iterator>

#include <regex>
#include <sstream>
#include <stdexcept>

namespace ringside {

std::string embedded_known_deviations();  // generated from ci/known-kernel-deviations

std::vector<int> version_numbers(std::string_view text) {
  std::vector<int> out;
  size_t i = 0;
  while (out.size() < 3 && i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    int v = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) v = v * 10 + (text[i++] - '0');
    out.push_back(v);
    if (i < text.size() && text[i] == '.') ++i;
    else break;
  }
  return out.size() >= 2 ? out : std::vector<int>{};
}

std::vector<int> upstream_version(const std::string& release, const std::string& proc_version) {
  // Debian's kernels say their upstream version in /proc/version: "... Debian 6.1.192-3 ...".
  static const std::regex debian(R"(Debian (\d+\.\d+\.\d+))");
  std::smatch m;
  if (std::regex_search(proc_version, m, debian)) return version_numbers(m[1].str());
  return version_numbers(release);
}

KnownDeviations KnownDeviations::parse(std::string_view text, const std::string& where) {
  KnownDeviations k;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream f(line);
    KnownDeviation d;
    std::string fixed;
    f >> d.release_glob >> fixed >> d.scenario_glob >> d.rule;
    std::getline(f, d.reason);
    const size_t r = d.reason.find_first_not_of(" \t");
    d.reason = r == std::string::npos ? "" : d.reason.substr(r);
    if (d.reason.empty())
      throw std::runtime_error(where + ":" + std::to_string(n) +
                               ": expected RELEASE-GLOB FIXED-IN SCENARIO RULE-ID REASON");
    for (size_t at = 0; fixed != "-" && at < fixed.size();) {
      size_t comma = fixed.find(',', at);
      std::string v = fixed.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      if (version_numbers(v).empty())
        throw std::runtime_error(where + ":" + std::to_string(n) + ": FIXED-IN: '" + v + "' is not a version");
      d.fixed_in.push_back(v);
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    k.entries_.push_back(std::move(d));
  }
  return k;
}

KnownDeviations KnownDeviations::embedded() {
  return parse(embedded_known_deviations(), "<embedded>/ci/known-kernel-deviations");
}

void KnownDeviations::set_kernel(const std::string& release, const std::string& proc_version) {
  release_ = release;
  version_ = upstream_version(release, proc_version);
}

void KnownDeviations::set_running_kernel(const std::string& release) {
  std::ifstream in("/proc/version");
  set_kernel(release, std::string(std::istreambuf_iterator<char>(in), {}));
}

KnownDeviations KnownDeviations::for_running_kernel(const std::string& release) {
  KnownDeviations k = embedded();
  k.set_running_kernel(release);
  return k;
}

std::string KnownDeviations::reason(const std::string& name, const std::string& rule) const {
  const std::string scenario = name.substr(0, name.find('@'));
  for (const auto& d : entries_) {
    if (fnmatch(d.release_glob.c_str(), release_.c_str(), 0) != 0) continue;
    if (d.rule != "*" && d.rule != rule) continue;
    if (fnmatch(d.scenario_glob.c_str(), name.c_str(), 0) != 0 && fnmatch(d.scenario_glob.c_str(), scenario.c_str(), 0) != 0)
      continue;
    // Fixed in: x.y a mainline release (fixed from it on), x.y.z a stable release of the
    // x.y line (fixed in that line from it on).
    bool fixed = false;
    for (const auto& f : d.fixed_in) {
      const std::vector<int> fv = version_numbers(f);
      if (version_.empty()) break;
      const std::vector<int> line(version_.begin(), version_.begin() + 2);
      if (fv.size() == 2 && line >= fv) fixed = true;
      if (fv.size() == 3 && line == std::vector<int>(fv.begin(), fv.begin() + 2) && version_ >= fv) fixed = true;
    }
    if (!fixed) return d.reason;
  }
  return {};
}

}  // namespace ringside
